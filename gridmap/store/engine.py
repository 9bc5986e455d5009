"""Engine, sessions and migrations for the two supported stores: SpatiaLite (embedded) and PostGIS.

One code path serves both: the URL decides, and :mod:`gridmap.store.dialect` sets the engine up. SpatiaLite is
loaded into every new SQLite connection from Debian's ``mod_spatialite`` (the interpreter's own ``sqlite3`` must be
able to load extensions: the project's virtualenv is built from Debian's ``/usr/bin/python3`` for that reason).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geoalchemy2  # noqa: F401  (registers the spatial types and DDL events)
from alembic import command
from alembic.config import Config
from sqlalchemy import CursorResult, Engine, Result, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from gridmap.config import Settings
from gridmap.store.dialect import dialect_of, engine_for

LOCK_WAIT_S = 10.0  # how long a writing unit of work waits for SQLite's write lock by default (then: Conflict)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def make_engine(settings: Settings) -> Engine:
    """Create the engine for ``settings.database_url`` (SpatiaLite or PostGIS; set up by :mod:`.dialect`)."""
    return engine_for(settings)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(
    factory: sessionmaker[Session],
    *,
    writes: bool = False,
    lock_wait_s: float = LOCK_WAIT_S,
    progress: Callable[[float, float], None] | None = None,
) -> Iterator[Session]:
    """A unit of work: commit on success, roll back everything on any error. ``writes``: it starts as a writer
    (:meth:`~gridmap.store.dialect.Dialect.begin_writing`), so its writes cannot fail on SQLite's lock."""
    session = factory()
    try:
        if writes:
            dialect_of(session).begin_writing(session, lock_wait_s, progress)
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
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None, f"no migrations in {MIGRATIONS_DIR}"  # the package ships them
    return head


def known_revision(revision: str) -> bool:
    """Whether ``revision`` is one of this code's migrations (a backup's schema it can restore and upgrade)."""
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    try:
        return ScriptDirectory.from_config(cfg).get_revision(revision) is not None
    except Exception:  # alembic's own errors for an unknown or malformed id
        return False


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def rows_matched(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE run through ``Session.execute`` matched (its result is a CursorResult, typed
    as a plain Result)."""
    assert isinstance(result, CursorResult), f"not the result of an UPDATE or DELETE: {type(result).__name__}"
    return result.rowcount


__all__ = [
    "alembic_config",
    "current_revision",
    "downgrade",
    "head_revision",
    "known_revision",
    "make_engine",
    "make_session_factory",
    "rows_matched",
    "session_scope",
    "upgrade",
]
