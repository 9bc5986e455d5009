"""The public's 随手拍 in a real browser (Debian's Chromium through Playwright) on a phone (390×844, the position
granted and fixed) and a desk: a citizen locates, photographs, picks a category and sends, and gets a receipt code;
with the network gone the report waits on the phone and, when the network returns, arrives exactly once.
Screenshots go to test-artifacts/."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from gridmap.cases.photos import photo_path
from gridmap.catalogue.categories import seed
from gridmap.store.engine import session_scope
from gridmap.store.models import Case, CaseEvent
from gridmap.web import create_app
from gridmap.web.state import app_state
from tests.browser import ARTIFACTS, DESK, PHONE, PageWatch, fill_report, live_server

pytestmark = pytest.mark.browser
HERE = {"longitude": 111.1402, "latitude": 37.5205, "accuracy": 12}


def big_jpeg() -> bytes:
    """A real 2400×1800 photo taken three days ago about 1 km east (its EXIF says): the page must read that before
    shrinking it to at most 1600 px (which drops EXIF)."""
    img, exif = Image.new("RGB", (2400, 1800), (90, 140, 200)), Image.Exif()
    taken = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))) - dt.timedelta(days=3)
    exif.get_ifd(0x8769)[36867] = taken.strftime("%Y:%m:%d %H:%M:%S")
    gps = exif.get_ifd(0x8825)

    def dms(v: float) -> tuple[float, float, float]:
        return (float(int(v)), float(int(v * 60) % 60), round((v * 3600) % 60, 4))

    gps[1], gps[2] = "N", dms(HERE["latitude"])
    gps[3], gps[4] = "E", dms(HERE["longitude"] + 0.0115)  # about 1 km east
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80, exif=exif)
    return buf.getvalue()


def public_cases(app) -> int:
    with session_scope(app_state(app).session_factory) as s:
        return s.scalar(select(func.count()).select_from(Case).where(Case.source == "public")) or 0


@pytest.mark.demo_city
@pytest.mark.parametrize("settings", ["spatialite"], indirect=True)
def test_a_citizen_reports_on_a_phone_offline_and_it_arrives_once(browser, settings) -> None:
    app = create_app(settings)
    with session_scope(app_state(app).session_factory) as s:
        seed(s)  # the demo template carries no categories
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(app) as base:
        context = browser.new_context(
            viewport=PHONE, geolocation=HERE, permissions=["geolocation"], locale="zh-CN", is_mobile=True,
            has_touch=True,
        )  # fmt: skip
        page = context.new_page()
        watch = PageWatch(page)
        page.goto(base + "/report")
        assert page.locator("h1").inner_text() == "随手拍"
        page.wait_for_function("() => document.querySelectorAll('#report-map path').length > 0")  # 社区, roads
        start = public_cases(app)
        fill_report(page, "路边有暴露垃圾", big_jpeg())
        page.wait_for_function("() => document.querySelectorAll('#report-map .road-label').length > 0")  # names
        page.screenshot(path=str(ARTIFACTS / "report-phone.png"), full_page=True)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        page.click("#send")
        page.wait_for_function("() => !document.getElementById('report-done').hidden")
        message = page.locator("#report-message").inner_text()
        assert "上报成功" in message and "查询码" in message
        assert public_cases(app) == start + 1
        page.screenshot(path=str(ARTIFACTS / "report-sent-phone.png"), full_page=True)
        with session_scope(app_state(app).session_factory) as s:
            newest = select(CaseEvent).join(Case).where(Case.source == "public").order_by(Case.id.desc())
            event = s.scalars(newest).first()
            stored = Image.open(photo_path(app_state(app).settings.instance_dir, event.photos[0]["file"]))
            assert max(stored.size) == 1600, stored.size  # resized on the phone
            flags = s.get(Case, event.case_id).flags  # what exifr read before resizing, flagged to the verifier
            assert sorted(f["kind"] for f in flags) == ["photo_far", "photo_old"], flags
            assert 900 < next(f for f in flags if f["kind"] == "photo_far")["distance_m"] < 1150
        # follow it by the link the answer gave
        page.click("#track-link")
        assert page.locator("#found-status").inner_text() == "待核实"
        page.go_back()

        # the network goes: the report waits on the phone, then arrives once when the network returns
        page.goto(base + "/report")
        fill_report(page, "井盖缺失，夜里危险")
        context.set_offline(True)
        page.click("#send")
        page.wait_for_function("() => document.getElementById('report-error').textContent.includes('无网络')")
        assert "网络恢复后自动发送" in page.locator("#report-error").inner_text()
        assert page.locator("#queue-status").inner_text() == "待发送：1 条"
        page.screenshot(path=str(ARTIFACTS / "report-queued-phone.png"), full_page=True)
        assert public_cases(app) == start + 1
        context.set_offline(False)
        page.wait_for_function("() => document.getElementById('queue-status').textContent.includes('已发送')")
        assert public_cases(app) == start + 2
        page.reload()  # the page's retry on load finds nothing left to send
        page.wait_for_timeout(500)
        assert public_cases(app) == start + 2
        with session_scope(app_state(app).session_factory) as s:
            assert s.scalar(select(func.count()).select_from(Case).where(Case.description == "井盖缺失，夜里危险")) == 1

        # the server asks the phone to wait (429, Retry-After: 2): the report waits that long, then arrives once
        refused: list[str] = []

        def busy_once(route) -> None:
            if route.request.method == "POST" and not refused:
                refused.append(route.request.url)
                route.fulfill(status=429, headers={"Retry-After": "2"}, json={"error": "提交过于频繁"})
            else:
                route.continue_()

        page.route("**/report", busy_once)
        page.goto(base + "/report")
        fill_report(page, "共享单车乱停放")
        page.click("#send")
        page.wait_for_function("() => document.getElementById('report-error').textContent.includes('2 秒后')")
        assert public_cases(app) == start + 2
        page.wait_for_function("() => document.getElementById('queue-status').textContent.includes('已发送')")
        assert refused and public_cases(app) == start + 3
        page.unroute("**/report")
        unexpected = [p for p in watch.problems if "ERR_INTERNET_DISCONNECTED" not in p and "429" not in p]
        assert unexpected == []
        context.close()

        # a desk: the same page, in English on request
        context = browser.new_context(viewport=DESK, geolocation=HERE, permissions=["geolocation"])
        page = context.new_page()
        watch = PageWatch(page)
        page.goto(base + "/report?lang=en")
        assert page.locator("h1").inner_text() == "Report a problem"
        page.wait_for_function("() => document.getElementById('lon').value !== ''")
        page.wait_for_function("() => navigator.serviceWorker.ready.then(() => true)")  # installable: worker ready
        page.reload()  # now under the worker's control: the page and its scripts are kept for a phone offline
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        page.wait_for_function("() => document.getElementById('lon').value !== ''")
        context.set_offline(True)
        page.reload()
        assert page.locator("h1").inner_text() == "Report a problem"  # opened without a network
        page.wait_for_function("() => document.querySelectorAll('#category-tree .cat').length > 0")
        context.set_offline(False)
        page.screenshot(path=str(ARTIFACTS / "report-desktop.png"), full_page=True)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= DESK["width"]
        assert watch.problems == []
        context.close()
    app_state(app).engine.dispose()
