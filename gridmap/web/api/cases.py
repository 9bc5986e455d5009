"""JSON API for reports, cases, categories, holidays and photos. Handlers parse, call one use-case, serialise."""

from __future__ import annotations

from flask import Blueprint, jsonify, request, send_file, url_for

from gridmap import cases
from gridmap.accounts import roles
from gridmap.cases.photos import MIME, photo_path
from gridmap.catalogue import categories
from gridmap.config import Settings
from gridmap.web.api.openapi import body_of, operation, query_of
from gridmap.web.api.schemas.cases import (
    Case,
    CaseList,
    CaseQuery,
    ReportAnswer,
    ReportForm,
    ReportIn,
    StepForm,
    StepIn,
)
from gridmap.web.api.schemas.catalogue import Category, CategoryIn, CategoryQuery, Holiday, HolidayIn, HolidayQuery
from gridmap.web.auth import allow, current_actor, signed_in
from gridmap.web.session import db_session, writing
from gridmap.web.state import app_state

bp = Blueprint("cases_api", __name__)


def _settings() -> Settings:
    return app_state().settings


def _photos() -> list[tuple[str, bytes]]:
    """The photos of a multipart form (``photos``, or ``photo``), each read up to one byte over the limit."""
    limit = _settings().cases.photo_max_bytes
    return [
        (f.filename or "", f.stream.read(limit + 1)) for key in ("photos", "photo") for f in request.files.getlist(key)
    ]


@bp.post("/reports")
@allow(*roles.REPORTS)
@operation(
    "openReport",
    tags=("cases",),
    json=ReportIn,
    form=ReportForm,
    ok={
        201: (ReportAnswer, "routed and opened (Location: the case)"),
        200: (ReportAnswer, "this client_id was seen before: the first case, nothing stored"),
    },
    errors=(400, 413),
)
def post_report():
    """Route a report and open its case (上报立案)

    201 with the case, or 200 with the first case for a repeated ``client_id``. A report of the same category near an
    active case is stored and linked to it (``duplicate_of``). Public reports wait in ``pending`` for on-site
    verification.
    """
    report = body_of(ReportIn, ReportForm)
    fields = report.sent(exclude={"photos"})
    with writing() as session:
        answer = cases.open_report(session, fields, _settings(), actor=current_actor(), photos=_photos())
    status = 201 if answer["created"] else 200
    resp = jsonify(answer)
    resp.headers["Location"] = url_for("cases_api.get_case", case_id=answer["id"])
    return resp, status


@bp.get("/cases")
@signed_in
@operation("listCases", tags=("cases",), query=CaseQuery, ok={200: CaseList}, errors=(400,))
def list_cases():
    """Cases, filtered and paged"""
    filters = query_of(CaseQuery).filters()
    return jsonify(cases.list_cases(db_session(), filters, _settings(), actor=current_actor()))


@bp.get("/cases/<int:case_id>")
@signed_in
@operation("getCase", tags=("cases",), ok={200: Case}, errors=(404,))
def get_case(case_id: int):
    """A case with its traffic light, allowed actions and event history"""
    return jsonify(cases.get_case(db_session(), case_id, _settings(), actor=current_actor()))


@bp.post("/cases/<int:case_id>/events")
@allow(*roles.WORKS_CASES)
@operation(
    "stepCase",
    tags=("cases",),
    json=StepIn,
    form=StepForm,
    ok={201: (Case, "the step was recorded: the case as it is now")},
    errors=(400, 404, 409, 413),
)
def post_event(case_id: int):
    """One step of the closed loop (派遣, 签收, 反馈, 核查, 延期, 回退, 挂账, 督办, 作废…)

    Send the ``version`` you read: a case that moved on since is a 409, and so is a step its status does not allow
    (the message lists what is allowed now).
    """
    step = body_of(StepIn, StepForm)
    data = step.data.sent() if step.data is not None else {}
    if isinstance(step, StepForm):  # convenient in a plain form
        for key in ("unit_id", "amount"):
            if key in step.model_fields_set and key not in data:
                data[key] = getattr(step, key)
    with writing() as session:
        body = cases.transition(
            session,
            case_id,
            str(step.action or ""),
            _settings(),
            version=step.version,
            actor=current_actor(),
            actor_note=step.actor,
            note=step.note,
            data=data,
            photos=_photos(),
        )
    return jsonify(body), 201


@bp.get("/photos/<file>")
@allow(*roles.SEES_PHOTOS)
@operation(
    "getPhoto",
    tags=("cases",),
    ok={200: (None, "the photo")},
    errors=(404,),
    media={
        200: {
            mime: {"contentMediaType": mime, "description": "the photo's bytes"} for mime in sorted(set(MIME.values()))
        }
    },
)
def get_photo(file: str):
    """A stored photo (JPEG, PNG or WebP)"""
    path = photo_path(_settings().instance_dir, file)
    cases.check_photo(db_session(), file, current_actor())
    resp = send_file(path, mimetype=None, max_age=86400 * 365)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@bp.get("/categories")
@signed_in
@operation("listCategories", tags=("categories",), query=CategoryQuery, ok={200: list[Category]}, errors=(400,))  # type: ignore[dict-item]  # spectree documents a list of models; its type says a model
def list_categories():
    """The category tree (events, components, inspection items) with deadlines"""
    q = query_of(CategoryQuery)
    return jsonify(categories.list_categories(db_session(), family=q.family, active=q.active, parent=q.parent))


@bp.get("/categories/<code>")
@signed_in
@operation("getCategory", tags=("categories",), ok={200: Category}, errors=(404,))
def get_category(code: str):
    """One category"""
    return jsonify(categories.get_category(db_session(), code))


@bp.post("/categories")
@allow(*roles.EDITS_CATALOGUE)
@operation(
    "saveCategory",
    tags=("categories",),
    json=CategoryIn,
    ok={201: (Category, "created"), 200: (Category, "changed")},
    errors=(400, 413),
)
def post_category():
    """Create a category or change one (deadline, names, default urgency, active)"""
    changes = body_of(CategoryIn).changes()
    with writing() as session:
        answer, created = categories.upsert_category(session, changes, actor=current_actor())
    return jsonify(answer), 201 if created else 200


@bp.get("/holidays")
@signed_in
@operation("listHolidays", tags=("categories",), query=HolidayQuery, ok={200: list[Holiday]}, errors=(400,))  # type: ignore[dict-item]  # as listCategories: a list of models, which spectree documents
def list_holidays():
    """Public holidays and make-up working days (调休)"""
    return jsonify(categories.list_holidays(db_session(), query_of(HolidayQuery).year))


@bp.post("/holidays")
@allow(*roles.EDITS_CATALOGUE)
@operation("saveHoliday", tags=("categories",), json=HolidayIn, ok={200: Holiday}, errors=(400, 413))
def post_holiday():
    """Mark a day off or a make-up working day"""
    holiday = body_of(HolidayIn)
    with writing() as session:
        categories.set_holiday(session, holiday.day, holiday.is_workday, holiday.name, actor=current_actor())
    return jsonify({"day": holiday.day.isoformat(), "is_workday": holiday.is_workday, "name": holiday.name}), 200
