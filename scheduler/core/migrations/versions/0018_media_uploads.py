"""media uploads: the media table, and posts that still name a file on the server settled

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-06 08:00:00.000000

``media`` holds each production's uploaded images and videos (``scheduler.media``), stored
under their sha256. Posts from before links were required may still name a path or a
``file://`` URL; Callsheet no longer reads any file a post names, so such a medium could only
fail when the post is due. Each is taken out of its post now, never opened or even looked up
(there was no media folder before this revision, so no such path can name an upload). A post
that was in review or approved goes back to draft, its unsent deliveries unbound (``pending``,
no approval), so nothing goes out without it; its ``review_note`` and an AuditEvent
(``post.media_removed``, before and after) tell the team which media to upload again.
Downgrading drops the table; media taken out of posts are not put back.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTOR = "callsheet (migration 0018)"
UNSENT = ("pending", "scheduled", "retrying", "held", "claimed")


def upgrade() -> None:
    op.create_table(
        "media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("production_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.Column("original_name", sa.String(length=200), nullable=False),
        sa.Column("uploaded_by", sa.String(length=120), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["production_id"], ["production.id"]),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("production_id", "sha256", name="uq_media_production_sha256"),
    )
    op.create_index(op.f("ix_media_production_id"), "media", ["production_id"], unique=False)
    _settle_server_paths(op.get_bind())


def downgrade() -> None:
    op.drop_index(op.f("ix_media_production_id"), table_name="media")
    op.drop_table("media")


def _is_link(item: Any) -> bool:
    url = item.get("url") if isinstance(item, dict) else item
    if isinstance(item, dict) and "media_id" in item:
        return True
    return isinstance(url, str) and url.split(":", 1)[0].strip().lower() in ("http", "https")


def _settle_server_paths(conn: sa.Connection) -> None:
    post = sa.table(
        "post",
        sa.column("id"),
        sa.column("media", sa.JSON),
        sa.column("status"),
        sa.column("version"),
        sa.column("review_note"),
        sa.column("updated_at"),
    )
    delivery = sa.table(
        "delivery",
        sa.column("post_id"),
        sa.column("status"),
        sa.column("approval_id"),
        sa.column("held_for"),
        sa.column("lease_owner"),
        sa.column("lease_until"),
        sa.column("updated_at"),
    )
    event = sa.table(
        "auditevent",
        sa.column("at"),
        sa.column("actor"),
        sa.column("action"),
        sa.column("entity"),
        sa.column("entity_id"),
        sa.column("before", sa.JSON),
        sa.column("after", sa.JSON),
        sa.column("reason"),
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = conn.execute(sa.select(post.c.id, post.c.media, post.c.status, post.c.version)).all()
    for row in rows:
        media = list(row.media or [])
        dropped = [n for n, item in enumerate(media, 1) if not _is_link(item)]
        if not dropped:
            continue
        kept = [item for item in media if _is_link(item)]
        numbers = ", ".join(str(n) for n in dropped)
        reason = (
            f"media {numbers} named a file on the server, which Callsheet never reads: they "
            "were taken out of this post. Upload each file to the production's media "
            "(POST /productions/{id}/media) and attach it by its media_id."
        )
        back = row.status in ("in_review", "approved")
        values: dict[str, Any] = {"media": kept, "review_note": reason, "updated_at": now}
        if back:
            values.update(status="draft", version=row.version + 1)
        conn.execute(post.update().where(post.c.id == row.id).values(**values))
        conn.execute(
            delivery.update()
            .where(delivery.c.post_id == row.id, delivery.c.status.in_(UNSENT))
            .values(
                status="pending",
                approval_id=None,
                held_for=None,
                lease_owner=None,
                lease_until=None,
                updated_at=now,
            )
        )
        conn.execute(
            event.insert().values(
                at=now,
                actor=ACTOR,
                action="post.media_removed",
                entity="post",
                entity_id=row.id,
                before={"media": media, "status": row.status, "version": row.version},
                after={
                    "media": kept,
                    "status": "draft" if back else row.status,
                    "version": row.version + 1 if back else row.version,
                },
                reason=reason,
            )
        )
