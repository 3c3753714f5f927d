"""accounts can be removed: ``account.removed_at``

Revision ID: 0020
Revises: 0021
Create Date: 2026-12-06 11:00:00.000000

An account a person removes (``DELETE /accounts/{id}``) keeps its row: the deliveries it
published, and their audit trail, still name it. ``removed_at`` says it is out of use: it is
not listed, no post may target it, and nothing of it is claimed. Existing accounts are all in
use (``NULL``). Downgrading drops the column; removed accounts come back into the lists, but
their unsent deliveries stay cancelled.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import scheduler.core.models

revision: str = "0020"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("removed_at", scheduler.core.models.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("removed_at")
