"""The ``callsheet`` command: demo, up, api, scheduler, worker, db upgrade, people, lint ..."""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlmodel import Session

from scheduler.cli.audit import audit
from scheduler.cli.lint import lint
from scheduler.cli.people import app as people_app
from scheduler.cli.processes import stop_process, worker_process
from scheduler.core.config import get_settings

app = typer.Typer(
    help="Callsheet: behind-the-scenes posts anchored to production milestones.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(people_app, name="people")
app.command("lint")(lint)
app.command("audit")(audit)
console = Console()


@app.callback()
def _refuse_unsafe_settings() -> None:
    """Every command starts by refusing settings that would be unsafe in production."""
    try:
        get_settings().refuse_unsafe()
    except ValueError as exc:
        console.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from None


@contextmanager
def _session_or_exit() -> Iterator[Session]:
    """A committed session for one command; a refusal prints its reason and exits 1."""
    from scheduler.core.db import session_scope
    from scheduler.core.errors import CallsheetError

    try:
        with session_scope() as session:
            yield session
    except CallsheetError as exc:
        console.print(f"[red]{escape(exc.message)}[/red]")  # the reason may quote user text
        raise typer.Exit(1) from None


def _logging(level: str = "INFO") -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Create or migrate the tables (Alembic) on CALLSHEET_DATABASE_URL."""
    from scheduler.core.migrate import upgrade

    upgrade(get_settings().database_url, revision)
    console.print(f"[green]database at {revision}[/green]")


@app.command()
def api(
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
) -> None:
    """Serve the HTTP API (OpenAPI at /docs)."""
    import uvicorn

    from scheduler.api import create_app

    settings = get_settings()
    uvicorn.run(create_app(), host=host or settings.api_host, port=port or settings.api_port)


@app.command("scheduler")
def scheduler_command() -> None:
    """Run the scheduler service: claim due deliveries each tick, reap expired leases."""
    from scheduler.core.clock import Clock
    from scheduler.core.db import get_engine
    from scheduler.queue.messages import celery_sender, create_celery
    from scheduler.queue.service import SchedulerService

    _logging()
    settings = get_settings()
    service = SchedulerService(
        engine=get_engine(),
        settings=settings,
        clock=Clock.from_settings(settings),
        send=celery_sender(create_celery(settings), settings.queue_name),
    )
    service.run_forever()


@app.command()
def worker(
    concurrency: Annotated[int | None, typer.Option(help="Parallel publishes")] = None,
    pool: Annotated[str | None, typer.Option(help="threads, prefork or solo")] = None,
    loglevel: Annotated[str, typer.Option(help="Celery log level")] = "INFO",
) -> None:
    """Run a Celery worker that renders and publishes claimed deliveries."""
    from workers.app import celery_app

    settings = get_settings()
    celery_app.worker_main(
        [
            "worker",
            f"--loglevel={loglevel}",
            f"--pool={pool or settings.worker_pool}",
            f"--concurrency={concurrency or settings.worker_concurrency}",
            f"--queues={settings.queue_name}",
            f"--hostname=callsheet-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
        ]
    )


@app.command()
def up() -> None:
    """Run API, scheduler and a worker together on this machine (local use)."""
    import uvicorn

    from scheduler.api import create_app
    from scheduler.core.clock import Clock
    from scheduler.core.db import get_engine
    from scheduler.core.migrate import upgrade
    from scheduler.queue.messages import celery_sender, create_celery
    from scheduler.queue.service import SchedulerService

    _logging()
    settings = get_settings()
    upgrade(settings.database_url)
    child = worker_process(settings)
    service = SchedulerService(
        engine=get_engine(),
        settings=settings,
        clock=Clock.from_settings(settings),
        send=celery_sender(create_celery(settings), settings.queue_name),
    )
    ticking = service.start_background()
    # uvicorn re-raises the signal that stopped it once it has shut down; turn that into a
    # normal exit so the scheduler and the worker child are stopped too, never orphaned.
    signal.signal(signal.SIGTERM, _exit_quietly)
    try:
        uvicorn.run(create_app(), host=settings.api_host, port=settings.api_port)
    except KeyboardInterrupt:
        pass
    finally:
        ticking.shutdown(wait=False)
        stop_process(child)


def _exit_quietly(signum: int, _frame: object) -> None:
    raise SystemExit(0)


@app.command("pause")
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
    with _session_or_exit() as session:
        row = pause(session=session, data=data, actor=by)
    console.print(f"[yellow]paused ({row.scope}) as pause {row.id}: {escape(row.reason)}[/yellow]")


@app.command("resume")
def resume_command(
    pause_id: Annotated[int, typer.Argument(help="The pause to end (see `callsheet pauses`)")],
    by: Annotated[str, typer.Option(help="Who is resuming")] = "cli",
) -> None:
    """End a pause; what it held back goes out from the next tick."""
    from scheduler.planning.pauses import resume

    with _session_or_exit() as session:
        row = resume(session=session, pause_id=pause_id, actor=by)
    console.print(f"[green]resumed pause {row.id} ({row.scope})[/green]")


@app.command("pauses")
def pauses_command() -> None:
    """List the pauses in force: what, who, since when, why."""
    from scheduler.core.db import session_scope
    from scheduler.planning.pauses import list_pauses

    table = Table("id", "scope", "target", "paused by", "since (UTC)", "reason")
    with session_scope() as session:
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


@app.command("timeline")
def timeline_command(
    production: Annotated[int, typer.Argument(help="The production (id)")],
) -> None:
    """Show a production's milestones and posts in time; held and embargoed posts marked."""

    from scheduler.cli.timeline import render_timeline, timeline_rows
    from scheduler.core.clock import Clock
    from scheduler.planning.productions import get_production

    with _session_or_exit() as session:
        shown = get_production(session=session, production_id=production)
        rows = timeline_rows(session=session, production_id=production)
    console.print(render_timeline(rows, production=shown, today=Clock.from_settings().now()))


@app.command()
def sandbox(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8700,
    keep: Annotated[
        Path | None, typer.Option(help="Also append every post received to this JSON-lines file")
    ] = None,
) -> None:
    """Serve imitations of the platforms' APIs on localhost, for rehearsals and tests."""
    import uvicorn

    from sandbox.app import create_app

    console.print(f"sandbox at http://{host}:{port}/ (what went out) - control API under /_sandbox")
    uvicorn.run(create_app(keep=keep), host=host, port=port, log_level="warning")


@app.command()
def platforms() -> None:
    """List the installed platform adapters (plugins included)."""
    from platforms.adapters.registry import platform_names

    table = Table("platform")
    for name in platform_names():
        table.add_row(name)
    console.print(table)


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
