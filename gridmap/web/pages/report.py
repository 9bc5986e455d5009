"""The public's 随手拍 (``/report``): a phone page without an account — locate, photograph, pick a category, send.

``POST /report`` takes a form (multipart, with up to 3 photos) or JSON; every report carries the phone's
``client_id``, so a retry from the phone's queue (offline, a lost answer) returns the first case, never a second.
Positions are WGS-84 (the phone's GPS); ``crs=gcj02`` from Amap/Tencent map SDKs is converted on the server; Baidu's
BD-09 is refused. The answer is a receipt code (查询码) and the /track link — nothing about people. Every refusal is
a sentence in the page's language (zh-CN by default).
"""

from __future__ import annotations

import contextlib
import gzip
import json
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, render_template, request, send_from_directory, url_for
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from gridmap import cases
from gridmap.accounts.actor import public_actor
from gridmap.catalogue.categories import list_categories
from gridmap.errors import InvalidInput, Problem
from gridmap.maps.places import public_places
from gridmap.store.models import Case, CaseSource
from gridmap.web.auth import public
from gridmap.web.i18n import translate
from gridmap.web.limits import public_limit
from gridmap.web.session import db_session, writing
from gridmap.web.state import app_state

bp = Blueprint("report", __name__)

MAX_REPORT_PHOTOS = 3  # what the page lets a citizen attach (the API allows more for staff)
FIELDS = ("lon", "lat", "crs", "category", "description", "client_id", "observed_at", "address", "photo_meta")


def _lang() -> str:
    return str(g.get("lang", "zh_CN"))


@bp.get("/report")
@public
def report_page():
    tree = [
        {
            "code": c["code"],
            "parent": c["parent_code"],
            "family": c["family"],
            "zh": c["name_zh"],
            "en": c.get("name_en"),
        }
        for c in list_categories(db_session(), active=True)
    ]
    return render_template("report.html", categories=tree, max_photos=MAX_REPORT_PHOTOS)


@bp.get("/report/places.json")
@public
@public_limit()  # the public budget: GRIDMAP_PUBLIC_RATE per address
def places():
    """社区 outlines and named roads for the page's tile-less map — gzipped when the phone accepts it (the demo
    city's 690 KB are 59 KB gzipped: what a bad network can carry)."""
    resp = jsonify(public_places(db_session()))
    resp.headers["Cache-Control"] = "public, max-age=3600"
    resp.headers["Vary"] = "Accept-Encoding"
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        resp.set_data(gzip.compress(resp.get_data(), compresslevel=6))
        resp.headers["Content-Encoding"] = "gzip"
    return resp


@bp.get("/report-sw.js")
@public
def service_worker() -> Response:
    """The report page's service worker (registered for the scope /report: it controls no other page)."""
    resp = send_from_directory(current_app.static_folder or "static", "report-sw.js", max_age=0)
    resp.headers["Service-Worker-Allowed"] = "/"
    resp.headers["Content-Type"] = "text/javascript; charset=utf-8"
    return resp


@bp.get("/report.webmanifest")
@public
def manifest() -> Response:
    """The web app manifest: 随手拍 installs on a phone's home screen and opens on /report."""
    lang = _lang()
    body = {
        "name": translate("report_app_name", lang),
        "short_name": translate("report_short_name", lang),
        "start_url": "/report",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1f6feb",
        "lang": "zh-CN" if lang == "zh_CN" else "en",
        "icons": [  # PNGs for Android's install prompt (it wants 192 and 512 px), the SVG for the rest
            *(
                {"src": url_for("static", filename=f"icon-{n}.png"), "sizes": f"{n}x{n}", "type": "image/png"}
                for n in (192, 512)
            ),
            {"src": url_for("static", filename="favicon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")


@bp.post("/report")
@public
@public_limit()  # the public budget: GRIDMAP_PUBLIC_RATE per address
def send_report():
    """Open (or, for a client id seen before, find) the case of a citizen's report; answer its receipt code.

    Always as the public, even from a signed-in browser: this door carries no account's authority (so it needs no
    CSRF token) and every report it opens gets a receipt; staff report through /api/v1/reports or /mygrid."""
    lang = _lang()
    raw: dict[str, Any]
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _refuse([Problem("the report must be a JSON object")], lang)
        raw = body
    else:
        raw = request.form.to_dict()
    photos = [(f.filename or "", f.stream.read(app_state().settings.cases.photo_max_bytes + 1))
              for f in request.files.getlist("photos")]  # fmt: skip
    if len(photos) > MAX_REPORT_PHOTOS:
        return _refuse([Problem(f"at most {MAX_REPORT_PHOTOS} photos", field="photos")], lang)
    if not raw.get("client_id"):
        return _refuse([Problem("missing", field="client_id")], lang)
    fields = {k: raw[k] for k in FIELDS if raw.get(k) not in (None, "")}
    fields["source"] = CaseSource.PUBLIC.value
    extra: dict[str, object] = {"channel": "report_page"}
    if raw.get("accuracy") not in (None, ""):
        with contextlib.suppress(TypeError, ValueError):
            extra["accuracy_m"] = round(float(raw["accuracy"]), 1)
    try:
        with writing() as session:
            answer = cases.open_report(
                session,
                fields,
                app_state().settings,
                actor=public_actor(request.remote_addr),
                photos=photos,
                event_data=extra,
            )
            receipt = session.scalar(select(Case.receipt).where(Case.id == answer["id"]))
    except InvalidInput as exc:
        return _refuse(exc.problems, lang)
    track = url_for("track.track_page", code=receipt)
    result = {
        "receipt": receipt,
        "track_url": track,
        "created": answer["created"],
        "status_zh": answer["status_zh"],
        "message": translate("report_received", lang, code=receipt),
    }
    return jsonify(result), 201 if answer["created"] else 200


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_exc: RequestEntityTooLarge) -> tuple[Response, int]:
    """A body over the upload limit, said as the other refusals are (Werkzeug's sentence is English)."""
    message = translate("report_bad_photo", _lang())
    return jsonify({"error": message, "details": [message], "status": 413}), 413


def _refuse(problems: list[Problem], lang: str) -> tuple[Response, int]:
    """400 with one sentence per problem in the page's language (the English detail kept for the log)."""
    messages = [zh_problem(p, lang) for p in problems]
    body = {"error": "；".join(dict.fromkeys(messages)) if lang == "zh_CN" else " ".join(dict.fromkeys(messages)),
            "details": messages, "status": 400}  # fmt: skip
    return jsonify(body), 400


_FIELD_KEYS = {
    "lon": "report_bad_position",
    "lat": "report_bad_position",
    "category": "report_bad_category",
    "observed_at": "report_bad_time",
    "description": "report_bad_description",
    "client_id": "report_bad_client_id",
    "address": "report_bad_address",
}


def zh_problem(p: Problem, lang: str) -> str:
    """A problem of a report as a citizen reads it (zh-CN or English)."""
    field = p.field or ""
    if field == "crs":  # the use-case's own sentence already speaks to a citizen (which coordinates to send)
        return (p.zh or p.message) if lang == "zh_CN" else p.message
    key = "report_bad_photo" if field.startswith("photos") else _FIELD_KEYS.get(field, "report_bad_input")
    return translate(key, lang)
