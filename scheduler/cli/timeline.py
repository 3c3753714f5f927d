"""``callsheet timeline PRODUCTION``: the production's agenda laid out in time, in the terminal.

The rows come from ``scheduler.exchange.agenda`` (milestones interleaved with deliveries, each
with its marks); this module only draws them, with a line dividing the past from the future.
Milestone names, bodies, handles and error texts are typed by people (or quote them), so every
such value is passed through ``rich.markup.escape``: a body such as ``[bold red]`` prints as
itself, it never styles the table or hides a line.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, tzinfo
from typing import Annotated

import typer
from rich.box import Box
from rich.console import RenderableType
from rich.markup import escape
from rich.table import Table

from scheduler.cli.output import console, session_or_exit
from scheduler.core.clock import Clock
from scheduler.core.models import Production
from scheduler.exchange.agenda import EXCERPT, TimelineRow, timeline_rows
from scheduler.planning.productions import get_production
from scheduler.planning.timeline import zone

#: rich's SIMPLE_HEAD plus a ruled line at section ends, which is what draws the "today" line.
RULED = Box("    \n    \n ── \n    \n ── \n ── \n    \n    \n")
#: Mark prefixes to row styles, most urgent first: the first that matches colours the row.
STYLES = (
    ("failed", "red"),
    ("unknown", "red"),
    ("embargoed", "magenta"),
    ("held", "yellow"),
    ("paused", "blue"),
    ("published", "green"),
    ("tentative date", "italic"),
)


def render_timeline(
    rows: list[TimelineRow], *, production: Production, today: datetime
) -> RenderableType:
    """The rows as a rich Table, in the production's timezone, with a "today" divider.

    ``today`` is the instant that divides past from future (aware; a naive one is read as UTC).
    The date is printed on the first line of each local day only, so days read as blocks.
    """
    tz = zone(production.timezone)
    now = today if today.tzinfo else today.replace(tzinfo=UTC)
    table = _table(production)
    last_day: date | None = None
    divided = False
    for row in rows:
        if not divided and row.when >= now:
            _divider(table, now, tz)
            divided, last_day = True, None
        day = row.when.astimezone(tz).date()
        _add_row(table, row, tz, show_date=day != last_day)
        last_day = day
    if not divided:
        _divider(table, now, tz)
    return table


def _table(production: Production) -> Table:
    title = f"{escape(production.title)} — timeline ({escape(production.timezone)})"
    table = Table(title=title, box=RULED, title_justify="left", expand=False)
    table.add_column("date", no_wrap=True)
    table.add_column("time", no_wrap=True)
    table.add_column("what", max_width=EXCERPT + 20)
    table.add_column("where", overflow="fold")
    table.add_column("status", no_wrap=True)
    table.add_column("marks", overflow="fold")
    return table


def _divider(table: Table, now: datetime, tz: tzinfo) -> None:
    """A ruled line with "today" in it: what is above has happened, what is below is to come."""
    local = now.astimezone(tz)
    table.add_section()
    table.add_row(
        f"{local:%a %d %b %Y}", f"{local:%H:%M}", "── today ──", "", "", "", style="bold cyan"
    )
    table.add_section()


def _add_row(table: Table, row: TimelineRow, tz: tzinfo, *, show_date: bool) -> None:
    local = row.when.astimezone(tz)
    when = f"{local:%a %d %b %Y}" if show_date else ""
    if row.kind == "milestone":
        table.add_row(
            when,
            f"{local:%H:%M}",
            f"★ {escape(row.name)}",
            "",
            "tentative" if row.tentative else "",
            "",
            style="bold yellow" if row.tentative else "bold",
        )
        return
    table.add_row(
        when,
        f"{local:%H:%M}",
        _what(row),
        escape(row.where),
        escape(row.status),
        escape("\n".join(row.marks)),
        style=_style(row.marks),
    )


def _what(row: TimelineRow) -> str:
    """Pillar and content: the template's name, or the head of the post's own body."""
    content = f"“{row.excerpt}”" if row.excerpt else row.template
    return f"{escape(row.pillar)} · {escape(content)}"


def _style(marks: Iterable[str]) -> str:
    """The colour of the most urgent mark, so trouble stands out when scrolling."""
    given = tuple(marks)
    for prefix, style in STYLES:
        if any(mark.startswith(prefix) for mark in given):
            return style
    return ""


def timeline_command(
    production: Annotated[int, typer.Argument(help="The production (id)")],
) -> None:
    """Show a production's milestones and posts in time; held and embargoed posts marked."""
    with session_or_exit() as session:
        shown = get_production(session=session, production_id=production)
        rows = timeline_rows(session=session, production_id=production)
    console.print(render_timeline(rows, production=shown, today=Clock.from_settings().now()))
