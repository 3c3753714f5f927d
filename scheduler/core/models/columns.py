"""How Callsheet keeps a time: naive UTC in the database, aware UTC in Python.

Apart from the tables because every family uses it and the migrations name it
(``scheduler.core.models.UTCDateTime``): the one place SQLite and PostgreSQL are made to agree
on time.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, TypeDecorator
from sqlalchemy.engine import Dialect


class UTCDateTime(TypeDecorator[datetime]):
    """Naive UTC in the database, aware UTC in Python; refuses naive input."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Callsheet stores aware UTC times only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    """The real current instant, aware UTC (row bookkeeping, not schedule time)."""
    return datetime.now(UTC)
