"""Benchmark: a monthly scorecard (every unit's counts, scores and ranks) over a year of cases.

For each size (units × cases, spread over the 12 months before December 2026) a fresh database is filled in bulk
(cases through the importer's bulk writer, their events — opening, dispatch, failed re-checks, closing — through the
dialect's multi-row INSERT or COPY), then November 2026 is scored by the two unit schemes: ``unit_composite``
(counts of the cases due) and ``unit_threshold`` (also the month's rework events). The figure is the wall time of
:func:`gridmap.evaluation.compute` (grouped SQL, scores, ranks, links; best of 3). The baseline, in the same process:
fetching the same rows (the month's due cases and events with their unit) and counting them in Python, against the
grouped SQL of :func:`gridmap.evaluation.counts.count` for the same counts — which are checked to be equal.
Targets (issue 15): 2,000 units × 2,000,000 cases < 1 s on PostGIS, < 3 s on SpatiaLite.

    .venv/bin/python scripts/bench_scorecards.py                       # small: 200 units × 20,000 cases
    .venv/bin/python scripts/bench_scorecards.py --sizes 200:200000,2000:2000000 \\
        --postgis postgresql+psycopg://postgres@127.0.0.1/postgres
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

import gridmap  # noqa: F401  (geometry libraries before SpatiaLite)
from gridmap.accounts.actor import cli_actor
from gridmap.cases.bulk_import.rows import insert_cases, reserve_ids
from gridmap.cases.values import as_utc
from gridmap.catalogue.categories import seed
from gridmap.config import Settings
from gridmap.evaluation import compute, ensure_default_schemes, latest_scheme, parse_period
from gridmap.evaluation.counts import count
from gridmap.store.dialect import dialect_of
from gridmap.store.engine import make_engine, make_session_factory, session_scope, upgrade
from gridmap.store.models import Case, CaseEvent, Unit

TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 12, 5, 9, tzinfo=TZ)
START = np.datetime64("2025-11-30T16:00:00", "us")  # 1 December 2025, local midnight, in UTC
YEAR_S = 365 * 86400
KINDS = ("city_office", "district_office", "enterprise")
EVENT_COLUMNS = ("case_id", "seq", "action", "from_status", "to_status", "actor", "at")


def fill(factory, n_units: int, n: int, rng: np.random.Generator) -> float:
    """Units and ``n`` cases with their events, in bulk; returns the seconds taken."""
    t0 = time.perf_counter()
    with session_scope(factory) as session:
        seed(session)
        ensure_default_schemes(session, cli_actor(), NOW)
        session.add_all(Unit(name=f"单位{i:05d}", kind=KINDS[i % 3], code=f"B{i}") for i in range(n_units))
        session.flush()
        unit_ids = np.asarray(session.scalars(select(Unit.id).order_by(Unit.id)).all())
        dialect = dialect_of(session)
        ids = np.asarray(reserve_ids(session, n))
        # ids follow the time of opening, as they do in a city's database
        created = START + np.sort((rng.random(n) * YEAR_S * 1e6).astype("timedelta64[us]"))
        deadline = created + np.timedelta64(2 * 86400, "s")
        u = rng.random(n)
        status = np.where(u < 0.80, "closed", np.where(u < 0.85, "parked", np.where(u < 0.88, "void", "in_progress")))
        on_time = rng.random(n) < 0.75
        closed_at = np.where(on_time, deadline - np.timedelta64(3600, "s"), deadline + np.timedelta64(86400, "s"))
        reworked = (rng.random(n) < 0.10) & (status != "void")
        units = unit_ids[rng.integers(0, len(unit_ids), n)]
        times = dialect.times_text
        t_created, t_deadline, t_closed = times(created), times(deadline), times(closed_at)
        t_dispatch = times(created + np.timedelta64(600, "s"))
        t_fail = times(deadline - np.timedelta64(12 * 3600, "s"))
        columns = {
            "id": ids.tolist(), "client_id": [f"b-{i}" for i in range(n)], "source": ["patrol"] * n,
            "reporter": [None] * n, "category": ["0102"] * n, "description": [None] * n, "address": [None] * n,
            "urgency": ["normal"] * n, "lon": (111.1 + rng.random(n) * 0.1).tolist(),
            "lat": (37.49 + rng.random(n) * 0.07).tolist(), "observed_at": t_created.tolist(),
            "status": status.tolist(), "unit_id": units.tolist(), "matched_kind": ["segment"] * n,
            "matched_id": [1] * n, "matched_name": [None] * n, "rule": ["segment"] * n, "distance_m": [1.0] * n,
            "ambiguous": [False] * n, "street_id": [None] * n, "community_id": [None] * n,
            "deadline_unit": ["work_days"] * n, "limit_seconds": [86400.0] * n, "deadline_at": t_deadline.tolist(),
            "verified": [True] * n, "duplicate_of": [None] * n,
        }  # fmt: skip
        insert_cases(session, columns, np.arange(n), "bench", "", None, opened=t_created.tolist())
        events, updates = [], []
        for i in range(n):
            if status[i] == "void":
                continue
            cid = int(ids[i])
            events.append((cid, 2, "dispatch", "open", "dispatched", "bench", t_dispatch[i]))
            seq = 3
            if reworked[i]:
                events.append((cid, 3, "recheck_fail", "reported_back", "in_progress", "bench", t_fail[i]))
                seq = 4
            if status[i] == "closed":
                events.append((cid, seq, "recheck_pass", "reported_back", "closed", "bench", t_closed[i]))
                updates.append((t_closed[i], int(reworked[i]), cid))
            elif reworked[i]:
                updates.append((None, 1, cid))
        conn = session.connection()
        for s in range(0, len(events), 200_000):
            dialect.insert_rows(conn, "case_events", EVENT_COLUMNS, events[s : s + 200_000])
        dialect.update_rows(conn, "cases", ("closed_at", "rework_count"), updates)
    if dialect.name == "postgresql":
        with factory() as session:
            session.execute(text("ANALYZE cases"))
            session.execute(text("ANALYZE case_events"))
            session.commit()
    return time.perf_counter() - t0


def python_counts(session, start: dt.datetime, end: dt.datetime) -> dict[str, dict[str, int]]:
    """The baseline: the same counts from fetched rows, one Python step per row."""
    out: dict[str, Counter[str]] = defaultdict(Counter)
    rows = session.execute(
        select(Case.unit_id, Case.status, Case.closed_at, Case.deadline_at, Case.rework_count).where(
            Case.deadline_at >= start, Case.deadline_at < end
        )
    ).all()
    now = NOW.astimezone(dt.UTC)
    for unit, status, closed_at, deadline, reworks in rows:
        if unit is None or status == "void":
            continue
        c = out[str(unit)]
        c["due"] += 1
        closed = status == "closed" and closed_at is not None and as_utc(closed_at) < end
        c["due_closed"] += closed
        c["due_on_time"] += closed and as_utc(closed_at) <= as_utc(deadline)
        c["due_parked"] += status == "parked"
        c["due_reworked"] += reworks > 0
        c["due_overdue"] += status != "parked" and not closed and as_utc(deadline) < now
    for unit, action in session.execute(
        select(Case.unit_id, CaseEvent.action)
        .join(Case, Case.id == CaseEvent.case_id)
        .where(CaseEvent.at >= start, CaseEvent.at < end)
    ):
        if action == "recheck_fail" and unit is not None:
            out[str(unit)]["reworked"] += 1
    return {k: dict(v) for k, v in out.items()}


def run(label: str, url: str, sizes: list[tuple[int, int]], folder: str) -> None:
    for n_units, n in sizes:
        db_url = url.format(tag=f"{n_units}_{n}")
        settings = Settings(database_url=db_url, instance_dir=folder)
        engine = make_engine(settings)
        upgrade(engine)
        factory = make_session_factory(engine)
        filled = fill(factory, n_units, n, np.random.default_rng(42))
        period = parse_period("2026-11", TZ)
        now = NOW.astimezone(dt.UTC)
        with factory() as session:
            timings: dict[str, float] = {}
            cards = {}
            for code in ("unit_composite", "unit_threshold"):
                scheme = latest_scheme(session, code)
                best = float("inf")
                for _ in range(3):
                    t0 = time.perf_counter()
                    cards[code] = compute(session, scheme, period, now)
                    best = min(best, time.perf_counter() - t0)
                timings[code] = best
            keys = {"due", "due_closed", "due_on_time", "due_parked", "due_reworked", "due_overdue", "reworked"}
            count_s = float("inf")
            for _ in range(3):
                t0 = time.perf_counter()
                count(session, "unit", period.start_utc, period.end_utc, keys, now=now)
                count_s = min(count_s, time.perf_counter() - t0)
            t0 = time.perf_counter()
            base = python_counts(session, period.start_utc, period.end_utc)
            base_s = time.perf_counter() - t0
        sql = {r["subject_id"]: r["counts"] for r in cards["unit_composite"]["rows"]}
        thr = {r["subject_id"]: r["counts"] for r in cards["unit_threshold"]["rows"]}
        for unit, counts in base.items():
            for k, v in counts.items():
                got = thr[unit][k] if k == "reworked" else sql[unit][k]
                assert got == v, (label, unit, k, got, v)
        due = sum(c.get("due", 0) for c in base.values())
        print(
            f"{label:10} {n_units:>6,} units {n:>10,} cases (filled in {filled:6.1f} s; {due:,} due in 2026-11): "
            f"scorecard composite {timings['unit_composite'] * 1000:5.0f} ms, threshold "
            f"{timings['unit_threshold'] * 1000:5.0f} ms (counted, scored, ranked, linked); the same counts: grouped "
            f"SQL {count_s * 1000:5.0f} ms vs fetch + Python {base_s * 1000:5.0f} ms (ratio {base_s / count_s:.1f}×)"
        )
        engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="200:20000", help="units:cases, comma separated")
    ap.add_argument("--postgis", default=None, help="postgresql+psycopg://... of a server (a database is made)")
    ap.add_argument("--no-spatialite", action="store_true")
    args = ap.parse_args()
    sizes = [(int(a), int(b)) for a, b in (s.split(":") for s in args.sizes.split(","))]
    with tempfile.TemporaryDirectory(prefix="gridmap-bench-scores-") as tmp:
        if not args.no_spatialite:
            run("SpatiaLite", f"sqlite:///{tmp}/bench_{{tag}}.sqlite", sizes, tmp)
        if args.postgis:
            admin = create_engine(args.postgis, isolation_level="AUTOCOMMIT")
            try:
                for u, n in sizes:  # a database per size, dropped as soon as it is measured
                    name = f"gridmap_bench_{uuid.uuid4().hex[:8]}_{u}_{n}"
                    with admin.connect() as conn:
                        conn.execute(text(f'CREATE DATABASE "{name}"'))
                    try:
                        url = make_url(args.postgis).set(database=name).render_as_string(hide_password=False)
                        run("PostGIS", url, [(u, n)], tmp)
                    finally:
                        with admin.connect() as conn:
                            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            finally:
                admin.dispose()


if __name__ == "__main__":
    main()
