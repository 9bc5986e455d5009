"""JSON API (version 1)."""

from __future__ import annotations

from flask import Blueprint, jsonify

import gridmap
from gridmap.responsibility.overview import store_summary
from gridmap.store.dialect import dialect_of
from gridmap.store.engine import current_revision
from gridmap.web.session import db_session
from gridmap.web.state import app_state

bp = Blueprint("api", __name__)


@bp.get("/health")
def health():
    """Liveness plus what the store holds: a commander's (or a monitor's) first check."""
    engine = app_state().engine
    revision = current_revision(engine)
    body: dict[str, object] = {
        "status": "ok" if revision else "uninitialised",
        "version": gridmap.__version__,
        "database": dialect_of(engine).name,
        "schema_revision": revision,
    }
    if revision:
        body["store"] = store_summary(db_session())
    return jsonify(body), (200 if revision else 503)
