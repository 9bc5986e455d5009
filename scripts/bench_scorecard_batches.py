"""Benchmark: a batch of scorecards (every scheme × a run of months) in one process against the same tasks on a
Dask cluster of N local worker processes (``gridmap scorecards batch --scheduler local:N``).

The database is one you name (``--database-url``: e.g. one filled by ``scripts/bench_scorecards.py --keep`` or a
city's copy), or, by default, the demo city with its year of reports loaded into a temporary SpatiaLite file. The
baseline is the single process running the very tasks, in this process; the cards are checked to be equal. The
cluster's start-up is timed apart from the batch (a standing cluster pays it once).

    .venv/bin/python scripts/bench_scorecard_batches.py                              # the demo city
    .venv/bin/python scripts/bench_scorecard_batches.py --database-url postgresql+psycopg://postgres@127.0.0.1/x \\
        --from 2025-12 --to 2026-11 --workers 2
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import gridmap  # noqa: F401  (geometry libraries before SpatiaLite)
from gridmap.config import DEMO_DATA_DIR, Settings
from gridmap.evaluation.batches import periods_between, plan, run_task
from gridmap.store.engine import make_engine, make_session_factory, upgrade


def demo_city(directory: Path) -> Settings:
    """The demo city with its year of reports in ``directory``, as ``gridmap demo`` loads it."""
    from gridmap.imports.demo import load_demo

    settings = Settings(database_url=f"sqlite:///{directory / 'gridmap.sqlite'}", instance_dir=directory)
    engine = make_engine(settings)
    upgrade(engine)
    with make_session_factory(engine)() as session:
        load_demo(session, DEMO_DATA_DIR, settings, with_reports=True)
        session.commit()
    engine.dispose()
    return settings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--from", dest="first", default="2025-12")
    ap.add_argument("--to", dest="last", default="2026-11")
    ap.add_argument("--scheme", action="append", default=[], help="scheme codes (default: every scheme)")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="gridmap-batch-") as tmp:
        if args.database_url:
            settings = Settings(database_url=args.database_url, instance_dir=Path(tmp))
            t_fill = 0.0
        else:
            t0 = time.perf_counter()
            settings = demo_city(Path(tmp))
            t_fill = time.perf_counter() - t0
        tz = ZoneInfo(settings.cases.timezone)
        engine = make_engine(settings)
        with make_session_factory(engine)() as session:
            periods = periods_between(args.first, args.last, tz)
            tasks = plan(session, settings, periods, dt.datetime.now(dt.UTC), args.scheme)
        engine.dispose()
        schemes = len(tasks) // len(periods)
        where = args.database_url.split(":", 1)[0] if args.database_url else f"demo city (loaded in {t_fill:.1f} s)"
        print(f"{where}: {schemes} schemes × {len(periods)} periods = {len(tasks)} scorecards; load {os.getloadavg()}")

        c0, t0 = time.process_time(), time.perf_counter()
        alone = [run_task(t) for t in tasks]
        one_wall, one_cpu = time.perf_counter() - t0, time.process_time() - c0
        rows = sum(len(c["rows"]) for c in alone)
        print(f"  one process: {one_wall:.2f} s wall, {one_cpu:.2f} s CPU ({rows} scorecard rows)")

        from distributed import Client, LocalCluster

        t0 = time.perf_counter()
        with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None,
                          memory_limit=0) as cluster, Client(cluster) as client:  # fmt: skip
            start = time.perf_counter() - t0
            t0 = time.perf_counter()
            spread = list(client.gather(client.map(run_task, tasks, pure=False)))
            dask_wall = time.perf_counter() - t0
        assert spread == alone, "the cards counted on Dask differ from the single process's"
        print(f"  Dask, {args.workers} local workers: {dask_wall:.2f} s wall (+ {start:.1f} s to start the cluster)"
              f" → {one_wall / dask_wall:.2f}× the single process; cards equal")  # fmt: skip


if __name__ == "__main__":
    main()
