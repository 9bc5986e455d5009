"""The account pages in a real browser (Debian's Chromium through Playwright), at a phone's size and a desk's:
an administrator makes an account and a token on a phone, the new person signs in, changes their password and
signs out; a commander reads and filters the audit trail on a desk. Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest

from gridmap.imports.demo import DEMO_PASSWORD
from gridmap.web import create_app
from gridmap.web.state import app_state
from tests.browser import ARTIFACTS, PageWatch, live_server, sign_in

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 860}


@pytest.mark.demo_city
@pytest.mark.parametrize("settings", ["spatialite"], indirect=True)
def test_an_administrator_makes_an_account_on_a_phone_and_a_commander_reads_the_trail(browser, settings) -> None:
    app = create_app(settings)
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(app) as base:
        admin = browser.new_context(viewport=PHONE)
        page = admin.new_page()
        watch = PageWatch(page)
        page.goto(base + "/login")
        assert page.locator("#demo-hint li").count() == 8 and "滨河街道" in page.locator("#demo-hint").inner_text()
        page.screenshot(path=str(ARTIFACTS / "login-phone.png"), full_page=True)
        sign_in(page, base, "demo-admin", DEMO_PASSWORD)
        page.goto(base + "/admin/accounts")
        assert page.locator("h1").inner_text() == "账户管理"
        # too short a password: refused, said in Chinese, nothing made
        page.fill("#new-account input[name=username]", "zhangsan")
        page.fill("#new-account input[name=name]", "张三")
        page.select_option("#new-account select[name=role]", "dispatcher")
        page.fill("#new-account input[name=password]", "short")
        page.click("#new-account button[type=submit]")
        assert "8" in page.locator("#refused").inner_text()
        assert page.locator("tr[data-username=zhangsan]").count() == 0
        assert [p for p in watch.problems if "400" not in p] == []  # the refusal is a 400: nothing else went wrong
        watch.problems.clear()
        page.fill("#new-account input[name=username]", "zhangsan")
        page.fill("#new-account input[name=name]", "张三")
        page.select_option("#new-account select[name=role]", "dispatcher")
        page.fill("#new-account input[name=password]", "zhangsan-pass-1")
        page.click("#new-account button[type=submit]")
        row = page.locator("tr[data-username=zhangsan]")
        assert row.count() == 1 and "派遣员" in row.inner_text()
        row.locator("input[name=name]").fill("巡查App")
        row.locator("input[name=expires_days]").fill("30")
        row.locator("form", has=page.locator("input[name=expires_days]")).locator("button").click()
        token = page.locator("#new-token code").inner_text()
        assert token.startswith("gm_")  # shown this once
        page.screenshot(path=str(ARTIFACTS / "accounts-phone.png"), full_page=True)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]  # the page itself fits
        answer = page.request.get(base + "/api/v1/cases", headers={"Authorization": f"Bearer {token}"})
        assert answer.status == 200
        assert watch.problems == []
        admin.close()

        # the new person signs in, changes their password, signs out
        person = browser.new_context(viewport=PHONE)
        page = person.new_page()
        watch = PageWatch(page)
        sign_in(page, base, "zhangsan", "zhangsan-pass-1")
        page.goto(base + "/account/password")
        page.fill("input[name=password]", "zhangsan-pass-1")
        page.fill("input[name=new_password]", "zhangsan-pass-2")
        page.fill("input[name=new_password_confirm]", "zhangsan-pass-2")
        page.screenshot(path=str(ARTIFACTS / "password-phone.png"), full_page=True)
        page.click("#change-password-form button[type=submit]")
        page.wait_for_url(base + "/")
        page.goto(base + "/account")
        assert "张三" in page.locator("main").inner_text()
        page.click("#menu-toggle")  # on a phone the menu (and signing out) folds behind its button
        page.click("nav.who button")  # sign out (a POST with the page's CSRF token)
        page.wait_for_url("**/login")
        page.goto(base + "/")
        assert "/login" in page.url
        sign_in(page, base, "zhangsan", "zhangsan-pass-2")
        assert watch.problems == []
        person.close()

        # a commander reads the trail on a desk: who did all that, in Chinese, filtered
        desk = browser.new_context(viewport=DESK)
        page = desk.new_page()
        watch = PageWatch(page)
        sign_in(page, base, "demo-commander", DEMO_PASSWORD)
        page.goto(base + "/audit?object_kind=account")
        rows = page.locator("#audit-list tbody tr")
        text = page.locator("#audit-list").inner_text()
        assert rows.count() >= 10 and "新建账户" in text and "修改密码" in text and "demo-admin" in text
        assert "account.create" not in text  # the codes are named, not shown
        assert page.locator("#audit-filters select[name=object_kind]").input_value() == "account"
        page.screenshot(path=str(ARTIFACTS / "audit-desktop.png"), full_page=True)
        page.fill("#audit-filters input[name=actor]", "zhangsan")
        page.click("#audit-filters button")
        actors = set(page.locator("#audit-list tbody tr td:nth-child(2)").all_inner_texts())
        assert actors and all(a.startswith("zhangsan") for a in actors)
        assert watch.problems == []
        desk.close()
    app_state(app).engine.dispose()


@pytest.mark.demo_city
@pytest.mark.parametrize("settings", ["spatialite"], indirect=True)
def test_a_citizen_follows_a_report_by_its_receipt_code(browser, settings) -> None:
    import re

    from gridmap.catalogue.categories import seed
    from gridmap.store.engine import session_scope

    app = create_app(settings)
    with session_scope(app_state(app).session_factory) as s:
        seed(s)
    with live_server(app) as base:
        for size, viewport in (("phone", PHONE), ("desktop", DESK)):
            context = browser.new_context(viewport=viewport)  # no account
            page = context.new_page()
            watch = PageWatch(page)
            form = {"service_code": "0102", "lat": "37.5205", "long": "111.1402", "description": "路边有暴露垃圾",
                    "first_name": "三", "last_name": "张", "phone": "13912345678"}  # fmt: skip
            posted = page.request.post(base + "/open311/v2/requests.json", form=form).json()
            code = re.search(r"查询码 (\w+)", posted[0]["service_notice"]).group(1)
            page.goto(base + "/track")
            page.fill("#code", code.lower())
            page.click("#track-form button")
            assert page.locator("#found-status").inner_text() == "待核实"
            text = page.locator("main").inner_text()
            assert "暴露垃圾" in text and "张" not in text and "13912345678" not in text
            page.screenshot(path=str(ARTIFACTS / f"track-{size}.png"), full_page=True)
            assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
            assert watch.problems == []
            context.close()
    app_state(app).engine.dispose()
