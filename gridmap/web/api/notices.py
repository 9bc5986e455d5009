"""JSON API of the notice 通报: the archive, a period's notice as PDF or XLSX (only a period with a published
scorecard: 404 with a Chinese sentence otherwise), and publishing it (frozen afterwards)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, jsonify, request

from gridmap.accounts import roles
from gridmap.evaluation import parse_period
from gridmap.notices import MEDIA, archive, check_format, make, prepare, publish
from gridmap.web.api.openapi import operation
from gridmap.web.api.schemas.notices import Archive, PublishedNotice
from gridmap.web.auth import allow, current_actor
from gridmap.web.session import db_session, writing
from gridmap.web.state import app_state

bp = Blueprint("notices_api", __name__)

PERIOD = "2026-11 (month) or 2026-W48 (ISO week) whose scorecard is published"


def tz() -> ZoneInfo:
    return ZoneInfo(app_state().settings.cases.timezone)


@bp.get("/notices")
@allow(*roles.READS_NOTICES)
@operation("listNotices", tags=("notices",), ok={200: Archive})
def list_notices():
    """Every period with a published scorecard, newest first, with its notice when published"""
    return jsonify({"items": archive(db_session(), tz())})


@bp.get("/notices/<period>.<fmt>")
@allow(*roles.READS_NOTICES)
@operation(
    "getNotice", tags=("notices",), ok={200: (None, "the notice as PDF (A4, Noto CJK embedded) or XLSX")},
    errors=(400, 404), path={"period": PERIOD, "fmt": "pdf or xlsx (anything else: 400)"},
    media={200: {m: {"contentMediaType": m, "description": f"the notice as .{f}"} for f, m in MEDIA.items()}},
)  # fmt: skip
def get_notice(period: str, fmt: str):
    """The period's notice: as published (its PDF the one stored when published, with an ETag), else a draft from
    its published scorecards"""
    fmt = check_format(fmt)
    data, name, fingerprint = make(db_session(), period, fmt, tz(), dt.datetime.now(tz()))
    resp = Response(data, mimetype=MEDIA[fmt],
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})  # fmt: skip
    if fingerprint:  # the same bytes forever: a client holding them is told so (304) instead of fetching them again
        resp.set_etag(fingerprint)
        resp.headers["Cache-Control"] = "private, no-cache"
        resp.make_conditional(request)
    return resp


@bp.post("/notices/<period>/publish")
@allow(*roles.PUBLISHES_NOTICES)
@operation("publishNotice", tags=("notices",), ok={201: (PublishedNotice, "published")}, errors=(400, 404, 409),
           path={"period": PERIOD})  # fmt: skip
def publish_notice(period: str):
    """Freeze the period's notice (once): the PDF and XLSX read it back unchanged afterwards"""
    now = dt.datetime.now(tz())
    ready = prepare(db_session(), parse_period(period, tz()), now)  # the render: seconds, before the write lock
    with writing() as session:
        got = publish(session, ready, current_actor(), now)
    return jsonify({k: got[k] for k in ("title_zh", "summary", "notice")} | {"period": got["period"]["key"]}), 201
