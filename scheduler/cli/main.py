"""The ``callsheet`` command: each command group lives in its own module; this one gathers them.

``serve`` runs the processes (db upgrade, api, scheduler, worker, up, sandbox); ``people``,
``accounts``, ``pauses``, ``audit``, ``timeline`` and ``lint`` are what a person does from a
terminal; ``demo`` plays a campaign on a fast clock.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from scheduler.cli import pauses, serve
from scheduler.cli.accounts import app as accounts_app
from scheduler.cli.audit import audit
from scheduler.cli.health import health
from scheduler.cli.lint import lint
from scheduler.cli.output import console, warnings
from scheduler.cli.people import app as people_app
from scheduler.cli.platforms import platforms_command
from scheduler.cli.status import status_command
from scheduler.cli.timeline import timeline_command
from scheduler.core.config import get_settings

app = typer.Typer(
    help="Callsheet: behind-the-scenes posts anchored to production milestones.",
    no_args_is_help=True,
    add_completion=False,
)
# Registered in the order `callsheet --help` has always listed them.
app.add_typer(serve.db_app, name="db")
app.add_typer(people_app, name="people")
app.command("lint")(lint)
app.command("audit")(audit)
app.command("api")(serve.api)
app.command("scheduler")(serve.scheduler_command)
app.command("worker")(serve.worker)
app.command("up")(serve.up)
app.command("pause")(pauses.pause_command)
app.command("resume")(pauses.resume_command)
app.command("pauses")(pauses.pauses_command)
app.command("timeline")(timeline_command)
app.command("sandbox")(serve.sandbox)
app.command("health")(health)
app.command("status")(status_command)
app.command("platforms")(platforms_command)
app.add_typer(accounts_app, name="accounts")


#: Commands that never open Callsheet's database (the demo makes its own), or name the one
#: they use themselves (``up --database``).
QUIET_ABOUT_DATABASE = frozenset({"demo", "sandbox", "lint", "platforms", "up"})


@app.callback()
def _refuse_unsafe_settings(context: typer.Context) -> None:
    """Every command starts by refusing settings that would be unsafe in production, by
    saying so when the secrets are sealed with the public development key, and by naming the
    database when it is the embedded default rather than one configured."""
    settings = get_settings()
    if settings.embedded and context.invoked_subcommand not in QUIET_ABOUT_DATABASE:
        path = settings.database_url.removeprefix("sqlite:///")
        warnings.print(
            f"[dim]database: the embedded one at {escape(path)} "
            "(CALLSHEET_DATABASE_URL names another)[/dim]",
            soft_wrap=True,
        )
    try:
        settings.refuse_unsafe()
    except ValueError as exc:
        console.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from None
    warning = settings.development_key_warning()
    if warning:  # on stderr: what scripts read from stdout stays clean
        warnings.print(f"[bold yellow]warning:[/bold yellow] {escape(warning)}")


@app.command()
def demo(
    directory: Annotated[Path, typer.Option("--dir", help="Where the demo keeps its files")] = Path(
        "callsheet-demo"
    ),
    seconds: Annotated[float, typer.Option(help="Real seconds the campaign takes")] = 20.0,
) -> None:
    """Plan a production's BTS campaign, approve it, and publish it on a fast clock."""
    from scheduler.cli.demo import run_demo

    raise typer.Exit(run_demo(directory=directory, seconds=seconds, console=console))


if __name__ == "__main__":
    app()
