"""The evaluation schemes page in a real browser (Debian's Chromium through Playwright): on a desk an administrator
opens the composite scheme, changes a weight, saves and lands on the new version (the one before it unchanged); a
bad weight is refused with the message naming the field, which is marked. On a phone the page fits, speaks only
Chinese, and a commander reads it without the form. Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from gridmap.imports.demo import DEMO_PASSWORD
from gridmap.web import create_app
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, PageWatch, english_words, fits, live_server, sign_in

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 800}
WEIGHT = "#scheme-form [data-path='components.1.weight']"  # 结案率 in unit_composite


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _problems(watch: PageWatch) -> list[str]:
    """The page's problems but the console's note of the 400 the test provoked on purpose."""
    return [p for p in watch.problems if "status of 400" not in p]


@pytest.mark.demo_city
@pytest.mark.parametrize("settings", ["spatialite"], indirect=True)
def test_an_admin_saves_a_weight_as_a_new_version_and_a_bad_one_is_refused(browser, settings) -> None:
    app = create_app(settings)
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(app) as base:
        desk = browser.new_context(viewport=DESK)
        page = desk.new_page()
        watch = PageWatch(page)
        sign_in(page, base, "demo-admin", DEMO_PASSWORD)
        page.goto(base + "/admin/schemes")
        page.click("tr[data-code='unit_composite'] a")
        before = int(page.locator("#scheme").get_attribute("data-version") or 0)
        assert page.locator("tr[data-component='1'] .weight").inner_text() == "0.3"

        page.fill(WEIGHT, "-5")  # refused: the message names the field, the input is marked
        page.click("#scheme-save")
        status = page.locator("#scheme-status")
        status.filter(has_text="未保存").wait_for()
        assert "第 2 项计分规则（结案率）的权重：-5 太小，最小为 0" in status.inner_text()
        assert page.locator(WEIGHT).get_attribute("aria-invalid") == "true"
        page.screenshot(path=str(ARTIFACTS / "scheme-refused-desk.png"), full_page=True)

        page.fill(WEIGHT, "0.4")
        page.fill("#scheme-note", "结案率权重调为 0.4")
        with page.expect_navigation():
            page.click("#scheme-save")
        assert page.locator("#scheme").get_attribute("data-version") == str(before + 1)
        assert "当前版本" in page.locator("#shown-version").inner_text()
        assert page.locator("tr[data-component='1'] .weight").inner_text() == "0.4"
        assert "结案率权重调为 0.4" in page.locator(f"#versions tr[data-version='{before + 1}']").inner_text()
        page.screenshot(path=str(ARTIFACTS / "scheme-desk.png"), full_page=True)
        page.click(f"#versions tr[data-version='{before}'] a")  # the version before: unchanged
        assert page.locator("tr[data-component='1'] .weight").inner_text() == "0.3"
        assert _problems(watch) == []
        desk.close()

        for who in ("demo-admin", "demo-commander"):
            phone = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
            page = phone.new_page()
            watch = PageWatch(page)
            sign_in(page, base, who, DEMO_PASSWORD)
            page.goto(base + "/admin/schemes/unit_threshold")
            fits(page, PHONE)
            assert "达到 70% 得 50 分" in page.locator("#components").inner_text()
            assert page.locator("#scheme-form").count() == (1 if who == "demo-admin" else 0)
            footer = page.locator("footer").inner_text()
            authors = page.locator("#versions td:nth-child(2)").all_inner_texts()  # when and who: data
            data = ("unit_threshold", "default scheme", *authors)  # its code, the seeded version's note, authors
            assert english_words(page, who, "admin", "commander", *data, footer) == []
            page.screenshot(path=str(ARTIFACTS / f"scheme-phone-{who.removeprefix('demo-')}.png"), full_page=True)
            page.goto(base + "/admin/schemes")
            fits(page, PHONE)
            assert _problems(watch) == []
            phone.close()
