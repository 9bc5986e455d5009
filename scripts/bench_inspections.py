"""Benchmark: an inspection's findings becoming cases (issue 14's target: 50 findings → cases in < 2 s), and a mock
assessment's failed checklist items becoming cases through the same code (``assessment_items`` below).

On the demo city, for 10, 50 and 200 failed findings at points on road segments: ``record_findings`` (validate every
finding, route the failed ones — from 20 on, in one vectorised call of the bulk router — open each as a case through
the usual report path ``open_report``: deadline, duplicate check, first event, audit — and store the findings),
against the baseline of opening the same reports one by one through the public use-case ``open_report`` (each
routed by the one-off path), in the same process and transaction shape. Each run is rolled back, so every run
sees the same city.

    .venv/bin/python scripts/bench_inspections.py [DATABASE_URL]      (default: a fresh SpatiaLite file in /tmp)
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely
from sqlalchemy import select

import gridmap  # noqa: F401  (geometry libraries load before SpatiaLite)
from gridmap.accounts.actor import Actor
from gridmap.cases import open_report
from gridmap.config import DEMO_DATA_DIR, Settings
from gridmap.imports.demo import database_is_empty, load_demo
from gridmap.inspections import seed_templates
from gridmap.inspections.records import open_inspection, record_findings
from gridmap.store.dialect import wkb
from gridmap.store.engine import make_engine, make_session_factory, upgrade
from gridmap.store.models import Segment

SIZES = (10, 50, 200)
REPEAT = 5
INSPECTOR = Actor(name="bench-inspector", role="inspector", via="cli")
ITEMS = ("ZG02", "ZG03", "ZG04", "ZG06", "ZG07")


def points_on_segments(session, n: int, rng: np.random.Generator) -> list[tuple[float, float]]:
    raws = session.scalars(select(wkb(Segment.geom))).all()
    lines = shapely.from_wkb([bytes(r) for r in raws])
    picked = lines[rng.choice(len(lines), size=n, replace=len(lines) < n)]
    pts = shapely.line_interpolate_point(picked, rng.uniform(0.1, 0.9, n), normalized=True)
    return [(float(p.x), float(p.y)) for p in pts]


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite'}"
    settings = Settings(database_url=url, instance_dir=Path(tempfile.mkdtemp()))
    engine = make_engine(settings)
    upgrade(engine)
    factory = make_session_factory(engine)
    rng = np.random.default_rng(14)
    tz = dt.UTC
    with factory() as s:
        if database_is_empty(s):
            load_demo(s, DEMO_DATA_DIR)
        seed_templates(s)
        s.commit()
        print(f"database: {engine.dialect.name}")
        # warm-up, as in a running server: the one-off path once, then the bulk router's layers loaded once
        warm = open_inspection(s, {"point_type": "main_road"}, actor=INSPECTOR, tz=tz)
        x, y = points_on_segments(s, 1, rng)[0]
        one = [{"item": "ZG02", "passed": False, "lon": x, "lat": y}]
        record_findings(s, warm["id"], one, settings, actor=INSPECTOR)
        first = [{"item": "ZG02", "passed": False, "lon": x, "lat": y} for x, y in points_on_segments(s, 50, rng)]
        t = time.perf_counter()
        record_findings(s, warm["id"], first, settings, actor=INSPECTOR)
        print(
            f"first 50 findings after start (the bulk router loads the city's layers): {time.perf_counter() - t:.2f} s"
        )
        s.rollback()
        print(f"{'findings':>8} {'record_findings':>16} {'one by one':>12} {'ratio':>7} {'per finding':>12}")
        for n in SIZES:
            pts = points_on_segments(s, n, rng)
            findings = [
                {"item": ITEMS[i % len(ITEMS)], "passed": False, "lon": x, "lat": y, "note": f"问题 {i}"}
                for i, (x, y) in enumerate(pts)
            ]
            ours, base = [], []
            for _ in range(REPEAT):
                inspection = open_inspection(s, {"point_type": "main_road"}, actor=INSPECTOR, tz=tz)
                t = time.perf_counter()
                done = record_findings(s, inspection["id"], findings, settings, actor=INSPECTOR)
                ours.append(time.perf_counter() - t)
                assert sum(f["case_id"] is not None for f in done["findings"]) == n
                s.rollback()
                t = time.perf_counter()
                for f in findings:
                    open_report(
                        s,
                        {
                            "lon": f["lon"],
                            "lat": f["lat"],
                            "category": "0504",
                            "source": "inspection",
                            "description": f["note"],
                        },
                        settings,
                        actor=INSPECTOR,
                    )
                base.append(time.perf_counter() - t)
                s.rollback()
            a, b = statistics.median(ours), statistics.median(base)
            print(f"{n:>8} {a:>14.3f} s {b:>10.3f} s {a / b:>6.2f}× {1000 * a / n:>9.1f} ms")
        assessment_items(s, settings)
    engine.dispose()


def assessment_items(s, settings: Settings) -> None:
    """Mock-assessment items failed at drawn main-road points, a point's checklist at a time (``record_items``:
    check, open each failure as a case through the shared finding code, store, rescore the point), against opening
    the same reports one by one through ``open_report``. CPU time beside wall time (a shared machine)."""
    from gridmap.assessments.drawing import draw, parse_request
    from gridmap.assessments.items import record_items
    from gridmap.inspections import current_edition

    codes = [i["code"] for i in current_edition(s, "main_road")["items"]]
    cats = {i["code"]: i["category"] for i in current_edition(s, "main_road")["items"]}
    print(f"mock assessment: failed checklist items → cases ({len(codes)} items a main-road point)")
    print(f"{'items':>8} {'record_items':>14} {'cpu':>8} {'one by one':>12} {'ratio':>7} {'per item':>10}")
    for n in (10, 50, 200):
        points = -(-n // len(codes))
        ours, cpu, base = [], [], []
        for r in range(REPEAT):
            ask = {"points": points, "quotas": {"main_road": points}, "seed": 100 + r}
            request = parse_request(ask, dt.date.today())
            made = draw(s, request, INSPECTOR)
            drawn = made["points"]
            work = []
            left = n
            for p in drawn:
                take = codes[: min(left, len(codes))]
                left -= len(take)
                work.append((p, [{"item": c, "passed": False, "lon": p["lon"], "lat": p["lat"]} for c in take]))
            t, c = time.perf_counter(), time.process_time()
            for p, items in work:
                record_items(s, made["id"], p["id"], items, settings, actor=INSPECTOR)
            ours.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
            s.rollback()
            t = time.perf_counter()
            for _p, items in work:
                for f in items:
                    report = {"lon": f["lon"], "lat": f["lat"], "category": cats[f["item"]], "source": "inspection"}
                    open_report(s, report, settings, actor=INSPECTOR)
            base.append(time.perf_counter() - t)
            s.rollback()
        a, b = statistics.median(ours), statistics.median(base)
        print(
            f"{n:>8} {a:>12.3f} s {statistics.median(cpu):>6.3f} s {b:>10.3f} s {a / b:>6.2f}× {1000 * a / n:>7.1f} ms"
        )


if __name__ == "__main__":
    main()
