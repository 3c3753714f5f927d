"""Issue 10, item 5: an approval binds what the reviewer was shown, not just a version number.

The approve request carries each delivery's ``shown`` (from the preview or the schedule under
review); anything that renders differently now (text, media, due time) is a 409 naming the
post, the delivery and what changed. Over real HTTP, on both databases.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from scheduler.core.models import Approval, Delivery, Post
from tests import factories
from tests.scheduler.media.test_uploads import png, upload

DATED = "Out on {{ due.weekday }}, {{ due.date }}: {{ production.title }}."


@pytest.fixture
def setup(session: Session, tmp_path: Path) -> dict[str, int]:
    production = factories.production(session)
    pid = production.id or 0
    premiere = factories.premiere(session, pid, datetime.now(UTC) + timedelta(days=60))
    account = factories.outbox_account(session, tmp_path / "out.jsonl", production_ids=[pid])
    session.commit()
    return {"production": pid, "premiere": premiere, "account": account.id or 0}


def _in_review(
    client: httpx.Client,
    setup: dict[str, int],
    *,
    body: str = DATED,
    media: list[dict[str, str]] | None = None,
    anchor: dict[str, object] | None = None,
) -> int:
    made = client.post(
        "/posts",
        json={
            "production_id": setup["production"],
            "pillar": "countdown",
            "body": body,
            "media": media or [],
            "anchor": anchor
            or {"milestone_id": setup["premiere"], "offset": "-P7D", "local_time": "18:00"},
            "account_ids": [setup["account"]],
        },
    )
    assert made.status_code == 201, made.text
    post_id: int = made.json()["id"]
    assert client.post(f"/posts/{post_id}/submit", json={"version": 1}).status_code == 200
    return post_id


def _shown(client: httpx.Client, post_id: int) -> dict[str, str]:
    preview = client.get(f"/posts/{post_id}/preview")
    assert preview.status_code == 200, preview.text
    return {str(d["delivery_id"]): d["shown"] for d in preview.json()}


def _move_premiere(client: httpx.Client, setup: dict[str, int], days: int) -> None:
    moved = client.patch(
        f"/productions/{setup['production']}/milestones/{setup['premiere']}",
        json={"at": (datetime.now(UTC) + timedelta(days=days)).isoformat()},
    )
    assert moved.status_code == 200, moved.text


def test_a_milestone_moved_between_preview_and_approval_is_a_409_naming_what_changed(
    client: httpx.Client, approver: httpx.Client, session: Session, setup: dict[str, int]
) -> None:
    post_id = _in_review(client, setup)
    shown = _shown(client, post_id)
    (delivery_id,) = shown
    _move_premiere(client, setup, 81)  # the text prints the date: it now says another day

    stale = approver.post(f"/posts/{post_id}/approve", json={"version": 1, "shown": shown})

    assert stale.status_code == 409, stale.text
    detail = stale.text
    assert f"post {post_id}" in detail
    assert f"delivery {delivery_id} (outbox @nightshiftfilm)" in detail
    assert "text" in detail
    assert "due time" in detail
    assert "media" not in detail  # only what changed is named
    session.expire_all()
    assert session.exec(select(Approval)).all() == []
    assert session.get_one(Post, post_id).status == "in_review"
    session.commit()  # end the read: on SQLite it would keep the approval from writing

    again = _shown(client, post_id)
    approved = approver.post(f"/posts/{post_id}/approve", json={"version": 1, "shown": again})
    assert approved.status_code == 200, approved.text
    session.expire_all()
    approval = session.exec(select(Approval)).one()
    preview = client.get(f"/posts/{post_id}/preview").json()
    assert approval.delivery_hashes == {delivery_id: preview[0]["content_hash"]}


def test_an_approval_that_does_not_say_what_was_shown_is_refused_by_name(
    client: httpx.Client, approver: httpx.Client, session: Session, setup: dict[str, int]
) -> None:
    post_id = _in_review(client, setup)

    bare = approver.post(f"/posts/{post_id}/approve", json={"version": 1})
    assert bare.status_code == 422, bare.text
    assert "shown" in bare.text

    shown = _shown(client, post_id)
    (delivery_id,) = shown
    garbled = approver.post(
        f"/posts/{post_id}/approve", json={"version": 1, "shown": {delivery_id: "nonsense"}}
    )
    assert garbled.status_code == 422, garbled.text
    assert garbled.json()["errors"][0]["loc"] == ["body", "shown", delivery_id]

    missing = approver.post(f"/posts/{post_id}/approve", json={"version": 1, "shown": {"99": "x"}})
    assert missing.status_code == 422, missing.text
    assert "shown" in missing.text
    session.expire_all()
    assert session.exec(select(Approval)).all() == []


def test_a_schedule_approved_after_a_move_approves_nothing_and_names_the_post(
    client: httpx.Client, approver: httpx.Client, session: Session, setup: dict[str, int]
) -> None:
    pid = setup["production"]
    on_a_date = {"at": (datetime.now(UTC) + timedelta(days=30)).isoformat()}
    steady = _in_review(client, setup, body="Night shift: the crew at work.", anchor=on_a_date)
    dated = _in_review(client, setup)
    listed = client.get(f"/productions/{pid}/review")
    assert listed.status_code == 200, listed.text
    versions = {str(p["post_id"]): p["version"] for p in listed.json()}
    shown = {str(d["delivery_id"]): d["shown"] for p in listed.json() for d in p["deliveries"]}
    _move_premiere(client, setup, 81)

    stale = approver.post(
        f"/productions/{pid}/review/approve", json={"versions": versions, "shown": shown}
    )

    assert stale.status_code == 409, stale.text
    assert f"post {dated}" in stale.text
    assert f"post {steady}" not in stale.text
    session.expire_all()
    assert session.exec(select(Approval)).all() == []
    assert {p.status for p in session.exec(select(Post))} == {"in_review"}


def test_an_upload_is_bound_by_its_digest_and_a_link_by_its_url_with_a_note(
    client: httpx.Client,
    approver: httpx.Client,
    session: Session,
    setup: dict[str, int],
) -> None:
    picture = png("midnightblue")
    uploaded = upload(client, setup["production"], picture)
    assert uploaded.status_code == 201, uploaded.text
    link = "https://cdn.nightshift.test/poster.jpg"
    media = [
        {"media_id": uploaded.json()["id"], "alt": "The crew at dawn"},
        {"url": link, "kind": "image", "alt": "The poster"},
    ]
    post_id = _in_review(client, setup, body="Night shift: the crew at work.", media=media)
    shown = _shown(client, post_id)
    (delivery_id,) = shown
    # Other bytes under the same upload (only the database's owner could do this): what the
    # approval binds is the digest, so the reviewer's view no longer matches.
    post = session.get_one(Post, post_id)
    kept = post.media[0]
    post.media = [{**kept, "sha256": hashlib.sha256(png("black")).hexdigest()}, post.media[1]]
    session.add(post)
    session.commit()

    changed = approver.post(f"/posts/{post_id}/approve", json={"version": 1, "shown": shown})
    assert changed.status_code == 409, changed.text
    what = changed.text.split("changed:")[-1]
    assert "media" in what
    assert "text" not in what

    post.media = [kept, post.media[1]]
    session.add(post)
    session.commit()
    approved = approver.post(f"/posts/{post_id}/approve", json={"version": 1, "shown": shown})
    assert approved.status_code == 200, approved.text
    session.expire_all()
    approval = session.exec(select(Approval)).one()
    (note,) = approval.media_notes  # the upload needs none: Callsheet holds its bytes
    assert link in note
    assert "URL only" in note
    delivery = session.get_one(Delivery, int(delivery_id))
    assert delivery.status == "scheduled"
