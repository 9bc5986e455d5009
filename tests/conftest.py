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
  session into a template (:class:`DemoCity`); each test gets a copy of it — ``CREATE DATABASE … TEMPLATE`` on
  PostgreSQL, a file copy on SQLite — dropped when the test ends.
"""

from __future__ import annotations

import os
import shutil
import stat
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

import gridmap  # noqa: F401  (geometry libraries load before SpatiaLite)
from gridmap.config import DEMO_DATA_DIR, Settings
from gridmap.imports.demo import load_demo
from gridmap.store.engine import make_engine, make_session_factory, upgrade
from gridmap.store.models import Base

POSTGRES_ADMIN_URL = os.environ.get(
    "GRIDMAP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGIS = os.environ.get("GRIDMAP_REQUIRE_POSTGIS") == "1"
BACKENDS = ("spatialite", "postgis")

# Tables in dependency order (children first) for cleaning between tests.
TABLES = tuple(t.name for t in reversed(Base.metadata.sorted_tables))


# -- PostgreSQL: the session's throw-away databases --------------------------------------------------------------


class Postgres:
    """Creates this session's databases on the server and drops them: each one when asked, and whatever is left
    at the end of the session (:meth:`drop_all`)."""

    def __init__(self) -> None:
        self.prefix = f"gridmap_test_{uuid.uuid4().hex[:10]}"
        self.admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        self.made: set[str] = set()
        self._count = 0

    def create(self, suffix: str = "", template: str | None = None) -> Settings:
        """A new database (a copy of ``template`` if given); settings for it with an instance dir of its own."""
        name = f"{self.prefix}{suffix}"
        self.made.add(name)  # before it exists: a half-made database is dropped at the end too
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
        url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        return Settings(database_url=url)

    def copy(self, template: str) -> Settings:
        self._count += 1
        return self.create(f"_{self._count}", template=template)

    def drop(self, name: str) -> None:
        # FORCE: an app a test created and did not dispose of may still hold a connection
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.made.discard(name)

    def drop_all(self) -> None:
        for name in sorted(self.made):
            self.drop(name)
        self.admin.dispose()


def _database_name(settings: Settings) -> str:
    return make_url(settings.database_url).database or ""


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


class DemoCity:
    """The demo city loaded once per kind of database (lazily, at its first use) into a template that nothing
    writes to again, and copies of it, each a database of its own."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp = tmp_path_factory
        self._spatialite: Path | None = None
        self._postgis: str | None = None

    @staticmethod
    def _load(settings: Settings) -> None:
        engine = make_engine(settings)
        try:
            upgrade(engine)
            with make_session_factory(engine)() as session:
                load_demo(session, DEMO_DATA_DIR, settings, with_reports=False)
                session.commit()
        finally:
            engine.dispose()  # a template must have no open connection (PostgreSQL) and no WAL left (SQLite)

    def _spatialite_template(self) -> Path:
        if self._spatialite is None:
            path = self._tmp.mktemp("demo-template") / "gridmap.sqlite"
            self._load(Settings(database_url=f"sqlite:///{path}", instance_dir=path.parent))
            wal = path.with_name(path.name + "-wal")  # the last connection closed checkpoints it into the file
            assert not wal.exists() or wal.stat().st_size == 0, f"{wal} left over: the copies would miss it"
            path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)  # nothing may change the template
            self._spatialite = path
        return self._spatialite

    def _postgis_template(self, postgres: Postgres) -> str:
        if self._postgis is None:
            settings = postgres.create("_demo")
            self._load(settings)
            self._postgis = _database_name(settings)
        return self._postgis

    @contextmanager
    def copy(self, backend: str, instance_dir: Path, postgres: Postgres | None = None) -> Iterator[Settings]:
        """Settings for a new copy of the demo city on ``backend`` ("spatialite" or "postgis", on the server of
        ``postgres``), dropped on exit; on SQLite the database file is ``instance_dir/gridmap.sqlite``."""
        instance_dir.mkdir(parents=True, exist_ok=True)
        if backend == "spatialite":
            path = instance_dir / "gridmap.sqlite"
            shutil.copyfile(self._spatialite_template(), path)
            try:
                yield Settings(database_url=f"sqlite:///{path}", instance_dir=instance_dir)
            finally:
                for extra in ("", "-wal", "-shm"):
                    path.with_name(path.name + extra).unlink(missing_ok=True)
        elif backend == "postgis" and postgres is not None:
            template = self._postgis_template(postgres)
            made = postgres.copy(template)
            try:
                yield Settings(database_url=made.database_url, instance_dir=instance_dir)
            finally:
                postgres.drop(_database_name(made))
        else:
            raise ValueError(f"no copy of the demo city on {backend!r}")


@pytest.fixture(scope="session")
def demo_city(tmp_path_factory: pytest.TempPathFactory) -> DemoCity:
    """The demo city's templates; ``with demo_city.copy(backend, directory) as settings:`` gives a copy."""
    return DemoCity(tmp_path_factory)


@pytest.fixture
def _demo_copy_spatialite(demo_city: DemoCity, tmp_path: Path) -> Iterator[Settings]:
    with demo_city.copy("spatialite", tmp_path / "instance") as settings:
        yield settings


@pytest.fixture
def _demo_copy_postgis(demo_city: DemoCity, postgres: Postgres, tmp_path: Path) -> Iterator[Settings]:
    with demo_city.copy("postgis", tmp_path / "instance", postgres) as settings:
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
