#!/usr/bin/env python
"""Peak memory of `gridmap cases import` as the file grows (not a test): the import must stream (issue 16: < 1 GB
for 10,000,000 rows, whatever the file size).

    .venv/bin/python scripts/bench_import_memory.py [--rows 100000,1000000]

For each size, a routed CSV is written (as ``scripts/bench_cases.py`` makes it) and imported into a fresh SpatiaLite
file in a child process; its peak resident set (``ru_maxrss``) is printed with the bytes per row above the
baseline: the same child importing nothing but Python, gridmap and its libraries (what any command costs).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import sys, resource
sys.path.insert(0, {root!r}); sys.path.insert(0, {scripts!r})
from pathlib import Path
import numpy as np
import gridmap  # noqa: F401
from gridmap.config import Settings
from gridmap.store.engine import make_engine, make_session_factory, session_scope, upgrade
rows, folder = int(sys.argv[1]), Path(sys.argv[2])
if rows:
    from bench_cases import make_csv
    from gridmap.cases.bulk_import.importer import import_cases_csv
    from gridmap.catalogue.categories import seed
    from gridmap.accounts.actor import cli_actor
    from gridmap.store.models import Unit
    settings = Settings(database_url=f"sqlite:///{{folder / 'm.sqlite'}}", instance_dir=folder)
    engine = make_engine(settings)
    upgrade(engine)
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        seed(session)
        units = [Unit(name=f"单位{{i}}", kind="city_office", code=f"B{{i}}") for i in range(50)]
        session.add_all(units)
        session.flush()
        ids = [u.id for u in units]
    make_csv(folder / "r.csv", rows, ids, np.random.default_rng(1))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with session_scope(factory) as session:
        summary = import_cases_csv(session, folder / "r.csv", settings, actor=cli_actor())
    assert summary.imported == rows, summary.describe()
    print(before)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_kib(rows: int, folder: Path) -> tuple[int, int | None]:
    """(peak KiB of the child, its peak before the import) for an import of ``rows`` rows (0: the baseline)."""
    code = CHILD.format(root=str(ROOT), scripts=str(ROOT / "scripts"))
    done = subprocess.run([sys.executable, "-c", code, str(rows), str(folder)], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    out = done.stdout.split()
    return int(out[-1]), int(out[0]) if rows else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", default="100000,1000000")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base, _ = peak_kib(0, Path(tmp))
        print(f"baseline (Python + gridmap + libraries): {base / 1024:.0f} MiB")
        for n in (int(x) for x in args.rows.split(",") if x):
            with tempfile.TemporaryDirectory(dir=tmp) as sub:
                peak, before = peak_kib(n, Path(sub))
                print(
                    f"{n:>10,} rows: peak {peak / 1024:,.0f} MiB (before the import {before / 1024:,.0f} MiB); "
                    f"{(peak - base) * 1024 / n:,.0f} bytes a row above the baseline (target: < 1 GiB at 10,000,000)"
                )


if __name__ == "__main__":
    main()
