"""``callsheet pause | resume | pauses``: stop deliveries from going out, and let them go again.

The same service functions as the API's pause routes (``scheduler.planning.pauses``), for the
moment something goes wrong and the person who can stop it has only a terminal.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from scheduler.cli.output import console, session_or_exit


def pause_command(
    reason: Annotated[str, typer.Option(help="Why; shown to everyone who looks")],
    everything: Annotated[
        bool, typer.Option("--all", help="The kill switch: stop everything")
    ] = False,
    production: Annotated[int | None, typer.Option(help="Pause one production (id)")] = None,
    account: Annotated[int | None, typer.Option(help="Pause one account (id)")] = None,
    by: Annotated[str, typer.Option(help="Who is pausing")] = "cli",
) -> None:
    """Stop deliveries from going out: --all, --production ID or --account ID."""
    from scheduler.core.models import PauseScope
    from scheduler.planning.pauses import pause
    from scheduler.planning.schemas import PauseCreate

    chosen = [everything, production is not None, account is not None]
    if sum(chosen) != 1:
        raise typer.BadParameter("give exactly one of --all, --production, --account")
    scope = (
        PauseScope.all
        if everything
        else (PauseScope.production if production is not None else PauseScope.account)
    )
    data = PauseCreate(scope=scope, production_id=production, account_id=account, reason=reason)
    with session_or_exit() as session:
        row = pause(session=session, data=data, actor=by)
    console.print(f"[yellow]paused ({row.scope}) as pause {row.id}: {escape(row.reason)}[/yellow]")


def resume_command(
    pause_id: Annotated[int, typer.Argument(help="The pause to end (see `callsheet pauses`)")],
    by: Annotated[str, typer.Option(help="Who is resuming")] = "cli",
) -> None:
    """End a pause; what it held back goes out from the next tick."""
    from scheduler.planning.pauses import resume

    with session_or_exit() as session:
        row = resume(session=session, pause_id=pause_id, actor=by)
    console.print(f"[green]resumed pause {row.id} ({row.scope})[/green]")


def pauses_command() -> None:
    """List the pauses in force: what, who, since when, why."""
    from scheduler.planning.pauses import list_pauses

    table = Table("id", "scope", "target", "paused by", "since (UTC)", "reason")
    with session_or_exit() as session:
        for row in list_pauses(session=session):
            target = row.production_id or row.account_id or ""
            table.add_row(
                str(row.id),
                row.scope,
                str(target),
                escape(row.paused_by),
                f"{row.paused_at:%Y-%m-%d %H:%M}",
                escape(row.reason),
            )
    console.print(table)
