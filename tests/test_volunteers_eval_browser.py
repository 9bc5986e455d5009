"""在职党员进社区 evaluation, closing and bulk confirmation in a real browser (Debian's Chromium through Playwright) on
the demo city with its members seeded: a member on a phone (390×844) rates themself and a peer for the quarter; the
community's commander at a desk (1280×800) ticks services and confirms them at once (all or nothing, a line per
refused one), closes a post, gives the organisation's score; the ranking shows the combined score the scheme's
weights make. Screenshots go to test-artifacts/."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from gridmap.accounts.actor import cli_actor
from gridmap.evaluation.periods import parse_period
from gridmap.imports.demo import DEMO_PASSWORD
from gridmap.store.engine import session_scope
from gridmap.store.models import Account, Volunteer, VolunteerPost, VolunteerReview, VolunteerShift
from gridmap.volunteers.demo import seed_volunteers
from gridmap.volunteers.points import evaluation_of
from gridmap.web import create_app
from gridmap.web.auth import password_hasher
from gridmap.web.state import app_state
from tests.browser import ARTIFACTS, PageWatch, english_words, fits, live_server, signed_in_context

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 800}
TZ = dt.timezone(dt.timedelta(hours=8))


def _flash(page) -> str:
    return page.locator(".flashes").inner_text()


@pytest.mark.demo_city
@pytest.mark.parametrize("settings", ["spatialite"], indirect=True)
def test_members_rate_and_the_community_confirms_in_bulk_closes_and_scores(browser, settings) -> None:
    app = create_app(settings)
    state = app_state(app)
    with session_scope(state.session_factory) as s:
        seed_volunteers(s, dt.datetime.now(dt.UTC), cli_actor(), TZ, password_hasher(settings), DEMO_PASSWORD)
        person = s.scalar(select(Account.person_id).where(Account.username == "demo-member"))
        me = s.scalar(select(Volunteer.id).where(Volunteer.person_id == person))
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(app) as base:
        # the member on a phone: a self-rating and a peer's
        context = signed_in_context(browser, base, "demo-member", DEMO_PASSWORD, viewport=PHONE)
        page = context.new_page()
        watch = PageWatch(page)
        page.goto(base + "/volunteers/me")
        assert page.locator("#peers li").count() > 0
        page.fill("#self-review input[name=score]", "95")
        with page.expect_navigation():
            page.click("#self-review button[type=submit]")
        assert "评分已保存" in _flash(page)
        assert page.locator("#self-review input[name=score]").input_value() == "95"
        peer = page.locator("#peers li").first
        peer_id = int(peer.get_attribute("data-member") or 0)
        peer.locator("input[name=score]").fill("88")
        with page.expect_navigation():
            peer.locator("button").click()
        assert "评分已保存" in _flash(page)
        page.locator("#peers").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "volunteer-phone-rating.png"), full_page=True)
        fits(page, PHONE)
        assert english_words(page, "demo-member") == []
        assert watch.problems == [], watch.problems
        context.close()
        with session_scope(state.session_factory) as s:
            given = {(r.volunteer_id, r.source, r.score) for r in s.scalars(
                select(VolunteerReview).where(VolunteerReview.by == "demo-member"))}  # fmt: skip
        assert given == {(me, "self", 95.0), (peer_id, "peer", 88.0)}

        # the community at a desk
        context = signed_in_context(browser, base, "demo-community", DEMO_PASSWORD, viewport=DESK)
        page = context.new_page()
        watch = PageWatch(page)
        page.goto(base + "/volunteers/community")
        rows = page.locator("#pending tbody tr")
        assert rows.count() >= 3
        first, second, third = (int(rows.nth(i).get_attribute("data-shift") or 0) for i in range(3))
        for shift in (first, second):
            page.check(f"#pending tr[data-shift='{shift}'] input[type=checkbox]")
        with session_scope(state.session_factory) as s:  # meanwhile a colleague confirms the second one
            done = s.get(VolunteerShift, second)
            assert done is not None
            done.confirmed_at, done.confirmed_by = dt.datetime.now(dt.UTC), "demo-binhe"
        with page.expect_navigation():
            page.click("#confirm-ticked")
        said = _flash(page)
        assert "所选服务均未确认" in said and f"第 2 项：服务记录 {second}：该服务已确认" in said, said
        assert page.locator(".flash-error[role=alert]").count() >= 2  # shown as refusals, not as a success
        assert page.locator(f"#pending tr[data-shift='{first}']").count() == 1  # all or nothing: not confirmed
        page.screenshot(path=str(ARTIFACTS / "volunteer-desk-bulk-refused.png"), full_page=True)
        for shift in (first, third):
            page.check(f"#pending tr[data-shift='{shift}'] input[type=checkbox]")
        with page.expect_navigation():
            page.click("#confirm-ticked")
        assert "已确认 2 条服务" in _flash(page)
        assert page.locator(".flash-error").count() == 0
        assert page.locator(f"#pending tr[data-shift='{first}'], #pending tr[data-shift='{third}']").count() == 0

        post_row = page.locator("#posts tr.open").first
        post = int(post_row.get_attribute("data-post") or 0)
        with page.expect_navigation():
            post_row.locator("button.close-post").click()
        assert "已关闭岗位" in _flash(page) and "选岗与服务记录保留" in _flash(page)
        assert page.locator(f"#posts tr.closed[data-post='{post}']").count() == 1  # still listed: history

        score = page.locator(f"#org-scores tr[data-member='{me}'] input[name=score]")
        score.fill("75")
        with page.expect_navigation():
            page.locator(f"#org-scores tr[data-member='{me}'] button").click()
        assert "评分已保存" in _flash(page)
        page.screenshot(path=str(ARTIFACTS / "volunteer-desk-community-eval.png"), full_page=True)
        fits(page, DESK)
        assert english_words(page, "demo-community") == []
        assert watch.problems == [], watch.problems
        context.close()
        with session_scope(state.session_factory) as s:
            assert s.get(VolunteerPost, post).closed_at is not None  # type: ignore[union-attr]
            today = dt.datetime.now(TZ).date()
            quarter = parse_period(f"{today.year}-Q{(today.month - 1) // 3 + 1}", TZ)
            expected = evaluation_of(s, me, quarter)
        assert expected is not None

        for size, viewport in (("desktop", DESK), ("phone", PHONE)):
            context = signed_in_context(browser, base, "demo-community", DEMO_PASSWORD, viewport=viewport)
            page = context.new_page()
            page.goto(base + "/volunteers/ranking")
            cell = page.locator(f"#ranking tr[data-volunteer='{me}'] td.num").nth(3)
            assert float(cell.inner_text()) == pytest.approx(expected)
            page.screenshot(path=str(ARTIFACTS / f"volunteer-{size}-ranking-eval.png"), full_page=True)
            context.close()
