#!/usr/bin/env python
"""Peak memory and speed of `gridmap cases import` as the file grows (not a test): the import streams (issue 16:
< 1 GB for 10,000,000 rows, whatever the file size).

    .venv/bin/python scripts/bench_import_memory.py [--rows 100000,1000000] [--postgis ADMIN_URL] [--no-spatialite]

For each size, a routed CSV is written once (as ``scripts/bench_cases.py`` makes it, in a process of its own) and
imported into a fresh SpatiaLite file and/or a fresh PostGIS database (made with ADMIN_URL, dropped after) in a
child process; its peak resident set (``VmHWM``, read from /proc/self/status as the rows go in: after a quarter,
half, three quarters and all of them) and rows/s (wall and CPU) are printed beside the baseline: the same child
loading the same libraries and making a plain ``csv.reader`` pass over the same file (what reading it costs at
least). Peak growth from size to size, and from quarter to quarter, is what streaming must keep flat.

The reports span ``--days-per-100k`` days per 100,000 rows (default 20: a city's 5,000 reports a day, so the
density of reports in space and time — and the duplicate candidates of each row — is the same at every size; a
10,000,000-row file is five and a half years). ``--days-per-100k 0`` puts every file in 20 days, as
``scripts/bench_cases.py`` does (the dense file: most rows are duplicates, and the candidates per row grow with n).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRELUDE = f"""
import os, sys, time
sys.path.insert(0, {str(ROOT)!r}); sys.path.insert(0, {str(ROOT / "scripts")!r})
from pathlib import Path
import numpy as np
import gridmap  # noqa: F401
from gridmap.cases.bulk_import.importer import import_cases_csv
"""

MAKE = """
from bench_cases import make_csv
make_csv(Path(sys.argv[1]), int(sys.argv[2]), list(range(1, 51)), np.random.default_rng(1), days=float(sys.argv[3]))
"""

HWM = """
def hwm_mib():
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM")) / 1024
"""

BASELINE = """
import csv
t = time.perf_counter()
with open(sys.argv[1], encoding="utf-8", newline="") as fh:
    n = sum(1 for _ in csv.reader(fh)) - 1
print(n, time.perf_counter() - t, hwm_mib())
"""

IMPORT = """
from gridmap.accounts.actor import cli_actor
from gridmap.catalogue.categories import seed
from gridmap.config import Settings
from gridmap.store.engine import make_engine, make_session_factory, session_scope, upgrade
from gridmap.store.models import Unit
csv_path, url, folder = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
settings = Settings(database_url=url, instance_dir=folder)
engine = make_engine(settings)
upgrade(engine)
factory = make_session_factory(engine)
with session_scope(factory) as session:
    seed(session)
    units = [Unit(name=f"单位{i}", kind="city_office", code=f"B{i}") for i in range(50)]
    session.add_all(units)
    session.flush()
    assert [u.id for u in units] == list(range(1, 51))
before = hwm_mib()
marks, done = [], [0]
def progress(n, total):
    if total is None:
        done[0] += n
        while len(marks) < 3 and done[0] >= int(sys.argv[4]) * (len(marks) + 1) // 4:
            marks.append(round(hwm_mib()))
t, cpu = time.perf_counter(), time.process_time()
with session_scope(factory) as session:
    summary = import_cases_csv(session, csv_path, settings, actor=cli_actor(), progress=progress)
seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
assert summary.bad == 0, summary.describe()
print(summary.imported, seconds, cpu, before, hwm_mib(), "/".join(map(str, marks)), summary.duplicates)
print(summary.phases, file=sys.stderr)
"""


def run(code: str, *args: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", PRELUDE + HWM + code, *args], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    if done.stderr.strip():
        print(f"    phases (s): {done.stderr.strip().splitlines()[-1]}")
    return done.stdout.split()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", default="100000,1000000")
    ap.add_argument(
        "--postgis", default=None, help="postgresql+psycopg://… URL of a server login that may CREATE DATABASE"
    )
    ap.add_argument("--no-spatialite", action="store_true")
    ap.add_argument("--days-per-100k", type=float, default=20.0, help="days the reports span per 100,000 rows")
    args = ap.parse_args()
    admin = None
    if args.postgis:
        from sqlalchemy import create_engine, make_url, text

        admin = create_engine(args.postgis, isolation_level="AUTOCOMMIT")
    print("peak RSS (VmHWM, MiB) and rows/s; baseline: the same libraries loaded and a csv.reader pass over the same "
          f"file; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(x) for x in args.rows.split(",") if x):
            path = Path(tmp) / f"r{n}.csv"
            days = args.days_per_100k * n / 100_000 if args.days_per_100k > 0 else 20.0
            run(MAKE, str(path), str(n), str(days))
            rows, secs, base = run(BASELINE, str(path))
            base_mib = float(base)
            print(f"{n:>11,} rows ({path.stat().st_size / 2**20:,.0f} MiB file): baseline peak {base_mib:,.0f} MiB, "
                  f"{int(rows) / float(secs):,.0f} rows/s")  # fmt: skip
            targets = []
            if not args.no_spatialite:
                targets.append(("SpatiaLite", f"sqlite:///{Path(tmp) / f'm{n}.sqlite'}", None))
            if admin is not None:
                name = f"gridmap_bench_import_{uuid.uuid4().hex[:8]}"
                targets.append(("PostGIS", make_url(args.postgis).set(database=name).render_as_string(False), name))
            for label, url, db in targets:
                if db:
                    with admin.connect() as conn:  # type: ignore[union-attr]  (admin is set with a PostGIS target)
                        conn.execute(text(f'CREATE DATABASE "{db}"'))
                try:
                    done, secs, cpu, before, peak, marks, dups = run(IMPORT, str(path), url, tmp, str(n))
                finally:
                    if db:
                        with admin.connect() as conn:  # type: ignore[union-attr]
                            conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
                    Path(tmp, f"m{n}.sqlite").unlink(missing_ok=True)
                peak_mib = float(peak)
                print(f"    {label:<10} peak {peak_mib:,.0f} MiB (before the import {float(before):,.0f} MiB; at ¼/½/¾ "
                      f"of the rows {marks} MiB; {peak_mib - base_mib:+,.0f} MiB over the baseline, "
                      f"{(peak_mib / base_mib):.2f}×), {int(done) / float(secs):,.0f} rows/s "
                      f"({float(secs):,.1f} s wall, "
                      f"{float(cpu):,.1f} s CPU), {int(dups):,} linked as duplicates; load average "
                      f"{os.getloadavg()[0]:.1f}")  # fmt: skip
            path.unlink()


if __name__ == "__main__":
    main()
