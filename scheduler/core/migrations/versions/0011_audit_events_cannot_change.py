"""audit events cannot change: a trigger refuses UPDATE; an index for a production's trail

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22 09:30:00.000000

The audit trail is evidence: what it says happened must not be editable afterwards, not even
by a bug or a hand-typed statement. A ``BEFORE UPDATE`` trigger refuses every change to an
``auditevent`` row on both databases. ``DELETE`` stays possible on purpose: tests empty the
tables between runs, and a retention policy will remove old rows whole, never rewrite them.

SQLite keeps triggers with their table: a later migration that rebuilds ``auditevent`` in
batch mode (copy, drop, rename) drops the trigger and must create it again.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "audit events are append-only: an auditevent row cannot be changed"

POSTGRESQL_UP = (
    f"""
    CREATE FUNCTION auditevent_refuse_update() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE} (id %)', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$
    """,
    """
    CREATE TRIGGER auditevent_append_only BEFORE UPDATE ON auditevent
    FOR EACH ROW EXECUTE FUNCTION auditevent_refuse_update()
    """,
)
POSTGRESQL_DOWN = (
    "DROP TRIGGER IF EXISTS auditevent_append_only ON auditevent",
    "DROP FUNCTION IF EXISTS auditevent_refuse_update()",
)
SQLITE_UP = (
    f"""
    CREATE TRIGGER auditevent_append_only BEFORE UPDATE ON auditevent
    BEGIN
        SELECT RAISE(ABORT, '{MESSAGE}');
    END
    """,
)
SQLITE_DOWN = ("DROP TRIGGER IF EXISTS auditevent_append_only",)


def upgrade() -> None:
    op.create_index("ix_auditevent_entity_entity_id", "auditevent", ["entity", "entity_id"])
    up = POSTGRESQL_UP if op.get_bind().dialect.name == "postgresql" else SQLITE_UP
    for statement in up:
        op.execute(statement)


def downgrade() -> None:
    down = POSTGRESQL_DOWN if op.get_bind().dialect.name == "postgresql" else SQLITE_DOWN
    for statement in down:
        op.execute(statement)
    op.drop_index("ix_auditevent_entity_entity_id", table_name="auditevent")
