"""Request-scoped dependencies: a database session and who is acting.

Routes commit explicitly after the service call succeeds; any exception rolls the session back
when it closes, so a refused request leaves nothing half-written.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header
from sqlmodel import Session

from scheduler.db import get_engine


def get_session() -> Iterator[Session]:
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


def get_actor(
    x_callsheet_actor: Annotated[str | None, Header(max_length=120)] = None,
) -> str:
    """Who is acting. Until accounts and roles arrive, the caller names itself."""
    return (x_callsheet_actor or "api").strip() or "api"


SessionDep = Annotated[Session, Depends(get_session)]
ActorDep = Annotated[str, Depends(get_actor)]
