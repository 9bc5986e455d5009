"""HTML pages."""

from __future__ import annotations

from flask import Blueprint, g, make_response, redirect, render_template, request, url_for

from gridmap.responsibility.overview import next_step, store_summary
from gridmap.store.engine import current_revision
from gridmap.web.auth import current_scope, public, signed_in
from gridmap.web.session import db_session
from gridmap.web.state import app_state

bp = Blueprint("pages", __name__)


@bp.get("/")
@signed_in
def index():
    state = app_state()
    migrated = current_revision(state.engine)
    summary = store_summary(db_session(), scope=current_scope()) if migrated else None
    step = next_step(db_session()) if migrated else None
    page = render_template("index.html", summary=summary, next_step=step, attribution=state.attribution, lang=g.lang)
    resp = make_response(page)
    if request.args.get("lang"):
        resp.set_cookie("lang", g.lang, max_age=365 * 24 * 3600, samesite="Lax")
    return resp


@bp.get("/favicon.ico")
@public
def favicon():
    return redirect(url_for("static", filename="favicon.svg"), code=301)
