"""Party members and volunteers in the community 在职党员进社区: points schemes, members, posts, sign-ups, services
(check-in/out with positions) and evaluation scores.

Revision ID: 0022_volunteers_posts_service
Revises: 0020_notices
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022_volunteers_posts_service"
down_revision = "0021_assessfix_item_scores"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "volunteer_schemes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("name_zh", sa.String(200), nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("created_by", sa.String(200)),
        sa.UniqueConstraint("code", "version", name="uq_volunteer_schemes_version"),
    )
    op.create_table(
        "volunteers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("party_org", sa.String(200), index=True),
        sa.Column("team", sa.String(200)),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("areas.id"), index=True),
        sa.Column("joined_on", sa.Date, nullable=False),
    )
    op.create_table(
        "volunteer_posts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("areas.id"), nullable=False, index=True),
        sa.Column("compound_id", sa.Integer, sa.ForeignKey("compounds.id"), index=True),
        sa.Column("duty", sa.String(32), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("slots", sa.Integer, nullable=False),
        sa.Column("tolerance_m", sa.Float, nullable=False),
        sa.Column("published_at", TZ, nullable=False),
        sa.Column("published_by", sa.String(200), nullable=False),
        sa.Column("closed_at", TZ),
    )
    op.create_table(
        "volunteer_signups",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("post_id", sa.Integer, sa.ForeignKey("volunteer_posts.id"), nullable=False, index=True),
        sa.Column("volunteer_id", sa.Integer, sa.ForeignKey("volunteers.id"), nullable=False, index=True),
        sa.Column("signed_at", TZ, nullable=False),
        sa.UniqueConstraint("post_id", "volunteer_id", name="uq_volunteer_signups"),
    )
    op.create_table(
        "volunteer_shifts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("signup_id", sa.Integer, sa.ForeignKey("volunteer_signups.id"), nullable=False, index=True),
        sa.Column("started_at", TZ, nullable=False, index=True),
        sa.Column("start_lon", sa.Float, nullable=False),
        sa.Column("start_lat", sa.Float, nullable=False),
        sa.Column("ended_at", TZ),
        sa.Column("end_lon", sa.Float),
        sa.Column("end_lat", sa.Float),
        sa.Column("confirmed_at", TZ),
        sa.Column("confirmed_by", sa.String(200)),
    )
    op.create_table(
        "volunteer_reviews",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("volunteer_id", sa.Integer, sa.ForeignKey("volunteers.id"), nullable=False, index=True),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("by", sa.String(200), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.UniqueConstraint("volunteer_id", "period", "source", "by", name="uq_volunteer_reviews"),
    )


def downgrade() -> None:
    for table in ("volunteer_reviews", "volunteer_shifts", "volunteer_signups", "volunteer_posts", "volunteers",
                  "volunteer_schemes"):  # fmt: skip
        op.drop_table(table)
