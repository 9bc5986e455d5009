"""Case-list indexes for millions of cases (issue 16): a category with a period (``category`` and ``from``/``to``,
the scorecards' and the heatmap's links) was found through the category alone, then every case of it read for its
opening time — 0.4 s of CPU at 1,000,000 cases on SpatiaLite to count 7,000 of a month. One index on (category,
status, opening time) answers the category alone, the category of the open cases (0.98 s → 3 ms of CPU at
1,000,000: an index on (category, opening time) alone made SQLite read every case of the category for its status)
and, skipping through the few statuses, the category in a period; the plain category index it starts with goes.

Revision ID: 0029_casescale_case_list_indexes
Revises: 0028_scorefast_due_index
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0029_casescale_case_list_indexes"
down_revision = "0028_scorefast_due_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_category_status_created", "cases", ["category", "status", "created_at"])
    op.drop_index("ix_cases_category", table_name="cases")


def downgrade() -> None:
    op.create_index("ix_cases_category", "cases", ["category"])
    op.drop_index("ix_cases_category_status_created", table_name="cases")
