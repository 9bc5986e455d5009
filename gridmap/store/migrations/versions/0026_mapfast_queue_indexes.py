"""Indexes for the menu's queue badge (issue 16): a commander's queue has two rare groups — extension requests and
supervised cases — that SQLite otherwise finds by reading every live case (0.5 s and 0.8 s at 40× the demo city with
200,000 open cases, on every page). A partial index holds the few cases with an extension request (by status, as the
group asks); a plain index on the supervision level finds the supervised ones (level > 0: few).

Revision ID: 0026_mapfast_queue_indexes
Revises: 0025_noticefast_notice_pdf
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026_mapfast_queue_indexes"
down_revision = "0025_noticefast_notice_pdf"
branch_labels = None
depends_on = None

_ASKED = "extension_requested_seconds IS NOT NULL"


def upgrade() -> None:
    op.create_index(
        "ix_cases_extension_asked",
        "cases",
        ["status"],
        sqlite_where=sa.text(_ASKED),
        postgresql_where=sa.text(_ASKED),
    )
    op.create_index("ix_cases_supervision_level", "cases", ["supervision_level"])


def downgrade() -> None:
    op.drop_index("ix_cases_supervision_level", table_name="cases")
    op.drop_index("ix_cases_extension_asked", table_name="cases")
