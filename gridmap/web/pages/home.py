"""HTML pages: the start page — the commander's dashboard for the viewer's scope (figures from
:mod:`gridmap.dashboard`, the trend drawn by ECharts) above the store's overview as before — and its large-screen
mode 大屏 (``/?screen=1`` or ``/dashboard/screen``: 1920×1080, the figures refreshed every minute without a reload)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, make_response, redirect, render_template, request, url_for

from gridmap.responsibility.overview import next_step, store_summary
from gridmap.store.engine import current_revision
from gridmap.web.api.dashboard import dashboard_figures
from gridmap.web.auth import current_scope, public, signed_in
from gridmap.web.i18n import MESSAGES
from gridmap.web.pages.maps import opening_box
from gridmap.web.session import db_session
from gridmap.web.state import app_state

bp = Blueprint("pages", __name__)


@bp.get("/")
@signed_in
def index():
    state = app_state()
    migrated = current_revision(state.engine)
    board = dashboard_figures() if migrated else None
    if request.args.get("screen") == "1":
        return render_template("dashboard_screen.html", board=board, lang=g.lang, **_small_map(state, migrated))
    summary = store_summary(db_session(), scope=current_scope()) if migrated else None
    step = next_step(db_session()) if migrated else None
    page = render_template("index.html", summary=summary, next_step=step, attribution=state.attribution, lang=g.lang,
                           board=board, **_small_map(state, migrated))  # fmt: skip
    resp = make_response(page)
    if request.args.get("lang"):
        resp.set_cookie("lang", g.lang, max_age=365 * 24 * 3600, samesite="Lax")
    return resp


def _small_map(state: Any, migrated: object) -> dict[str, Any]:
    """For the dashboard's small map: the basemap the maps use (none unless configured: the product runs offline)
    and where it opens (the account's scope, else the city; as /map)."""
    return {"basemap_url": state.settings.basemap_url, "basemap_attribution": state.settings.basemap_attribution,
            "map_bounds": opening_box() if migrated else None}  # fmt: skip


@bp.get("/dashboard/screen")
@signed_in
def screen():
    """The large screen 大屏 of the command hall (the same as ``/?screen=1``)."""
    return redirect(url_for("pages.index", screen=1))


@bp.get("/favicon.ico")
@public
def favicon():
    return redirect(url_for("static", filename="favicon.svg"), code=301)


WORDS: dict[str, dict[str, str]] = {
    "dash_title": {"zh_CN": "指挥驾驶舱", "en": "Command dashboard"},
    "dash_screen_title": {"zh_CN": "城市管理指挥大屏", "en": "City management — command screen"},
    "dash_reports_today": {"zh_CN": "今日上报", "en": "Reports today"},
    "dash_reports_week": {"zh_CN": "本周上报", "en": "Reports this week"},
    "dash_open": {"zh_CN": "在办案件", "en": "Open"},
    "dash_overdue": {"zh_CN": "超期案件", "en": "Overdue"},
    "dash_closed_week": {"zh_CN": "本周结案", "en": "Closed this week"},
    "dash_coverage": {"zh_CN": "责任覆盖率", "en": "Coverage"},
    "dash_trend": {"zh_CN": "按时处置率与结案率（近 8 周）", "en": "On-time and closure rates (last 8 weeks)"},
    "dash_closure": {"zh_CN": "结案率", "en": "Closure"},
    "dash_on_time": {"zh_CN": "按时处置率", "en": "On time"},
    "dash_ranking": {"zh_CN": "单位考核排名", "en": "Unit ranking"},
    "dash_top": {"zh_CN": "排名前列", "en": "Top units"},
    "dash_bottom": {"zh_CN": "排名靠后（末位在前）", "en": "Bottom units (last first)"},
    "dash_no_ranking": {"zh_CN": "尚无已发布的单位考核结果", "en": "No unit scorecard is published yet"},
    "dash_hot_spots": {"zh_CN": "热点社区（近 30 天）", "en": "Hot spots (last 30 days)"},
    "dash_hot_map": {
        "zh_CN": "热点地图：待办案件最多的单元网格，颜色越红越多（下方为热点社区列表）",
        "en": "Hot-spot map: the unit grids with the most open cases, redder for more (the list of communities below)",
    },
    "dash_hot_none": {"zh_CN": "近 30 天无上报", "en": "No reports in the last 30 days"},
    "dash_reports_open": {"zh_CN": "{n} 件，在办 {o} 件", "en": "{n} reports, {o} open"},
    "dash_screen": {"zh_CN": "大屏模式", "en": "Large screen"},
    "dash_notices": {"zh_CN": "考核通报", "en": "Notices"},
    "dash_as_of": {"zh_CN": "数据时间", "en": "As of"},
    "dash_scorecard_of": {"zh_CN": "{period}·{scheme}", "en": "{period} · {scheme}"},
}
for _key, _texts in WORDS.items():
    MESSAGES.setdefault(_key, _texts)
