"""People who sign in, their role in each production, and their API tokens and sessions.

Apart because they are who may act, not what is scheduled: posts and deliveries name people
only as the actors of the audit trail, and ``scheduler.people`` and the one access policy
(``scheduler.http.access``) are what read them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from scheduler.core.models.columns import UTCDateTime, utcnow


class Person(SQLModel, table=True):
    """Someone who signs in. ``site_admin`` manages what belongs to no one production:
    productions themselves, platform accounts, global blackouts and the global kill switch."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(120))
    email: str = Field(sa_type=String(254), unique=True)
    #: argon2id (``scheduler.people.members``); ``None`` for people who only use API tokens.
    password_hash: str | None = Field(default=None, sa_type=String(200))
    site_admin: bool = False
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    disabled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))

    @property
    def actor(self) -> str:
        """How the audit trail names this person (cut to fit its 120 characters)."""
        return f"{self.name} <{self.email}>"[:120]


class Membership(SQLModel, table=True):
    """One person's role in one production."""

    __table_args__ = (UniqueConstraint("person_id", "production_id"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    production_id: int = Field(foreign_key="production.id", index=True)
    role: str = Field(sa_type=String(20))


class AccessToken(SQLModel, table=True):
    """An API token or a web login session: only its SHA-256 is kept, shown once when made."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: str = Field(default="api", sa_type=String(10))  # "api" | "session" | "link"
    name: str = Field(sa_type=String(80))
    token_hash: str = Field(sa_type=String(64), unique=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    last_used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class CalendarSubscription(SQLModel, table=True):
    """A person's link to one production's calendar feed, for calendar apps that cannot sign in.

    The link's secret is its own credential, so only its SHA-256 is kept, shown once when made.
    It lives apart from ``AccessToken`` so that no feed link can ever sign in to the API: it
    reads one production's feed, and only while its person may (``scheduler.people.calendars``).
    """

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    production_id: int = Field(foreign_key="production.id", index=True)
    name: str = Field(sa_type=String(80))
    token_hash: str = Field(sa_type=String(64), unique=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
