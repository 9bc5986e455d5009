"""The units pages in a real browser (Debian's Chromium through Playwright): a commander on a phone makes a unit,
adds a 网格员 to it, is refused a bad phone number in Chinese, and retires it; on a desk, merges one unit into
another. Screenshots go to test-artifacts/."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import sync_playwright

from gridmap.imports.demo import DEMO_PASSWORD
from gridmap.web import create_app
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, PageWatch, live_server, sign_in

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 860}


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.mark.demo_city
@pytest.mark.parametrize("settings", ["spatialite"], indirect=True)
def test_a_commander_keeps_the_register_on_a_phone_and_a_desk(browser, settings) -> None:
    app = create_app(settings)
    ARTIFACTS.mkdir(exist_ok=True)
    today = dt.date.today().isoformat()
    with live_server(app) as base:
        context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
        page = context.new_page()
        watch = PageWatch(page)
        sign_in(page, base, "demo-commander", DEMO_PASSWORD)
        page.goto(base + "/admin/units")
        assert page.locator("h1").inner_text() == "单位与人员"
        page.fill("#new-unit input[name=name]", "手机新建单位")
        page.select_option("#new-unit select[name=kind]", "other")
        page.fill("#new-unit input[name=contact_phone]", "0358-1112222")
        page.click("#new-unit button[type=submit]")
        assert page.locator("h1").inner_text() == "手机新建单位" and page.locator("#done").is_visible()
        page.fill("#new-person input[name=name]", "网格员小李")
        page.fill("#new-person input[name=phone]", "电话号码")
        page.check("#new-person input[value=grid_worker]")
        page.click("#new-person button[type=submit]")
        assert "不是电话号码" in page.locator("#refused").inner_text()
        assert [p for p in watch.problems if "400" not in p] == []
        watch.problems.clear()
        page.fill("#new-person input[name=name]", "网格员小李")
        page.fill("#new-person input[name=phone]", "13512345678")
        page.check("#new-person input[value=grid_worker]")
        page.click("#new-person button[type=submit]")
        row = page.locator("#people-list tbody tr")
        assert row.count() == 1 and "网格员" in row.inner_text() and "13512345678" in row.inner_text()
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(ARTIFACTS / "units-admin-phone.png"), full_page=True)
        page.click("#retire-unit button[type=submit]")
        assert f"{today} 起撤销" in page.locator("#unit-state").inner_text()
        assert page.locator("#merge-unit").count() == 0 and page.locator("#new-person").count() == 0
        assert watch.problems == []
        context.close()

        desk = browser.new_context(viewport=DESK)
        page = desk.new_page()
        watch = PageWatch(page)
        sign_in(page, base, "demo-commander", DEMO_PASSWORD)
        page.goto(base + "/admin/units")
        page.fill("#new-unit input[name=name]", "将被合并的单位")
        page.click("#new-unit button[type=submit]")
        successor = page.locator("#merge-unit select[name=into] option").nth(1)
        name = successor.inner_text()
        page.select_option("#merge-unit select[name=into]", successor.get_attribute("value"))
        page.click("#merge-unit button[type=submit]")
        assert name in page.locator("#unit-state").inner_text() and "并入" in page.locator("#unit-state").inner_text()
        page.goto(base + "/admin/units?retired=true")
        assert page.locator("#unit-list tbody tr").count() == 2
        page.screenshot(path=str(ARTIFACTS / "units-admin-desk.png"), full_page=True)
        assert watch.problems == []
        desk.close()
