"""Accounts (one role, an optional scope), API tokens (stored hashed) and the append-only audit trail.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ROLES = ("admin", "commander", "dispatcher", "unit_clerk", "grid_worker", "inspector", "viewer")


def upgrade() -> None:
    tz = sa.DateTime(timezone=True)
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("password", sa.String(255), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("fs_uniquifier", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("scope_area_id", sa.Integer, sa.ForeignKey("areas.id")),
        sa.Column("scope_unit_id", sa.Integer, sa.ForeignKey("units.id")),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id")),
        sa.Column("created_at", tz, nullable=False),
        sa.Column("failed_logins", sa.Integer, nullable=False),
        sa.Column("locked_until", tz),
        sa.Column("last_login_at", tz),
        sa.Column("current_login_at", tz),
        sa.Column("last_login_ip", sa.String(64)),
        sa.Column("current_login_ip", sa.String(64)),
        sa.Column("login_count", sa.Integer),
        sa.CheckConstraint(" OR ".join(f"role = '{r}'" for r in ROLES), name="ck_role_allowed"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("name", sa.String(100)),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("created_at", tz, nullable=False),
        sa.Column("expires_at", tz),
        sa.Column("revoked_at", tz),
        sa.Column("last_used_at", tz),
    )
    op.create_index("ix_api_tokens_account_id", "api_tokens", ["account_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", tz, nullable=False),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id")),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("address", sa.String(64)),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("object_kind", sa.String(32)),
        sa.Column("object_id", sa.String(64)),
        sa.Column("before", sa.JSON),
        sa.Column("after", sa.JSON),
        sa.Column("note", sa.Text),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_account_id", "audit_log", ["account_id"])
    op.create_index("ix_audit_object", "audit_log", ["object_kind", "object_id"])


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("api_tokens")
    op.drop_table("accounts")
