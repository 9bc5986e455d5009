"""Benchmark: the coverage map of the demo city in headless Chromium — time to interactive and bytes transferred.

Our page (``/map``: folium shell + layers fetched from ``/ogc`` by bbox/zoom, canvas renderer) is measured beside
the same map built the folium-default way (every layer inlined with ``folium.GeoJson``, SVG renderer; assets local
too, so the baseline is not penalised by CDNs). Each page is loaded ``--runs`` times in a fresh browser context
(empty cache); the median is printed with the ratio baseline / ours.

Time to interactive: ours = ``performance.now()`` when the map script sets ``window.gridmapTest.ready`` (first
layers drawn); baseline = after the ``load`` event and two animation frames (inline layers are drawn by then).
Bytes: the sum of ``encodedDataLength`` of every response (what went over the wire, gzip included).

    .venv/bin/python scripts/bench_map.py [--runs 5] [--database-url sqlite:////tmp/demo.sqlite]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import gridmap  # noqa: F401  (geometry libraries before SpatiaLite)
from gridmap.config import DEMO_DATA_DIR, Settings
from gridmap.imports.demo import database_is_empty, load_demo
from gridmap.maps.layers import ItemsQuery, city_extent, query_items
from gridmap.store.engine import make_engine, make_session_factory, session_scope, upgrade
from gridmap.web import create_app
from gridmap.web.foliummap import make_map
from tests.browser import CHROMIUM, CHROMIUM_ARGS  # the same browser set-up as the browser tests

TARGET_S = 1.5
TARGET_MB = 1.5
STATE_COLORS = {"assigned": "#2e7d32", "ending": "#f59f00", "unassigned": "#d7263d"}


def baseline_html(settings: Settings) -> str:
    """The coverage map the folium-default way: all layers inlined as GeoJSON (local assets)."""
    import folium

    factory = make_session_factory(make_engine(settings))
    with factory() as session:
        bbox = city_extent(session)
        m = make_map(settings, prefer_canvas=False)
        for cid in ("streets", "communities", "grids", "compounds", "segments"):
            page = query_items(session, cid, ItemsQuery(limit=10_000))
            fc = {"type": "FeatureCollection", "features": page.features}
            boundary = cid in ("streets", "communities")

            def style(f, boundary=boundary):
                if boundary:
                    return {"color": "#5c3c92", "weight": 2, "fill": False}
                c = STATE_COLORS.get(f["properties"].get("responsibility"), "#555")
                return {"color": c, "weight": 1.5, "fillColor": c, "fillOpacity": 0.3}

            folium.GeoJson(fc, name=cid, style_function=style).add_to(m)
        folium.LayerControl().add_to(m)
        if bbox:
            m.fit_bounds([[bbox[1], bbox[0]], [bbox[3], bbox[2]]])
    return m.get_root().render()


def measure(browser, url: str, ready_js: str) -> tuple[float, int, list[str]]:
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    page = ctx.new_page()
    cdp = ctx.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    sizes: dict[str, float] = {}
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    hosts: list[str] = []
    page.on("request", lambda r: hosts.append(r.url))
    page.goto(url, wait_until="commit")
    t = page.evaluate(ready_js)
    page.wait_for_timeout(200)  # let the last loadingFinished events arrive
    total = int(sum(sizes.values()))
    ctx.close()
    return float(t) / 1000.0, total, hosts


OURS_READY = """() => new Promise(resolve => {
  const check = () => window.gridmapTest?.ready ? resolve(performance.now()) : setTimeout(check, 5);
  check();
})"""
BASELINE_READY = """() => new Promise(resolve => {
  const after = () => requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now())));
  if (document.readyState === 'complete') after(); else window.addEventListener('load', after);
})"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--database-url", default="", help="a store holding the demo city (default: a fresh temp one)")
    args = ap.parse_args()
    import logging

    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    tmp = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite:///{tmp.name}/bench.sqlite"
    settings = Settings(database_url=url, instance_dir=Path(tmp.name))
    engine = make_engine(settings)
    upgrade(engine)
    with session_scope(make_session_factory(engine)) as s:
        if database_is_empty(s):
            print("loading the demo city…", file=sys.stderr)
            load_demo(s, DEMO_DATA_DIR, with_reports=True)
    app = create_app(settings)
    html = baseline_html(settings)
    app.add_url_rule("/bench/baseline", "bench_baseline", lambda: html)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    results: dict[str, tuple[list[float], list[int]]] = {}
    foreign: set[str] = set()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            measure(browser, base + "/map", OURS_READY)  # warm the server and the browser once
            for name, path, ready in (("ours", "/map", OURS_READY), ("baseline", "/bench/baseline", BASELINE_READY)):
                times, sizes = [], []
                for _ in range(args.runs):
                    t, n, urls = measure(browser, base + path, ready)
                    times.append(t)
                    sizes.append(n)
                    foreign |= {u for u in urls if not u.startswith(base) and not u.startswith("data:")}
                results[name] = (times, sizes)
            browser.close()
    finally:
        server.shutdown()
    ours_t, ours_b = statistics.median(results["ours"][0]), statistics.median(results["ours"][1])
    base_t, base_b = statistics.median(results["baseline"][0]), statistics.median(results["baseline"][1])
    load = os.getloadavg()[0]
    print(f"coverage map of the demo city, headless Chromium, median of {args.runs} cold loads (load avg {load:.1f})")
    print(f"{'':34}{'time to interactive':>22}{'bytes transferred':>20}")
    print(f"{'gridmap /map (fetch by bbox+zoom)':34}{ours_t:>20.3f} s{ours_b / 1e6:>17.3f} MB")
    print(f"{'folium default (all inlined)':34}{base_t:>20.3f} s{base_b / 1e6:>17.3f} MB")
    print(f"{'ratio baseline / ours':34}{base_t / ours_t:>21.2f}×{base_b / ours_b:>19.2f}×")
    ok_t, ok_b = ours_t < TARGET_S, ours_b / 1e6 < TARGET_MB
    print(f"targets: < {TARGET_S} s {'met' if ok_t else 'MISSED'}; < {TARGET_MB} MB {'met' if ok_b else 'MISSED'}")
    if foreign:
        print("requests to other hosts (must be none):", sorted(foreign))
        return 1
    return 0 if ok_t and ok_b else 2


if __name__ == "__main__":
    sys.exit(main())
