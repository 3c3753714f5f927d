"""``callsheet people``: add people, give roles, make tokens, from the machine Callsheet runs on.

Whoever can run this already holds the database, so these commands need no token: they are
how the first site admin (and their first token) comes to exist on a fresh install.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from sqlmodel import Session, col, select

from scheduler.cli.output import console, session_or_exit
from scheduler.core.clock import machine_now
from scheduler.core.errors import NotFound
from scheduler.core.models import Person, Role

app = typer.Typer(help="People, their roles and their API tokens.", no_args_is_help=True)
OPERATOR = "callsheet people (operator)"


def _person(session: Session, email: str) -> Person:
    person = session.exec(select(Person).where(Person.email == email.strip().lower())).first()
    if person is None:
        raise NotFound("person", email)
    return person


@app.command("add")
def add(
    name: Annotated[str, typer.Option(help="Their name, as the audit trail shows it")],
    email: Annotated[str, typer.Option(help="Their email (unique)")],
    site_admin: Annotated[bool, typer.Option("--site-admin", help="May do everything")] = False,
    password: Annotated[
        bool, typer.Option("--password", help="Ask for a password (for the web pages)")
    ] = False,
) -> None:
    """Add a person."""
    from scheduler.people.members import create_person

    secret = (
        typer.prompt("password", hide_input=True, confirmation_prompt=True) if password else None
    )
    with session_or_exit() as session:
        person = create_person(
            session=session,
            name=name,
            email=email,
            password=secret,
            site_admin=site_admin,
            actor=OPERATOR,
        )
        shown = f"{person.id}: {person.actor}"
    console.print(f"[green]added {escape(shown)}[/green]")


@app.command("role")
def role(
    email: Annotated[str, typer.Argument(help="The person")],
    production: Annotated[int, typer.Argument(help="Production id")],
    role_name: Annotated[
        Role, typer.Argument(metavar="ROLE", help="viewer|marketer|producer|admin")
    ],
) -> None:
    """Give a person a role in a production (or change it)."""
    from scheduler.people.members import set_role

    with session_or_exit() as session:
        person = _person(session, email)
        set_role(
            session=session,
            production_id=production,
            person_id=person.id or 0,
            role=role_name,
            actor=OPERATOR,
        )
    console.print(f"[green]{escape(email)} is {role_name.value} in production {production}[/green]")


@app.command("token")
def token(
    email: Annotated[str, typer.Argument(help="Whose token")],
    name: Annotated[str, typer.Option(help="What it is for")] = "cli",
    days: Annotated[int, typer.Option(min=1, max=366, help="Days until it expires")] = 90,
) -> None:
    """Make an API token and print it once (only its hash is kept)."""
    from scheduler.people.members import issue_token

    now = machine_now()
    with session_or_exit() as session:
        issued = issue_token(
            session=session,
            person=_person(session, email),
            name=name,
            expires_at=now + timedelta(days=days),
            actor=OPERATOR,
            now=now,
        )
    # Printed bare, so `export CALLSHEET_TOKEN=$(callsheet people token …)` works.
    print(issued.secret)


@app.command("list")
def list_people() -> None:
    """Everyone, with their roles."""
    from scheduler.people.members import roles_of

    table = Table("id", "name", "email", "site admin", "roles")
    with session_or_exit() as session:
        for person in session.exec(select(Person).order_by(col(Person.id))):
            roles = roles_of(session, person.id or 0)
            shown = ", ".join(f"{pid}: {r.value}" for pid, r in sorted(roles.items()))
            table.add_row(
                str(person.id),
                escape(person.name),
                escape(person.email),
                "yes" if person.site_admin else "",
                shown,
            )
    console.print(table)


@app.command("disable")
def disable(email: Annotated[str, typer.Argument(help="Their email")]) -> None:
    """Stop a person at once: their tokens and sessions no longer work, and are revoked."""
    _set_disabled(email, disabled=True)


@app.command("enable")
def enable(email: Annotated[str, typer.Argument(help="Their email")]) -> None:
    """Let a disabled person sign in again (with a new session or token)."""
    _set_disabled(email, disabled=False)


def _set_disabled(email: str, *, disabled: bool) -> None:
    from scheduler.core.clock import machine_now
    from scheduler.people.members import set_disabled

    with session_or_exit() as session:
        person = set_disabled(
            session=session,
            person_id=_person(session, email).id or 0,
            disabled=disabled,
            by=None,
            actor=OPERATOR,
            now=machine_now(),
        )
        shown = person.actor
    console.print(f"[green]{'disabled' if disabled else 'enabled'} {escape(shown)}[/green]")
