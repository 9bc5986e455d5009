#!/usr/bin/env python
"""Benchmark: unit grids for a synthetic district of ~100 km² with ~20,000 road segments, on one core.

    python scripts/bench_gridding.py [--km 10] [--seed 1] [--db sqlite:///tmp/bench.sqlite]

The district is a 10 km × 10 km square near 离石 (UTM 49N): main roads every ~1 km (they bound 100 社区 of
~1 km²), back streets every ~90 m in both directions with jitter, a quarter of the back-street pieces left out
(bigger blocks that need straight cuts, and dead ends), and compounds set back inside a third of the blocks.
The raw lines are segmented with ``segment_roads`` first (not timed in the gridding figure).

Printed: the time of :func:`gridmap.geo.gridding.communities.tile_communities` (tiling, codes, the checks of the quality
report) and, as a baseline measured in the same process, the time of one plain ``shapely.polygonize`` of the
same network and community boundaries — the least any road-following tiling must do. With ``--db`` the whole
use-case (``generate_grids``: read, tile, write a version) is also timed against a fresh database, then a
regeneration at 7,000 m² (close the old version, write the new one, old → new lineage).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import gridmap  # noqa: E402,F401  (geometry libraries before SpatiaLite)
from gridmap.geo import crs  # noqa: E402
from gridmap.geo.gridding.communities import tile_communities  # noqa: E402
from gridmap.geo.roads import segment_roads  # noqa: E402

UTM = 32649
X0, Y0 = 505_000.0, 4_145_000.0


def synthesise(km: float, seed: int):
    rng = np.random.default_rng(seed)
    size = km * 1000.0
    n_main = round(km) + 1
    main_x = np.linspace(0, size, n_main)
    lines, names, levels = [], [], []
    # main roads: straight, every ~1 km both ways
    for k, x in enumerate(main_x):
        lines += [[(x, 0), (x, size)], [(0, x), (size, x)]]
        names += [f"南北{k + 1}大街", f"东西{k + 1}大道"]
        levels += ["main", "main"]
    # back streets: every ~90 m inside each 1 km cell, jittered, pieces between main roads, some left out
    comm_polys = []
    for i in range(n_main - 1):
        for j in range(n_main - 1):
            x0, x1, y0, y1 = main_x[i], main_x[i + 1], main_x[j], main_x[j + 1]
            comm_polys.append(shapely.box(x0, y0, x1, y1))
            xs = np.linspace(x0, x1, 12)[1:-1] + rng.uniform(-15, 15, 10)
            ys = np.linspace(y0, y1, 12)[1:-1] + rng.uniform(-15, 15, 10)
            for a, x in enumerate(xs):
                cuts = np.concatenate([[y0], ys, [y1]])
                for b in range(len(cuts) - 1):
                    if rng.random() < 0.25:
                        continue
                    lines.append([(x, cuts[b]), (x, cuts[b + 1])])
                    names.append(f"{i * 10 + j}区{a + 1}巷")
                    levels.append("back")
            for a, y in enumerate(ys):
                cuts = np.concatenate([[x0], xs, [x1]])
                for b in range(len(cuts) - 1):
                    if rng.random() < 0.25:
                        continue
                    lines.append([(cuts[b], y), (cuts[b + 1], y)])
                    names.append(f"{i * 10 + j}区{a + 1}街")
                    levels.append("back")
    metric = shapely.linestrings(np.asarray(lines) + np.array([X0, Y0]))
    roads = crs.transform(metric, UTM, 4326)
    comms = crs.transform(shapely.transform(np.asarray(comm_polys), lambda xy: xy + np.array([X0, Y0])), UTM, 4326)
    # compounds: inside a third of the blocks, 8 m from the roads around them
    noded = shapely.union_all(metric, grid_size=0.01)
    blocks = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    inner = shapely.buffer(blocks, -8.0, join_style="mitre")
    keep = (~shapely.is_empty(inner)) & (shapely.area(inner) > 1_500) & (rng.random(len(blocks)) < 0.33)
    compounds = crs.transform(inner[keep], UTM, 4326)
    return roads, np.array(names, dtype=object), np.array(levels, dtype=object), comms, compounds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--km", type=float, default=10.0, help="side of the square district (km)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", default=None, help="also time generate_grids end to end against this database URL")
    args = parser.parse_args(argv)

    t = time.perf_counter()
    roads, names, levels, comms, compounds = synthesise(args.km, args.seed)
    segs = segment_roads(roads, names, levels, metric_epsg=UTM)
    seg_geoms = np.asarray(segs.geometry.array, dtype=object)
    area_km2 = float(shapely.area(crs.transform(comms, 4326, UTM)).sum()) / 1e6
    print(
        f"district: {area_km2:.1f} km², {len(comms)} 社区, {len(seg_geoms):,} segments "
        f"({segs['length_m'].sum() / 1000:,.0f} km), {len(compounds):,} compounds "
        f"(synthesised and segmented in {time.perf_counter() - t:.1f} s)"
    )

    # baseline: one polygonize of the network and the community boundaries
    t = time.perf_counter()
    lines = np.concatenate([seg_geoms, shapely.get_parts(shapely.boundary(comms))])
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union_all(lines))))
    baseline = time.perf_counter() - t
    print(f"baseline  shapely.union_all + polygonize: {len(faces):,} faces in {baseline:.2f} s")

    t = time.perf_counter()
    plan = tile_communities(comms, [f"141102{k // 100 + 1:03d}{k % 100 + 1:03d}" for k in range(len(comms))],
                            seg_geoms, compounds, target_m2=10_000, seq_width=3, metric_epsg=UTM)  # fmt: skip
    took = time.perf_counter() - t
    r = plan.report
    a = r["area_m2"]
    print(
        f"gridding  tile_communities: {r['grids']:,} grids in {took:.1f} s "
        f"({r['grids'] / took:,.0f} grids/s; {took / baseline:.1f}× the baseline) — target: under 60 s"
    )
    print(
        f"  area m²: min {a['min']:,.0f} p10 {a['p10']:,.0f} median {a['median']:,.0f} p90 {a['p90']:,.0f} "
        f"max {a['max']:,.0f}; slivers merged {r['slivers_merged']:,}; cuts {r['cuts']:,}; "
        f"gaps {r['gaps_m2']} m², overlaps {r['overlaps_m2']} m², compounds split {r['compounds_split']}; "
        f"compounds forcing an oversized grid {len(r['forced_compounds'])}"
    )

    if args.db:
        import geopandas as gpd

        from gridmap.config import Settings
        from gridmap.grids.generate import generate_grids
        from gridmap.store.bulk_writes import write_features
        from gridmap.store.engine import make_engine, make_session_factory, session_scope, upgrade

        engine = make_engine(Settings(database_url=args.db, instance_dir=Path("/tmp")))
        upgrade(engine)
        factory = make_session_factory(engine)
        whole = shapely.union_all(comms)
        with session_scope(factory) as s:
            write_features(s, "districts", gpd.GeoDataFrame({"code": ["141102"], "name": ["区"]}, geometry=[whole]))
            write_features(s, "streets", gpd.GeoDataFrame(
                {"code": [f"141102{k:03d}" for k in range(1, len(comms) // 100 + 2)],
                 "name": [f"街道{k}" for k in range(1, len(comms) // 100 + 2)], "district_code": "141102"},
                geometry=[whole] * (len(comms) // 100 + 1)))  # fmt: skip
            codes = [f"141102{k // 100 + 1:03d}{k % 100 + 1:03d}" for k in range(len(comms))]
            write_features(s, "communities", gpd.GeoDataFrame(
                {"code": codes, "name": [f"社区{c}" for c in codes], "street_code": [c[:9] for c in codes]},
                geometry=list(comms)))  # fmt: skip
            write_features(
                s, "segments", segs[["name", "level", "geometry"]].assign(level=segs["level"].fillna("back"))
            )
            write_features(s, "compounds", gpd.GeoDataFrame({"name": [f"小区{k}" for k in range(len(compounds))]},
                                                            geometry=list(compounds)))  # fmt: skip
        t = time.perf_counter()
        with session_scope(factory) as s:
            res = generate_grids(s, all_=True, target_m2=10_000, seq_width=3, valid_from=dt.date(2026, 1, 1))
        print(f"end to end generate_grids ({engine.dialect.name}): {res.report['inserted']:,} grids written in "
              f"{time.perf_counter() - t:.1f} s")  # fmt: skip
        t = time.perf_counter()
        with session_scope(factory) as s:
            res = generate_grids(s, all_=True, target_m2=7_000, seq_width=3, valid_from=dt.date(2026, 7, 1))
        r = res.report
        print(f"regenerate at 7,000 m² ({engine.dialect.name}): {r['retired']:,} grids closed, {r['inserted']:,} "
              f"written, {len(r['mapping']):,} old → new mappings in {time.perf_counter() - t:.1f} s")  # fmt: skip
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
