"""我的网格 in a real browser (Debian's Chromium through Playwright): the demo's grid worker, on a phone (390×844, the
position granted) and a desk, sees their features and cases, passes a re-check with a photo and sends a quick
report prefilled with their position and grid. Screenshots go to test-artifacts/."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from gridmap.cases import open_report, transition
from gridmap.catalogue.categories import seed
from gridmap.imports.demo import DEMO_PASSWORD
from gridmap.store.engine import session_scope
from gridmap.store.models import Case
from gridmap.web import create_app
from gridmap.web.state import app_state
from tests.accounts import TESTER
from tests.browser import ARTIFACTS, PageWatch, live_server, signed_in_context

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1440, "height": 900}


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (800, 600), (30, 160, 90)).save(buf, "JPEG")
    return buf.getvalue()


@pytest.mark.demo_city
@pytest.mark.parametrize("settings", ["spatialite"], indirect=True)
def test_a_grid_worker_works_their_grid_on_a_phone(browser, settings) -> None:
    app = create_app(settings)
    state = app_state(app)
    with session_scope(state.session_factory) as s:
        seed(s)
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(app) as base:
        for size, viewport in (("phone", PHONE), ("desktop", DESK)):
            here = None
            context = signed_in_context(browser, base, "demo-gridworker", DEMO_PASSWORD, viewport=viewport)
            data = context.request.get(base + "/mygrid/data.json").json()
            assert data["features"]["features"], data["basis"]
            first = data["features"]["features"][0]["geometry"]["coordinates"]
            while isinstance(first[0], list):
                first = first[0]
            here = {"longitude": first[0], "latitude": first[1], "accuracy": 10}
            # a case reported back on the worker's own feature, waiting for their re-check
            with session_scope(state.session_factory) as s:
                c = open_report(s, {"lon": first[0], "lat": first[1], "category": "0102", "source": "patrol",
                                    "client_id": f"mygrid-{size}"}, state.settings, actor=TESTER)  # fmt: skip
                for action in ("dispatch", "accept", "report_back"):
                    c = transition(s, c["id"], action, state.settings, version=c["version"], actor=TESTER)
            context.grant_permissions(["geolocation"])
            context.set_geolocation(here)
            page = context.new_page()
            watch = PageWatch(page)
            page.goto(base + "/mygrid")
            assert page.locator("h1").inner_text() == "我的网格"
            page.wait_for_function("() => document.querySelectorAll('#mygrid-map path').length > 0")
            page.wait_for_function("() => document.getElementById('position-status').textContent.includes('10 米')")
            card = page.locator("#recheck-list li", has_text=f"#{c['id']} ")
            card.wait_for()
            page.screenshot(path=str(ARTIFACTS / f"mygrid-{size}.png"), full_page=True)
            assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
            card.locator("textarea").fill("已清理干净")
            card.locator("input[type=file]").set_input_files(
                files=[{"name": "after.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}]
            )
            card.locator("button[data-action=recheck_pass]").click()
            page.wait_for_function("() => document.querySelector('#recheck-list li.done') !== null")
            with session_scope(state.session_factory) as s:
                assert s.get(Case, c["id"]).status == "closed"
                before = s.scalar(select(func.count()).select_from(Case)) or 0
            # a quick report, prefilled with my position and grid
            page.select_option("#q-category", "0102")
            page.fill("#q-description", "绿化带内有建筑垃圾")
            page.set_input_files("#q-photo", files=[{"name": "q.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}])
            page.click("#q-send")
            page.wait_for_function("() => document.getElementById('quick-status').textContent.includes('已上报')")
            with session_scope(state.session_factory) as s:
                assert (s.scalar(select(func.count()).select_from(Case)) or 0) == before + 1
                newest = s.scalars(select(Case).order_by(Case.id.desc())).first()
                assert newest.source == "patrol" and abs(newest.lon - first[0]) < 1e-5
            assert watch.problems == []
            context.close()
    state.engine.dispose()
