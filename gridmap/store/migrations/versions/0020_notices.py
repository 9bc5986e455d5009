"""Published notices 通报: a period's notice content frozen when published (the archive).

Revision ID: 0020_notices
Revises: 0019_case_indexes
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_notices"
down_revision = "0019_case_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("period", sa.String(40), nullable=False, unique=True),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("title_zh", sa.String(200), nullable=False),
        sa.Column("content", sa.JSON, nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(200)),
    )


def downgrade() -> None:
    op.drop_table("notices")
