"""Fixtures: every database test runs twice, on SpatiaLite and on PostGIS.

PostGIS comes from the PostgreSQL server at ``GRIDMAP_TEST_POSTGRES_URL`` (default: the local server with trust
auth). Each test session creates its own database and drops it at the end. When the server is unreachable the
PostGIS half is skipped with the reason shown — unless ``GRIDMAP_REQUIRE_POSTGIS=1`` (set by ``.ci/run``), which
turns that into a failure so CI can never silently skip it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

import gridmap  # noqa: F401  (geometry libraries load before SpatiaLite)
from gridmap.config import Settings
from gridmap.store.engine import make_engine, make_session_factory, upgrade
from gridmap.store.models import Base

POSTGRES_ADMIN_URL = os.environ.get(
    "GRIDMAP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGIS = os.environ.get("GRIDMAP_REQUIRE_POSTGIS") == "1"

# Tables in dependency order (children first) for cleaning between tests.
TABLES = tuple(t.name for t in reversed(Base.metadata.sorted_tables))


def _make_postgis_database() -> tuple[str, str] | str:
    """Create a throw-away database; return (url, name) or the reason it could not be done."""
    name = f"gridmap_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as exc:  # the server is down or refuses us
        return f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {exc.__class__.__name__}: {exc}"
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    return url, name


def _drop_postgis_database(name: str) -> None:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def spatialite_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    path = tmp_path_factory.mktemp("spatialite") / "gridmap.sqlite"
    return Settings(database_url=f"sqlite:///{path}", instance_dir=path.parent)


@pytest.fixture(scope="session")
def postgis_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    made = _make_postgis_database()
    if isinstance(made, str):
        if REQUIRE_POSTGIS:
            pytest.fail(f"GRIDMAP_REQUIRE_POSTGIS=1 but {made}")
        pytest.skip(made)
    url, name = made
    yield Settings(database_url=url, instance_dir=tmp_path_factory.mktemp("postgis"))
    _drop_postgis_database(name)


@pytest.fixture(scope="session")
def _engines() -> dict[str, Engine]:
    return {}


@pytest.fixture(params=["spatialite", "postgis"])
def settings(request: pytest.FixtureRequest, _engines: dict[str, Engine]) -> Settings:
    """Settings for a migrated, empty database of each kind."""
    return request.getfixturevalue(f"{request.param}_settings")


@pytest.fixture
def engine(settings: Settings, _engines: dict[str, Engine]) -> Iterator[Engine]:
    key = settings.database_url
    if key not in _engines:
        eng = make_engine(settings)
        upgrade(eng)
        _engines[key] = eng
    eng = _engines[key]
    yield eng
    _truncate(eng)


def _truncate(eng: Engine) -> None:
    with eng.begin() as conn:
        if eng.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
        else:
            for table in TABLES:
                conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    factory = make_session_factory(engine)
    with factory() as s:
        yield s
        s.rollback()


@pytest.fixture(scope="session")
def project_root() -> Path:
    return Path(__file__).resolve().parent.parent
