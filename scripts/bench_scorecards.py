"""Benchmark: a monthly scorecard (every unit's counts, scores and ranks) over a year of cases.

For each size (units × cases, spread over the 12 months before December 2026) a fresh database is filled as one
bulk load: the cases as they end up (closing time, rework count) and their events — opening, dispatch, failed
re-checks, closing — inside the dialect's bulk load (SpatiaLite: per-row triggers and secondary indexes set aside,
rebuilt once) or by COPY (PostgreSQL: triggers off, indexes built after, then VACUUM ANALYZE): 2,000,000 cases in a
few minutes. Then November 2026 is scored by the two unit schemes: ``unit_composite`` (counts of the cases due) and
``unit_threshold`` (also the month's rework events). The figure is the wall and CPU time of
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
import contextlib
import datetime as dt
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

import gridmap  # noqa: F401  (geometry libraries before SpatiaLite)
from gridmap.accounts.actor import cli_actor
from gridmap.cases.bulk_import.rows import reserve_ids
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
CHUNK = 100_000  # cases per part of the load
EVENT_COLUMNS = ("case_id", "seq", "action", "from_status", "to_status", "actor", "at")


def fill(factory, n_units: int, n: int, rng: np.random.Generator) -> tuple[float, dict[str, float]]:
    """Units and ``n`` cases with their events, written as one bulk load (the dialect's: SpatiaLite's per-row
    triggers and the secondary indexes set aside and rebuilt once, PostgreSQL's COPY); returns the seconds taken
    and the load's phases."""
    t0 = time.perf_counter()
    phases: dict[str, float] = {}
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
        lon, lat = 111.1 + rng.random(n) * 0.1, 37.49 + rng.random(n) * 0.07
        conn = session.connection()
        written = dialect.name == "sqlite"  # (PostgreSQL keeps its GiST index itself: no points to hand over)

        def points() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            return (ids, lon, lat) if written else (ids[:0], lon[:0], lat[:0])

        with dialect.bulk_load(conn, ("cases", "case_events"), n, points, phases), _pg_set_aside(conn, phases):
            for s in range(0, n, CHUNK):
                e = min(s + CHUNK, n)
                _write_chunk(conn, dialect, slice(s, e), ids, created, deadline, closed_at, status, reworked, units,
                             lon, lat)  # fmt: skip
    if dialect.name == "postgresql":  # what autovacuum does after a load: statistics, and the visibility map that
        # lets an index-only scan skip the table's pages
        with factory.kw["bind"].connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE cases")
            conn.exec_driver_sql("VACUUM ANALYZE case_events")
    return time.perf_counter() - t0, phases


@contextlib.contextmanager
def _pg_set_aside(conn, phases: dict[str, float]) -> Iterator[None]:
    """PostgreSQL only (the bench's own shortcut: its rows are consistent by construction): the per-row triggers —
    foreign-key checks, the heat notes — off for the load (``session_replication_role``), and the secondary
    indexes of ``cases`` and ``case_events`` dropped and built again after it, as SpatiaLite's bulk load does."""
    if conn.dialect.name != "postgresql":
        yield
        return
    saved = conn.exec_driver_sql(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename IN ('cases', 'case_events') "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname)"
    ).all()
    for name, _sql in saved:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
    t0 = time.perf_counter()
    yield
    t1 = time.perf_counter()
    conn.exec_driver_sql("SET LOCAL session_replication_role = origin")
    conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '512MB'")
    for _name, sql in saved:
        conn.exec_driver_sql(sql)
    phases["rows"], phases["indexes"] = round(t1 - t0, 2), round(time.perf_counter() - t1, 2)


def _write_chunk(conn, dialect, part: slice, ids, created, deadline, closed_at, status, reworked, units, lon, lat):
    """The cases of ``part`` (closed ones with their closing time and rework count already set) and their events:
    opening (import), dispatch, a failed re-check for reworked cases, closing."""
    times = dialect.times_text
    ids, status, reworked = ids[part], status[part], reworked[part]
    k = len(ids)
    closed = status == "closed"
    t_created, t_deadline = times(created[part]).tolist(), times(deadline[part]).tolist()
    t_closed = np.where(closed, times(closed_at[part]).astype(object), None).tolist()
    t_dispatch = times(created[part] + np.timedelta64(600, "s")).tolist()
    t_fail = times(deadline[part] - np.timedelta64(12 * 3600, "s")).tolist()
    cid, st, rw = ids.tolist(), status.tolist(), reworked.astype(int).tolist()
    columns = {
        "id": cid, "client_id": [f"b-{i}" for i in cid], "source": ["patrol"] * k, "category": ["0102"] * k,
        "urgency": ["normal"] * k, "lon": lon[part].tolist(), "lat": lat[part].tolist(), "observed_at": t_created,
        "created_at": t_created, "updated_at": t_created, "status": st, "unit_id": units[part].tolist(),
        "matched_kind": ["segment"] * k, "matched_id": [1] * k, "rule": ["segment"] * k, "distance_m": [1.0] * k,
        "ambiguous": [False] * k, "deadline_unit": ["work_days"] * k, "limit_seconds": [86400.0] * k,
        "deadline_at": t_deadline, "paused_seconds": [0.0] * k, "extension_count": [0] * k, "rework_count": rw,
        "supervision_level": [0] * k, "version": [1] * k, "verified": [True] * k, "closed_at": t_closed,
    }  # fmt: skip
    names = tuple(columns)
    dialect.insert_points(
        conn, "cases", names, list(zip(*(columns[c] for c in names), strict=True)), lon[part], lat[part]
    )
    events = [(c, 1, "import", None, "open", "bench", t) for c, t in zip(cid, t_created, strict=True)]
    for i in np.flatnonzero(status != "void").tolist():
        c = cid[i]
        events.append((c, 2, "dispatch", "open", "dispatched", "bench", t_dispatch[i]))
        seq = 3
        if rw[i]:
            events.append((c, 3, "recheck_fail", "reported_back", "in_progress", "bench", t_fail[i]))
            seq = 4
        if st[i] == "closed":
            events.append((c, seq, "recheck_pass", "reported_back", "closed", "bench", t_closed[i]))
    dialect.insert_rows(conn, "case_events", EVENT_COLUMNS, events)


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
        filled, phases = fill(factory, n_units, n, np.random.default_rng(42))
        measure(label, factory, n_units, n, f"filled in {filled:.0f} s {phases}")
        engine.dispose()


def measure(label: str, factory, n_units: int, n: int, how: str) -> None:
    """November 2026's scorecards (best of 3: wall and this process's CPU — SpatiaLite's work is in it, PostgreSQL's
    is not) and the same counts by the baseline, checked equal, on a filled database; ``how``: how it was filled."""
    period = parse_period("2026-11", TZ)
    now = NOW.astimezone(dt.UTC)
    with factory() as session:
        timings: dict[str, tuple[float, float]] = {}
        cards = {}
        for code in ("unit_composite", "unit_threshold"):
            scheme = latest_scheme(session, code)
            timings[code] = best_of(3, lambda c=code, s=scheme: cards.__setitem__(c, compute(session, s, period, now)))
        keys = {"due", "due_closed", "due_on_time", "due_parked", "due_reworked", "due_overdue", "reworked"}
        grouped = best_of(3, lambda: count(session, "unit", period.start_utc, period.end_utc, keys, now=now))
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
    comp, thre = timings["unit_composite"], timings["unit_threshold"]
    print(
        f"{label:10} {n_units:>6,} units {n:>10,} cases ({how}; {due:,} due in 2026-11): scorecard composite "
        f"{comp[0] * 1000:5.0f} ms (CPU {comp[1] * 1000:4.0f}), threshold {thre[0] * 1000:5.0f} ms (CPU "
        f"{thre[1] * 1000:4.0f}) (counted, scored, ranked, linked); the same counts: grouped SQL "
        f"{grouped[0] * 1000:5.0f} ms vs fetch + Python {base_s * 1000:5.0f} ms (ratio {base_s / grouped[0]:.1f}×)",
        flush=True,
    )


def best_of(k: int, work) -> tuple[float, float]:
    """(wall s, CPU s) of the fastest of ``k`` runs."""
    runs = []
    for _ in range(k):
        t0, c0 = time.perf_counter(), time.process_time()
        work()
        runs.append((time.perf_counter() - t0, time.process_time() - c0))
    return min(runs)


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
