"""A production's schedule read from CSV: the export's own file, or a sheet written by hand.

Columns (the header row names them, in any order, case-insensitive):

============  =================================================================================
pillar        required: the content pillar (``ContentPillar`` value)
platform      required: with ``handle``, names an existing account, one target of the post
handle        required
template      a template name; the file needs a ``template`` or a ``body`` column, and each
body          post exactly one of the two filled in (a body is kept exactly as written)
variables     optional: the template variables, a JSON object (empty means ``{}``)
tags          optional: tags separated by ``;``, spaces around each dropped
media         optional: media references, a JSON array (empty means ``[]``)
milestone     the name of a milestone of this production; the file needs a ``milestone`` or an
at            ``at`` column, and each post exactly one of the two filled in. ``at`` is ISO 8601
              and must carry a timezone (``2027-03-01T18:00:00Z``, ``...+01:00``)
offset        optional, with a milestone: ``-P14D``, ``+PT2H`` (as in the API)
local_time    optional, with a milestone: ``HH:MM`` or ``HH:MM:SS``
post_id       optional: rows that share it are one post going out on each row's account; a row
              without it is a post of its own. It only groups rows and never names an existing
              post, so an export imports into another production as new posts
delivery_id   ignored: new deliveries get new ids
due_at        ignored: due times are worked out again from the anchor, as for any new post
status        ignored, except that ``cancelled`` rows are skipped, so a dropped target stays
              dropped
============  =================================================================================

Any other column name is refused, so a misspelt column is reported rather than silently lost.
Every created post is a draft of ``actor``: an import plans, it never approves.

Why everything is validated before anything is kept: a sheet with typos should come back with
every problem listed at once (line and column) instead of one per attempt, and a half-imported
sheet is worse than none, because importing the corrected file would duplicate the first half.
So every row is read and checked first (cells, milestone names, accounts, rows of one post that
disagree). Then every post goes through ``scheduler.posts.lifecycle.create_post``, the API's own
validation and rendering, so a template error or a platform's refusal is reported here too;
each post in its own SAVEPOINT, so one failure neither hides the next post's problems nor leaves
rows behind, and all of them inside one outer SAVEPOINT that is rolled back if any problem was
found. Only then is ``CsvInvalid`` raised: the caller's transaction holds nothing of the import.

Line numbers count lines of the file: the header is line 1 and a row is numbered by the line
it starts on. That is a spreadsheet's row number too, unless a cell above holds a line break.

Cells are read back by the export's rule (``unguard_formula``: one leading quote is dropped),
then identifiers (pillar, template, platform, offset, local_time, at, post_id, status) lose
surrounding spaces. Milestone names and handles are matched exactly, then without surrounding
spaces. Limits: ``MAX_BYTES`` of UTF-8 and ``MAX_ROWS`` data rows.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlmodel import Session, select

from scheduler.core.errors import Invalid
from scheduler.core.models import Account, ContentPillar, DeliveryStatus, Milestone, Post
from scheduler.exchange.schedule import COLUMNS, TAG_SEPARATOR, unguard_formula
from scheduler.planning.productions import get_production
from scheduler.planning.timeline import parse_offset
from scheduler.posts.lifecycle import create_post
from scheduler.posts.schemas import PostCreate

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5_000
REQUIRED = ("pillar", "platform", "handle")
#: Pairs of columns of which the file needs at least one, and each post exactly one filled in.
EITHER = (("template", "body"), ("milestone", "at"))
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
_TRIMMED = frozenset(
    {"pillar", "template", "platform", "offset", "local_time", "at", "post_id", "status"}
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
_LOCAL_TIME = re.compile(r"(\d{2}):(\d{2})(?::(\d{2}))?")

T = TypeVar("T")


@dataclass(frozen=True)
class CsvProblem:
    """One thing wrong with a file: where (line, column) and what, in words a marketer can use."""

    line: int
    column: str
    message: str


class CsvInvalid(Invalid):
    """Every problem found in a file, in line order; nothing of the file was written."""

    def __init__(self, problems: list[CsvProblem]) -> None:
        ordered = sorted(problems, key=lambda p: p.line)
        first = ordered[0]
        super().__init__(
            "file",
            f"{len(ordered)} problem(s); line {first.line}, {first.column}: {first.message}",
        )
        self.problems = ordered


class _CellError(ValueError):
    """A cell that cannot be read; the message says why."""


@dataclass(frozen=True)
class _Row:
    """One data row: the line it starts on and its cells by column name, as written."""

    line: int
    cells: dict[str, str]

    def text(self, column: str) -> str:
        """The cell's value: formula guard undone, identifiers trimmed; empty if absent."""
        value = unguard_formula(self.cells.get(column, ""))
        return value.strip() if column in _TRIMMED else value


@dataclass
class _Sheet:
    """A file split into its header and rows, with what is already wrong with them."""

    columns: frozenset[str]
    rows: list[_Row] = field(default_factory=list)
    problems: list[CsvProblem] = field(default_factory=list)
    usable: bool = True


@dataclass(frozen=True)
class _Lookups:
    """The names a file may use: this production's milestones and every account."""

    milestones: dict[str, int]
    accounts: dict[tuple[str, str], Account]
    platforms: frozenset[str]

    @classmethod
    def load(cls, session: Session, production_id: int) -> _Lookups:
        found = session.exec(select(Milestone).where(Milestone.production_id == production_id))
        accounts = {(a.platform, a.handle): a for a in session.exec(select(Account))}
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
            raise _CellError(f"no milestone named {name!r} in this production; it has: {known}")
        return found

    def account(self, row: _Row) -> Account | CsvProblem:
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


class _Reader:
    """One row's cells through their parsers, noting every problem instead of stopping."""

    def __init__(self, row: _Row, columns: frozenset[str], problems: list[CsvProblem]) -> None:
        self.row = row
        self.columns = columns
        self.problems = problems

    def get(self, column: str, parse: Callable[[str], T], fallback: T) -> T:
        try:
            return parse(self.row.text(column))
        except _CellError as exc:
            self.fail(column, str(exc))
            return fallback

    def fail(self, column: str, message: str) -> None:
        self.problems.append(CsvProblem(self.row.line, column, message))

    def one_of(self, pair: tuple[str, str], values: tuple[object, object], what: str) -> None:
        """Exactly one of two cells filled in, else a problem on a column the file has.

        A cell already reported as unreadable counts as filled in: one complaint is enough.
        """
        reported = {p.column for p in self.problems if p.line == self.row.line}
        if reported & set(pair):
            return
        if (values[0] is None) == (values[1] is None):
            column = pair[0] if pair[0] in self.columns else pair[1]
            extra = ", not both" if values[0] is not None else ""
            self.fail(column, f"give {what}{extra}")


def _pillar(text: str) -> ContentPillar:
    try:
        return ContentPillar(text)
    except ValueError:
        known = ", ".join(p.value for p in ContentPillar)
        raise _CellError(f"{text!r} is not a content pillar; use one of: {known}") from None


def _optional(text: str) -> str | None:
    return text or None


def _json(text: str, kind: type[T], example: str) -> T:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _CellError(f"not valid JSON: {exc.msg} (character {exc.pos + 1})") from None
    if not isinstance(value, kind):
        raise _CellError(f"give a JSON {kind.__name__}, such as {example}")
    return value


def _variables(text: str) -> dict[str, Any]:
    return _json(text, dict, '{"take": 3}') if text.strip() else {}


def _media(text: str) -> list[Any]:
    return _json(text, list, '["https://cdn.example/still.jpg"]') if text.strip() else []


def _tags(text: str) -> list[str]:
    return [tag.strip() for tag in text.split(TAG_SEPARATOR) if tag.strip()]


def _offset(text: str) -> str | None:
    if not text:
        return None
    try:
        parse_offset(text, field="offset")
    except Invalid as exc:
        raise _CellError(exc.message) from None
    return text


def _local_time(text: str) -> time | None:
    if not text:
        return None
    match = _LOCAL_TIME.fullmatch(text)
    try:
        if match is None:
            raise ValueError(text)
        return time(int(match[1]), int(match[2]), int(match[3] or 0))
    except ValueError:
        raise _CellError(f"{text!r} is not a time of day; write HH:MM, such as 18:00") from None


def _at(text: str) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise _CellError(f"{text!r} is not an ISO 8601 time such as 2027-03-01T18:00:00Z") from None
    if value.tzinfo is None:
        raise _CellError(f"{text!r} has no timezone; end it with Z or an offset such as +01:00")
    return value


def _read(text: str) -> _Sheet:
    """The file's header and non-blank rows; Invalid("file") when it is too big or empty."""
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise Invalid("file", f"the file is larger than {MAX_BYTES // 2**20} MB; split it")
    records = _records(text.removeprefix("\ufeff"))
    if not records:
        raise Invalid("file", "the file is empty; its first line names the columns")
    (header_line, header), *data = records
    names = [name.strip().lower() for name in header]
    sheet = _Sheet(columns=frozenset(names))
    _check_header(sheet, header_line, names)
    for line, cells in data:
        if any(c.strip() for c in cells[len(names) :]):
            sheet.problems.append(
                CsvProblem(line, "row", f"{len(cells)} cells, but the header has {len(names)}")
            )
        sheet.rows.append(_Row(line, dict(zip(names, cells, strict=False))))
    return sheet


def _records(text: str) -> list[tuple[int, list[str]]]:
    """Each non-blank record with the line it starts on; too many rows is Invalid("file")."""
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                records.append((line, cells))
            if len(records) > MAX_ROWS + 1:  # the header, then the rows
                raise Invalid("file", f"more than {MAX_ROWS} rows; split the file")
            line = reader.line_num + 1
    except csv.Error as exc:
        raise CsvInvalid([CsvProblem(line, "file", f"not readable as CSV: {exc}")]) from None
    return records


def _check_header(sheet: _Sheet, line: int, names: list[str]) -> None:
    """Unknown or repeated names are problems; without the needed columns rows are not read."""
    seen: set[str] = set()
    for position, name in enumerate(names, start=1):
        if name in seen:
            sheet.problems.append(CsvProblem(line, name, "this column appears twice"))
            sheet.usable = False
        elif name not in COLUMNS:
            known = ", ".join(COLUMNS)
            shown = name or f"column {position}"
            sheet.problems.append(CsvProblem(line, shown, f"unknown column; known: {known}"))
        seen.add(name)
    for name in REQUIRED:
        if name not in seen:
            sheet.problems.append(CsvProblem(line, name, "this column is required"))
            sheet.usable = False
    for first, second in EITHER:
        if first not in seen and second not in seen:
            message = f"give a {first!r} or a {second!r} column"
            sheet.problems.append(CsvProblem(line, first, message))
            sheet.usable = False


def _groups(rows: list[_Row]) -> list[list[_Row]]:
    """Rows by post, in order of first appearance; cancelled rows are left out."""
    groups: dict[tuple[str, str], list[_Row]] = {}
    for row in rows:
        if row.text("status").lower() == DeliveryStatus.cancelled.value:
            continue
        post_id = row.text("post_id")
        key = ("post", post_id) if post_id else ("line", str(row.line))
        groups.setdefault(key, []).append(row)
    return list(groups.values())


@dataclass(frozen=True)
class _Draft:
    """A post ready for ``create_post``, and the rows (with their accounts) it came from."""

    data: PostCreate
    targets: tuple[tuple[_Row, Account], ...]

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


def _post_fields(reader: _Reader, lookups: _Lookups) -> dict[str, Any]:
    """The post itself, read from the first row of its group."""
    template = reader.get("template", _optional, None)
    body = reader.get("body", _optional, None)
    milestone_id = reader.get("milestone", lookups.milestone, None)
    at = reader.get("at", _at, None)
    reader.one_of(("template", "body"), (template, body), "a template or a body")
    reader.one_of(("milestone", "at"), (milestone_id, at), "a milestone or an absolute time 'at'")
    anchor = {
        "milestone_id": milestone_id,
        "offset": reader.get("offset", _offset, None),
        "local_time": reader.get("local_time", _local_time, None),
        "at": at,
    }
    return {
        "pillar": reader.get("pillar", _pillar, ContentPillar.on_set),
        "template": template,
        "body": body,
        "variables": reader.get("variables", _variables, None),
        "tags": reader.get("tags", _tags, None),
        "media": reader.get("media", _media, None),
        "anchor": anchor,
    }


def _disagreements(group: list[_Row], columns: frozenset[str]) -> list[CsvProblem]:
    """Rows of one post that describe it differently: which one is meant is anyone's guess."""
    first = group[0]
    return [
        CsvProblem(row.line, c, f"differs from line {first.line}, a row of the same post_id")
        for row in group[1:]
        for c in POST_COLUMNS
        if c in columns and row.text(c) != first.text(c)
    ]


def _targets(group: list[_Row], lookups: _Lookups, problems: list[CsvProblem]) -> list[Account]:
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


def _draft(
    group: list[_Row],
    lookups: _Lookups,
    production_id: int,
    columns: frozenset[str],
    problems: list[CsvProblem],
) -> _Draft | None:
    """The group as a ``PostCreate``, or None with its problems added to ``problems``."""
    found = _disagreements(group, columns)
    fields = _post_fields(_Reader(group[0], columns, found), lookups)
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
    return _Draft(data=data, targets=tuple(zip(group, accounts, strict=True)))


def _create(
    session: Session, drafts: list[_Draft], actor: str, problems: list[CsvProblem]
) -> list[Post]:
    """Create each post in a SAVEPOINT of its own; a refused one is rolled back and reported."""
    posts = []
    for draft in drafts:
        try:
            with session.begin_nested():
                posts.append(create_post(session=session, data=draft.data, actor=actor))
        except Invalid as exc:
            problems.append(draft.problem(exc))
    return posts


def import_schedule(*, session: Session, production_id: int, text: str, actor: str) -> list[Post]:
    """Create the posts a CSV describes as drafts, all of them or none.

    NotFound for an unknown production; Invalid("file") for a file too big or empty;
    ``CsvInvalid`` with every problem found, after rolling back whatever was tried.
    """
    get_production(session=session, production_id=production_id)
    sheet = _read(text)
    problems = list(sheet.problems)
    if not sheet.usable:
        raise CsvInvalid(problems)
    lookups = _Lookups.load(session, production_id)
    drafts = []
    for group in _groups(sheet.rows):
        draft = _draft(group, lookups, production_id, sheet.columns, problems)
        if draft is not None:
            drafts.append(draft)
    with session.begin_nested():  # rolled back by the raise below, with every post in it
        posts = _create(session, drafts, actor, problems)
        if problems:
            raise CsvInvalid(problems)
    return posts
