"""Commands that run Callsheet's processes: the schema, the API, the scheduler, a worker, all three
together (``up``), and the platform sandbox.

The worker command is the one place the scheduler's package starts the worker (by naming its
Celery app); everything else hands work to workers by task name.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from scheduler.cli.output import console, refuse
from scheduler.cli.processes import stop_process, worker_process
from scheduler.core.config import get_settings
from scheduler.core.logs import configure_logging, uvicorn_log_config
from scheduler.ops.sharing import share_between_processes

#: The worker's Celery app, as Celery's ``--app`` names it.
WORKER_APP = "workers.app:celery_app"

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Create or migrate the tables (Alembic) on CALLSHEET_DATABASE_URL."""
    from scheduler.core.migrate import upgrade

    upgrade(get_settings().database_url, revision)
    console.print(f"[green]database at {revision}[/green]")


def api(
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="API processes; default CALLSHEET_API_WORKERS (1)"),
    ] = None,
) -> None:
    """Serve the HTTP API (OpenAPI at /docs).

    One process runs one request's Python at a time, so ``--workers N`` starts N processes
    (uvicorn's workers, sharing the port) to use N cores. Each builds its own app and
    connection pool; the database keeps them consistent.
    """
    import uvicorn

    settings = get_settings()
    settings.refuse_unsafe()  # here, once, rather than in every worker as it starts
    if (workers or settings.api_workers) > 1:
        share_between_processes()  # one /metrics sums what every API process counted
    uvicorn.run(
        "scheduler.api:create_app",
        factory=True,
        host=host or settings.api_host,
        port=port or settings.api_port,
        workers=workers or settings.api_workers,
        log_config=uvicorn_log_config(),  # its access log redacted like every other line
    )


def scheduler_command() -> None:
    """Run the scheduler service: claim due deliveries each tick, reap expired leases."""
    from scheduler.core.clock import Clock
    from scheduler.core.db import get_engine
    from scheduler.queue.messages import celery_sender, create_celery
    from scheduler.queue.service import SchedulerService

    configure_logging()
    settings = get_settings()
    if settings.metrics_port is not None:
        from scheduler.ops.metrics import serve_metrics

        serve_metrics(settings.metrics_port)
    service = SchedulerService(
        engine=get_engine(),
        settings=settings,
        clock=Clock.from_settings(settings),
        send=celery_sender(create_celery(settings), settings.queue_name),
    )
    service.run_forever()


def worker(
    concurrency: Annotated[int | None, typer.Option(help="Parallel publishes")] = None,
    pool: Annotated[str | None, typer.Option(help="threads, prefork or solo")] = None,
    loglevel: Annotated[str, typer.Option(help="Celery log level")] = "INFO",
) -> None:
    """Run a Celery worker that renders and publishes claimed deliveries.

    It exits with the worker's own exit code: non-zero when Celery stopped it on an error, so a
    supervisor that restarts on failure brings it back. (Celery's ``worker_main`` drops that
    code and returns, which made every stop look like a clean exit 0.) Celery's command line,
    run standalone, exits with it.
    """
    from celery.bin.celery import celery as celery_command

    configure_logging(loglevel)  # Celery warns before its own logging starts: same format
    settings = get_settings()
    if (pool or settings.worker_pool) == "prefork":
        share_between_processes()  # the main process serves what its children count
    # Celery prints its banner straight to stdout; a JSON log has room for JSON lines only.
    quiet = ["--quiet"] if settings.log_format == "json" else []
    celery_command.main(
        [
            f"--app={WORKER_APP}",
            *quiet,
            "worker",
            f"--loglevel={loglevel}",
            f"--pool={pool or settings.worker_pool}",
            f"--concurrency={concurrency or settings.worker_concurrency}",
            f"--queues={settings.queue_name}",
            f"--hostname=callsheet-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
        ],
        prog_name="callsheet worker",
    )


def up(
    host: Annotated[str | None, typer.Option(help="Address the API listens on")] = None,
    port: Annotated[int | None, typer.Option(help="Port the API listens on")] = None,
    database: Annotated[
        str | None,
        typer.Option(help="A database URL, or a SQLite file's path; default: the embedded one"),
    ] = None,
    sign_in_link: Annotated[
        str | None,
        typer.Option(
            metavar="EMAIL",
            help="Print a one-time link (15 minutes) that signs this person in to the pages",
        ),
    ] = None,
) -> None:
    """Run API, scheduler and a worker together on this machine (local use); the schema is
    brought up to date first. The pages are at /app/."""
    import uvicorn

    from scheduler.api import create_app
    from scheduler.core.clock import Clock
    from scheduler.core.db import get_engine
    from scheduler.core.migrate import upgrade
    from scheduler.queue.messages import celery_sender, create_celery
    from scheduler.queue.service import SchedulerService

    if database is not None:  # for this process (API and scheduler) and the worker it starts
        url = database if "://" in database else f"sqlite:///{Path(database).resolve()}"
        os.environ["CALLSHEET_DATABASE_URL"] = url
        get_settings.cache_clear()
    configure_logging()
    settings = get_settings()
    console.print(
        f"database: {escape(_shown(settings.database_url))}", highlight=False, soft_wrap=True
    )
    upgrade(settings.database_url)
    address = f"http://{host or settings.api_host}:{port or settings.api_port}"
    console.print(f"pages: {address}/app/", highlight=False)
    if sign_in_link is not None:
        console.print(_link(sign_in_link, address), highlight=False, soft_wrap=True)
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
        uvicorn.run(
            create_app(),
            host=host or settings.api_host,
            port=port or settings.api_port,
            log_config=uvicorn_log_config(),
        )
    except KeyboardInterrupt:
        pass
    finally:
        ticking.shutdown(wait=False)
        stop_process(child)


def _link(email: str, address: str) -> str:
    """A one-time sign-in link for the person with ``email``, leading to their production's
    calendar when they have one production (the demo's producer), else to their home page."""
    from sqlmodel import Session, select

    from scheduler.core.clock import machine_now
    from scheduler.core.db import get_engine
    from scheduler.core.models import Person
    from scheduler.people.members import issue_sign_in_link, roles_of

    with Session(get_engine(), expire_on_commit=False) as session:
        person = session.exec(select(Person).where(Person.email == email.strip().lower())).first()
        if person is None:
            refuse(f"no person has the email {email!r}: `callsheet people add` makes one")
        secret = issue_sign_in_link(
            session=session, person=person, actor="callsheet up", now=machine_now()
        )
        productions = list(roles_of(session, person.id or 0))
        session.commit()
        landing = (
            f"/app/productions/{productions[0]}/calendar" if len(productions) == 1 else "/app/"
        )
    return (
        f"Sign in as {escape(person.name)} (one use, 15 minutes): "
        f"{address}/app/sign-in/link/{secret}?next={landing}"
    )


def _shown(url: str) -> str:
    """A database URL as a person may see it: its password left out."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _exit_quietly(signum: int, _frame: object) -> None:
    raise SystemExit(0)


def sandbox(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8700,
    keep: Annotated[
        Path | None, typer.Option(help="Also append every post received to this JSON-lines file")
    ] = None,
) -> None:
    """Serve imitations of the platforms' APIs on localhost, for rehearsals and tests; print
    the account settings that publish into it, and log each request it answers."""
    import json

    import uvicorn

    from sandbox.accounts import account_settings, platforms
    from sandbox.app import create_app

    url = f"http://{host}:{port}"
    console.print(f"sandbox at {url}/ (what went out) - control API under /_sandbox")
    console.print('Account settings that publish here (POST /accounts "settings"):')
    for platform in platforms():
        shown = json.dumps(account_settings(platform, url))
        console.print(f"  {platform:<10} {escape(shown)}", highlight=False, soft_wrap=True)
    uvicorn.run(
        create_app(keep=keep),
        host=host,
        port=port,
        log_level="info",
        log_config=uvicorn_log_config(),
    )
