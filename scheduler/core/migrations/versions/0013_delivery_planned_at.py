"""a delivery's planned time, apart from when it is next tried

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 05:40:00.000000

``due_at`` moved with every retry, lookup and release, and the worker rendered the text with
it: a post saying "doors open at 18:00" that was retried became "18:01", differed from what
was approved, and was held. ``planned_at`` keeps the plan's time; existing deliveries are
planned for their current due time (the best there is: for most, the same).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import scheduler.core.models

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("planned_at", scheduler.core.models.UTCDateTime(), nullable=True)
        )
    op.execute("UPDATE delivery SET planned_at = due_at")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.alter_column(
            "planned_at", existing_type=scheduler.core.models.UTCDateTime(), nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_column("planned_at")
