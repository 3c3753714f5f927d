"""What every command shares: the console, and a session whose refusals end the command cleanly.

A refusal (``CallsheetError``) is a person's mistake, not a crash: it prints its reason in red
(escaped, since it may quote what they typed) and exits 1, never a traceback. So is running a
command before the schema exists (the first thing a newcomer tries): it says which command
makes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import Session

from scheduler.core.db import get_engine, session_scope
from scheduler.core.errors import CallsheetError
from scheduler.ops.health import schema_check

console = Console()
#: Warnings go to stderr, so a command's output stays what scripts expect.
warnings = Console(stderr=True)


def refuse(message: str) -> NoReturn:
    """Print why the command cannot go on, and exit 1."""
    console.print(f"[red]{escape(message)}[/red]")
    raise typer.Exit(1)


@contextmanager
def session_or_exit() -> Iterator[Session]:
    """A committed session for one command; a refusal prints its reason and exits 1."""
    try:
        with session_scope() as session:
            yield session
    except CallsheetError as exc:
        refuse(exc.message)
    except (OperationalError, ProgrammingError):
        # A missing table is one of these on SQLite and PostgreSQL; so are other faults, which
        # keep their traceback: only a schema behind the code is answered in words.
        behind = [check for check in schema_check(get_engine()) if not check.ok]
        if behind:
            refuse(f"the database's {behind[0].name} is {behind[0].detail}")
        raise
