"""A receipt code on each case a member of the public reported: they follow their report by it, without an account.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("receipt", sa.String(16)))
    op.create_index("ix_cases_receipt", "cases", ["receipt"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_cases_receipt", table_name="cases")
    # SQLite ≥ 3.35 drops a column in place; a batch copy of the table would lose SpatiaLite's geometry column
    op.execute("ALTER TABLE cases DROP COLUMN receipt")
