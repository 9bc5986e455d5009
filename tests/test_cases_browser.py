"""The case work pages in a real browser (Debian's Chromium through Playwright) at a phone's size (390×844) and a
desk's (1440×900), on the demo city: 我的待办 lists, filters and pages without reloading; and the closed loop worked
through the pages only. Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest
import shapely
from flask import Flask
from playwright.sync_api import sync_playwright
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
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, PageWatch, live_server, signed_in_context

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1440, "height": 900}
READY = "() => window.gridmapTest && window.gridmapTest.pageReady && window.gridmapTest.busy === 0"


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _seed_cases(app: Flask, n: int, unit_code: str | None = None) -> list[int]:
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
                  "urgency": "urgent" if i % 3 == 0 else "normal", "client_id": f"browser-{unit_code}-{i}"}  # fmt: skip
        with session_scope(factory) as s:
            ids.append(open_report(s, report, app_state(app).settings, actor=cli_actor())["id"])
    return ids


def _fits(page, size: dict[str, int]) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= size["width"], "horizontal overflow"


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
            if size is PHONE:
                assert page.locator("#task-table thead").is_hidden()  # cards, not a table
                _fits(page, size)
            page.screenshot(path=str(ARTIFACTS / f"tasks-{name}.png"), full_page=size is PHONE)
            assert watch.problems == []
            context.close()
