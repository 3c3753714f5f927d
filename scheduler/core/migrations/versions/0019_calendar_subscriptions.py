"""calendar subscriptions: a person's revocable link to one production's calendar feed

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-06 08:00:00.000000

Calendar apps cannot send an ``Authorization`` header, so a feed they subscribe to is read
through a link whose secret is its credential. ``calendarsubscription`` keeps each link's
SHA-256 (never the secret), its person and production, and when it was revoked. It is a table
of its own rather than a kind of ``accesstoken``, so a feed link can never sign in to the API.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import scheduler.core.models

revision: str = "0019"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendarsubscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("production_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", scheduler.core.models.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", scheduler.core.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["production_id"], ["production.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("calendarsubscription", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendarsubscription_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_calendarsubscription_production_id"), ["production_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("calendarsubscription", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendarsubscription_production_id"))
        batch_op.drop_index(batch_op.f("ix_calendarsubscription_person_id"))
    op.drop_table("calendarsubscription")
