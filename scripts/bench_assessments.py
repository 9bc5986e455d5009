"""Benchmark: a mock-assessment draw of 100 points from 500, 5,000 and 50,000 candidates (issue 14: < 1 s at 5,000).

Two figures per size:

* the draw itself, in memory (:func:`gridmap.assessments.drawing.pick`: exclusion, quotas, allocation across 街道 by
  largest remainder, the stratified selection by seeded keys, the teams' routes), against a baseline run in the same
  process on the same candidates: a naive per-stratum draw in pure Python — group by (type, 街道) in a dict, allocate
  by rounding, ``random.Random(seed).sample`` per stratum (no exclusion, no routes);
* end to end on a fresh SpatiaLite file holding that many candidates (7 街道, 70 社区, the candidates as places of
  eight kinds, a quarter of them drawn last week): :func:`gridmap.assessments.drawing.draw` reading the candidates
  from the store, excluding, drawing, storing the 100 points and the audit entry, committed.

    .venv/bin/python scripts/bench_assessments.py [--sizes 500 5000 50000] [--repeat 5] [--postgis URL]

``--postgis postgresql+psycopg://postgres@127.0.0.1/postgres`` runs the end-to-end draws on temporary PostGIS
databases on that server too (dropped afterwards).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from sqlalchemy import create_engine, make_url, text

import gridmap  # noqa: F401  (geometry libraries before SpatiaLite)
from gridmap.accounts.actor import cli_actor
from gridmap.assessments.candidates import Candidates, load_candidates
from gridmap.assessments.drawing import DrawRequest, draw, excluded_targets, pick
from gridmap.assessments.sampling import stratified_draw
from gridmap.config import Settings
from gridmap.store.bulk_writes import write_features
from gridmap.store.engine import make_engine, make_session_factory, session_scope, upgrade
from gridmap.store.models import PlaceKind

KINDS = [k.value for k in PlaceKind]
QUOTAS = {
    "market": 20,
    "park": 15,
    "site": 10,
    "school": 15,
    "commercial": 15,
    "hospital": 10,
    "station": 5,
    "hall": 10,
}  # fmt: skip  (100 points)
DAY = dt.date(2026, 12, 5)


def synthetic(n: int, rng: np.random.Generator) -> Candidates:
    types = np.array(KINDS, dtype="U16")[rng.integers(0, len(KINDS), n)]
    streets = rng.integers(1, 8, n).astype(np.int64)
    c = Candidates(types, streets, np.array(["place"] * n, dtype="U8"), np.arange(1, n + 1, dtype=np.int64),
                   111.10 + rng.random(n) * 0.1, 37.48 + rng.random(n) * 0.08, np.array([f"点{i}" for i in range(n)],
                   dtype=object))  # fmt: skip
    return c.sorted()


def naive(c: Candidates, quotas: dict[str, int], seed: int) -> list[int]:
    """The baseline: strata in a dict, allocation by rounding, random.sample per stratum (pure Python)."""
    strata: dict[tuple[str, int], list[int]] = {}
    for t, s, i in zip(c.types.tolist(), c.streets.tolist(), c.ids.tolist(), strict=True):
        strata.setdefault((t, s), []).append(i)
    rnd = random.Random(seed)
    out: list[int] = []
    for t, q in quotas.items():
        mine = {k: v for k, v in strata.items() if k[0] == t}
        total = sum(len(v) for v in mine.values())
        for ids in mine.values():
            out += rnd.sample(ids, min(len(ids), round(q * len(ids) / total)))
    return out


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def fresh_store(url: str, folder: Path, n: int, rng: np.random.Generator) -> Settings:
    settings = Settings(database_url=url, instance_dir=folder)
    engine = make_engine(settings)
    upgrade(engine)
    x0, y0, w, h = 111.10, 37.48, 0.1 / 7, 0.08
    streets = [shapely.box(x0 + k * w, y0, x0 + (k + 1) * w, y0 + h) for k in range(7)]
    comms = [shapely.box(x0 + k * w, y0 + j * h / 10, x0 + (k + 1) * w, y0 + (j + 1) * h / 10)
             for k in range(7) for j in range(10)]  # fmt: skip
    lon, lat = x0 + rng.random(n) * 0.1 * 0.999, y0 + rng.random(n) * h * 0.999
    with session_scope(make_session_factory(engine), writes=True) as s:
        district = [shapely.box(x0, y0, x0 + 0.1, y0 + h)]
        write_features(
            s, "districts", gpd.GeoDataFrame({"code": ["141102"], "name": ["区"]}, geometry=district, crs=4326)
        )
        write_features(s, "streets", gpd.GeoDataFrame(
            {"code": [f"141102{k + 1:03d}" for k in range(7)], "name": [f"街道{k}" for k in range(7)],
             "district_code": ["141102"] * 7}, geometry=streets, crs=4326))  # fmt: skip
        write_features(s, "communities", gpd.GeoDataFrame(
            {"code": [f"141102{k + 1:03d}{j + 1:03d}" for k in range(7) for j in range(10)],
             "name": [f"社区{k}-{j}" for k in range(7) for j in range(10)],
             "street_code": [f"141102{k + 1:03d}" for k in range(7) for _ in range(10)]},
            geometry=comms, crs=4326))  # fmt: skip
        write_features(s, "places", gpd.GeoDataFrame(
            {"ext_id": [f"P{i}" for i in range(n)], "name": [f"点{i}" for i in range(n)],
             "kind": np.array(KINDS)[rng.integers(0, len(KINDS), n)]},
            geometry=shapely.points(lon, lat), crs=4326))  # fmt: skip
    with session_scope(make_session_factory(engine), writes=True) as s:  # last week's draw, to exclude
        last = DrawRequest(points=max(8, n // 4), quotas={}, exclude_weeks=0, seed=1, teams=4, title="上周",
                           drawn_on=DAY - dt.timedelta(days=7))  # fmt: skip
        draw(s, last, cli_actor())
    engine.dispose()
    return settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5000, 50000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgis", default=None, help="PostgreSQL server URL: also end to end on temporary databases")
    parser.add_argument("--no-spatialite", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(14)
    request = DrawRequest(points=100, quotas=QUOTAS, exclude_weeks=2, seed=20261205, teams=4, title="bench",
                          drawn_on=DAY)  # fmt: skip
    print("in memory, same candidates, median of", args.repeat, "(ms):")
    print("  selection = stratified_draw (allocation by largest remainder + keyed selection); baseline = naive")
    print("  per-stratum random.sample in pure Python; pick = selection + exclusion + quota checks + 4 teams' walks")
    for n in args.sizes:
        c = synthetic(n, rng)
        sel = best(lambda c=c: stratified_draw(c.types, c.streets, QUOTAS, 20261205), args.repeat)
        base = best(lambda c=c: naive(c, QUOTAS, 1), args.repeat)
        whole = best(lambda c=c: pick(c, set(), request), args.repeat)
        print(f"  {n:>6,} candidates: selection {sel * 1000:6.1f}  baseline {base * 1000:6.1f}  "
              f"ratio {sel / base:5.2f}×   pick {whole * 1000:6.1f}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="gridmap-bench-assess-") as tmp:
        if not args.no_spatialite:
            end_to_end("SpatiaLite", lambda n: f"sqlite:///{tmp}/bench-{n}.sqlite", Path(tmp), request, rng, args)
        if args.postgis:
            admin = create_engine(args.postgis, isolation_level="AUTOCOMMIT")
            prefix = f"gridmap_bench_assess_{uuid.uuid4().hex[:8]}"
            made: list[str] = []

            def pg(n: int) -> str:
                made.append(f"{prefix}_{n}")
                with admin.connect() as conn:
                    conn.execute(text(f'CREATE DATABASE "{made[-1]}"'))
                return make_url(args.postgis).set(database=made[-1]).render_as_string(hide_password=False)

            try:
                end_to_end("PostGIS", pg, Path(tmp), request, rng, args)
            finally:
                with admin.connect() as conn:
                    for name in made:
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()


def end_to_end(
    label: str, url_of: Callable[[int], str], tmp: Path, request: DrawRequest, rng: np.random.Generator, args
) -> None:
    print(f"end to end on {label}: draw() reads the candidates, excludes last week's, draws 100, stores, commits")
    for n in args.sizes:
        settings = fresh_store(url_of(n), tmp, n, rng)
        engine = make_engine(settings)
        factory = make_session_factory(engine)
        times, loads = [], []
        for k in range(args.repeat):
            with session_scope(factory) as s:
                t0 = time.perf_counter()
                load_candidates(s)
                excluded_targets(s, DAY, 2)
                loads.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            with session_scope(factory, writes=True) as s:
                draw(s, DrawRequest(**{**request.__dict__, "seed": 100 + k, "exclude_weeks": 0}), cli_actor())
            times.append(time.perf_counter() - t0)
        engine.dispose()
        print(f"  {n:>6,} candidates: {statistics.median(times) * 1000:7.1f} ms per draw "
              f"(reading the candidates and last draws: {statistics.median(loads) * 1000:.1f} ms)")  # fmt: skip


if __name__ == "__main__":
    main()
