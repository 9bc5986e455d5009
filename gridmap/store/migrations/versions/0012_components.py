"""Components 部件: the city's inventory of public facilities (manhole covers, street lamps, bins...), each a point
with its component class (the standard's 4-digit code, e.g. ``0101`` 井盖 = category ``BJ0101``) and its owner
权属单位, so a report of a component category can be routed to the owner of the nearest such component.

Revision ID: 0012_components
Revises: 0011_units_people
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0012_components"
down_revision = "0011_units_people"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "components",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(64), unique=True),
        sa.Column("class_code", sa.String(8), nullable=False, index=True),
        sa.Column("name", sa.String(200)),
        sa.Column("owner_unit_id", sa.Integer, sa.ForeignKey("units.id"), index=True),
        sa.Column("source", sa.String(200)),
        # GeoAlchemy2 creates the spatial index with the column: SpatiaLite's R*Tree idx_components_geom,
        # PostGIS's GiST idx_components_geom
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=True), nullable=False),
    )
    # the bulk router's copy of the layers (change counter "layers", migration 0007) must see component writes
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER trg_components_layers AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON components "
            "FOR EACH STATEMENT EXECUTE FUNCTION gridmap_bump_counter('layers')"
        )
        return
    for event in ("insert", "update", "delete"):
        op.execute(
            f"CREATE TRIGGER trg_components_{event}_layers AFTER {event.upper()} ON components BEGIN "
            "INSERT INTO change_counters (name, n) VALUES ('layers', 1) "
            "ON CONFLICT (name) DO UPDATE SET n = change_counters.n + 1; END"
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS trg_components_layers ON components")
    else:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_components_{event}_layers")
    if bind.dialect.name == "sqlite":
        bind.exec_driver_sql("SELECT DisableSpatialIndex('components', 'geom')")
        bind.exec_driver_sql("DROP TABLE IF EXISTS idx_components_geom")
        bind.exec_driver_sql("SELECT DiscardGeometryColumn('components', 'geom')")
    op.drop_table("components")
