"""Map pages: the coverage map, a unit's page, a feature's history. Pages are built with folium
(:mod:`gridmap.web.foliummap`); layers are never inlined — the page's ES modules (``static/js/``; ``layers.js``)
fetch them from ``/ogc`` by bounding box and zoom (the JSON behind popups and search: :mod:`gridmap.web.api.maps`).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, g, render_template, request

from gridmap.cases.states import STATUS_ZH
from gridmap.maps.features import feature_history, unit_overview
from gridmap.maps.layers import ENDING_SOON_DAYS, city_extent
from gridmap.responsibility.overview import next_step
from gridmap.store.models import CaseStatus
from gridmap.store.targets import kinds_config
from gridmap.tiles.layers import TILE_LAYERS
from gridmap.web.auth import current_actor, current_scope, signed_in
from gridmap.web.foliummap import make_map, render_parts
from gridmap.web.i18n import translate
from gridmap.web.query_args import at_arg
from gridmap.web.session import db_session
from gridmap.web.state import app_state

bp = Blueprint("maps", __name__)

# Strings the map script needs, in the page language.
JS_STRINGS = (
    "streets",
    "communities",
    "grids",
    "segments",
    "compounds",
    "cases",
    "components",
    "owner_unit",
    "no_owner",
    "zoom_in_components",
    "assigned_state",
    "unassigned_state",
    "ending_state",
    "responsible_unit",
    "none_responsible",
    "open_cases",
    "no_open_cases",
    "history",
    "deadline",
    "color_by_state",
    "color_by_unit",
    "other_units",
    "search_none",
    "loading",
    "too_many_features",
    "zoom_in_segments",
    "zoom_in_compounds",
    "zoom_in_grids",
    "zoom_in_communities",
    "coverage_by_community",
    "unit_page",
    "road",
    "unit",
    "valid_until",
    "legend",
    "nobody",
    "unit_count_segment",
    "unit_count_compound",
    "unit_count_grid",
    "unit_count_case",
    "light_green",
    "light_yellow",
    "light_red",
    "light_none",
)  # fmt: skip  (the kinds' labels come with the kinds: targets.kinds_config)


def _map_config(extra: dict[str, object] | None = None) -> dict[str, object]:
    lang = g.get("lang", "zh_CN")
    return {
        "lang": lang,
        "ogc": "/ogc",
        "api": "/api/v1",
        "endingDays": ENDING_SOON_DAYS,
        "strings": {k: translate(k, lang) for k in JS_STRINGS},
        "kinds": kinds_config(lang),
        "timeZone": app_state().settings.cases.timezone,  # times are shown in the city's local time
        "statuses": {st.value: (STATUS_ZH[st] if lang == "zh_CN" else st.value.replace("_", " ")) for st in CaseStatus},
        **(extra or {}),
    }


def render_map_page(template: str, *, zoom: int = 13, config: dict[str, object] | None = None, **context: object):
    state = app_state()
    parts = render_parts(make_map(state.settings, zoom_start=zoom))
    cfg = _map_config({"mapName": parts.name, **(config or {})})
    return render_template(
        template, map=parts, map_zoom=zoom, map_config=cfg, attribution=state.attribution,
        lang=g.get("lang", "zh_CN"), next_step=next_step(db_session()), **context,
    )  # fmt: skip


@bp.get("/map-script.js")
@signed_in
def map_script():
    """The folium map's own script (the L.Map with its basemap) as a file, not inline in the page (CSP)."""
    zoom = request.args.get("zoom", type=int) or 13
    zoom = min(max(zoom, 1), 19)
    parts = render_parts(make_map(app_state().settings, zoom_start=zoom))
    return Response(parts.script, mimetype="text/javascript", headers={"Cache-Control": "private, max-age=300"})


# The /map layers drawn from vector tiles. The cases stay GeoJSON there: their traffic light counts working time with
# the calendar (cases.deadlines), which tiles do not carry, and the open cases of a view are few.
MAP_TILED = ("communities", "grids", "compounds", "segments", "components")


def opening_box() -> list[float] | None:
    """Where the map opens: the account's scope area, else the whole city."""
    scope = current_scope()
    if scope is not None and scope.bbox is not None:
        return [round(v, 6) for v in scope.bbox]
    return city_extent(db_session())


@bp.get("/map")
@signed_in
def coverage_map():
    at = at_arg()
    return render_map_page(
        "map_coverage.html",
        zoom=13,
        config={
            "at": at.isoformat() if at else None,
            "page": "coverage",
            "fitBounds": opening_box(),
            # the layers drawn from vector tiles (/ogc/collections/{id}/tiles), with their minimum zooms
            "tiles": {cid: TILE_LAYERS[cid].min_zoom for cid in MAP_TILED},
        },
        at=at,
        today=dt.date.today(),
    )


@bp.get("/units/<int:unit_id>")
@signed_in
def unit_page(unit_id: int):
    at = at_arg()
    tz = ZoneInfo(app_state().settings.cases.timezone)
    unit = unit_overview(db_session(), unit_id, tz, at, actor=current_actor())
    return render_map_page(
        "map_unit.html",
        config={"at": unit["as_of"], "unitId": unit_id, "fitBounds": unit["bbox"], "page": "unit"},
        unit=unit,
    )


@bp.get("/features/<kind>/<int:target_id>/history")
@signed_in
def history_page(kind: str, target_id: int):
    body = feature_history(db_session(), kind, target_id, actor=current_actor())
    return render_template(
        "feature_history.html",
        feature=body,
        attribution=app_state().attribution,
        lang=g.get("lang", "zh_CN"),
    )
