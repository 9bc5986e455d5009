"""Inspections 明查暗访 (issue 14): checklist templates by point type, in frozen editions, with their items; inspections
(open or covert) and their findings; and on cases the ``withheld`` flag that hides a covert inspection's cases from
unit clerks until a commander publishes it.

Revision ID: 0013_inspections
Revises: 0012_components
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_inspections"
down_revision = "0012_components"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("withheld", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_table(
        "checklist_templates",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("point_type", sa.String(32), nullable=False, index=True),
        sa.Column("edition", sa.Integer, nullable=False),
        sa.Column("name_zh", sa.String(100), nullable=False),
        sa.Column("name_en", sa.String(200)),
        sa.Column("frozen", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("point_type", "edition", name="uq_checklist_edition"),
    )
    op.create_table(
        "checklist_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("template_id", sa.Integer, sa.ForeignKey("checklist_templates.id"), nullable=False, index=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("name_zh", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200)),
        sa.Column("standard", sa.Text),
        sa.Column("points", sa.Float, nullable=False),
        sa.Column("observations", sa.Integer, nullable=False),
        sa.Column("category", sa.String(16), sa.ForeignKey("categories.code"), nullable=False),
        sa.UniqueConstraint("template_id", "code", name="uq_checklist_item_code"),
    )
    op.create_table(
        "inspections",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("team", sa.String(200)),
        sa.Column("day", sa.Date, nullable=False, index=True),
        sa.Column("street_id", sa.Integer, sa.ForeignKey("areas.id")),
        sa.Column("template_id", sa.Integer, sa.ForeignKey("checklist_templates.id"), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("published_by", sa.String(200)),
        sa.CheckConstraint("kind = 'open' OR kind = 'covert'", name="ck_kind_allowed"),
    )
    op.create_table(
        "inspection_findings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("inspection_id", sa.Integer, sa.ForeignKey("inspections.id"), nullable=False, index=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("checklist_items.id"), nullable=False),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("points_deducted", sa.Float, nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("photos", sa.JSON),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), index=True),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id"), index=True),
        sa.Column("recheck_of", sa.Integer, sa.ForeignKey("inspection_findings.id"), index=True),
        sa.Column("repeat", sa.Boolean, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("client_id", sa.String(100), unique=True),
    )


def downgrade() -> None:
    op.drop_table("inspection_findings")
    op.drop_table("inspections")
    op.drop_table("checklist_items")
    op.drop_table("checklist_templates")
    # SQLite ≥ 3.35 drops a column in place; a batch copy of the table would lose SpatiaLite's geometry column
    op.execute("ALTER TABLE cases DROP COLUMN withheld")
