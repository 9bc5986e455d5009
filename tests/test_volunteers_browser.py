"""在职党员进社区 pages in a real browser (Debian's Chromium through Playwright), on the demo city with its members
seeded: a member on a phone (390×844) checks in at their post (the browser's position inside its area), is refused
checking out far from it with the Chinese sentence, checks out back there; the community's commander at a desk
confirms the service and publishes a post; the quarterly ranking at both sizes. Screenshots go to test-artifacts/."""

from __future__ import annotations

import datetime as dt

import pytest
import shapely
from sqlalchemy import select

from gridmap.accounts.actor import cli_actor
from gridmap.imports.demo import DEMO_PASSWORD
from gridmap.store.dialect import wkb
from gridmap.store.engine import session_scope
from gridmap.store.models import Account, Area, Compound, Volunteer, VolunteerPost, VolunteerShift, VolunteerSignup
from gridmap.volunteers.demo import seed_volunteers
from gridmap.web import create_app
from gridmap.web.auth import password_hasher
from gridmap.web.state import app_state
from tests.browser import ARTIFACTS, PageWatch, english_words, fits, live_server, signed_in_context

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1440, "height": 900}
TZ = dt.timezone(dt.timedelta(hours=8))


@pytest.mark.demo_city
@pytest.mark.parametrize("settings", ["spatialite"], indirect=True)
def test_a_member_checks_in_on_a_phone_and_the_community_confirms(browser, settings) -> None:
    app = create_app(settings)
    state = app_state(app)
    hasher = password_hasher(settings)
    with session_scope(state.session_factory) as s:
        seeded = seed_volunteers(s, dt.datetime.now(dt.UTC), cli_actor(), TZ, hasher, DEMO_PASSWORD)
        assert seeded["volunteers"] == 52
        person = s.scalar(select(Account.person_id).where(Account.username == "demo-member"))
        member = s.scalar(select(Volunteer.id).where(Volunteer.person_id == person))
        mine = select(VolunteerSignup.id, VolunteerSignup.post_id).where(VolunteerSignup.volunteer_id == member)
        signup, post = s.execute(mine.order_by(VolunteerSignup.id)).first()
        row = s.get(VolunteerPost, post)
        assert row is not None
        model, key = (Compound, row.compound_id) if row.compound_id else (Area, row.community_id)
        raw = s.scalar(select(wkb(model.geom)).where(model.id == key))
        before = s.scalar(select(VolunteerShift.id).order_by(VolunteerShift.id.desc()).limit(1))
    here = shapely.from_wkb(bytes(raw)).representative_point()
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(app) as base:
        context = signed_in_context(browser, base, "demo-member", DEMO_PASSWORD, viewport=PHONE)
        context.grant_permissions(["geolocation"])
        context.set_geolocation({"longitude": here.x, "latitude": here.y, "accuracy": 8})
        page = context.new_page()
        watch = PageWatch(page)
        page.goto(base + "/volunteers/me")
        assert page.locator("h1").inner_text() == "我的岗位"
        assert float(page.locator("#my-hours").inner_text()) >= 0
        page.screenshot(path=str(ARTIFACTS / "volunteer-phone-me.png"), full_page=True)
        fits(page, PHONE)
        assert english_words(page, "demo-member") == []
        mine = page.locator(f"#my-posts li[data-signup='{signup}'] button.check")
        assert mine.inner_text() == "签到"
        with page.expect_navigation():
            mine.click()
        out = page.locator(f"#my-posts li[data-signup='{signup}'] button.check")
        assert out.inner_text() == "签退"
        context.set_geolocation({"longitude": here.x + 0.02, "latitude": here.y + 0.02, "accuracy": 8})  # ~2.8 km off
        out.click()
        page.wait_for_function("() => document.getElementById('vol-status').textContent.includes('签退失败')")
        said = page.locator("#vol-status").inner_text()
        assert "范围外约" in said and "允许 50 米" in said
        page.screenshot(path=str(ARTIFACTS / "volunteer-phone-refused.png"), full_page=True)
        context.set_geolocation({"longitude": here.x, "latitude": here.y, "accuracy": 8})
        with page.expect_navigation():
            out.click()
        assert page.locator(f"#my-posts li[data-signup='{signup}'] button.check").inner_text() == "签到"
        refused = "console: Failed to load resource: the server responded with a status of 400 (BAD REQUEST)"
        assert watch.problems == [refused], watch.problems  # the check-out far away, and nothing else
        context.close()
        with session_scope(state.session_factory) as s:
            shift = s.scalars(select(VolunteerShift).where(VolunteerShift.id > (before or 0))).one()
            assert shift.signup_id == signup and shift.ended_at is not None and shift.confirmed_at is None
            shift_id = shift.id

        # the community at a desk: the new service waits for confirmation; a post is published
        context = signed_in_context(browser, base, "demo-binhe", DEMO_PASSWORD, viewport=DESK)
        page = context.new_page()
        watch = PageWatch(page)
        page.goto(base + "/volunteers/community")
        assert page.locator("h1").inner_text() == "党员进社区"
        pending = page.locator(f"#pending tr[data-shift='{shift_id}']")
        assert pending.count() == 1
        page.screenshot(path=str(ARTIFACTS / "volunteer-desk-community.png"), full_page=True)
        with page.expect_navigation():
            pending.locator("button.confirm").click()
        assert "已确认服务" in page.locator(".flashes").inner_text()
        assert page.locator(f"#pending tr[data-shift='{shift_id}']").count() == 0
        page.fill("#pf-title", "周末垃圾分类劝导")
        page.select_option("#pf-duty", "environment")
        with page.expect_navigation():
            page.click("#pf-submit")
        assert "已发布岗位“周末垃圾分类劝导”" in page.locator(".flashes").inner_text()
        assert page.locator("#posts").inner_text().count("周末垃圾分类劝导") == 1
        assert english_words(page, "demo-binhe") == []
        assert watch.problems == [], watch.problems
        context.close()

        for size, viewport in (("desktop", DESK), ("phone", PHONE)):
            context = signed_in_context(browser, base, "demo-commander", DEMO_PASSWORD, viewport=viewport)
            page = context.new_page()
            watch = PageWatch(page)
            page.goto(base + "/volunteers/ranking")
            assert page.locator("h1").inner_text().startswith("志愿服务积分排名")
            rows = page.locator("#ranking tbody tr")
            assert rows.count() == 52
            points = [float(t) for t in page.locator("#ranking td.points").all_inner_texts()]
            assert points == sorted(points, reverse=True) and points[0] > 0
            assert page.locator("#ranking tr.praised").count() == 10  # the scheme's praise_top
            page.screenshot(path=str(ARTIFACTS / f"volunteer-{size}-ranking.png"), full_page=True)
            fits(page, viewport)
            assert english_words(page, "demo-commander") == []
            assert watch.problems == [], watch.problems
            context.close()
