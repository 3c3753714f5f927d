"""approval binding and late policy: media notes on approvals, a production's late policy, a
post's own latest useful time, a delivery a person chose to send late

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 05:00:00.000000

Existing productions get the default policy (a grace of 120 minutes after the due time);
existing approvals bound no bytes, so they get no notes; no delivery was released late.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import scheduler.core.models

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("production", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("late_policy", sa.String(length=20), nullable=False, server_default="grace")
        )
        batch_op.add_column(
            sa.Column("late_grace_minutes", sa.Integer(), nullable=False, server_default="120")
        )
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("latest_at", scheduler.core.models.UTCDateTime(), nullable=True)
        )
    with op.batch_alter_table("approval", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("media_notes", sa.JSON(), nullable=False, server_default="[]")
        )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("send_late", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_column("send_late")
    with op.batch_alter_table("approval", schema=None) as batch_op:
        batch_op.drop_column("media_notes")
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_column("latest_at")
    with op.batch_alter_table("production", schema=None) as batch_op:
        batch_op.drop_column("late_grace_minutes")
        batch_op.drop_column("late_policy")
