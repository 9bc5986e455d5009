"""模拟测评 in a real browser (Debian's Chromium through Playwright), on the demo city: a commander draws points on a
phone (390×844) and at a desk — a quota that cannot be met is refused in Chinese first — then sees the draw on the
map and as a route list per team, scores a point on the phone form and reads the score rate, compared with the
previous draw at the desk. Screenshots go to test-artifacts/."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from gridmap.imports.demo import DEMO_PASSWORD
from gridmap.store.engine import session_scope
from gridmap.store.models import Assessment, AssessmentPoint, Place
from gridmap.web import create_app
from gridmap.web.state import app_state
from tests.browser import ARTIFACTS, PageWatch, english_words, fits, live_server, signed_in_context

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1440, "height": 900}


@pytest.mark.demo_city
@pytest.mark.parametrize("settings", ["spatialite"], indirect=True)
def test_a_commander_draws_walks_and_scores_an_assessment(browser, settings) -> None:
    app = create_app(settings)
    state = app_state(app)
    with session_scope(state.session_factory) as s:
        markets = s.scalar(select(func.count()).select_from(Place).where(Place.kind == "market")) or 0
    assert markets >= 7  # the demo city's places (data/boundaries/places.geojson)
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(app) as base:
        for size, viewport, seed in (("phone", PHONE, "7"), ("desktop", DESK, "8")):
            context = signed_in_context(browser, base, "demo-commander", DEMO_PASSWORD, viewport=viewport)
            page = context.new_page()
            watch = PageWatch(page)
            page.goto(base + "/assessments")
            assert page.locator("h1").inner_text() == "模拟测评"
            # more markets than the city has: refused, in Chinese, nothing stored
            page.fill("#d-points", "20")
            page.fill("#q-market", str(markets + 1))
            page.click("#draw-go")
            page.wait_for_function("() => document.getElementById('draw-status').textContent.includes('要抽')")
            said = page.inner_text("#draw-status")
            if size == "phone":
                assert f"点位类型“农贸市场”要抽 {markets + 1} 个，但库中只有 {markets} 个" in said
            else:  # the phone's 3 markets were drawn today: left out for 4 weeks (the form's default)
                assert f"但只有 {markets - 3} 个可抽（共 {markets} 个，其中 3 个在近 4 周内已抽过）" in said
            with session_scope(state.session_factory) as s:
                before = s.scalar(select(func.count()).select_from(Assessment)) or 0
            page.fill("#d-title", f"第{size}轮模拟测评")
            page.fill("#d-points", "12")
            page.fill("#q-market", "3")
            page.fill("#d-teams", "2")
            page.fill("#d-seed", seed)
            with page.expect_navigation():
                page.click("#draw-go")
            page.wait_for_function("() => document.body.dataset.mapReady === '1'")
            assert page.locator("#assess-map .stop-icon").count() == 12
            assert page.locator("section.team").count() == 2
            assert page.locator("ol.route li .ptype", has_text="农贸市场").count() == 3
            with session_scope(state.session_factory) as s:
                assert (s.scalar(select(func.count()).select_from(Assessment)) or 0) == before + 1
                made = s.scalars(select(Assessment).order_by(Assessment.id.desc())).first()
                assert made is not None and made.seed == int(seed) and made.params["teams"] == 2
            fits(page, viewport)
            page.screenshot(path=str(ARTIFACTS / f"assessment-{size}.png"), full_page=size == "desktop")
            # score the first point of team 1 on its phone form
            first = page.locator("#team-1 ol.route li").first
            first.locator("input[name=score]").fill("8")
            first.locator("input[name=possible]").fill("10")
            first.locator("input[name=note]").fill("有占道经营")
            first.locator("button[type=submit]").click()
            first.locator(".status.ok").wait_for()
            page.wait_for_function("() => document.getElementById('results').textContent.includes('80.0%')")
            with session_scope(state.session_factory) as s:
                pid = int(first.get_attribute("data-point") or 0)
                point = s.get(AssessmentPoint, pid)
                assert point is not None and (point.score, point.possible, point.scored_by) == (8, 10, "demo-commander")
            # a score above the full mark: refused in Chinese
            first.locator("input[name=score]").fill("12")
            first.locator("button[type=submit]").click()
            page.wait_for_function("() => document.querySelector('#team-1 li .status').textContent.includes('超过')")
            assert first.locator('[data-role="shown"]').inner_text() == "得分 8 / 10 · 有占道经营"
            if size == "desktop":
                assert "对比上次测评：第phone轮模拟测评" in page.inner_text("#results-vs")
                page.emulate_media(media="print")  # the printed route list: no forms, no menu
                assert not page.locator("form.score-form").first.is_visible()
                assert not page.locator("header.topbar").is_visible() and page.locator("ol.route").first.is_visible()
                page.screenshot(path=str(ARTIFACTS / "assessment-print.png"), full_page=True)
                page.emulate_media(media="screen")
            page.screenshot(path=str(ARTIFACTS / f"assessment-{size}-scored.png"), full_page=True)
            assert english_words(page, "demo-commander", "gridmap assessments repeat", "phone", "desktop") == []
            refused = [p for p in watch.problems if "status of 400" in p]  # the two refusals provoked above
            assert len(refused) == 2 and [p for p in watch.problems if p not in refused] == []
            context.close()
    state.engine.dispose()


@pytest.mark.demo_city
@pytest.mark.parametrize("settings", ["spatialite"], indirect=True)
def test_an_inspector_scores_a_market_item_by_item_on_a_phone(browser, settings) -> None:
    """逐项评分 at 390×844: the market's checklist, one item passed, one failed with a note (a case opens for its
    unit and the point's score is the total less the deduction), a failure with a deduction above the item's points
    refused in Chinese; the assessment page shows the rate."""
    from gridmap.accounts.actor import cli_actor
    from gridmap.assessments.drawing import draw, parse_request
    from gridmap.store.models import AssessmentItemScore, Case

    app = create_app(settings)
    state = app_state(app)
    with session_scope(state.session_factory) as s:
        day = dt.date(2026, 12, 1)
        made = draw(s, parse_request({"points": 2, "quotas": {"market": 2}, "seed": 11}, day), cli_actor())
        aid, pid = made["id"], next(p["id"] for p in made["points"] if p["type"] == "market")
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(app) as base:
        context = signed_in_context(browser, base, "demo-inspector", DEMO_PASSWORD, viewport=PHONE)
        page = context.new_page()
        watch = PageWatch(page)
        page.goto(f"{base}/assessments/{aid}")
        with page.expect_navigation():
            page.locator(f"#point-{pid} a.by-items").click()
        assert page.locator("h1").inner_text().startswith("逐项评分")
        assert page.locator("li.check-item").count() == 5 and "已评 0/5 项" in page.inner_text("#point-score")
        fits(page, PHONE)
        page.screenshot(path=str(ARTIFACTS / "assessment-items-phone.png"), full_page=True)
        ok = page.locator("#item-NM01")
        ok.locator("label.pass").click()
        ok.locator("button[type=submit]").click()
        ok.locator('[data-role="result"]', has_text="合格").wait_for()
        bad = page.locator("#item-NM02")
        bad.locator("label.fail").click()
        assert bad.locator("input[name=points_deducted]").input_value() == "25"
        bad.locator("input[name=points_deducted]").fill("30")
        bad.locator("button[type=submit]").click()
        page.wait_for_function("() => document.querySelector('#item-NM02 .status').textContent.includes('扣分 30')")
        bad.locator("input[name=points_deducted]").fill("10")
        bad.locator("input[name=note]").fill("出店经营")
        bad.locator("button[type=submit]").click()
        bad.locator('[data-role="result"]', has_text="已立案").wait_for()
        assert page.inner_text("#point-score") == "本点位得分 90 / 100（已评 2/5 项）"
        with session_scope(state.session_factory) as s:
            rows = {
                r.passed: r for r in s.scalars(select(AssessmentItemScore).where(AssessmentItemScore.point_id == pid))
            }
            case = s.get(Case, rows[False].case_id)
            assert case is not None and case.category == "CC0302" and "出店经营" in (case.description or "")
            point = s.get(AssessmentPoint, pid)
            assert point is not None and (point.score, point.possible, point.scored_by) == (90, 100, "demo-inspector")
        fits(page, PHONE)
        page.screenshot(path=str(ARTIFACTS / "assessment-items-phone-scored.png"), full_page=True)
        page.reload()  # the scored items now offer 更正 and 删除 (the assessment is not closed)
        assert page.locator("#item-NM02 [data-role=correct]").is_visible()
        fits(page, PHONE)
        page.screenshot(path=str(ARTIFACTS / "assessment-items-phone-actions.png"), full_page=True)
        assert english_words(page, "demo-inspector") == []
        page.goto(f"{base}/assessments/{aid}")
        page.wait_for_function("() => document.getElementById('results').textContent.includes('90.0%')")
        refused = [p for p in watch.problems if "status of 400" in p]  # the deduction above the item's points
        assert len(refused) == 1 and [p for p in watch.problems if p not in refused] == []
        context.close()
    state.engine.dispose()


@pytest.mark.demo_city
@pytest.mark.parametrize("settings", ["spatialite"], indirect=True)
def test_at_a_desk_a_scored_item_is_corrected_and_deleted_until_the_assessment_closes(browser, settings) -> None:
    """逐项评分 at 1280×800: a failure scored (a case opens), corrected to a pass (the case is voided and the point
    gets its points back), another item deleted after a confirmation; the assessment closed from its page, after
    which the item page shows no form and says so."""
    from gridmap.accounts.actor import cli_actor
    from gridmap.assessments.drawing import draw, parse_request
    from gridmap.store.models import AssessmentItemScore, Case

    desk = {"width": 1280, "height": 800}
    app = create_app(settings)
    state = app_state(app)
    with session_scope(state.session_factory) as s:
        made = draw(s, parse_request({"points": 2, "quotas": {"market": 2}, "seed": 12}, dt.date(2026, 12, 1)),
                    cli_actor())  # fmt: skip
        aid, pid = made["id"], next(p["id"] for p in made["points"] if p["type"] == "market")
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(app) as base:
        context = signed_in_context(browser, base, "demo-inspector", DEMO_PASSWORD, viewport=desk)
        page = context.new_page()
        watch = PageWatch(page)
        page.goto(f"{base}/assessments/{aid}/points/{pid}/score")
        fits(page, desk)
        page.screenshot(path=str(ARTIFACTS / "assessment-items-desk.png"), full_page=True)
        for code, verdict, said in (("NM02", "fail", "已立案"), ("NM03", "pass", "合格")):
            li = page.locator(f"#item-{code}")
            li.locator(f"label.{verdict}").click()
            li.locator("button[type=submit]").click()
            li.locator('[data-role="result"]', has_text=said).wait_for()
        page.reload()  # scored items may now be corrected or deleted
        assert "本点位得分 75 / 100" in page.inner_text("#point-score")
        with session_scope(state.session_factory) as s:
            failed = (AssessmentItemScore.point_id == pid, AssessmentItemScore.passed.is_(False))
            case_id = s.scalar(select(AssessmentItemScore.case_id).where(*failed))
        bad = page.locator("#item-NM02")
        assert not bad.locator("form.item-form").is_visible()  # shown only to correct it
        bad.locator("[data-role=correct]").click()
        assert bad.locator("form.item-form").is_visible() and not bad.locator(".item-actions").is_visible()
        bad.locator("label.pass").click()
        with page.expect_navigation():
            bad.locator("button[type=submit]").click()
        assert "本点位得分 100 / 100" in page.inner_text("#point-score")
        assert "案件已作废" in page.inner_text("#item-NM02 [data-role=result]")
        page.once("dialog", lambda d: d.accept())
        with page.expect_navigation():
            page.locator("#item-NM03 [data-role=delete]").click()
        assert "已评 1/5 项" in page.inner_text("#point-score")
        assert page.locator("#item-NM03 form.item-form:not([hidden])").count() == 1  # to be scored again
        fits(page, desk)
        page.screenshot(path=str(ARTIFACTS / "assessment-items-desk-corrected.png"), full_page=True)
        assert english_words(page, "demo-inspector") == []
        with session_scope(state.session_factory) as s:
            case = s.get(Case, case_id)
            assert case is not None and case.status == "void"
        page.goto(f"{base}/assessments/{aid}")  # closed at the desk: the scores become final
        page.once("dialog", lambda d: d.accept())
        with page.expect_navigation():
            page.locator("#close-assessment").click()
        assert page.locator("#closed-note").is_visible() and page.locator("form.score-form").count() == 0
        fits(page, desk)
        page.screenshot(path=str(ARTIFACTS / "assessment-closed-desk.png"))
        with session_scope(state.session_factory) as s:
            closed = s.get(Assessment, aid)
            assert closed is not None and closed.closed_by == "demo-inspector"
        page.goto(f"{base}/assessments/{aid}/points/{pid}/score")
        assert page.locator("#closed-note").inner_text() == "本次测评已结束，评分不能再修改"
        assert page.locator("form.item-form").count() == 0 and page.locator(".item-actions").count() == 0
        assert watch.problems == []
        context.close()
    state.engine.dispose()
