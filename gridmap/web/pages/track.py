"""The public's page: follow a report by its receipt code (查询码), no account needed — its status, the unit
handling it and the latest note, nothing about people."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request

from gridmap.cases import open311
from gridmap.errors import NotFound
from gridmap.web.auth import public
from gridmap.web.limits import no_code, public_limit
from gridmap.web.session import db_session
from gridmap.web.state import app_state

bp = Blueprint("track", __name__)


@bp.get("/track")
@public
@public_limit(exempt_when=no_code)  # a code looked up counts: receipt codes are not to be guessed
def track_page():
    code = (request.args.get("code") or "").strip()[:64]
    found, missing = None, False
    if code:
        try:
            found = open311.track(db_session(), code, app_state().settings)
        except NotFound:
            missing = True
    status = 404 if missing else 200
    page = render_template("track.html", code=code, found=found, missing=missing, lang=g.get("lang", "zh_CN"))
    return page, status
