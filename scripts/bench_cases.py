"""Benchmark: import 1,000,000 routed reports as cases into a fresh SpatiaLite file (`gridmap cases import`).

Prints the end-to-end time (CSV parsing, validation, deadlines, street/community look-up, inserts of cases with
their points and spatial index, one event per case, commit) as rows/s, and the ratio to a baseline run in the
same process: a raw DBAPI executemany of the same case rows (same values, same column count) into a plain table
without geometry, indexes or events. Target (issue 3): < 60 s for 1,000,000 rows.

    .venv/bin/python scripts/bench_cases.py [--rows 1000000] [--keep]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np

import gridmap  # noqa: F401  (geometry libraries before SpatiaLite)
from gridmap.accounts.actor import cli_actor
from gridmap.cases.bulk_import.importer import import_cases_csv
from gridmap.cases.bulk_import.rows import CASE_COLUMNS
from gridmap.catalogue.categories import seed
from gridmap.config import Settings
from gridmap.store.engine import make_engine, make_session_factory, session_scope, upgrade
from gridmap.store.models import Unit


def make_csv(
    path: Path, n: int, unit_ids: list[int], rng: np.random.Generator, block: int = 200_000, days: float = 20
) -> None:
    """A routed CSV of ``n`` reports observed over ``days`` days up to 2026-11-21, written ``block`` rows at a time
    (memory does not grow with ``n``)."""
    base = dt.datetime(2026, 11, 21, tzinfo=dt.timezone(dt.timedelta(hours=8))) - dt.timedelta(days=days)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["lon", "lat", "category", "observed_at", "client_id", "description", "unit_id", "rule",
                    "matched_kind", "matched_id", "matched_name", "distance_m", "ambiguous"])  # fmt: skip
        for s in range(0, n, block):
            m = min(block, n - s)
            lon = 111.10 + rng.random(m) * 0.10
            lat = 37.49 + rng.random(m) * 0.07
            cats = np.asarray(["0102", "0104", "0505", "0507", "0201", "BJ0101", "BJ0302", "CC0201"])[
                rng.integers(0, 8, m)
            ]
            kinds = np.asarray(["segment", "compound", "grid"])[rng.integers(0, 3, m)]
            units = np.asarray(unit_ids)[rng.integers(0, len(unit_ids), m)]
            minutes = rng.integers(0, round(days * 24 * 60), m)
            dist = rng.random(m) * 30
            for j in range(m):
                i = s + j
                w.writerow(
                    (
                        f"{lon[j]:.6f}", f"{lat[j]:.6f}", cats[j],
                        (base + dt.timedelta(minutes=int(minutes[j]))).isoformat(), f"bench-{i}", "巡查发现",
                        units[j], kinds[j], kinds[j], i % 20000 + 1, "和平街", f"{dist[j]:.1f}", "0",
                    )
                )  # fmt: skip


def baseline(path: Path, n: int, rng: np.random.Generator) -> tuple[float, float]:
    """Raw executemany of n rows with the cases' column count into a plain table (no geometry, no index)."""
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    cols = ", ".join(f"{c} {'TEXT' if c in ('client_id', 'source', 'category') else ''}" for c in CASE_COLUMNS)
    con.execute(f"CREATE TABLE plain ({cols})")
    now = "2026-11-26 10:00:00.000000"
    rows = [
        (i, f"bench-{i}", "import", None, "0102", "巡查发现", None, "normal", 111.1 + (i % 1000) * 1e-4, 37.5,
         now, now, now, "open", 1, "segment", i, "和平街", "segment", 3.3, False, 1, 2, "work_hours", 14400.0,
         now, 0.0, 0, 0, 0, 1, True, None)
        for i in range(n)
    ]  # fmt: skip
    sql = f"INSERT INTO plain VALUES ({', '.join('?' * len(CASE_COLUMNS))})"
    started, cpu = time.perf_counter(), time.process_time()
    con.execute("BEGIN")
    for s in range(0, n, 20_000):
        con.executemany(sql, rows[s : s + 20_000])
    con.execute("COMMIT")
    took = time.perf_counter() - started, time.process_time() - cpu
    con.close()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    n = args.rows
    rng = np.random.default_rng(42)
    folder = Path(tempfile.mkdtemp(prefix="gridmap-bench-cases-"))
    settings = Settings(database_url=f"sqlite:///{folder / 'bench.sqlite'}", instance_dir=folder)
    engine = make_engine(settings)
    upgrade(engine)
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        seed(session)
        units = [Unit(name=f"单位{i}", kind="city_office", code=f"B{i}") for i in range(50)]
        session.add_all(units)
        session.flush()
        unit_ids = [u.id for u in units]
    path = folder / "routed.csv"
    t0 = time.perf_counter()
    make_csv(path, n, unit_ids, rng)
    print(f"wrote {n:,} routed reports to {path} in {time.perf_counter() - t0:.1f} s")

    base_before = baseline(folder / "baseline.sqlite", n, rng)
    started, cpu = time.perf_counter(), time.process_time()
    with session_scope(factory) as session:
        summary = import_cases_csv(session, path, settings, actor=cli_actor())
    took, took_cpu = time.perf_counter() - started, time.process_time() - cpu
    assert summary.imported == n, summary.describe()
    # the machine may be shared: the baseline runs before and after, and the faster run counts
    base = min(base_before, baseline(folder / "baseline2.sqlite", n, rng))
    print(summary.describe())
    print("phases (s):", ", ".join(f"{k} {v}" for k, v in (summary.phases or {}).items()))
    print(
        f"import as cases (end to end, committed): {took:.1f} s wall = {n / took:,.0f} rows/s; "
        f"{took_cpu:.1f} s CPU = {n / took_cpu:,.0f} rows/s  (target < 60 s)"
    )
    print(
        f"baseline raw executemany, plain table:   {base[0]:.1f} s wall = {n / base[0]:,.0f} rows/s; "
        f"{base[1]:.1f} s CPU = {n / base[1]:,.0f} rows/s"
    )
    print(f"ratio import/baseline throughput: {base[0] / took:.2f}× wall, {base[1] / took_cpu:.2f}× CPU")
    engine.dispose()
    if not args.keep:
        for f in folder.iterdir():
            f.unlink()
        folder.rmdir()


if __name__ == "__main__":
    main()
