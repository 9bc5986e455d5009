"""JSON API for reports, cases, categories, holidays and photos. Handlers parse, call one use-case, serialise."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask import Blueprint, jsonify, request, send_file, url_for

from gridmap import cases
from gridmap.cases.photos import MAX_PHOTOS, photo_path
from gridmap.catalogue import categories
from gridmap.config import Settings
from gridmap.errors import InvalidInput, Problem
from gridmap.web.session import db_session, writing
from gridmap.web.state import app_state

bp = Blueprint("cases_api", __name__)


@bp.record_once
def _limit_uploads(state) -> None:
    # A body larger than every allowed photo together is refused by Werkzeug (413) before it is read.
    # (Flask defines MAX_CONTENT_LENGTH as None, so setdefault would never set it.)
    settings = app_state(state.app).settings
    if state.app.config.get("MAX_CONTENT_LENGTH") is None:
        state.app.config["MAX_CONTENT_LENGTH"] = settings.cases.photo_max_bytes * MAX_PHOTOS + 2**20


def _settings() -> Settings:
    return app_state().settings


def _body() -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
    """The request's fields and photos: a JSON object, or a multipart form with ``photos`` files."""
    if request.mimetype == "multipart/form-data" or request.mimetype == "application/x-www-form-urlencoded":
        fields: dict[str, Any] = {k: v for k, v in request.form.items()}
        limit = _settings().cases.photo_max_bytes
        photos = []
        for key in ("photos", "photo"):
            for f in request.files.getlist(key):
                photos.append((f.filename or "", f.stream.read(limit + 1)))
        return fields, photos
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("send a JSON object (Content-Type: application/json) or a multipart form")
    return body, []


@bp.post("/reports")
def post_report():
    """Route a report and open its case: 201 with the case, or 200 with the first case for a repeated client_id."""
    fields, photos = _body()
    with writing() as session:
        answer = cases.open_report(session, fields, _settings(), photos=photos)
    status = 201 if answer["created"] else 200
    resp = jsonify(answer)
    resp.headers["Location"] = url_for("cases_api.get_case", case_id=answer["id"])
    return resp, status


@bp.get("/cases")
def list_cases():
    return jsonify(cases.list_cases(db_session(), request.args.to_dict(), _settings()))


@bp.get("/cases/<int:case_id>")
def get_case(case_id: int):
    return jsonify(cases.get_case(db_session(), case_id, _settings()))


@bp.post("/cases/<int:case_id>/events")
def post_event(case_id: int):
    """One step of the closed loop: {action, version, actor, note, data} as JSON or as a form with photos."""
    fields, photos = _body()
    data = fields.get("data") or {}
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            raise InvalidInput(Problem("is not a JSON object", field="data")) from None
    if not isinstance(data, dict):
        raise InvalidInput(Problem("must be an object", field="data"))
    for key in ("unit_id", "amount"):  # convenient in a plain form
        if key in fields and key not in data:
            data[key] = fields[key]
    with writing() as session:
        body = cases.transition(
            session,
            case_id,
            str(fields.get("action") or ""),
            _settings(),
            version=fields.get("version"),
            actor=fields.get("actor"),
            note=fields.get("note"),
            data=data,
            photos=photos,
        )
    return jsonify(body), 201


@bp.get("/photos/<file>")
def get_photo(file: str):
    path = photo_path(_settings().instance_dir, file)
    resp = send_file(path, mimetype=None, max_age=86400 * 365)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@bp.get("/categories")
def list_categories():
    active = request.args.get("active")
    flag = None if active in (None, "") else active.lower() in ("1", "true", "yes")
    return jsonify(
        categories.list_categories(
            db_session(), family=request.args.get("family"), active=flag, parent=request.args.get("parent")
        )
    )


@bp.get("/categories/<code>")
def get_category(code: str):
    return jsonify(categories.get_category(db_session(), code))


@bp.post("/categories")
def post_category():
    """Create a category or change one (deadline, names, default urgency, active)."""
    body, _ = _body()
    with writing() as session:
        answer, created = categories.upsert_category(session, body)
    return jsonify(answer), 201 if created else 200


@bp.get("/holidays")
def list_holidays():
    year = request.args.get("year")
    if year not in (None, "") and not (str(year).isdigit() and 1 <= int(year) <= 9998):
        raise InvalidInput(Problem(f"{year!r} is not a year", field="year"))
    return jsonify(categories.list_holidays(db_session(), int(year) if year else None))


@bp.post("/holidays")
def post_holiday():
    """Mark a day off or a make-up working day: {"day": "2026-10-10", "is_workday": true, "name": "调休"}."""
    body, _ = _body()
    problems: list[Problem] = []
    try:
        day = dt.date.fromisoformat(str(body.get("day")))
    except ValueError:
        problems.append(Problem(f"{body.get('day')!r} is not a date (YYYY-MM-DD)", field="day"))
    workday = body.get("is_workday")
    if not isinstance(workday, bool):
        problems.append(Problem("must be true (a working day) or false (a day off)", field="is_workday"))
    if problems:
        raise InvalidInput(problems)
    with writing() as session:
        categories.set_holiday(session, day, workday, body.get("name"))
    return jsonify({"day": day.isoformat(), "is_workday": workday, "name": body.get("name")}), 200


@bp.get("/openapi.json")
def openapi():
    from gridmap.web.api.openapi import document

    return jsonify(document(request.host_url.rstrip("/")))
