"""A change counter for the routing layers: every committed write to segments, compounds, grids, areas, units or
assignments — from any process — bumps ``change_counters.n`` for ``'layers'``, so the bulk-routing cache can tell
exactly whether what it holds is current with one single-row read (its former fingerprint of max ids, counts and
sums missed edits that change no count or sum, such as a renamed unit, and saw the others up to 10 s late).

SQLite has row-level triggers only (a few µs per written row); PostgreSQL counts once per transaction. The table
is not an ORM model: it is bookkeeping of the database itself, and it survives the tests' truncation of the data.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

LAYER_TABLES = ("segments", "compounds", "grids", "areas", "units", "assignments")
_BUMP = (
    "INSERT INTO change_counters (name, n) VALUES ('layers', 1) "
    "ON CONFLICT (name) DO UPDATE SET n = change_counters.n + 1"
)


def upgrade() -> None:
    op.execute("CREATE TABLE change_counters (name VARCHAR(32) PRIMARY KEY, n BIGINT NOT NULL)")
    op.execute("INSERT INTO change_counters (name, n) VALUES ('layers', 0)")
    if op.get_bind().dialect.name == "postgresql":
        # Once per transaction is enough (a transaction-local setting remembers it): an executemany of 20,000
        # rows is 20,000 statements, and bumping on each cost 140 µs a statement on the hot counter row.
        op.execute(
            "CREATE FUNCTION gridmap_bump_layers() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF current_setting('gridmap.layers_bumped', true) IS DISTINCT FROM 'yes' THEN "
            f"{_BUMP}; PERFORM set_config('gridmap.layers_bumped', 'yes', true); "
            "END IF; RETURN NULL; END $$"
        )
        for table in LAYER_TABLES:
            op.execute(
                f"CREATE TRIGGER trg_{table}_layers AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION gridmap_bump_layers()"
            )
        return
    for table in LAYER_TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER trg_{table}_{event.lower()}_layers AFTER {event} ON {table} BEGIN {_BUMP}; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in LAYER_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_layers ON {table}")
        op.execute("DROP FUNCTION IF EXISTS gridmap_bump_layers()")
    else:
        for table in LAYER_TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_{event}_layers")
    op.execute("DROP TABLE change_counters")
