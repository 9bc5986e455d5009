#!/usr/bin/env python
"""Make many cases in an existing gridmap database, for measuring at city scale (not a test, not for production).

    .venv/bin/python scripts/make_cases.py --database-url sqlite:///instance/gridmap.sqlite --cases 1000000
    .venv/bin/python scripts/make_cases.py --database-url postgresql+psycopg://postgres@127.0.0.1/gm --cases 10000000

Cases lie uniformly in the city's communities (the areas already stored), opened over ``--years`` (newest today),
of the catalogue's event categories, each with a unit, a street/community, a deadline two days after opening, and
one import event; a fraction ``--active`` is still in the loop (spread over the active statuses; a tenth of them
overdue), the rest closed (a few void). Written with the case importer's bulk insert
(:func:`gridmap.cases.bulk_import.rows.insert_cases`: COPY on PostGIS) in chunks of ``--chunk`` rows, each
committed: memory stays bounded, and an interrupted run keeps what it wrote. On PostGIS, when more cases are made
than the table holds, the secondary indexes of ``cases`` and ``case_events`` are set aside and built again once at
the end (about 10,000,000 cases in minutes rather than an hour of index upkeep per row).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, select, text  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

import gridmap  # noqa: E402,F401  (geometry libraries before SpatiaLite)
from gridmap.cases.bulk_import.importer import locate_areas_bulk  # noqa: E402
from gridmap.cases.bulk_import.rows import insert_cases, reserve_ids  # noqa: E402
from gridmap.cases.states import ACTIVE  # noqa: E402
from gridmap.catalogue.categories import seed  # noqa: E402
from gridmap.config import Settings  # noqa: E402
from gridmap.store.dialect import dialect_of, wkb  # noqa: E402
from gridmap.store.engine import make_engine, make_session_factory, session_scope, upgrade  # noqa: E402
from gridmap.store.models import Area, Category, Unit  # noqa: E402

ACTIVE_STATUSES = sorted(s.value for s in ACTIVE)
US = 1_000_000


def _random_points(union: shapely.Geometry, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points uniform in ``union`` (prepared; rejection sampling in the bounding box)."""
    x0, y0, x1, y1 = union.bounds
    lon, lat = np.empty(0), np.empty(0)
    while len(lon) < n:
        k = int((n - len(lon)) * 1.6) + 100
        x, y = x0 + rng.random(k) * (x1 - x0), y0 + rng.random(k) * (y1 - y0)
        inside = shapely.contains_xy(union, x, y)
        lon, lat = np.r_[lon, x[inside]], np.r_[lat, y[inside]]
    return lon[:n], lat[:n]


def make_cases(settings: Settings, n: int, *, active: float, years: float, chunk: int, seed_: int) -> float:
    """Write ``n`` cases; returns the seconds taken."""
    engine = make_engine(settings)
    upgrade(engine)
    factory = make_session_factory(engine)
    rng = np.random.default_rng(seed_)
    with session_scope(factory) as session:
        if not session.scalar(select(Category.code).limit(1)):
            seed(session)
        cats = session.execute(
            select(Category.code).where(Category.parent_code.isnot(None), Category.family == "event")
        ).scalars()
        categories = np.asarray(sorted(cats), dtype=object)
        units = np.asarray(session.scalars(select(Unit.id).order_by(Unit.id)).all(), dtype=object)
        comms = session.execute(select(wkb(Area.geom)).where(Area.level == "community")).scalars().all()
        geoms = shapely.from_wkb([bytes(g) for g in comms])
    if not len(geoms) or not len(units) or not len(categories):
        raise SystemExit("the database needs communities, units and categories first (e.g. `gridmap demo load`)")
    union = shapely.union_all(geoms)
    shapely.prepare(union)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    now_us = int(now.timestamp()) * US
    span_us = int(years * 365.25 * 86400) * US
    started = time.perf_counter()
    aside = _indexes_aside(engine, n)
    try:
        _fill(factory, n, union, categories, units, rng, now_us, span_us, active, chunk, started)
    finally:
        if aside:
            t0 = time.perf_counter()
            with engine.begin() as conn:
                conn.exec_driver_sql("SET maintenance_work_mem = '1GB'")
                for sql in aside:
                    conn.exec_driver_sql(sql)
                conn.exec_driver_sql("ANALYZE cases")
                conn.exec_driver_sql("ANALYZE case_events")
            print(f"  {len(aside) - 1} indexes built again in {time.perf_counter() - t0:.0f} s", flush=True)
    engine.dispose()
    return time.perf_counter() - started


def _indexes_aside(engine: Engine, n: int) -> list[str]:
    """On PostGIS, when ``n`` is more than ``cases`` holds: drop the secondary indexes of ``cases`` and
    ``case_events`` (not the keys and unique constraints) and return their CREATE statements."""
    if engine.dialect.name != "postgresql":
        return []
    with engine.begin() as conn:
        if (conn.exec_driver_sql("SELECT count(*) FROM cases").scalar() or 0) >= n:
            return []
        found = conn.exec_driver_sql(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename IN ('cases', 'case_events') "
            "AND i.indexname NOT IN (SELECT conname FROM pg_constraint) ORDER BY i.indexname"
        ).all()
        for name, _ in found:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
        # one note "rebuild the heat totals" instead of one per case from the row trigger (migration 0023)
        conn.exec_driver_sql("ALTER TABLE cases DISABLE TRIGGER trg_cases_heat")
        conn.exec_driver_sql("INSERT INTO heat_dirty (kind, target_id) VALUES ('*', 0)")
    return [sql for _, sql in found] + ["ALTER TABLE cases ENABLE TRIGGER trg_cases_heat"]


def _fill(
    factory: sessionmaker[Session], n: int, union: shapely.Geometry, categories: np.ndarray, units: np.ndarray,
    rng: np.random.Generator, now_us: int, span_us: int, active: float, chunk: int, started: float,
) -> None:  # fmt: skip
    done = 0
    while done < n:
        k = min(chunk, n - done)
        lon, lat = _random_points(union, k, rng)
        opened_us = np.sort(now_us - rng.integers(0, span_us, k))  # ids grow with the opening time
        is_active = rng.random(k) < active
        status = np.where(is_active, np.asarray(ACTIVE_STATUSES)[rng.integers(0, len(ACTIVE_STATUSES), k)], "closed")
        status = np.where(~is_active & (rng.random(k) < 0.02), "void", status)
        deadline_us = opened_us + 2 * 86400 * US
        # a closed case was closed 0.2–4 days after opening (about half of them past the two-day deadline)
        closed_us = opened_us + ((rng.random(k) * 3.8 + 0.2) * 86400 * US).astype(np.int64)
        closed_us = np.where(is_active, -1, np.minimum(now_us, closed_us))
        late = is_active & (rng.random(k) < 0.1)  # a tenth of the open ones overdue, the rest due in the future
        deadline_us = np.where(is_active & ~late, now_us + rng.integers(1, 5 * 86400, k) * US, deadline_us)
        with session_scope(factory, writes=True) as session:
            if session.get_bind().dialect.name == "postgresql":
                # made rows refer to stored units, areas and categories: the per-row foreign-key checks (and the
                # heat note, see _indexes_aside) are skipped for the load
                session.execute(text("SET LOCAL session_replication_role = replica"))
                session.execute(text("SET LOCAL synchronous_commit = off"))
            stamp = dialect_of(session).times_text
            street_id, community_id = locate_areas_bulk(session, lon, lat)
            ids = reserve_ids(session, k)
            opened = stamp(opened_us).tolist()
            closed = stamp(closed_us).tolist()
            none = [None] * k

            def nz(a: np.ndarray) -> list[object]:
                return [None if v < 0 else int(v) for v in a.tolist()]

            columns: dict[str, list[object]] = {
                "id": ids.tolist(),
                "client_id": none,
                "source": ["patrol"] * k,
                "reporter": none,
                "category": categories[rng.integers(0, len(categories), k)].tolist(),
                "description": none,
                "address": none,
                "urgency": ["normal"] * k,
                "lon": lon.tolist(),
                "lat": lat.tolist(),
                "observed_at": opened,
                "created_at": opened,
                "updated_at": opened,
                "status": status.tolist(),
                "unit_id": units[rng.integers(0, len(units), k)].tolist(),
                "matched_kind": none,
                "matched_id": none,
                "matched_name": none,
                "rule": none,
                "distance_m": none,
                "ambiguous": [False] * k,
                "street_id": nz(street_id),
                "community_id": nz(community_id),
                "deadline_unit": ["urgent_hours"] * k,
                "limit_seconds": [2 * 86400.0] * k,
                "deadline_at": stamp(deadline_us).tolist(),
                "paused_seconds": [0.0] * k,
                "extension_count": [0] * k,
                "rework_count": [0] * k,
                "supervision_level": [0] * k,
                "version": [1] * k,
                "verified": [True] * k,
                "duplicate_of": none,
                "closed_at": [None if c < 0 else t for c, t in zip(closed_us.tolist(), closed, strict=True)],
            }
            lines = np.arange(done + 2, done + 2 + k)
            insert_cases(session, columns, lines, "make_cases", opened[-1], None, opened=opened)
        done += k
        rate = done / (time.perf_counter() - started)
        print(f"  {done:,} cases ({rate:,.0f}/s)", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--active", type=float, default=0.03, help="fraction still in the loop")
    ap.add_argument("--years", type=float, default=3.0)
    ap.add_argument("--chunk", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    settings = Settings(database_url=args.database_url, instance_dir=Path.cwd() / "instance")
    took = make_cases(settings, args.cases, active=args.active, years=args.years, chunk=args.chunk, seed_=args.seed)
    print(f"made {args.cases:,} cases in {took:.1f} s")


if __name__ == "__main__":
    main()
