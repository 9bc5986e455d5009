"""Maintained gap totals (issue 16): per kind and 社区, the features and the gaps nobody is responsible for, kept
current by the writes themselves so ``/api/v1/gaps/summary`` reads a few hundred rows instead of every feature.

Triggers note every written segment, compound, grid and assignment target in ``aggregate_dirty`` (any edit of the
areas: ``*``, rebuild all) — whichever code path wrote them (assign, end, imports, roster, restore, SQL by hand);
:mod:`gridmap.responsibility.gap_totals` consumes the notes. SQLite: row triggers; PostgreSQL: one row trigger
function, and statement triggers for areas and TRUNCATE.

Revision ID: 0018_gap_totals
Revises: 0017_scorecards
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_gap_totals"
down_revision = "0017_scorecards"
branch_labels = None
depends_on = None

FEATURES = {"segments": "segment", "compounds": "compound", "grids": "grid"}
_NOTE = "INSERT INTO aggregate_dirty (kind, target_id) VALUES"


def upgrade() -> None:
    op.create_table(
        "aggregate_state",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("day", sa.Date),
    )
    op.create_table(
        "aggregate_dirty",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("target_id", sa.Integer, nullable=False),
    )
    op.create_table(
        "gap_features",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("feature_id", sa.Integer, primary_key=True),
        sa.Column("community_id", sa.Integer, nullable=False),
        sa.Column("measure_milli", sa.BigInteger, nullable=False),
        sa.Column("gap", sa.Boolean, nullable=False),
    )
    op.create_table(
        "gap_totals",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("community_id", sa.Integer, primary_key=True),
        sa.Column("features", sa.Integer, nullable=False),
        sa.Column("gaps", sa.Integer, nullable=False),
        sa.Column("measure_milli", sa.BigInteger, nullable=False),
        sa.Column("gap_milli", sa.BigInteger, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION gridmap_note_dirty() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF TG_LEVEL = 'STATEMENT' THEN "
            f"{_NOTE} ('*', 0); "
            "ELSIF TG_TABLE_NAME = 'assignments' THEN "
            f"IF TG_OP <> 'INSERT' THEN {_NOTE} (OLD.target_kind, OLD.target_id); END IF; "
            f"IF TG_OP <> 'DELETE' THEN {_NOTE} (NEW.target_kind, NEW.target_id); END IF; "
            f"ELSIF TG_OP = 'DELETE' THEN {_NOTE} (TG_ARGV[0], OLD.id); "
            f"ELSE {_NOTE} (TG_ARGV[0], NEW.id); "
            "END IF; RETURN NULL; END $$"
        )
        for table, kind in [*FEATURES.items(), ("assignments", "")]:
            op.execute(
                f"CREATE TRIGGER trg_{table}_aggregates AFTER INSERT OR UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION gridmap_note_dirty('{kind}')"
            )
            op.execute(
                f"CREATE TRIGGER trg_{table}_aggregates_truncate AFTER TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION gridmap_note_dirty('*')"
            )
        op.execute(
            "CREATE TRIGGER trg_areas_aggregates AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON areas "
            "FOR EACH STATEMENT EXECUTE FUNCTION gridmap_note_dirty('*')"
        )
        return
    for table, kind in FEATURES.items():
        for event, row in (("insert", "NEW"), ("update", "NEW"), ("delete", "OLD")):
            op.execute(
                f"CREATE TRIGGER trg_{table}_{event}_aggregates AFTER {event.upper()} ON {table} "
                f"BEGIN {_NOTE} ('{kind}', {row}.id); END"
            )
    for event, rows in (("insert", ("NEW",)), ("update", ("OLD", "NEW")), ("delete", ("OLD",))):
        notes = " ".join(f"{_NOTE} ({r}.target_kind, {r}.target_id);" for r in rows)
        op.execute(
            f"CREATE TRIGGER trg_assignments_{event}_aggregates AFTER {event.upper()} ON assignments BEGIN {notes} END"
        )
    for event in ("insert", "update", "delete"):
        op.execute(
            f"CREATE TRIGGER trg_areas_{event}_aggregates AFTER {event.upper()} ON areas BEGIN {_NOTE} ('*', 0); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in [*FEATURES, "assignments"]:
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_aggregates ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_aggregates_truncate ON {table}")
        op.execute("DROP TRIGGER IF EXISTS trg_areas_aggregates ON areas")
        op.execute("DROP FUNCTION IF EXISTS gridmap_note_dirty()")
    else:
        for table in [*FEATURES, "assignments", "areas"]:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_{event}_aggregates")
    for table in ("gap_totals", "gap_features", "aggregate_dirty", "aggregate_state"):
        op.drop_table(table)
