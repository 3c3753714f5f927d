"""The two shapes every room's schemas build on: what the API accepts, and what it answers.

Inputs refuse unknown fields, so a misspelt field is a 422 naming it rather than a silently
ignored setting. Answers are read from table rows. Each room keeps its own schemas beside its
services (``scheduler.<room>.schemas``): the services take them as arguments and the API
answers with them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from annotated_types import Interval
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    field_validator,
)

#: The largest id a row can have: id columns are ``Integer``, which is 32 bits on PostgreSQL
#: (SQLite's holds 64). Comparing a column with a larger number fails inside the database or
#: the driver ("integer out of range", ``OverflowError``: a 500), not as "no such row".
MAX_ID = 2**31 - 1
#: An id as the API takes it, in a path, a query or a body: a number outside 1..``MAX_ID`` is a
#: 422 naming the field, since no row can have it.
Id = Annotated[int, Interval(ge=1, le=MAX_ID)]

#: The years a time the API takes may fall in: far wider than anything a production plans,
#: and far from the calendar's ends, where converting an offset to UTC leaves it (midnight of
#: year 1, an hour east of UTC, is in year 0: an ``OverflowError``, a 500).
FIRST_YEAR, LAST_YEAR = 1900, 2999


def _within_the_years_in_utc(value: datetime) -> datetime:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"must fall between the years {FIRST_YEAR} and {LAST_YEAR}")
    return value.astimezone(UTC)


#: A time with its offset, as the API takes it (``AwareDatetime``, within the years above),
#: kept in UTC from there on: the database gives times back in UTC, so a time taken in UTC is
#: answered the same way whether the row was just made or read again later (a milestone was
#: answered with the offset it was given when created, and in UTC after a move).
Moment = Annotated[AwareDatetime, AfterValidator(_within_the_years_in_utc)]

#: PostgreSQL can neither store nor compare text holding NUL: such input is refused by name.
NUL_REFUSED = "must not contain the NUL character (\\u0000)"


def holds_nul(value: object) -> bool:
    """Whether any text in ``value`` (in nested lists and mappings, keys too) has a NUL."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(key) or holds_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return any(holds_nul(item) for item in value)
    return False


def refuse_nul(text: str) -> str:
    if "\x00" in text:
        raise ValueError(NUL_REFUSED)
    return text


#: Text as the API takes it in a query: no NUL character, which PostgreSQL cannot compare with
#: (it failed inside the driver, a 500); a 422 naming the parameter instead. Bodies are
#: checked by ``Input``.
Text = Annotated[str, AfterValidator(refuse_nul)]


class Input(BaseModel):
    """What a request body may hold.

    Text with the NUL character is refused, naming the field: PostgreSQL cannot store it (nor
    compare with it), so it would otherwise fail inside the driver, a 500, and SQLite would keep
    what PostgreSQL cannot. Nested inputs check their own fields, so the error names the
    deepest field.
    """

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        if holds_nul(value):
            raise ValueError(NUL_REFUSED)
        return value


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)
