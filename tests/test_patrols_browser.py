"""Patrol pages in a real browser (Debian's Chromium through Playwright): the demo's grid worker on a phone
(390×844) starts a patrol, walks a road (the browser's position moved along it), ends it and sees the segment
patrolled; a commander at a desk opens the coverage page with its map coloured by days since the last patrol.
Screenshots go to test-artifacts/."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest
import shapely
from sqlalchemy import select

from gridmap.imports.demo import DEMO_PASSWORD
from gridmap.store.dialect import wkb
from gridmap.store.engine import session_scope
from gridmap.store.models import Account, Patrol, PatrolVisit, Segment
from gridmap.web import create_app
from gridmap.web.state import app_state
from tests.browser import ARTIFACTS, PageWatch, english_words, fits, live_server, signed_in_context

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1440, "height": 900}


@pytest.mark.demo_city
@pytest.mark.parametrize("settings", ["spatialite"], indirect=True)
def test_a_patrol_recorded_on_a_phone_then_seen_on_the_coverage_page(browser, settings) -> None:
    # the browser's positions come a few tenths of a second apart: let the speed filter pass them
    settings = dataclasses.replace(settings, patrols=dataclasses.replace(settings.patrols, max_speed_mps=1000.0))
    app = create_app(settings)
    state = app_state(app)
    with session_scope(state.session_factory) as s:
        segment_id, raw = s.execute(
            select(Segment.id, wkb(Segment.geom)).where(Segment.length_m.between(200, 400)).order_by(Segment.id)
        ).first()
        person_id = s.scalar(select(Account.person_id).where(Account.username == "demo-gridworker"))
    line = shapely.from_wkb(bytes(raw))
    walk = [shapely.line_interpolate_point(line, f, normalized=True) for f in np.linspace(0.0, 1.0, 16)]
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(app) as base:
        context = signed_in_context(browser, base, "demo-gridworker", DEMO_PASSWORD, viewport=PHONE)
        context.grant_permissions(["geolocation"])
        context.set_geolocation({"longitude": walk[0].x, "latitude": walk[0].y, "accuracy": 5})
        page = context.new_page()
        watch = PageWatch(page)
        page.goto(base + "/patrol")
        assert page.locator("h1").inner_text() == "巡查"
        button = page.locator("#patrol-toggle")
        assert button.inner_text() == "开始巡查"
        button.click()
        page.wait_for_function("() => document.getElementById('patrol-toggle').textContent === '结束巡查'")
        for p in walk[1:]:
            time.sleep(0.12)
            context.set_geolocation({"longitude": p.x, "latitude": p.y, "accuracy": 5})
        page.wait_for_function("() => /已记录 1[0-9] 个点/.test(document.getElementById('patrol-status').textContent)")
        page.screenshot(path=str(ARTIFACTS / "patrol-phone-recording.png"), full_page=True)
        fits(page, PHONE)
        button.click()
        page.wait_for_function("() => document.getElementById('patrol-result').textContent.includes('已上传')")
        page.wait_for_function("() => document.querySelectorAll('#patrol-segments li').length > 0")
        page.screenshot(path=str(ARTIFACTS / "patrol-phone-sent.png"), full_page=True)
        assert button.inner_text() == "开始巡查"
        assert english_words(page, "demo-gridworker") == []
        with session_scope(state.session_factory) as s:
            patrol = s.scalar(select(Patrol))
            assert patrol is not None and patrol.source == "phone" and patrol.person_id == person_id
            assert patrol.fixes >= 10 and patrol.created_by == "demo-gridworker"
            patrolled = set(s.scalars(select(PatrolVisit.segment_id).where(PatrolVisit.patrolled.is_(True))))
            assert segment_id in patrolled
        assert watch.problems == [], watch.problems
        context.close()

        for size, viewport in (("desktop", DESK), ("phone", PHONE)):
            context = signed_in_context(browser, base, "demo-commander", DEMO_PASSWORD, viewport=viewport)
            page = context.new_page()
            watch = PageWatch(page)
            page.goto(base + "/patrols")
            assert page.locator("h1").inner_text() == "路长巡查"
            page.wait_for_function("() => Number(document.body.dataset.patrolLayer || 0) > 3000")
            page.wait_for_function("() => document.querySelectorAll('#patrols-map canvas').length > 0")
            page.wait_for_function(  # two frames: the canvas renderer has drawn the segments
                "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))"
            )
            assert page.locator("#by-street tbody tr").count() >= 5
            assert "条未达标" in page.locator("#monthly-summary").inner_text()
            page.screenshot(path=str(ARTIFACTS / f"patrols-coverage-{size}.png"), full_page=size == "desktop")
            fits(page, viewport)
            assert english_words(page, "demo-commander") == []
            assert watch.problems == [], watch.problems
            context.close()
    state.engine.dispose()
