"""Platform accounts: where deliveries go, with their adapter's settings, sealed secrets,
reconnect state and quiet hours; a removed one stays as a record of what it published.

Apart because an account is its adapter's side of the schema: settings the adapter validates,
secrets sealed by ``scheduler.core.vault``, credentials the worker refreshes. It serves the
productions ``AccountProduction`` links it to (one, several, or none: a site admin's alone);
only posts of those productions may go to it.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import JSON, Column, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from scheduler.core.models.columns import UTCDateTime, utcnow


class Account(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("platform", "handle"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(sa_type=String(40))
    handle: str = Field(sa_type=String(120))
    #: The adapter's settings without its secrets (those are in ``secrets``).
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    #: The adapter's secret settings (tokens, passwords) as one Fernet token (``core.vault``).
    secrets: str | None = Field(default=None, sa_column=Column(Text()))
    #: Why the account needs a person to reconnect it; its deliveries are held meanwhile.
    needs_reconnect: str | None = Field(default=None, sa_type=String(500))
    #: Where the account's audience lives; quiet hours are read in this zone.
    audience_timezone: str | None = Field(default=None, sa_type=String(64))
    #: No posts from ``quiet_start`` to ``quiet_end`` (audience time; may cross midnight).
    quiet_start: time | None = None
    quiet_end: time | None = None
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    #: When a person removed it: kept for the deliveries it published, out of use otherwise
    #: (not listed, not targeted, nothing of it claimed).
    removed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class AccountProduction(SQLModel, table=True):
    """An account connected for a production: that production's posts may go to it, and its
    admins see and look after it."""

    account_id: int = Field(foreign_key="account.id", primary_key=True)
    production_id: int = Field(foreign_key="production.id", primary_key=True, index=True)
