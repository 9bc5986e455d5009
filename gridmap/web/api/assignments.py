"""JSON API for assigning responsibility, the gaps nobody owns, and the problem heatmap.

Handlers parse, call one use-case, and serialise; a write runs inside :func:`~gridmap.web.session.writing`.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from gridmap.errors import InvalidInput, Problem
from gridmap.maps import heat
from gridmap.responsibility import assign, gaps, preview, units
from gridmap.web.session import db_session, writing

bp = Blueprint("assign_api", __name__)


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("send a JSON object (Content-Type: application/json)")
    return body


# -- assignments -----------------------------------------------------------------------------------------------------


@bp.post("/assignments/preview")
def post_preview():
    """{shape: GeoJSON LineString|Polygon, kinds?: [..], buffer_m?: 15, at?: date, role?} → what the shape catches."""
    body = _json_body()
    return jsonify(
        preview.preview(
            db_session(),
            body.get("shape"),
            kinds=body.get("kinds"),
            buffer_m=body.get("buffer_m"),
            at=body.get("at"),
            role=body.get("role"),
        )
    )


@bp.post("/assignments")
def post_assignment():
    """{targets: [{kind, id, expected?}], unit_id, role?, valid_from?, valid_to?, by?, note?} → 201 (all or nothing)."""
    body = _json_body()
    with writing() as session:
        answer = assign.assign(
            session,
            body.get("targets"),
            body.get("unit_id"),
            role=body.get("role"),
            valid_from=body.get("valid_from"),
            by=_text(body.get("by")),
            valid_to=body.get("valid_to"),
            person_id=body.get("person_id"),
            note=_text(body.get("note")),
        )
    return jsonify(answer), 201


@bp.post("/assignments/<int:assignment_id>/end")
def end_assignment(assignment_id: int):
    """{on?: date, by?} → the ended period (history is kept)."""
    body = request.get_json(silent=True) or {}
    if not isinstance(body, dict):
        raise InvalidInput("send a JSON object")
    with writing() as session:
        answer = assign.end(session, assignment_id, on=body.get("on"), by=_text(body.get("by")))
    return jsonify(answer)


@bp.get("/units")
def get_units():
    return jsonify({"items": units.list_units(db_session(), q=request.args.get("q"), kind=request.args.get("kind"))})


def _text(value: object) -> str | None:
    if value in (None, ""):
        return None
    return str(value)[:200]


# -- gaps ------------------------------------------------------------------------------------------------------------


@bp.get("/gaps")
def get_gaps():
    """Every segment/compound/grid with no responsible unit (now or ``at``): json | csv | geojson."""
    args = request.args
    fmt = (args.get("format") or "json").lower()
    if fmt not in ("json", "csv", "geojson"):
        raise InvalidInput(Problem(f"{fmt!r} is not json, csv or geojson", field="format"))
    result = gaps.find_gaps(
        db_session(),
        at=args.get("at"),
        kinds=args.get("kind") or args.get("kinds"),
        street=args.get("street"),
        community=args.get("community"),
        nearest_m=args.get("nearest_m"),
        with_geometry=fmt != "csv",
    )
    stamp = result["as_of"]
    if fmt == "csv":
        buf = io.StringIO()
        buf.write("\ufeff")  # Excel opens UTF-8 Chinese correctly with a BOM
        writer = csv.writer(buf)
        writer.writerow(gaps.CSV_COLUMNS)
        writer.writerows(gaps.csv_rows(result))
        return Response(
            buf.getvalue(),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="gaps-{stamp}.csv"'},
        )
    if fmt == "geojson":
        resp = current_app.response_class(
            current_app.json.dumps(gaps.as_geojson(result)), mimetype="application/geo+json"
        )
        if args.get("download"):
            resp.headers["Content-Disposition"] = f'attachment; filename="gaps-{stamp}.geojson"'
        return resp
    return jsonify(gaps.without_geometry(result))


@bp.get("/gaps/summary")
def gaps_summary():
    """Totals per 街道 and 社区: unassigned road km, compounds, grid area km², coverage rates."""
    return jsonify(gaps.summary(db_session(), at=request.args.get("at")))


# -- heat ------------------------------------------------------------------------------------------------------------


@bp.get("/heat")
def get_heat():
    """Case points (mode=points) or counts per unit grid (mode=grids) / per road km (mode=segments)."""
    return jsonify(heat.heat(db_session(), request.args.to_dict()))
