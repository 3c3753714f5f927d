"""Request-scoped dependencies: a database session.

Routes commit explicitly after the service call succeeds; any exception rolls the session back
when it closes, so a refused request leaves nothing half-written. Who is calling, and whether
they may, is ``scheduler.api.access``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlmodel import Session

from scheduler.core.db import get_engine


def get_session() -> Iterator[Session]:
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
