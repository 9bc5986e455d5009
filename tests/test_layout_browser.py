"""Every page at a phone's 390×844 and a desktop's 1440×900, signed in as a role that may open it: no sideways
overflow, the folding menu opens, touch targets big enough, the map pages' drawer; and the assign flow that must not
take features silently (issue 12). Screenshots: test-artifacts/layout-<page>-<size>.png."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import sync_playwright
from sqlalchemy import select

from gridmap.catalogue.categories import seed
from gridmap.imports.demo import DEMO_PASSWORD
from gridmap.store.engine import make_engine, make_session_factory
from gridmap.store.models import Case, Unit
from gridmap.web import create_app
from gridmap.web.state import app_state
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, PageWatch, live_server, signed_in_context
from tests.databases import spatialite_copy

pytestmark = pytest.mark.browser
TODAY = dt.date.today()
SIZES = {"phone": (390, 844), "desktop": (1440, 900)}
MAP_PAGES = {"map", "unit", "assign", "gaps", "heatmap"}


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


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
        ("account", "/account", "demo-clerk"),
        ("track", "/track", "demo-viewer"),
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
            overflow = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            if overflow[0] > overflow[1]:
                failures.append(f"{name} (menu open): scrollWidth {overflow[0]} > innerWidth {overflow[1]}")
        else:
            assert not menu.is_visible() and page.locator("#topnav").is_visible(), name
            page.screenshot(path=str(ARTIFACTS / f"layout-{name}-{size}.png"))
        if name != "not-found":
            assert not watch.problems, (name, watch.problems)
        page.close()
    assert not failures, "\n".join(failures)


def test_no_page_has_an_inline_script(contexts, city) -> None:
    """A CSP is coming: page code lives in static/js (folium's own map scripts — its header and the map —
    are the known exception, still to be moved)."""
    page = contexts("demo-admin", "desktop").new_page()
    for name, path, _user in _pages(city["unit_id"]):
        page.goto(city["base"] + path)
        inline = page.evaluate(
            """() => [...document.querySelectorAll('script:not([src])')]
                 .filter(s => s.type !== 'application/json' && !/L\\.map\\(|L_NO_TOUCH/.test(s.textContent))
                 .map(s => s.textContent.slice(0, 80))"""
        )
        handlers = page.evaluate("() => [...document.querySelectorAll('*')].filter(e => [...e.attributes]"
                                 ".some(a => a.name.startsWith('on'))).map(e => e.outerHTML.slice(0, 80))")  # fmt: skip
        assert not inline and not handlers, (name, inline, handlers)
    page.close()
