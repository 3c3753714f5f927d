"""Never twice, never lost: what a person or a move does to a delivery that changes meanwhile.

Each test reads a delivery on one connection, lets a second real connection commit a change
to it (a worker's claim and publish, a late answer, another person's cancel), and only then
lets the first one write. On PostgreSQL the second commits at once unless the first holds a
lock; on SQLite every transaction takes the write lock at ``BEGIN IMMEDIATE``, so the second
waits until the first has committed. Either way the end state must be one a single writer
could have left: never ``scheduled`` (or ``pending``, or ``cancelled``) with ``published_at``
set, never sent again after it was published.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

import scheduler.posts.lifecycle as lifecycle
from scheduler.core.errors import Conflict
from scheduler.core.models import ContentPillar, Delivery, Milestone, Post, Production
from scheduler.posts import deliveries as service
from scheduler.posts.approval import approve_post, submit_post
from scheduler.posts.lifecycle import create_post, edit_post
from scheduler.posts.reflow import move_milestone
from scheduler.posts.reflow.plan import Planner
from scheduler.posts.reflow.write import apply_plans
from scheduler.posts.schemas import AnchorIn, PostCreate, PostEdit
from scheduler.posts.targets import check_renders
from tests import factories

PUBLISHED_AT = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)
PREMIERE = datetime(2027, 3, 1, 19, 0, tzinfo=UTC)  # GMT, and still GMT a week later
NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)

#: A worker claims and publishes a scheduled, approved delivery, in one commit (as claim,
#: fence and finish would, one after the other), only if it is still scheduled.
CLAIM_AND_PUBLISH = """
    UPDATE delivery SET status = 'published', published_at = :at, external_id = 'x-1',
        attempt = attempt + 1
    WHERE id = :id AND status = 'scheduled' AND approval_id IS NOT NULL
"""
#: A worker's late answer lands for the owner that still holds the delivery (``finish``
#: accepts it from ``unknown`` too).
LATE_ANSWER = """
    UPDATE delivery SET status = 'published', published_at = :at, external_id = 'x-1',
        needs_lookup = false, lease_owner = NULL
    WHERE id = :id AND status IN ('publishing', 'unknown') AND lease_owner = 'w1'
"""
#: Another producer cancels the delivery.
CANCEL = "UPDATE delivery SET status = 'cancelled' WHERE id = :id AND status IN " + (
    "('pending', 'scheduled', 'retrying', 'held')"
)


class Elsewhere:
    """A statement committed by a second connection, on a thread of its own.

    ``start`` returns once it committed or ``wait`` seconds passed (it is blocked by a lock
    the first connection holds); ``join`` waits for it to end and says how many rows it changed.
    """

    def __init__(self, engine: Engine, sql: str, **params: Any) -> None:
        self.engine, self.sql, self.params = engine, sql, params
        self.done = threading.Event()
        self.rows = -1
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            with self.engine.begin() as conn:
                self.rows = conn.execute(text(self.sql), self.params).rowcount
        except BaseException as exc:  # reported by join
            self.error = exc
        finally:
            self.done.set()

    def start(self, wait: float = 1.5) -> bool:
        """Run it; True if it committed within ``wait`` seconds."""
        self.thread.start()
        return self.done.wait(wait)

    def join(self) -> int:
        self.thread.join(60)
        assert not self.thread.is_alive(), "the second connection never finished"
        if self.error is not None:
            raise self.error
        return self.rows


def _fresh(engine: Engine, delivery_id: int) -> Delivery:
    with Session(engine) as other:
        found = other.exec(select(Delivery).where(Delivery.id == delivery_id)).one()
        other.expunge(found)
        return found


def _consistent(delivery: Delivery) -> None:
    """A state a single writer could have left."""
    if delivery.published_at is not None:
        assert delivery.status == "published", (delivery.status, delivery.published_at)


def _one_delivery(session: Session, tmp_path: Path) -> Delivery:
    made = factories.production(session)
    account = factories.outbox_account(
        session, tmp_path / "feed.jsonl", production_ids=[made.id or 0]
    )
    post = factories.approved_post(
        session, made.id or 0, [account], at=datetime.now(UTC) + timedelta(days=3)
    )
    session.commit()
    (delivery,) = session.exec(select(Delivery).where(Delivery.post_id == post.id)).all()
    session.commit()  # on SQLite a read holds the write lock until its transaction ends
    return delivery


def _set(session: Session, delivery_id: int, sql: str) -> None:
    session.connection().execute(
        text(f"UPDATE delivery SET {sql} WHERE id = :id"), {"id": delivery_id}
    )
    session.commit()


def _after_a_stale_read(
    engine: Engine,
    backend: str,
    delivery_id: int,
    elsewhere: str,
    act: Callable[[Session], object],
) -> tuple[bool, bool]:
    """In a request's own session, read the delivery as the route's access rule does
    (``session.get``), let the second connection commit ``elsewhere``, then ``act`` and commit.
    Answers whether the second committed first, and whether ``act`` was refused (Conflict).

    The delivery read first is kept (as a route that looked at it would), so it stays in the
    session's identity map: a later ``SELECT … FOR UPDATE`` locks the row but, unless told to
    populate existing objects, hands back the stale object read before the change landed."""
    with Session(engine, expire_on_commit=False) as request:
        seen = request.get(Delivery, delivery_id)
        assert seen is not None
        other = Elsewhere(engine, elsewhere, id=delivery_id, at=PUBLISHED_AT)
        raced = other.start()
        if backend == "postgres":
            assert raced, "nothing holds the row after a plain read; the change must land first"
        refused = False
        try:
            act(request)
            request.commit()
        except Conflict:
            request.rollback()
            refused = True
        del seen
    other.join()
    return raced, refused


def test_cancel_never_overwrites_a_delivery_published_meanwhile(
    session: Session, engine: Engine, backend: str, tmp_path: Path
) -> None:
    delivery = _one_delivery(session, tmp_path)
    raced, refused = _after_a_stale_read(
        engine,
        backend,
        delivery.id or 0,
        CLAIM_AND_PUBLISH,
        lambda request: service.cancel(
            session=request, delivery_id=delivery.id or 0, actor="maya", reason="wrong day"
        ),
    )
    after = _fresh(engine, delivery.id or 0)
    _consistent(after)
    if raced:  # it went out first: cancelling it now is refused, naming its state
        assert refused
        assert after.status == "published"
    else:  # the cancel came first: the worker found nothing to send
        assert after.status == "cancelled"


def test_resolving_as_not_found_never_sends_again_what_a_late_answer_published(
    session: Session, engine: Engine, backend: str, tmp_path: Path
) -> None:
    delivery = _one_delivery(session, tmp_path)
    _set(session, delivery.id or 0, "status = 'unknown', lease_owner = 'w1', needs_lookup = true")
    raced, refused = _after_a_stale_read(
        engine,
        backend,
        delivery.id or 0,
        LATE_ANSWER,
        lambda request: service.resolve_unknown(
            session=request,
            delivery_id=delivery.id or 0,
            published=False,
            url=None,
            now=datetime.now(UTC),
            actor="maya",
            reason="not on the feed yet",
        ),
    )
    after = _fresh(engine, delivery.id or 0)
    _consistent(after)
    if raced:
        assert refused
        assert (after.status, after.external_id) == ("published", "x-1")
    else:  # the person's word came first; the late answer no longer had an owner to land for
        assert after.status == "scheduled"


def test_release_never_puts_back_a_delivery_cancelled_meanwhile(
    session: Session, engine: Engine, backend: str, tmp_path: Path
) -> None:
    delivery = _one_delivery(session, tmp_path)
    _set(session, delivery.id or 0, "status = 'held', held_for = 'account'")
    raced, refused = _after_a_stale_read(
        engine,
        backend,
        delivery.id or 0,
        CANCEL,
        lambda request: service.release_hold(
            session=request, delivery_id=delivery.id or 0, due_at=datetime.now(UTC), actor="maya"
        ),
    )
    after = _fresh(engine, delivery.id or 0)
    if raced:
        assert refused
        assert after.status == "cancelled"
    else:  # released first, then cancelled by the other producer
        assert after.status == "cancelled"


def test_an_edit_never_unpublishes_a_delivery_published_while_it_was_checked(
    session: Session,
    engine: Engine,
    backend: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``edit_post`` reads the deliveries, renders for every account, then retargets them;
    a worker publishes one while the edit renders."""
    delivery = _one_delivery(session, tmp_path)
    post_id = delivery.post_id
    others: list[Elsewhere] = []
    real_check = check_renders  # as lifecycle imported it

    def check_while_a_worker_publishes(*args: Any, **kwargs: Any) -> None:
        other = Elsewhere(engine, CLAIM_AND_PUBLISH, id=delivery.id, at=PUBLISHED_AT)
        others.append(other)
        other.start()
        real_check(*args, **kwargs)

    monkeypatch.setattr("scheduler.posts.lifecycle.check_renders", check_while_a_worker_publishes)
    post = lifecycle.get_post(session=session, post_id=post_id)
    edit_post(
        session=session,
        post_id=post_id,
        data=PostEdit(version=post.version, body="Night shift, take 2: a new angle."),
        actor="maya",
    )
    session.commit()
    (other,) = others
    published = other.join()
    after = _fresh(engine, delivery.id or 0)
    _consistent(after)
    # Whichever came first, the other saw it: the edit left the published delivery alone, or
    # the worker found it unbound (pending) and sent nothing.
    assert after.status == ("published" if published else "pending")


def test_a_milestone_move_never_reschedules_a_delivery_published_during_the_move(
    session: Session,
    engine: Engine,
    backend: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The move plans every delivery, then a worker publishes one, then the move writes."""
    made = factories.production(session, approval_max_age_days=3650)
    premiere = factories.premiere(session, made.id or 0, PREMIERE)
    account = factories.outbox_account(
        session, tmp_path / "feed.jsonl", production_ids=[made.id or 0]
    )
    second = factories.outbox_account(
        session, tmp_path / "b.jsonl", handle="@second", production_ids=[made.id or 0]
    )
    posts = []
    for days in (7, 14):
        draft = create_post(
            session=session,
            actor="maya",
            data=PostCreate(
                production_id=made.id or 0,
                pillar=ContentPillar.countdown,
                body="Night shift, behind the scenes.",
                anchor=AnchorIn(milestone_id=premiere, offset=f"-P{days}D"),
                account_ids=[account.id or 0, second.id or 0],
            ),
        )
        submit_post(session=session, post_id=draft.id or 0, version=1, actor="maya")
        approve_post(session=session, post_id=draft.id or 0, version=1, actor="dev", shown=None)
        posts.append(draft)
    session.commit()
    rows = session.exec(select(Delivery).order_by(col(Delivery.id))).all()
    before = {row.id or 0: row.due_at for row in rows}  # the move expires these objects
    target_id, old_due = rows[0].id or 0, rows[0].due_at
    session.commit()  # on SQLite a read holds the write lock until its transaction ends
    others: list[Elsewhere] = []
    real_apply = apply_plans  # as the reflow package imported it

    def apply_after_a_publish(*args: Any, **kwargs: Any) -> Any:
        other = Elsewhere(engine, CLAIM_AND_PUBLISH, id=target_id, at=PUBLISHED_AT)
        others.append(other)
        raced = other.start()
        if backend == "postgres":
            assert raced, "the move holds no lock on the deliveries while it plans"
        return real_apply(*args, **kwargs)

    monkeypatch.setattr("scheduler.posts.reflow.apply_plans", apply_after_a_publish)
    moves = move_milestone(
        session=session,
        production_id=made.id or 0,
        milestone_id=premiere,
        at=PREMIERE + timedelta(weeks=1),
        tentative=None,
        actor="dev",
        now=NOW,
    )
    session.commit()
    (other,) = others
    published = other.join()
    assert published == 1
    after = _fresh(engine, target_id)
    _consistent(after)
    assert after.status == "published"
    by_id = {m.delivery_id: m for m in moves}
    assert len(by_id) == 4
    if backend == "postgres":  # published between the read and the write: left as it was
        assert after.due_at == old_due
        assert by_id[target_id].skipped
        assert by_id[target_id].new_due_at == old_due
    for delivery_id in list(before)[1:]:  # the others moved a week
        moved = _fresh(engine, delivery_id)
        assert moved.due_at == before[delivery_id] + timedelta(weeks=1)
        assert not by_id[delivery_id].skipped


def test_a_move_skips_every_delivery_that_changed_between_its_read_and_its_write(
    session: Session, engine: Engine, tmp_path: Path
) -> None:
    """The two halves of a move by hand, on either database: plan, change rows, write.

    SQLite never lets another connection in between, so the change is made in the move's own
    transaction; the write must still skip exactly the rows no longer as planned.
    """
    made = factories.production(session, approval_max_age_days=3650)
    premiere = factories.premiere(session, made.id or 0, PREMIERE)
    account = factories.outbox_account(
        session, tmp_path / "feed.jsonl", production_ids=[made.id or 0]
    )
    for days in (3, 7, 14):
        draft = create_post(
            session=session,
            actor="maya",
            data=PostCreate(
                production_id=made.id or 0,
                pillar=ContentPillar.countdown,
                body=f"Night shift, {days} days to go.",
                anchor=AnchorIn(milestone_id=premiere, offset=f"-P{days}D"),
                account_ids=[account.id or 0],
            ),
        )
        submit_post(session=session, post_id=draft.id or 0, version=1, actor="maya")
        approve_post(session=session, post_id=draft.id or 0, version=1, actor="dev", shown=None)
    session.commit()
    milestone = session.get(Milestone, premiere)
    production = session.get(Production, made.id)
    assert milestone is not None
    assert production is not None
    milestone.at = PREMIERE + timedelta(weeks=1)
    session.add(milestone)
    session.flush()
    plans = Planner(session, production, [milestone], NOW).plans()
    published, unbound, untouched = (row.id for row, _ in plans)
    conn = session.connection()
    conn.execute(text(CLAIM_AND_PUBLISH), {"id": published, "at": PUBLISHED_AT})
    conn.execute(
        text("UPDATE delivery SET status = 'pending', approval_id = NULL WHERE id = :id"),
        {"id": unbound},
    )
    assert apply_plans(session, plans) == {published, unbound}
    session.commit()
    states = {
        i: (d.status, d.approval_id is not None)
        for i in (published, unbound, untouched)
        for d in [_fresh(engine, i)]
    }
    assert states == {
        published: ("published", True),
        unbound: ("pending", False),  # an edit unbound it: the move must not bind it again
        untouched: ("scheduled", True),
    }


def test_an_edit_during_a_move_of_its_milestone_waits_instead_of_deadlocking(
    session: Session, engine: Engine, backend: str, tmp_path: Path
) -> None:
    """An edit locks the post, then its deliveries; a move must take them in the same order.

    The edit's first half (the post, locked) runs on a second connection, the move starts on
    a thread and is let run until it waits for a lock, then the edit asks for the deliveries.
    Before the move locked its posts first, it had already updated the deliveries and waited
    for the post: PostgreSQL found the deadlock and aborted one of the two.
    """
    if backend != "postgres":
        pytest.skip("SQLite lets one writer in at a time: there is no lock order to get wrong")
    made = factories.production(session, approval_max_age_days=3650)
    premiere = factories.premiere(session, made.id or 0, PREMIERE)
    account = factories.outbox_account(
        session, tmp_path / "feed.jsonl", production_ids=[made.id or 0]
    )
    draft = create_post(
        session=session,
        actor="maya",
        data=PostCreate(
            production_id=made.id or 0,
            pillar=ContentPillar.countdown,
            body="{{ milestone.date }}: night shift, behind the scenes.",  # changes with the move
            anchor=AnchorIn(milestone_id=premiere, offset="-P7D"),
            account_ids=[account.id or 0],
        ),
    )
    submit_post(session=session, post_id=draft.id or 0, version=1, actor="maya")
    approve_post(session=session, post_id=draft.id or 0, version=1, actor="dev", shown=None)
    session.commit()
    post_id = draft.id or 0
    failures: list[BaseException] = []

    def move() -> None:
        try:
            with Session(engine) as mover:
                move_milestone(
                    session=mover,
                    production_id=made.id or 0,
                    milestone_id=premiere,
                    at=PREMIERE + timedelta(weeks=1),
                    tentative=None,
                    actor="dev",
                    now=NOW,
                )
                mover.commit()
        except BaseException as exc:  # reported below
            failures.append(exc)

    with engine.connect() as editor, editor.begin():
        editor.execute(text("SELECT id FROM post WHERE id = :id FOR UPDATE"), {"id": post_id})
        mover = threading.Thread(target=move, daemon=True)
        mover.start()
        deadline = time.monotonic() + 20
        with engine.connect() as watch:  # until the move waits for a lock the edit holds
            while not watch.execute(text(WAITING_FOR_A_LOCK)).scalar():
                assert time.monotonic() < deadline, "the move never waited for the edit"
                assert mover.is_alive(), f"the move ended without waiting: {failures}"
                time.sleep(0.05)
        try:
            editor.execute(
                text("SELECT id FROM delivery WHERE post_id = :id FOR UPDATE"), {"id": post_id}
            )
        except Exception as exc:  # a deadlock, aborted by PostgreSQL
            failures.append(exc)
    mover.join(30)
    assert not mover.is_alive(), "the move never finished"
    assert failures == []
    session.expire_all()
    moved = session.exec(select(Post).where(Post.id == post_id)).one()
    assert moved.status == "in_review", "the move sends the post back to review"


#: Whether any backend of this database waits for a lock right now.
WAITING_FOR_A_LOCK = "SELECT count(*) FROM pg_locks WHERE NOT granted"
