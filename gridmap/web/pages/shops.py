"""The 门前五包 pages: the shop list with its map (/shops), a shop's page (/shops/<id>: its frontage on a map —
draggable for editors, through ``PATCH /api/v1/shops/<id>`` — its month's score with each deduction linking to its
case, its flag and histories, its letters and the letter form with a scan), and the monthly ranking with the
红黑榜 (/shops/ranking). Handlers parse, call :mod:`gridmap.shops`, and render."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, g, redirect, render_template, request, url_for

from gridmap.accounts import roles
from gridmap.errors import GridmapError
from gridmap.shops import letters, reads, registry, scoring
from gridmap.store.models import Area, AreaLevel
from gridmap.web.auth import allow, current_actor, signed_in
from gridmap.web.i18n import translate
from gridmap.web.session import db_session, writing
from gridmap.web.state import app_state

bp = Blueprint("shops", __name__)

JS_STRINGS = ("shop_moved", "shop_move_failed", "shop_frontage_m2", "shop_no_frontage")


def _lang() -> str:
    return str(g.get("lang", "zh_CN"))


def _said(exc: GridmapError) -> str:
    return exc.zh if _lang() == "zh_CN" and exc.zh else str(exc)


def _editor() -> bool:
    return current_actor().has(*roles.EDITS_SHOPS)


def _common() -> dict[str, Any]:
    offset = dt.datetime.now(ZoneInfo(app_state().settings.cases.timezone)).strftime("%z")  # +0800
    zone = f"UTC{offset[:3]}:{offset[3:]}"
    return {"attribution": app_state().attribution, "tz": zone,
            "strings": {k: translate(k, _lang()) for k in JS_STRINGS}}  # fmt: skip


@bp.get("/shops")
@signed_in
def shops_page():
    session = db_session()
    filters = {k: v for k, v in request.args.items() if k in ("q", "street_id", "page") and v}
    error = None
    try:
        found = registry.list_shops(session, {**filters, "per_page": 200}, current_actor())
    except GridmapError as exc:
        found, error = {"total": 0, "page": 1, "per_page": 200, "items": []}, _said(exc)
    streets = session.execute(
        Area.__table__.select().with_only_columns(Area.id, Area.name).where(Area.level == AreaLevel.STREET)
        .order_by(Area.code)
    ).all()  # fmt: skip
    months = reads.months_scored(session)
    return render_template("shops.html", found=found, filters=filters, streets=streets, error=error,
                           latest=months[0] if months else None, pages=max(1, -(-int(found["total"]) // 200)),
                           **_common())  # fmt: skip


@bp.get("/shops/<int:shop_id>")
@signed_in
def shop_page(shop_id: int, error: str | None = None):
    session = db_session()
    actor = current_actor()
    try:
        shop = registry.shop_dict(session, registry.get_shop(session, shop_id), actor)
    except GridmapError as exc:
        return render_template("error.html", status=404, message=_said(exc)), 404
    history = reads.shop_history(session, shop_id, _lang())
    scored = [s["month"] for s in history["scores"]]
    month = request.args.get("month") or (scored[0] if scored else None)
    try:
        got = reads.shop_month(session, shop_id, month, _lang()) if month else None
    except GridmapError as exc:
        got, error = None, _said(exc)
    return render_template("shop.html", shop=shop, month=month, got=got, history=history, months=scored,
                           letters=letters.letters_of(session, shop_id), editor=_editor(), error=error,
                           done=request.args.get("done"), **_common())  # fmt: skip


@bp.post("/shops/<int:shop_id>/letters")
@allow(*roles.EDITS_SHOPS)
def add_letter(shop_id: int):
    data = {k: request.form.get(k, "") for k in ("signer", "signed_on", "valid_from", "valid_to", "scheme_id")}
    upload = request.files.get("scan")
    scan = (upload.filename or "scan", upload.read()) if upload is not None and upload.filename else None
    settings = app_state().settings
    try:
        with writing() as session:
            letters.add_letter(session, shop_id, data, current_actor(), instance_dir=settings.instance_dir,
                               scan=scan, max_bytes=settings.cases.photo_max_bytes)  # fmt: skip
    except GridmapError as exc:
        return shop_page(shop_id, error=_said(exc)), 400
    return redirect(url_for("shops.shop_page", shop_id=shop_id, done="letter"))


@bp.get("/shops/ranking")
@signed_in
def ranking_page():
    session = db_session()
    months = reads.months_scored(session)
    month = request.args.get("month") or (months[0] if months else None)
    error = None
    got = None
    if month:
        try:
            got = reads.ranking(session, scoring.parse_month(month), _lang())
        except GridmapError as exc:
            error = _said(exc)
    return render_template("shops_ranking.html", month=month, months=months, got=got, error=error, **_common())
