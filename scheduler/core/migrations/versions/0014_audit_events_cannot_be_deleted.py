"""audit events cannot be deleted: a trigger refuses DELETE, as 0011's refuses UPDATE

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 05:45:00.000000

The audit trail is evidence, and removing a row rewrites the story as surely as editing one:
whoever could delete "post.approved by …" could deny it happened. ``BEFORE DELETE`` triggers
refuse it on both databases, row by row.

Retention, if a studio ever needs it, is a separate privilege and a deliberate act: on
PostgreSQL the table's owner (which the application's role should not be) disables the
trigger for the job (``ALTER TABLE auditevent DISABLE TRIGGER auditevent_keep_rows``);
``TRUNCATE`` fires no row trigger and needs its own privilege. On SQLite whoever can write the
file can drop the trigger; the embedded default trusts its one machine.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "audit events are append-only: an auditevent row cannot be deleted"

POSTGRESQL_UP = (
    f"""
    CREATE FUNCTION auditevent_refuse_delete() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE} (id %)', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$
    """,
    """
    CREATE TRIGGER auditevent_keep_rows BEFORE DELETE ON auditevent
    FOR EACH ROW EXECUTE FUNCTION auditevent_refuse_delete()
    """,
)
POSTGRESQL_DOWN = (
    "DROP TRIGGER IF EXISTS auditevent_keep_rows ON auditevent",
    "DROP FUNCTION IF EXISTS auditevent_refuse_delete()",
)
SQLITE_UP = (
    f"""
    CREATE TRIGGER auditevent_keep_rows BEFORE DELETE ON auditevent
    BEGIN
        SELECT RAISE(ABORT, '{MESSAGE}');
    END
    """,
)
SQLITE_DOWN = ("DROP TRIGGER IF EXISTS auditevent_keep_rows",)


def upgrade() -> None:
    up = POSTGRESQL_UP if op.get_bind().dialect.name == "postgresql" else SQLITE_UP
    for statement in up:
        op.execute(statement)


def downgrade() -> None:
    down = POSTGRESQL_DOWN if op.get_bind().dialect.name == "postgresql" else SQLITE_DOWN
    for statement in down:
        op.execute(statement)
