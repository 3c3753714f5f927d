"""talent sign-off links go to the talent: a hook per talent, and how each link was sent

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-06 07:45:00.000000

``talent.hook_sealed`` holds a talent's own notification hook, sealed with the vault (a hook URL
is often its own credential), and ``talent.hook_target`` how it is shown (scheme and host).
``talentsignoff.channel``, ``sent_to``, ``sent_at`` and ``send_error`` say how each request's
link went to the talent, or why it could not; requests made before have none (their links were
handed to whoever asked).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import scheduler.core.models

revision: str = "0017"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("talent", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hook_sealed", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("hook_target", sa.String(length=300), nullable=True))
    with op.batch_alter_table("talentsignoff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("sent_to", sa.String(length=300), nullable=True))
        batch_op.add_column(
            sa.Column("sent_at", scheduler.core.models.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("send_error", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("talentsignoff", schema=None) as batch_op:
        batch_op.drop_column("send_error")
        batch_op.drop_column("sent_at")
        batch_op.drop_column("sent_to")
        batch_op.drop_column("channel")
    with op.batch_alter_table("talent", schema=None) as batch_op:
        batch_op.drop_column("hook_target")
        batch_op.drop_column("hook_sealed")
