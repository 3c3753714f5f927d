"""Build productions, accounts and approved posts through the service functions themselves."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import Session

from sandbox.accounts import account_settings
from scheduler.accounts.connections import create_account
from scheduler.accounts.productions import grant_account, productions_served
from scheduler.accounts.schemas import AccountCreate
from scheduler.core.models import Account, ContentPillar, MilestoneKind, Post, Production
from scheduler.people.members import create_person
from scheduler.planning.productions import add_milestone, create_production
from scheduler.planning.schemas import MilestoneCreate, ProductionCreate
from scheduler.posts.approval import approve_post, submit_post
from scheduler.posts.lifecycle import create_post
from scheduler.posts.schemas import AnchorIn, PostCreate

ACTOR = "tester"


def production(
    session: Session,
    *,
    title: str = "Night Shift",
    timezone: str = "Europe/London",
    approval_max_age_days: int = 30,
) -> Production:
    return create_production(
        session=session,
        actor=ACTOR,
        data=ProductionCreate(
            title=title,
            kind="film",
            timezone=timezone,
            approval_max_age_days=approval_max_age_days,
        ),
    )


def premiere(session: Session, production_id: int, at: datetime) -> int:
    milestone = add_milestone(
        session=session,
        production_id=production_id,
        actor=ACTOR,
        data=MilestoneCreate(kind=MilestoneKind.premiere, name="Premiere", at=at),
    )
    return milestone.id or 0


def outbox_account(
    session: Session,
    path: Path,
    handle: str = "@nightshiftfilm",
    *,
    production_ids: Sequence[int] = (),
) -> Account:
    """An outbox account; ``production_ids``: the productions it serves from the start (``post``
    connects an account to its post's production anyway)."""
    return create_account(
        session=session,
        actor=ACTOR,
        data=AccountCreate(
            platform="outbox",
            handle=handle,
            settings={"path": str(path)},
            production_ids=list(production_ids),
        ),
    )


def webhook_account(
    session: Session,
    url: str,
    secret: str,
    handle: str = "#marketing",
    *,
    production_ids: Sequence[int] = (),
) -> Account:
    return create_account(
        session=session,
        actor=ACTOR,
        data=AccountCreate(
            platform="webhook",
            handle=handle,
            settings={"url": url, "secret": secret},
            production_ids=list(production_ids),
        ),
    )


def bluesky_account(
    session: Session, base_url: str, *, production_ids: Sequence[int] = ()
) -> Account:
    """A Bluesky account on the sandbox at ``base_url`` (its ``/bluesky`` endpoint)."""
    return create_account(
        session=session,
        actor=ACTOR,
        data=AccountCreate(
            platform="bluesky",
            handle="crew.bsky.social",
            settings={
                "base_url": base_url,
                "identifier": "crew.bsky.social",
                "app_password": "abcd-efgh-ijkl-mnop",
            },
            production_ids=list(production_ids),
        ),
    )


def serve(session: Session, production_id: int, accounts: Sequence[Account]) -> None:
    """Connect ``accounts`` for the production (as its admin would), those not yet serving it."""
    for account in accounts:
        if production_id not in productions_served(session, account.id or 0):
            grant_account(
                session=session,
                account_id=account.id or 0,
                production_id=production_id,
                actor=ACTOR,
            )


def post(
    session: Session,
    production_id: int,
    accounts: list[Account],
    *,
    at: datetime | None = None,
    body: str | None = None,
    template: str | None = None,
    variables: dict[str, Any] | None = None,
) -> Post:
    """A draft post due at ``at`` (default: a minute ago, so due now), its accounts connected
    for its production first (``serve``): a post may only go to its production's accounts."""
    serve(session, production_id, accounts)
    when = at or datetime.now(UTC) - timedelta(minutes=1)
    if template is None and body is None:
        body = "Night shift, take {{ take }}: the crew of {{ production.title }} at work."
        variables = {"take": 1, **(variables or {})}
    return create_post(
        session=session,
        actor=ACTOR,
        data=PostCreate(
            production_id=production_id,
            pillar=ContentPillar.on_set,
            body=body,
            template=template,
            variables=variables or {},
            anchor=AnchorIn(at=when),
            account_ids=[a.id or 0 for a in accounts],
        ),
    )


def shown(client: httpx.Client, post_id: int) -> dict[str, str]:
    """What the preview shows of each delivery of a post, as an approval sends it back."""
    preview = client.get(f"/posts/{post_id}/preview")
    assert preview.status_code == 200, preview.text
    return {str(d["delivery_id"]): d["shown"] for d in preview.json()}


def approve_body(
    client: httpx.Client, post_id: int, version: int = 1, **more: Any
) -> dict[str, Any]:
    """The body of ``POST /posts/{id}/approve`` for what the preview shows now."""
    return {"version": version, "shown": shown(client, post_id), **more}


def approved_post(
    session: Session, production_id: int, accounts: list[Account], **kwargs: Any
) -> Post:
    """A post submitted and approved by a producer, its deliveries scheduled."""
    draft = post(session, production_id, accounts, **kwargs)
    submit_post(session=session, post_id=draft.id or 0, version=draft.version, actor=ACTOR)
    approve_post(
        session=session, post_id=draft.id or 0, version=draft.version, actor="producer", shown=None
    )
    return draft


def person(session: Session, email: str, *, name: str = "Ana Ruiz") -> int:
    """A person with no role anywhere; returns their id."""
    created = create_person(
        session=session, name=name, email=email, password=None, site_admin=False, actor=ACTOR
    )
    return created.id or 0


def x_account(
    session: Session, handle: str = "@nightshiftfilm", *, production_ids: Sequence[int] = ()
) -> Account:
    """An X account publishing into a sandbox (``sandbox.accounts``); checking and previewing
    a post for it need no network, so no sandbox need be running for those."""
    return create_account(
        session=session,
        actor=ACTOR,
        data=AccountCreate(
            platform="x",
            handle=handle,
            settings=account_settings("x", "http://127.0.0.1:8025", handle.lstrip("@")),
            production_ids=list(production_ids),
        ),
    )
