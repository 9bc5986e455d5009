"""JSON API of mock assessments 模拟测评: list, draw, read (with the score rates), score a point item by item on
its checklist (or whole, for a type without one), correct or delete a scored item, close the assessment."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, g, jsonify, request

from gridmap.accounts import roles
from gridmap.assessments.drawing import draw, list_assessments, parse_request
from gridmap.assessments.items import correct_item, delete_item, point_sheet, record_items
from gridmap.assessments.scoring import assessment_with_results, close_assessment, results, score_point
from gridmap.web.api.local_times import out
from gridmap.web.api.openapi import body_of, operation
from gridmap.web.api.schemas.assessments import (
    AssessmentList,
    AssessmentOut,
    AssessmentPointOut,
    DrawIn,
    ItemCorrectionIn,
    PointItemsIn,
    PointScoreIn,
    PointSheet,
    Results,
)
from gridmap.web.api.schemas.inspections import ItemScoreForm
from gridmap.web.auth import allow, current_actor, signed_in
from gridmap.web.session import db_session, writing
from gridmap.web.state import app_state

bp = Blueprint("assessments_api", __name__)


def _lang() -> str:
    return str(g.get("lang", "zh_CN"))


def city_today() -> dt.date:
    return dt.datetime.now(ZoneInfo(app_state().settings.cases.timezone)).date()


@bp.get("/assessments")
@signed_in
@operation("listAssessments", tags=("assessments",), ok={200: AssessmentList})
def list_all():
    """Every mock assessment, the latest first"""
    return jsonify({"items": list_assessments(db_session(), _lang())})


@bp.post("/assessments")
@allow(*roles.ASSESSES)
@operation("drawAssessment", tags=("assessments",), json=DrawIn, ok={201: (AssessmentOut, "drawn")}, errors=(400,))
def draw_one():
    """Draw a mock assessment's points (stratified by type and 街道) and store them with the seed that repeats it"""
    request = parse_request(body_of(DrawIn).sent(), city_today())
    with writing() as session:
        made = draw(session, request, current_actor())
        answer = assessment_with_results(session, made["id"], _lang())
    return jsonify(answer), 201


@bp.get("/assessments/<int:assessment_id>")
@signed_in
@operation("getAssessment", tags=("assessments",), ok={200: AssessmentOut}, errors=(404,))
def get_one(assessment_id: int):
    """An assessment: its points team by team in walking order, and its score rates"""
    return jsonify(assessment_with_results(db_session(), assessment_id, _lang()))


@bp.get("/assessments/<int:assessment_id>/results")
@signed_in
@operation("getAssessmentResults", tags=("assessments",), ok={200: Results}, errors=(404,))
def get_results(assessment_id: int):
    """Score rates per point type, per 街道 and overall, compared with the previous assessment"""
    return jsonify(results(db_session(), assessment_id, _lang()))


@bp.put("/assessments/<int:assessment_id>/points/<int:point_id>/score")
@allow(*roles.ASSESSES)
@operation("scoreAssessmentPoint", tags=("assessments",), json=PointScoreIn, ok={200: (AssessmentPointOut, "scored")},
           errors=(400, 404, 409))  # fmt: skip
def score_one(assessment_id: int, point_id: int):
    """Record (or correct) a drawn point's score out of its full mark"""
    with writing() as session:
        answer = score_point(session, assessment_id, point_id, body_of(PointScoreIn).sent(), current_actor(), _lang())
    return jsonify(answer)


def _local(value: Any) -> Any:
    return out(value, ZoneInfo(app_state().settings.cases.timezone))


@bp.get("/assessments/<int:assessment_id>/points/<int:point_id>/items")
@signed_in
@operation("getAssessmentPointItems", tags=("assessments",), ok={200: PointSheet}, errors=(404,))
def get_items(assessment_id: int, point_id: int):
    """A drawn point with its checklist and the items scored so far (the phone's scoring sheet)"""
    return jsonify(_local(point_sheet(db_session(), assessment_id, point_id, _lang())))


@bp.post("/assessments/<int:assessment_id>/points/<int:point_id>/items")
@allow(*roles.ASSESSES)
@operation(
    "scoreAssessmentPointItems",
    tags=("assessments",),
    json=PointItemsIn,
    form=ItemScoreForm,
    ok={201: (PointSheet, "scored: the point as it is now")},
    errors=(400, 404, 409, 413),
)
def score_items(assessment_id: int, point_id: int):
    """Score checklist items at a drawn point (JSON, several at once; or one as a form with photos): the point's
    score becomes the checklist's total less the deductions; each failed item opens a case routed to its
    responsible unit with its category's deadline. All or nothing."""
    body = body_of(PointItemsIn, ItemScoreForm)
    settings = app_state().settings
    items: Any
    if isinstance(body, ItemScoreForm):
        items = [body.sent(exclude={"photos"})]
        limit = settings.cases.photo_max_bytes
        photos = {0: [(f.filename or "", f.stream.read(limit + 1)) for f in request.files.getlist("photos")]}
    else:
        items, photos = body.sent().get("items"), {}
    with writing() as session:
        done = record_items(
            session, assessment_id, point_id, items, settings, actor=current_actor(), photos=photos, lang=_lang()
        )
    return jsonify(_local(done)), 201


@bp.put("/assessments/<int:assessment_id>/points/<int:point_id>/items/<int:score_id>")
@allow(*roles.ASSESSES)
@operation("correctAssessmentItem", tags=("assessments",), json=ItemCorrectionIn,
           ok={200: (PointSheet, "corrected: the point as it is now")}, errors=(400, 404, 409))  # fmt: skip
def correct_one(assessment_id: int, point_id: int, score_id: int):
    """Correct a scored item before the assessment is closed; the point is rescored. Corrected to a pass, the case
    it opened is voided (if still open); corrected to a failure, a case is opened."""
    with writing() as session:
        done = correct_item(session, assessment_id, point_id, score_id, body_of(ItemCorrectionIn).sent(),
                            app_state().settings, actor=current_actor(), lang=_lang())  # fmt: skip
    return jsonify(_local(done))


@bp.delete("/assessments/<int:assessment_id>/points/<int:point_id>/items/<int:score_id>")
@allow(*roles.ASSESSES)
@operation("deleteAssessmentItem", tags=("assessments",), ok={200: (PointSheet, "deleted: the point as it is now")},
           errors=(404, 409))  # fmt: skip
def delete_one(assessment_id: int, point_id: int, score_id: int):
    """Delete a scored item before the assessment is closed; its case, if still open, is voided; the point is
    rescored (unscored when it was its last item)."""
    with writing() as session:
        done = delete_item(session, assessment_id, point_id, score_id, app_state().settings, actor=current_actor(),
                           lang=_lang())  # fmt: skip
    return jsonify(_local(done))


@bp.post("/assessments/<int:assessment_id>/close")
@allow(*roles.ASSESSES)
@operation("closeAssessment", tags=("assessments",), ok={200: (AssessmentOut, "closed: its scores are final")},
           errors=(404, 409))  # fmt: skip
def close_one(assessment_id: int):
    """Close an assessment: its scores become final (no item scored, corrected or deleted after this)"""
    with writing() as session:
        answer = close_assessment(session, assessment_id, current_actor(), _lang())
    return jsonify(_local(answer))
