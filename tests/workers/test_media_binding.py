"""Issue 10, item 5: an approval binds the bytes of the files Callsheet holds, so a picture
replaced on disk after approval is held by the worker instead of published. Real worker, real
Redis, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image
from sqlalchemy import Engine
from sqlmodel import Session, select

from scheduler.core.models import AuditEvent, ContentPillar, Delivery
from scheduler.posts.approval import approve_post, submit_post
from scheduler.posts.lifecycle import create_post
from scheduler.posts.preview import preview_post
from scheduler.posts.schemas import AnchorIn, MediaIn, PostCreate
from tests import factories
from tests.conftest import WorkerProcess
from tests.running import all_final, run_until, service_for


def _picture(path: Path, colour: str) -> None:
    Image.new("RGB", (1200, 1200), colour).save(path, "PNG")


def test_a_picture_replaced_after_approval_is_held_not_published(
    session: Session, engine: Engine, worker: WorkerProcess, tmp_path: Path
) -> None:
    still = tmp_path / "crew-at-dawn.png"
    _picture(still, "navy")
    production = factories.production(session)
    account = factories.outbox_account(
        session, tmp_path / "feed.jsonl", production_ids=[production.id or 0]
    )
    post = create_post(
        session=session,
        actor="marketing",
        data=PostCreate(
            production_id=production.id or 0,
            pillar=ContentPillar.on_set,
            body="Night shift: the crew at dawn.",
            # A file Callsheet holds (as its media store will): people give links only, so
            # the API's check of what a person typed is passed by.
            media=[MediaIn.model_construct(url=str(still), kind="image", alt="The crew at dawn")],
            anchor=AnchorIn(at=datetime.now(UTC) - timedelta(minutes=1)),
            account_ids=[account.id or 0],
        ),
    )
    submit_post(session=session, post_id=post.id or 0, version=1, actor="marketing")
    shown = {p.delivery_id: p.shown for p in preview_post(session=session, post_id=post.id or 0)}
    approve_post(session=session, post_id=post.id or 0, version=1, actor="producer", shown=shown)
    session.commit()

    _picture(still, "crimson")  # someone drops another picture in under the same name

    final = run_until(engine, service_for(engine, worker), worker, all_final)

    assert set(final.values()) == {"held"}, worker.log()
    assert not (tmp_path / "feed.jsonl").exists()  # the unapproved picture never went out
    (delivery,) = session.exec(select(Delivery)).all()
    session.refresh(delivery)
    assert delivery.held_for == "content"
    assert "approved" in (delivery.last_error or "")
    held = session.exec(select(AuditEvent).where(AuditEvent.action == "delivery.held")).all()
    assert [e.entity_id for e in held] == [delivery.id]
