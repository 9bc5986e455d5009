"""The rankings page and a unit's scorecard in a real browser (Debian's Chromium through Playwright): a commander on
a desk sees November's published ranking of the city offices with the ECharts trend and a sparkline per row, opens
a unit's scorecard and follows a figure to exactly the cases it counts; on a phone the page fits and speaks only
Chinese. Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from gridmap.evaluation import latest_scheme, parse_period, publish
from gridmap.imports.demo import DEMO_PASSWORD
from gridmap.web import create_app
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, PageWatch, english_words, fits, live_server, sign_in
from tests.test_evaluation import ADMIN, NOW, TZ, add_case, golden_city, t

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
def test_a_commander_reads_the_rankings_and_follows_a_figure_to_its_cases(browser, settings, session) -> None:
    ids = golden_city(session)  # November: 单位甲 76.50 (B), 单位乙 76.00 (B) — tests/test_evaluation.py
    for d in ("10-10", "10-20"):  # October: 单位甲 closed both on time
        add_case(session, ids["a"], t(d), closed=t(d, 9))
    publish(session, latest_scheme(session, "unit_composite"), parse_period("2026-11", TZ), ADMIN, NOW)
    session.commit()
    app = create_app(settings)
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(app) as base:
        desk = browser.new_context(viewport=DESK)
        page = desk.new_page()
        watch = PageWatch(page)
        sign_in(page, base, "demo-commander", DEMO_PASSWORD)
        page.goto(base + "/rankings?period=2026-11&subject=unit&group=city_office")
        page.wait_for_function("() => document.querySelector('#trend-chart')?.dataset.drawn === '2'")
        assert "已发布" in page.locator("#published").inner_text()
        rows = page.locator(".rank-table tbody tr")
        first, second = rows.nth(0).inner_text(), rows.nth(1).inner_text()
        assert "单位甲" in first and "76.50" in first and first.split()[0] == "1"
        assert "单位乙" in second and "76.00" in second
        assert page.locator("#trend-chart svg path").count() > 0  # ECharts drew its lines (SVG renderer)
        assert page.locator(f"[data-spark='{ids['a']}'] svg circle").count() == 2  # October and November
        page.screenshot(path=str(ARTIFACTS / "rankings-desk.png"), full_page=True)

        page.click(f"tr[data-subject='{ids['a']}'] a")
        assert page.locator("#sc-score").inner_text() == "76.50" and page.locator("#sc-grade").inner_text() == "B"
        on_time = page.locator("tr[data-indicator='on_time'] a[data-count='due_on_time']")
        assert on_time.inner_text().endswith(" 7")
        page.screenshot(path=str(ARTIFACTS / "unit-scorecard-desk.png"), full_page=True)
        on_time.click()
        assert "7" in page.locator("#case-total").inner_text()
        assert page.locator("#case-table tbody tr").count() == 7
        assert watch.problems == []
        desk.close()

        phone = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
        page = phone.new_page()
        watch = PageWatch(page)
        sign_in(page, base, "demo-commander", DEMO_PASSWORD)
        page.goto(base + "/rankings?period=2026-11")
        page.wait_for_function("() => !!document.querySelector('#trend-chart')?.dataset.drawn")
        fits(page, PHONE)
        footer = page.locator("footer").inner_text()  # the data's attribution: a licence, not the interface
        assert english_words(page, "admin", footer) == []
        page.screenshot(path=str(ARTIFACTS / "rankings-phone.png"), full_page=False)
        page.goto(base + f"/units/{ids['b']}/scorecard?period=2026-11")
        fits(page, PHONE)
        page.screenshot(path=str(ARTIFACTS / "unit-scorecard-phone.png"), full_page=True)
        assert watch.problems == []
        phone.close()
