#!/usr/bin/env python
"""Benchmark road-chief patrols (not a test): map matching speed and quality, a track end to end, coverage.

    python scripts/bench_patrols.py [--data-dir data/boundaries] [--quick] [--postgis postgresql+psycopg://postgres@127.0.0.1/postgres]

Loads the demo city (3,800 road segments, its road chiefs) into a temporary SpatiaLite file (and, with ``--postgis``,
a temporary PostGIS database on that server, dropped afterwards), then prints, per database:

* matching: fixes/s of :func:`gridmap.patrols.matching.match_track` (accuracy and speed filters, fastmm FMM, the
  "patrolled" rule) on synthetic walks of 1,000 / 10,000 / 50,000 fixes, against a baseline in the same process —
  each fix snapped to its nearest segment within 50 m by shapely's ``STRtree.query_nearest``, with the same
  "≥ 2 fixes" rule and the covered share of the snapped points' span (target: ≥ 50,000 fixes/s on one core);
* quality: segment precision and recall of both at GPS noise σ 5, 10, 15 and 25 m (fixes every 10 s at 1.4 m/s);
* a 10 km track end to end: ``POST /api/v1/patrols`` (Flask test client) from the request to the stored answer,
  with the road network already read and the first time after the layers changed (target: < 1 s);
* coverage: :func:`gridmap.patrols.coverage.coverage` and the monthly rule over 30 days of visits for 500, 1,000
  and 2,000 segments (road chiefs patrolling twice a week; at 2,000 also with the segments spread over 200 chiefs),
  CPU and wall time (on PostGIS part of the work is the server's), against a plain-Python loop over the same visits and
  assignment periods (target: 2,000 segments, 200 chiefs, < 1 s).

Runs on one core (numpy/BLAS threads pinned to 1).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections import defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

import numpy as np  # noqa: E402
import shapely  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, delete, insert, make_url, select, text, update  # noqa: E402

import gridmap  # noqa: E402,F401  (geometry libraries before SpatiaLite)
from gridmap.config import DEMO_DATA_DIR, PatrolSettings, Settings  # noqa: E402
from gridmap.geo.crs import transformer  # noqa: E402
from gridmap.geo.walks import Walker  # noqa: E402
from gridmap.imports.demo import load_demo  # noqa: E402
from gridmap.patrols import coverage  # noqa: E402
from gridmap.patrols.matching import match_track  # noqa: E402
from gridmap.patrols.network import RoadNetwork, road_network  # noqa: E402
from gridmap.patrols.tracks import Track  # noqa: E402
from gridmap.store.engine import make_engine, make_session_factory, session_scope, upgrade  # noqa: E402
from gridmap.store.models import Assignment, Patrol, PatrolVisit, Person, Role, Segment, TargetKind  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 11, 2, 8, 0, tzinfo=TZ).timestamp()
RULES = PatrolSettings()


def walks(network: RoadNetwork, fixes: int, sigma: float, seed: int) -> tuple[Track, set[int]]:
    """Walks over the network, one after the other (an hour apart), until at least ``fixes`` fixes, and the segments
    walked."""
    walker = Walker(network.metric)
    back = transformer(network.epsg, 4326)
    rng = np.random.default_rng(seed)
    xs, ys, ts, truth = [], [], [], set()
    t = T0
    while sum(len(x) for x in xs) < fixes:
        w = walker.walk(rng, 3000.0, sigma)
        xs.append(w.x)
        ys.append(w.y)
        ts.append(w.t + t)
        t = float(ts[-1][-1]) + 3600.0  # an hour between walks: no jump between them
        truth |= set(w.rows)
    x, y, tt = np.concatenate(xs), np.concatenate(ys), np.concatenate(ts)  # whole walks: the truth is theirs
    lon, lat = back.transform(x, y)
    n = len(tt)
    return Track(np.asarray(lon), np.asarray(lat), tt, np.full(n, np.nan), "gpx", "wgs84", ""), truth


def baseline(network: RoadNetwork, tree: shapely.STRtree, track: Track) -> set[int]:
    """Nearest segment within 50 m per fix, ≥ 2 fixes and ≥ 50 % of the segment between its snapped fixes."""
    to_m = transformer(4326, network.epsg)
    x, y = to_m.transform(track.lon, track.lat)
    pts = shapely.points(np.asarray(x), np.asarray(y))
    fix, row = tree.query_nearest(pts, max_distance=RULES.search_radius_m, all_matches=False)
    along = shapely.line_locate_point(network.metric[row], pts[fix])
    n = len(network.ids)
    count = np.bincount(row, minlength=n)
    lo = np.full(n, np.inf)
    hi = np.full(n, -np.inf)
    np.minimum.at(lo, row, along)
    np.maximum.at(hi, row, along)
    share = np.where(count > 0, (hi - lo) / np.maximum(network.lengths, 1e-9), 0.0)
    return {int(r) for r in np.flatnonzero((count >= RULES.min_fixes) & (share >= RULES.min_share))}


def score(found: set[int], truth: set[int]) -> tuple[float, float]:
    tp = len(found & truth)
    return tp / max(len(found), 1), tp / max(len(truth), 1)


def bench_matching(network: RoadNetwork, quick: bool) -> None:
    tree = shapely.STRtree(network.metric)
    print("\n## Map matching (one core; the network of the demo city's segments)")
    print("CPU time of this process (the machine is shared: wall time also counts waiting for a core)")
    print(f"{'fixes':>8} {'fastmm fixes/s':>15} {'STRtree fixes/s':>16} {'ratio':>6}")
    for size in (1_000, 10_000) if quick else (1_000, 10_000, 50_000):
        track, _ = walks(network, size, 10.0, seed=size)
        size = len(track)
        match_track(network, track, RULES, TZ)  # warm
        reps = max(1, 20_000 // size)
        t, w = time.process_time(), time.perf_counter()
        for _ in range(reps):
            match_track(network, track, RULES, TZ)
        ours, ours_wall = size * reps / (time.process_time() - t), size * reps / (time.perf_counter() - w)
        t = time.process_time()
        for _ in range(reps):
            baseline(network, tree, track)
        base = size * reps / (time.process_time() - t)
        print(f"{size:>8} {ours:>15,.0f} {base:>16,.0f} {ours / base:>6.2f}   (wall: {ours_wall:,.0f} fixes/s)")
    print("\n## Segment precision / recall (fixes every 10 s at 1.4 m/s, ~25 km of walks per σ)")
    print(f"{'σ m':>5} {'fastmm P':>9} {'fastmm R':>9} {'STRtree P':>10} {'STRtree R':>10}")
    for sigma in (5.0, 10.0, 15.0, 25.0):
        track, truth = walks(network, 1_800, sigma, seed=int(sigma) + 7)
        p, r = score(match_track(network, track, RULES, TZ).patrolled_rows(), truth)
        bp, br = score(baseline(network, tree, track), truth)
        print(f"{sigma:>5.0f} {p:>9.3f} {r:>9.3f} {bp:>10.3f} {br:>10.3f}")


def bench_upload(settings: Settings, factory, network: RoadNetwork, chief: int) -> None:
    from gridmap.web import create_app
    from tests.accounts import client_as

    app = create_app(settings)
    client = client_as(app, "commander")
    track, _ = walks(network, int(10_000 / 14), 8.0, seed=10)  # 10 km at 14 m a fix
    times = [dt.datetime.fromtimestamp(float(t), dt.UTC).isoformat() for t in track.t]
    body = {
        "person_id": chief,
        "track": {
            "type": "Feature",
            "geometry": {
                "type": "LineString",
                "coordinates": [[float(a), float(b)] for a, b in zip(track.lon, track.lat, strict=True)],
            },
            "properties": {"times": times},
        },
    }
    print("\n## A 10 km track end to end: POST /api/v1/patrols (Flask test client)")
    for label in ("first after the layers changed (reads and builds the network)", "network already read", "again"):
        if label.startswith("first"):  # a change to the layers (a segment rewritten as it was) moves the counter
            with session_scope(factory, writes=True) as s:
                s.execute(update(Segment).where(Segment.id == int(network.ids[0])).values(name=Segment.name))
        t, w = time.process_time(), time.perf_counter()
        resp = client.post("/api/v1/patrols", json=body)
        took, wall = time.process_time() - t, time.perf_counter() - w
        assert resp.status_code == 201, resp.get_json()
        got = resp.get_json()
        print(
            f"  {label}: {took * 1000:,.0f} ms CPU, {wall * 1000:,.0f} ms wall "
            f"({got['fixes']} fixes, {len(got['segments_patrolled'])} segments)"
        )


def spread_chiefs(factory, n_segments: int, chiefs: int) -> None:
    """The first ``n_segments`` segments with a road chief handed round-robin to ``chiefs`` people (their chiefs
    first, then other people of the registry): the issue's 200 road chiefs for 2,000 segments (the demo city has
    fewer chiefs on them)."""
    with session_scope(factory, writes=True) as s:
        rows = s.execute(
            select(Assignment.id, Assignment.person_id).where(
                Assignment.target_kind == TargetKind.SEGMENT, Assignment.role == Role.ROAD_CHIEF,
                Assignment.valid_to.is_(None), Assignment.person_id.is_not(None),
            ).order_by(Assignment.target_id)
        ).all()[:n_segments]  # fmt: skip
        people = list(dict.fromkeys(int(p) for _, p in rows))
        people += [p for p in s.scalars(select(Person.id).order_by(Person.id)) if p not in set(people)]
        people = people[:chiefs]
        for k, (aid, _) in enumerate(rows):
            s.execute(update(Assignment).where(Assignment.id == aid).values(person_id=people[k % len(people)]))


def seed_visits(factory, network: RoadNetwork, n_segments: int, days: int, as_of: dt.date) -> tuple[int, int]:
    """Road chiefs of the first ``n_segments`` segments with a chief patrol them twice a week for ``days``."""
    with session_scope(factory, writes=True) as s:
        s.execute(delete(PatrolVisit))
        s.execute(delete(Patrol))
        rows = s.execute(
            select(Assignment.target_id, Assignment.person_id).where(
                Assignment.target_kind == TargetKind.SEGMENT, Assignment.role == Role.ROAD_CHIEF,
                Assignment.valid_to.is_(None), Assignment.person_id.is_not(None),
            ).order_by(Assignment.target_id)
        ).all()[:n_segments]  # fmt: skip
        by_chief: dict[int, list[int]] = defaultdict(list)
        for sid, pid in rows:
            by_chief[int(pid)].append(int(sid))
        rng = np.random.default_rng(n_segments)
        start = as_of - dt.timedelta(days=days - 1)
        visits = []
        pid_seq = 0  # patrol ids
        for pid, segs in by_chief.items():
            for week in range(0, days, 7):
                for d in rng.choice(7, size=2, replace=False).tolist():
                    day = start + dt.timedelta(days=week + d)
                    if day > as_of:
                        continue
                    pid_seq += 1
                    at = dt.datetime.combine(day, dt.time(9), TZ)
                    visits += [{"patrol_id": pid_seq, "person_id": pid, "segment_id": sid, "day": day, "fixes": 5,
                                "covered_share": 0.9, "patrolled": bool(rng.random() < 0.85), "first_at": at,
                                "last_at": at} for sid in segs]  # fmt: skip
        from geoalchemy2.elements import WKTElement

        patrols = {v["patrol_id"]: v for v in visits}
        s.execute(insert(Patrol), [
            {"id": k, "person_id": v["person_id"], "started_at": v["first_at"], "ended_at": v["last_at"],
             "source": "gpx", "crs": "wgs84", "raw": "", "fixes": 2, "kept": 2, "length_m": 1.0, "created_by": "bench",
             "created_at": v["first_at"], "geom": WKTElement("LINESTRING(111.14 37.52, 111.1401 37.52)", srid=4326)}
            for k, v in patrols.items()
        ])  # fmt: skip
        s.execute(insert(PatrolVisit), visits)
    return len(by_chief), len(visits)


def naive_coverage(factory, network: RoadNetwork, as_of: dt.date, days: int) -> float:
    """The same share, the obvious way: every visit checked against the segment's chief periods in Python."""
    with session_scope(factory) as s:
        periods = defaultdict(list)
        for sid, pid, a, b in s.execute(
            select(Assignment.target_id, Assignment.person_id, Assignment.valid_from, Assignment.valid_to).where(
                Assignment.target_kind == TargetKind.SEGMENT, Assignment.role == Role.ROAD_CHIEF
            )
        ):
            periods[sid].append((pid, a, b))
        start = as_of - dt.timedelta(days=days - 1)
        done = set()
        for sid, day, pid in s.execute(
            select(PatrolVisit.segment_id, PatrolVisit.day, PatrolVisit.person_id).where(
                PatrolVisit.patrolled.is_(True), PatrolVisit.day >= start, PatrolVisit.day <= as_of
            )
        ):
            if any(p == pid and a <= day and (b is None or b > day) for p, a, b in periods.get(sid, ())):
                done.add(sid)
        assigned = {
            sid for sid, ps in periods.items() if any(a <= as_of and (b is None or b > as_of) for _, a, b in ps)
        }
        km = {int(i): float(v) for i, v in zip(network.ids.tolist(), network.lengths.tolist(), strict=True)}
        total = sum(km.get(s_, 0.0) for s_ in assigned)
        return sum(km.get(s_, 0.0) for s_ in assigned & done) / total if total else 0.0


def bench_coverage(settings: Settings, factory, network: RoadNetwork) -> None:
    as_of = dt.date(2026, 11, 30)
    print("\n## Coverage over 30 days (road chiefs patrolling twice a week; CPU ms, wall ms in brackets)")
    head = ("segments", 9), ("chiefs", 7), ("visits", 7), ("coverage ms", 16), ("monthly ms", 15), ("naive ms", 9)
    print(" ".join(f"{h:>{w}}" for h, w in head), f"{'ratio':>6}")
    for n, chiefs_asked in ((500, None), (1_000, None), (2_000, None), (2_000, 200)):
        if chiefs_asked:
            spread_chiefs(factory, n, chiefs_asked)
        chiefs, visits = seed_visits(factory, network, n, 30, as_of)
        with session_scope(factory) as s:
            coverage.coverage(s, settings, as_of, 30)  # warm the per-process copies
        with session_scope(factory) as s:
            t, w = time.process_time(), time.perf_counter()
            got = coverage.coverage(s, settings, as_of, 30)
            cov_ms, cov_wall = (time.process_time() - t) * 1000, (time.perf_counter() - w) * 1000
            t, w = time.process_time(), time.perf_counter()
            coverage.monthly_rule(s, settings, dt.date(2026, 11, 1), as_of)
            month_ms, month_wall = (time.process_time() - t) * 1000, (time.perf_counter() - w) * 1000
        t = time.process_time()
        naive_coverage(factory, network, as_of, 30)
        naive_ms = (time.process_time() - t) * 1000
        cov, month = f"{cov_ms:,.0f} ({cov_wall:,.0f})", f"{month_ms:,.0f} ({month_wall:,.0f})"
        print(f"{n:>9} {chiefs:>7} {visits:>7} {cov:>16} {month:>15} {naive_ms:>9,.0f} "
              f"{naive_ms / cov_ms:>6.2f}   (share {got['total']['share']})")  # fmt: skip


def run(label: str, url: str, tmp: Path, args: argparse.Namespace) -> None:
    """Every figure on one database (the demo city loaded afresh)."""
    print(f"== {label}")
    settings = Settings(database_url=url, instance_dir=tmp)
    engine = make_engine(settings)
    upgrade(engine)
    factory = make_session_factory(engine)
    t = time.perf_counter()
    with session_scope(factory, writes=True) as s:
        load_demo(s, args.data_dir, settings)
    print(f"demo city loaded in {time.perf_counter() - t:.1f} s")
    with session_scope(factory) as s:
        network = road_network(s)
        chief = s.scalar(select(Assignment.person_id).where(Assignment.role == Role.ROAD_CHIEF,
                                                            Assignment.person_id.is_not(None)))  # fmt: skip
    print(f"network: {len(network.ids):,} segments, {float(network.lengths.sum()) / 1000:,.0f} km")
    bench_matching(network, args.quick)
    bench_upload(settings, factory, network, int(chief or 1))
    bench_coverage(settings, factory, network)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEMO_DATA_DIR)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    parser.add_argument("--postgis", default=None, help="PostgreSQL server URL: also run on a temporary database")
    parser.add_argument("--no-spatialite", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_spatialite:
            run("SpatiaLite", f"sqlite:///{tmp}/bench.sqlite", Path(tmp), args)
        if args.postgis:
            admin = create_engine(args.postgis, isolation_level="AUTOCOMMIT")
            name = f"gridmap_bench_patrols_{uuid.uuid4().hex[:8]}"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                url = make_url(args.postgis).set(database=name).render_as_string(hide_password=False)
                run("PostGIS", url, Path(tmp), args)
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()


if __name__ == "__main__":
    main()
