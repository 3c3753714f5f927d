"""``callsheet audit``: the audit trail in the terminal, newest first.

Like ``callsheet people`` it reads the database directly: whoever can run it already holds
the database. Every value that people typed (actors, reasons, before and after) is escaped,
so a reason such as "[red]" prints as written instead of restyling the table.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from scheduler.audit.trail import DEFAULT_LIMIT, MAX_LIMIT, AuditFilter, find_events
from scheduler.cli.output import console, session_or_exit

#: How much of a before/after the table shows; the API has the whole of it.
CHANGE_LIMIT = 120


def audit(
    production: Annotated[
        int | None,
        typer.Option(help="Only this production, its milestones, posts and deliveries (id)"),
    ] = None,
    entity: Annotated[
        str | None, typer.Option(help="Only this kind of thing: post, delivery, account …")
    ] = None,
    entity_id: Annotated[
        int | None, typer.Option("--id", help="Only this one (with --entity)")
    ] = None,
    actor: Annotated[str | None, typer.Option(help="Part of the actor's name or email")] = None,
    limit: Annotated[
        int, typer.Option(min=1, max=MAX_LIMIT, help="How many events, newest first")
    ] = DEFAULT_LIMIT,
) -> None:
    """Show who changed what, when, from what to what, and why."""
    wanted = AuditFilter(
        production_id=production, entity=entity, entity_id=entity_id, actor=actor, limit=limit
    )
    table = Table("id", "at (UTC)", "actor", "action", "entity", "change", "reason")
    with session_or_exit() as session:
        for event in find_events(session, wanted):
            table.add_row(
                str(event.id),
                f"{event.at:%Y-%m-%d %H:%M:%S}",
                escape(event.actor),
                escape(event.action),
                escape(f"{event.entity} {event.entity_id if event.entity_id else ''}".strip()),
                escape(_change(event.before, event.after)),
                escape(event.reason or ""),
            )
    if not table.row_count:
        console.print("no audit events match")
        return
    console.print(table)


def _change(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    """``before → after`` as compact JSON (or the side there is), shortened to fit a column."""
    was, now = _json(before), _json(after)
    shown = f"{was} → {now}" if was and now else (f"was {was}" if was else now)
    if len(shown) > CHANGE_LIMIT:
        shown = shown[: CHANGE_LIMIT - 1] + "…"
    return shown


def _json(value: dict[str, Any] | None) -> str:
    if not value:
        return ""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
