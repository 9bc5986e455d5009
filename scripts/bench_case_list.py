#!/usr/bin/env python
"""Benchmark the case list, heat points and the OGC cases layer through the API as the cases grow (not a test).

    .venv/bin/python scripts/bench_case_list.py [--sizes 100000,1000000] [--databases spatialite,postgis]
        [--postgis postgresql+psycopg://postgres@127.0.0.1/postgres] [--postgis-sizes 100000,1000000,10000000]
        [--reuse postgresql+psycopg://…/a_filled_db] [--runs 15]

Each size is the demo city with N cases made by ``scripts/make_cases.py`` (3 % still open, over 3 years) in a
fresh SpatiaLite file or PostGIS database (dropped at the end; ``--reuse`` measures a database already filled and
leaves it). Requests go through Flask's test client signed in as a commander (a bearer token), ``--runs`` times
each after one warm-up, and print p50 / p95 in ms with the CPU time of the process per request:

* ``GET /api/v1/cases`` with the common filters (status incl. ``active``, category, unit, 街道/社区, overdue,
  period, combined), the first page of 50 and the next page by keyset (``after``);
* ``GET /api/v1/heat`` points: the open cases (the page's default), every case (binned), one screen (``bbox``);
* ``GET /ogc/collections/cases/items`` by the bbox of a screen (~3.5 × 2.7 km), the open and all cases.

Baseline, in the same process on the same database: the same conditions as one plain SELECT of the page's ids
(``case_conditions`` → ``SELECT id … ORDER BY id DESC LIMIT 50``, the indexes as they are), so the ratio shows what
the API adds (its count, the page's rows, JSON) over finding the page. Target (issue 16): case list and heat
< 300 ms at 1,000,000 cases on SpatiaLite and 10,000,000 on PostGIS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from make_cases import make_cases  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

import gridmap  # noqa: E402,F401  (geometry libraries before SpatiaLite)
from gridmap.accounts import registry  # noqa: E402
from gridmap.accounts.actor import cli_actor  # noqa: E402
from gridmap.cases.queries import case_conditions  # noqa: E402
from gridmap.config import Settings  # noqa: E402
from gridmap.store.dialect import dialect_of  # noqa: E402
from gridmap.store.engine import make_engine, make_session_factory, session_scope  # noqa: E402
from gridmap.store.models import Account, Area, Case  # noqa: E402

TARGET_MS = 300.0
LIST_FILTERS: dict[str, dict[str, str]] = {
    "status=active": {"status": "active"},
    "all, newest first": {"status": "all"},
    "category (a class)": {"status": "all", "category": "CLASS"},
    "category, open": {"status": "active", "category": "CLASS"},
    "unit": {"status": "all", "unit": "UNIT"},
    "unit, open": {"status": "active", "unit": "UNIT"},
    "street (街道)": {"status": "all", "street": "STREET"},
    "community (社区)": {"status": "all", "community": "COMMUNITY"},
    "community, open": {"status": "active", "community": "COMMUNITY"},
    "overdue (open)": {"status": "active", "overdue": "true"},
    "overdue, any status": {"status": "all", "overdue": "true"},
    "period (one month)": {"status": "all", "from": "FROM", "to": "TO"},
    "period + category": {"status": "all", "from": "FROM", "to": "TO", "category": "CLASS"},
    "open + street + category": {"status": "active", "street": "STREET", "category": "CLASS"},
    "oldest first": {"status": "all", "sort": "oldest"},
    "deadline first, open": {"status": "active", "sort": "deadline"},
}


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def measure(fn: Callable[[], object], runs: int) -> tuple[float, float, float]:
    """p50, p95 (ms, wall) and mean CPU ms of ``runs`` calls after one warm-up."""
    fn()
    walls = []
    cpu0 = time.process_time()
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        walls.append((time.perf_counter() - t0) * 1000)
    return statistics.median(walls), pct(walls, 95), (time.process_time() - cpu0) * 1000 / runs


def _new_database(kind: str, tmp: Path, postgis: str) -> tuple[str, Callable[[], None]]:
    from tests.databases import load_demo_city

    if kind == "spatialite":
        url = f"sqlite:///{tmp}/cases-{uuid.uuid4().hex[:6]}.sqlite"
        load_demo_city(Settings(database_url=url, instance_dir=tmp))
        return url, lambda: None
    name = f"gridmap_casescale_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgis, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgis).set(database=name).render_as_string(hide_password=False)
    load_demo_city(Settings(database_url=url, instance_dir=tmp))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def _token(factory) -> str:
    """A bearer token of a commander (the whole city in scope), made once per database."""
    with session_scope(factory) as s:
        if s.scalar(select(Account.id).where(Account.username == "bench-cases")) is None:
            registry.create_account(s, cli_actor(), username="bench-cases", name="bench", role="commander",
                                    password="bench-password-1", hash_password=lambda _p: "!")  # fmt: skip
        token, _ = registry.create_token(s, cli_actor(), "bench-cases")
    return token


def _values(s) -> dict[str, str]:
    unit = s.scalar(select(Case.unit_id).order_by(Case.id.desc()).limit(1))
    street = s.scalar(select(Area.code).where(Area.level == "street").order_by(Area.code))
    community = s.scalar(select(Area.code).where(Area.level == "community").order_by(Area.code))
    month = dt.date.today().replace(day=1) - dt.timedelta(days=60)
    return {"UNIT": str(unit), "STREET": street, "COMMUNITY": community, "FROM": month.isoformat(),
            "TO": (month + dt.timedelta(days=31)).isoformat(), "CLASS": "01"}  # fmt: skip


def bench(label: str, url: str, n: int, runs: int, tmp: Path) -> list[str]:
    from gridmap.web import create_app
    from gridmap.web.state import app_state

    settings = Settings(database_url=url, instance_dir=tmp)
    engine = make_engine(settings)
    factory = make_session_factory(engine)
    with engine.connect() as conn:  # fresh statistics and visibility map, as autovacuum keeps them in service
        auto = conn.execution_options(isolation_level="AUTOCOMMIT")
        auto.exec_driver_sql("VACUUM (ANALYZE) cases" if engine.dialect.name == "postgresql" else "ANALYZE")
    token = _token(factory)
    app = create_app(settings)
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    out: list[str] = []
    load = os.getloadavg()
    head = f"{label} {n:,} cases (load average {load[0]:.1f} / {load[1]:.1f}, {os.cpu_count()} cores)"
    print(head, flush=True)
    out.append(head)

    def row(name: str, api: tuple[float, float, float], base: tuple[float, float, float] | None, note: str) -> None:
        ratio = f"{api[0] / base[0]:6.1f}×" if base and base[0] > 0 else "      "
        b = f"{base[0]:7.1f} {base[1]:7.1f}" if base else " " * 15
        flag = "" if api[1] < TARGET_MS else "  OVER"
        line = f"  {name:30s} {api[0]:7.1f} {api[1]:7.1f} {api[2]:7.1f}   {b} {ratio}  {note}{flag}"
        print(line, flush=True)
        out.append(line)

    def get(path: str, params: dict[str, str]) -> Callable[[], dict]:
        full = path + ("?" + urlencode(params) if params else "")

        def call() -> dict:
            resp = client.get(full)
            assert resp.status_code == 200, (full, resp.status_code, resp.get_data(as_text=True)[:300])
            return resp.get_json()

        return call

    title = f"  {'(ms)':30s} {'p50':>7s} {'p95':>7s} {'CPU':>7s}   {'base50':>7s} {'base95':>7s} {'ratio':>6s}"
    print(title + "  answer", flush=True)
    out.append(title + "  answer")
    with factory() as s:
        values = _values(s)
        now = dt.datetime.now(dt.UTC)
        for name, raw in LIST_FILTERS.items():
            params = {k: values.get(v, v) for k, v in raw.items()}
            api = get("/api/v1/cases", params)
            first = api()
            conds = case_conditions(s, params, now, dt.UTC, [])
            order = Case.id.asc() if params.get("sort") == "oldest" else Case.id.desc()
            if params.get("sort") == "deadline":
                order = Case.deadline_at.asc()
            plain = select(Case.id).where(*conds).order_by(order).limit(50)
            base = measure(lambda plain=plain: s.execute(plain).all(), runs)
            s.rollback()
            total = f"{first['total']:,}{'' if first['total_exact'] else '+'}"
            row(name, measure(api, runs), base, f"{total} matched")
            if first["next_after"] is not None:
                nxt = get("/api/v1/cases", {**params, "after": str(first["next_after"])})
                row("  … next page (after=)", measure(nxt, runs), None, "keyset")
        deep = get("/api/v1/cases", {"status": "all", "page": "200"})
        row("all, page 200 (offset)", measure(deep, max(3, runs // 3)), None, "offset 9,950")
        # heat points
        box = s.execute(select(func.min(Case.lon), func.min(Case.lat), func.max(Case.lon), func.max(Case.lat))).one()
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        view = f"{cx - 0.02:.5f},{cy - 0.012:.5f},{cx + 0.02:.5f},{cy + 0.012:.5f}"  # a z14 screen
        bbox = dialect_of(s).bbox_filter(Case, (cx - 0.02, cy - 0.012, cx + 0.02, cy + 0.012))
        for name, params in (
            ("heat, open cases", {}),
            ("heat, open, one screen", {"bbox": view}),
            ("heat, all cases", {"status": "all"}),
            ("heat, all, one screen", {"status": "all", "bbox": view}),
            ("heat, all, one month", {"status": "all", "from": values["FROM"], "to": values["TO"]}),
        ):
            api = get("/api/v1/heat", params)
            first = api()
            conds = case_conditions(s, {"status": "active", **params}, now, dt.UTC, [])
            if "bbox" in params:
                conds.append(bbox)
            plain = select(Case.lon, Case.lat).where(*conds).order_by(Case.id.desc()).limit(50_000)
            base = measure(lambda plain=plain: s.execute(plain).all(), max(3, runs // 3))
            s.rollback()
            note = f"{first['count']:,} cases" + (f" in {len(first['points']):,} cells" if first.get("binned") else "")
            row(name, measure(api, max(3, runs // 3)), base, note)
        for name, status in (("OGC cases, screen, open", "active"), ("OGC cases, screen, all", "all")):
            params = {"bbox": view, "limit": "500", **({} if status == "all" else {"status": "active"})}
            api = get("/ogc/collections/cases/items", params)
            first = api()
            conds = [bbox] + (case_conditions(s, {"status": "active"}, now, dt.UTC, []) if status != "all" else [])
            plain = select(Case.id).where(*conds).order_by(Case.id).limit(501)
            base = measure(lambda plain=plain: s.execute(plain).all(), runs)
            s.rollback()
            row(name, measure(api, runs), base, f"{first['numberReturned']} features")
    app_state(app).engine.dispose()
    engine.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100000,1000000", help="case counts on SpatiaLite")
    ap.add_argument("--postgis-sizes", default="100000,1000000,10000000", help="case counts on PostGIS")
    ap.add_argument("--databases", default="spatialite,postgis")
    ap.add_argument("--postgis", default="postgresql+psycopg://postgres@127.0.0.1/postgres")
    ap.add_argument("--reuse", default=None, help="measure this filled database (URL) instead of making ones")
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    report: list[str] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if args.reuse:
            engine = create_engine(args.reuse)
            with engine.connect() as conn:
                n = conn.execute(select(func.count()).select_from(Case.__table__)).scalar() or 0
            engine.dispose()
            label = "PostGIS" if args.reuse.startswith("postgresql") else "SpatiaLite"
            report += bench(label, args.reuse, n, args.runs, tmp)
        else:
            for kind in args.databases.split(","):
                sizes = args.sizes if kind == "spatialite" else args.postgis_sizes
                for n in [int(x) for x in sizes.split(",") if x]:
                    url, drop = _new_database(kind, tmp, args.postgis)
                    try:
                        settings = Settings(database_url=url, instance_dir=tmp)
                        took = make_cases(settings, n, active=0.03, years=3, chunk=500_000, seed_=n % 97)
                        print(f"{kind}: {n:,} cases made in {took:.0f} s", flush=True)
                        report += bench("SpatiaLite" if kind == "spatialite" else "PostGIS", url, n, args.runs, tmp)
                    finally:
                        drop()
    print("\n".join(["", f"summary ({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)", *report]))


if __name__ == "__main__":
    main()
