"""``callsheet accounts list | edit | remove``: look after platform accounts from a terminal.

The same service functions as the API's account routes (``scheduler.accounts``). Whoever can
run this holds the database already, so it needs no token, as ``callsheet people``. Removing
shows what it would cancel and asks before it does anything (``--yes`` does not ask).
"""

from __future__ import annotations

from datetime import time
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table

from scheduler.cli.output import console, refuse, session_or_exit

app = typer.Typer(help="Platform accounts: list, edit, remove.", no_args_is_help=True)
OPERATOR = "callsheet accounts (operator)"


@app.command("list")
def list_command(
    production: Annotated[int | None, typer.Option(help="Only one production's (id)")] = None,
) -> None:
    """The accounts in use, with the productions each serves and its quiet hours."""
    from scheduler.accounts.productions import list_accounts, served_by

    table = Table("id", "platform", "handle", "productions", "quiet hours", "needs reconnect")
    with session_or_exit() as session:
        accounts = list_accounts(session=session, visible=None, production_id=production)
        served = served_by(session, [a.id or 0 for a in accounts])
        for account in accounts:
            quiet = ""
            if account.quiet_start is not None and account.quiet_end is not None:
                zone = account.audience_timezone or "production's zone"
                quiet = f"{account.quiet_start:%H:%M}-{account.quiet_end:%H:%M} {zone}"
            table.add_row(
                str(account.id),
                account.platform,
                escape(account.handle),
                ", ".join(map(str, served[account.id or 0])),
                quiet,
                escape(account.needs_reconnect or ""),
            )
    console.print(table)


@app.command("edit")
def edit_command(
    account_id: Annotated[int, typer.Argument(help="The account (see `callsheet accounts list`)")],
    handle: Annotated[str | None, typer.Option(help="A new handle")] = None,
    timezone: Annotated[
        str | None, typer.Option(help="The audience's timezone, e.g. America/New_York")
    ] = None,
    quiet_start: Annotated[str | None, typer.Option(help="Quiet hours start, HH:MM")] = None,
    quiet_end: Annotated[str | None, typer.Option(help="Quiet hours end, HH:MM")] = None,
    no_quiet_hours: Annotated[
        bool, typer.Option("--no-quiet-hours", help="Clear the quiet hours")
    ] = False,
    setting: Annotated[
        list[str] | None,
        typer.Option(help="A readable setting, KEY=VALUE (repeat; secrets: the API)"),
    ] = None,
) -> None:
    """Change an account's handle, audience timezone, quiet hours or readable settings."""
    from scheduler.accounts.changes import edit_account
    from scheduler.accounts.schemas import AccountEdit

    given: dict[str, Any] = {}
    if handle is not None:
        given["handle"] = handle
    if timezone is not None:
        given["audience_timezone"] = timezone
    if no_quiet_hours:
        given["quiet_start"] = given["quiet_end"] = None
    if quiet_start is not None:
        given["quiet_start"] = _clock("--quiet-start", quiet_start)
    if quiet_end is not None:
        given["quiet_end"] = _clock("--quiet-end", quiet_end)
    if setting:
        given["settings"] = dict(_pair(item) for item in setting)
    if not given:
        raise typer.BadParameter("give at least one thing to change")
    try:
        data = AccountEdit.model_validate(given)
    except ValidationError as exc:
        first = exc.errors()[0]
        refuse(f"{'.'.join(map(str, first['loc']))}: {first['msg']}")
    with session_or_exit() as session:
        changed = edit_account(session=session, account_id=account_id, data=data, actor=OPERATOR)
        shown = f"{changed.account.platform}:{changed.account.handle}"
    console.print(f"[green]changed account {account_id} ({escape(shown)})[/green]")
    if changed.back_to_review:
        posts = ", ".join(map(str, changed.back_to_review))
        console.print(f"[yellow]back to review for the new handle: posts {posts}[/yellow]")


@app.command("remove")
def remove_command(
    account_id: Annotated[int, typer.Argument(help="The account (see `callsheet accounts list`)")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask")] = False,
) -> None:
    """Take an account out of use, cancelling what could still go out on it (asks first)."""
    from scheduler.accounts.removal import removal_preview, remove_account

    with session_or_exit() as session:
        preview = removal_preview(session=session, account_id=account_id)
    _show(preview.cancelled, "would cancel")
    if preview.publishing:
        busy = ", ".join(map(str, preview.publishing))
        console.print(f"[yellow]being published right now: deliveries {busy}[/yellow]")
    if not yes and not typer.confirm(f"remove account {account_id}?"):
        console.print("nothing removed")
        raise typer.Exit(1)
    with session_or_exit() as session:
        removed = remove_account(session=session, account_id=account_id, actor=OPERATOR)
    console.print(
        f"[green]removed account {account_id}; cancelled "
        f"{len(removed.cancelled)} deliveries[/green]"
    )


def _show(cancelled: list[Any], verb: str) -> None:
    if not cancelled:
        console.print(f"it {verb} no deliveries")
        return
    table = Table("delivery", "post", "status", "due (UTC)", title=f"it {verb}")
    for item in cancelled:
        table.add_row(
            str(item.delivery_id), str(item.post_id), item.status, f"{item.due_at:%Y-%m-%d %H:%M}"
        )
    console.print(table)


def _clock(option: str, value: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{option}: a time of day as HH:MM, not {value!r}") from None


def _pair(item: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key:
        raise typer.BadParameter(f"--setting: KEY=VALUE, not {item!r}")
    return key.strip(), value
