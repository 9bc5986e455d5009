"""Change counters: every committed write to a set of tables — from any process — bumps ``change_counters.n`` for
that set's name, so a per-process copy of those tables can tell exactly whether it is current with one single-row
read (see ``gridmap/store/change_counters.py``). ``layers``: the routing layers and their responsibility; ``catalogue``:
the problem categories and the holidays.

SQLite has row-level triggers only (a few µs per written row); on PostgreSQL a statement-level trigger bumps once
per transaction (a transaction-local setting remembers it): an executemany of 20,000 rows is 20,000 statements,
and bumping on each cost 140 µs a statement on the hot counter row. The table is not an ORM model: it is
bookkeeping of the database itself, and it survives the tests' truncation of the data.

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

COUNTERS = {
    "layers": ("segments", "compounds", "grids", "areas", "units", "assignments"),
    "catalogue": ("categories", "holidays"),
}


def _bump(name: str) -> str:
    return (
        f"INSERT INTO change_counters (name, n) VALUES ({name}, 1) "
        "ON CONFLICT (name) DO UPDATE SET n = change_counters.n + 1"
    )


def upgrade() -> None:
    op.execute("CREATE TABLE change_counters (name VARCHAR(32) PRIMARY KEY, n BIGINT NOT NULL)")
    for name in COUNTERS:
        op.execute(f"INSERT INTO change_counters (name, n) VALUES ('{name}', 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION gridmap_bump_counter() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "DECLARE flag text := 'gridmap.bumped_' || TG_ARGV[0]; BEGIN "
            "IF current_setting(flag, true) IS DISTINCT FROM 'yes' THEN "
            f"{_bump('TG_ARGV[0]')}; PERFORM set_config(flag, 'yes', true); "
            "END IF; RETURN NULL; END $$"
        )
        for name, tables in COUNTERS.items():
            for table in tables:
                op.execute(
                    f"CREATE TRIGGER trg_{table}_{name} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION gridmap_bump_counter('{name}')"
                )
        return
    for name, tables in COUNTERS.items():
        for table in tables:
            for event in ("insert", "update", "delete"):
                op.execute(
                    f"CREATE TRIGGER trg_{table}_{event}_{name} AFTER {event.upper()} ON {table} "
                    f"BEGIN {_bump(repr(name))}; END"
                )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, tables in COUNTERS.items():
        for table in tables:
            if postgres:
                op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_{name} ON {table}")
            else:
                for event in ("insert", "update", "delete"):
                    op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_{event}_{name}")
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS gridmap_bump_counter()")
    op.execute("DROP TABLE change_counters")
