"""Issue 12's closed loop walked end to end through the pages only, in a real browser (Debian's Chromium through
Playwright) against a live server on the demo city: a citizen with no account reports with a photo while offline and
the report arrives once when the network returns; a dispatcher verifies and dispatches it to the responsible unit;
the unit clerk accepts and reports back with a photo; the dispatcher's re-check fails (rework), the clerk reports
back again, the re-check passes and the case closes; the public /track page follows it from the receipt code.
No JSON call is made by the test (the database is only read, to assert). Run twice with the sizes swapped, so every
role works at 390×844 and at 1440×900. Screenshots: test-artifacts/walk-<step>-<size>.png."""

from __future__ import annotations

import re

import pytest
import shapely
from flask import Flask
from sqlalchemy import func, select

from gridmap.catalogue.categories import seed
from gridmap.imports.demo import DEMO_PASSWORD
from gridmap.store.dialect import wkb
from gridmap.store.engine import session_scope
from gridmap.store.models import Assignment, Case, Segment, Unit
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
    english_words,
    fill_report,
    fits,
    live_server,
    photo_png,
    signed_in_context,
)

pytestmark = pytest.mark.browser
SIZES = {"phone": PHONE, "desktop": DESK}
UNIT = "U001"  # demo-clerk's unit
CHINA = "Asia/Shanghai"  # the phones and desks are in the city: their clocks show its time


def _on_the_units_road(app: Flask) -> tuple[dict[str, float], int]:
    """Where the citizen stands (a GPS fix of 12 m on a road the clerk's unit is responsible for) and that unit's
    id; the categories the public picks from seeded, as ``gridmap seed`` does."""
    factory = app_state(app).session_factory
    with session_scope(factory) as s:
        seed(s)
    with session_scope(factory) as s:
        unit_id, raw = s.execute(
            select(Unit.id, wkb(Segment.geom))
            .join(Assignment, (Assignment.target_id == Segment.id) & (Assignment.target_kind == "segment"))
            .join(Unit, Unit.id == Assignment.unit_id)
            .where(Assignment.role == "responsible", Assignment.valid_to.is_(None), Unit.code == UNIT)
            .order_by(Segment.id)
            .limit(1)
        ).one()
    mid = shapely.line_interpolate_point(shapely.from_wkb(bytes(raw)), 0.5, normalized=True)
    return {"longitude": mid.x, "latitude": mid.y, "accuracy": 12}, unit_id


def _shot(page, step: str, size: str, *data: str) -> None:
    """The page as it looks at this step, after checking that no English leaks into it (``data``: names and codes
    it shows that are not words of the interface)."""
    page.screenshot(path=str(ARTIFACTS / f"walk-{step}-{size}.png"), full_page=True)
    assert english_words(page, "demo-dispatcher", "demo-clerk", *data) == [], step


def _track(page, base: str, code: str, size: str, step: str) -> str:
    """Look the receipt code up on the public /track page as the citizen does (typing it in); the status shown."""
    page.goto(base + "/track")
    page.fill("#code", code)
    with page.expect_navigation():
        page.click("#track-form button[type=submit]")
    _shot(page, step, size, code)
    fits(page, SIZES[size])
    assert "(UTC+08:00)" in page.locator("#found").inner_text()  # local times, their zone said
    return page.locator("#found-status").inner_text()


def _open_from_tasks(page, base: str, group: str, case_id: int, shot: tuple[str, str] | None = None) -> None:
    """Open 我的待办 from the menu (folded on a phone), pick the group's tab and open the case from its row."""
    if not page.url.startswith(base):
        page.goto(base + "/")
    if page.locator("#menu-toggle").is_visible():
        page.click("#menu-toggle")
    with page.expect_navigation():
        page.click("#topnav a[href='/tasks']")
    page.wait_for_function(READY)
    page.click(f".task-tab[data-group={group}]")
    page.wait_for_function(READY)
    row = page.locator(f"#task-rows a[href='/cases/{case_id}']")
    assert row.count() == 1, f"case {case_id} is not on the first page of {group}"
    assert page.locator("#task-status").inner_text().endswith("(UTC+08:00)")  # refreshed at, the phone's clock
    if shot:
        _shot(page, *shot)
    row.click()
    page.wait_for_function(READY)
    assert page.url.endswith(f"/cases/{case_id}")


@pytest.mark.demo_city
@pytest.mark.parametrize("settings", ["spatialite"], indirect=True)
@pytest.mark.parametrize(
    ("citizen", "dispatcher", "clerk"),
    [("phone", "desktop", "phone"), ("desktop", "phone", "desktop")],
    ids=["dispatcher-desk-clerk-phone", "dispatcher-phone-clerk-desk"],
)
def test_a_report_walks_the_closed_loop_through_the_pages(
    browser, settings, citizen: str, dispatcher: str, clerk: str
) -> None:
    app = create_app(settings)
    here, unit_id = _on_the_units_road(app)
    description = "人行道暴露垃圾（手机上报）" if citizen == "phone" else "人行道暴露垃圾（电脑上报）"
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(app) as base:
        # 1. the citizen, no account, sends a report with a photo while the network is gone
        people = browser.new_context(
            viewport=SIZES[citizen], geolocation=here, permissions=["geolocation"], locale="zh-CN", timezone_id=CHINA,
            is_mobile=citizen == "phone", has_touch=citizen == "phone",
        )  # fmt: skip
        p = people.new_page()
        watches = {"citizen": PageWatch(p)}
        p.goto(base + "/report")
        p.wait_for_function("() => navigator.serviceWorker.ready.then(() => true)")  # installed: works offline
        fill_report(p, description, photo_png("orange"), mime="image/png")
        _shot(p, "report", citizen)
        people.set_offline(True)
        p.click("#send")
        p.wait_for_function("() => document.getElementById('report-error').textContent.includes('无网络')")
        assert "网络恢复后自动发送" in p.locator("#report-error").inner_text()
        assert p.locator("#queue-status").inner_text() == "待发送：1 条"
        assert p.locator("#category").input_value() == "" and p.locator("#category-tree .cat.chosen").count() == 0
        _shot(p, "report-queued", citizen)
        fits(p, SIZES[citizen])
        people.set_offline(False)
        p.wait_for_function("() => document.getElementById('queue-status').textContent.includes('已发送')")
        with session_scope(app_state(app).session_factory) as s:
            (case_id,) = s.scalars(select(Case.id).where(Case.description == description)).all()  # exactly one
        code = re.search(r"查询码\s*(\S+)", p.locator("#queue-status").inner_text())
        assert code, p.locator("#queue-status").inner_text()
        receipt = code.group(1)
        _shot(p, "report-sent", citizen, receipt)
        with p.expect_navigation():
            p.click("#queue-track-link")  # followed from the page that sent it
        assert p.locator("#found-status").inner_text() == "待核实" and receipt in p.locator("#found").inner_text()
        _shot(p, "track-pending", citizen, receipt)

        # 2. the dispatcher finds it in 待核实, verifies it and dispatches it to the unit it was routed to
        desk = signed_in_context(
            browser, base, "demo-dispatcher", DEMO_PASSWORD, viewport=SIZES[dispatcher], locale="zh-CN",
            timezone_id=CHINA, is_mobile=dispatcher == "phone", has_touch=dispatcher == "phone",
        )  # fmt: skip
        d = desk.new_page()
        watches["dispatcher"] = PageWatch(d)
        _open_from_tasks(d, base, "pending", case_id, shot=("tasks-dispatcher", dispatcher))
        assert case_status(d) == "pending"
        first = d.locator("#case-timeline li[data-action=report]")
        assert first.locator("img").count() == 1 and "市民" in first.inner_text()  # the citizen's photo
        _shot(d, "verify", dispatcher)
        act_on_case(d, "verify")
        assert case_status(d) == "open"
        assert d.locator("form[data-action=dispatch] select[name=unit_id]").input_value() == str(unit_id)
        d.click("button.step[data-step=dispatch]")
        _shot(d, "dispatch", dispatcher)
        act_on_case(d, "dispatch", note="请尽快清理")
        assert case_status(d) == "dispatched"
        fits(d, SIZES[dispatcher])

        # 3. the unit clerk finds it among 已派遣到本单位, accepts it and reports back with a photo
        unit = signed_in_context(
            browser, base, "demo-clerk", DEMO_PASSWORD, viewport=SIZES[clerk], locale="zh-CN", timezone_id=CHINA,
            is_mobile=clerk == "phone", has_touch=clerk == "phone",
        )  # fmt: skip
        c = unit.new_page()
        watches["clerk"] = PageWatch(c)
        _open_from_tasks(c, base, "dispatched", case_id, shot=("tasks", clerk))
        act_on_case(c, "accept")
        assert case_status(c) == "in_progress"
        c.click("button.step[data-step=report_back]")
        _shot(c, "report-back", clerk)
        act_on_case(c, "report_back", note="已清理", photo=photo_png("green"))
        assert case_status(c) == "reported_back"

        # 4. the re-check fails with a note (rework); the clerk reports back again; the re-check passes: closed
        _open_from_tasks(d, base, "to_recheck", case_id)
        act_on_case(d, "recheck_fail", note="仍有垃圾未清理")
        assert case_status(d) == "in_progress"
        _shot(d, "recheck-fail", dispatcher)
        _open_from_tasks(c, base, "rework", case_id)
        act_on_case(c, "report_back", note="已彻底清理", photo=photo_png("blue"))
        assert case_status(c) == "reported_back"
        _open_from_tasks(d, base, "to_recheck", case_id)
        act_on_case(d, "recheck_pass", note="核查通过")
        assert case_status(d) == "closed" and d.locator("button.step").count() == 0
        actions = d.locator("#case-timeline li").evaluate_all("els => els.map(e => e.dataset.action)")
        assert actions == ["report", "verify", "dispatch", "accept", "report_back", "recheck_fail", "report_back",
                           "recheck_pass"]  # fmt: skip
        assert d.locator("#case-timeline img").count() == 3  # the citizen's and the two report-backs'
        d.locator("#case-timeline img").last.scroll_into_view_if_needed()  # lazy: loaded when near the screen
        d.wait_for_function("() => [...document.querySelectorAll('#case-timeline img')].every(i => i.naturalWidth)")
        _shot(d, "closed", dispatcher)
        fits(d, SIZES[dispatcher])
        c.reload()
        c.wait_for_function(READY)
        assert case_status(c) == "closed"
        c.locator("#case-timeline img").last.scroll_into_view_if_needed()
        c.wait_for_function("() => [...document.querySelectorAll('#case-timeline img')].every(i => i.naturalWidth)")
        _shot(c, "closed", clerk)
        fits(c, SIZES[clerk])

        # whoever is on the phone looks at the city's map from the menu
        on_phone = c if clerk == "phone" else d
        on_phone.click("#menu-toggle")
        with on_phone.expect_navigation():
            on_phone.click("#topnav a[href='/map']")
        on_phone.wait_for_function("() => window.gridmapTest?.ready === true && window.gridmapTest.busy === 0")
        _shot(on_phone, "map", "phone")
        fits(on_phone, PHONE)

        # the public page follows it to the end: the citizen comes back later and types the code in
        assert _track(p, base, receipt, citizen, "track-closed") == "已结案"
        with session_scope(app_state(app).session_factory) as s:
            assert s.scalar(select(func.count()).select_from(Case).where(Case.description == description)) == 1
        unexpected = [m for m in watches.pop("citizen").problems if "ERR_INTERNET_DISCONNECTED" not in m]
        assert unexpected == []
        for who, w in watches.items():
            assert w.problems == [], (who, w.problems)
        for context in (people, desk, unit):
            context.close()
    app_state(app).engine.dispose()
