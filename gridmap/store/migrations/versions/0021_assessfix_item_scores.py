"""Mock assessments scored item by item: one row per drawn point × checklist item (pass/fail, deduction, place,
photos, note, the case a failure opened).

Revision ID: 0021_assessfix_item_scores
Revises: 0020_notices
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_assessfix_item_scores"
down_revision = "0020_notices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assessment_item_scores",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("point_id", sa.Integer, sa.ForeignKey("assessment_points.id", ondelete="CASCADE"), nullable=False),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("checklist_items.id"), nullable=False),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("points_deducted", sa.Float, nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("photos", sa.JSON),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id")),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id")),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("client_id", sa.String(100), unique=True),
        sa.UniqueConstraint("point_id", "item_id", name="uq_assessment_item_scores_point_item"),
    )
    op.create_index("ix_assessment_item_scores_point_id", "assessment_item_scores", ["point_id"])
    op.create_index("ix_assessment_item_scores_case_id", "assessment_item_scores", ["case_id"])


def downgrade() -> None:
    op.drop_table("assessment_item_scores")
