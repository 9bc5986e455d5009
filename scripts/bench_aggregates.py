#!/usr/bin/env python
"""Benchmark the whole-city answers (not a test): gap totals, heat and the case list as the city and the number of
cases grow, each against a baseline run in the same process.

    .venv/bin/python scripts/bench_aggregates.py [--scales 1,8,40] [--cases 100000,1000000]
                                                 [--postgis postgresql+psycopg://postgres@127.0.0.1/postgres]
                                                 [--postgis-cases 10000000]

City part — the demo city tiled ``scale`` times (as ``scripts/bench_routing.py`` does) with 5,000 open cases per
copy, into a temporary SpatiaLite file (and a temporary PostGIS database with ``--postgis``):

* ``/api/v1/gaps/summary`` today: the maintained tables (after their first build) against the full recomputation
  (every feature loaded, located and looked up, which is what each request did before), and the refresh after one
  assignment (the incremental path);
* ``/api/v1/gaps/summary`` against the path before (the same maintained rows read into pandas and walked area by
  area in Python), in the same process;
* ``/api/v1/heat?mode=grids``: the whole city (what the page asked before), one z14 screen (``bbox``, ``zoom``) and
  the whole city zoomed out (per 街道), time and answer size, plain and gzipped;
* the same three answers through the HTTP API (test client, gzip), with the load average.

Cases part — the demo city with N cases made by ``scripts/make_cases.py`` (3 % still open):

* the case list (``list_cases``, first page with its total) for the common filters, with the indexes of migration
  0014 against the same queries with them dropped (the baseline);
* heat points of every case: binned by the database against the former path (the oldest 200,000 rows fetched).

Targets (issue 16): gaps summary and heat < 200 ms at 40×; case list and heat < 300 ms at 1M (SpatiaLite) / 10M
(PostGIS).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_routing import load_city, tiled_demo_city  # noqa: E402
from make_cases import make_cases  # noqa: E402
from sqlalchemy import Engine, create_engine, func, select, text, update  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

import gridmap  # noqa: E402,F401  (geometry libraries before SpatiaLite)
from gridmap.accounts.actor import Actor  # noqa: E402
from gridmap.cases.queries import list_cases  # noqa: E402
from gridmap.cases.states import ACTIVE  # noqa: E402
from gridmap.catalogue.categories import seed  # noqa: E402
from gridmap.config import DEMO_DATA_DIR, Settings  # noqa: E402
from gridmap.maps import heat, heat_totals  # noqa: E402
from gridmap.responsibility import assign, gap_totals, gaps  # noqa: E402
from gridmap.responsibility.places import load_areas  # noqa: E402
from gridmap.store.engine import make_engine, make_session_factory, session_scope, upgrade  # noqa: E402
from gridmap.store.models import Area, Case, Grid, Unit  # noqa: E402

CASE_INDEXES = {"ix_cases_status_created"}  # migration 0014: dropped for the baseline, made again after
BENCH = Actor(name="bench", role="commander", via="cli")


def timed(fn: Callable[[], object], repeats: int = 3) -> tuple[float, object]:
    """Best wall time of ``repeats`` runs in ms, and the last answer."""
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1000, out


def _new_database(label: str, tmp: Path, postgis: str | None) -> tuple[str, Callable[[], None]]:
    if label == "SpatiaLite":
        return f"sqlite:///{tmp}/bench-{uuid.uuid4().hex[:6]}.sqlite", lambda: None
    assert postgis
    name = f"gridmap_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgis, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(postgis).set(database=name).render_as_string(hide_password=False), drop


def bench_city(label: str, url: str, scale: int, tmp: Path) -> None:
    demo_counts = {"segments": 1, "compounds": 1, "grids": 1}
    probe = tiled_demo_city(DEMO_DATA_DIR, demo_counts)
    assert probe is not None, "the demo city is needed (data/boundaries)"
    targets = {k: len(probe[k]) * scale for k in demo_counts}
    city = tiled_demo_city(DEMO_DATA_DIR, targets)
    assert city is not None
    settings = Settings(database_url=url, instance_dir=tmp)
    engine = make_engine(settings)
    upgrade(engine)
    factory = make_session_factory(engine)
    t0 = time.perf_counter()
    with session_scope(factory) as s:
        seed(s)
        sizes = load_city(s, city)
    took = time.perf_counter() - t0
    make_cases(settings, 5000 * scale, active=1.0, years=0.5, chunk=200_000, seed_=scale)
    today = dt.date.today()
    print(f"{label} {scale}×: {sizes} (loaded in {took:.0f} s), {5000 * scale:,} open cases")
    with factory() as s:
        before, full = timed(lambda: gaps.summary_of(load_areas(s, geometry=False), gap_totals.recomputed(s, today),
                                                     today), 2)  # fmt: skip
        t0 = time.perf_counter()
        first = gaps.summary(s)
        build = (time.perf_counter() - t0) * 1000
        assert first == full
        s.rollback()
        cpu0 = time.process_time()
        after, _ = timed(lambda: gaps.summary(s), 5)
        cpu = (time.process_time() - cpu0) * 1000 / 5
        cpu0 = time.process_time()  # the path before: the maintained rows read into pandas, walked area by area
        walked, answer = timed(
            lambda: gaps.summary_of(load_areas(s, geometry=False), gap_totals.stored(s), today), 5
        )  # fmt: skip
        walked_cpu = (time.process_time() - cpu0) * 1000 / 5
        assert answer == first
        grid = s.scalar(select(Grid.id).order_by(Grid.id))
        unit = s.scalar(select(Unit.id).order_by(Unit.id))
    with session_scope(factory) as w:
        assign.assign(w, [{"kind": "grid", "id": grid}], unit, "responsible", today, actor=BENCH, take_over=True)
    with factory() as s:
        t0 = time.perf_counter()
        gaps.summary(s)
        incremental = (time.perf_counter() - t0) * 1000
        print(
            f"  gaps summary: summed in SQL {after:.0f} ms (CPU {cpu:.0f} ms) vs the maintained rows walked per area "
            f"{walked:.0f} ms (CPU {walked_cpu:.0f} ms; {walked / after:.1f}×) vs full recomputation {before:.0f} ms "
            f"({before / after:.0f}×); first build {build:.0f} ms, refresh after one assignment {incremental:.0f} ms"
        )
        s.rollback()
        recomputing = {"mode": "grids", "from": "2000-01-01"}  # a period filter: the former path, every request
        slow, _ = timed(lambda: heat.heat(s, recomputing), 1)
        t0 = time.perf_counter()
        heat.heat(s, {"mode": "grids"})  # the first reading builds heat_places / heat_totals
        heat_build = (time.perf_counter() - t0) * 1000
        s.rollback()
        cpu0 = time.process_time()
        whole_ms, answer = timed(lambda: heat.heat(s, {"mode": "grids"}), 2)
        cpu = (time.process_time() - cpu0) * 1000 / 2
        assert answer.get("maintained"), "heat grids did not come from the maintained totals"
        raw, zipped = _sizes(answer)
        print(
            f"  heat grids, whole city (the page's former request): maintained {whole_ms:.0f} ms (CPU {cpu:.0f} ms) "
            f"vs recomputed {slow:.0f} ms ({slow / whole_ms:.1f}×); first build {heat_build:.0f} ms; "
            f"{len(answer['features']['features']):,} grids, {raw / 1e6:.1f} MB plain, {zipped / 1e6:.2f} MB gzipped"
        )
        active = sorted(a.value for a in ACTIVE)
        counts_ms, _ = timed(lambda: heat_totals.counts(s, "grid", active, None), 5)
        print(f"  heat counts per grid (the maintained table alone): {counts_ms:.0f} ms ({slow / counts_ms:.0f}×)")
        extent = select(func.min(Case.lon), func.min(Case.lat), func.max(Case.lon), func.max(Case.lat))
        x0, y0, x1, y1 = (float(v) for v in s.execute(extent).one())
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        view = f"{cx - 0.02:.5f},{cy - 0.012:.5f},{cx + 0.02:.5f},{cy + 0.012:.5f}"  # ~3.5 × 2.7 km: a z14 screen
        city_box = f"{x0:.5f},{y0:.5f},{x1:.5f},{y1:.5f}"
        view_slow, _ = timed(lambda: heat.heat(s, {**recomputing, "bbox": view, "zoom": "14"}), 3)
        cpu0 = time.process_time()
        view_ms, one = timed(lambda: heat.heat(s, {"mode": "grids", "bbox": view, "zoom": "14"}), 5)
        cpu = (time.process_time() - cpu0) * 1000 / 5
        raw, zipped = _sizes(one)
        print(f"  heat grids, one z14 screen (bbox, zoom 14): maintained {view_ms:.0f} ms (CPU {cpu:.0f} ms), "
              f"{len(one['features']['features']):,} grids, {zipped / 1e3:.0f} kB gzipped; vs the same box "
              f"recomputed {view_slow:.0f} ms ({view_slow / view_ms:.1f}×), "
              f"vs the whole city {whole_ms / view_ms:.0f}×")  # fmt: skip
        cpu0 = time.process_time()
        out_ms, out = timed(lambda: heat.heat(s, {"mode": "grids", "bbox": city_box, "zoom": "10"}), 5)
        cpu = (time.process_time() - cpu0) * 1000 / 5
        assert out.get("level") == "street"
        raw, zipped = _sizes(out)
        print(f"  heat zoomed out to the whole city (zoom 10): per 街道 {out_ms:.0f} ms (CPU {cpu:.0f} ms), "
              f"{len(out['features']['features']):,} 街道, {zipped / 1e3:.0f} kB gzipped; "
              f"vs every grid {whole_ms / out_ms:.0f}×")  # fmt: skip
        s.rollback()
    _http(settings, {
        "/api/v1/gaps/summary": "gaps summary",
        f"/api/v1/heat?mode=grids&bbox={view}&zoom=14": "heat grids, one z14 screen",
        f"/api/v1/heat?mode=grids&bbox={city_box}&zoom=10": "heat, whole city at zoom 10 (per 街道)",
    })  # fmt: skip
    with session_scope(factory) as w:  # one case closed: the incremental refresh
        w.execute(update(Case).where(Case.id == w.scalar(select(func.min(Case.id)))).values(status="closed"))
    with factory() as s:
        t0 = time.perf_counter()
        heat_totals.ensure_current(s, today)
        print(f"  heat totals refresh after one case closed: {(time.perf_counter() - t0) * 1000:.0f} ms")
    engine.dispose()


def _sizes(answer: object) -> tuple[int, int]:
    """The answer's JSON bytes, plain and gzipped (as the server sends it)."""
    raw = json.dumps(answer, ensure_ascii=False).encode()
    return len(raw), len(gzip.compress(raw, compresslevel=1 if len(raw) > 4 << 20 else 6))


def _http(settings: Settings, paths: dict[str, str]) -> None:
    """The answers through the HTTP API (Flask test client, gzip accepted, a commander's token): median of 5 after
    one warm-up, CPU per request, bytes sent."""
    from gridmap.accounts import registry
    from gridmap.accounts.actor import cli_actor
    from gridmap.web import create_app
    from gridmap.web.state import app_state

    engine = make_engine(settings)
    with session_scope(make_session_factory(engine)) as s:
        registry.create_account(s, cli_actor(), username="bench", name="bench", role="commander",
                                password="bench-password-1", hash_password=lambda _p: "!")  # fmt: skip
        token, _ = registry.create_token(s, cli_actor(), "bench")
    engine.dispose()
    app = create_app(settings)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}
    for path, label in paths.items():
        assert client.get(path, headers=headers).status_code == 200, path
        times = []
        cpu0 = time.process_time()
        for _ in range(5):
            t0 = time.perf_counter()
            sent = client.get(path, headers=headers)
            times.append((time.perf_counter() - t0) * 1000)
        cpu = (time.process_time() - cpu0) * 1000 / 5
        print(f"  HTTP {label}: {sorted(times)[2]:.0f} ms median (CPU {cpu:.0f} ms), {len(sent.data) / 1e3:.0f} kB "
              f"sent (load average {os.getloadavg()[0]:.1f})")  # fmt: skip
        if sent.headers.get("ETag"):  # asked again by a page that has it: unchanged, a 304
            again = {**headers, "If-None-Match": sent.headers["ETag"]}
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                assert client.get(path, headers=again).status_code == 304, path
                times.append((time.perf_counter() - t0) * 1000)
            print(f"  HTTP {label}, asked again with its ETag: 304 in {sorted(times)[2]:.0f} ms median")
    app_state(app).engine.dispose()


LIST_FILTERS = {
    "status=active": {"status": "active"},
    "all, newest page 1": {"status": "all"},
    "category=01 (class)": {"category": "01", "status": "all"},
    "unit": {"unit": "UNIT", "status": "all"},
    "street": {"street": "STREET", "status": "all"},
    "community": {"community": "COMMUNITY", "status": "all"},
    "overdue=true (open)": {"overdue": "true", "status": "active"},
    "period (one month)": {"from": "FROM", "to": "TO", "status": "all"},
    "active + street + category": {"status": "active", "street": "STREET", "category": "01"},
}


def _filters(s, raw: dict[str, str]) -> dict[str, str]:
    unit = s.scalar(select(Case.unit_id).order_by(Case.id).limit(1))
    street = s.scalar(select(Area.code).where(Area.level == "street").order_by(Area.code))
    community = s.scalar(select(Area.code).where(Area.level == "community").order_by(Area.code))
    month = dt.date.today().replace(day=1) - dt.timedelta(days=60)
    subst = {"UNIT": str(unit), "STREET": street, "COMMUNITY": community, "FROM": month.isoformat(),
             "TO": (month + dt.timedelta(days=31)).isoformat()}  # fmt: skip
    return {k: subst.get(v, v) for k, v in raw.items()}


def bench_cases(label: str, url: str, n: int, tmp: Path) -> None:
    from tests.databases import load_demo_city  # the demo city as the tests load it

    settings = Settings(database_url=url, instance_dir=tmp)
    load_demo_city(settings)
    took = make_cases(settings, n, active=0.03, years=3, chunk=200_000, seed_=n % 97)
    print(f"{label}: demo city with {n:,} cases (made in {took:.0f} s)")
    engine = make_engine(settings)
    factory = make_session_factory(engine)
    indexes = _index_sql(engine)
    with factory() as s:
        rows = []
        for name, raw in LIST_FILTERS.items():
            f = _filters(s, raw)
            after, page = timed(lambda f=f: list_cases(s, f, settings))
            rows.append((name, after, page["total"]))
        s.rollback()
    with engine.begin() as conn:
        for name in indexes:
            conn.execute(text(f"DROP INDEX IF EXISTS {name}"))
    with factory() as s:
        for i, raw in enumerate(LIST_FILTERS.values()):
            f = _filters(s, raw)
            before, _ = timed(lambda f=f: list_cases(s, f, settings), 2)
            rows[i] = (*rows[i], before)
        s.rollback()
    with engine.begin() as conn:
        for sql in indexes.values():
            conn.execute(text(sql))
    print(f"  case list, first page + total (ms): {'filter':28s} {'after':>7s} {'before':>7s}  total")
    for name, after, total, before in rows:
        print(f"  {'':34s}{name:28s} {after:7.0f} {before:7.0f}  {total if total is not None else '~'}")
    with factory() as s:
        ms, binned = timed(lambda: heat.heat(s, {"status": "all"}), 2)
        stmt = select(Case.id, Case.lon, Case.lat).order_by(Case.id).limit(heat.MAX_POINTS + 1)
        old, _ = timed(lambda: [[r.lat, r.lon, 1] for r in s.execute(stmt).all()], 2)
        act, answer = timed(lambda: heat.heat(s, {}), 3)
        print(
            f"  heat points of all {n:,}: binned {ms:.0f} ms ({len(binned['points']):,} cells) vs former path "
            f"{old:.0f} ms (the oldest 200,000 only); open cases ({answer['count']:,}): {act:.0f} ms"
        )
    engine.dispose()


def _index_sql(engine: Engine) -> dict[str, str]:
    """The CREATE statements of the case-list indexes of migration 0014, as the database reports them."""
    out = {}
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            for name, sql in conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index'")):
                if name in CASE_INDEXES:
                    out[name] = sql
        else:
            for name, sql in conn.execute(text("SELECT indexname, indexdef FROM pg_indexes")):
                if name in CASE_INDEXES:
                    out[name] = sql
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scales", default="1,8,40")
    ap.add_argument("--cases", default="100000,1000000")
    ap.add_argument("--postgis", default=None, help="URL of a PostgreSQL server database to create temporary ones")
    ap.add_argument("--postgis-cases", default="", help="case counts for PostGIS (default: --cases), e.g. 10000000")
    ap.add_argument("--skip-spatialite", action="store_true", help="PostGIS only")
    ap.add_argument("--skip-city", action="store_true")
    ap.add_argument("--skip-cases", action="store_true")
    args = ap.parse_args()
    scales = [int(x) for x in args.scales.split(",") if x]
    counts = [int(x) for x in args.cases.split(",") if x]
    pg_counts = [int(x) for x in args.postgis_cases.split(",") if x] or counts
    labels = [*([] if args.skip_spatialite else ["SpatiaLite"]), *(["PostGIS"] if args.postgis else [])]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for label in labels:
            for scale in [] if args.skip_city else scales:
                url, drop = _new_database(label, tmp, args.postgis)
                try:
                    bench_city(label, url, scale, tmp)
                finally:
                    drop()
            for n in [] if args.skip_cases else (pg_counts if label == "PostGIS" else counts):
                url, drop = _new_database(label, tmp, args.postgis)
                try:
                    bench_cases(label, url, n, tmp)
                finally:
                    drop()


if __name__ == "__main__":
    main()
