"""The roster page in a real browser (Debian's Chromium through Playwright): a commander on a phone uploads a
roster, reads each row's match and its candidates, accepts the fuzzy one and imports it; on a desk, undoes the
import from the page. Screenshots go to test-artifacts/."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmap.imports.demo import DEMO_PASSWORD
from gridmap.store.models import Area, Compound, Unit
from gridmap.web import create_app
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, PageWatch, live_server, sign_in
from tests.test_roster import HEADER

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 860}


@pytest.mark.demo_city
@pytest.mark.parametrize("settings", ["spatialite"], indirect=True)
def test_a_commander_imports_and_undoes_a_roster_on_a_phone_and_a_desk(settings, session: Session,
                                                                        tmp_path: Path) -> None:  # fmt: skip
    rows = session.execute(
        select(Compound.name, Area.name).join(Area, Area.id == Compound.community_id)
        .where(func.length(Compound.name) >= 9).order_by(Compound.id).limit(3)
    ).all()  # fmt: skip
    unit = session.scalar(select(Unit.name).where(Unit.retired_on.is_(None)).order_by(Unit.id.desc()))
    (a, ca), (b, cb), (c, cc) = rows
    path = tmp_path / "包联台账.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([HEADER,
            ["小区", f"{a}小区", "", "", "", ca, unit, "包联小区负责人", "赵手机", "13900000021", "2026-06-01"],
            ["小区", b[0] + "囧" + b[2:], "", "", "", cb, unit, "社区联络人", "钱手机", "13900000022", "2026-06-01"],
            ["小区", f" {c} ", "", "", "", cc, unit, "创文督导人", "孙手机", "13900000023", "2026-06-01"]])  # fmt: skip
    app = create_app(settings)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw, live_server(app) as base:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, locale="zh-CN")
        page = context.new_page()
        watch = PageWatch(page)
        sign_in(page, base, "demo-commander", DEMO_PASSWORD)
        page.goto(base + "/admin/roster")
        assert page.locator("h1").inner_text() == "包联台账导入"
        page.set_input_files("#roster-upload input[type=file]", str(path))
        page.click("#roster-upload button[type=submit]")
        page.wait_for_function("() => document.querySelectorAll('#preview-rows tbody tr').length === 3")
        statuses = page.eval_on_selector_all("#preview-rows tbody tr", "rows => rows.map(r => r.dataset.status)")
        assert statuses == ["normalised", "fuzzy", "exact"]
        assert b in page.locator("#preview-rows tr[data-status=fuzzy] td.candidates").inner_text()
        assert "匹配率 66.7%（共 3 行）" in page.locator("#preview-summary").inner_text()
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(ARTIFACTS / "roster-preview-phone.png"), full_page=True)
        page.check("#roster-confirm input[name=accept_fuzzy]")
        page.click("#roster-confirm button[type=submit]")
        page.wait_for_function("() => document.querySelector('#done') !== null")
        assert "新包联 3" in page.locator("#done").inner_text()
        page.screenshot(path=str(ARTIFACTS / "roster-imported-phone.png"), full_page=True)
        assert watch.problems == []
        context.close()

        desk = browser.new_context(viewport=DESK)
        page = desk.new_page()
        watch = PageWatch(page)
        sign_in(page, base, "demo-commander", DEMO_PASSWORD)
        page.goto(base + "/admin/roster")
        first = page.locator("#roster-imports tbody tr").first
        assert "包联台账.csv" in first.inner_text() and "(UTC+08:00)" in first.inner_text()
        first.locator("button").click()
        page.wait_for_function("() => document.querySelector('#undone') !== null")
        assert "已撤销" in page.locator("#roster-imports tbody tr").first.inner_text()
        page.screenshot(path=str(ARTIFACTS / "roster-undone-desk.png"), full_page=True)
        page.goto(base + "/admin/roster?lang=en")
        assert page.locator("h1").inner_text() == "Roster import"
        assert watch.problems == []
        desk.close()
        browser.close()
