"""门前五包 pages in a real browser (Debian's Chromium through Playwright): on a phone, a commander opens a failing
shop's month — its score, its yellow flag at the ladder's step, each deduction linking to its case — and follows
one to the case; on a desk, reads the month's ranking with its 红黑榜, and drags a shop on its map: the frontage is
drawn again. Screenshots go to test-artifacts/."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy.orm import Session

from gridmap.cases import open_report
from gridmap.catalogue.categories import seed
from gridmap.config import Settings
from gridmap.shops import registry, scoring
from gridmap.web import create_app
from tests.accounts import PASSWORD, TESTER, make_account
from tests.browser import ARTIFACTS, DESK, PHONE, PageWatch, live_server, sign_in
from tests.routing_city import build_small_city

pytestmark = pytest.mark.browser
MONTHS = ("2026-09", "2026-10")


@pytest.fixture
def shops_city(settings: Settings, session: Session) -> dict[str, int]:
    """A street with three shops; the middle one gets six problems inside its frontage each month."""
    city = build_small_city(session)
    seed(session)
    ids = {}
    for key, name, x in (("good", "张记面馆", -160), ("bad", "李记烧烤店", -100), ("other", "王记超市", -40)):
        lon, lat = city.point(x, -20)
        ids[key] = registry.create_shop(session, {"name": name, "lon": lon, "lat": lat, "kind": "餐饮"}, TESTER).id
    cases = []
    for month in MONTHS:
        for k, cat in enumerate(("0102", "0103", "0104", "0504", "0505", "0507")):
            lon, lat = city.point(-110 + 4 * k, -16)
            when = f"{month}-{10 + k}T09:00:00+08:00"
            t = dt.datetime.fromisoformat(when)
            opened = open_report(session, {"lon": lon, "lat": lat, "category": cat, "observed_at": when}, settings,
                                 actor=TESTER, now=t)  # fmt: skip
            cases.append(int(opened["id"]))  # type: ignore[call-overload]
        scoring.score_month(session, month)
    session.commit()
    return ids


@pytest.mark.parametrize("settings", ["spatialite"], indirect=True)
def test_a_shops_month_with_its_flag_and_cases_on_a_phone_and_the_ranking_on_a_desk(
    browser, settings: Settings, shops_city: dict[str, int]
) -> None:
    app = create_app(settings)
    make_account(app, "commander", username="shop-commander", password=PASSWORD)
    ARTIFACTS.mkdir(exist_ok=True)
    bad, good = shops_city["bad"], shops_city["good"]
    with live_server(app) as base:
        phone = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
        page = phone.new_page()
        watch = PageWatch(page)
        sign_in(page, base, "shop-commander", PASSWORD)
        page.goto(f"{base}/shops/{bad}?month=2026-10")
        page.wait_for_function("() => window.gridmapTest && window.gridmapTest.pageReady")
        assert page.locator("h1").inner_text().startswith("李记烧烤店")
        assert page.locator("#shop-flag").inner_text() == "黄旗 · 批评教育"
        assert (
            page.locator("#month-score strong").inner_text() == "70"
            or "70" in page.locator("#month-score").inner_text()
        )
        assert "连续 2 个月不达标" in page.locator("#month-score").inner_text()
        rows = page.locator("#deductions tbody tr")
        assert rows.count() == 6
        links = page.locator("#deductions a.case-link")
        assert links.count() == 6 and all(re.fullmatch(r"#\d+", t) for t in links.all_inner_texts())
        assert "−5" in rows.first.inner_text() and "卫生" in rows.first.inner_text()
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(ARTIFACTS / "shop-month-phone.png"), full_page=True)
        first = links.first.inner_text()[1:]
        links.first.click()
        page.wait_for_url(f"**/cases/{first}")
        assert first in page.locator("h1").inner_text()
        assert watch.problems == []
        phone.close()

        desk = browser.new_context(viewport=DESK)
        page = desk.new_page()
        watch = PageWatch(page)
        sign_in(page, base, "shop-commander", PASSWORD)
        page.goto(f"{base}/shops/ranking?month=2026-10")
        assert "张记面馆" in page.locator("#red-list").inner_text()
        black = page.locator("#black-list").inner_text()
        assert "李记烧烤店" in black and "黄旗" in black and "批评教育" in black
        page.screenshot(path=str(ARTIFACTS / "shop-ranking-desk.png"), full_page=True)
        page.goto(f"{base}/shops/{good}")
        page.wait_for_function("() => window.gridmapTest && window.gridmapTest.pageReady")
        before = page.locator("#shop-frontage-m2").inner_text()
        box = page.locator(".leaflet-marker-icon").bounding_box()
        assert box is not None
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] - 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x - 40, y + 10, steps=8)
        page.mouse.up()
        page.wait_for_function("() => document.getElementById('move-status').textContent.includes('位置已保存')")
        page.wait_for_function("() => window.gridmapTest.pageReady && window.gridmapTest.busy === 0")
        after = page.locator("#shop-frontage-m2").inner_text()
        assert after.endswith("平方米") and after != before and after in page.locator("#move-status").inner_text()
        page.screenshot(path=str(ARTIFACTS / "shop-moved-desk.png"), full_page=True)
        assert watch.problems == []
        desk.close()
