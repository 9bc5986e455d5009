"""我的网格 (/mygrid): a grid worker's or inspector's phone page — what they look after on a map around their
position, the open cases there, their re-checks (pass / fail with a photo) and a quick report prefilled with their
position and grid. The page's steps go through the JSON API (/api/v1/cases/<id>/events, /api/v1/reports)."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, render_template, request

from gridmap.accounts.roles import R
from gridmap.cases.values import validate_point
from gridmap.catalogue.categories import list_categories
from gridmap.errors import InvalidInput, Problem
from gridmap.maps.mygrid import my_grid
from gridmap.responsibility.overview import next_step
from gridmap.web.auth import allow, current_actor
from gridmap.web.i18n import translate
from gridmap.web.session import db_session
from gridmap.web.state import app_state

bp = Blueprint("mygrid", __name__)

STRINGS = (
    "mygrid_located", "mygrid_no_gps", "mygrid_pass", "mygrid_fail", "mygrid_note", "mygrid_photo", "mygrid_done",
    "mygrid_fail_needs_note", "mygrid_no_tasks", "mygrid_no_cases", "mygrid_sent", "mygrid_need_position",
    "mygrid_need_category", "mygrid_basis_person", "mygrid_basis_unit", "mygrid_basis_scope", "mygrid_basis_none",
    "mygrid_deadline", "mygrid_case", "mygrid_failed",
)  # fmt: skip


@bp.get("/mygrid")
@allow(R.GRID_WORKER, R.INSPECTOR)
def mygrid_page():
    lang = str(g.get("lang", "zh_CN"))
    cats = [
        {"code": c["code"], "name": c["name_zh"] if lang == "zh_CN" else (c.get("name_en") or c["name_zh"]),
         "sub": c["parent_code"] is not None}
        for c in list_categories(db_session(), active=True)
    ]  # fmt: skip
    source = "inspection" if current_actor().role == R.INSPECTOR else "patrol"
    return render_template(
        "mygrid.html",
        categories=cats,
        source=source,
        strings={k: translate(k, lang) for k in STRINGS},
        next_step=next_step(db_session()),
    )


@bp.get("/mygrid/data.json")
@allow(R.GRID_WORKER, R.INSPECTOR)
def mygrid_data():
    """The page's data: my features (GeoJSON), the open cases there, my re-checks."""
    problems: list[Problem] = []
    lon = lat = None
    if request.args.get("lon") or request.args.get("lat"):  # where I stand: both or neither, on the Earth
        point = validate_point(request.args.get("lon"), request.args.get("lat"), problems)
        if problems:
            raise InvalidInput(problems)
        assert point is not None
        lon, lat = point
    return jsonify(my_grid(db_session(), current_actor(), app_state().settings, lon=lon, lat=lat))
