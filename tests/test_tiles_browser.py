"""/map draws the big layers from vector tiles (protomaps-leaflet) in Chromium, at a desktop and a phone size:
tiles are fetched from /ogc/…/tiles and drawn, a click on a tiled road opens its popup (fetched by id), and below a
layer's minimum zoom the map says to zoom in. Screenshots go to test-artifacts/."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from sqlalchemy import select

from gridmap.config import Settings
from gridmap.imports.demo import DEMO_PASSWORD
from gridmap.store.dialect import wkb
from gridmap.store.models import Component
from gridmap.web import create_app
from gridmap.web.state import app_state
from tests.browser import ARTIFACTS, PageWatch, live_server, signed_in_context

pytestmark = pytest.mark.browser


def _component_near(session, where: tuple[float, float]) -> tuple[float, float]:
    """The demo component nearest to ``where`` (lat, lon), as (lon, lat)."""
    rows = session.execute(select(wkb(Component.geom))).scalars().all()
    pts = shapely.get_coordinates(shapely.from_wkb([bytes(r) for r in rows]))
    i = int(np.argmin(np.hypot(pts[:, 0] - where[1], pts[:, 1] - where[0])))
    return float(pts[i, 0]), float(pts[i, 1])


IDLE = "() => window.gridmapTest?.ready === true && window.gridmapTest.busy === 0"
# a busy street of the demo city (离石区) at z16, where every tiled layer is drawn
STREET = (37.5205, 111.1405)


@pytest.mark.demo_city
@pytest.mark.parametrize("settings", ["spatialite"], indirect=True)
@pytest.mark.parametrize(("width", "height"), [(1400, 900), (390, 844)])
def test_map_draws_segments_from_tiles(browser, settings: Settings, session, width: int, height: int) -> None:
    app = create_app(settings)
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(app) as base:
        context = signed_in_context(browser, base, "demo-commander", DEMO_PASSWORD,
                                    viewport={"width": width, "height": height})  # fmt: skip
        page = context.new_page()
        watch = PageWatch(page)
        tiles: list[tuple[str, int]] = []
        page.on("response", lambda r: tiles.append((r.url, r.status)) if "/tiles/WebMercatorQuad/" in r.url else None)
        page.goto(base + "/map")
        page.wait_for_function(IDLE, timeout=30_000)
        # the whole city at its opening zoom: no road is drawn, a hint says to zoom in
        zoom, shown_from = page.evaluate("() => [gridmapTest.map.getZoom(), gridmapTest.tiled.segments.minZoom]")
        if zoom < shown_from:
            page.locator(".zoom-hint", has_text="放大后显示路段").wait_for(timeout=5_000)
        page.screenshot(path=str(ARTIFACTS / f"tiles-map-city-{width}.png"))
        page.evaluate(f"() => gridmapTest.map.setView([{STREET[0]}, {STREET[1]}], 16, {{animate: false}})")
        page.wait_for_function(IDLE, timeout=30_000)
        page.wait_for_function(
            "() => document.querySelectorAll('.gm-segments-tiles canvas, .leaflet-gm-segments-pane canvas').length > 0"
            " || document.querySelectorAll('.leaflet-tile-loaded').length > 0",
            timeout=15_000,
        )
        page.wait_for_timeout(800)  # the tiles' canvases are painted after their fetch
        # every layer drawn but the components 部件, which start at street level (zoom 17)
        assert page.locator(".zoom-hint").inner_text().strip() == "放大至街道级后显示部件"
        seg_tiles = [(u, s) for u, s in tiles if "/collections/segments/tiles/" in u]
        assert seg_tiles and all(s in (200, 304) for _u, s in seg_tiles), tiles
        assert not any("/collections/segments/items" in u for u, _s in tiles)
        # the segment pane's canvases hold drawn pixels (roads), not blank tiles
        painted = page.evaluate(
            """() => [...document.querySelectorAll('.leaflet-gm-segments-pane canvas')].some(c => {
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                for (let i = 3; i < d.length; i += 4) if (d[i] > 0) return true;
                return false; })"""
        )
        assert painted, "no road drawn from the tiles"
        page.screenshot(path=str(ARTIFACTS / f"tiles-map-street-{width}.png"))
        # a click on a road drawn from tiles opens the road's popup (its details fetched by id)
        hit = page.evaluate(
            """() => { const m = gridmapTest.map, t = gridmapTest.tiled.segments;
                const c = m.getSize();
                for (let dx = -120; dx <= 120; dx += 6) for (let dy = -120; dy <= 120; dy += 6) {
                    const ll = m.containerPointToLatLng([c.x / 2 + dx, c.y / 2 + dy]);
                    if (t.pick(ll)) { const r = m.getContainer().getBoundingClientRect();
                                      return [r.left + c.x / 2 + dx, r.top + c.y / 2 + dy]; } }
                return null; }"""
        )
        assert hit, "no tiled road near the centre"
        page.mouse.click(hit[0], hit[1])
        popup = page.locator(".leaflet-popup .gm-popup[data-kind=segment]")
        popup.wait_for(timeout=10_000)
        page.screenshot(path=str(ARTIFACTS / f"tiles-map-popup-{width}.png"))
        # at street level the components are drawn, coloured by owner; a click names class, code and owner
        lon, lat = _component_near(session, STREET)
        page.evaluate("() => gridmapTest.map.closePopup()")
        page.evaluate(f"() => gridmapTest.map.setView([{lat}, {lon}], 18, {{animate: false}})")
        page.wait_for_function(IDLE, timeout=30_000)
        page.wait_for_timeout(1200)
        assert page.locator(".zoom-hint").is_hidden()
        drawn = page.evaluate(
            """() => [...document.querySelectorAll('.leaflet-gm-components-pane canvas')].some(c => {
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                for (let i = 3; i < d.length; i += 4) if (d[i] > 0) return true;
                return false; })"""
        )
        assert drawn, "no component drawn from the tiles"
        r = page.evaluate("() => { const b = gridmapTest.map.getContainer().getBoundingClientRect();"
                          " const p = gridmapTest.map.latLngToContainerPoint("
                          f"[{lat}, {lon}]); return [b.left + p.x, b.top + p.y]; }}")  # fmt: skip
        page.mouse.click(r[0], r[1])
        popup = page.locator(".leaflet-popup .gm-popup", has_text="权属单位")
        popup.wait_for(timeout=10_000)
        assert "部件" in popup.inner_text()
        page.screenshot(path=str(ARTIFACTS / f"tiles-map-component-{width}.png"))
        assert watch.problems == []
        page.close()
    app_state(app).engine.dispose()


@pytest.mark.demo_city
@pytest.mark.parametrize("settings", ["spatialite"], indirect=True)
@pytest.mark.parametrize(("width", "height"), [(1400, 900), (390, 844)])
def test_map_shows_community_coverage_below_the_layers_minimum_zoom(
    browser, settings: Settings, session, width: int, height: int
) -> None:
    """Zoomed out below the roads' minimum zoom, the 社区 are filled by their coverage (from the gaps summary) instead
    of the features; zoomed in again, the features are drawn and the fill goes."""
    app = create_app(settings)
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(app) as base:
        context = signed_in_context(browser, base, "demo-commander", DEMO_PASSWORD,
                                    viewport={"width": width, "height": height})  # fmt: skip
        page = context.new_page()
        watch = PageWatch(page)
        page.goto(base + "/map")
        page.wait_for_function(IDLE, timeout=30_000)
        shown_from = page.evaluate("() => gridmapTest.tiled.segments.minZoom")
        below = shown_from - 2  # communities are drawn from z11, roads from z14
        page.evaluate(f"() => gridmapTest.map.setView([{STREET[0]}, {STREET[1]}], {below}, {{animate: false}})")
        page.wait_for_function("() => gridmapTest.coverage !== null", timeout=15_000)
        page.locator(".zoom-hint", has_text="社区颜色").wait_for(timeout=5_000)
        rates = page.evaluate("() => Object.values(gridmapTest.coverage)")
        assert len(rates) > 10 and all(r is None or 0 <= r <= 1 for r in rates)
        page.wait_for_timeout(1200)  # the community tiles are painted after their fetch

        def filled(pane: str) -> int:
            return page.evaluate(
                """(pane) => [...document.querySelectorAll(`.leaflet-${pane}-pane canvas`)].reduce((n, c) => {
                    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                    let k = 0; for (let i = 3; i < d.length; i += 4 * 7) if (d[i] > 60) k++;
                    return n + k; }, 0)""",
                pane,
            )

        assert filled("gm-areas") > 1000, "the 社区 are not filled by their coverage"
        assert filled("gm-segments") == 0  # no road drawn below its minimum zoom
        page.screenshot(path=str(ARTIFACTS / f"map-coverage-below-{width}.png"))
        page.evaluate(
            f"() => gridmapTest.map.setView([{STREET[0]}, {STREET[1]}], {shown_from + 2}, {{animate: false}})"
        )
        page.wait_for_function(IDLE, timeout=30_000)
        page.wait_for_function("() => gridmapTest.coverage === null", timeout=10_000)
        page.wait_for_timeout(1200)
        assert filled("gm-segments") > 0
        assert page.locator(".zoom-hint", has_text="社区颜色").count() == 0  # (components still wait for zoom 17)
        page.screenshot(path=str(ARTIFACTS / f"map-coverage-above-{width}.png"))
        assert watch.problems == []
        page.close()
    app_state(app).engine.dispose()
