"""What the calendar pages show, read from the agenda (``scheduler.exchange.agenda``): a page of
the agenda from a date, with "earlier" and "later" pages, or a month as a grid of days.

A page reads a fixed number of queries whatever the production holds: the agenda's window
(``Window``) asks the database for one page of deliveries, never the whole plan; a month asks
for that month's. Days, weeks and "today" are the production's wall clock (every row carries
its production's zone, so an agenda of several productions shows each in its own).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlmodel import Session

from scheduler.core.errors import Invalid
from scheduler.core.models import Production
from scheduler.exchange.agenda import Band, TimelineRow, Window, agenda_rows, bands_of
from scheduler.planning.timeline import local_to_utc

#: Rows an agenda page shows; "later" and "earlier" lead on.
PAGE = 100
#: Chips a day of the month grid shows; the rest are counted, and the day links to them.
DAY_CHIPS = 6


@dataclass(frozen=True)
class AgendaPage:
    """One page of an agenda: its rows and bands in time order, and where the next pages start."""

    items: list[TimelineRow | Band]
    bands: list[Band]
    #: Query strings of the earlier and later pages (None: nothing there).
    earlier: str | None
    later: str | None


@dataclass
class Day:
    """One day of the month grid."""

    day: date
    in_month: bool
    rows: list[TimelineRow] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    more: int = 0


@dataclass(frozen=True)
class Month:
    first: date
    weeks: list[list[Day]]
    previous: str
    next: str
    bands: list[Band]

    @property
    def label(self) -> str:
        return f"{calendar.month_name[self.first.month]} {self.first.year}"


WEEKDAYS = [(calendar.day_abbr[d], calendar.day_name[d]) for d in range(7)]


def start_of(text: str | None, tz: ZoneInfo, today: date, *, field: str = "from") -> datetime:
    """Where an agenda page starts: a date (its midnight in ``tz``) or an instant with its
    offset, as the page links write them; today's midnight when none is given."""
    if not text:
        return local_to_utc(today, time(0), tz)
    try:
        if len(text) == 10:
            return local_to_utc(date.fromisoformat(text), time(0), tz)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(field, f"'{text}' is not a date such as 2027-03-01") from None
    if moment.tzinfo is None:
        raise Invalid(field, "give a date, or a time with its offset")
    return moment.astimezone(UTC)


def agenda_page(
    session: Session,
    productions: list[Production],
    *,
    since: datetime | None,
    before: datetime | None,
) -> AgendaPage:
    """``PAGE`` rows from ``since`` (or the last ``PAGE`` before ``before``), never cutting
    between rows at the same instant, so every row is on exactly one page."""
    backwards = before is not None
    window = Window(since=None if backwards else since, before=before, limit=PAGE + 1)
    if backwards:
        window = Window(before=before, limit=PAGE + 1, latest=True)
    rows = agenda_rows(session=session, productions=productions, window=window)
    more = len(rows) > PAGE
    if more and backwards:
        cut = rows[0].when
        rows = [r for r in rows if r.when > cut] or _at(session, productions, cut)
    elif more:
        cut = rows[PAGE].when
        rows = [r for r in rows if r.when < cut] or _at(session, productions, cut)
    first = rows[0].when if rows else (before or since or datetime.now(UTC))
    last = rows[-1].when + timedelta(microseconds=1) if rows else first
    earlier: str | None
    later: str | None
    if backwards:
        earlier = _query(before=first) if more else None
        later = _query(start=before)
    else:
        earlier = _query(before=since) if since is not None else None
        later = _query(start=last) if more else None
    span_start = since if not backwards and since is not None else first
    span_end = last if (more or backwards) else datetime.max.replace(tzinfo=UTC)
    ids = [p.id or 0 for p in productions]
    bands = [b for b in bands_of(session, ids) if b.meets(span_start, span_end)]
    items: list[TimelineRow | Band] = [*rows, *bands]
    items.sort(key=lambda item: _when(item, span_start))
    return AgendaPage(items=items, bands=bands, earlier=earlier, later=later)


def _at(session: Session, productions: list[Production], instant: datetime) -> list[TimelineRow]:
    """Every row at one instant: more than a page share it, so the page is that instant."""
    window = Window(since=instant, before=instant + timedelta(microseconds=1))
    return agenda_rows(session=session, productions=productions, window=window)


def _when(item: TimelineRow | Band, start: datetime) -> tuple[datetime, int]:
    if isinstance(item, Band):
        at = item.ends_at if item.starts_at is None else max(item.starts_at, start)
        return (at, 0)
    return (item.when, 1)


def _query(*, start: datetime | None = None, before: datetime | None = None) -> str:
    if before is not None:
        return urlencode({"before": before.isoformat()})
    return urlencode({"from": start.isoformat() if start else ""})


def parse_month(text: str | None, today: date) -> date:
    """The month's first day from ``2027-03``; this month when none is given."""
    if not text:
        return today.replace(day=1)
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        raise Invalid("month", f"'{text}' is not a month such as 2027-03") from None


def month_grid(session: Session, productions: list[Production], first: date, tz: ZoneInfo) -> Month:
    """The weeks (Monday first) around the month, each day with its rows and bands."""
    weeks_of = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    start, end = weeks_of[0][0], weeks_of[-1][-1] + timedelta(days=1)
    since, before = local_to_utc(start, time(0), tz), local_to_utc(end, time(0), tz)
    rows = agenda_rows(
        session=session, productions=productions, window=Window(since=since, before=before)
    )
    ids = [p.id or 0 for p in productions]
    bands = [b for b in bands_of(session, ids) if b.meets(since, before)]
    days = {d: Day(d, d.month == first.month) for week in weeks_of for d in week}
    by_day: dict[date, list[TimelineRow]] = defaultdict(list)
    for row in rows:
        by_day[row.when.astimezone(ZoneInfo(row.timezone)).date()].append(row)
    for day, found in by_day.items():
        if day in days:
            milestones = [r for r in found if r.kind == "milestone"]
            posts = [r for r in found if r.kind == "delivery"]
            shown = posts[: max(DAY_CHIPS - len(milestones), 0)]
            days[day].rows = milestones + shown
            days[day].more = len(posts) - len(shown)
    for band in bands:
        for day, cell in days.items():
            day_start = local_to_utc(day, time(0), tz)
            if band.meets(day_start, local_to_utc(day + timedelta(days=1), time(0), tz)):
                cell.bands.append(band)
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Month(
        first=first,
        weeks=[[days[d] for d in week] for week in weeks_of],
        previous=urlencode({"view": "month", "month": f"{previous:%Y-%m}"}),
        next=urlencode({"view": "month", "month": f"{following:%Y-%m}"}),
        bands=bands,
    )
