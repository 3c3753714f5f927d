"""media with kind and alt text

A post's media were URLs; each becomes ``{"url", "kind", "alt"}`` with its kind read from the
extension (``image`` when it does not say) and no alt text yet.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21 22:40:00
"""

import mimetypes
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _medium(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    guessed, _ = mimetypes.guess_type(urlsplit(value).path)
    kind = "video" if (guessed or "").startswith("video/") else "image"
    return {"url": value, "kind": kind, "alt": None}


def upgrade() -> None:
    post = sa.table("post", sa.column("id"), sa.column("media", sa.JSON))
    conn = op.get_bind()
    for row in conn.execute(sa.select(post.c.id, post.c.media)).all():
        media = list(row.media or [])
        if any(isinstance(item, str) for item in media):
            converted = [_medium(item) for item in media]
            conn.execute(post.update().where(post.c.id == row.id).values(media=converted))


def downgrade() -> None:
    post = sa.table("post", sa.column("id"), sa.column("media", sa.JSON))
    conn = op.get_bind()
    for row in conn.execute(sa.select(post.c.id, post.c.media)).all():
        urls = [item["url"] if isinstance(item, dict) else item for item in row.media or []]
        conn.execute(post.update().where(post.c.id == row.id).values(media=urls))
