"""Campaign playbooks: a production, its milestones and a whole BTS campaign in one JSON file.

A playbook places milestones by day relative to a chosen day zero, and posts by milestone,
offset and local time, so the same campaign shape can be laid over any production's dates. The
demo plays ``templates/playbooks/night_shift.json``; every post goes through the same service
functions (and so the same validation and rendering) as one created through the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from scheduler.accounts.connections import create_account
from scheduler.accounts.schemas import AccountCreate
from scheduler.core.models import ContentPillar, MilestoneKind
from scheduler.planning.productions import add_milestone, create_production
from scheduler.planning.schemas import MilestoneCreate, ProductionCreate
from scheduler.planning.timeline import local_to_utc, zone
from scheduler.posts.approval import approve_post, submit_post
from scheduler.posts.lifecycle import create_post, deliveries_of
from scheduler.posts.schemas import AnchorIn, PostCreate


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PlaybookAccount(_Strict):
    platform: str
    handle: str
    #: For file-based platforms (outbox): the file name inside the run's directory.
    file: str | None = None


class PlaybookMilestone(_Strict):
    kind: MilestoneKind
    name: str
    day: int = Field(ge=0, description="Days after day zero")
    time: time


class PlaybookPost(_Strict):
    milestone: str
    offset: str = "PT0S"
    local_time: time | None = None
    pillar: ContentPillar
    template: str
    variables: dict[str, Any] = Field(default_factory=dict)
    accounts: list[str] = Field(min_length=1)


class Playbook(_Strict):
    name: str
    production: ProductionCreate
    accounts: dict[str, PlaybookAccount]
    milestones: list[PlaybookMilestone]
    posts: list[PlaybookPost]


def load_playbook(path: Path) -> Playbook:
    """Read and validate a playbook file."""
    return Playbook.model_validate_json(path.read_text())


@dataclass(frozen=True)
class Campaign:
    """What playing a playbook created."""

    title: str
    milestones: list[str]
    posts: int
    deliveries: int
    accounts: int
    last_due: datetime


def play(
    playbook: Playbook,
    *,
    session: Session,
    day_zero: datetime,
    account_settings: dict[str, dict[str, Any]],
    marketer: str,
    producer: str,
) -> Campaign:
    """Create the production, milestones and accounts, then plan, submit and approve each post.

    ``account_settings`` gives each playbook account its adapter settings (paths, URLs,
    secrets), which a playbook never holds.
    """
    production = create_production(session=session, actor=marketer, data=playbook.production)
    production_id = production.id or 0
    tz = zone(production.timezone)
    milestones = {}
    for m in playbook.milestones:
        day = day_zero.astimezone(tz).date() + timedelta(days=m.day)
        data = MilestoneCreate(kind=m.kind, name=m.name, at=local_to_utc(day, m.time, tz))
        milestones[m.name] = add_milestone(
            session=session, production_id=production_id, actor=marketer, data=data
        )
    accounts = {
        key: create_account(
            session=session,
            actor=marketer,
            data=AccountCreate(
                platform=a.platform,
                handle=a.handle,
                settings=account_settings[key],
                production_ids=[production_id],
            ),
        )
        for key, a in playbook.accounts.items()
    }
    deliveries = 0
    last_due = day_zero
    for p in playbook.posts:
        post = create_post(
            session=session,
            actor=marketer,
            data=PostCreate(
                production_id=production_id,
                pillar=p.pillar,
                template=p.template,
                variables=p.variables,
                tags=[p.pillar.value],
                anchor=AnchorIn(
                    milestone_id=milestones[p.milestone].id,
                    offset=p.offset,
                    local_time=p.local_time,
                ),
                account_ids=[accounts[key].id or 0 for key in p.accounts],
            ),
        )
        post_id = post.id or 0
        submit_post(session=session, post_id=post_id, version=post.version, actor=marketer)
        approve_post(
            session=session,
            post_id=post_id,
            version=post.version,
            actor=producer,
            shown=None,  # the playbook approves what it renders, in this transaction
            note="Checked credits and spoilers.",
        )
        for delivery in deliveries_of(session=session, post_id=post_id):
            deliveries += 1
            last_due = max(last_due, delivery.due_at)
    return Campaign(
        title=production.title,
        milestones=list(milestones),
        posts=len(playbook.posts),
        deliveries=deliveries,
        accounts=len(accounts),
        last_due=last_due,
    )
