"""What every command shares: the console, and a session whose refusals end the command cleanly.

A refusal (``CallsheetError``) is a person's mistake, not a crash: it prints its reason in red
(escaped, since it may quote what they typed) and exits 1, never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from sqlmodel import Session

from scheduler.core.db import session_scope
from scheduler.core.errors import CallsheetError

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
