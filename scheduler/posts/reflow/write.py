"""Writing a move's plans: every delivery in one statement, and posts back to review.

On PostgreSQL one ``UPDATE … FROM unnest(…)`` (ids and approvals as arrays, the few distinct
outcomes as JSON); on SQLite an executemany. Apart from the planner because this is the only
part that differs between the two databases, and the only one that writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC
from typing import Any

from sqlalchemy import JSON, bindparam, text, update
from sqlmodel import Session, SQLModel

from scheduler.core.models import PostStatus, UTCDateTime, utcnow
from scheduler.posts.reflow.plan import CHUNK, Plan

_DELIVERY, _POST = SQLModel.metadata.tables["delivery"], SQLModel.metadata.tables["post"]
_d, _p = _DELIVERY.c, _POST.c


def apply_plans(session: Session, plans: list[Plan]) -> None:
    """Write every planned change; posts that lost approval go back to review.

    On PostgreSQL the deliveries are one ``UPDATE … FROM unnest(…)``: one statement and one
    round trip instead of 10,000 in an executemany, which took most of a move. Each delivery
    sends its id, its approval and the number of its outcome; the few distinct outcomes go
    once, as JSON. SQLite has neither function, and no network between it and us, so it keeps
    the executemany.
    """
    if not plans:
        return
    stamp, conn = utcnow(), session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(_UPDATE_FROM_ARRAYS, {"stamp": stamp, **_arrays(plans)})
    else:
        conn.execute(_UPDATE_EACH.values(updated_at=stamp), _bound_rows(plans))
    back = sorted({row.post_id for row, outcome in plans if outcome.unbind})
    for start in range(0, len(back), CHUNK):
        to_review = (
            update(_POST)
            .where(_p.id.in_(back[start : start + CHUNK]), _p.status == PostStatus.approved.value)
            .values(status=PostStatus.in_review.value, updated_at=stamp)
        )
        conn.execute(to_review)
    session.expire_all()  # deliveries and posts changed under the ORM's feet


_UPDATE_EACH = (
    update(_DELIVERY)
    .where(_d.id == bindparam("b_id"))
    .values(
        {
            c: bindparam(f"b_{c}")
            for c in ("due_at", "status", "held_for", "approval_id", "last_error", "schedule_note")
        }
    )
)
_UPDATE_FROM_ARRAYS = text(
    """
    UPDATE delivery SET due_at = o.due_at, status = o.status, held_for = o.held_for,
        approval_id = m.approval_id, last_error = o.last_error, schedule_note = o.schedule_note,
        updated_at = :stamp
    FROM unnest(CAST(:ids AS int[]), CAST(:outcome_of AS int[]), CAST(:approval_ids AS int[]))
        AS m(id, outcome, approval_id)
    JOIN json_to_recordset(:outcomes) AS o(outcome int, due_at timestamp, status text,
        held_for text, last_error text, schedule_note text) USING (outcome)
    WHERE delivery.id = m.id
    """
).bindparams(bindparam("stamp", type_=UTCDateTime()), bindparam("outcomes", type_=JSON))


def _bound_rows(plans: list[Plan]) -> list[dict[str, Any]]:
    """The parameters of ``_UPDATE_EACH``, one set per delivery."""
    return [
        {
            "b_id": row.id,
            "b_due_at": outcome.new_due,
            "b_status": outcome.status,
            "b_held_for": outcome.held_for,
            "b_approval_id": None if outcome.unbind else row.approval_id,
            "b_last_error": outcome.last_error,
            "b_schedule_note": outcome.schedule_note,
        }
        for row, outcome in plans
    ]


def _arrays(plans: list[Plan]) -> dict[str, Any]:
    """The parameters of ``_UPDATE_FROM_ARRAYS``; times as naive UTC, as the column keeps them."""
    number = {outcome: n for n, outcome in enumerate(dict.fromkeys(o for _, o in plans))}
    outcomes = [
        {
            "outcome": n,
            "due_at": outcome.new_due.astimezone(UTC).replace(tzinfo=None).isoformat(),
            "status": outcome.status,
            "held_for": outcome.held_for,
            "last_error": outcome.last_error,
            "schedule_note": outcome.schedule_note,
        }
        for outcome, n in number.items()
    ]
    return {
        "ids": _int_array(row.id for row, _ in plans),
        "outcome_of": _int_array(number[outcome] for _, outcome in plans),
        "approval_ids": _int_array(
            None if outcome.unbind else row.approval_id for row, outcome in plans
        ),
        "outcomes": outcomes,
    }


def _int_array(values: Iterable[int | None]) -> str:
    """A PostgreSQL array literal; psycopg adapts a list item by item in Python, far slower.

    ``str`` spells ``None`` as "None" and never puts letters in an integer.
    """
    return "{" + ",".join(map(str, values)).replace("None", "NULL") + "}"
