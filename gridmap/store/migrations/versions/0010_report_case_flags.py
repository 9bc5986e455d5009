"""Flags on a case for its verifier: a report's photos taken far from the reported point or long before it.

Revision ID: 0010_report_case_flags
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_report_case_flags"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("flags", sa.JSON()))


def downgrade() -> None:
    # SQLite ≥ 3.35 drops a column in place; a batch copy of the table would lose SpatiaLite's geometry column
    op.execute("ALTER TABLE cases DROP COLUMN flags")
