"""account secrets, reconnect state; delivery lookups and platform progress

Secrets that accounts kept in ``settings`` (webhook secrets, tokens) move into the encrypted
``secrets`` column, sealed with the configured keys.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21 22:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Settings keys that held secrets before they were encrypted (the adapters' SecretStr fields).
_SECRET_KEYS = ("secret", "access_token", "refresh_token", "app_password", "webhook_url")


def upgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("secrets", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("needs_reconnect", sa.String(length=500), nullable=True))
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("needs_lookup", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("platform_state", sa.JSON(), nullable=True))
    _seal_existing_secrets()


def _seal_existing_secrets() -> None:
    from scheduler.core.config import get_settings

    vault = get_settings().vault()
    account = sa.table(
        "account", sa.column("id"), sa.column("settings", sa.JSON), sa.column("secrets")
    )
    conn = op.get_bind()
    for row in conn.execute(sa.select(account.c.id, account.c.settings)).all():
        settings = dict(row.settings or {})
        secrets = {key: settings.pop(key) for key in _SECRET_KEYS if key in settings}
        if secrets:
            conn.execute(
                account.update()
                .where(account.c.id == row.id)
                .values(settings=settings, secrets=vault.seal(secrets))
            )


def downgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_column("platform_state")
        batch_op.drop_column("needs_lookup")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("needs_reconnect")
        batch_op.drop_column("secrets")
