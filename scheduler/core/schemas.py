"""The two shapes every room's schemas build on: what the API accepts, and what it answers.

Inputs refuse unknown fields, so a misspelt field is a 422 naming it rather than a silently
ignored setting. Answers are read from table rows. Each room keeps its own schemas beside its
services (``scheduler.<room>.schemas``): the services take them as arguments and the API
answers with them.
"""

from __future__ import annotations

from pydantic import (
    BaseModel,
    ConfigDict,
)


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)
