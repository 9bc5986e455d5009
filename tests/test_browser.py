"""Pages in a real browser (Debian's Chromium through Playwright); screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest

from gridmap.config import Settings
from gridmap.web import create_app
from tests.accounts import make_account
from tests.browser import ARTIFACTS, PageWatch, live_server

pytestmark = pytest.mark.browser


def test_start_page_in_the_browser(browser, spatialite_settings: Settings, tmp_path) -> None:
    from gridmap.store.engine import make_engine, upgrade

    upgrade(make_engine(spatialite_settings))
    app = create_app(spatialite_settings)
    make_account(app, "viewer", username="lisi", password="lisi-password")
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(app) as base:
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        watch = PageWatch(page)
        page.goto(base + "/")  # a stranger is sent to the sign-in page, and back after it
        assert "/login" in page.url and page.locator("h1").inner_text() == "登录"
        assert page.locator("#demo-hint").count() == 0  # not the demo: no demo accounts to offer
        page.fill("#username", "lisi")
        page.fill("#password", "wrong-password")
        page.click("#login-form button[type=submit]")
        assert "/login" in page.url and page.locator(".error-message").count() >= 1
        page.fill("#username", "lisi")
        page.fill("#password", "lisi-password")
        page.click("#login-form button[type=submit]")
        page.wait_for_url(base + "/")
        assert page.locator("h1").inner_text().startswith("指挥驾驶舱")  # the start page is the dashboard
        assert page.locator("h2#overview").inner_text() == "数据概览"
        assert page.locator("#summary").is_visible()
        entries = page.locator("nav.pages > a, nav.pages > .navgroup")  # the bar's links and groups
        first, second = (entries.nth(k).bounding_box() for k in (0, 1))
        assert first and second and second["x"] - (first["x"] + first["width"]) >= 8  # page links spaced, as on maps
        page.screenshot(path=str(ARTIFACTS / "start-page.png"), full_page=True)
        page.click("text=English")
        assert page.locator("h1").inner_text().startswith("Command dashboard")
        assert page.locator("h2#overview").inner_text() == "Overview"
        page.screenshot(path=str(ARTIFACTS / "start-page-en.png"), full_page=True)
        page.goto(base + "/api/v1/health")
        assert '"status"' in page.content()
        assert watch.problems == []
        page.close()


def test_a_content_security_policy_violation_is_caught(browser, spatialite_settings: Settings) -> None:
    """The watch every browser test uses does see a violation: an injected inline script, style and foreign image
    are blocked by the policy and reported."""
    from gridmap.store.engine import make_engine, upgrade

    upgrade(make_engine(spatialite_settings))
    with live_server(create_app(spatialite_settings)) as base:
        page = browser.new_page()
        watch = PageWatch(page)
        page.goto(base + "/login")
        assert watch.problems == []
        page.evaluate(
            """() => {
                const script = document.createElement("script");
                script.textContent = "window.injected = true";
                document.body.append(script);
                const style = document.createElement("style");
                style.textContent = "body { background: red }";
                document.head.append(style);
                const img = document.createElement("img");
                img.src = "http://192.0.2.1/pixel.png";
                document.body.append(img);
            }"""
        )
        for _ in range(100):
            if len(watch.csp_violations) >= 3:
                break
            page.wait_for_timeout(50)
        found = " ".join(watch.csp_violations)
        assert "script-src" in found and "style-src" in found and "img-src" in found, watch.problems
        assert page.evaluate("() => window.injected") is None  # blocked, not just reported
        page.close()
