"""separation of duties: who wrote a post's version, and the one-person-team relaxation

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 06:00:00.000000

``post.written_by_id`` names the person who wrote the current version, so they cannot approve
it; existing posts have none (nobody is known to have written them, so nobody is refused).
``production.self_approval`` relaxes the rule for a one-person team (off), and
``approval.self_approved`` marks each approval that used it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.add_column(sa.Column("written_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_post_written_by_id_person", "person", ["written_by_id"], ["id"]
        )
    with op.batch_alter_table("production", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("self_approval", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("approval", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("self_approved", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("approval", schema=None) as batch_op:
        batch_op.drop_column("self_approved")
    with op.batch_alter_table("production", schema=None) as batch_op:
        batch_op.drop_column("self_approval")
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_constraint("fk_post_written_by_id_person", type_="foreignkey")
        batch_op.drop_column("written_by_id")
