"""Benchmark of the commander's use-cases on the demo city: preview of a drawn shape, gaps, gap totals, heat.

Prints medians and, for the "who is nearest" suggestion, the ratio against a per-gap loop baseline run in the same
process (the vectorised STRtree path must stay well ahead of it).

    .venv/bin/python scripts/bench_command.py [DATABASE_URL]      (default: a fresh SpatiaLite file in /tmp)
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely
from sqlalchemy import func, insert, select

import gridmap  # noqa: F401  (geometry libraries load before SpatiaLite)
from gridmap.catalogue.categories import seed
from gridmap.config import DEMO_DATA_DIR, Settings
from gridmap.geo.crs import metric_epsg_for, transform
from gridmap.imports.demo import database_is_empty, load_demo
from gridmap.maps import heat
from gridmap.responsibility import gaps, places, preview
from gridmap.store.engine import make_engine, make_session_factory, upgrade
from gridmap.store.models import Case


def timed(fn, repeat: int = 5) -> float:
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def nearest_loop(layer, gap_rows: np.ndarray, radius: float) -> int:
    """Baseline: for each gap, distances to every assigned feature (no index)."""
    assigned = np.flatnonzero(layer.unit >= 0)
    epsg = metric_epsg_for(layer.geoms)
    own = transform(layer.geoms[assigned], 4326, epsg)
    found = 0
    for g in transform(layer.geoms[gap_rows], 4326, epsg):
        d = shapely.distance(g, own)
        found += int((d <= radius).any())
    return found


def add_cases(session, n: int) -> None:
    """n synthetic open cases spread over the demo city (the workflow is not under test)."""
    seed(session)
    rng = np.random.default_rng(7)
    now = dt.datetime.now(dt.UTC)
    lon = rng.uniform(111.11, 111.18, n)
    lat = rng.uniform(37.50, 37.56, n)
    rows = [
        {"source": "patrol", "category": "0102", "urgency": "normal", "lon": float(x), "lat": float(y),
         "geom": f"SRID=4326;POINT({x} {y})", "observed_at": now, "created_at": now, "updated_at": now,
         "status": "dispatched", "deadline_at": now}
        for x, y in zip(lon, lat, strict=True)
    ]  # fmt: skip
    session.execute(insert(Case), rows)


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite'}"
    engine = make_engine(Settings(database_url=url))
    upgrade(engine)
    factory = make_session_factory(engine)
    with factory() as s:
        if database_is_empty(s):
            load_demo(s, DEMO_DATA_DIR)
            s.commit()
        if not s.scalar(select(func.count()).select_from(Case)):
            add_cases(s, 20_000)
            s.commit()
        print(f"database: {engine.dialect.name}, cases: {s.scalar(select(func.count()).select_from(Case))}")
        d = 0.004
        cx, cy = 111.1546, 37.5336
        shape = {"type": "Polygon", "coordinates": [[[cx - d, cy - d], [cx + d, cy - d], [cx + d, cy + d],
                                                     [cx - d, cy + d], [cx - d, cy - d]]]}  # fmt: skip
        n = len(preview.preview(s, shape)["features"])
        print(f"preview (800 m box, {n} features caught): {1000 * timed(lambda: preview.preview(s, shape)):.1f} ms")
        print(f"gaps (all kinds, with nearest units): {1000 * timed(lambda: gaps.find_gaps(s), 3):.0f} ms")
        print(f"gap totals per 街道/社区: {1000 * timed(lambda: gaps.summary(s), 3):.0f} ms")
        for mode in heat.MODES:
            print(
                f"heat mode={mode}: {1000 * timed(lambda m=mode: heat.heat(s, {'mode': m, 'status': 'all'}), 3):.0f} ms"
            )
        areas = places.load_areas(s)
        layer = places.load_layer(s, "segment", dt.date.today(), areas)
        rows = np.flatnonzero(layer.unit < 0)
        fast = timed(lambda: gaps._nearest_units(layer, rows, gaps.NEAREST_M), 3)
        slow = timed(lambda: nearest_loop(layer, rows, gaps.NEAREST_M), 1)
        print(
            f"nearest units for {len(rows)} segment gaps: STRtree {1000 * fast:.0f} ms vs per-gap loop "
            f"{1000 * slow:.0f} ms → {slow / fast:.1f}× faster"
        )
    engine.dispose()


if __name__ == "__main__":
    main()
