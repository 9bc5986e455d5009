"""A published notice's PDF fingerprint, stored with it: the PDF's ETag (``GET /api/v1/notices/<period>.pdf``) was
the SHA-256 of the stored PDF, hashed again on every download; the bytes never change, so the hash is taken once when
the notice is published and kept beside them. Notices published with a PDF before this revision get theirs here.

Revision ID: 0027_reviewmend_notice_etag
Revises: 0026_mapfast_queue_indexes
Create Date: 2026-12-06
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0027_reviewmend_notice_etag"
down_revision = "0026_mapfast_queue_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("notices", sa.Column("pdf_sha256", sa.String(64)))
    conn = op.get_bind()
    ids = conn.execute(sa.text("SELECT id FROM notices WHERE pdf IS NOT NULL")).scalars().all()
    for notice_id in ids:  # one PDF in memory at a time (a notice a week or a month: few rows)
        pdf = conn.execute(sa.text("SELECT pdf FROM notices WHERE id = :id"), {"id": notice_id}).scalar_one()
        conn.execute(
            sa.text("UPDATE notices SET pdf_sha256 = :h WHERE id = :id"),
            {"h": hashlib.sha256(bytes(pdf)).hexdigest(), "id": notice_id},
        )


def downgrade() -> None:
    # SQLite ≥ 3.35 drops a column in place (as 0010 does)
    op.execute("ALTER TABLE notices DROP COLUMN pdf_sha256")
