"""Fixtures: every database test runs twice, on SpatiaLite and on PostGIS.

PostGIS comes from the PostgreSQL server at ``GRIDMAP_TEST_POSTGRES_URL`` (default: the local server with trust
auth). Each test session creates its own databases (named ``gridmap_test_<session tag>…``) and drops every one of
them at its end, also after a failure. When the server is unreachable the PostGIS half is skipped with the reason
shown — unless ``GRIDMAP_REQUIRE_POSTGIS=1`` (set by ``.ci/run``), which turns that into a failure so CI can never
silently skip it.

Two kinds of database:

* ``settings`` / ``engine`` / ``session``: a migrated, empty database of each kind, shared by the session and
  emptied after each test.
* the same three fixtures in a test marked ``@pytest.mark.demo_city``: the test's own copy of the demo city
  (``load_demo(…, with_reports=False)``), which it may change at will. The demo city is loaded once per kind per
  session into a template (``spatialite_demo``, ``postgis_demo``); each test gets a copy of it — ``CREATE DATABASE
  … TEMPLATE`` on PostgreSQL, a file copy on SQLite (``tests/databases.py``) — dropped when the test ends.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

import gridmap  # noqa: F401  (geometry libraries load before SpatiaLite)
from gridmap.config import Settings
from gridmap.store.engine import make_engine, make_session_factory, upgrade
from gridmap.store.models import Base
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.databases import (
    POSTGRES_ADMIN_URL,
    Postgres,
    postgis_copy,
    postgis_template,
    spatialite_copy,
    spatialite_template,
)

REQUIRE_POSTGIS = os.environ.get("GRIDMAP_REQUIRE_POSTGIS") == "1"
BACKENDS = ("spatialite", "postgis")

# Tables in dependency order (children first) for cleaning between tests.
TABLES = tuple(t.name for t in reversed(Base.metadata.sorted_tables))


# -- PostgreSQL ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """The PostgreSQL server; skips (or fails, with ``GRIDMAP_REQUIRE_POSTGIS=1``) when it cannot be reached."""
    pg = Postgres()
    try:
        with pg.admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # the server is down or refuses us
        pg.admin.dispose()
        reason = f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {exc.__class__.__name__}: {exc}"
        if REQUIRE_POSTGIS:
            pytest.fail(f"GRIDMAP_REQUIRE_POSTGIS=1 but {reason}")
        pytest.skip(reason)
    try:
        yield pg
    finally:
        pg.drop_all()


# -- the empty databases -----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def spatialite_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    path = tmp_path_factory.mktemp("spatialite") / "gridmap.sqlite"
    return Settings(database_url=f"sqlite:///{path}", instance_dir=path.parent)


@pytest.fixture(scope="session")
def postgis_settings(postgres: Postgres, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    made = postgres.create()
    return Settings(database_url=made.database_url, instance_dir=tmp_path_factory.mktemp("postgis"))


@pytest.fixture(scope="session")
def _engines() -> Iterator[dict[str, Engine]]:
    engines: dict[str, Engine] = {}
    yield engines
    for eng in engines.values():
        eng.dispose()


# -- the demo city -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def spatialite_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo city in a read-only SQLite file, built at its first use: copy it with ``spatialite_copy``."""
    return spatialite_template(tmp_path_factory.mktemp("demo-template"))


@pytest.fixture(scope="session")
def postgis_demo(postgres: Postgres) -> str:
    """The demo city's PostgreSQL template database (its name), built at its first use; dropped with the session's
    other databases."""
    return postgis_template(postgres)


@pytest.fixture
def _demo_copy_spatialite(spatialite_demo: Path, tmp_path: Path) -> Iterator[Settings]:
    with spatialite_copy(spatialite_demo, tmp_path / "instance") as settings:
        yield settings


@pytest.fixture
def _demo_copy_postgis(postgres: Postgres, postgis_demo: str, tmp_path: Path) -> Iterator[Settings]:
    with postgis_copy(postgres, postgis_demo, tmp_path / "instance") as settings:
        yield settings


# -- what tests ask for ------------------------------------------------------------------------------------------


def _is_demo(request: pytest.FixtureRequest) -> bool:
    return request.node.get_closest_marker("demo_city") is not None


@pytest.fixture(params=BACKENDS)
def settings(request: pytest.FixtureRequest) -> Settings:
    """Settings for a migrated database of each kind: empty (and emptied after the test), or with the
    ``demo_city`` mark the test's own copy of the demo city."""
    if _is_demo(request):
        return request.getfixturevalue(f"_demo_copy_{request.param}")
    return request.getfixturevalue(f"{request.param}_settings")


@pytest.fixture
def engine(request: pytest.FixtureRequest, settings: Settings, _engines: dict[str, Engine]) -> Iterator[Engine]:
    if _is_demo(request):  # the test's own database, dropped after it: nothing to empty
        eng = make_engine(settings)
        yield eng
        eng.dispose()
        return
    key = settings.database_url
    if key not in _engines:
        eng = make_engine(settings)
        upgrade(eng)
        _engines[key] = eng
    eng = _engines[key]
    yield eng
    _truncate(eng)


# The sequences of the tables' serial and identity columns, back to their start (as TRUNCATE … RESTART IDENTITY).
RESTART_SEQUENCES = text(
    "SELECT setval(s.oid, q.seqstart, false) FROM pg_class s"
    " JOIN pg_sequence q ON q.seqrelid = s.oid"
    " JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')"
    " JOIN pg_class t ON t.oid = d.refobjid"
    " WHERE t.relname = ANY(:tables)"
)


def _truncate(eng: Engine) -> None:
    """Empty every table and restart the ids. DELETE, not TRUNCATE, on PostgreSQL too: TRUNCATE gives every table
    and index new files (about 0.45 s per test here); deleting the few rows a test leaves takes milliseconds."""
    with eng.begin() as conn:
        for table in TABLES:
            conn.execute(text(f"DELETE FROM {table}"))
        if eng.dialect.name == "postgresql":
            conn.execute(RESTART_SEQUENCES, {"tables": list(TABLES)})


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    factory = make_session_factory(engine)
    with factory() as s:
        yield s
        s.rollback()


@pytest.fixture(scope="session")
def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


# -- Browser ------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, launched once per browser-test module (tests/browser.py has the flags)."""
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


# -- Dask ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def dask_scheduler() -> Iterator[str]:
    """The address (tcp://…) of a running Dask cluster, as a city's would be: a ``LocalCluster`` of two
    single-threaded worker processes, started once per test session at its first use."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, memory_limit=0
    ) as cluster:
        yield cluster.scheduler_address
