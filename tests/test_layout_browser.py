"""Every page at a phone's 390×844 and a desktop's 1440×900, signed in as a role that may open it: no sideways
overflow, the folding menu opens, touch targets big enough, the map pages' drawer; and the assign flow that must not
take features silently (issue 12). Screenshots: test-artifacts/layout-<page>-<size>.png."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from gridmap.catalogue.categories import seed
from gridmap.imports.demo import DEMO_PASSWORD
from gridmap.store.engine import make_engine, make_session_factory
from gridmap.store.models import Case, Unit
from gridmap.web import create_app
from gridmap.web.state import app_state
from tests.browser import (
    ARTIFACTS,
    PageWatch,
    draw_polygon,
    gap_grid_centre,
    live_server,
    signed_in_context,
)
from tests.databases import spatialite_copy

pytestmark = pytest.mark.browser
TODAY = dt.date.today()
SIZES = {"phone": (390, 844), "desktop": (1440, 900)}
MAP_PAGES = {"map", "unit", "assign", "gaps", "heatmap"}


@pytest.fixture(scope="module")
def city(spatialite_demo, tmp_path_factory):
    """The demo city in SpatiaLite with a few open cases (one overdue), served on an ephemeral port."""
    with spatialite_copy(spatialite_demo, tmp_path_factory.mktemp("layout")) as settings:
        engine = make_engine(settings)
        factory = make_session_factory(engine)
        with factory() as s:
            seed(s)
            now = dt.datetime.now(dt.UTC)
            for k in range(12):
                lon, lat = 111.135 + 0.0004 * k, 37.525
                s.add(
                    Case(source="patrol", category="0102", urgency="normal", lon=lon, lat=lat,
                         geom=f"SRID=4326;POINT({lon} {lat})", observed_at=now, created_at=now - dt.timedelta(days=k),
                         updated_at=now, status="dispatched", deadline_at=now + dt.timedelta(hours=k - 3),
                         deadline_unit="urgent_hours", limit_seconds=4 * 3600.0)
                )  # fmt: skip
            s.commit()
            unit_id = s.scalar(select(Unit.id).order_by(Unit.id))
        app = create_app(settings)
        ARTIFACTS.mkdir(exist_ok=True)
        with live_server(app) as base:
            yield {"base": base, "factory": factory, "unit_id": unit_id}
        app_state(app).engine.dispose()
        engine.dispose()


def _pages(unit_id: int) -> list[tuple[str, str, str]]:
    """(name, path, the demo account that opens it)."""
    return [
        ("home", "/", "demo-commander"),
        ("map", "/map", "demo-commander"),
        ("unit", f"/units/{unit_id}", "demo-commander"),
        ("history", "/features/segment/1/history", "demo-commander"),
        ("assign", "/assign", "demo-commander"),
        ("gaps", "/gaps", "demo-commander"),
        ("heatmap", "/heatmap", "demo-commander"),
        ("heat-cases", "/heatmap/cases", "demo-commander"),
        ("audit", "/audit", "demo-admin"),
        ("accounts", "/admin/accounts", "demo-admin"),
        ("units-admin", "/admin/units", "demo-commander"),
        ("unit-admin", f"/admin/units/{unit_id}", "demo-commander"),
        ("account", "/account", "demo-clerk"),
        ("track", "/track", "demo-viewer"),
        ("tasks", "/tasks", "demo-dispatcher"),
        ("case", "/cases/1", "demo-commander"),
        ("report", "/report", "demo-viewer"),
        ("mygrid", "/mygrid", "demo-gridworker"),
        ("shops", "/shops", "demo-commander"),
        ("shops-ranking", "/shops/ranking", "demo-commander"),
        ("not-found", "/no-such-page", "demo-viewer"),
    ]


@pytest.fixture(scope="module")
def contexts(browser, city):
    """One signed-in browser context per (account, size), made once."""
    made: dict[tuple[str, str], object] = {}

    def get(username: str, size: str):
        if (username, size) not in made:
            w, h = SIZES[size]
            made[(username, size)] = signed_in_context(
                browser, city["base"], username, DEMO_PASSWORD, viewport={"width": w, "height": h},
                has_touch=size == "phone", is_mobile=size == "phone",
            )  # fmt: skip
        return made[(username, size)]

    yield get
    for c in made.values():
        c.close()  # type: ignore[attr-defined]


SMALL_TARGETS = """() => [...document.querySelectorAll(
    'header a, header button, main button, main select, main input:not([type=hidden]):not([type=checkbox])' +
    ':not([type=radio]), .panel-toggle, .leaflet-bar a')]
  .filter(el => { const r = el.getBoundingClientRect(), s = getComputedStyle(el);
                  return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && !el.closest('[hidden]'); })
  .filter(el => { const r = el.getBoundingClientRect(); return r.height < 43.5; })
  .map(el => `${el.tagName}#${el.id}.${el.className} ${Math.round(el.getBoundingClientRect().height)}px`)"""


@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_fits_its_screen(contexts, city, size: str) -> None:
    failures: list[str] = []
    for name, path, username in _pages(city["unit_id"]):
        page = contexts(username, size).new_page()
        watch = PageWatch(page)
        r = page.goto(city["base"] + path)
        assert r is not None and r.status == (404 if name == "not-found" else 200), (name, r and r.status)
        if name in MAP_PAGES:
            page.wait_for_function("() => window.gridmapTest?.ready === true", timeout=30_000)
            page.wait_for_function("() => window.gridmapTest.busy === 0", timeout=30_000)
        overflow = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        if overflow[0] > overflow[1]:
            failures.append(f"{name}: scrollWidth {overflow[0]} > innerWidth {overflow[1]}")
        menu = page.locator("#menu-toggle")
        if size == "phone":
            assert menu.is_visible(), name
            assert not page.locator("#topnav").is_visible(), f"{name}: the menu is open before it is asked for"
            small = page.evaluate(SMALL_TARGETS)
            if small:
                failures.append(f"{name}: touch targets under 44 px: {small[:6]}")
            if name in MAP_PAGES:
                box = page.locator(".map-wrap").bounding_box()
                assert box and box["width"] >= 389 and box["height"] >= 0.75 * 844, (name, box)
                assert not page.locator("#map-side").evaluate("el => el.getBoundingClientRect().right > 1"), (
                    f"{name}: the drawer covers the map before it is opened"
                )
                page.click("#panel-toggle")
                page.wait_for_function("() => document.querySelector('#map-side').getBoundingClientRect().left >= 0")
                page.wait_for_timeout(250)
                page.screenshot(path=str(ARTIFACTS / f"layout-{name}-{size}-panel.png"))
                page.click("#panel-close")
                page.wait_for_function("() => document.querySelector('#map-side').getBoundingClientRect().right <= 1")
            page.screenshot(path=str(ARTIFACTS / f"layout-{name}-{size}.png"))
            page.click("#menu-toggle")
            assert (
                page.locator("#topnav").is_visible()
                and page.locator("#menu-toggle").get_attribute("aria-expanded") == "true"
            ), name
            page.screenshot(path=str(ARTIFACTS / f"layout-{name}-{size}-menu.png"))
            hidden = page.locator("#topnav nav.pages a").evaluate_all("els => els.filter(a => !a.offsetParent).length")
            assert hidden == 0, f"{name}: {hidden} menu links hidden in the opened phone menu"
            overflow = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            if overflow[0] > overflow[1]:
                failures.append(f"{name} (menu open): scrollWidth {overflow[0]} > innerWidth {overflow[1]}")
        else:
            assert not menu.is_visible() and page.locator("#topnav").is_visible(), name
            bar = page.locator("header.topbar").bounding_box()
            assert bar and bar["height"] < 70, f"{name}: the top bar wraps ({bar})"  # groups keep it to one line
            page.screenshot(path=str(ARTIFACTS / f"layout-{name}-{size}.png"))
            group = page.locator("nav.pages .navgroup").first
            if group.count():  # a group's pages show when it is clicked, and hide on Escape
                assert not group.locator(".navmenu").is_visible(), name
                group.locator(".navgroup-toggle").click()
                assert group.locator(".navmenu a").first.is_visible(), name
                if name == "home":
                    page.screenshot(path=str(ARTIFACTS / f"layout-{name}-{size}-group.png"))
                page.mouse.move(0, 700)
                page.keyboard.press("Escape")
                assert not group.locator(".navmenu").is_visible(), name
        if size == "desktop" and name not in ("audit", "accounts"):  # their rows are data: actors, usernames
            # the zh-CN page has no English in it (paths, account names, the zone and file formats are not words)
            text = " ".join(page.locator("header, main").all_inner_texts())
            text = re.sub(r"/[\w/.?=&-]+|\bdemo-[a-z]+\b|\b(?:gridmap|English|Leaflet|CSV|JSON|GeoJSON|API|UTC)\b",
                          " ", text)  # fmt: skip
            leaks = sorted(set(re.findall(r"\b[A-Za-z]{3,}\b", text)))
            if leaks:
                failures.append(f"{name}: English in the zh-CN page: {leaks[:8]}")
        if name != "not-found":
            assert not watch.problems, (name, watch.problems)
        page.close()
    assert not failures, "\n".join(failures)


def test_no_page_has_an_inline_script(contexts, city) -> None:
    """A CSP is coming: page code lives in static/js, and folium's map script is served as a file."""
    page = contexts("demo-admin", "desktop").new_page()
    for name, path, _user in _pages(city["unit_id"]):
        page.goto(city["base"] + path)
        inline = page.evaluate(
            """() => [...document.querySelectorAll('script:not([src])')]
                 .filter(s => s.type !== 'application/json')
                 .map(s => s.textContent.slice(0, 80))"""
        )
        handlers = page.evaluate("() => [...document.querySelectorAll('*')].filter(e => [...e.attributes]"
                                 ".some(a => a.name.startsWith('on'))).map(e => e.outerHTML.slice(0, 80))")  # fmt: skip
        assert not inline and not handlers, (name, inline, handlers)
    page.close()


def _map_page(contexts, city, path: str, username: str = "demo-commander"):
    page = contexts(username, "desktop").new_page()
    watch = PageWatch(page)
    page.goto(city["base"] + path)
    page.wait_for_function("() => window.gridmapTest?.ready === true", timeout=30_000)
    page.wait_for_function("() => window.gridmapTest.busy === 0", timeout=30_000)
    return page, watch


def _idle(page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_function("() => window.gridmapTest.busy === 0", timeout=30_000)


def test_a_click_beside_a_road_selects_the_road_and_a_road_search_outlines_its_segments(contexts, city) -> None:
    page, watch = _map_page(contexts, city, "/map")
    page.evaluate("void window.gridmapTest.map.setView([37.525, 111.137], 17, {animate: false})")
    _idle(page)
    # A named segment in view (drawn from the vector tiles; its shape fetched by id): click 10 px beside its middle
    # (beyond its drawn line, inside the grid and 社区 it crosses): the road takes the click.
    page.wait_for_timeout(800)  # the tiles are drawn after their fetch
    found = page.evaluate(
        """async () => { const m = gridmapTest.map, r = m.getContainer().getBoundingClientRect(), c = m.getSize();
            const seen = new Set();
            for (let dx = -300; dx <= 300; dx += 15) for (let dy = -200; dy <= 200; dy += 15) {
              const f = gridmapTest.tiled.segments.pick(m.containerPointToLatLng([c.x / 2 + dx, c.y / 2 + dy]));
              if (!f || !f.properties.name || seen.has(f.id)) continue;
              seen.add(f.id);
              const g = await (await fetch(`/ogc/collections/segments/items/${f.id}`)).json();
              const ll = g.geometry.type === "LineString" ? g.geometry.coordinates : g.geometry.coordinates[0];
              const a = m.latLngToContainerPoint([ll[0][1], ll[0][0]]);
              const b = m.latLngToContainerPoint([ll[1][1], ll[1][0]]);
              const len = Math.hypot(b.x - a.x, b.y - a.y);
              if (len < 30) continue;
              const mx = (a.x + b.x) / 2, my = (a.y + b.y) / 2;
              if (mx < 80 || my < 80 || mx > r.width - 250 || my > r.height - 80) continue;
              const nx = -(b.y - a.y) / len, ny = (b.x - a.x) / len;
              return {id: f.id, name: f.properties.name, x: r.left + mx + 10 * nx, y: r.top + my + 10 * ny};
            } return null; }"""
    )
    assert found, "no named segment in view"
    page.mouse.click(found["x"], found["y"])
    popup = page.locator(".leaflet-popup .gm-popup")
    popup.wait_for(timeout=10_000)
    assert popup.get_attribute("data-kind") == "segment", popup.inner_html()[:200]
    assert popup.get_attribute("data-id") == str(found["id"])
    page.screenshot(path=str(ARTIFACTS / "layout-road-click.png"))
    page.evaluate("() => { gridmapTest.map.closePopup(); }")
    # Search the road: its segments are outlined, no box is drawn around them.
    page.fill("#search-box", found["name"])
    page.click("#search-form button[type=submit]")
    page.locator(".search-hit[data-kind=road]").first.wait_for(timeout=10_000)
    page.locator(".search-hit[data-kind=road]").first.click()
    _idle(page)
    outlined = page.evaluate("() => Object.keys(gridmapTest.highlighted.segments || {}).map(Number)")
    assert found["id"] in outlined
    boxes = page.evaluate(
        "() => { let n = 0; gridmapTest.map.eachLayer(l => { if (l instanceof L.Rectangle) n++; }); return n; }"
    )
    assert boxes == 0
    # The scale is metric only.
    scale = page.locator(".leaflet-control-scale-line").all_inner_texts()
    assert len(scale) == 1 and not any(u in scale[0] for u in ("ft", "mi")), scale
    assert not watch.problems, watch.problems
    page.close()


def test_case_dots_show_their_traffic_light_and_the_legend_counts_each_kind_in_its_unit(contexts, city) -> None:
    page, watch = _map_page(contexts, city, "/map")
    page.evaluate("void window.gridmapTest.map.setView([37.525, 111.137], 16, {animate: false})")
    _idle(page)
    page.locator(".leaflet-control-layers label", has_text="案件").locator("input").check()
    page.wait_for_function("() => window.gridmapTest.layers.cases.getLayers().length > 0", timeout=15_000)
    _idle(page)
    fills = page.evaluate(
        """() => gridmapTest.layers.cases.getLayers().map(l => [l.feature.properties.light, l.options.fillColor,
                                                               l.feature.properties.overdue])"""
    )
    lights = {f[0] for f in fills}
    assert {"red", "green"} <= lights, lights
    assert all(f[2] for f in fills if f[0] == "red") and len({f[1] for f in fills}) >= 2
    assert "#2e7d32" not in {f[1] for f in fills}  # never the green of 已包联
    legend = page.locator("#legend")
    assert int(legend.locator("li[data-key=light-red] .n").inner_text()) >= 1
    text = legend.inner_text()
    # the tiled layers (roads, compounds, grids) show their colours; the legend counts what is drawn as GeoJSON
    assert "已超时" in text and "已包联" in text and "无包联" in text, text
    page.screenshot(path=str(ARTIFACTS / "layout-case-lights.png"))
    assert not watch.problems, watch.problems
    page.close()


def test_assigning_by_drawing_takes_the_held_features_only_after_a_named_confirmation(contexts, city) -> None:
    page, watch = _map_page(contexts, city, "/assign")
    page.wait_for_function("() => window.gridmapTest.pageReady === true", timeout=30_000)
    lon, lat, _grid = gap_grid_centre(page, city["base"])
    draw_polygon(page, lon, lat, 0.002)
    page.wait_for_selector("#selection:not([hidden])", timeout=15_000)
    _idle(page)
    # Choose a unit by typing part of its name into the picker's filter (the list is grouped by kind of unit).
    groups = page.eval_on_selector_all("#unit optgroup", "gs => gs.map(g => g.label)")
    assert "企业" in groups and "区直单位" in groups, groups
    unit_id, unit_name = page.evaluate(
        "() => { const o = document.querySelector('#unit optgroup[data-kind=enterprise] option'); "
        "return [+o.value, o.textContent]; }"
    )
    page.fill("#unit-filter", unit_name)
    page.wait_for_function(f"() => document.querySelector('#unit').value === '{unit_id}'")
    _idle(page)
    feats = page.evaluate("() => window.gridmapTest.page.selection.features")
    held = [f for f in feats if f["current"] and f["current"]["unit_id"] != unit_id]
    free = [f for f in feats if not f["current"]]
    assert held and free, (len(held), len(free))
    assert int(page.inner_text("#sel-totals li[data-group=others] b")) == len(held)
    # The take-over box is there, unticked; the losing units are named only once it is ticked.
    assert page.locator("#takeover").is_visible() and not page.is_checked("#take-over")
    assert not page.locator("#takeover-named").is_visible()
    page.screenshot(path=str(ARTIFACTS / "layout-assign-groups.png"))
    page.click("#confirm-assign")
    page.wait_for_selector("#assign-msg.ok", timeout=15_000)
    _idle(page)
    assert "未接管" in page.inner_text("#assign-msg")
    feats = page.evaluate("() => window.gridmapTest.page.selection.features")
    still = {(f["kind"], f["id"]) for f in feats if f["current"] and f["current"]["unit_id"] != unit_id}
    assert still == {(f["kind"], f["id"]) for f in held}  # nobody lost anything
    assert all(f["current"] and f["current"]["unit_id"] == unit_id for f in feats if (f["kind"], f["id"]) not in still)
    # Ticked: "以下单位将失去：" with each unit by name, and the button says it takes them.
    page.check("#take-over")
    named = page.locator("#takeover-named")
    assert named.is_visible() and "以下单位将失去" in named.inner_text()
    losers = {f["current"]["unit_name"] for f in held}
    assert all(name in named.inner_text() for name in losers), (losers, named.inner_text())
    assert page.inner_text("#confirm-assign") == "确认接管并包联"
    page.screenshot(path=str(ARTIFACTS / "layout-assign-takeover.png"))
    page.click("#confirm-assign")
    page.wait_for_selector("#assign-msg.ok", timeout=15_000)
    _idle(page)
    feats = page.evaluate("() => window.gridmapTest.page.selection.features")
    assert all(f["current"] and f["current"]["unit_id"] == unit_id for f in feats)
    assert not page.locator("#takeover").is_visible()
    assert not watch.problems, watch.problems
    page.close()


def test_a_gap_rows_assign_link_opens_the_assign_page_with_it_selected(contexts, city) -> None:
    page, watch = _map_page(contexts, city, "/gaps")
    page.wait_for_function("() => window.gridmapTest.pageReady === true", timeout=30_000)
    link = page.locator("#gap-table a.assign-link").first
    href = link.get_attribute("href")
    assert href and href.startswith("/assign?kind=")
    # the per-街道 table sorts by a click on its header
    page.click("#gap-summary thead th:nth-child(2)")
    page.click("#gap-summary thead th:nth-child(2)")
    values = page.eval_on_selector_all(
        "#gap-summary tbody tr.street td:nth-child(2)", "tds => tds.map(t => +t.textContent)"
    )
    assert values == sorted(values, reverse=True), values
    with page.expect_download() as dl:
        page.click("#summary-csv")
    text = Path(dl.value.path()).read_text(encoding="utf-8-sig")
    assert "无包联道路" in text.splitlines()[0]
    link.click()
    page.wait_for_url("**/assign?kind=*")
    page.wait_for_selector("#selection:not([hidden])", timeout=15_000)
    kind, fid = href.split("kind=")[1].split("&id=")
    caught = page.evaluate("() => window.gridmapTest.page.selection.features")
    assert [(f["kind"], f["id"]) for f in caught] == [(kind, int(fid.split("&")[0]))]
    assert not watch.problems, watch.problems
    page.close()
