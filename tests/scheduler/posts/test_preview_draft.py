"""Previewing a post before it is saved: what the editor shows while a person types is what
the saved post's preview shows, and nothing is written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from scheduler.core.errors import Invalid
from scheduler.core.models import AuditEvent, ContentPillar, Post
from scheduler.posts.lifecycle import create_post
from scheduler.posts.preview import preview_draft, preview_post
from scheduler.posts.schemas import AnchorIn, PostCreate
from tests import factories

LONG = "Night 12 on set, and the rain machines never stopped. " * 7 + "#NightShift"


def _draft(session: Session, body: str = LONG) -> PostCreate:
    production = factories.production(session)
    pid = production.id or 0
    premiere = factories.premiere(session, pid, datetime.now(UTC) + timedelta(days=30))
    account = factories.x_account(session, production_ids=[pid])
    session.commit()
    return PostCreate(
        production_id=pid,
        pillar=ContentPillar.on_set,
        body=body,
        anchor=AnchorIn(milestone_id=premiere, offset="-P14D", local_time="18:00"),
        account_ids=[account.id or 0],
    )


def _written(session: Session) -> tuple[int, int]:
    posts = session.exec(select(func.count()).select_from(Post)).one()
    events = session.exec(select(func.count()).select_from(AuditEvent)).one()
    return posts, events


def test_a_draft_previews_as_the_saved_post_does_and_nothing_is_written(session: Session) -> None:
    data = _draft(session)
    before = _written(session)
    [draft] = preview_draft(session=session, data=data)
    session.commit()
    assert _written(session) == before
    assert draft.verdict.length > draft.verdict.limit == 280
    assert draft.verdict.parts is not None
    assert len(draft.verdict.parts) == 2

    post = create_post(session=session, data=data, actor="tester")
    session.commit()
    [saved] = preview_post(session=session, post_id=post.id or 0)
    assert (draft.text, draft.due_at, draft.verdict) == (saved.text, saved.due_at, saved.verdict)


def test_a_draft_that_does_not_render_is_refused_naming_its_field(session: Session) -> None:
    data = _draft(session, body="Day {{ day_number }} on set")
    with pytest.raises(Invalid) as refused:
        preview_draft(session=session, data=data)
    assert refused.value.field == "variables"
    assert "day_number" in refused.value.message


def test_the_api_previews_a_post_not_yet_saved(client: httpx.Client, session: Session) -> None:
    data = _draft(session)
    before = _written(session)
    session.rollback()
    answer = client.post("/posts/preview", json=data.model_dump(mode="json"))
    assert answer.status_code == 200, answer.text
    [shown] = answer.json()
    assert shown["platform"] == "x"
    assert shown["verdict"]["limit"] == 280
    assert len(shown["verdict"]["parts"]) == 2
    refused = client.post("/posts/preview", json={**data.model_dump(mode="json"), "body": None})
    assert refused.status_code == 422
    assert _written(session) == before
