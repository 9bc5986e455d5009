"""Drop ``ix_case_events_case_id``: the unique index of ``(case_id, seq)`` already serves every look-up by case
(its leading column), so the second index only cost space and, in a bulk import, one more index build.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_case_events_case_id", table_name="case_events")


def downgrade() -> None:
    op.create_index("ix_case_events_case_id", "case_events", ["case_id"])
