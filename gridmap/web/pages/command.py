"""The commander's working pages: assign by drawing (/assign), the gaps (/gaps), the problem heatmap (/heatmap).

They stand on the map base of :mod:`gridmap.web.pages.maps` (folium with local assets; layers fetched by the page script
``static/js/layers.js``); their own behaviour is in ``static/js/assign.js``, ``gaps.js`` and ``heatmap.js``.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, g, render_template, request

from gridmap.accounts import roles
from gridmap.errors import InvalidInput, Problem
from gridmap.maps import heat
from gridmap.responsibility import gaps
from gridmap.store.models import Role
from gridmap.store.targets import KINDS, ROLE_LABELS, parse_kinds
from gridmap.web.auth import allow, current_actor, current_scope, signed_in
from gridmap.web.i18n import translate
from gridmap.web.pages.maps import render_map_page
from gridmap.web.query_args import at_arg
from gridmap.web.session import db_session
from gridmap.web.state import app_state

bp = Blueprint("command", __name__)

PAGE_STRINGS = (
    "caught", "caught_free", "caught_owned", "held_by_others", "choose_unit", "assigned_ok", "nothing_to_assign",
    "conflict_reload", "end_assignment", "ended_ok", "current_holder", "nobody",
    "history", "valid_from", "valid_to", "unassigned_segments", "unassigned_compounds", "unassigned_grid_km2",
    "unassigned_km", "coverage_road", "coverage_compound", "coverage_grid", "nearest_units", "default_party",
    "gap_count", "case_count", "case_list", "per_km", "per_km2", "loading", "responsible_unit", "role", "name",
    "group_free", "group_own", "group_others", "take_over_named", "take_over_confirm", "confirm_assign",
    "kept_by_others", "unit_kind_city_office", "unit_kind_district_office", "unit_kind_enterprise",
    "unit_kind_community", "unit_kind_other", "unit_count_segment", "unit_count_compound", "unit_count_grid",
    "family_event", "family_component", "family_inspection", "quantile_scale", "case_unit", "assign_this",
    "case_count_view", "heat_by_street", "heat_what_grids", "heat_what_segments", "heat_truncated",
)  # fmt: skip


def _strings() -> dict[str, str]:
    lang = g.get("lang", "zh_CN")
    return {k: translate(k, lang) for k in PAGE_STRINGS}


@bp.get("/assign")
@allow(*roles.ASSIGNS)
def assign_page():
    lang = g.get("lang", "zh_CN")
    today = dt.date.today()
    roles = [{"value": r.value, "label": ROLE_LABELS[r][0 if lang == "zh_CN" else 1]} for r in Role]
    return render_map_page(
        "assign.html",
        zoom=15,
        config={"page": "assign", "pageStrings": _strings(), "today": today.isoformat()},
        roles=roles,
        today=today,
        totals=gaps.summary(db_session(), scope=current_scope())["district"],
    )


@bp.get("/gaps")
@signed_in
def gaps_page():
    at = at_arg()
    problems: list[Problem] = []
    kinds = parse_kinds(",".join(request.args.getlist("kind")), problems, field="kind")
    if problems:
        raise InvalidInput(problems)
    summary = gaps.summary(db_session(), at=at, scope=current_scope())
    street = request.args.get("street") or ""
    if street and street not in {s["code"] for s in summary["streets"]}:
        raise InvalidInput(Problem(f"no 街道 {street!r}", field="street"))
    query = {"at": summary["as_of"], "kind": ",".join(kinds)}
    if street:
        query["street"] = street
    return render_map_page(
        "gaps.html",
        zoom=13,
        config={
            "page": "gaps",
            "pageStrings": _strings(),
            "query": query,
            "canAssign": current_actor().role in roles.ASSIGNS,
        },
        summary=summary,
        kinds=kinds,
        all_kinds=KINDS,
        street=street,
        query=query,
        today=dt.date.today(),
    )


@bp.get("/heatmap")
@signed_in
def heatmap_page():
    session = db_session()
    return render_map_page(
        "heatmap.html",
        zoom=13,
        config={"page": "heatmap", "pageStrings": _strings(), "initial": request.args.to_dict()},
        streets=heat.area_options(session),
        args=request.args,
    )


@bp.get("/heatmap/cases")
@signed_in
def heatmap_cases():
    """The cases behind the heatmap, as a plain list with the same filters (the heatmap's click-through)."""
    from gridmap import cases

    state = app_state()
    filters = request.args.to_dict()
    filters.pop("lang", None)
    filters["sort"] = filters.get("sort") or "deadline"
    listed = cases.list_cases(db_session(), filters, state.settings, actor=current_actor())
    pages = max(1, -(-int(listed["total"]) // int(listed["per_page"])))
    return render_template(
        "heat_cases.html",
        listed=listed,
        pages=pages,
        filters=filters,
        attribution=state.attribution,
        lang=g.get("lang", "zh_CN"),
    )
