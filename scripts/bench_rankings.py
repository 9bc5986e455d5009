"""Benchmark: the rankings page (``/rankings``) and the scorecard API (``/api/v1/scorecards``) for a published month.

For each number of units a fresh database is filled as :mod:`bench_scorecards` fills it (100 cases a unit over the
year before December 2026), and the unit composite scheme's scorecards of August to November 2026 are published
(frozen), as a city publishes every month: the page reads November's frozen rows and the three months before for the
trend. Through Flask's test client, signed in on the sign-in page as a commander (cookie session, as a browser), each
answer is fetched ``--repeat`` times after one warm-up; printed: p50 / p95 wall time and the CPU time of the process
per request. The baseline, in the same process: the same scorecard as JSON (``/api/v1/scorecards``, every row with
its counts and case links) — the page must cost about what sending its data costs. Target (issue 15): < 300 ms.

    .venv/bin/python scripts/bench_rankings.py                       # 200 and 2,000 units, SpatiaLite
    .venv/bin/python scripts/bench_rankings.py --postgis postgresql+psycopg://postgres@127.0.0.1/postgres
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.accounts: the sign-in as a browser does
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scorecards import NOW, TZ, fill

from gridmap.accounts.actor import cli_actor
from gridmap.config import Settings
from gridmap.evaluation import latest_scheme, parse_period, publish
from gridmap.store.engine import make_engine, make_session_factory, session_scope, upgrade
from gridmap.web import create_app
from tests.accounts import make_account, signed_in_client

MONTHS = ("2026-08", "2026-09", "2026-10", "2026-11")
CASES_PER_UNIT = 100


def timed(client, url: str, repeat: int) -> tuple[float, float, float, int]:
    """(p50 ms, p95 ms, CPU ms per request, bytes) of ``repeat`` GETs after one warm-up."""
    first = client.get(url)
    assert first.status_code == 200, (url, first.status_code, first.get_data(as_text=True)[:300])
    walls = []
    cpu0 = time.process_time()
    for _ in range(repeat):
        t0 = time.perf_counter()
        resp = client.get(url)
        walls.append(time.perf_counter() - t0)
        assert resp.status_code == 200
    cpu = (time.process_time() - cpu0) / repeat
    walls.sort()
    p95 = walls[min(len(walls) - 1, round(0.95 * (len(walls) - 1)))]
    return statistics.median(walls) * 1000, p95 * 1000, cpu * 1000, len(first.data)


def run(label: str, url: str, n_units: int, folder: str, repeat: int) -> None:
    settings = Settings(database_url=url, instance_dir=folder)
    engine = make_engine(settings)
    upgrade(engine)
    factory = make_session_factory(engine)
    filled, _ = fill(factory, n_units, n_units * CASES_PER_UNIT, np.random.default_rng(42))
    t0 = time.perf_counter()
    with session_scope(factory) as session:
        scheme = latest_scheme(session, "unit_composite")
        for key in MONTHS:
            publish(session, scheme, parse_period(key, TZ), cli_actor(), NOW)
    published = time.perf_counter() - t0
    engine.dispose()
    app = create_app(settings)
    user, _ = make_account(app, "commander", password="bench-password-1")
    client = signed_in_client(app, user, "bench-password-1")
    page = timed(client, "/rankings?period=2026-11&subject=unit&scheme=unit_composite", repeat)
    api = timed(client, "/api/v1/scorecards?period=2026-11&subject=unit&scheme=unit_composite", repeat)
    print(
        f"{label:10} {n_units:>6,} units ({n_units * CASES_PER_UNIT:,} cases filled in {filled:.0f} s, 4 months "
        f"published in {published:.1f} s): /rankings p50 {page[0]:5.0f} ms p95 {page[1]:5.0f} ms CPU {page[2]:5.0f} ms "
        f"({page[3] / 1e3:,.0f} kB) | baseline /api/v1/scorecards p50 {api[0]:5.0f} ms p95 {api[1]:5.0f} ms "
        f"CPU {api[2]:5.0f} ms ({api[3] / 1e3:,.0f} kB) | page/JSON {page[0] / api[0]:.2f}×"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--units", default="200,2000", help="numbers of units, comma separated")
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--postgis", default=None, help="postgresql+psycopg://... of a server (a database is made)")
    ap.add_argument("--no-spatialite", action="store_true")
    args = ap.parse_args()
    sizes = [int(u) for u in args.units.split(",")]
    with tempfile.TemporaryDirectory(prefix="gridmap-bench-rankings-") as tmp:
        if not args.no_spatialite:
            for n in sizes:
                run("SpatiaLite", f"sqlite:///{tmp}/rankings_{n}.sqlite", n, tmp, args.repeat)
        if args.postgis:
            admin = create_engine(args.postgis, isolation_level="AUTOCOMMIT")
            try:
                for n in sizes:  # a database per size, dropped as soon as it is measured
                    name = f"gridmap_bench_rankings_{uuid.uuid4().hex[:8]}_{n}"
                    with admin.connect() as conn:
                        conn.execute(text(f'CREATE DATABASE "{name}"'))
                    try:
                        url = make_url(args.postgis).set(database=name).render_as_string(hide_password=False)
                        run("PostGIS", url, n, tmp, args.repeat)
                    finally:
                        with admin.connect() as conn:
                            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            finally:
                admin.dispose()


if __name__ == "__main__":
    main()
