"""The case work pages in a real browser (Debian's Chromium through Playwright) at a phone's size (390×844) and a
desk's (1440×900), on the demo city: 我的待办 lists, filters and pages without reloading; and the closed loop worked
through the pages only. Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest
import shapely
from flask import Flask
from sqlalchemy import select

from gridmap.accounts.actor import cli_actor
from gridmap.cases import open_report
from gridmap.catalogue.categories import seed
from gridmap.imports.demo import DEMO_PASSWORD
from gridmap.store.dialect import wkb
from gridmap.store.engine import session_scope
from gridmap.store.models import Assignment, Category, Segment, Unit
from gridmap.web import create_app
from gridmap.web.state import app_state
from tests.browser import (
    ARTIFACTS,
    DESK,
    PHONE,
    READY,
    PageWatch,
    act_on_case,
    case_status,
    fits,
    live_server,
    photo_png,
    signed_in_context,
)

pytestmark = pytest.mark.browser


def _seed_cases(
    app: Flask, n: int, unit_code: str | None = None, source: str = "patrol", tag: str = "browser"
) -> list[int]:
    """``n`` reports on the demo's assigned road segments (of ``unit_code``'s, when given), every third urgent: the
    cases the pages then work. Set up through the use-case, as a patrol app's reports would arrive."""
    factory = app_state(app).session_factory
    with session_scope(factory) as s:
        if s.get(Category, "0102") is None:
            seed(s)
    with session_scope(factory) as s:
        stmt = (
            select(wkb(Segment.geom))
            .join(Assignment, (Assignment.target_id == Segment.id) & (Assignment.target_kind == "segment"))
            .where(Assignment.role == "responsible", Assignment.valid_to.is_(None))
            .order_by(Segment.id)
            .limit(n)
        )
        if unit_code:
            stmt = stmt.join(Unit, Unit.id == Assignment.unit_id).where(Unit.code == unit_code)
        lines = [shapely.from_wkb(bytes(raw)) for raw in s.scalars(stmt)]
    assert lines, "the demo city has assigned segments"
    ids = []
    for i in range(n):
        mid = shapely.line_interpolate_point(lines[i % len(lines)], 0.3 + 0.4 * (i % 2), normalized=True)
        report = {"lon": mid.x, "lat": mid.y, "category": "0102" if i % 2 else "0507", "description": f"测试问题{i}",
                  "urgency": "urgent" if i % 3 == 0 else "normal", "client_id": f"{tag}-{unit_code}-{i}",
                  "source": source}  # fmt: skip
        with session_scope(factory) as s:
            ids.append(open_report(s, report, app_state(app).settings, actor=cli_actor())["id"])
    return ids


@pytest.mark.demo_city
@pytest.mark.parametrize("settings", ["spatialite"], indirect=True)
def test_my_tasks_list_filter_and_page_without_reloading(browser, settings) -> None:
    app = create_app(settings)
    _seed_cases(app, 26)
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(app) as base:
        for size, name in ((DESK, "desk"), (PHONE, "phone")):
            context = signed_in_context(browser, base, "demo-dispatcher", DEMO_PASSWORD, viewport=size)
            page = context.new_page()
            watch = PageWatch(page)
            page.clock.install()  # the page's minute timer, driven by the test
            page.goto(base + "/tasks")
            page.wait_for_function(READY)
            assert page.locator("h1").inner_text() == "我的待办"
            tab = page.locator(".task-tab[data-group=to_dispatch]")
            tab.click()
            page.wait_for_function(READY)
            count = int(tab.locator(".count").inner_text())
            rows = page.locator("#task-rows tr")
            assert count > 20 and rows.count() == 20  # the demo's open cases: a first page of 20
            first = rows.first
            assert first.locator(".light").get_attribute("data-light") in ("green", "yellow", "red")
            assert first.locator(".light").inner_text().strip() in ("绿灯（正常）", "黄灯（将到期）", "红灯（已超时）")
            assert "(UTC+08:00)" in first.locator(".c-deadline").inner_text()
            assert "剩余" in first.locator(".c-left").inner_text() or "超时" in first.locator(".c-left").inner_text()
            href = first.locator("a.case-link").get_attribute("href") or ""
            assert href.startswith("/cases/")
            page.evaluate("() => { window.__same = true; }")  # gone if the page reloads
            page.click("#page-next")
            page.wait_for_function(READY)
            assert "第 2 /" in page.locator("#page-info").inner_text()
            page.select_option("#f-urgency", "urgent")
            page.wait_for_function(READY)
            urgent = int(tab.locator(".count").inner_text())
            assert urgent < count and "urgency=urgent" in page.url
            assert all(t == "紧急" for t in page.locator("#task-rows .c-urg").all_inner_texts())
            assert page.evaluate("() => window.__same === true"), "the page reloaded"
            page.select_option("#f-urgency", "")
            page.wait_for_function(READY)
            # new cases arrive: the page shows them a minute later, or when it is looked at again, without reloading
            _seed_cases(app, 1, tag=f"later-{name}")
            page.clock.run_for(61_000)
            page.wait_for_function(
                f"() => document.querySelector('[data-count=to_dispatch]').textContent === '{count + 1}'"
            )
            _seed_cases(app, 1, tag=f"seen-{name}")
            page.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")
            page.wait_for_function(
                f"() => document.querySelector('[data-count=to_dispatch]').textContent === '{count + 2}'"
            )
            assert page.evaluate("() => window.__same === true"), "the page reloaded"
            if size is PHONE:
                assert page.locator("#task-table thead").is_hidden()  # cards, not a table
                fits(page, size)
            page.screenshot(path=str(ARTIFACTS / f"tasks-{name}.png"), full_page=size is PHONE)
            if size is DESK:  # English on request: the same queue, no Chinese words of the page's own
                page.goto(base + "/tasks?group=to_dispatch&lang=en")
                page.wait_for_function(READY)
                assert page.locator("h1").inner_text() == "My tasks"
                assert set(page.locator("#task-rows .c-status").all_inner_texts()) == {"Open"}
                assert "left" in page.locator("#task-rows .c-left").first.inner_text()
            assert watch.problems == []
            context.close()


@pytest.mark.demo_city
@pytest.mark.parametrize("settings", ["spatialite"], indirect=True)
def test_the_closed_loop_through_the_pages_only(browser, settings) -> None:
    """A dispatcher on a desk verifies and dispatches a public report; the unit clerk on a phone accepts it and
    reports back with a photo; the dispatcher's re-check fails (rework), the clerk reports back again, the re-check
    passes and the case is closed — every step a button on the case page, no JSON call by the test."""
    app = create_app(settings)
    (case_id,) = _seed_cases(app, 1, unit_code="U001", source="public")
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(app) as base:
        desk = signed_in_context(browser, base, "demo-dispatcher", DEMO_PASSWORD, viewport=DESK)
        phone = signed_in_context(browser, base, "demo-clerk", DEMO_PASSWORD, viewport=PHONE)
        d, c = desk.new_page(), phone.new_page()
        watches = [PageWatch(d), PageWatch(c)]

        # the dispatcher finds it in 待核实 (the menu's 我的待办) and opens it from the queue
        d.goto(base + "/")
        d.click("#nav-tasks")
        d.wait_for_function(READY)
        d.click(".task-tab[data-group=pending]")
        d.wait_for_function(READY)
        d.click(f"#task-rows a[href='/cases/{case_id}']")
        d.wait_for_function(READY)
        assert d.url.endswith(f"/cases/{case_id}") and case_status(d) == "pending"
        assert d.evaluate("() => window.gridmapTest.layers.matched.getLayers().length") == 1  # the road, outlined
        assert "(UTC+08:00)" in d.locator("#case-facts").inner_text()
        act_on_case(d, "verify")
        assert case_status(d) == "open" and "(UTC+08:00)" in d.locator("#case-deadline").inner_text()
        assert d.locator("form[data-action=dispatch] select[name=unit_id]").input_value()  # the routed unit
        d.click("button.step[data-step=dispatch]")
        d.screenshot(path=str(ARTIFACTS / "case-desk.png"), full_page=True)
        act_on_case(d, "dispatch", note="请尽快处理")
        assert case_status(d) == "dispatched" and d.locator("button.step").count() == 0

        # the unit clerk, on a phone, from 我的待办
        c.goto(base + "/tasks?group=dispatched")
        c.wait_for_function(READY)
        c.click(f"#task-rows a[href='/cases/{case_id}']")
        c.wait_for_function(READY)
        act_on_case(c, "accept")
        assert case_status(c) == "in_progress"
        c.click("button.step[data-step=report_back]")
        c.screenshot(path=str(ARTIFACTS / "case-phone.png"), full_page=True)
        act_on_case(c, "report_back", note="已清理", photo=photo_png("green"))
        assert case_status(c) == "reported_back"
        assert c.locator("#case-timeline li[data-action=report_back] img").count() == 1
        assert "处置后" in c.locator("#case-timeline li[data-action=report_back]").inner_text()
        fits(c, PHONE)

        # re-check: not good enough — a note is required, then rework
        d.reload()
        d.wait_for_function(READY)
        d.click("button.step[data-step=recheck_fail]")
        d.locator("form[data-action=recheck_fail] button[type=submit]").click()  # no note: the form says so
        assert case_status(d) == "reported_back"
        assert d.locator("form[data-action=recheck_fail] textarea:invalid").count()
        act_on_case(d, "recheck_fail", note="仍有垃圾未清理")
        assert case_status(d) == "in_progress"

        c.goto(base + "/tasks?group=rework")
        c.wait_for_function(READY)
        assert c.locator(f"#task-rows a[href='/cases/{case_id}']").count() == 1
        c.click(f"#task-rows a[href='/cases/{case_id}']")
        c.wait_for_function(READY)
        act_on_case(c, "report_back", note="已彻底清理", photo=photo_png("blue"))
        assert case_status(c) == "reported_back"

        d.reload()
        d.wait_for_function(READY)
        late = desk.new_page()  # the same case open in a second tab, drawn before the re-check below
        watches.append(PageWatch(late))
        late.goto(base + f"/cases/{case_id}")
        late.wait_for_function(READY)
        act_on_case(d, "recheck_pass", note="核查通过")
        assert case_status(d) == "closed" and d.locator("button.step").count() == 0
        # the second tab acts on the version it drew: told that someone acted first, it reloads
        late.click("button.step[data-step=recheck_fail]")
        late.locator("form[data-action=recheck_fail] textarea[name=note]").fill("迟到的核查")
        with late.expect_navigation():
            late.locator("form[data-action=recheck_fail] button[type=submit]").click()
            # "提交中…" first, then the answer (the page reloads 1.5 s after saying it)
            late.wait_for_function("() => document.querySelector('#action-status').textContent.includes('有人')")
            assert late.locator("#action-status").inner_text() == "有人已先处理，正在刷新"
        late.wait_for_function(READY)
        assert case_status(late) == "closed"
        watches[-1].problems = [p for p in watches[-1].problems if "409" not in p]  # the refusal it was shown
        late.close()
        actions = d.locator("#case-timeline li").evaluate_all("els => els.map(e => e.dataset.action)")
        assert actions == ["report", "verify", "dispatch", "accept", "report_back", "recheck_fail", "report_back",
                           "recheck_pass"]  # fmt: skip
        assert d.locator("#case-timeline img").count() == 2
        d.screenshot(path=str(ARTIFACTS / "case-desk-closed.png"), full_page=True)
        c.reload()
        c.wait_for_function(READY)
        c.screenshot(path=str(ARTIFACTS / "case-phone-closed.png"), full_page=True)
        fits(c, PHONE)
        for w in watches:
            assert w.problems == []
        desk.close()
        phone.close()
