"""Index units by area: the default responsible party (属地兜底) of a point is looked up by area on every report.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_units_area_id", "units", ["area_id"])


def downgrade() -> None:
    op.drop_index("ix_units_area_id", table_name="units")
