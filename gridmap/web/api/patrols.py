"""JSON API of road-chief patrols 路长巡查: send a track in, what a person patrolled, coverage, the monthly rule, the
days-since-last-patrol layer and missed detections 漏报."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from flask import Blueprint, jsonify, request

from gridmap.errors import InvalidInput, Problem
from gridmap.patrols import coverage, misses, record
from gridmap.patrols.tracks import read_geojson, read_gpx
from gridmap.web.api.openapi import body_of, operation, query_of
from gridmap.web.api.schemas.patrols import (
    PatrolAnswer,
    PatrolCoverage,
    PatrolCoverageQuery,
    PatrolIn,
    PatrolLayerQuery,
    PatrolMisses,
    PatrolMissesQuery,
    PatrolMonthlyQuery,
    PatrolMonthlyRule,
    PatrolPersonSegments,
    PatrolSegmentsQuery,
)
from gridmap.web.auth import allow, current_actor
from gridmap.web.session import db_session, writing
from gridmap.web.state import app_state

bp = Blueprint("patrols_api", __name__)


def _today() -> dt.date:
    return dt.datetime.now(ZoneInfo(app_state().settings.cases.timezone)).date()


@bp.post("/patrols")
@allow(*record.RECORDS)
@operation("postPatrol", tags=("patrols",), json=PatrolIn, ok={201: PatrolAnswer}, errors=(400, 404, 413))
def post_patrol():
    """Send a patrol track in (GeoJSON or GPX): checked, map-matched to the road segments and stored"""
    body = body_of(PatrolIn)
    settings = app_state().settings
    if (body.track is None) == (body.gpx is None):
        raise InvalidInput(
            Problem("send one of track (GeoJSON) or gpx", field="track", zh="须给出轨迹：track（GeoJSON）或 gpx 之一")
        )
    person_id = body.person_id
    if person_id is not None and (not isinstance(person_id, int) or isinstance(person_id, bool)
                                  or not 0 < person_id < 2**31):  # fmt: skip
        raise InvalidInput(Problem("must be a person's id", field="person_id", zh="须为人员编号"))
    crs = str(body.crs or "wgs84")
    if body.gpx is not None:
        if not isinstance(body.gpx, str):
            raise InvalidInput(Problem("must be a GPX document as text", field="gpx", zh="gpx 须为 GPX 文本"))
        track = read_gpx(body.gpx, crs=crs, name="gpx")
    else:
        raw = json.dumps(request.get_json(silent=True), ensure_ascii=False)
        track = read_geojson(body.track, crs, ZoneInfo(settings.cases.timezone), source=str(body.source or "geojson"),
                             raw=raw)  # fmt: skip
    actor = current_actor()
    with writing() as session:
        answer = record.record_patrol(session, actor, record.whose(actor, person_id), track, settings)
    return jsonify(answer), 201


@bp.get("/patrols/segments")
@allow(*record.READS)
@operation(
    "patrolSegments", tags=("patrols",), query=PatrolSegmentsQuery, ok={200: PatrolPersonSegments}, errors=(400,)
)
def patrol_segments():
    """Each segment a person patrolled in a period: times (days), last patrolled, largest covered share"""
    q = query_of(PatrolSegmentsQuery)
    if q.person is None:
        raise InvalidInput(Problem("is required", field="person", zh="缺少人员编号（person）"))
    end = q.to or _today()
    coverage.check_period(end, end, "to")
    start = q.from_ or max(end - dt.timedelta(days=29), coverage.FIRST_DAY)
    coverage.check_period(start, end)
    found = coverage.segments_of_person(db_session(), q.person, start, end)
    return jsonify({"person_id": q.person, "from": start.isoformat(), "to": end.isoformat(), "segments": found})


@bp.get("/patrols/coverage")
@allow(*record.READS)
@operation("patrolCoverage", tags=("patrols",), query=PatrolCoverageQuery, ok={200: PatrolCoverage}, errors=(400,))
def patrol_coverage():
    """Share of assigned road km patrolled by its road chief in the last N days, per chief, unit and 街道"""
    q = query_of(PatrolCoverageQuery)
    as_of = q.as_of or _today()
    coverage.check_period(as_of, as_of, "as_of")
    if q.days and as_of - dt.timedelta(days=q.days - 1) < coverage.FIRST_DAY:
        raise InvalidInput(Problem("the period starts before 2000", field="days", zh="统计期不能早于 2000 年"))
    return jsonify(coverage.coverage(db_session(), app_state().settings, as_of, q.days))


@bp.get("/patrols/monthly")
@allow(*record.READS)
@operation("patrolMonthly", tags=("patrols",), query=PatrolMonthlyQuery, ok={200: PatrolMonthlyRule}, errors=(400,))
def patrol_monthly():
    """The rule "each assigned segment at least M times a month" (M per road level) and the segments that missed it"""
    q = query_of(PatrolMonthlyQuery)
    today = _today()
    first, last = coverage.month_bounds(q.month, today)
    return jsonify(coverage.monthly_rule(db_session(), app_state().settings, first, min(last, max(today, first))))


@bp.get("/patrols/layer")
@allow(*record.READS)
@operation(
    "patrolLayer", tags=("patrols",), query=PatrolLayerQuery, ok={200: (None, "GeoJSON")}, errors=(400,),
    media={200: {"application/geo+json": {"type": "object", "description": "segments with `days` since the last "
                                          "patrol (null: never) and `has_chief`"}}},
)  # fmt: skip
def patrol_layer():
    """Every road segment with the days since it was last patrolled, for the map"""
    q = query_of(PatrolLayerQuery)
    as_of = q.as_of or _today()
    coverage.check_period(as_of, as_of, "as_of")
    resp = jsonify(coverage.days_since_layer(db_session(), as_of))
    resp.mimetype = "application/geo+json"
    return resp


@bp.get("/patrols/misses")
@allow(*record.READS_MISSES)
@operation("patrolMisses", tags=("patrols",), query=PatrolMissesQuery, ok={200: PatrolMisses}, errors=(400,))
def patrol_misses():
    """Missed detections 漏报: public reports where a patrol passed in the hours before, each with its track"""
    q = query_of(PatrolMissesQuery)
    end = q.to or _today()
    coverage.check_period(end, end, "to")
    start = q.from_ or max(end - dt.timedelta(days=6), coverage.FIRST_DAY)
    coverage.check_period(start, end)
    return jsonify(misses.find_misses(db_session(), app_state().settings, start, end, q.person))
