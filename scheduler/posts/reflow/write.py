"""Writing a move's plans: every delivery in one statement, and posts back to review.

On PostgreSQL one ``UPDATE … FROM unnest(…)`` (ids and approvals as arrays, the few distinct
changes, each an outcome and the state it was planned from, as JSON); on SQLite an
executemany. Apart from the planner because this is the only part that differs between the
two databases, and the only one that writes.

Every write is conditional on the row still being as the planner read it (status, hold, due
time, approval). The planner reads without locks, so on PostgreSQL a worker may claim and
publish a delivery between the read and the write; an update by id alone would put that
published delivery back on the schedule a week later, ``published_at`` still set, and bind it
to an approval again. A row that changed meanwhile is left as it is and reported as skipped
(``apply_plans`` answers which). Locking the rows ``FOR UPDATE`` while reading would do too,
but would make every claim skip, and every fence wait for, a whole premiere while it is
planned; the condition costs a few comparisons per row. On SQLite the move's
``BEGIN IMMEDIATE`` already keeps other writers out, so the condition never fails there; it is
kept for the same meaning.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Update, bindparam, select, text, update
from sqlalchemy.engine import Connection
from sqlmodel import Session, SQLModel

from scheduler.core.models import PostStatus, UTCDateTime, utcnow
from scheduler.posts.reflow.plan import CHUNK, Plan

_DELIVERY, _POST = SQLModel.metadata.tables["delivery"], SQLModel.metadata.tables["post"]
_d, _p = _DELIVERY.c, _POST.c


def apply_plans(
    session: Session, plans: list[Plan], *, cause: str = "a milestone move"
) -> set[int]:
    """Write every planned change still valid; posts that lost approval go back to review
    (their note says it was after ``cause``).

    Answers the ids of the deliveries skipped because they changed since they were read.

    On PostgreSQL the deliveries are one ``UPDATE … FROM unnest(…)``: one statement and one
    round trip instead of 10,000 in an executemany, which took most of a move. Each delivery
    sends its id, its approval and the number of its change (its outcome and the state it was
    read in); the few distinct changes go once, as JSON. SQLite has neither
    function, and no network between it and us, so it keeps the executemany.
    """
    if not plans:
        return set()
    stamp, conn = utcnow(), session.connection()
    _lock_posts_going_back(conn, plans)
    if conn.dialect.name == "postgresql":
        ids = conn.execute(_UPDATE_FROM_ARRAYS, {"stamp": stamp, **_arrays(plans)}).scalars().all()
        written = None if len(ids) == len(plans) else set(ids)
    else:
        result = conn.execute(_UPDATE_EACH.values(updated_at=stamp), _bound_rows(plans))
        written = None if result.rowcount == len(plans) else _written(conn, plans, stamp)
    skipped = set() if written is None else {row.id for row, _ in plans} - written
    why: dict[int, str] = {}  # post -> why it goes back (its first unbound delivery's note)
    for row, outcome in plans:
        if outcome.unbind and row.id not in skipped:
            why.setdefault(row.post_id, outcome.note or "its milestone moved")
    for note in sorted(set(why.values())):
        back = sorted(post_id for post_id, said in why.items() if said == note)
        for start in range(0, len(back), CHUNK):
            conn.execute(_back_to_review(back[start : start + CHUNK], note, stamp, cause))
    session.expire_all()  # deliveries and posts changed under the ORM's feet
    return skipped


def _lock_posts_going_back(conn: Connection, plans: list[Plan]) -> None:
    """Lock, in id order, the posts this move may send back to review, before any delivery.

    Everything else that changes a post and its deliveries (an edit, an approval) locks the
    post first, then its deliveries. A move that updated the deliveries first and the post
    last would take the same two locks the other way round: on PostgreSQL an edit of a post
    during a move of its milestone could then deadlock, and the database would abort one of
    them. Taking the posts first keeps one order everywhere, so the later one waits instead.
    On SQLite the move's ``BEGIN IMMEDIATE`` keeps everyone else out and ``FOR UPDATE`` is
    not sent.
    """
    post_ids = sorted({row.post_id for row, outcome in plans if outcome.unbind})
    for start in range(0, len(post_ids), CHUNK):
        chunk = post_ids[start : start + CHUNK]
        conn.execute(select(_p.id).where(_p.id.in_(chunk)).order_by(_p.id).with_for_update())


def _back_to_review(post_ids: list[int], note: str, stamp: datetime, cause: str) -> Update:
    """Approved posts back to review, in a new round: the version moves and the note says why.

    Nothing in the post was edited, but what its reviewers saw is no longer what it says, so
    the move counts as a new version (as ``review.expiry`` does): the votes of the earlier
    round were for the old version and no longer count (they stay, for the record), and the
    people who cast them can approve it again. A version already shown elsewhere (an approve
    form open) is now 409 "changed since it was shown", which is true.
    """
    return (
        update(_POST)
        .where(_p.id.in_(post_ids), _p.status == PostStatus.approved.value)
        .values(
            status=PostStatus.in_review.value,
            version=_p.version + 1,
            review_note=f"back to review after {cause}: {note}",
            updated_at=stamp,
        )
    )


def _written(conn: Connection, plans: list[Plan], stamp: datetime) -> set[int]:
    """Which planned deliveries this move wrote, when some were skipped (rare: SQLite's
    executemany says only how many). Rows this transaction wrote stay as written until it
    ends, stamped with its own ``updated_at``."""
    ids = [row.id for row, _ in plans]
    written: set[int] = set()
    for start in range(0, len(ids), CHUNK):
        query = select(_d.id).where(_d.id.in_(ids[start : start + CHUNK]), _d.updated_at == stamp)
        written.update(conn.execute(query).scalars())
    return written


_UPDATE_EACH = (
    update(_DELIVERY)
    .where(
        _d.id == bindparam("b_id"),
        # as it was read; see the module's docstring
        _d.status == bindparam("b_old_status"),
        _d.held_for.is_not_distinct_from(bindparam("b_old_held_for")),
        _d.due_at == bindparam("b_old_due_at"),
        _d.approval_id.is_not_distinct_from(bindparam("b_old_approval_id")),
    )
    .values(
        # A move is planning: the new time is both when it is due and when it is planned for
        # (a delivery a zone change only sends back to review keeps both: ``planned``).
        planned_at=bindparam("b_planned_at"),
        **{
            c: bindparam(f"b_{c}")
            for c in ("due_at", "status", "held_for", "approval_id", "last_error", "schedule_note")
        },
    )
)
_UPDATE_FROM_ARRAYS = text(
    """
    UPDATE delivery SET due_at = c.due_at, planned_at = c.planned_at, status = c.status,
        held_for = c.held_for,
        approval_id = CASE WHEN c.unbind THEN NULL ELSE m.approval_id END,
        last_error = c.last_error, schedule_note = c.schedule_note, updated_at = :stamp
    FROM unnest(CAST(:ids AS int[]), CAST(:change_of AS int[]), CAST(:approval_ids AS int[]))
        AS m(id, change, approval_id)
    JOIN json_to_recordset(:changes) AS c(change int, due_at timestamp, planned_at timestamp,
        status text,
        held_for text, unbind boolean, last_error text, schedule_note text, was_status text,
        was_held_for text, was_due_at timestamp) USING (change)
    WHERE delivery.id = m.id AND delivery.status = c.was_status
        AND delivery.held_for IS NOT DISTINCT FROM c.was_held_for
        AND delivery.due_at = c.was_due_at
        AND delivery.approval_id IS NOT DISTINCT FROM m.approval_id
    RETURNING delivery.id
    """
).bindparams(bindparam("stamp", type_=UTCDateTime()), bindparam("changes", type_=JSON))


def _bound_rows(plans: list[Plan]) -> list[dict[str, Any]]:
    """The parameters of ``_UPDATE_EACH``, one set per delivery."""
    return [
        {
            "b_id": row.id,
            "b_due_at": outcome.new_due,
            "b_planned_at": outcome.planned_at,
            "b_status": outcome.status,
            "b_held_for": outcome.held_for,
            "b_approval_id": None if outcome.unbind else row.approval_id,
            "b_last_error": outcome.last_error,
            "b_schedule_note": outcome.schedule_note,
            "b_old_status": row.status,
            "b_old_held_for": row.held_for,
            "b_old_due_at": row.due_at,
            "b_old_approval_id": row.approval_id,
        }
        for row, outcome in plans
    ]


def _arrays(plans: list[Plan]) -> dict[str, Any]:
    """The parameters of ``_UPDATE_FROM_ARRAYS``; times as naive UTC, as the column keeps them.

    A delivery sends the number of its change: its outcome and the state it was read in
    (status, hold, due time). Both are few and distinct (the same anchors give the same due
    times), so each change goes once, as JSON.
    """
    change_of: dict[tuple[Any, ...], int] = {}
    numbers = [
        change_of.setdefault((o, r.status, r.held_for, r.due_at), len(change_of)) for r, o in plans
    ]
    changes = [
        {
            "change": n,
            "due_at": _naive(outcome.new_due),
            "planned_at": _naive(outcome.planned_at),
            "status": outcome.status,
            "held_for": outcome.held_for,
            "unbind": outcome.unbind,
            "last_error": outcome.last_error,
            "schedule_note": outcome.schedule_note,
            "was_status": status,
            "was_held_for": held_for,
            "was_due_at": _naive(due),
        }
        for (outcome, status, held_for, due), n in change_of.items()
    ]
    return {
        "ids": _int_array(row.id for row, _ in plans),
        "change_of": _int_array(numbers),
        "approval_ids": _int_array(row.approval_id for row, _ in plans),
        "changes": changes,
    }


def _naive(when: datetime) -> str:
    return when.astimezone(UTC).replace(tzinfo=None).isoformat()


def _int_array(values: Iterable[int | None]) -> str:
    """A PostgreSQL array literal; psycopg adapts a list item by item in Python, far slower.

    ``str`` spells ``None`` as "None" and never puts letters in an integer.
    """
    return "{" + ",".join(map(str, values)).replace("None", "NULL") + "}"
