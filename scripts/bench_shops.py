"""Benchmark: 门前五包 frontages and monthly scoring at 1k / 10k / 50k shops.

1. Frontage derivation (pure geometry, :func:`gridmap.geo.frontage.frontages`): shops on both sides of a street
   lattice (one road segment per 4 shops on average), vectorised over all shops at once, against a baseline run in
   the same process: the same rules shop by shop with scalar shapely calls (project, interpolate, a Python sort
   of each segment side's shops, one Polygon per shop) — and the two answers compared.
2. Matching a month's cases (2 per shop) to the frontage holding them (:func:`gridmap.geo.frontage.containing`,
   one STRtree query for all) against a per-case loop (an STRtree query and an ``intersects`` per case).
3. End to end on a fresh SpatiaLite file: placing every shop (`gridmap shops place`: nearest segment, frontage,
   write) and scoring the month (`gridmap shops score`: read frontages and cases, deduct, rank, flag, write).

    .venv/bin/python scripts/bench_shops.py [--sizes 1000,10000,50000] [--no-db]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import shapely

import gridmap  # noqa: F401  (geometry libraries before SpatiaLite)
from gridmap.geo.frontage import MIN_DEPTH_M, containing, frontages

HALF = 8.0  # metres, centre-line to kerb
MAX_SIDE = 30.0


def lattice(n_shops: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Road segments of 120 m on a lattice (in metres), and ``n_shops`` shops beside them (12–20 m off)."""
    n_seg = max(1, n_shops // 4)
    side = int(np.ceil(np.sqrt(n_seg)))
    k = np.arange(n_seg)
    x0, y0 = (k % side) * 150.0, (k // side) * 150.0
    lines = shapely.linestrings(np.stack([np.column_stack([x0, y0]), np.column_stack([x0 + 120.0, y0 + 5.0])], 1))
    seg = rng.integers(0, n_seg, n_shops)
    along = rng.uniform(0, 1, n_shops)
    base = shapely.get_coordinates(shapely.line_interpolate_point(lines[seg], along, normalized=True))
    off = rng.choice([-1.0, 1.0], n_shops) * rng.uniform(12, 20, n_shops)
    return lines, base + np.column_stack([np.zeros(n_shops), off]), seg


def baseline_frontages(points: np.ndarray, lines: np.ndarray, segment: np.ndarray) -> list[shapely.Polygon]:
    """The same rules, one shop at a time with scalar shapely (what a per-feature loop would do)."""
    n = len(points)
    s = np.empty(n)
    foot = np.empty((n, 2))
    t = np.empty((n, 2))
    side = np.empty(n)
    dist = np.empty(n)
    for i in range(n):
        line, p = lines[segment[i]], shapely.Point(points[i])
        s[i] = line.project(p)
        f = line.interpolate(s[i])
        a, b = line.interpolate(max(s[i] - 0.5, 0.0)), line.interpolate(min(s[i] + 0.5, line.length))
        tx, ty = b.x - a.x, b.y - a.y
        norm = (tx * tx + ty * ty) ** 0.5 or 1.0
        t[i] = tx / norm, ty / norm
        foot[i] = f.x, f.y
        rx, ry = p.x - f.x, p.y - f.y
        side[i] = 1.0 if t[i, 0] * ry - t[i, 1] * rx >= 0 else -1.0
        dist[i] = (rx * rx + ry * ry) ** 0.5
    groups: dict[tuple[int, float], list[int]] = defaultdict(list)
    for i in range(n):
        groups[(int(segment[i]), side[i])].append(i)
    out: list[shapely.Polygon] = [shapely.Polygon()] * n
    for members in groups.values():
        members.sort(key=lambda i: s[i])
        for j, i in enumerate(members):
            lo, hi = s[i] - MAX_SIDE, s[i] + MAX_SIDE
            if j:
                lo = max(lo, (s[members[j - 1]] + s[i]) / 2)
            if j + 1 < len(members):
                hi = min(hi, (s[members[j + 1]] + s[i]) / 2)
            lo, hi = max(lo, 0.0), min(hi, lines[segment[i]].length)
            near, far = min(dist[i], HALF), max(dist[i], HALF)
            far = max(far, near + MIN_DEPTH_M)
            nx, ny = -t[i, 1] * side[i], t[i, 0] * side[i]
            ring = []
            for along, depth in ((lo, near), (hi, near), (hi, far), (lo, far)):
                ring.append((foot[i, 0] + (along - s[i]) * t[i, 0] + depth * nx,
                             foot[i, 1] + (along - s[i]) * t[i, 1] + depth * ny))  # fmt: skip
            out[i] = shapely.Polygon(ring)
    return out


def baseline_containing(points: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    tree = shapely.STRtree(polygons)
    found = np.full(len(points), -1, dtype=np.int64)
    for i, (x, y) in enumerate(points):
        p = shapely.Point(x, y)
        hits = [int(k) for k in tree.query(p) if polygons[k].intersects(p)]
        found[i] = min(hits) if hits else -1
    return found


def timed(fn, *args):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - started


def geometry(n: int) -> None:
    rng = np.random.default_rng(n)
    lines, points, seg = lattice(n, rng)
    fast, t_fast = timed(lambda: frontages(points, lines, seg, half_width=HALF, max_side=MAX_SIDE))
    slow, t_slow = timed(baseline_frontages, points, lines, seg)
    same = np.abs(shapely.area(fast) - shapely.area(np.asarray(slow, dtype=object))).max()
    print(f"frontages  {n:>6} shops: vectorised {t_fast * 1e3:8.1f} ms ({n / t_fast:>9,.0f}/s) | per-shop "
          f"baseline {t_slow * 1e3:8.1f} ms | ×{t_slow / t_fast:5.1f} | max area difference {same:.1e} m²")  # fmt: skip
    cases = np.vstack([shapely.get_coordinates(shapely.centroid(fast[rng.integers(0, n, n)])),
                       rng.uniform(points.min(0), points.max(0), (n, 2))])  # fmt: skip
    hit, t_hit = timed(containing, cases, fast)
    hit0, t_hit0 = timed(baseline_containing, cases, fast)
    assert (hit == hit0).all()
    inside = int((hit >= 0).sum())
    print(f"cases→shop {2 * n:>6} cases: vectorised {t_hit * 1e3:8.1f} ms ({2 * n / t_hit:>9,.0f}/s) | per-case "
          f"baseline {t_hit0 * 1e3:8.1f} ms | ×{t_hit0 / t_hit:5.1f} | {inside} inside a frontage")  # fmt: skip


def database(n: int) -> None:
    """Place ``n`` shops and score a month with 2n cases on a fresh SpatiaLite file."""
    import geopandas as gpd
    from geoalchemy2.elements import WKTElement
    from sqlalchemy import insert, select

    from gridmap.catalogue.categories import seed
    from gridmap.config import Settings
    from gridmap.geo.crs import transform
    from gridmap.shops.placement import place
    from gridmap.shops.scoring import score_month
    from gridmap.store.bulk_writes import write_features
    from gridmap.store.dialect import wkb
    from gridmap.store.engine import make_engine, make_session_factory, session_scope, upgrade
    from gridmap.store.models import Case, Shop

    rng = np.random.default_rng(n + 1)
    lines, points, _ = lattice(n, rng)
    utm, x0, y0 = 32649, 500_000.0, 4_150_000.0
    shift = lambda g: shapely.transform(g, lambda xy: xy + np.array([x0, y0]))  # noqa: E731
    lines_ll = transform(shift(lines), utm, 4326)
    pts_ll = shapely.get_coordinates(transform(shift(shapely.points(points)), utm, 4326))
    with tempfile.TemporaryDirectory(prefix="bench-shops-") as tmp:
        settings = Settings(database_url=f"sqlite:///{Path(tmp) / 'g.sqlite'}", instance_dir=Path(tmp))
        engine = make_engine(settings)
        upgrade(engine)
        factory = make_session_factory(engine)
        now = dt.datetime.now(dt.UTC)
        with session_scope(factory) as s:
            seed(s)
            gdf = gpd.GeoDataFrame({"name": [f"商业街{i}" for i in range(len(lines))], "level": "secondary"},
                                   geometry=lines_ll, crs=4326)  # fmt: skip
            write_features(s, "segments", gdf)
            s.execute(insert(Shop), [{"name": f"店{i}", "lon": float(x), "lat": float(y), "updated_at": now,
                                      "geom": WKTElement(f"POINT({x!r} {y!r})", srid=4326)}
                                     for i, (x, y) in enumerate(pts_ll.tolist())])  # fmt: skip
        with session_scope(factory) as s:
            _, t_place = timed(place, s, None)
        with session_scope(factory) as s:
            from sqlalchemy import select

            from gridmap.store.dialect import wkb

            fronts = shapely.from_wkb([bytes(b) for b in s.scalars(select(wkb(Shop.frontage)).order_by(Shop.id))])
            inside = shapely.get_coordinates(shapely.centroid(fronts[rng.integers(0, n, n)]))
            spread = rng.uniform(pts_ll.min(0), pts_ll.max(0), (n, 2))
            cats = np.asarray(["0102", "0104", "0504", "0505", "0201", "0401"])[rng.integers(0, 6, 2 * n)]
            at = dt.datetime(2026, 11, 10, 2, tzinfo=dt.UTC)
            s.execute(insert(Case), [
                {"source": "patrol", "category": str(c), "urgency": "normal", "lon": float(x), "lat": float(y),
                 "geom": WKTElement(f"POINT({x!r} {y!r})", srid=4326), "observed_at": at, "created_at": at,
                 "updated_at": at, "status": "open", "ambiguous": False, "paused_seconds": 0.0,
                 "extension_count": 0, "rework_count": 0, "supervision_level": 0, "version": 1, "verified": False}
                for (x, y), c in zip(np.vstack([inside, spread]).tolist(), cats.tolist(), strict=True)
            ])  # fmt: skip
        with session_scope(factory) as s:
            got, t_score = timed(score_month, s, "2026-11")
        engine.dispose()
    print(f"SpatiaLite {n:>6} shops: place all {t_place:6.2f} s ({n / t_place:>8,.0f} shops/s) | score a month "
          f"with {2 * n} cases {t_score:6.2f} s ({got['deductions']} deductions)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--no-db", action="store_true", help="only the geometry (no SpatiaLite end to end)")
    args = parser.parse_args()
    sizes = [int(v) for v in args.sizes.split(",")]
    for n in sizes:
        geometry(n)
    if not args.no_db:
        for n in sizes:
            database(n)


if __name__ == "__main__":
    main()
