"""An assessment is closed once its scores are final: until then a scored item may be corrected or deleted.

Revision ID: 0024_inspectfinish_closed
Revises: 0023_heatagg_heat_totals
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024_inspectfinish_closed"
down_revision = "0023_heatagg_heat_totals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("assessments", sa.Column("closed_at", sa.DateTime(timezone=True)))
    op.add_column("assessments", sa.Column("closed_by", sa.String(200)))


def downgrade() -> None:
    # SQLite ≥ 3.35 drops a column in place (no batch copy of the table)
    op.execute("ALTER TABLE assessments DROP COLUMN closed_by")
    op.execute("ALTER TABLE assessments DROP COLUMN closed_at")
