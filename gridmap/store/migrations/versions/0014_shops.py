"""门前五包 shops (issue 15): schemes (items, points, category map, flag ladder as data), the shop registry with
its position and derived frontage, responsibility letters 责任书, monthly scores with their deductions (each
naming its case), and flags.

Revision ID: 0014_shops
Revises: 0013_inspections
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0014_shops"
down_revision = "0013_inspections"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "shop_schemes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("rules", sa.JSON, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("code", "version", name="uq_shop_schemes_code_version"),
    )
    op.create_table(
        "shops",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("credit_code", sa.String(18), unique=True),
        sa.Column("kind", sa.String(50)),
        sa.Column("owner", sa.String(100)),
        sa.Column("phone", sa.String(32)),
        sa.Column("address", sa.String(300)),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=True), nullable=False),
        sa.Column("segment_id", sa.Integer, sa.ForeignKey("segments.id"), index=True),
        sa.Column("grid_id", sa.Integer, sa.ForeignKey("grids.id"), index=True),
        sa.Column("street_id", sa.Integer, sa.ForeignKey("areas.id"), index=True),
        sa.Column("frontage", Geometry("POLYGON", srid=4326, spatial_index=False)),
        sa.Column("frontage_m2", sa.Float),
        sa.Column("closed_on", sa.Date),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "shop_letters",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("shop_id", sa.Integer, sa.ForeignKey("shops.id"), nullable=False, index=True),
        sa.Column("scheme_id", sa.Integer, sa.ForeignKey("shop_schemes.id"), nullable=False, index=True),
        sa.Column("signer", sa.String(100), nullable=False),
        sa.Column("signed_on", sa.Date, nullable=False),
        sa.Column("scan", sa.String(100)),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date),
        sa.Column("created_by", sa.String(100)),
        sa.Column("created_at", TZ, nullable=False),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="ck_shop_letter_period"),
    )
    op.create_table(
        "shop_scores",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("shop_id", sa.Integer, sa.ForeignKey("shops.id"), nullable=False, index=True),
        sa.Column("month", sa.String(7), nullable=False, index=True),
        sa.Column("scheme_id", sa.Integer, sa.ForeignKey("shop_schemes.id"), nullable=False),
        sa.Column("full", sa.Float, nullable=False),
        sa.Column("points", sa.Float, nullable=False),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("fail_streak", sa.Integer, nullable=False),
        sa.Column("street_id", sa.Integer, sa.ForeignKey("areas.id"), index=True),
        sa.Column("segment_id", sa.Integer, sa.ForeignKey("segments.id")),
        sa.Column("rank_street", sa.Integer),
        sa.Column("rank_road", sa.Integer),
        sa.Column("computed_at", TZ, nullable=False),
        sa.UniqueConstraint("shop_id", "month", name="uq_shop_scores_month"),
    )
    op.create_table(
        "shop_deductions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "score_id", sa.Integer, sa.ForeignKey("shop_scores.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("item", sa.String(32), nullable=False),
        sa.Column("points", sa.Float, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("source_id", sa.Integer, nullable=False),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), index=True),
        sa.Column("category", sa.String(16)),
        sa.Column("note", sa.String(300)),
    )
    op.create_table(
        "shop_flags",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("shop_id", sa.Integer, sa.ForeignKey("shops.id"), nullable=False, index=True),
        sa.Column("month", sa.String(7), nullable=False, index=True),
        sa.Column("color", sa.String(8), nullable=False),
        sa.Column("step", sa.String(32)),
        sa.Column("reason", sa.String(300)),
        sa.Column("awarded_at", TZ, nullable=False),
        sa.UniqueConstraint("shop_id", "month", name="uq_shop_flags_month"),
    )


def downgrade() -> None:
    for table in ("shop_flags", "shop_deductions", "shop_scores", "shop_letters"):
        op.drop_table(table)
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        bind.exec_driver_sql("SELECT DisableSpatialIndex('shops', 'geom')")
        bind.exec_driver_sql("DROP TABLE IF EXISTS idx_shops_geom")
        bind.exec_driver_sql("SELECT DiscardGeometryColumn('shops', 'geom')")
        bind.exec_driver_sql("SELECT DiscardGeometryColumn('shops', 'frontage')")
    op.drop_table("shops")
    op.drop_table("shop_schemes")
