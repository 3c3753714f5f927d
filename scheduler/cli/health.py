"""``callsheet health``: the readiness checks from a terminal or a container's health check.

The scheduler and the worker serve no HTTP, so compose asks this command whether their
container is ready; for the API it can ask the API's own ``/readyz`` instead (``--api``), which
also shows the API process answers. Exit 0 when ready, 1 when not: what health checks read.
``--workers`` also asks whether a worker is alive on this queue (from the database here, with
``--api`` too): for monitoring, never for a container's own readiness.
"""

from __future__ import annotations

from typing import Annotated

import httpx
import typer
from rich.markup import escape
from rich.table import Table

from scheduler.cli.output import console
from scheduler.core.clock import machine_now
from scheduler.core.config import get_settings
from scheduler.ops.health import CHECK_TIMEOUT, Check, readiness, ready, workers_check


def health(
    api: Annotated[
        str | None,
        typer.Option(help="An API's address (http://host:port): ask its /readyz instead"),
    ] = None,
    workers: Annotated[
        bool,
        typer.Option("--workers", help="Also check that a worker is alive on this queue"),
    ] = False,
) -> None:
    """Check the database, its schema and the broker; exit 1 when any is not ready."""
    checks = _asked(api) if api else _here()
    if workers:
        checks.append(_workers())
    table = Table("check", "state", "detail")
    for check in checks:
        state = "[green]ok[/green]" if check.ok else "[red]not ready[/red]"
        table.add_row(check.name, state, escape(check.detail))
    console.print(table)
    if not ready(checks):
        raise typer.Exit(1)


def _here() -> list[Check]:
    from scheduler.core.db import get_engine

    return readiness(get_engine(), get_settings().broker_url)


def _workers() -> Check:
    from scheduler.core.db import get_engine

    return workers_check(get_engine(), get_settings().queue_name, machine_now())


def _asked(api: str) -> list[Check]:
    url = f"{api.rstrip('/')}/readyz"
    try:
        answer = httpx.get(url, timeout=CHECK_TIMEOUT * 3)
        checks = answer.json()["checks"]
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return [Check("api", False, f"{url} does not answer")]
    return [
        Check("api", True, "answers"),
        *(Check(name, bool(c["ok"]), str(c["detail"])) for name, c in checks.items()),
    ]
