"""Maintained heat counts (issue 16): each case's grid and road segment, and the counts per grid / segment / 街道,
status and category, kept current by the writes themselves so ``/api/v1/heat?mode=grids|segments`` reads a few
thousand rows instead of locating every case.

Triggers note every case written (opened, status or place changed, imported, voided, deleted — whichever code path)
in ``heat_dirty``; any write to grids or segments notes ``*`` (rebuild all). A separate note table from
``aggregate_dirty`` (0018), so the two consumers never take each other's notes. SQLite: row triggers; PostgreSQL:
row and statement triggers on one function.

Revision ID: 0023_heatagg_heat_totals
Revises: 0022_volunteers_posts_service
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023_heatagg_heat_totals"
down_revision = "0022_volunteers_posts_service"
branch_labels = None
depends_on = None

_NOTE = "INSERT INTO heat_dirty (kind, target_id)"
_CASE_COLUMNS = "status, category, lon, lat, street_id"  # what a case's heat counts depend on
_REBUILD = f"{_NOTE} SELECT '*', 0 WHERE NOT EXISTS (SELECT 1 FROM heat_dirty WHERE kind = '*');"


def upgrade() -> None:
    op.create_table(
        "heat_dirty",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("target_id", sa.Integer, nullable=False),
    )
    op.create_table(
        "heat_places",
        sa.Column("case_id", sa.Integer, primary_key=True),
        sa.Column("grid_id", sa.Integer, nullable=False),  # 0: in no grid in force
        sa.Column("segment_id", sa.Integer, nullable=False),  # 0: no road within 30 m
        sa.Column("street_id", sa.Integer, nullable=False),  # 0: none
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
    )
    op.create_table(
        "heat_totals",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("target_id", sa.Integer, primary_key=True),
        sa.Column("status", sa.String(16), primary_key=True),
        sa.Column("category", sa.String(16), primary_key=True),
        sa.Column("n", sa.Integer, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION gridmap_note_heat() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_LEVEL = 'STATEMENT' THEN {_REBUILD} "
            f"ELSIF TG_OP = 'DELETE' THEN {_NOTE} VALUES ('case', OLD.id); "
            f"ELSE {_NOTE} VALUES ('case', NEW.id); "
            "END IF; RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER trg_cases_heat AFTER INSERT OR DELETE OR UPDATE OF {_CASE_COLUMNS} ON cases "
            "FOR EACH ROW EXECUTE FUNCTION gridmap_note_heat()"
        )
        op.execute(
            "CREATE TRIGGER trg_cases_heat_truncate AFTER TRUNCATE ON cases "
            "FOR EACH STATEMENT EXECUTE FUNCTION gridmap_note_heat()"
        )
        for table in ("grids", "segments"):
            op.execute(
                f"CREATE TRIGGER trg_{table}_heat AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION gridmap_note_heat()"
            )
        return
    for event, row in (("insert", "NEW"), ("update", "NEW"), ("delete", "OLD")):
        what = f"UPDATE OF {_CASE_COLUMNS}" if event == "update" else event.upper()
        op.execute(
            f"CREATE TRIGGER trg_cases_{event}_heat AFTER {what} ON cases BEGIN {_NOTE} VALUES ('case', {row}.id); END"
        )
        for table in ("grids", "segments"):
            op.execute(f"CREATE TRIGGER trg_{table}_{event}_heat AFTER {event.upper()} ON {table} BEGIN {_REBUILD} END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for trigger, table in (("trg_cases_heat", "cases"), ("trg_cases_heat_truncate", "cases"),
                               ("trg_grids_heat", "grids"), ("trg_segments_heat", "segments")):  # fmt: skip
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS gridmap_note_heat()")
    else:
        for table in ("cases", "grids", "segments"):
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_{event}_heat")
    for table in ("heat_totals", "heat_places", "heat_dirty"):
        op.drop_table(table)
