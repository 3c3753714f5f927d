"""The gates a delivery passes to be claimed, as conditions on its row.

Not paused, not anchored to a tentative milestone, not inside a blackout, its account not
removed; ``claimable_now`` adds approved, due and claimable. Apart from the statements that
move deliveries because a gate changes nothing: the claim and each delivery's fence, just
before its platform call, put the same conditions in their ``WHERE``, so a gate means the
same wherever it is checked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlmodel import SQLModel

from scheduler.core.models import CLAIMABLE, DeliveryStatus, PauseScope

DELIVERY = SQLModel.metadata.tables["delivery"]
_c = DELIVERY.c
POST = SQLModel.metadata.tables["post"]
MILESTONE = SQLModel.metadata.tables["milestone"]
BLACKOUT = SQLModel.metadata.tables["blackout"]
ACCOUNT = SQLModel.metadata.tables["account"]
_post = POST.c
_pause = SQLModel.metadata.tables["pause"].c


def not_paused() -> Any:
    """No active pause covers the delivery: not everything, its production or its account."""
    # Correlate explicitly: the production lookup sits two subqueries below the delivery.
    production = (
        select(_post.production_id).where(_post.id == _c.post_id).correlate(DELIVERY)
    ).scalar_subquery()
    active = (
        select(_pause.id)
        .correlate(DELIVERY)
        .where(
            _pause.resumed_at.is_(None),
            or_(
                _pause.scope == PauseScope.all.value,
                and_(_pause.scope == PauseScope.account.value, _pause.account_id == _c.account_id),
                and_(
                    _pause.scope == PauseScope.production.value, _pause.production_id == production
                ),
            ),
        )
    )
    return ~exists(active)


def not_tentative() -> Any:
    """The delivery's milestone, if it has one, has a confirmed date (fail closed)."""
    tentative = (
        select(_post.id)
        .select_from(POST.join(MILESTONE, MILESTONE.c.id == _post.anchor_milestone_id))
        .where(_post.id == _c.post_id, MILESTONE.c.tentative.is_(True))
        .correlate(DELIVERY)
    )
    return ~exists(tentative)


def not_blacked_out(now: datetime) -> Any:
    """No blackout of the delivery's production (or a global one) is on now."""
    production = (
        select(_post.production_id).where(_post.id == _c.post_id).correlate(DELIVERY)
    ).scalar_subquery()
    blackout = BLACKOUT.c
    on = (
        select(blackout.id)
        .where(
            blackout.starts_at <= now,
            blackout.ends_at > now,
            or_(blackout.production_id.is_(None), blackout.production_id == production),
        )
        .correlate(DELIVERY)
    )
    return ~exists(on)


def account_in_use() -> Any:
    """The delivery's account was not removed. Removing one cancels what could go out on it;
    this keeps out what a person might put back later (a retry, a lookup of an unknown)."""
    removed = select(ACCOUNT.c.id).where(ACCOUNT.c.removed_at.is_not(None))
    return _c.account_id.not_in(removed)


def claimable_now(now: datetime) -> Any:
    """The gates a delivery passes to be claimed: approved, due, claimable, not paused, not
    anchored to a tentative milestone, not inside a blackout, its account not removed."""
    to_look_up = and_(_c.status == DeliveryStatus.unknown.value, _c.needs_lookup.is_(True))
    return and_(
        or_(_c.status.in_([s.value for s in CLAIMABLE]), to_look_up),
        _c.due_at <= now,
        _c.approval_id.is_not(None),
        not_paused(),
        not_tentative(),
        not_blacked_out(now),
        account_in_use(),
    )
