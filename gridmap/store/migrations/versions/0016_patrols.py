"""Road-chief patrols 路长巡查: each patrol's raw track and kept fixes, and what it covered of each road segment per
day (gridmap.patrols).

Revision ID: 0016_patrols
Revises: 0015_places_assessments
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0016_patrols"
down_revision = "0015_places_assessments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "patrols",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False, index=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("crs", sa.String(8), nullable=False),
        sa.Column("raw", sa.Text, nullable=False),
        sa.Column("fixes", sa.Integer, nullable=False),
        sa.Column("kept", sa.Integer, nullable=False),
        sa.Column("length_m", sa.Float, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("geom", Geometry("LINESTRING", srid=4326, spatial_index=True), nullable=False),
    )
    op.create_table(
        "patrol_visits",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("patrol_id", sa.Integer, sa.ForeignKey("patrols.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False, index=True),
        sa.Column("segment_id", sa.Integer, sa.ForeignKey("segments.id"), nullable=False),
        sa.Column("day", sa.Date, nullable=False, index=True),
        sa.Column("fixes", sa.Integer, nullable=False),
        sa.Column("covered_share", sa.Float, nullable=False),
        sa.Column("patrolled", sa.Boolean, nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_patrol_visits_segment_day", "patrol_visits", ["segment_id", "day"])


def downgrade() -> None:
    op.drop_table("patrol_visits")
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        bind.exec_driver_sql("SELECT DisableSpatialIndex('patrols', 'geom')")
        bind.exec_driver_sql("DROP TABLE IF EXISTS idx_patrols_geom")
        bind.exec_driver_sql("SELECT DiscardGeometryColumn('patrols', 'geom')")
    op.drop_table("patrols")
