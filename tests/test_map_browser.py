"""The coverage map and a unit's page in a real browser (Debian's Chromium through Playwright), on the demo city.

Fails on any JavaScript error, failed or 5xx request, or any request to a host other than the test server (no CDN,
no basemap by default). Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from geoalchemy2.elements import WKTElement
from playwright.sync_api import expect
from sqlalchemy import select

from gridmap.catalogue.categories import seed
from gridmap.config import Settings
from gridmap.imports.demo import DEMO_PASSWORD
from gridmap.store.models import Assignment, Case, Compound
from gridmap.web import create_app
from gridmap.web.state import app_state
from tests.browser import ARTIFACTS, PageWatch, live_server, own_globals, signed_in_context

pytestmark = pytest.mark.browser
IDLE = "() => window.gridmapTest?.ready === true && window.gridmapTest.busy === 0"


def _city(session) -> dict[str, object]:
    seed(session)
    comp = session.execute(
        select(Compound.id, Compound.name, Assignment.unit_id)
        .join(Assignment, Assignment.target_id == Compound.id)
        .where(Assignment.target_kind == "compound", Assignment.role == "responsible", Assignment.valid_to.is_(None))
        .order_by(Compound.id)
    ).first()
    now = dt.datetime.now(dt.UTC)
    case = Case(
        source="patrol", category="0102", urgency="normal", lon=111.14, lat=37.52,
        geom=WKTElement("POINT(111.14 37.52)", srid=4326), observed_at=now, created_at=now, updated_at=now,
        status="dispatched", unit_id=comp.unit_id, matched_kind="compound", matched_id=comp.id,
        deadline_at=now + dt.timedelta(hours=4), description="暴露垃圾",
    )  # fmt: skip
    session.add(case)
    session.commit()
    # the deadline as a person in the city reads it: Beijing time, whatever the server's or browser's zone
    due = case.deadline_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    return {"compound_id": comp.id, "compound_name": comp.name, "unit_id": comp.unit_id, "case_id": case.id,
            "due_local": due}  # fmt: skip


def _watch(page, base: str) -> PageWatch:
    watch = PageWatch(page)
    page.on(
        "request",
        lambda r: (
            None
            if r.url.startswith(base) or r.url.startswith("data:")
            else watch.problems.append(f"request to another host: {r.url}")
        ),
    )
    return watch


def _legend_count(page, key: str) -> int:
    """A state's count over the kinds shown (the legend counts each kind apart, in its own unit)."""
    return sum(int(t) for t in page.locator(f"#legend li[data-key='{key}'] .n").all_inner_texts())


@pytest.mark.demo_city
@pytest.mark.parametrize("settings", ["spatialite"], indirect=True)
def test_coverage_map_and_unit_page(browser, settings: Settings, session) -> None:
    city = _city(session)
    app = create_app(settings)
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(app) as base:
        context = signed_in_context(
            browser, base, "demo-commander", DEMO_PASSWORD, viewport={"width": 1400, "height": 900}
        )
        page = context.new_page()
        watch = _watch(page, base)
        page.goto(base + "/map")
        page.wait_for_function(IDLE, timeout=30_000)
        assert page.locator("h1").inner_text() == "包联责任地图"
        assert page.locator(".attribution").inner_text().startswith("示意数据")
        assert own_globals(page) == ["gridmapTest"]  # the map modules' one global: the test hook
        counts = page.evaluate(
            "() => Object.fromEntries(Object.entries(gridmapTest.layers).map(([k, l]) => [k, l.getLayers().length]))"
        )
        # segments, grids, compounds, 社区 and components 部件 come as vector tiles (tests/test_tiles_browser.py draws
        # and clicks them)
        tiled = page.evaluate("() => Object.keys(gridmapTest.tiled).sort()")
        assert tiled == ["communities", "components", "compounds", "grids", "segments"]
        assert page.locator(".leaflet-control-layers-overlays label", has_text="部件").count() == 1
        assert counts["streets"] == 7 and counts["cases"] == 0  # the cases layer is off until asked for
        assert page.locator("#legend li[data-key=assigned]").count() == 1
        page.screenshot(path=str(ARTIFACTS / "coverage-map.png"))

        cases_box = page.locator(".leaflet-control-layers-overlays label", has_text="案件").locator("input")
        assert not cases_box.is_checked()
        cases_box.check()
        page.wait_for_timeout(50)
        page.wait_for_function(IDLE)
        assert page.evaluate("() => gridmapTest.layers.cases.getLayers().length") == 1
        # the case's popup: its status in Chinese, its deadline in Beijing time
        page.evaluate("() => { gridmapTest.layers.cases.eachLayer(l => l.fire('click', {latlng: l.getLatLng()})); }")
        case_popup = page.locator(".leaflet-popup .gm-popup", has_text=f"#{city['case_id']}")
        case_popup.wait_for(timeout=10_000)
        assert "已派遣" in case_popup.inner_text() and city["due_local"] in case_popup.inner_text()
        assert case_popup.locator(f"a[href='/cases/{city['case_id']}']").count() == 1  # the case page, not JSON
        page.evaluate("() => { gridmapTest.map.closePopup(); }")

        # layer control: hide and show the unit grids
        grids_box = page.locator(".leaflet-control-layers-overlays label", has_text="单元网格").locator("input")
        grids_box.uncheck()
        assert page.evaluate("() => gridmapTest.map.hasLayer(gridmapTest.layers.grids)") is False
        grids_box.check()
        page.wait_for_timeout(50)
        page.wait_for_function(IDLE)
        assert page.evaluate("() => gridmapTest.map.hasLayer(gridmapTest.layers.grids)") is True

        # colouring by unit: the legend lists units
        page.check("input[name=color-mode][value=unit]")
        assert page.locator("#legend ul[data-mode=unit] li[data-key=unassigned]").count() == 1
        page.screenshot(path=str(ARTIFACTS / "coverage-map-by-unit.png"))
        page.check("input[name=color-mode][value=state]")

        # search a compound → zoom to it → its popup: unit, the four roles, its open case, history link
        page.fill("#search-box", city["compound_name"])
        page.press("#search-box", "Enter")
        hit = page.locator(".search-hit[data-kind=compound]", has_text=city["compound_name"]).first
        hit.click()
        popup = page.locator(f".gm-popup[data-kind=compound][data-id='{city['compound_id']}']")
        popup.wait_for(timeout=15_000)
        expect(popup).to_have_count(1)  # one popup, not one per search action
        text = popup.inner_text()
        for role in ("包联单位责任人", "包联小区负责人", "社区联络人", "创文督导人"):
            assert role in text
        assert f"#{city['case_id']}" in text and city["due_local"] in text  # local time, not UTC
        page.screenshot(path=str(ARTIFACTS / "coverage-map-popup.png"))
        history_href = popup.locator("a.history-link").get_attribute("href")
        unit_href = popup.locator("a.unit-link").get_attribute("href")
        assert unit_href == f"/units/{city['unit_id']}"

        # the map as of a past day: the tiles are asked for that day
        page.keyboard.press("Escape")
        page.evaluate("() => { gridmapTest.map.closePopup(); }")
        page.fill("#map-date", "2024-01-15")
        page.wait_for_function("() => gridmapTest.at === '2024-01-15'")
        page.wait_for_function(IDLE)
        page.wait_for_function("() => gridmapTest.tiled.segments.at === '2024-01-15'")
        assert "at=2024-01-15" in page.url
        page.screenshot(path=str(ARTIFACTS / "coverage-map-2024-01-15.png"))

        # the feature's history page
        page.goto(base + history_href)
        assert page.locator("#history tbody tr").count() >= 1

        # the unit's page: totals, its open case, its features on the map
        page.goto(base + unit_href)
        page.wait_for_function(IDLE, timeout=30_000)
        assert page.locator("#unit-totals td[data-key=open_cases]").inner_text() == "1"
        assert own_globals(page) == ["gridmapTest"]
        assert page.locator("#unit-cases tbody tr").count() == 1
        row = page.locator("#unit-cases tbody tr").inner_text()
        assert "已派遣" in row and "dispatched" not in row and city["due_local"] in row  # zh-CN, local time
        drawn = page.evaluate(
            "() => ['segments','compounds','grids'].reduce((n, k) => n + gridmapTest.layers[k].getLayers().length, 0)"
        )
        total = sum(
            int(page.locator(f"#unit-totals td[data-key={k}]").inner_text()) for k in ("segments", "compounds", "grids")
        )
        assert drawn == total
        page.screenshot(path=str(ARTIFACTS / "unit-page.png"))

        # English
        page.goto(base + "/map?lang=en")
        page.wait_for_function(IDLE, timeout=30_000)
        assert page.locator("h1").inner_text() == "Coverage map"
        assert "Unassigned" in page.locator("#legend").inner_text()
        page.screenshot(path=str(ARTIFACTS / "coverage-map-en.png"))
        page.goto(base + "/map?lang=zh_CN")
        assert watch.problems == []
        page.close()
    app_state(app).engine.dispose()
