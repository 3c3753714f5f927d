"""Rows into the posts to create: grouped by ``post_id``, resolved against the production.

A group's rows must agree on the post; its milestone and each row's account are looked up by
name in this production's milestones and the accounts; and the post is validated as a
``PostCreate``, each complaint put back on the line and column it came from. Apart from
``rows`` because this is where the file meets the database (what a name refers to), and from
the writing because nothing here is written.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError
from sqlmodel import Session, select

from scheduler.accounts.productions import list_accounts
from scheduler.core.errors import Invalid
from scheduler.core.models import Account, DeliveryStatus, Milestone
from scheduler.exchange.csv_import.rows import CellError, CsvProblem, Reader, Row, post_fields
from scheduler.exchange.schedule import COLUMNS
from scheduler.posts.schemas import PostCreate

#: The columns that describe the post itself: every row of one ``post_id`` must agree on them.
POST_COLUMNS = (
    "pillar",
    "template",
    "body",
    "variables",
    "tags",
    "media",
    "milestone",
    "offset",
    "local_time",
    "at",
)
#: Where ``create_post``'s and ``PostCreate``'s field names are in the file.
_FIELD_COLUMNS = {
    "anchor": "milestone",
    "anchor.milestone_id": "milestone",
    "anchor.offset": "offset",
    "anchor.local_time": "local_time",
    "anchor.at": "at",
    "account_ids": "handle",
}


@dataclass(frozen=True)
class Lookups:
    """The names a file may use: this production's milestones and the accounts it serves (an
    account of another production reads as no account at all)."""

    milestones: dict[str, int]
    accounts: dict[tuple[str, str], Account]
    platforms: frozenset[str]

    @classmethod
    def load(cls, session: Session, production_id: int) -> Lookups:
        found = session.exec(select(Milestone).where(Milestone.production_id == production_id))
        served = list_accounts(session=session, visible={production_id})
        accounts = {(a.platform, a.handle): a for a in served}
        return cls(
            milestones={m.name: m.id or 0 for m in found},
            accounts=accounts,
            platforms=frozenset(platform for platform, _ in accounts),
        )

    def milestone(self, name: str) -> int | None:
        if not name:
            return None
        found = self.milestones.get(name, self.milestones.get(name.strip()))
        if found is None:
            known = ", ".join(repr(n) for n in sorted(self.milestones)) or "none"
            raise CellError(f"no milestone named {name!r} in this production; it has: {known}")
        return found

    def account(self, row: Row) -> Account | CsvProblem:
        platform, handle = row.text("platform"), row.text("handle")
        if not platform or not handle:
            column = "handle" if platform else "platform"
            return CsvProblem(row.line, column, "required: platform and handle name the account")
        found = self.accounts.get((platform, handle), self.accounts.get((platform, handle.strip())))
        if found is not None:
            return found
        if platform not in self.platforms:
            return CsvProblem(row.line, "platform", f"no account on platform {platform!r}")
        return CsvProblem(row.line, "handle", f"no {platform} account {handle!r}")


def group_rows(rows: list[Row]) -> list[list[Row]]:
    """Rows by post, in order of first appearance; cancelled rows are left out."""
    groups: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        if row.text("status").lower() == DeliveryStatus.cancelled.value:
            continue
        post_id = row.text("post_id")
        key = ("post", post_id) if post_id else ("line", str(row.line))
        groups.setdefault(key, []).append(row)
    return list(groups.values())


@dataclass(frozen=True)
class Draft:
    """A post ready for ``create_post``, and the rows (with their accounts) it came from."""

    data: PostCreate
    targets: tuple[tuple[Row, Account], ...]

    def problem(self, exc: Invalid) -> CsvProblem:
        """``create_post``'s complaint on the right line: a platform's refusal names its account."""
        line = self.targets[0][0].line
        for row, account in self.targets:
            if exc.message.startswith(f"{account.platform} {account.handle}:"):
                line = row.line
        return CsvProblem(line, _column_of(exc.field), exc.message)


def _column_of(field_name: str) -> str:
    """The file's column for a service or schema field (``anchor.offset`` → ``offset``)."""
    parts = field_name.split(".")
    for end in range(len(parts), 0, -1):
        name = ".".join(parts[:end])
        if name in _FIELD_COLUMNS:
            return _FIELD_COLUMNS[name]
        if name in COLUMNS:
            return name
    return field_name


def _disagreements(group: list[Row], columns: frozenset[str]) -> list[CsvProblem]:
    """Rows of one post that describe it differently: which one is meant is anyone's guess."""
    first = group[0]
    return [
        CsvProblem(row.line, c, f"differs from line {first.line}, a row of the same post_id")
        for row in group[1:]
        for c in POST_COLUMNS
        if c in columns and row.text(c) != first.text(c)
    ]


def _targets(group: list[Row], lookups: Lookups, problems: list[CsvProblem]) -> list[Account]:
    """Each row's account; an unknown or repeated account is a problem on its row."""
    accounts: dict[int, Account] = {}
    for row in group:
        found = lookups.account(row)
        if isinstance(found, CsvProblem):
            problems.append(found)
        elif (found.id or 0) in accounts:
            problems.append(CsvProblem(row.line, "handle", "this post lists the account twice"))
        else:
            accounts[found.id or 0] = found
    return list(accounts.values())


def make_draft(
    group: list[Row],
    lookups: Lookups,
    production_id: int,
    columns: frozenset[str],
    problems: list[CsvProblem],
) -> Draft | None:
    """The group as a ``PostCreate``, or None with its problems added to ``problems``."""
    found = _disagreements(group, columns)
    fields = post_fields(Reader(group[0], columns, found), lookups.milestone)
    accounts = _targets(group, lookups, found)
    problems.extend(found)
    if found:
        return None
    fields.update(production_id=production_id, account_ids=[a.id for a in accounts])
    try:
        data = PostCreate.model_validate(fields)
    except ValidationError as exc:
        line = group[0].line
        for error in exc.errors():
            column = _column_of(".".join(str(part) for part in error["loc"]))
            problems.append(CsvProblem(line, column, error["msg"]))
        return None
    return Draft(data=data, targets=tuple(zip(group, accounts, strict=True)))
