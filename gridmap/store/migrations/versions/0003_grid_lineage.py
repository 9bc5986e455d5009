"""Grid generation runs and grid lineage (which old grid became which new ones, by overlap).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "grid_generations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("scope", sa.String(100), nullable=False),
        sa.Column("target_m2", sa.Float, nullable=False),
        sa.Column("seq_width", sa.Integer, nullable=False),
        sa.Column("created_by", sa.String(100)),
        sa.Column("report", sa.JSON),
    )
    op.create_table(
        "grid_lineage",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("generation_id", sa.Integer, sa.ForeignKey("grid_generations.id"), nullable=False, index=True),
        sa.Column("old_grid_id", sa.Integer, sa.ForeignKey("grids.id"), nullable=False, index=True),
        sa.Column("new_grid_id", sa.Integer, sa.ForeignKey("grids.id"), nullable=False, index=True),
        sa.Column("overlap_m2", sa.Float, nullable=False),
        sa.Column("share_of_old", sa.Float, nullable=False),
        sa.Column("share_of_new", sa.Float, nullable=False),
        sa.UniqueConstraint("old_grid_id", "new_grid_id", name="uq_grid_lineage_pair"),
    )


def downgrade() -> None:
    op.drop_table("grid_lineage")
    op.drop_table("grid_generations")
