"""A production's schedule as CSV: one row per delivery, for spreadsheets and for re-import.

Columns, in this order (the header row names them):

============  =================================================================================
post_id       the post; rows that share it are one post going out on several accounts
delivery_id   the delivery (one post on one account)
pillar        the content pillar (``ContentPillar`` value)
template      the template name, or empty when the post has a body of its own
body          the post's own body (a Jinja2 template, as written), or empty
variables     the post's template variables, a JSON object
tags          the post's tags joined with ``;``
media         the post's media references, a JSON array
milestone     the name of the milestone the post is anchored to (unique in a production), or empty
offset        the anchor's ISO 8601 offset from that milestone (``-P14D``), or empty
local_time    the anchor's local time of day, ``HH:MM`` (``HH:MM:SS`` when it has seconds), or empty
at            the absolute anchor, ISO 8601 UTC, or empty for a milestone anchor
platform      the account's platform
handle        the account's handle; platform and handle together name one account
due_at        when the delivery is due, ISO 8601 UTC
status        the delivery's status
============  =================================================================================

Every delivery is listed, cancelled ones too, so the file is the whole plan and nothing is
silently missing from it. Rows are ordered by ``due_at``, then delivery id. The columns carry
everything a post is made of (content, anchor, targets), so a post can be recreated from its
rows: the anchor is kept as planned (milestone, offset, local time), not only as the resolved
``due_at``, because a milestone that moves must carry its posts along. One known gap: a tag
that itself contains ``;`` does not survive the join (tags are not yet refused for it).

Spreadsheet formula injection: Excel, LibreOffice Calc and Google Sheets treat a cell that
starts with ``=``, ``+``, ``-`` or ``@`` as a formula, and some also after a leading tab or
carriage return. Bodies, handles, tags and milestone names are typed by people, so a body such
as ``=HYPERLINK(...)`` or a DDE payload would run on the machine of whoever opens the export.
Such a cell is written with a single quote in front, which spreadsheets take to mean "text" and
do not show; handles usually start with ``@``, so most of them carry one. A cell that already
starts with a quote gets one more, so reading the file back has one lossless rule for every
column: a cell that starts with a quote loses exactly one.

The one exception is ``offset``: a value that is a valid offset (``scheduler.planning.timeline``
accepts it) is written as it is. Validated offsets are a sign, ``P``, digits and unit letters;
a spreadsheet can read ``-P14D`` at most as a cell reference, never as a function call, and a
quote in front would break the value for anyone reading the file without the importer. An
offset that does not validate (only possible if the database was written around the service)
is guarded like any other cell.

Reading a file back is ``scheduler.exchange.csv_import``'s job; ``unguard_formula`` below is the
one rule it applies to every cell.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time

from sqlmodel import Session, col, select

from scheduler.core.errors import Invalid
from scheduler.core.models import Account, Delivery, DeliveryStatus, Milestone, Post
from scheduler.planning.productions import get_production, list_milestones
from scheduler.planning.timeline import parse_offset

COLUMNS = (
    "post_id",
    "delivery_id",
    "pillar",
    "template",
    "body",
    "variables",
    "tags",
    "media",
    "milestone",
    "offset",
    "local_time",
    "at",
    "platform",
    "handle",
    "due_at",
    "status",
)
#: Leading characters that make a spreadsheet evaluate a cell, plus the quote that escapes them.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
TAG_SEPARATOR = ";"


@dataclass(frozen=True)
class ScheduleEntry:
    """One delivery with the post and account it belongs to."""

    delivery: Delivery
    post: Post
    account: Account


def schedule_entries(
    *, session: Session, production_id: int, include_cancelled: bool = True
) -> list[ScheduleEntry]:
    """A production's deliveries, soonest first; NotFound for an unknown production."""
    get_production(session=session, production_id=production_id)
    return entries_of(session, [production_id], include_cancelled=include_cancelled)


def entries_of(
    session: Session,
    production_ids: Iterable[int],
    *,
    include_cancelled: bool = True,
    since: datetime | None = None,
    before: datetime | None = None,
    limit: int | None = None,
    latest: bool = False,
) -> list[ScheduleEntry]:
    """The productions' deliveries due in [``since``, ``before``), soonest first, in one query.

    ``limit``: the first so many (``latest``: the last so many, still soonest first), so a
    page of a long agenda reads only its page.
    """
    query = (
        select(Delivery, Post, Account)
        .join(Post, col(Post.id) == col(Delivery.post_id))
        .join(Account, col(Account.id) == col(Delivery.account_id))
        .where(col(Post.production_id).in_(sorted(set(production_ids))))
    )
    if latest:
        query = query.order_by(col(Delivery.due_at).desc(), col(Delivery.id).desc())
    else:
        query = query.order_by(col(Delivery.due_at), col(Delivery.id))
    if not include_cancelled:
        query = query.where(col(Delivery.status) != DeliveryStatus.cancelled.value)
    if since is not None:
        query = query.where(col(Delivery.due_at) >= since)
    if before is not None:
        query = query.where(col(Delivery.due_at) < before)
    if limit is not None:
        query = query.limit(limit)
    found = [ScheduleEntry(d, p, a) for d, p, a in session.exec(query)]
    return found[::-1] if latest else found


def iso_utc(instant: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, as the API writes times; microseconds kept if present."""
    return instant.astimezone(UTC).isoformat().removesuffix("+00:00") + "Z"


def guard_formula(value: str) -> str:
    """``value`` made safe to open in a spreadsheet: see the module docstring."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def unguard_formula(cell: str) -> str:
    """The value ``guard_formula`` was given: a cell that starts with a quote loses exactly one.

    One rule for every column (valid offsets never start with a quote) keeps a round trip
    lossless: ``'=cmd`` reads as ``=cmd`` and ``''quoted`` as ``'quoted``.
    """
    return cell[1:] if cell.startswith("'") else cell


def _offset_cell(offset: str | None) -> str:
    if not offset:
        return ""
    try:
        parse_offset(offset)
    except Invalid:
        return guard_formula(offset)
    return offset


def _local_time(value: time | None) -> str:
    if value is None:
        return ""
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


def _row(entry: ScheduleEntry, milestones: dict[int, Milestone]) -> dict[str, str | int]:
    post, delivery = entry.post, entry.delivery
    milestone = milestones.get(post.anchor_milestone_id or 0)
    text = {
        "pillar": post.pillar,
        "template": post.template or "",
        "body": post.body or "",
        "variables": json.dumps(post.variables, ensure_ascii=False),
        "tags": TAG_SEPARATOR.join(post.tags),
        "media": json.dumps(post.media, ensure_ascii=False),
        "milestone": milestone.name if milestone else "",
        "local_time": _local_time(post.anchor_local_time),
        "at": iso_utc(post.anchor_at) if post.anchor_at else "",
        "platform": entry.account.platform,
        "handle": entry.account.handle,
        "due_at": iso_utc(delivery.due_at),
        "status": delivery.status,
    }
    row: dict[str, str | int] = {k: guard_formula(v) for k, v in text.items()}
    row.update(
        post_id=post.id or 0,
        delivery_id=delivery.id or 0,
        offset=_offset_cell(post.anchor_offset),
    )
    return row


def write_rows(rows: Iterable[dict[str, str | int]]) -> str:
    """The CSV text (RFC 4180: comma, double quotes, CRLF) of ``rows`` under the header."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def export_schedule(*, session: Session, production_id: int) -> str:
    """Every delivery of a production as CSV; NotFound for an unknown production."""
    milestones = {
        m.id or 0: m for m in list_milestones(session=session, production_id=production_id)
    }
    entries = schedule_entries(session=session, production_id=production_id)
    return write_rows(_row(entry, milestones) for entry in entries)
