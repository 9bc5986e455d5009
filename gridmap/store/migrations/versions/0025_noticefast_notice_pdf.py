"""A published notice's PDF, rendered once when it is published and stored (issue 15): a published notice is frozen,
so ``GET /api/v1/notices/<period>.pdf`` serves these bytes (with an ETag) instead of laying out 20 pages again.
Notices published before this revision have none: their PDF is still rendered on each reading.

Revision ID: 0025_noticefast_notice_pdf
Revises: 0024_inspectfinish_closed
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025_noticefast_notice_pdf"
down_revision = "0024_inspectfinish_closed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("notices", sa.Column("pdf", sa.LargeBinary()))


def downgrade() -> None:
    # SQLite ≥ 3.35 drops a column in place (as 0010 does)
    op.execute("ALTER TABLE notices DROP COLUMN pdf")
