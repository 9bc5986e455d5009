#!/usr/bin/env python
"""Benchmark the map at city scale (not a test): vector tiles against the GeoJSON layer path, and /map in Chromium.

    python scripts/bench_tiles.py [--sizes 1,8] [--big] [--tiles 40] [--runs 3] [--databases spatialite,postgis]
                                  [--postgis postgresql+psycopg://postgres@127.0.0.1/postgres] [--no-browser]
                                  [--cases-per-copy 5000]

The demo city of ``data/boundaries`` is tiled side by side 1×, 8× (and 40× with ``--big``) as in
``scripts/bench_routing.py`` (each copy a district of its own, with units and an assignment history), loaded into a
temporary SpatiaLite file and a temporary PostGIS database (dropped afterwards). For each size and database:

* tiles: ``--tiles`` random tiles at z12, z14 and z16 around random road segments, per tiled layer, fetched through
  the HTTP API (Flask test client, gzip accepted; the server's tile cache emptied before each: every tile rendered):
  p50/p95 ms, p95 KiB raw and as sent (gzip) — beside the old
  GeoJSON path for the same boxes (``/ogc/collections/{id}/items?bbox=…&zoom=…``, one 5,000-feature page), with the
  ratio items / tile;
* /map in headless Chromium (``--runs`` cold loads, median; ``--cases-per-copy`` open cases, 5,000 a copy: the
  cases layer and the menu's queue badge of the commander signed in have them to show): time until the map is
  drawn and every request has ended, and the bytes transferred — beside the same page drawing every layer as
  GeoJSON (the path before tiles).

Targets (issue 16, on the 40× city): tiles at z >= 14 p95 < 50 ms and < 100 KiB, every zoom < 500 KiB; /map first
view < 1.5 s and < 1.5 MB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_routing import load_city, tiled_demo_city  # noqa: E402
from make_cases import make_cases  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

import gridmap  # noqa: E402,F401  (geometry libraries before SpatiaLite)
from gridmap.accounts import registry  # noqa: E402
from gridmap.accounts.actor import cli_actor  # noqa: E402
from gridmap.catalogue.categories import seed  # noqa: E402
from gridmap.config import DEMO_DATA_DIR, Settings  # noqa: E402
from gridmap.maps.layers import city_extent  # noqa: E402
from gridmap.store.engine import make_engine, make_session_factory, session_scope, upgrade  # noqa: E402
from gridmap.tiles.cache import TILES  # noqa: E402
from gridmap.tiles.layers import TILE_LAYERS  # noqa: E402
from gridmap.tiles.quad import tile_bounds_lonlat, tile_of  # noqa: E402

ZOOMS = (12, 14, 16)
LAYERS = ("segments", "compounds", "grids", "communities")
TILE_P95_MS, TILE_KIB, ANY_KIB = 50.0, 100.0, 500.0
MAP_S, MAP_MB = 1.5, 1.5


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def bench_tiles(client, city, n_tiles: int, seed: int = 7) -> None:
    """Tiles and the GeoJSON items for the same boxes, per zoom and layer."""
    rng = np.random.default_rng(seed)
    segs = city["segments"].geometry.values
    pts = shapely.get_coordinates(shapely.point_on_surface(segs[rng.choice(len(segs), n_tiles)]))
    gz = {"Accept-Encoding": "gzip"}
    print(f"  {'zoom layer':<18}{'tile p50':>9}{'p95 ms':>8}{'p95 KiB':>9}{'gzip':>7}"
          f"{'items p50':>11}{'p95 ms':>8}{'p95 KiB':>9}{'gzip':>7}{'ratio p95':>10}  target")  # fmt: skip
    for z in ZOOMS:
        for cid in LAYERS:
            if z < TILE_LAYERS[cid].min_zoom:
                print(f"  z{z} {cid:<14}{'(below its minimum zoom ' + str(TILE_LAYERS[cid].min_zoom) + ': empty)':>40}")
                continue
            t_ms, t_kib, t_gz, i_ms, i_kib, i_gz = [], [], [], [], [], []
            for lon, lat in pts:
                x, y = tile_of(float(lon), float(lat), z)
                url = f"/ogc/collections/{cid}/tiles/WebMercatorQuad/{z}/{y}/{x}"
                TILES.clear()  # a tile nobody asked for yet: read and encoded (a kept one costs ~1 ms)
                t0 = time.perf_counter()
                r = client.get(url, headers=gz)
                t_ms.append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200, (url, r.status_code)
                sent = r.data
                raw = gzip.decompress(sent) if r.headers.get("Content-Encoding") == "gzip" else sent
                t_kib.append(len(raw) / 1024)
                t_gz.append(len(sent) / 1024)
                box = ",".join(f"{v:.6f}" for v in tile_bounds_lonlat(z, x, y))
                t0 = time.perf_counter()
                r = client.get(f"/ogc/collections/{cid}/items?bbox={box}&zoom={z}&limit=5000", headers=gz)
                i_ms.append((time.perf_counter() - t0) * 1000)
                sent = r.data
                raw = gzip.decompress(sent) if r.headers.get("Content-Encoding") == "gzip" else sent
                i_kib.append(len(raw) / 1024)
                i_gz.append(len(sent) / 1024)
            p95, kib = _pct(t_ms, 95), _pct(t_kib, 95)
            ok = kib < ANY_KIB and (z < 14 or (p95 < TILE_P95_MS and kib < TILE_KIB))
            print(f"  z{z} {cid:<14}{_pct(t_ms, 50):>9.1f}{p95:>8.1f}{kib:>9.1f}{_pct(t_gz, 95):>7.1f}"
                  f"{_pct(i_ms, 50):>11.1f}{_pct(i_ms, 95):>8.1f}{_pct(i_kib, 95):>9.1f}{_pct(i_gz, 95):>7.1f}"
                  f"{_pct(i_ms, 95) / p95:>9.1f}×  {'met' if ok else 'MISSED'}")  # fmt: skip


def add_baseline_page(app) -> None:
    """/bench/geojson-map: the coverage page as before the tiles (no layer named in config.tiles: all GeoJSON)."""
    from gridmap.web.auth import signed_in
    from gridmap.web.pages.maps import render_map_page
    from gridmap.web.session import db_session

    @signed_in
    def geojson_map():
        box = city_extent(db_session())
        return render_map_page("map_coverage.html", zoom=13, at=None, today=dt.date.today(),
                               config={"at": None, "page": "coverage", "fitBounds": box})  # fmt: skip

    app.add_url_rule("/bench/geojson-map", "bench_geojson_map", geojson_map)


def bench_browser(app, token: str, runs: int) -> None:
    """/map (tiles) and the same page with every layer as GeoJSON, cold loads in headless Chromium."""
    import logging

    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"

    def measure(browser, path: str) -> tuple[float, int]:
        ctx = browser.new_context(viewport={"width": 1400, "height": 900},
                                  extra_http_headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        page = ctx.new_page()
        cdp = ctx.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        sizes: dict[str, float] = {}
        inflight: set[str] = set()
        last = [time.perf_counter()]

        def started(e):
            inflight.add(e["requestId"])

        def ended(e, size: bool = True):
            inflight.discard(e["requestId"])
            if size:
                sizes[e["requestId"]] = e.get("encodedDataLength", 0)
            last[0] = time.perf_counter()

        cdp.on("Network.requestWillBeSent", started)
        cdp.on("Network.loadingFinished", ended)
        cdp.on("Network.loadingFailed", lambda e: ended(e, False))
        t0 = time.perf_counter()
        page.goto(base + path, wait_until="commit")
        page.wait_for_function("() => window.gridmapTest?.ready === true", timeout=120_000)
        while inflight or time.perf_counter() - last[0] < 0.3:  # quiet for 300 ms: every tile is in
            page.wait_for_timeout(50)
        took = last[0] - t0
        ctx.close()
        return took, int(sum(sizes.values()))

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            measure(browser, "/map")  # warm the server and the browser once
            res = {}
            for name, path in (("tiles", "/map"), ("geojson", "/bench/geojson-map")):
                got = [measure(browser, path) for _ in range(runs)]
                res[name] = (statistics.median(t for t, _ in got), statistics.median(b for _, b in got))
            browser.close()
    finally:
        server.shutdown()
    (tt, tb), (gt, gb) = res["tiles"], res["geojson"]
    ok = tt < MAP_S and tb / 1e6 < MAP_MB
    print(f"  /map first view, Chromium, median of {runs}: tiles {tt:.2f} s {tb / 1e6:.2f} MB; "
          f"GeoJSON layers {gt:.2f} s {gb / 1e6:.2f} MB; ratio {gt / tt:.1f}× time, {gb / max(tb, 1):.1f}× bytes "
          f"(target < {MAP_S} s and < {MAP_MB} MB: {'met' if ok else 'MISSED'})")  # fmt: skip


def run(label: str, url: str, city, args) -> None:
    from gridmap.web import create_app
    from gridmap.web.state import app_state

    tmp = tempfile.TemporaryDirectory()
    settings = Settings(database_url=url, instance_dir=Path(tmp.name))
    engine = make_engine(settings)
    upgrade(engine)
    factory = make_session_factory(engine)
    t0 = time.perf_counter()
    with session_scope(factory) as session:
        counts = load_city(session, city)
        registry.create_account(session, cli_actor(), username="bench", name="bench", role="commander",
                                password="bench-password-1", hash_password=lambda _p: "!")  # fmt: skip
        token, _ = registry.create_token(session, cli_actor(), "bench")
        seed(session)
    if args.cases:  # open cases: the cases layer and the menu's queue badge (a commander's) have them to show
        make_cases(settings, args.cases, active=1.0, years=0.5, chunk=200_000, seed_=1)
    with engine.connect() as conn:  # fresh statistics, as a database in service has them (autovacuum)
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    engine.dispose()
    load = os.getloadavg()[0]
    took = time.perf_counter() - t0
    print(f" {label}: loaded {counts} in {took:.1f} s (load average {load:.1f} on {os.cpu_count()} cores)")
    app = create_app(settings)
    add_baseline_page(app)
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    bench_tiles(client, city, args.tiles)
    if not args.no_browser:
        bench_browser(app, token, args.runs)
    app_state(app).engine.dispose()
    tmp.cleanup()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1,8", help="copies of the demo city, comma separated")
    ap.add_argument("--big", action="store_true", help="add the 40× city (slow to load: minutes per database)")
    ap.add_argument("--tiles", type=int, default=40, help="random tiles per zoom and layer")
    ap.add_argument("--runs", type=int, default=3, help="cold /map loads per page in Chromium")
    ap.add_argument("--postgis", default="postgresql+psycopg://postgres@127.0.0.1/postgres")
    ap.add_argument("--databases", default="spatialite,postgis", help="which of spatialite,postgis to run")
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--cases-per-copy", type=int, default=5000, help="open cases per copy of the demo city")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()] + ([40] if args.big else [])
    for size in sizes:
        base = tiled_demo_city(DEMO_DATA_DIR, {"segments": 1})
        assert base is not None, f"the demo city is not in {DEMO_DATA_DIR}"
        city = tiled_demo_city(DEMO_DATA_DIR, {"segments": len(base["segments"]) * size})
        assert city is not None
        print(f"{size}× the demo city: {len(city['segments'])} segments, {len(city['compounds'])} compounds, "
              f"{len(city['grids'])} grids, {len(city['communities'])} communities")  # fmt: skip
        args.cases = args.cases_per_copy * size
        if "spatialite" in args.databases:
            with tempfile.TemporaryDirectory() as tmp:
                run("SpatiaLite", f"sqlite:///{tmp}/bench.sqlite", city, args)
        if "postgis" not in args.databases:
            continue
        name = f"gridmap_bench_tiles_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.postgis, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            run("PostGIS", make_url(args.postgis).set(database=name).render_as_string(hide_password=False), city, args)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
