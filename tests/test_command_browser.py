"""The commander's pages in a real browser: assign by drawing, gaps, heatmap (screenshots in test-artifacts/)."""

from __future__ import annotations

import datetime as dt

import pytest
import shapely
from sqlalchemy import select

from gridmap.catalogue.categories import seed
from gridmap.imports.demo import DEMO_PASSWORD
from gridmap.responsibility import assign
from gridmap.store.dialect import wkb
from gridmap.store.engine import make_engine, make_session_factory
from gridmap.store.models import Area, Case, Unit
from gridmap.web import create_app
from gridmap.web.state import app_state
from tests.accounts import TESTER
from tests.browser import (
    ARTIFACTS,
    PageWatch,
    live_server,
    own_globals,
    signed_in_context,
)
from tests.browser import (
    draw_polygon as _draw_polygon,
)
from tests.browser import (
    gap_grid_centre as _gap_grid_centre,
)
from tests.databases import spatialite_copy

pytestmark = pytest.mark.browser
TODAY = dt.date.today()


@pytest.fixture(scope="module")
def city(spatialite_demo, tmp_path_factory):
    """A copy of the demo city in SpatiaLite, with 60 cases, served on an ephemeral port."""
    with spatialite_copy(spatialite_demo, tmp_path_factory.mktemp("command")) as settings:
        engine = make_engine(settings)
        factory = make_session_factory(engine)
        with factory() as s:
            seed(s)
            now = dt.datetime.now(dt.UTC)
            for k in range(60):
                lon, lat = 111.135 + 0.0004 * (k % 12), 37.525 + 0.0005 * (k // 12)
                s.add(
                    Case(source="patrol", category="0102" if k % 3 else "0501", urgency="normal", lon=lon, lat=lat,
                         geom=f"SRID=4326;POINT({lon} {lat})", observed_at=now, created_at=now - dt.timedelta(days=k),
                         updated_at=now, status="dispatched", deadline_at=now + dt.timedelta(hours=k - 10),
                         deadline_unit="urgent_hours", limit_seconds=4 * 3600.0)
                )  # fmt: skip
            s.flush()
            outlines = s.execute(select(Area.id, wkb(Area.geom)).where(Area.level == "street")).all()
            for case in s.scalars(select(Case)):  # each case's own 街道, as intake records it
                inside = shapely.Point(case.lon, case.lat)
                case.street_id = next((i for i, g in outlines if shapely.from_wkb(bytes(g)).contains(inside)), None)
            s.commit()
        app = create_app(settings)
        ARTIFACTS.mkdir(exist_ok=True)
        with live_server(app) as base:
            yield {"base": base, "factory": factory}
        app_state(app).engine.dispose()
        engine.dispose()


def _open(browser, url: str, username: str = "demo-commander", viewport: tuple[int, int] = (1400, 900)):
    """A page of ``url``, signed in as ``username`` (a demo account)."""
    base = url[: url.index("/", len("http://"))]
    size = {"width": viewport[0], "height": viewport[1]}
    context = signed_in_context(browser, base, username, DEMO_PASSWORD, viewport=size)
    page = context.new_page()
    watch = PageWatch(page)
    page.goto(url)
    return page, watch


def _idle(page) -> None:
    """Waits until the page's own first load and the map's are done and no request is in flight."""
    page.wait_for_function("() => window.gridmapTest?.pageReady === true && gridmapTest.ready === true", timeout=30_000)
    page.wait_for_function("() => window.gridmapTest.busy === 0", timeout=30_000)
    assert own_globals(page) == ["gridmapTest"]  # the map modules' one global: the test hook


def _totals(page) -> dict[str, str]:
    return page.evaluate(
        "Object.fromEntries([...document.querySelectorAll('#gap-totals [data-key]')]"
        ".map(td => [td.dataset.key, td.textContent.trim()]))"
    )


def test_assign_by_drawing_then_conflict_then_end(browser, city) -> None:
    base = city["base"]
    page, watch = _open(browser, base + "/assign")
    _idle(page)
    assert page.locator("h1").inner_text() == "划片包联"
    lon, lat, grid_id = _gap_grid_centre(page, base)
    before = _totals(page)
    _draw_polygon(page, lon, lat, 0.0012)
    page.wait_for_selector("#selection:not([hidden])", timeout=15_000)
    page.wait_for_function("() => window.gridmapTest.busy === 0")
    caught = page.evaluate("window.gridmapTest.page.selection.features")
    assert any(f["kind"] == "grid" and f["id"] == grid_id and f["current"] is None for f in caught)
    assert page.evaluate(f"!!window.gridmapTest.highlighted.grids[{grid_id}]")
    page.screenshot(path=str(ARTIFACTS / "assign-preview.png"))

    unit = page.evaluate("document.querySelector('#unit').options[3].value")
    page.select_option("#unit", unit)
    page.fill("#valid-from", (TODAY - dt.timedelta(days=1)).isoformat())
    page.wait_for_function("() => window.gridmapTest.busy === 0")
    # A second commander assigns one of the caught features behind our back → our confirm is refused (409).
    first = caught[0]
    with city["factory"]() as s:
        holder = (first["current"] or {}).get("unit_id") or -1
        other = s.scalar(select(Unit.id).where(Unit.kind == "district_office", Unit.id != holder).order_by(Unit.id))
        assign.assign(s, [{"kind": first["kind"], "id": first["id"]}], other,
                           valid_from=TODAY - dt.timedelta(days=2), by="another commander", actor=TESTER,
                      take_over=True)  # fmt: skip
        s.commit()
    page.click("#confirm-assign")
    page.wait_for_selector("#assign-msg.error, #assign-msg.ok", timeout=15_000)
    assert "conflict" in page.get_attribute("#assign-msg", "class"), page.inner_text("#assign-msg")
    assert "其他指挥员" in page.inner_text("#assign-msg")
    page.wait_for_function("() => window.gridmapTest.busy === 0")

    # The refreshed preview is current: confirming now succeeds, colours and totals change.
    page.click("#confirm-assign")
    page.wait_for_selector("#assign-msg.ok", timeout=15_000)
    page.wait_for_function("() => window.gridmapTest.busy === 0")
    after = _totals(page)
    assert float(after["grids_unassigned_km2"]) < float(before["grids_unassigned_km2"])
    state = page.evaluate(
        f"""(() => {{ let s = null; window.gridmapTest.layers.grids.eachLayer(l => {{
              if (l.feature.id === {grid_id}) s = l.feature.properties.responsibility; }}); return s; }})()"""
    )
    assert state == "assigned"
    page.screenshot(path=str(ARTIFACTS / "assign-done.png"))

    # End the grid's assignment today: the gap comes back (history kept).
    row = page.locator(f"#sel-table tr[data-kind=grid][data-id='{grid_id}'] .end-btn")
    row.click()
    page.wait_for_selector("#assign-msg.ok", timeout=15_000)
    page.wait_for_function("() => window.gridmapTest.busy === 0")
    assert "历史保留" in page.inner_text("#assign-msg")
    assert float(_totals(page)["grids_unassigned_km2"]) == pytest.approx(float(before["grids_unassigned_km2"]))
    hist = page.request.get(f"{base}/api/v1/features/grid/{grid_id}/history").json()
    assert [a["valid_to"] for a in hist["assignments"] if a["role"] == "responsible"][-1] == TODAY.isoformat()

    # Bad input shows a message in the page: a start date before the current holder's start.
    page.select_option("#unit", page.evaluate("document.querySelector('#unit').options[5].value"))
    page.fill("#valid-from", "2000-01-01")
    page.click("#confirm-assign")
    page.wait_for_selector("#assign-msg.error", timeout=15_000)
    assert "valid_from" in page.inner_text("#assign-msg") or "2000-01-01" in page.inner_text("#assign-msg")
    page.wait_for_function("() => window.gridmapTest.busy === 0")

    # Clicking a single feature selects it, with its history.
    page.evaluate(
        f"""(() => {{ window.gridmapTest.layers.grids.eachLayer(l => {{
              if (l.feature.id === {grid_id}) l.fire('click', {{latlng: l.getBounds().getCenter()}}); }}); }})()"""
    )
    page.wait_for_function("() => window.gridmapTest.busy === 0")
    assert page.evaluate("window.gridmapTest.page.selection.features.length") == 1
    assert page.locator("#sel-table tr.hist").count() >= 1

    # Another role: the selection shows that role's holder, so assigning in it is no conflict.
    held = page.evaluate(
        """(() => { let id = null; window.gridmapTest.layers.grids.eachLayer(l => {
              if (id === null && l.feature.properties.responsibility === 'assigned') {
                id = l.feature.id; l.fire('click', {latlng: l.getBounds().getCenter()}); } }); return id; })()"""
    )
    page.wait_for_function("() => window.gridmapTest.busy === 0")
    page.select_option("#role", "grid_worker")
    page.wait_for_function("() => window.gridmapTest.busy === 0")
    hist = page.request.get(f"{base}/api/v1/features/grid/{held}/history").json()
    workers = [a["id"] for a in hist["assignments"] if a["role"] == "grid_worker" and a["valid_to"] is None]
    current = page.evaluate("window.gridmapTest.page.selection.features[0].current")
    assert (current or {}).get("assignment_id") == (workers[-1] if workers else None)
    page.fill("#valid-from", TODAY.isoformat())
    page.click("#confirm-assign")
    page.wait_for_selector("#assign-msg.ok, #assign-msg.error", timeout=15_000)
    assert "ok" in page.get_attribute("#assign-msg", "class"), page.inner_text("#assign-msg")
    page.wait_for_function("() => window.gridmapTest.busy === 0")
    page.screenshot(path=str(ARTIFACTS / "assign-role.png"))
    # The 409 and the 400 above are logged by the browser as failed loads; nothing else may go wrong.
    assert [p for p in watch.problems if "status of 409" not in p and "status of 400" not in p] == [], watch.problems
    page.close()


def test_gaps_page(browser, city) -> None:
    base = city["base"]
    page, watch = _open(browser, base + "/gaps")
    _idle(page)
    api = page.request.get(base + "/api/v1/gaps").json()
    assert page.locator("#gap-table tbody tr").count() == api["count"] > 0
    assert page.locator("#gap-summary tr.street").count() == 7
    page.screenshot(path=str(ARTIFACTS / "gaps.png"))
    page.locator("#gap-table tbody tr a").first.click()
    page.wait_for_selector(".leaflet-popup-content .gm-popup")
    csv = page.request.get(base + page.get_attribute("#dl-csv", "href"))
    assert csv.ok and csv.text().count("\n") == api["count"] + 1
    geo = page.request.get(base + page.get_attribute("#dl-geojson", "href"))
    assert geo.ok and len(geo.json()["features"]) == api["count"]
    # One 街道, segments only, in English.
    street = page.evaluate("document.querySelector('select[name=street]').options[1].value")
    page.goto(f"{base}/gaps?street={street}&kind=segment&lang=en")
    _idle(page)
    assert page.locator("h1").inner_text() == "Gaps"
    n = page.request.get(f"{base}/api/v1/gaps?street={street}&kind=segment").json()["count"]
    assert page.locator("#gap-table tbody tr").count() == n
    assert page.locator("#gap-summary tr.community").count() > 0
    page.screenshot(path=str(ARTIFACTS / "gaps-street-en.png"))
    assert watch.problems == [], watch.problems
    page.close()


def test_heatmap_filters_and_modes(browser, city) -> None:
    base = city["base"]
    page, watch = _open(browser, base + "/heatmap")
    _idle(page)
    assert page.inner_text("#heat-count") == "案件 60 件"
    assert page.locator("canvas.leaflet-heatmap-layer").count() == 1
    page.screenshot(path=str(ARTIFACTS / "heatmap-points.png"))
    page.wait_for_function("() => document.querySelectorAll('#cat-class option').length > 1")
    # the classes of every family: events, components (部件) and 创城 inspection items
    families = page.eval_on_selector_all("#cat-class optgroup", "gs => gs.map(g => g.label)")
    assert families == ["事件", "部件", "创城检查项"], families
    page.evaluate("window.gridmapTest.pageReady = false")
    page.select_option("#cat-class", "05")
    page.wait_for_function("() => window.gridmapTest.pageReady === true && window.gridmapTest.busy === 0")
    assert page.inner_text("#heat-count") == "案件 20 件"
    page.evaluate("window.gridmapTest.pageReady = false")
    page.check("input[name=overdue]")
    page.wait_for_function("() => window.gridmapTest.pageReady === true && window.gridmapTest.busy === 0")
    overdue = int("".join(ch for ch in page.inner_text("#heat-count") if ch.isdigit()))
    assert 0 < overdue < 20
    assert "overdue=true" in page.get_attribute("#case-list-json", "href")
    listed = page.request.get(base + page.get_attribute("#case-list-json", "href")).json()
    assert listed["total"] == overdue
    # Click through to the case list page: the same cases.
    page.click("#case-list")
    page.wait_for_selector("#case-table")
    assert page.locator("#case-table tbody tr").count() == overdue
    # overdue rows are red on this plain page too (the rule used to live in the map pages' stylesheet only)
    assert page.locator("#case-table tbody tr.overdue").count() == overdue
    red = page.evaluate("getComputedStyle(document.querySelector('#case-table tbody tr.overdue td')).color")
    assert red == "rgb(176, 0, 32)", red
    page.screenshot(path=str(ARTIFACTS / "heatmap-case-list.png"))
    page.go_back()
    _idle(page)
    page.wait_for_function("() => document.querySelectorAll('#cat-class option').length > 1")
    page.evaluate("window.gridmapTest.pageReady = false")
    page.uncheck("input[name=overdue]")
    page.select_option("#cat-class", "")
    page.check("input[name=mode][value=grids]")
    page.wait_for_function("() => window.gridmapTest.pageReady === true && window.gridmapTest.busy === 0")
    # quantile classes (an outlier cannot wash the others out), each with its range
    assert page.locator("#heat-legend .quantiles li").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "heatmap-grids.png"))
    page.evaluate("window.gridmapTest.pageReady = false")
    page.evaluate("() => { gridmapTest.map.setView([37.526, 111.137], 16, {animate: false}); }")  # roads, not 街道
    page.check("input[name=mode][value=segments]")
    page.wait_for_function("() => window.gridmapTest.pageReady === true && window.gridmapTest.busy === 0")
    assert "件/公里" in page.inner_text("#heat-legend")
    # An inverted period: a message in the page, no failure.
    page.evaluate("window.gridmapTest.pageReady = false")
    page.fill("input[name=from]", "2026-11-20")
    page.fill("input[name=to]", "2026-11-01")
    page.dispatch_event("input[name=to]", "change")
    page.wait_for_function("() => window.gridmapTest.pageReady === true && window.gridmapTest.busy === 0")
    assert "早于开始日期" in page.inner_text("#heat-msg")  # in Chinese, not the API's English
    page.screenshot(path=str(ARTIFACTS / "heatmap-segments.png"))
    assert [p for p in watch.problems if "status of 400" not in p] == [], watch.problems
    page.close()


def test_heatmap_says_when_only_the_newest_cases_are_drawn(browser, city, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the server's cap the heat answer holds the newest cases only: the page says so instead of passing the
    map off as every case (the caps lowered to the demo's 60 cases: raw points up to 10, binned up to 20)."""
    from gridmap.maps import heat

    monkeypatch.setattr(heat, "RAW_POINTS", 10)
    monkeypatch.setattr(heat, "BINNED_CAP", 20)
    page, watch = _open(browser, city["base"] + "/heatmap")
    _idle(page)
    shown = page.inner_text("#heat-count")
    assert shown.startswith("案件 ") and "仅显示最新的一部分" in shown, shown
    page.screenshot(path=str(ARTIFACTS / "heatmap-truncated.png"))
    monkeypatch.setattr(heat, "BINNED_CAP", 100)  # all 60 fit in the cells: nothing left out, nothing said
    page.evaluate("window.gridmapTest.pageReady = false")
    page.select_option("#cat-class", "05")
    page.wait_for_function("() => window.gridmapTest.pageReady === true && window.gridmapTest.busy === 0")
    assert "仅显示" not in page.inner_text("#heat-count")
    assert watch.problems == [], watch.problems
    page.close()


@pytest.mark.parametrize(("width", "height"), [(1400, 900), (390, 844)])
def test_heatmap_grids_follow_the_view(browser, city, width: int, height: int) -> None:
    """Grids are asked for the view on each move: zoomed out the cases are counted per 街道 (the legend says from
    which zoom grids are drawn), zoomed in the grids of the screen with their cases, elsewhere none."""
    base = city["base"]
    page, watch = _open(browser, base + "/heatmap?mode=grids", viewport=(width, height))
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/v1/heat?" in r.url else None)
    _idle(page)

    def view(lat: float, lon: float, zoom: int) -> dict[str, str]:
        asked.clear()
        page.evaluate(f"() => {{ gridmapTest.map.setView([{lat}, {lon}], {zoom}, {{animate: false}}); }}")
        page.wait_for_function(f"() => gridmapTest.map.getZoom() === {zoom}")
        page.wait_for_timeout(200)  # the page waits for the move to settle before asking
        page.wait_for_function("() => window.gridmapTest.pageReady === true && window.gridmapTest.busy === 0")
        assert len(asked) == 1, asked  # one request per settled move
        return dict(p.split("=", 1) for p in asked[0].split("?", 1)[1].split("&"))

    query = view(37.526, 111.137, 12)
    assert query["mode"] == "grids" and query["zoom"] == "12" and query["bbox"].count("%2C") == 3
    assert "按街道汇总：放大到 14 级及以上显示单元网格" in page.inner_text("#heat-legend")
    assert page.inner_text("#heat-count") == "视野内案件 60 件"
    page.screenshot(path=str(ARTIFACTS / f"heatmap-streets-{width}.png"))
    query = view(37.526, 111.137, 16)
    assert query["zoom"] == "16"
    assert "按街道汇总" not in page.inner_text("#heat-legend")
    assert page.locator("#heat-legend .quantiles li").count() >= 1
    shown = int("".join(ch for ch in page.inner_text("#heat-count") if ch.isdigit()))
    assert 0 < shown <= 60
    page.screenshot(path=str(ARTIFACTS / f"heatmap-grids-view-{width}.png"))
    view(37.49, 111.10, 16)  # away from every case
    assert page.inner_text("#heat-count") == "视野内案件 0 件"
    assert watch.problems == [], watch.problems
    page.close()
