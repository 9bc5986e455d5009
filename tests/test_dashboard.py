"""The commander's dashboard on the start page: the figures within the viewer's scope (reports today and this week,
open, overdue, closed this week), the weekly closure and on-time rates by the scorecards' rule, the top and bottom
units of the latest published scorecard, and the same figures served to the large screen's refresh."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from gridmap.config import Settings
from gridmap.dashboard import WEEKS, figures
from gridmap.evaluation import ensure_default_schemes, latest_scheme, parse_period, publish
from gridmap.web import create_app
from tests.accounts import client_as
from tests.test_evaluation import ADMIN, NOW, TZ, add_case, golden_city, t


def test_the_figures_count_the_cases_of_today_this_week_and_the_weekly_rates(session: Session) -> None:
    ids = golden_city(session)
    # 5 December 2026 is a Saturday: a report today and one on Tuesday, both still open
    now = NOW
    add_case(session, ids["b"], t("12-07"), status="dispatched")  # opened 5 Dec 10:00 (today)
    add_case(session, ids["b"], t("12-03"), status="in_progress")  # opened 1 Dec (Tuesday), overdue since 3 Dec
    got = figures(session, None, now.replace(hour=23), TZ)
    assert got["reports_today"] == 1 and got["reports_week"] == 2
    assert got["open"] == 4  # a9 parked, a10 in progress, and the two new ones
    assert got["overdue"] == 2  # a10 (due 25 Nov) and the one due 3 Dec; the parked case is not overdue
    trend = got["trend"]
    assert len(trend["weeks"]) == WEEKS and trend["weeks"][-1] == "2026-W49"
    # week 48 (23–29 Nov): a10 due 25th (open), a12 due 28th (closed 3 Dec, late) → closure 50 %, on time 0 %
    i = trend["weeks"].index("2026-W48")
    assert (trend["due"][i], trend["closure"][i], trend["on_time"][i]) == (2, 50.0, 0.0)
    assert got["ranking"] is None and got["coverage"] is None


def test_the_latest_published_scorecard_names_top_and_bottom_units(session: Session) -> None:
    golden_city(session)
    ensure_default_schemes(session, ADMIN, NOW)
    publish(session, latest_scheme(session, "unit_composite"), parse_period("2026-11", TZ), ADMIN, NOW)
    ranking = figures(session, None, NOW, TZ)["ranking"]
    assert ranking["period"] == "2026-11" and ranking["label_zh"] == "2026年11月"
    assert [r["name"] for r in ranking["top"]] == ["单位甲", "单位乙"] and ranking["bottom"] == []
    assert ranking["top"][0]["score"] == pytest.approx(76.5, abs=0.01)


def test_the_start_page_shows_the_dashboard_and_the_overview_and_the_screen_mode(
    settings: Settings, session: Session
) -> None:
    golden_city(session)
    session.commit()
    app = create_app(settings)
    client = client_as(app, "commander")
    page = client.get("/").get_data(as_text=True)
    assert 'id="dashboard"' in page and "指挥驾驶舱" in page and 'id="overview"' in page and 'id="summary"' in page
    assert "/vendor/echarts/echarts.min.js" in page and 'href="/notices"' in page
    screen = client.get("/?screen=1").get_data(as_text=True)
    assert 'data-refresh="60"' in screen and "城市管理指挥大屏" in screen and 'id="summary"' not in screen
    assert client.get("/dashboard/screen").headers["Location"].endswith("/?screen=1")
    api = client.get("/api/v1/dashboard")
    assert api.status_code == 200 and api.json["open"] == 2 and len(api.json["trend"]["weeks"]) == WEEKS
    english = client.get("/?lang=en").get_data(as_text=True)
    assert "Command dashboard" in english and "Reports today" in english
    assert not any(w in english for w in ("指挥驾驶舱", "今日上报", "在办案件", "热点社区", "大屏模式"))
    clerk = client_as(app, "grid_worker").get("/").get_data(as_text=True)
    assert 'id="dashboard"' in clerk and 'href="/notices"' not in clerk
    assert dt.date.today()  # the page reads the real clock; the figures' rules are checked above with a fixed one
