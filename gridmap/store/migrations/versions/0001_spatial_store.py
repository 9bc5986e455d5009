"""The spatial store: areas, grids, segments, compounds, units, people, roles and assignments.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# CGCS2000 and the UTM zones of China, so SpatiaLite can transform to them when asked.
_EXTRA_SRIDS = (4490, 32648, 32649, 32650, 32651)


def _prepare_database() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        has_meta = bind.exec_driver_sql(
            "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='spatial_ref_sys'"
        ).scalar()
        if not has_meta:
            # 0: we are inside the migration's transaction already. Mode WGS84 loads only the WGS-84 family
            # (~0.03 s instead of ~10 s for the full EPSG set).
            bind.exec_driver_sql("SELECT InitSpatialMetadata(0, 'WGS84')")
        for srid in _EXTRA_SRIDS:
            bind.exec_driver_sql(
                f"SELECT InsertEpsgSrid({srid}) WHERE NOT EXISTS (SELECT 1 FROM spatial_ref_sys WHERE srid = {srid})"
            )
    elif bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")


def _geom(kind: str) -> sa.Column:
    return sa.Column("geom", Geometry(kind, srid=4326, spatial_index=True), nullable=False)


def _allowed(column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} IN ({', '.join(repr(v) for v in values)})", name=f"ck_{column}_allowed")


ROLES = (
    "responsible", "road_chief", "grid_worker", "inspector",
    "unit_leader", "compound_lead", "community_liaison", "civ_supervisor",
)  # fmt: skip


def upgrade() -> None:
    _prepare_database()
    op.create_table(
        "areas",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("level", sa.String(16), nullable=False, index=True),
        sa.Column("code", sa.String(20), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("areas.id"), index=True),
        sa.Column("area_m2", sa.Float, nullable=False),
        _geom("MULTIPOLYGON"),
        _allowed("level", ("district", "street", "community")),
    )
    op.create_table(
        "grids",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(20), nullable=False, index=True),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("areas.id"), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date),
        sa.Column("area_m2", sa.Float, nullable=False),
        _geom("MULTIPOLYGON"),
        sa.UniqueConstraint("code", "version", name="uq_grids_code_version"),
    )
    op.create_table(
        "segments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ext_id", sa.String(64), unique=True),
        sa.Column("name", sa.String(100), index=True),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("from_desc", sa.String(100)),
        sa.Column("to_desc", sa.String(100)),
        sa.Column("description", sa.String(300)),
        sa.Column("length_m", sa.Float, nullable=False),
        sa.Column("source", sa.String(200)),
        _geom("LINESTRING"),
        _allowed("level", ("main", "secondary", "back")),
    )
    op.create_table(
        "compounds",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ext_id", sa.String(64), unique=True),
        sa.Column("name", sa.String(100), index=True),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("areas.id"), index=True),
        sa.Column("households", sa.Integer),
        sa.Column("area_m2", sa.Float, nullable=False),
        sa.Column("source", sa.String(200)),
        _geom("MULTIPOLYGON"),
    )
    op.create_table(
        "units",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(64), unique=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("contact_name", sa.String(100)),
        sa.Column("contact_phone", sa.String(32)),
        sa.Column("area_id", sa.Integer, sa.ForeignKey("areas.id")),
        _allowed("kind", ("city_office", "district_office", "enterprise", "community")),
    )
    op.create_table(
        "people",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(64), unique=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("phone", sa.String(32)),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id"), index=True),
    )
    op.create_table(
        "person_roles",
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("role", sa.String(32), primary_key=True),
        _allowed("role", ROLES),
    )
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("target_kind", sa.String(16), nullable=False),
        sa.Column("target_id", sa.Integer, nullable=False),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id"), index=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), index=True),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date),
        sa.Column("assigned_by", sa.String(100)),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text),
        _allowed("target_kind", ("segment", "compound", "grid")),
        _allowed("role", ROLES),
        sa.CheckConstraint("unit_id IS NOT NULL OR person_id IS NOT NULL", name="ck_assignment_has_holder"),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="ck_assignment_period"),
    )
    op.create_index("ix_assignments_target", "assignments", ["target_kind", "target_id"])
    op.create_index(
        "uq_assignments_open",
        "assignments",
        ["target_kind", "target_id", "role"],
        unique=True,
        sqlite_where=sa.text("valid_to IS NULL"),
        postgresql_where=sa.text("valid_to IS NULL"),
    )


SPATIAL_TABLES = ("compounds", "segments", "grids", "areas")


def downgrade() -> None:
    bind = op.get_bind()
    for table in ("assignments", "person_roles", "people", "units"):
        op.drop_table(table)
    for table in SPATIAL_TABLES:
        if bind.dialect.name == "sqlite":
            # SpatiaLite keeps the R*Tree and the metadata row beside the table: remove them too.
            bind.exec_driver_sql(f"SELECT DisableSpatialIndex('{table}', 'geom')")
            bind.exec_driver_sql(f"DROP TABLE IF EXISTS idx_{table}_geom")
            bind.exec_driver_sql(f"SELECT DiscardGeometryColumn('{table}', 'geom')")
        op.drop_table(table)
