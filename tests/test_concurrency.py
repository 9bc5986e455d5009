"""Concurrency that must hold, proved against a real server (``python -m gridmap serve`` in a subprocess) on both
databases: a load of reports from four clients stores every 201 once; a ``cases import`` killed with SIGKILL leaves
the database as it was; of two commanders assigning one segment at once one wins and the other gets 409; a bulk
import succeeds beside live traffic (it waits for SQLite's write lock instead of dying with "database is locked"),
plans again when the catalogue changed while it waited, and says so when the wait runs out."""

from __future__ import annotations

import csv
import http.client
import json
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from gridmap.accounts import registry
from gridmap.accounts.actor import cli_actor
from gridmap.cases.bulk_import.beside_traffic import import_beside_traffic
from gridmap.cli import main
from gridmap.config import Settings
from gridmap.errors import Conflict
from gridmap.store.engine import make_engine, make_session_factory, session_scope, upgrade
from gridmap.store.models import Assignment, AuditEntry, Case, CaseEvent, Category, Unit
from tests.accounts import PASSWORD, TESTER
from tests.case_helpers import LAT, LON, build_city, case_settings, report

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
BACKENDS = ("spatialite", "postgis")


# -- a served database -------------------------------------------------------------------------------------------


class Client:
    """One keep-alive HTTP connection to the server, as an API client holds it, sending a bearer token."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def send(self, method: str, path: str, body: object = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            self.conn.request(method, path, body=data, headers=headers)
            resp = self.conn.getresponse()
        except (http.client.HTTPException, OSError):  # the server closed an idle connection: open it again once
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.conn.request(method, path, body=data, headers=headers)
            resp = self.conn.getresponse()
        raw = resp.read()
        return resp.status, json.loads(raw) if raw[:1] in (b"{", b"[") else raw.decode(errors="replace")

    def close(self) -> None:
        self.conn.close()


@dataclass
class Served:
    settings: Settings
    engine: Engine
    port: int
    tokens: dict[str, str]
    ids: dict[str, int]
    backend: str
    dir: Path
    env: dict[str, str] = field(default_factory=dict)

    def client(self, who: str = "worker") -> Client:
        return Client(self.port, self.tokens[who])

    def gridmap(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "gridmap", "--database-url", self.settings.database_url, *args]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module", params=BACKENDS)
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A database of each kind with the test city and accounts, and ``gridmap serve`` on it on a free port: one
    per module (starting a server costs seconds); the tests tell their rows apart by their client ids."""
    where = tmp_path_factory.mktemp(f"served-{request.param}")
    if request.param == "postgis":
        settings = Settings(database_url=request.getfixturevalue("postgres").create("_conc").database_url)
    else:
        settings = Settings(database_url=f"sqlite:///{where / 'served.sqlite'}")
    settings = Settings(database_url=settings.database_url, instance_dir=where)
    engine = make_engine(settings)
    upgrade(engine)
    factory = make_session_factory(engine)
    with session_scope(factory) as s:
        ids = build_city(s)
    tokens = {}
    with session_scope(factory) as s:
        for name, role in (("worker", "grid_worker"), ("cmd1", "commander"), ("cmd2", "commander")):
            registry.create_account(s, cli_actor(), username=name, name=name, role=role, password=PASSWORD,
                                    hash_password=lambda _p: "!")  # fmt: skip
            tokens[name], _ = registry.create_token(s, cli_actor(), name)
    # this checkout's gridmap, whichever checkout the virtualenv was installed from
    pythonpath = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "GRIDMAP_INSTANCE": str(where), "PYTHONUNBUFFERED": "1", "PYTHONPATH": pythonpath}
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gridmap", "--database-url", settings.database_url, "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=where,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else "server stopped"
                assert time.monotonic() < deadline, "the server did not start in 30 s"
                time.sleep(0.1)
        backend = make_url(settings.database_url).get_backend_name()
        yield Served(settings, engine, port, tokens, ids, backend, where, env)
    finally:
        proc.terminate()
        try:
            out, _ = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
        engine.dispose()
    assert b"Traceback" not in out, out.decode(errors="replace")[-3000:]


def _reports(engine: Engine, prefix: str) -> dict[str, int]:
    """client_id → how many cases carry it, for the cases whose client_id starts with ``prefix``."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(Case.client_id, func.count()).where(Case.client_id.like(f"{prefix}%")).group_by(Case.client_id)
        ).all()
    return {r[0]: r[1] for r in rows}


def _snapshot(engine: Engine) -> dict[str, object]:
    """Counts of the tables an import writes, and a checksum of the cases: what "unchanged" is compared by."""
    with engine.connect() as conn:
        out: dict[str, object] = {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in ("cases", "case_events", "audit_log")
        }
        out["cases_sum"] = conn.execute(
            text("SELECT coalesce(sum(id), 0), coalesce(max(id), 0), count(DISTINCT client_id) FROM cases")
        ).one()
        out["counters"] = conn.execute(text("SELECT name, n FROM change_counters ORDER BY name")).all()
    return out


def _write_csv(path: Path, n: int, prefix: str) -> Path:
    """``n`` unrouted reports spread over the test city (inside its one street), each with its own client id."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["lon", "lat", "category", "client_id", "observed_at", "description"])
        for i in range(n):
            lon = 111.11 + (i % 97) * 0.0008
            lat = 37.50 + (i // 97 % 61) * 0.0008
            w.writerow([f"{lon:.6f}", f"{lat:.6f}", "0102", f"{prefix}{i}", "2026-03-02T08:50:00+08:00", f"第{i}条"])
    return path


# -- (a) a load of reports: every 201 stored exactly once -----------------------------------------------------------


LOAD_SECONDS = 3.0
LOAD_CLIENTS = 4


def test_a_load_of_reports_stores_every_201_once(served: Served) -> None:
    created: list[str] = []
    latencies: list[float] = []
    retries = [0]
    failures: list[tuple[int, object]] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + LOAD_SECONDS

    def client(k: int) -> None:
        c = served.client()
        n = 0
        try:
            while time.monotonic() < stop_at:
                n += 1
                cid = f"load-{k}-{n}"
                body = report(client_id=cid, lon=LON + 0.0001 * (n % 50), description=f"负载测试 {k}-{n}")
                for _attempt in range(5):
                    t0 = time.perf_counter()
                    status, answer = c.send("POST", "/api/v1/reports", body)
                    took = time.perf_counter() - t0
                    if status in (409, 503):
                        with lock:
                            retries[0] += 1
                        continue
                    break
                with lock:
                    latencies.append(took)
                    if status == 201:
                        created.append(cid)
                    else:
                        failures.append((status, answer))
        finally:
            c.close()

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(LOAD_CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    assert not failures, failures[:5]
    assert len(created) == len(set(created)) and len(created) > LOAD_CLIENTS
    stored = _reports(served.engine, "load-")
    assert stored == dict.fromkeys(created, 1)  # every 201 stored, once; nothing stored that was not answered 201
    with served.engine.connect() as conn:
        doubled = conn.execute(
            select(CaseEvent.case_id)
            .join(Case, Case.id == CaseEvent.case_id)
            .where(Case.client_id.like("load-%"), CaseEvent.seq == 1)
            .group_by(CaseEvent.case_id)
            .having(func.count() > 1)
        ).all()
    assert doubled == []
    with served.engine.connect() as conn:  # the four clients' first requests all found the token's stamp due
        used = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "token.use")
        uses = conn.execute(used.where(AuditEntry.actor == "worker")).scalar()
    assert uses == 1  # recorded once: the stamp is a conditional UPDATE
    ordered = sorted(latencies)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    line = (
        f"{served.backend}: {len(latencies) + retries[0]} requests, {len(created)} stored, {retries[0]} retries, "
        f"{len(latencies) / elapsed:.1f} req/s, p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms "
        f"({LOAD_CLIENTS} clients, {elapsed:.1f} s)"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    out = ARTIFACTS / "load.txt"
    kept = [x for x in (out.read_text().splitlines() if out.exists() else []) if not x.startswith(f"{served.backend}:")]
    out.write_text("\n".join(sorted([*kept, line])) + "\n")
    print(line)


# -- (b) an import killed with SIGKILL leaves the database unchanged ---------------------------------------------------


def test_an_import_killed_mid_way_leaves_the_database_unchanged(served: Served) -> None:
    path = _write_csv(served.dir / "big.csv", 30_000, "kill-")
    before = _snapshot(served.engine)
    proc = subprocess.Popen(
        served.gridmap("cases", "import", str(path)), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env=served.env, cwd=served.dir,
    )  # fmt: skip
    try:
        assert _wait_for_rows_going_in(served, proc), "the import never started writing"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    out = proc.stdout.read().decode() if proc.stdout else ""
    assert proc.returncode == -signal.SIGKILL and "cases imported" not in out, out
    assert _snapshot(served.engine) == before
    status, _ = served.client().send("POST", "/api/v1/reports", report(client_id="after-kill"))
    assert status == 201  # the server writes on: no lock left behind


def _wait_for_rows_going_in(served: Served, proc: subprocess.Popen[bytes]) -> bool:
    """Wait until the import is writing (its plan made): on SQLite it holds the write lock (nobody else writes
    here; SQLite keeps the rows in its cache until it commits, so the file shows nothing sooner); on PostgreSQL its
    INSERT (or COPY, the bulk path on PostgreSQL) is running."""
    deadline = time.monotonic() + 60
    if served.backend == "sqlite":
        probe = sqlite3.connect(str(make_url(served.settings.database_url).database), isolation_level=None, timeout=0)
        try:
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    probe.execute("BEGIN IMMEDIATE")
                    probe.execute("ROLLBACK")
                except sqlite3.OperationalError:  # "database is locked": the import has begun writing
                    # Strike inside its write transaction, not after it: on an idle machine the 30,000 rows commit
                    # within 0.5 s of taking the lock (a 0.5 s wait once let the import finish first).
                    time.sleep(0.05)
                    return True
                time.sleep(0.02)
        finally:
            probe.close()
        return False
    with served.engine.connect() as conn:
        while time.monotonic() < deadline and proc.poll() is None:
            busy = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND state = 'active' AND (query ILIKE 'INSERT INTO case%' OR query ILIKE 'COPY case%')"
                )
            ).scalar()
            conn.rollback()
            if busy:
                return True
            time.sleep(0.02)
    return False


# -- (c) two commanders, one segment ---------------------------------------------------------------------------------


def test_two_commanders_assigning_one_segment_at_once_one_wins(served: Served) -> None:
    with served.engine.connect() as conn:
        held = conn.execute(
            select(Assignment.id).where(
                Assignment.target_kind == "segment", Assignment.target_id == served.ids["segment"],
                Assignment.valid_to.is_(None),
            )
        ).scalar_one()  # fmt: skip
    gate = threading.Barrier(2)
    answers: dict[str, tuple[int, Any]] = {}

    def commander(who: str, unit: int) -> None:
        c = served.client(who)
        c.send("GET", "/api/v1/units")  # connected and signed in before the race starts
        body = {
            "targets": [{"kind": "segment", "id": served.ids["segment"], "expected": held}],
            "unit_id": unit,
            "take_over": True,  # from the unit holding it
        }
        gate.wait()
        answers[who] = c.send("POST", "/api/v1/assignments", body)
        c.close()

    threads = [
        threading.Thread(target=commander, args=("cmd1", served.ids["b"])),
        threading.Thread(target=commander, args=("cmd2", served.ids["c"])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(a[0] for a in answers.values())
    assert statuses == [201, 409], answers
    loser = next(a[1] for a in answers.values() if a[0] == 409)
    assert "reload" in loser["error"] and "请刷新后重试" in loser["message"]
    with served.engine.connect() as conn:
        open_rows = conn.execute(
            select(Assignment.unit_id).where(
                Assignment.target_kind == "segment", Assignment.target_id == served.ids["segment"],
                Assignment.valid_to.is_(None),
            )
        ).all()  # fmt: skip
    winner = next(w for w, a in answers.items() if a[0] == 201)
    assert [r[0] for r in open_rows] == [served.ids["b"] if winner == "cmd1" else served.ids["c"]]


# -- (d) a bulk import beside live traffic -------------------------------------------------------------------------


def test_a_bulk_import_succeeds_beside_live_traffic(served: Served) -> None:
    path = _write_csv(served.dir / "cases.csv", 3000, "bulk-")
    answers: list[int] = []
    stop = threading.Event()

    def traffic() -> None:
        c = served.client()
        n = 0
        while not stop.is_set():
            n += 1
            answers.append(c.send("POST", "/api/v1/reports", report(client_id=f"live-{n}"))[0])
            stop.wait(0.3)
        c.close()

    t = threading.Thread(target=traffic)
    t.start()
    try:
        time.sleep(0.5)
        done = subprocess.run(
            served.gridmap("cases", "import", str(path)), capture_output=True, text=True, env=served.env,
            cwd=served.dir, timeout=120,
        )  # fmt: skip
        time.sleep(0.5)
    finally:
        stop.set()
        t.join()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3000 cases imported" in done.stdout
    assert len(answers) >= 3 and set(answers) == {201}, answers  # the reports went on, none refused
    assert len(_reports(served.engine, "bulk-")) == 3000
    assert set(_reports(served.engine, "live-").values()) == {1} and len(_reports(served.engine, "live-")) == len(
        answers
    )


# -- (e) the catalogue changed while the import was planned: planned again -----------------------------------------


def test_an_import_plans_again_when_the_categories_changed_meanwhile(
    settings: Settings, engine: Engine, session: Session, tmp_path: Path
) -> None:
    build_city(session)
    session.commit()
    path = _write_csv(tmp_path / "cases.csv", 20, "replan-")
    factory = make_session_factory(engine)
    from gridmap.routing import route_points

    routed = [0]

    def router(s: Session, *args: Any, **kw: Any) -> Any:
        routed[0] += 1
        if routed[0] == 1:  # while the first plan is made, someone sets 0102's deadline to 7 working hours (from 4)
            with session_scope(factory, writes=True) as other:
                cat = other.scalars(select(Category).where(Category.code == "0102")).one()
                cat.deadline_amount = 7
        return route_points(s, *args, **kw)

    notices: list[str] = []
    with session_scope(factory) as s:
        summary = import_beside_traffic(
            s, path, case_settings(settings, tmp_path), actor=TESTER, router=router, notice=notices.append
        )
    assert summary.imported == 20 and routed[0] == 2 and len(notices) == 1 and "planning it again" in notices[0]
    limits = session.execute(select(Case.limit_seconds).where(Case.client_id.like("replan-%"))).scalars().all()
    assert limits == [7 * 3600.0] * 20  # the deadline of the category as it is now, not as first read


def test_an_import_skips_client_ids_stored_while_it_was_planned(
    settings: Settings, engine: Engine, session: Session, tmp_path: Path
) -> None:
    build_city(session)
    session.commit()
    path = _write_csv(tmp_path / "cases.csv", 10, "race-")
    factory = make_session_factory(engine)
    from gridmap.cases import open_report
    from gridmap.routing import route_points

    def router(s: Session, *args: Any, **kw: Any) -> Any:
        with session_scope(factory, writes=True) as other:  # a report of the file arrives from the field meanwhile
            open_report(other, report(client_id="race-3", lon=111.15, lat=LAT), case_settings(settings, tmp_path),
                        actor=TESTER)  # fmt: skip
        return route_points(s, *args, **kw)

    with session_scope(factory) as s:
        summary = import_beside_traffic(s, path, case_settings(settings, tmp_path), actor=TESTER, router=router)
    assert (summary.imported, summary.skipped) == (9, 1)
    session.rollback()
    assert set(_reports(engine, "race-").values()) == {1} and len(_reports(engine, "race-")) == 10


# -- (f) the wait for the lock runs out: said so, nothing written (SQLite: PostgreSQL has no database-wide lock) ----


def test_an_import_that_cannot_get_the_lock_says_so_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "busy.sqlite"
    settings = Settings(database_url=f"sqlite:///{db}", instance_dir=tmp_path)
    engine = make_engine(settings)
    try:
        upgrade(engine)
        with make_session_factory(engine)() as s:
            build_city(s)
            s.commit()
        path = _write_csv(tmp_path / "cases.csv", 50, "wait-")
        before = _snapshot(engine)
        holder = sqlite3.connect(db, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock throughout
        try:
            started = time.monotonic()
            out = CliRunner().invoke(
                main, ["--database-url", settings.database_url, "cases", "import", str(path), "--lock-wait", "2"]
            )
            took = time.monotonic() - started
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert out.exit_code != 0
        assert "waiting for the write lock… (1 s of 2 s)" in out.output
        assert "the database is busy with another change" in out.output and "数据库正忙于其他修改" in out.output
        assert took < 10
        assert _snapshot(engine) == before
    finally:
        engine.dispose()


def test_a_write_waits_for_the_lock_and_gives_a_409_in_both_languages_when_it_runs_out(tmp_path: Path) -> None:
    """begin_writing itself: a reader that read before another writer committed still writes (restarted as a
    writer); with the lock held elsewhere it reports its wait about once a second and gives up with Conflict."""
    db = tmp_path / "w.sqlite"
    engine = make_engine(Settings(database_url=f"sqlite:///{db}", instance_dir=tmp_path))
    try:
        upgrade(engine)
        factory = make_session_factory(engine)
        from gridmap.store.dialect import dialect_of

        with factory() as reader:
            reader.scalar(select(func.count()).select_from(Unit))  # a snapshot taken
            with session_scope(factory, writes=True) as other:
                other.add(Unit(name="先到单位", kind="city_office", code="U-1"))
            dialect_of(reader).begin_writing(reader, 5)
            reader.add(Unit(name="后到单位", kind="city_office", code="U-2"))
            reader.commit()  # without the restart: "database is locked" (the snapshot is older than the write)
        holder = sqlite3.connect(db, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        heard: list[tuple[float, float]] = []
        try:
            with factory() as s, pytest.raises(Conflict) as caught:
                dialect_of(s).begin_writing(s, 2.5, lambda waited, wait: heard.append((waited, wait)))
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert len(heard) == 2 and all(w == 2.5 for _, w in heard)
        assert caught.value.zh is not None and "数据库正忙" in caught.value.zh
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(Unit)).scalar() == 2
    finally:
        engine.dispose()


def test_a_write_request_that_cannot_get_the_lock_gets_409_and_a_reader_is_not_held_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While another process holds SQLite's write lock longer than a request waits: a report is refused with 409 and
    a sentence saying the database is busy (in English and, for the zh-CN reader, Chinese), not a 500 "database is
    locked"; a reader whose token's use is due to be stamped is answered at once, the stamp left for a later use."""
    from gridmap.web import create_app
    from gridmap.web import session as web_session
    from gridmap.web.state import app_state
    from tests.accounts import client_as

    monkeypatch.setattr(web_session, "LOCK_WAIT_S", 1.5)
    db = tmp_path / "web.sqlite"
    settings = Settings(database_url=f"sqlite:///{db}", instance_dir=tmp_path)
    engine = make_engine(settings)
    try:
        upgrade(engine)
        with make_session_factory(engine)() as s:
            build_city(s)
            s.commit()
    finally:
        engine.dispose()
    app = create_app(settings)
    client = client_as(app, "grid_worker")
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        t0 = time.monotonic()
        read = client.get("/api/v1/categories/0102")
        read_s = time.monotonic() - t0
        refused = client.post("/api/v1/reports", json=report(client_id="busy-1"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert read.status_code == 200 and read_s < 1.0
    assert refused.status_code == 409, refused.get_data(as_text=True)
    assert "the database is busy with another change" in refused.json["error"]
    assert "数据库正忙于其他修改" in refused.json["message"]  # the reader's language (zh-CN by default)
    taken = client.post("/api/v1/reports", json=report(client_id="busy-1"))
    assert taken.status_code == 201  # the lock free again: the same report goes in
    app_state(app).engine.dispose()
