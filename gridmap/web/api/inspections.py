"""JSON API of inspections 明查暗访: checklist templates (read; admins edit), inspections (open, record findings,
publish, read), the problem list 问题清单 and the weekly look-back 回头看. Handlers parse, call one use-case, serialise
(times as the city's local time)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, g, jsonify, request, url_for

from gridmap.accounts import roles
from gridmap.inspections import lookback, problems, records, templates
from gridmap.web.api.local_times import out
from gridmap.web.api.openapi import body_of, operation, query_of
from gridmap.web.api.schemas.inspections import (
    Checklist,
    ChecklistIn,
    ChecklistList,
    FindingForm,
    FindingsIn,
    Inspection,
    InspectionIn,
    InspectionList,
    LookBack,
    LookBackQuery,
    ProblemList,
)
from gridmap.web.auth import allow, current_actor, signed_in
from gridmap.web.session import db_session, writing
from gridmap.web.state import app_state

bp = Blueprint("inspections_api", __name__)


def _lang() -> str:
    return str(g.get("lang", "zh_CN"))


def _tz() -> dt.tzinfo:
    return ZoneInfo(app_state().settings.cases.timezone)


def answer(value: Any, status: int = 200) -> Any:
    return jsonify(out(value, _tz())), status


@bp.get("/inspection-templates")
@signed_in
@operation("listChecklists", tags=("inspections",), ok={200: ChecklistList})
def list_checklists():
    """The current checklist edition of every point type"""
    return answer({"templates": templates.list_templates(db_session(), _lang())})


@bp.get("/inspection-templates/<point_type>")
@signed_in
@operation("getChecklist", tags=("inspections",), ok={200: Checklist}, errors=(404,))
def get_checklist(point_type: str):
    """The current checklist edition of a point type, with its items"""
    return answer(templates.current_edition(db_session(), point_type, _lang()))


@bp.put("/inspection-templates/<point_type>")
@allow(*roles.EDITS_CHECKLISTS)
@operation("saveChecklist", tags=("inspections",), json=ChecklistIn, ok={200: Checklist}, errors=(400, 404))
def save_checklist(point_type: str):
    """Replace a point type's checklist items (a frozen edition is kept: the change becomes the next edition)"""
    with writing() as session:
        saved = templates.save_template(session, point_type, body_of(ChecklistIn).sent(), actor=current_actor())
    return answer(saved)


@bp.get("/inspections")
@signed_in
@operation("listInspections", tags=("inspections",), ok={200: InspectionList})
def list_inspections():
    """Inspections, newest first (a unit clerk: open ones and published covert ones)"""
    return answer({"items": records.list_inspections(db_session(), actor=current_actor(), lang=_lang())})


@bp.post("/inspections")
@allow(*roles.OPENS_INSPECTIONS)
@operation("openInspection", tags=("inspections",), json=InspectionIn, ok={201: Inspection}, errors=(400, 404))
def open_inspection():
    """Open an inspection (明查 or 暗访) on the current checklist edition of a point type (which freezes it)"""
    with writing() as session:
        made = records.open_inspection(session, body_of(InspectionIn).sent(), actor=current_actor(), tz=_tz())
    resp, status = answer(made, 201)
    resp.headers["Location"] = url_for("inspections_api.get_inspection", inspection_id=made["id"])
    return resp, status


@bp.get("/inspections/<int:inspection_id>")
@signed_in
@operation("getInspection", tags=("inspections",), ok={200: Inspection}, errors=(404,))
def get_inspection(inspection_id: int):
    """An inspection with its checklist edition and findings (a unit clerk: their unit's, once visible)"""
    return answer(records.get_inspection(db_session(), inspection_id, actor=current_actor(), lang=_lang()))


@bp.post("/inspections/<int:inspection_id>/findings")
@allow(*roles.RECORDS_FINDINGS)
@operation(
    "recordFindings",
    tags=("inspections",),
    json=FindingsIn,
    form=FindingForm,
    ok={201: (Inspection, "recorded: the inspection as it is now")},
    errors=(400, 404, 413),
)
def record_findings(inspection_id: int):
    """Record findings (JSON, several at once; or one as a form with photos): each failed item opens a case routed
    to its responsible unit with its category's deadline. All or nothing."""
    body = body_of(FindingsIn, FindingForm)
    settings = app_state().settings
    findings: Any
    if isinstance(body, FindingForm):
        findings = [body.sent(exclude={"photos"})]
        limit = settings.cases.photo_max_bytes
        photos = {0: [(f.filename or "", f.stream.read(limit + 1)) for f in request.files.getlist("photos")]}
    else:
        findings, photos = body.sent().get("findings"), {}
    with writing() as session:
        done = records.record_findings(session, inspection_id, findings, settings, actor=current_actor(), photos=photos)
    return answer(done, 201)


@bp.post("/inspections/<int:inspection_id>/publish")
@allow(*roles.PUBLISHES_INSPECTIONS)
@operation("publishInspection", tags=("inspections",), ok={200: Inspection}, errors=(404,))
def publish_inspection(inspection_id: int):
    """Publish an inspection: its problem list goes to the units (a covert one's cases become visible to them)"""
    with writing() as session:
        done = records.publish(session, inspection_id, actor=current_actor(), settings=app_state().settings)
    return answer(done)


@bp.get("/inspections/<int:inspection_id>/problems")
@signed_in
@operation("getProblemList", tags=("inspections",), ok={200: ProblemList}, errors=(404,))
def get_problem_list(inspection_id: int):
    """The problem list 问题清单 grouped by unit, with the 销号 tally per unit and for the list"""
    pl = problems.problem_list(db_session(), inspection_id, app_state().settings, actor=current_actor())
    return answer(pl)


@bp.get("/inspections/lookback")
@signed_in
@operation("getLookBack", tags=("inspections",), query=LookBackQuery, ok={200: LookBack}, errors=(400,))
def get_look_back():
    """回头看: last week's failed points to re-inspect, and the repeats (反弹) per unit"""
    day = query_of(LookBackQuery).day or dt.datetime.now(_tz()).date()
    return answer(lookback.look_back(db_session(), day, actor=current_actor(), lang=_lang()))
