"""The notice page /notices: the archive (every period with a published scorecard, its notice published or a
draft), a period's notice previewed as HTML (the same content the PDF and XLSX carry), its downloads, and the
publish button for those who publish scorecards. :func:`register` adds this page, the API and the words."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Flask, flash, g, redirect, render_template, request, url_for
from markupsafe import Markup

from gridmap.accounts import roles
from gridmap.errors import GridmapError
from gridmap.evaluation import parse_period
from gridmap.notices import archive, prepare, preview, publish, render_html
from gridmap.web.api.notices import tz
from gridmap.web.auth import allow, current_actor
from gridmap.web.i18n import translate
from gridmap.web.session import db_session, writing

bp = Blueprint("notices", __name__)


def _lang() -> str:
    return str(g.get("lang", "zh_CN"))


def _said(exc: GridmapError) -> str:
    return exc.zh if _lang() == "zh_CN" and exc.zh else str(exc)


@bp.get("/notices")
@allow(*roles.READS_NOTICES)
def notices_page():
    session = db_session()
    items = archive(session, tz())
    period = (request.args.get("period") or (items[0]["period"] if items else "")).strip()
    notice: dict[str, Any] | None = None
    body, error = None, None
    if period:
        try:
            notice = preview(session, period, tz(), dt.datetime.now(tz()))
            body = Markup(
                render_html(notice)
            )  # autoescaped by the notice's own template; the chart's <style> nonced by the page
        except GridmapError as exc:
            error = _said(exc)
    return render_template("notices.html", items=items, period=period, notice=notice, body=body, error=error,
                           publisher=current_actor().has(*roles.PUBLISHES_NOTICES))  # fmt: skip


@bp.post("/notices/<period>/publish")
@allow(*roles.PUBLISHES_NOTICES)
def publish_page(period: str):
    try:
        now = dt.datetime.now(tz())
        ready = prepare(db_session(), parse_period(period, tz()), now)  # the render: seconds, before the write lock
        with writing() as session:
            publish(session, ready, current_actor(), now)
        flash(translate("notice_published", _lang(), period=period))
    except GridmapError as exc:
        flash(_said(exc))
    return redirect(url_for("notices.notices_page", period=period))


def register(app: Flask) -> None:
    from gridmap.web.api.notices import bp as api_bp
    from gridmap.web.i18n import MESSAGES

    for key, texts in WORDS.items():
        MESSAGES.setdefault(key, texts)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(bp)


WORDS: dict[str, dict[str, str]] = {
    "notices_page": {"zh_CN": "考核通报", "en": "Notices (通报)"},
    "notice_archive": {"zh_CN": "通报归档", "en": "Archive"},
    "notice_period": {"zh_CN": "考核周期", "en": "Period"},
    "notice_schemes": {"zh_CN": "已发布的考核方案", "en": "Published schemes"},
    "notice_state": {"zh_CN": "通报状态", "en": "Notice"},
    "notice_draft": {"zh_CN": "草稿（未发布）", "en": "Draft (not published)"},
    "notice_published_at": {"zh_CN": "{at} 由 {by} 发布", "en": "published {at} by {by}"},
    "notice_preview": {"zh_CN": "预览", "en": "Preview"},
    "notice_pdf": {"zh_CN": "下载 PDF", "en": "Download PDF"},
    "notice_xlsx": {"zh_CN": "下载 Excel", "en": "Download XLSX"},
    "notice_publish": {"zh_CN": "发布通报", "en": "Publish the notice"},
    "notice_publish_hint": {
        "zh_CN": "发布后通报内容冻结，不可更改。",
        "en": "Once published the notice never changes.",
    },
    "notice_published": {"zh_CN": "{period} 通报已发布", "en": "The notice of {period} is published"},
    "notice_none": {
        "zh_CN": "尚无已发布的考核结果，发布考核结果后即可生成通报。",
        "en": "No scorecard is published yet: publish one to make its notice.",
    },
    "notice_doc_zh": {"zh_CN": "", "en": "The notice itself is an official document in Chinese."},
}
