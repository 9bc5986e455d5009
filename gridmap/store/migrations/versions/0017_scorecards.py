"""Evaluation schemes as data (versioned JSON documents), published scorecards and their rows, and the two indexes
the scorecards count through: case events by time, cases by deadline.

Revision ID: 0017_scorecards
Revises: 0016_patrols
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_scorecards"
down_revision = "0016_patrols"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # covering: a period's events are counted from the index alone (the rows carry notes, photos, data)
    op.create_index("ix_case_events_at", "case_events", ["at", "action", "case_id", "seq", "to_status", "actor"])
    op.create_index("ix_cases_deadline_at", "cases", ["deadline_at"])
    op.create_table(
        "evaluation_schemes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(64), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("name_zh", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200)),
        sa.Column("subject", sa.String(16), nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200)),
        sa.Column("note", sa.Text),
        sa.UniqueConstraint("code", "version", name="uq_evaluation_schemes_version"),
    )
    op.create_table(
        "scorecards",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("scheme_id", sa.Integer, sa.ForeignKey("evaluation_schemes.id"), nullable=False, index=True),
        sa.Column("scheme_code", sa.String(64), nullable=False),
        sa.Column("scheme_version", sa.Integer, nullable=False),
        sa.Column("subject", sa.String(16), nullable=False),
        sa.Column("period", sa.String(40), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(200)),
        sa.Column("note", sa.Text),
        sa.UniqueConstraint("scheme_code", "period", name="uq_scorecards_period"),
    )
    op.create_table(
        "scorecard_rows",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "scorecard_id", sa.Integer, sa.ForeignKey("scorecards.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("subject_id", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("peer_group", sa.String(32)),
        sa.Column("counts", sa.JSON, nullable=False),
        sa.Column("values", sa.JSON, nullable=False),
        sa.Column("points", sa.JSON, nullable=False),
        sa.Column("score", sa.Float),
        sa.Column("grade", sa.String(4)),
        sa.Column("rank", sa.Integer),
    )


def downgrade() -> None:
    op.drop_table("scorecard_rows")
    op.drop_table("scorecards")
    op.drop_table("evaluation_schemes")
    op.drop_index("ix_cases_deadline_at", "cases")
    op.drop_index("ix_case_events_at", "case_events")
