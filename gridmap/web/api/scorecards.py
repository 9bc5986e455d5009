"""Scorecards and evaluation schemes over the JSON API: read a period's scorecard (published, else counted now) and
its trend, publish (freeze) a finished period, list and save scheme versions."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Blueprint, jsonify

from gridmap.accounts import roles
from gridmap.evaluation import (
    list_schemes,
    parse_period,
    publish_period,
    read_scorecard,
    save_scheme,
    scheme_dict,
    scheme_for_subject,
    trends,
)
from gridmap.gc_pause import paused_gc
from gridmap.web.api.openapi import body_of, operation, query_of
from gridmap.web.api.schemas.scorecards import (
    PublishIn,
    Scheme,
    SchemeIn,
    SchemeList,
    Scorecard,
    ScorecardQuery,
    Trends,
)
from gridmap.web.auth import allow, current_actor, signed_in
from gridmap.web.session import db_session, writing
from gridmap.web.state import app_state

bp = Blueprint("scorecards_api", __name__)


def _tz() -> ZoneInfo:
    return ZoneInfo(app_state().settings.cases.timezone)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@bp.get("/scorecards")
@signed_in
@operation("getScorecard", tags=("evaluation",), query=ScorecardQuery, ok={200: Scorecard}, errors=(400, 404))
def get_scorecard():
    """A period's scorecard: the published (frozen) one, else counted now; every figure names its cases"""
    q = query_of(ScorecardQuery)
    with paused_gc():  # thousands of rows as dicts, then JSON: the cyclic collector is not needed (see /rankings)
        card = read_scorecard(db_session(), _tz(), _now(), period=q.period or "", subject=q.subject, scheme=q.scheme,
                              group=q.group, live=q.live)  # fmt: skip
        return jsonify(card)


@bp.get("/scorecards/trends")
@signed_in
@operation("getScorecardTrends", tags=("evaluation",), query=ScorecardQuery, ok={200: Trends}, errors=(400, 404))
def get_trends():
    """Each subject's score in the period and the three before it"""
    q = query_of(ScorecardQuery)
    session = db_session()
    period = parse_period(q.period or "", _tz())
    return jsonify(trends(session, scheme_for_subject(session, q.subject, q.scheme), period, _now()))


@bp.post("/scorecards/publish")
@allow(*roles.PUBLISHES_SCORES)
@operation("publishScorecard", tags=("evaluation",), json=PublishIn, ok={201: (Scorecard, "published")},
           errors=(400, 404, 409))  # fmt: skip
def publish_scorecard():
    """Publish (freeze) a finished period's scorecard: later events and scheme edits never change it"""
    body = body_of(PublishIn)
    with writing() as session:
        card = publish_period(session, _tz(), _now(), current_actor(), period=body.period or "", subject=body.subject,
                              scheme=body.scheme, note=body.note)  # fmt: skip
    return jsonify(card), 201


@bp.get("/schemes")
@signed_in
@operation("listSchemes", tags=("evaluation",), ok={200: SchemeList})
def get_schemes():
    """The evaluation schemes (latest versions)"""
    return jsonify({"items": list_schemes(db_session())})


@bp.post("/schemes")
@allow(*roles.EDITS_SCHEMES)
@operation("saveScheme", tags=("evaluation",), json=SchemeIn, ok={201: (Scheme, "saved as a new version")},
           errors=(400, 409))  # fmt: skip
def post_scheme():
    """Save a scheme document as the next version of its code (validated; published scorecards keep theirs)"""
    body = body_of(SchemeIn)
    with writing() as session:
        row = save_scheme(session, body.document, current_actor(), _now(), note=body.note)
        answer = scheme_dict(row)
    return jsonify(answer), 201
