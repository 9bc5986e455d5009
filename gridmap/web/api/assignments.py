"""JSON API for assigning responsibility, the gaps nobody owns, and the problem heatmap.

Handlers parse, call one use-case, and serialise; a write runs inside :func:`~gridmap.web.session.writing`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from flask import Blueprint, Response, current_app, g, jsonify, request

from gridmap.accounts import roles
from gridmap.maps import heat
from gridmap.responsibility import assign, gap_totals, gaps, preview, units
from gridmap.web.api.openapi import body_of, operation, query_of
from gridmap.web.api.schemas.assignments import (
    GAPS_CSV,
    AssignAnswer,
    AssignIn,
    EndAnswer,
    EndIn,
    Gaps,
    GapsGeoJSON,
    GapsQuery,
    GapsSummary,
    PreviewAnswer,
    PreviewIn,
    UnitList,
    UnitsQuery,
)
from gridmap.web.api.schemas.common import AtQuery, GapsFormat
from gridmap.web.api.schemas.maps import HeatAnswer, HeatQuery
from gridmap.web.auth import allow, current_actor, current_scope, signed_in
from gridmap.web.session import db_session, writing
from gridmap.web.state import app_state

bp = Blueprint("assign_api", __name__)


# -- assignments -----------------------------------------------------------------------------------------------------


@bp.post("/assignments/preview")
@allow(*roles.ASSIGNS)
@operation("previewAssignment", tags=("responsibility",), json=PreviewIn, ok={200: PreviewAnswer}, errors=(400, 413))
def post_preview():
    """What a drawn line or polygon catches, and who holds each feature now"""
    body = body_of(PreviewIn)
    return jsonify(
        preview.preview(
            db_session(),
            body.shape,
            kinds=body.kinds,
            buffer_m=body.buffer_m,
            at=body.at,
            role=body.role,
            unit_id=body.unit_id,
        )
    )


@bp.post("/assignments")
@allow(*roles.ASSIGNS)
@operation(
    "assign",
    tags=("responsibility",),
    json=AssignIn,
    ok={201: (AssignAnswer, "assigned")},
    errors=(400, 409, 413),
)
def post_assignment():
    """Assign features to a unit (all or nothing; a re-assignment closes the old period)

    Send back each feature's ``assignment_id`` from the preview as ``expected``: a feature someone else assigned
    meanwhile is a 409 and nothing is saved. Features held by another unit are left with it (``held_by_others``)
    unless ``take_over`` is true.
    """
    body = body_of(AssignIn)
    with writing() as session:
        answer = assign.assign(
            session,
            body.targets,
            body.unit_id,
            role=body.role,
            valid_from=body.valid_from,
            actor=current_actor(),
            by=body.by,
            valid_to=body.valid_to,
            person_id=body.person_id,
            note=body.note,
            take_over=body.take_over is True,
        )
    return jsonify(answer), 201


@bp.post("/assignments/<int:assignment_id>/end")
@allow(*roles.ASSIGNS)
@operation(
    "endAssignment",
    tags=("responsibility",),
    json=EndIn,
    body_optional=True,
    ok={200: (EndAnswer, "the period as ended (its history is kept)")},
    errors=(400, 404, 409, 413),
)
def end_assignment(assignment_id: int):
    """End an assignment period (history is kept)"""
    body = body_of(EndIn)
    with writing() as session:
        answer = assign.end(session, assignment_id, on=body.on, actor=current_actor(), by=body.by)
    return jsonify(answer)


@bp.get("/units")
@signed_in
@operation("listUnits", tags=("responsibility",), query=UnitsQuery, ok={200: UnitList}, errors=(400,))
def get_units():
    """Responsible units (包联单位) in service (or retired ones), a page at a time, with how many features each holds
    now"""
    q = query_of(UnitsQuery)
    filters = q.model_dump(exclude_none=True)
    return jsonify(units.list_units(db_session(), filters, current_actor(), g.get("lang", "zh_CN")))


# -- gaps ------------------------------------------------------------------------------------------------------------


@bp.get("/gaps")
@signed_in
@operation(
    "listGaps",
    tags=("responsibility",),
    query=GapsQuery,
    ok={200: (Gaps, "format json (default), csv (a file to save) or geojson")},
    errors=(400,),
    media={200: {"text/csv": GAPS_CSV, "application/geo+json": GapsGeoJSON}},
)
def get_gaps():
    """Segments, compounds and grids nobody is responsible for (now or on a day)

    Each gap with its 街道 and 社区, its default party (属地兜底) and the units holding the nearest features of its
    kind: JSON, a CSV file for Excel, or GeoJSON for a GIS.
    """
    q = query_of(GapsQuery)
    result = gaps.find_gaps(
        db_session(),
        at=q.at,
        kinds=q.kind or q.kinds,
        street=q.street,
        community=q.community,
        nearest_m=q.nearest_m,
        with_geometry=q.format != GapsFormat.CSV,
        scope=current_scope(),
    )
    stamp = result["as_of"]
    if q.format == GapsFormat.CSV:
        buf = io.StringIO()
        buf.write("\ufeff")  # Excel opens UTF-8 Chinese correctly with a BOM
        writer = csv.writer(buf)
        lang = g.get("lang", "zh_CN")  # headers and kinds in the reader's language (?lang=en: the column names)
        writer.writerow(gaps.csv_header(lang))
        writer.writerows(gaps.csv_rows(result, lang))
        return Response(
            buf.getvalue(),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="gaps-{stamp}.csv"'},
        )
    if q.format == GapsFormat.GEOJSON:
        resp = current_app.response_class(
            current_app.json.dumps(gaps.as_geojson(result)), mimetype="application/geo+json"
        )
        if q.download:
            resp.headers["Content-Disposition"] = f'attachment; filename="gaps-{stamp}.geojson"'
        return resp
    return jsonify(gaps.without_geometry(result))


@bp.get("/gaps/summary")
@signed_in
@operation("gapsSummary", tags=("responsibility",), query=AtQuery, ok={200: GapsSummary}, errors=(400,))
def gaps_summary():
    """Gap totals and coverage rates per 街道 and 社区

    Today's answer carries a weak ETag (the layers' change counter, the day, the reader's scope): ask again with
    ``If-None-Match`` and an unchanged answer is a 304.
    """
    at, session, scope = query_of(AtQuery).at, db_session(), current_scope()
    today = dt.date.today()
    if at not in (None, today):
        return jsonify(gaps.summary(session, at=at, scope=scope))
    reader = "" if scope is None else f"{scope.area_id}:{scope.unit_id}"
    tag = gap_totals.version(session, today, reader)
    if request.if_none_match.contains_weak(tag):
        resp = Response(status=304)
    else:
        resp = jsonify(gaps.summary(session, scope=scope, today=today))
    resp.set_etag(tag, weak=True)
    resp.headers["Cache-Control"] = "private, no-cache"  # kept, asked again each time (a write changes it)
    return resp


# -- heat ------------------------------------------------------------------------------------------------------------


@bp.get("/heat")
@signed_in
@operation("heat", tags=("map",), query=HeatQuery, ok={200: HeatAnswer}, errors=(400,))
def get_heat():
    """Case points, or counts per unit grid / per road km, for the heatmap

    The filters are those of ``GET /api/v1/cases`` (open cases by default).
    """
    filters = query_of(HeatQuery).filters()
    return jsonify(heat.heat(db_session(), filters, settings=app_state().settings.cases, actor=current_actor()))
