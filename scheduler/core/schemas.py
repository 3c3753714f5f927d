"""The two shapes every room's schemas build on: what the API accepts, and what it answers.

Inputs refuse unknown fields, so a misspelt field is a 422 naming it rather than a silently
ignored setting. Answers are read from table rows. Each room keeps its own schemas beside its
services (``scheduler.<room>.schemas``): the services take them as arguments and the API
answers with them.
"""

from __future__ import annotations

from typing import Annotated

from annotated_types import Interval
from pydantic import (
    BaseModel,
    ConfigDict,
)

#: The largest id a row can have: id columns are ``Integer``, which is 32 bits on PostgreSQL
#: (SQLite's holds 64). Comparing a column with a larger number fails inside the database or
#: the driver ("integer out of range", ``OverflowError``: a 500), not as "no such row".
MAX_ID = 2**31 - 1
#: An id as the API takes it, in a path, a query or a body: a number outside 1..``MAX_ID`` is a
#: 422 naming the field, since no row can have it.
Id = Annotated[int, Interval(ge=1, le=MAX_ID)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)
