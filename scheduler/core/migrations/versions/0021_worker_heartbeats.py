"""worker heartbeats: the worker processes seen, and when each last said it was alive

Revision ID: 0021
Revises: 0018
Create Date: 2026-12-06 11:00:00.000000

Celery's ``inspect`` needs a broker that carries broadcasts, and the embedded one (kombu's
SQLite transport) does not, so each ``callsheet worker`` writes its own row here on start, every
``worker_heartbeat_seconds`` and on a clean shutdown; ``callsheet status`` and the metrics read
it. A new table: nothing to carry over.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import scheduler.core.models

revision: str = "0021"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workerheartbeat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("queue", sa.String(length=200), nullable=False),
        sa.Column("concurrency", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("heartbeat_seconds", sa.Float(), nullable=False),
        sa.Column("started_at", scheduler.core.models.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", scheduler.core.models.UTCDateTime(), nullable=False),
        sa.Column("stopped_at", scheduler.core.models.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("workerheartbeat")
