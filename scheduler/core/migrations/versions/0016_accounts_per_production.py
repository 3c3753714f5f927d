"""accounts per production; a webhook account's URL sealed with its secret

Revision ID: 0016
Revises: 0019 (written on 0015; after main's 0017 and 0019, so the branch has one head)
Create Date: 2026-12-06 08:00:00.000000

``accountproduction`` links an account to each production it serves. Today's accounts are
linked to every production whose posts have deliveries on them (delivery → post →
production); an account no post ever used serves no production, so only site admins see it
until one of them connects it.

A generic webhook account's ``url`` often carries a token in its path or query: it moves from
the readable ``settings`` into the sealed ``secrets`` (the adapter now declares it
``SecretStr``), sealed with the configured keys as migration 0007 sealed the others.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "accountproduction",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("production_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.ForeignKeyConstraint(["production_id"], ["production.id"]),
        sa.PrimaryKeyConstraint("account_id", "production_id"),
    )
    with op.batch_alter_table("accountproduction", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_accountproduction_production_id"), ["production_id"], unique=False
        )
    op.execute(
        "INSERT INTO accountproduction (account_id, production_id) "
        "SELECT DISTINCT delivery.account_id, post.production_id "
        "FROM delivery JOIN post ON post.id = delivery.post_id"
    )
    _seal_webhook_urls()


def _seal_webhook_urls() -> None:
    from scheduler.core.config import get_settings

    vault = get_settings().vault()
    account = sa.table(
        "account",
        sa.column("id"),
        sa.column("platform"),
        sa.column("settings", sa.JSON),
        sa.column("secrets"),
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(account.c.id, account.c.settings, account.c.secrets).where(
            account.c.platform == "webhook"
        )
    ).all()
    for row in rows:
        settings = dict(row.settings or {})
        if "url" not in settings:
            continue
        secrets = {**vault.open(row.secrets), "url": settings.pop("url")}
        conn.execute(
            account.update()
            .where(account.c.id == row.id)
            .values(settings=settings, secrets=vault.seal(secrets))
        )


def downgrade() -> None:
    with op.batch_alter_table("accountproduction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accountproduction_production_id"))
    op.drop_table("accountproduction")
