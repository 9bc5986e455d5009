"""Cases and the closed loop: categories, holidays, cases (with a point and a spatial index) and case events.

The category tree and the 2026 holidays are seed data written by ``gridmap categories seed`` (run by ``init`` and
``demo``), not by this migration, so a database cleaned by the tests or by a city can be re-seeded at any time.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UNITS = "('urgent_hours', 'work_hours', 'work_days')"
STATUSES = ("pending", "open", "dispatched", "in_progress", "reported_back", "closed", "void", "parked")
SOURCES = ("patrol", "inspection", "public", "open311", "import")


def _allowed(column: str, values: tuple[str, ...], name: str | None = None) -> sa.CheckConstraint:
    return sa.CheckConstraint(
        f"{column} IN ({', '.join(repr(v) for v in values)})", name=name or f"ck_{column}_allowed"
    )


def upgrade() -> None:
    op.create_table(
        "categories",
        sa.Column("code", sa.String(16), primary_key=True),
        sa.Column("parent_code", sa.String(16), sa.ForeignKey("categories.code"), index=True),
        sa.Column("family", sa.String(16), nullable=False),
        sa.Column("name_zh", sa.String(100), nullable=False),
        sa.Column("name_en", sa.String(200)),
        sa.Column("description", sa.Text),
        sa.Column("deadline_amount", sa.Float),
        sa.Column("deadline_unit", sa.String(16)),
        sa.Column("urgent_amount", sa.Float),
        sa.Column("urgent_unit", sa.String(16)),
        sa.Column("default_urgency", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        _allowed("family", ("event", "component", "inspection")),
        _allowed("default_urgency", ("normal", "urgent")),
        sa.CheckConstraint(f"deadline_unit IS NULL OR deadline_unit IN {UNITS}", name="ck_deadline_unit_allowed"),
        sa.CheckConstraint(f"urgent_unit IS NULL OR urgent_unit IN {UNITS}", name="ck_urgent_unit_allowed"),
    )
    op.create_table(
        "holidays",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("is_workday", sa.Boolean, nullable=False),
        sa.Column("name", sa.String(50)),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("client_id", sa.String(100), unique=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("reporter", sa.String(200)),
        sa.Column("category", sa.String(16), sa.ForeignKey("categories.code"), nullable=False, index=True),
        sa.Column("description", sa.Text),
        sa.Column("address", sa.String(300)),
        sa.Column("urgency", sa.String(16), nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=True), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id"), index=True),
        sa.Column("matched_kind", sa.String(16)),
        sa.Column("matched_id", sa.Integer),
        sa.Column("matched_name", sa.String(200)),
        sa.Column("rule", sa.String(32)),
        sa.Column("distance_m", sa.Float),
        sa.Column("ambiguous", sa.Boolean, nullable=False),
        sa.Column("routing", sa.JSON),
        sa.Column("street_id", sa.Integer, sa.ForeignKey("areas.id"), index=True),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("areas.id"), index=True),
        sa.Column("deadline_unit", sa.String(16)),
        sa.Column("limit_seconds", sa.Float),
        sa.Column("deadline_at", sa.DateTime(timezone=True)),
        sa.Column("paused_at", sa.DateTime(timezone=True)),
        sa.Column("paused_seconds", sa.Float, nullable=False),
        sa.Column("parked_from", sa.String(16)),
        sa.Column("extension_requested_seconds", sa.Float),
        sa.Column("extension_count", sa.Integer, nullable=False),
        sa.Column("rework_count", sa.Integer, nullable=False),
        sa.Column("supervision_level", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("duplicate_of", sa.Integer, sa.ForeignKey("cases.id"), index=True),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("verified", sa.Boolean, nullable=False),
        _allowed("source", SOURCES),
        _allowed("status", STATUSES),
        _allowed("urgency", ("normal", "urgent")),
        sa.CheckConstraint(f"deadline_unit IS NULL OR deadline_unit IN {UNITS}", name="ck_case_deadline_unit_allowed"),
    )
    op.create_index("ix_cases_status_deadline", "cases", ["status", "deadline_at"])
    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("from_status", sa.String(16)),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(200)),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("photos", sa.JSON),
        sa.Column("data", sa.JSON),
        sa.UniqueConstraint("case_id", "seq", name="uq_case_events_seq"),
    )


def downgrade() -> None:
    bind = op.get_bind()
    op.drop_table("case_events")
    if bind.dialect.name == "sqlite":
        bind.exec_driver_sql("SELECT DisableSpatialIndex('cases', 'geom')")
        bind.exec_driver_sql("DROP TABLE IF EXISTS idx_cases_geom")
        bind.exec_driver_sql("SELECT DiscardGeometryColumn('cases', 'geom')")
    op.drop_table("cases")
    op.drop_table("holidays")
    op.drop_table("categories")
