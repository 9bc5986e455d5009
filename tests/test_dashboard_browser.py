"""The dashboard and the notice page in a real browser: the start page's figures and ECharts trend on a desktop and
a phone, the large screen at 1920×1080 refreshing its figures in place after a minute (the page's clock run forward),
and /notices previewing, publishing and offering the PDF and XLSX (screenshots in test-artifacts/)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from gridmap.accounts.actor import cli_actor
from gridmap.catalogue.categories import seed
from gridmap.evaluation import ensure_default_schemes, latest_scheme, parse_period, publish
from gridmap.evaluation.periods import month
from gridmap.imports.demo import DEMO_PASSWORD
from gridmap.store.engine import make_engine, make_session_factory
from gridmap.store.models import Area, AreaLevel, Case, Unit
from gridmap.web import create_app
from gridmap.web.state import app_state
from tests.browser import ARTIFACTS, PageWatch, fits, live_server, signed_in_context
from tests.databases import spatialite_copy

pytestmark = pytest.mark.browser
TZ = ZoneInfo("Asia/Shanghai")


def _last_month() -> str:
    first = dt.datetime.now(TZ).date().replace(day=1) - dt.timedelta(days=1)
    return month(first.year, first.month, TZ).key


@pytest.fixture(scope="module")
def city(spatialite_demo, tmp_path_factory):
    """The demo city with 80 cases of its units over the last two months and last month's unit scorecard published."""
    with spatialite_copy(spatialite_demo, tmp_path_factory.mktemp("dashboard")) as settings:
        engine = make_engine(settings)
        factory = make_session_factory(engine)
        with factory() as s:
            seed(s)
            units = s.scalars(select(Unit.id).order_by(Unit.id).limit(6)).all()
            communities = s.execute(
                select(Area.id, Area.parent_id).where(Area.level == AreaLevel.COMMUNITY).order_by(Area.id).limit(4)
            ).all()
            now = dt.datetime.now(dt.UTC)
            for k in range(80):
                lon, lat = 111.135 + 0.0004 * (k % 12), 37.525 + 0.0005 * (k // 12)
                opened = now - dt.timedelta(days=k * 0.75, hours=1)
                deadline = opened + dt.timedelta(days=2)
                closed = deadline - dt.timedelta(hours=5 if k % 4 else -30) if k % 5 and deadline < now else None
                s.add(
                    Case(source="patrol", category="0102" if k % 3 else "0501", urgency="normal", lon=lon, lat=lat,
                         geom=f"SRID=4326;POINT({lon} {lat})", observed_at=opened, created_at=opened, updated_at=now,
                         status="closed" if closed else "dispatched", unit_id=units[k % len(units)],
                         deadline_at=deadline, closed_at=closed, rework_count=1 if k % 7 == 0 else 0,
                         community_id=communities[k % 4 if k % 3 else 0][0],
                         street_id=communities[k % 4 if k % 3 else 0][1])
                )  # fmt: skip
            s.flush()
            ensure_default_schemes(s, cli_actor(), now)
            publish(s, latest_scheme(s, "unit_composite"), parse_period(_last_month(), TZ), cli_actor(), now)
            s.commit()
        app = create_app(settings)
        ARTIFACTS.mkdir(exist_ok=True)
        with live_server(app) as base:
            yield base
        app_state(app).engine.dispose()
        engine.dispose()


def _hot_spots_drawn(page) -> int:
    """The small map of hot spots drew the hottest unit grids (from /api/v1/heat) as shapes; their number."""
    page.wait_for_function("() => Number(document.getElementById('dash-map')?.dataset.drawn || 0) > 0")
    drawn = int(page.locator("#dash-map").get_attribute("data-drawn") or 0)
    assert page.locator("#dash-map path.leaflet-interactive").count() == drawn
    box = page.locator("#dash-map").bounding_box()
    assert box and box["height"] >= 200 and box["width"] >= 240
    return drawn


@pytest.mark.parametrize(
    "size", [{"width": 1280, "height": 800}, {"width": 390, "height": 844}], ids=["desktop", "phone"]
)
def test_the_start_page_is_the_commanders_dashboard(browser, city: str, size: dict[str, int]) -> None:
    context = signed_in_context(browser, city, "demo-commander", DEMO_PASSWORD, viewport=size)
    page = context.new_page()
    watch = PageWatch(page)
    page.goto(city + "/")
    page.wait_for_function("() => document.getElementById('dash-chart')?.dataset.drawn === '8'")
    assert page.locator("#dash-chart svg").count() == 1  # ECharts drew the trend
    figures = {k: page.locator(f'[data-fig="{k}"]').first.inner_text() for k in ("reports_week", "open", "overdue")}
    assert all(v.isdigit() for v in figures.values()) and int(figures["open"]) > 0
    assert page.locator("#dash-top li").count() == 3 and page.locator("#dash-bottom li").count() == 3
    assert page.locator("#dash-hot li").count() == 4 and "在办" in page.locator("#dash-hot li").first.inner_text()
    _hot_spots_drawn(page)
    assert page.locator("#summary").is_visible()  # the overview the start page showed before is still there
    fits(page, size)
    page.screenshot(path=str(ARTIFACTS / f"dashboard-{size['width']}.png"), full_page=True)
    assert watch.problems == [], watch.problems
    context.close()


def test_the_large_screen_refreshes_its_figures_every_minute_without_a_reload(browser, city: str) -> None:
    size = {"width": 1920, "height": 1080}
    context = signed_in_context(browser, city, "demo-commander", DEMO_PASSWORD, viewport=size)
    page = context.new_page()
    watch = PageWatch(page)
    page.clock.install()
    page.goto(city + "/dashboard/screen")
    assert page.url.endswith("/?screen=1")
    page.wait_for_function("() => document.getElementById('dash-chart')?.dataset.drawn === '8'")
    drawn = _hot_spots_drawn(page)
    page.evaluate("() => { window.__sameDocument = true; }")  # gone if the page reloaded
    page.clock.run_for(61_000)
    page.wait_for_function("() => document.getElementById('dashboard').dataset.refreshed !== undefined")
    assert page.evaluate(
        "() => window.__sameDocument === true && document.getElementById('dashboard').dataset.refreshes"
    )
    page.wait_for_function("() => document.getElementById('dash-map').dataset.drawn !== undefined")
    assert page.locator("#dash-map path.leaflet-interactive").count() == drawn  # redrawn, not added twice
    box = page.locator("#dashboard").bounding_box()
    assert box and box["width"] <= 1920 and box["height"] <= 1080
    assert page.evaluate("() => document.documentElement.scrollHeight") <= 1080
    page.screenshot(path=str(ARTIFACTS / "dashboard-screen-1920.png"))
    assert watch.problems == [], watch.problems
    context.close()


@pytest.mark.parametrize(
    "size", [{"width": 1400, "height": 900}, {"width": 390, "height": 844}], ids=["desktop", "phone"]
)
def test_the_notices_page_previews_publishes_and_downloads(browser, city: str, size: dict[str, int]) -> None:
    context = signed_in_context(browser, city, "demo-commander", DEMO_PASSWORD, viewport=size)
    page = context.new_page()
    watch = PageWatch(page)
    period = _last_month()
    page.goto(city + f"/notices?period={period}")
    assert page.locator(f'#notice-archive tr[data-period="{period}"]').count() == 1
    assert page.locator("#notice-preview h1").inner_text().endswith("城市管理考核通报")
    assert page.locator("#notice-preview tr.first").count() >= 1
    # the charts (the groups' averages, their trend over this period and the last three) with pygal's style sheet
    # applied — its <style> carries the CSP nonce (a refused one would be a problem in watch)
    assert page.locator("#notice-preview .chart svg").count() >= 2
    assert "走势" in page.locator("#notice-preview .chart").inner_text()
    fill = page.eval_on_selector("#notice-preview .chart svg .background", "e => getComputedStyle(e).fill")
    assert fill in ("rgb(255, 255, 255)", "white"), fill
    with page.expect_download() as got:
        page.click("#download-xlsx")
    assert got.value.suggested_filename == f"通报-{period}.xlsx"
    fits(page, size)  # the preview's wide tables scroll inside their own frame
    page.screenshot(path=str(ARTIFACTS / f"notices-{size['width']}.png"), full_page=True)
    if size["width"] > 400:  # publish once (the module's city is shared)
        with page.expect_navigation():
            page.click("#publish")
        assert "已发布" in page.locator(".flash").inner_text()
        assert page.locator("#notice-state").is_visible() and page.locator("#publish").count() == 0
    assert watch.problems == [], watch.problems
    context.close()
