"""``GET /api/v1/dashboard``: the start page's figures for the caller's scope; the large screen reads it each minute."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Blueprint, jsonify

from gridmap.dashboard import figures
from gridmap.web.api.openapi import operation
from gridmap.web.api.schemas.dashboard import Dashboard
from gridmap.web.auth import current_scope, signed_in
from gridmap.web.session import db_session
from gridmap.web.state import app_state

bp = Blueprint("dashboard_api", __name__)


def dashboard_figures() -> dict:
    tz = ZoneInfo(app_state().settings.cases.timezone)
    return figures(db_session(), current_scope(), dt.datetime.now(tz), tz)


@bp.get("/dashboard")
@signed_in
@operation("dashboard", tags=("cases",), ok={200: Dashboard})
def dashboard():
    """Reports today and this week, open / overdue / closed, weekly rates, top and bottom units, coverage, hot spots"""
    return jsonify(dashboard_figures())
