"""The file as rows: its size and row limits, its header, and each cell read and parsed.

Everything here is about the file alone, with no database: a problem found here is the
sheet's own (a misspelt column, a cell that is not JSON, a time without a timezone), reported
by line and column and never stopping at the first. Apart from ``drafts``, which resolves the
rows against a production, and from the package's ``import_schedule``, which writes.
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

from scheduler.core.errors import Invalid
from scheduler.core.models import ContentPillar
from scheduler.exchange.schedule import COLUMNS, TAG_SEPARATOR, unguard_formula
from scheduler.planning.timeline import parse_offset

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5_000
REQUIRED = ("pillar", "platform", "handle")
#: Pairs of columns of which the file needs at least one, and each post exactly one filled in.
EITHER = (("template", "body"), ("milestone", "at"))
_TRIMMED = frozenset(
    {"pillar", "template", "platform", "offset", "local_time", "at", "post_id", "status"}
)
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


class CellError(ValueError):
    """A cell that cannot be read; the message says why."""


@dataclass(frozen=True)
class Row:
    """One data row: the line it starts on and its cells by column name, as written."""

    line: int
    cells: dict[str, str]

    def text(self, column: str) -> str:
        """The cell's value: formula guard undone, identifiers trimmed; empty if absent."""
        value = unguard_formula(self.cells.get(column, ""))
        return value.strip() if column in _TRIMMED else value


@dataclass
class Sheet:
    """A file split into its header and rows, with what is already wrong with them."""

    columns: frozenset[str]
    rows: list[Row] = field(default_factory=list)
    problems: list[CsvProblem] = field(default_factory=list)
    usable: bool = True


class Reader:
    """One row's cells through their parsers, noting every problem instead of stopping."""

    def __init__(self, row: Row, columns: frozenset[str], problems: list[CsvProblem]) -> None:
        self.row = row
        self.columns = columns
        self.problems = problems

    def get(self, column: str, parse: Callable[[str], T], fallback: T) -> T:
        try:
            return parse(self.row.text(column))
        except CellError as exc:
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
        raise CellError(f"{text!r} is not a content pillar; use one of: {known}") from None


def _optional(text: str) -> str | None:
    return text or None


def _json(text: str, kind: type[T], example: str) -> T:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CellError(f"not valid JSON: {exc.msg} (character {exc.pos + 1})") from None
    if not isinstance(value, kind):
        raise CellError(f"give a JSON {kind.__name__}, such as {example}")
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
        raise CellError(exc.message) from None
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
        raise CellError(f"{text!r} is not a time of day; write HH:MM, such as 18:00") from None


def _at(text: str) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise CellError(f"{text!r} is not an ISO 8601 time such as 2027-03-01T18:00:00Z") from None
    if value.tzinfo is None:
        raise CellError(f"{text!r} has no timezone; end it with Z or an offset such as +01:00")
    return value


def read_sheet(text: str) -> Sheet:
    """The file's header and non-blank rows; Invalid("file") when it is too big or empty."""
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise Invalid("file", f"the file is larger than {MAX_BYTES // 2**20} MB; split it")
    records = _records(text.removeprefix("\ufeff"))
    if not records:
        raise Invalid("file", "the file is empty; its first line names the columns")
    (header_line, header), *data = records
    names = [name.strip().lower() for name in header]
    sheet = Sheet(columns=frozenset(names))
    _check_header(sheet, header_line, names)
    for line, cells in data:
        if any(c.strip() for c in cells[len(names) :]):
            sheet.problems.append(
                CsvProblem(line, "row", f"{len(cells)} cells, but the header has {len(names)}")
            )
        sheet.rows.append(Row(line, dict(zip(names, cells, strict=False))))
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


def _check_header(sheet: Sheet, line: int, names: list[str]) -> None:
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


def post_fields(reader: Reader, milestone: Callable[[str], int | None]) -> dict[str, Any]:
    """The post itself, read from the first row of its group; ``milestone`` finds a name's id."""
    template = reader.get("template", _optional, None)
    body = reader.get("body", _optional, None)
    milestone_id = reader.get("milestone", milestone, None)
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
