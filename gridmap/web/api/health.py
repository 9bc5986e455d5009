"""JSON API (version 1): the health check, and the OpenAPI document describing every ``/api/v1`` operation."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

import gridmap
from gridmap.catalogue.holiday_file import missing_holidays
from gridmap.responsibility.overview import next_step, store_summary
from gridmap.store.dialect import dialect_of
from gridmap.store.engine import current_revision
from gridmap.web.api.openapi import document, operation
from gridmap.web.api.schemas.common import HealthStatus
from gridmap.web.api.schemas.health import Health, OpenAPIDocument
from gridmap.web.auth import public
from gridmap.web.i18n import translate
from gridmap.web.session import db_session
from gridmap.web.state import app_state

bp = Blueprint("api", __name__)


@bp.get("/health")
@public
@operation("health", tags=("store",), ok={200: Health, 503: (Health, "the database has no schema yet")})
def health():
    """Liveness, and what the store holds

    A commander's (or a monitor's) first check: the version, the database, the schema revision and the counts of
    every layer with how much of it has a responsible unit today.
    """
    engine = app_state().engine
    revision = current_revision(engine)
    body: dict[str, object] = {
        "status": HealthStatus.OK if revision else HealthStatus.UNINITIALISED,
        "version": gridmap.__version__,
        "database": dialect_of(engine).name,
        "schema_revision": revision,
    }
    if revision:
        body["store"] = store_summary(db_session())
        step = next_step(db_session())
        if step is not None:
            body["next_step"] = {"step": step, "message": translate(f"next_{step}", g.get("lang", "zh_CN"))}
        late = missing_holidays(db_session())
        if late is not None:
            message = late.zh if g.get("lang", "zh_CN") == "zh_CN" else late.en
            body["warnings"] = [{"code": "holidays_missing", "year": late.year, "message": message}]
    return jsonify(body), (200 if revision else 503)


@bp.get("/openapi.json")
@public
@operation("openapi", tags=("store",), ok={200: OpenAPIDocument})
def openapi():
    """This document (OpenAPI 3.1)"""
    return jsonify(document(request.host_url.rstrip("/")))
