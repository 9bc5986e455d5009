"""Shared helpers for browser tests: a live server on an ephemeral port and a page that records failures."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from PIL import Image
from waitress import wasyncore
from waitress.server import create_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1440, "height": 900}
# A page with the case-work modules (/tasks, /cases/<id>) has drawn and has no request in flight.
READY = "() => window.gridmapTest && window.gridmapTest.pageReady && window.gridmapTest.busy === 0"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
# What the third-party scripts put on window: Leaflet (L, leaflet, _leaflet_events), folium's page script
# (L_NO_TOUCH, L_DISABLE_3D and the map's variable map_<hex>), Leaflet.heat (simpleheat) and protomaps-leaflet.
THIRD_PARTY_GLOBALS = re.compile(
    r"L|leaflet|_leaflet_events|L_NO_TOUCH|L_DISABLE_3D|map_[0-9a-f]+|simpleheat|protomapsL"
)


@contextmanager
def live_server(app: Flask) -> Iterator[str]:
    """The app behind waitress — the server ``gridmap serve`` runs — on an ephemeral port."""
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        # Closed from inside the server's own loop (a thunk run by its trigger): closing the sockets from this
        # thread raced the loop's select() on them (EBADF in the server thread).
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(timeout=5)
        server.task_dispatcher.shutdown()
        assert not thread.is_alive(), "the live server did not stop"


def sign_in(page, base: str, username: str, password: str) -> None:
    """Sign in through the sign-in page as a person does; the page's context keeps the session cookie."""
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("#login-form button[type=submit]")
    assert "/login" not in page.url, page.locator(".error-message").all_inner_texts()


def signed_in_context(browser, base: str, username: str, password: str, **options):
    """A browser context (its own cookies) signed in as ``username``; pages made from it share the session."""
    context = browser.new_context(**options)
    page = context.new_page()
    watch = PageWatch(page)
    sign_in(page, base, username, password)
    assert watch.problems == [], watch.problems
    page.close()
    return context


def own_globals(page) -> list[str]:
    """The names the page's own scripts put on window (the map modules: only the test hook ``gridmapTest``)."""
    names = page.evaluate(
        """() => {
            const frame = document.createElement('iframe');
            document.body.appendChild(frame);
            const blank = new Set(Object.getOwnPropertyNames(frame.contentWindow));
            frame.remove();
            return Object.getOwnPropertyNames(window).filter(k => !blank.has(k));
        }"""
    )
    return sorted(n for n in names if not THIRD_PARTY_GLOBALS.fullmatch(n))


# Added to every page a PageWatch watches, before the page's own scripts: each content-security-policy violation
# (an inline script or style without the nonce, an image or a request to another host…) becomes a console error,
# which the watch records as a problem — without putting anything on window (see own_globals).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
    + ` at ${e.sourceFile || e.documentURI}:${e.lineNumber}`);
});
"""


class PageWatch:
    """Collects JavaScript errors, console errors, content-security-policy violations and failed or 5xx requests of a
    page (from its next navigation on)."""

    def __init__(self, page) -> None:
        self.problems: list[str] = []
        page.add_init_script(CSP_LISTENER)
        page.on("pageerror", lambda exc: self.problems.append(f"JS error: {exc}"))
        page.on("console", lambda msg: msg.type == "error" and self.problems.append(f"console: {msg.text}"))
        page.on("requestfailed", self._failed)
        page.on("response", lambda r: r.status >= 500 and self.problems.append(f"HTTP {r.status}: {r.url}"))

    def _failed(self, req) -> None:
        # ERR_ABORTED is the page's own doing: a layer fetch cancelled because the map moved on (its
        # AbortController) or because the test navigated away while it ran. The server's failures show as 5xx
        # responses or as refused/reset/empty connections, which are kept.
        if req.failure != "net::ERR_ABORTED":
            self.problems.append(f"failed request: {req.url} {req.failure}")

    @property
    def csp_violations(self) -> list[str]:
        """The problems that are content-security-policy violations."""
        return [p for p in self.problems if "CSP violation" in p]


def gap_grid_centre(page, base: str) -> tuple[float, float, int]:
    """The centre of the first grid nobody is responsible for, and its id."""
    fc = page.request.get(base + "/api/v1/gaps?kind=grid&format=geojson").json()
    f = fc["features"][0]
    ring = f["geometry"]["coordinates"][0]
    if f["geometry"]["type"] == "MultiPolygon":
        ring = ring[0]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2, f["properties"]["id"]


def draw_polygon(page, lon: float, lat: float, d: float) -> None:
    """Draws a square of half-side ``d`` degrees around a point with Leaflet.draw's polygon tool, as a person does."""
    page.evaluate(f"void window.gridmapTest.map.setView([{lat}, {lon}], 17, {{animate: false}})")
    page.wait_for_timeout(300)
    page.wait_for_function("() => window.gridmapTest.busy === 0", timeout=30_000)
    pts = page.evaluate(
        """([lon, lat, d]) => {
            const m = window.gridmapTest.map, box = m.getContainer().getBoundingClientRect();
            return [[lat - d, lon - d], [lat - d, lon + d], [lat + d, lon + d], [lat + d, lon - d]].map(([y, x]) => {
              const p = m.latLngToContainerPoint([y, x]);
              return [box.left + p.x, box.top + p.y];
            });
        }""",
        [lon, lat, d],
    )
    page.click(".leaflet-draw-draw-polygon")
    for x, y in pts:
        page.mouse.move(x, y)
        page.mouse.click(x, y)
        page.wait_for_timeout(120)
    page.mouse.move(*pts[0])
    page.mouse.click(*pts[0])  # clicking the first vertex closes the polygon


def fits(page, size: dict[str, int]) -> None:
    """No sideways scrolling at this viewport width."""
    assert page.evaluate("() => document.documentElement.scrollWidth") <= size["width"], "horizontal overflow"


def photo_png(colour: str) -> bytes:
    """A real photo-sized PNG (Pillow), as a phone's camera would send one."""
    out = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(out, format="PNG")
    return out.getvalue()


def case_status(page) -> str:
    """The status the case page shows (its machine value)."""
    return page.locator("#case-status").get_attribute("data-status") or ""


def act_on_case(page, step: str, *, note: str | None = None, photo: bytes | None = None) -> None:
    """Take one step on the case page as a person does: its button, its form, confirm; the page reloads."""
    page.click(f"button.step[data-step={step}]")
    form = page.locator(f"form.action-form[data-action={step}]")
    assert form.is_visible() and page.locator("form.action-form:visible").count() == 1  # only its own form
    if note is not None:
        form.locator("textarea[name=note]").fill(note)
    if photo is not None:
        form.locator("input[name=photos]").set_input_files(
            files=[{"name": f"{step}.png", "mimeType": "image/png", "buffer": photo}]
        )
        assert form.locator(".picked").inner_text() == "已选 1 张"
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    page.wait_for_function(READY)


def fill_report(page, description: str, photo: bytes | None = None, mime: str = "image/jpeg") -> None:
    """Fill the 随手拍 form as a citizen does: wait for the phone's (fixed, 12 m) GPS fix, add the photo, find a
    rubbish category by searching, describe."""
    page.wait_for_function("() => document.getElementById('lon').value !== ''")  # the fixed GPS position
    assert "12 米" in page.locator("#position-status").inner_text()  # the accuracy is shown
    if photo:
        name = "p.jpg" if mime == "image/jpeg" else "p.png"
        page.set_input_files("#photos", files=[{"name": name, "mimeType": mime, "buffer": photo}])
        page.wait_for_function("() => document.querySelectorAll('#photo-list img').length === 1")
    page.fill("#category-search", "垃圾")
    page.locator("#category-tree .cat").first.click()
    assert page.locator("#category").input_value()
    page.fill("#description", description)


# Latin words a zh-CN page may show: the product's name, the language switch, time zones, the map library's credit.
LATIN_OK = {"gridmap", "English", "UTC", "Leaflet"}


def english_words(page, *names: str) -> list[str]:
    """The Latin words (three letters or more) in a zh-CN page's visible text — English leaking into the Chinese UI —
    leaving out ``names`` (account names, receipt codes: data, not words of the interface)."""
    text = page.locator("body").inner_text()
    for name in names:
        text = text.replace(name, " ")
    return sorted(set(re.findall(r"\b[A-Za-z]{3,}\b", text)) - LATIN_OK)
