"""``callsheet status``: the queue on one screen, or as JSON for a script or a dashboard."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from scheduler.cli.output import console, session_or_exit
from scheduler.core.clock import Clock, machine_now
from scheduler.core.config import get_settings
from scheduler.ops.status import WAITING, QueueStatus, ago, queue_status


def status_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables")] = False,
) -> None:
    """Backlog by state, oldest and next due, recent failures, pauses, accounts to reconnect,
    the workers seen; and, plainly, when deliveries are due and no worker is running."""
    settings = get_settings()
    with session_or_exit() as session:
        status = queue_status(
            session,
            Clock.from_settings(settings).now(),
            queue=settings.queue_name,
            machine=machine_now(),
        )
    if as_json:
        console.print_json(json.dumps(status.as_json()))
        return
    _show(status)


def _when(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "—"
    minutes = round((moment - now).total_seconds() / 60)
    if minutes < 0:
        return f"{moment:%Y-%m-%d %H:%M} UTC ([red]overdue by {-minutes} min[/red])"
    return f"{moment:%Y-%m-%d %H:%M} UTC (in {minutes} min)"


def _show(status: QueueStatus) -> None:
    states = Table("state", "deliveries", title=f"Backlog: {status.backlog} waiting")
    for state, count in status.by_state.items():
        style = "bold" if state in WAITING and count else ""
        states.add_row(state, f"[{style}]{count}[/{style}]" if style else str(count))
    console.print(states)
    console.print(f"oldest due: {_when(status.oldest_due, status.now)}")
    console.print(f"next due:   {_when(status.next_due, status.now)}")
    failed = f"[red]{status.failed_last_day}[/red]" if status.failed_last_day else "0"
    unknown = f"[yellow]{status.unknown_last_day}[/yellow]" if status.unknown_last_day else "0"
    console.print(f"last 24 h:  {failed} failed, {unknown} unknown")
    if status.pauses:
        pauses = Table("pause", "scope", "reason", "by", "since", title="Paused")
        for p in status.pauses:
            scope = p.scope if p.target is None else f"{p.scope} {p.target}"
            pauses.add_row(
                str(p.id),
                scope,
                escape(p.reason),
                escape(p.paused_by),
                f"{p.paused_at:%Y-%m-%d %H:%M}",
            )
        console.print(pauses)
    else:
        console.print("paused:     nothing")
    if status.reconnect:
        accounts = Table("account", "platform", "handle", "why", title="Accounts to reconnect")
        for a in status.reconnect:
            accounts.add_row(str(a.id), a.platform, escape(a.handle), escape(a.reason))
        console.print(accounts)
    else:
        console.print("accounts:   none waiting for a reconnect")
    _show_workers(status)


#: How each worker state is shown.
STATE_STYLE = {"alive": "green", "silent": "red", "stopped": "dim"}


def _show_workers(status: QueueStatus) -> None:
    if status.workers:
        title = f"Workers seen: {status.workers_alive} alive on {escape(status.queue)}"
        workers = Table(
            "worker", "queue", "state", "last seen", "publishes at once", "version", title=title
        )
        for w in status.workers:
            style = STATE_STYLE[w.state]
            workers.add_row(
                escape(w.name),
                escape(w.queue),
                f"[{style}]{w.state}[/{style}]",
                f"{ago(w.seconds_ago)} ago",
                str(w.concurrency),
                escape(w.version),
            )
        console.print(workers)
    else:
        console.print("workers:    none seen in the last day")
    if status.no_worker:
        console.print(f"[bold red]{escape(status.no_worker)}[/bold red]")
