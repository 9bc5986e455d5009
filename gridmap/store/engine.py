"""Engine, sessions and migrations for the two supported stores: SpatiaLite (embedded) and PostGIS.

One code path serves both: the URL decides. SpatiaLite is loaded into every new SQLite connection from
Debian's ``mod_spatialite`` (the interpreter's own ``sqlite3`` must be able to load extensions: the project's
virtualenv is built from Debian's ``/usr/bin/python3`` for that reason).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import geoalchemy2  # noqa: F401  (registers the spatial types and DDL events)
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from gridmap.config import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class DatabaseError(RuntimeError):
    """The store cannot be reached or prepared (missing extension, wrong URL...)."""


def _sqlite_on_connect(spatialite_library: str):
    def on_connect(dbapi_conn, _record) -> None:
        try:
            dbapi_conn.enable_load_extension(True)
        except AttributeError as exc:  # pragma: no cover - depends on the interpreter build
            raise DatabaseError(
                "this Python's sqlite3 cannot load extensions; use the project's virtualenv "
                "(built from Debian's /usr/bin/python3 by `make install`)"
            ) from exc
        try:
            dbapi_conn.load_extension(spatialite_library)
        except Exception as exc:
            raise DatabaseError(
                f"cannot load SpatiaLite ({spatialite_library!r}): install Debian's libsqlite3-mod-spatialite "
                "or set GRIDMAP_SPATIALITE_LIBRARY"
            ) from exc
        dbapi_conn.enable_load_extension(False)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA busy_timeout = 10000")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    return on_connect


def make_engine(settings: Settings) -> Engine:
    """Create the engine for ``settings.database_url`` (SpatiaLite or PostGIS)."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_on_connect(settings.spatialite_library))
        # pysqlite's own BEGIN handling defers transactions; take control so a transaction really is one.
        event.listen(engine, "connect", lambda conn, _r: setattr(conn, "isolation_level", None))
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
        return engine
    if url.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True)
    raise DatabaseError(f"unsupported database URL {settings.database_url!r}: use sqlite:/// or postgresql://")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work: commit on success, roll back everything on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (Alembic); safe to run repeatedly."""
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def head_revision() -> str:
    """The newest migration shipped with this code."""
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(cfg).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def dialect_name(engine_or_session: Engine | Session) -> str:
    bind = engine_or_session.get_bind() if isinstance(engine_or_session, Session) else engine_or_session
    return bind.dialect.name
