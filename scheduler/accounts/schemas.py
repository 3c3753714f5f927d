"""What the API accepts and answers for platform accounts (secrets masked in answers)."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from pydantic import (
    Field,
)

from scheduler.core.schemas import Id, Input, Output


class AccountCreate(Input):
    platform: str = Field(min_length=1, max_length=40, examples=["webhook"])
    handle: str = Field(min_length=1, max_length=120, examples=["@nightshiftfilm"])
    production_ids: list[Id] = Field(
        default_factory=list,
        max_length=50,
        description="The productions whose posts may go to it; none: a site admin's account",
    )
    settings: dict[str, Any] = Field(default_factory=dict)
    audience_timezone: str | None = Field(
        default=None, max_length=64, examples=["America/New_York"]
    )
    quiet_start: time | None = Field(default=None, examples=["23:00"])
    quiet_end: time | None = Field(default=None, examples=["07:00"])


class AccountReconnect(Input):
    """New credentials for an account; settings left out keep their stored values."""

    settings: dict[str, Any] = Field(min_length=1)


class AccountPublic(Output):
    id: int
    platform: str
    handle: str
    production_ids: list[int] = Field(
        default_factory=list, description="The productions it serves that the caller can see"
    )
    settings: dict[str, Any] = Field(
        description="Secrets are masked (URLs by host only); secrets never set are null"
    )
    needs_reconnect: str | None = Field(
        default=None, description="Why a person must reconnect the account; its posts wait"
    )
    audience_timezone: str | None = None
    quiet_start: time | None = None
    quiet_end: time | None = None


class AccountEdit(Input):
    """The fields to change (only those given); secrets change on the credentials route."""

    handle: str | None = Field(default=None, min_length=1, max_length=120)
    settings: dict[str, Any] | None = Field(
        default=None,
        description=(
            "Readable settings to change, merged over the stored ones (null drops one back to "
            "its default); the whole is validated by the platform's adapter"
        ),
    )
    audience_timezone: str | None = Field(default=None, max_length=64)
    quiet_start: time | None = Field(default=None, description="null for both clears them")
    quiet_end: time | None = None


class AccountEdited(AccountPublic):
    back_to_review: list[int] = Field(
        default_factory=list,
        description="Posts sent back to review: a new handle is not what their reviewers saw",
    )


class CancelledDelivery(Output):
    delivery_id: int
    post_id: int
    status: str = Field(description="Its state before the removal")
    due_at: datetime


class AccountRemoval(Output):
    account_id: int
    cancelled: list[CancelledDelivery] = Field(
        description="Deliveries that could still go out on it: cancelled (or, asked first, "
        "would be)"
    )
    publishing: list[int] = Field(
        description="Deliveries being published right now: removal waits for them (409)"
    )
