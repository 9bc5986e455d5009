"""Field points 考察点位 (places: markets, parks, sites, schools… as points or polygons, with their 街道/社区) and
mock assessments 模拟测评 (a stored, repeatable stratified draw and its points' scores).

Revision ID: 0015_places_assessments
Revises: 0014_shops
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0015_places_assessments"
down_revision = "0014_shops"
branch_labels = None
depends_on = None

PLACE_KINDS = ("market", "park", "site", "school", "commercial", "hospital", "station", "hall")
SOURCES = ("segment", "compound", "place")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return " OR ".join(f"{column} = '{v}'" for v in values)


def upgrade() -> None:
    op.create_table(
        "places",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ext_id", sa.String(64), unique=True),
        sa.Column("name", sa.String(100), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False, index=True),
        sa.Column("street_id", sa.Integer, sa.ForeignKey("areas.id"), index=True),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("areas.id"), index=True),
        sa.Column("area_m2", sa.Float),
        sa.Column("source", sa.String(200)),
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=True), nullable=False),
        sa.Column("outline", Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=True),
        sa.CheckConstraint(_one_of("kind", PLACE_KINDS), name="ck_kind_allowed"),
    )
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("drawn_on", sa.Date, nullable=False, index=True),
        sa.Column("seed", sa.BigInteger, nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "assessment_points",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("assessment_id", sa.Integer, sa.ForeignKey("assessments.id", ondelete="CASCADE"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("point_type", sa.String(32), nullable=False),
        sa.Column("target_kind", sa.String(16), nullable=False),
        sa.Column("target_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200)),
        sa.Column("street_id", sa.Integer, sa.ForeignKey("areas.id")),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("team", sa.Integer, nullable=False),
        sa.Column("stop", sa.Integer, nullable=False),
        sa.Column("score", sa.Float),
        sa.Column("possible", sa.Float),
        sa.Column("note", sa.Text),
        sa.Column("scored_by", sa.String(200)),
        sa.Column("scored_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint(_one_of("target_kind", SOURCES), name="ck_assessment_points_kind"),
        sa.UniqueConstraint("assessment_id", "target_kind", "target_id", name="uq_assessment_points_target"),
        sa.CheckConstraint("possible IS NULL OR possible > 0", name="ck_assessment_points_possible"),
        sa.CheckConstraint("score IS NULL OR (score >= 0 AND score <= possible)", name="ck_assessment_points_score"),
    )
    op.create_index("ix_assessment_points_target", "assessment_points", ["target_kind", "target_id"])


def downgrade() -> None:
    op.drop_index("ix_assessment_points_target", table_name="assessment_points")
    op.drop_table("assessment_points")
    op.drop_table("assessments")
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        bind.exec_driver_sql("SELECT DisableSpatialIndex('places', 'geom')")
        bind.exec_driver_sql("DROP TABLE IF EXISTS idx_places_geom")
        bind.exec_driver_sql("SELECT DiscardGeometryColumn('places', 'geom')")
        bind.exec_driver_sql("SELECT DiscardGeometryColumn('places', 'outline')")
    op.drop_table("places")
