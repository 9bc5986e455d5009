"""Benchmark a routed report through real HTTP: ``POST /api/v1/reports`` against ``gridmap serve`` in its own process.

The city is the demo city tiled to ~20,000 segments / 5,000 compounds / 20,000 grids (as in bench_routing.py).
Each request routes a point, opens a case (deadline, duplicate check, first event) and answers 201; the client
sends ≥ 2,000 of them one after another over a keep-alive connection and prints p50/p95/p99 latency, beside the
baseline of ``GET /api/v1/health`` (the server's floor for a request that touches the database) measured the same
way in the same run. Run: ``.venv/bin/python scripts/bench_reports_http.py [--requests 2000] [--postgis URL]
[--cases 1000000] [--clients 1,4]``.

``--cases N`` stores N cases first (``scripts/make_cases.py``: 3 % open, over 3 years), so the duplicate check and
the writes run against a table of city size; ``--clients`` runs the reports again with that many clients at once,
each on its own keep-alive connection (p50/p95/p99 over every request of every client). Targets (issue 16): p99
< 20 ms with 1,000,000 cases stored and one client, < 50 ms with four.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_routing import load_city, random_points, tiled_demo_city
from make_cases import make_cases

import gridmap  # noqa: F401
from gridmap.accounts import registry
from gridmap.accounts.actor import cli_actor
from gridmap.catalogue.categories import seed
from gridmap.config import DEMO_DATA_DIR, Settings
from gridmap.store.engine import make_engine, make_session_factory, upgrade


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(port: int, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/health")
            if conn.getresponse().status in (200, 503):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("server did not start")


AUTH: dict[str, str] = {}  # the bench account's bearer token (reports and categories need an account)


def timed_requests(port: int, make_request, n: int) -> np.ndarray:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    out = np.empty(n)
    for i in range(n):
        method, path, body = make_request(i)
        headers = {**AUTH, **({"Content-Type": "application/json"} if body else {})}
        t0 = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        resp.read()
        out[i] = time.perf_counter() - t0
        if resp.status >= 400:
            raise SystemExit(f"{method} {path} → {resp.status}")
        if resp.getheader("Connection", "").lower() == "close":
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.close()
    return out * 1000.0


def describe(label: str, ms: np.ndarray) -> str:
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return f"{label:34s} n={len(ms):,}  p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  p99 {p99:6.2f} ms  max {ms.max():6.1f} ms"


def concurrent_requests(port: int, make_request, n: int, clients: int) -> np.ndarray:
    """``n`` requests from each of ``clients`` threads at once (each its own connection): every latency."""
    results: list[np.ndarray] = [np.empty(0)] * clients
    start = threading.Barrier(clients)

    def client(c: int) -> None:
        start.wait()
        results[c] = timed_requests(port, lambda i: make_request(c * n + i), n)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return np.concatenate(results)


def run(label: str, url: str, city, n: int, cases: int = 0, clients: tuple[int, ...] = (1,)) -> None:
    settings = Settings(database_url=url)
    engine = make_engine(settings)
    upgrade(engine)
    with make_session_factory(engine)() as session:
        load_city(session, city)
        seed(session)
        registry.create_account(session, cli_actor(), username="bench", name="bench", role="commander",
                                password="bench-password-1", hash_password=lambda _p: "!")  # fmt: skip
        token, _ = registry.create_token(session, cli_actor(), "bench")
        AUTH["Authorization"] = f"Bearer {token}"
        session.commit()
    if cases:
        took = make_cases(settings, cases, active=0.03, years=3, chunk=500_000, seed_=3)
        print(f"{label}: {cases:,} cases stored in {took:.0f} s")
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    engine.dispose()
    total = n * (1 + sum(c for c in clients if c > 1))
    lon, lat = random_points(city, total, seed=11)
    categories = np.array(["0102", "0104", "0505", "0201", "0103"])[np.arange(total) % 5]
    port = free_port()
    env = {**os.environ, "GRIDMAP_DATABASE_URL": url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gridmap", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(port, proc)
        warm = timed_requests(port, lambda i: ("GET", "/api/v1/health", None), 50)  # noqa: F841
        base = timed_requests(port, lambda i: ("GET", "/api/v1/categories/0102", None), n)

        def report(i: int):
            body = {
                "lon": float(lon[i]),
                "lat": float(lat[i]),
                "category": str(categories[i]),
                "description": "bench",
                "client_id": f"bench-{uuid.uuid4().hex}",
                "reporter": "bench",
            }
            return "POST", "/api/v1/reports", json.dumps(body)

        reports = timed_requests(port, report, n)
        together = {}
        first = n  # each run's reports are new points (no duplicates of the previous run's by construction)
        for c in (c for c in clients if c > 1):
            together[c] = concurrent_requests(port, lambda i, f=first: report(f + i), n, c)
            first += n * c
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    load = os.getloadavg()[0]
    print(f"{label}, {cases:,} cases stored (load average {load:.1f}):")
    print("  " + describe("baseline GET /api/v1/categories/<c>", base))
    print("  " + describe("POST /api/v1/reports (routed case)", reports))
    p99 = float(np.percentile(reports, 99))
    verdict = "OK" if p99 < 20 else "MISSED"
    print(f"  target p99 < 20 ms: {verdict}; p50 ratio report/baseline {np.median(reports) / np.median(base):.1f}×")
    for c, ms in together.items():
        print("  " + describe(f"the same, {c} clients at once", ms))
        p99 = float(np.percentile(ms, 99))
        print(f"  target p99 < 50 ms with {c} clients: {'OK' if p99 < 50 else 'MISSED'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--postgis", default=None, help="URL of a PostgreSQL database to create a temporary one from")
    ap.add_argument("--cases", type=int, default=0, help="cases stored before the reports, e.g. 1000000")
    ap.add_argument("--clients", default="1", help="clients at once, e.g. 1,4 (1 always runs)")
    ap.add_argument("--skip-spatialite", action="store_true")
    args = ap.parse_args()
    clients = tuple(sorted({1, *(int(c) for c in args.clients.split(",") if c)}))
    city = tiled_demo_city(DEMO_DATA_DIR, {"segments": 20_000, "compounds": 5_000, "grids": 20_000})
    if city is None:
        raise SystemExit("the demo city is missing (data/boundaries)")
    print(
        f"city: demo tiled to {len(city['segments']):,} segments, {len(city['compounds']):,} compounds, "
        f"{len(city['grids']):,} grids; {args.requests:,} requests each, one client, keep-alive"
    )
    if not args.skip_spatialite:
        with tempfile.TemporaryDirectory() as tmp:
            run("SpatiaLite", f"sqlite:///{tmp}/bench.sqlite", city, args.requests, args.cases, clients)
    if args.postgis:
        name = f"gridmap_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.postgis, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            run(
                "PostGIS",
                make_url(args.postgis).set(database=name).render_as_string(hide_password=False),
                city,
                args.requests,
                args.cases,
                clients,
            )
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
