"""Throw-away databases for the tests: the session's PostgreSQL databases, and the demo city built once into a
template and copied for each test that needs it (the fixtures are in ``conftest.py``)."""

from __future__ import annotations

import os
import queue
import shutil
import stat
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from gridmap.config import DEMO_DATA_DIR, Settings
from gridmap.imports.demo import load_demo
from gridmap.store.engine import make_engine, make_session_factory, upgrade

POSTGRES_ADMIN_URL = os.environ.get(
    "GRIDMAP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


class Postgres:
    """Creates a test session's databases (``gridmap_test_<tag>…``) on the server and drops them: each one when
    asked — in the background, since a DROP DATABASE waits for a checkpoint (seconds on a busy server) — and whatever
    is left when the session ends (:meth:`drop_all`).

    Every database is made with ``synchronous_commit = off``: a commit does not wait for its WAL to reach the disk
    (≈ 7 ms a commit here), which a throw-away database does not need; what a test reads back is the same."""

    def __init__(self) -> None:
        self.prefix = f"gridmap_test_{uuid.uuid4().hex[:10]}"
        self.admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        self.made: set[str] = set()
        self._numbered = 0
        self._drops: queue.Queue[str | None] = queue.Queue()
        self._dropper: threading.Thread | None = None

    def create(self, suffix: str = "", template: str | None = None) -> Settings:
        """A new database (a copy of ``template`` if given), and settings for it."""
        name = f"{self.prefix}{suffix}"
        self.made.add(name)  # before it exists: one made halfway is dropped at the end too
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
        url = make_url(POSTGRES_ADMIN_URL).set(database=name)
        return Settings(database_url=url.render_as_string(hide_password=False))

    def new(self, template: str | None = None) -> Settings:
        """A new numbered database: empty, or a copy of ``template`` (which nobody may be connected to)."""
        self._numbered += 1
        return self.create(f"_{self._numbered}", template=template)

    def drop(self, name: str) -> None:
        # FORCE: an app a test made and did not dispose of may still hold a connection
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.made.discard(name)

    def drop_later(self, name: str) -> None:
        """Drop ``name`` in the background (the test that used it is over; nothing connects to it again)."""
        if self._dropper is None:
            self._dropper = threading.Thread(target=self._drop_queued, name="drop-test-databases", daemon=True)
            self._dropper.start()
        self._drops.put(name)

    def _drop_queued(self) -> None:
        while (name := self._drops.get()) is not None:
            self.drop(name)

    def drop_all(self) -> None:
        if self._dropper is not None:
            self._drops.put(None)
            self._dropper.join()
        for name in sorted(self.made):
            self.drop(name)
        self.admin.dispose()


def database_name(settings: Settings) -> str:
    return make_url(settings.database_url).database or ""


# -- the demo city -----------------------------------------------------------------------------------------------


def load_demo_city(settings: Settings) -> None:
    """Migrate the (empty) database of ``settings`` and load the demo city into it (without its reports), the way
    ``gridmap demo --no-reports`` does, with the demo's accounts (password ``DEMO_PASSWORD``); no connection to it is
    left open."""
    from gridmap.web.auth import password_hasher

    engine = make_engine(settings)
    try:
        upgrade(engine)
        hasher = password_hasher(settings)
        with make_session_factory(engine)() as session:
            load_demo(session, DEMO_DATA_DIR, settings, with_reports=False, hash_password=hasher)
            session.commit()
    finally:
        engine.dispose()  # a template must have no open connection (PostgreSQL) and no WAL left (SQLite)


def spatialite_template(directory: Path) -> Path:
    """The demo city in ``directory/gridmap.sqlite``, read-only: the file the SpatiaLite copies are made from."""
    path = directory / "gridmap.sqlite"
    load_demo_city(Settings(database_url=f"sqlite:///{path}", instance_dir=directory))
    wal = path.with_name(path.name + "-wal")  # closing the last connection checkpoints the log into the file
    assert not wal.exists() or wal.stat().st_size == 0, f"{wal} left over: a copy of the file alone would miss it"
    path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)  # nothing may change the template
    return path


def postgis_template(postgres: Postgres) -> str:
    """The demo city in a database of its own, that nobody connects to again: the template of the PostGIS copies."""
    settings = postgres.create("_demo")
    load_demo_city(settings)
    return database_name(settings)


@contextmanager
def spatialite_copy(template: Path, instance_dir: Path) -> Iterator[Settings]:
    """Settings for a copy of ``template`` in ``instance_dir/gridmap.sqlite``, deleted on exit."""
    instance_dir.mkdir(parents=True, exist_ok=True)
    path = instance_dir / "gridmap.sqlite"
    shutil.copyfile(template, path)
    try:
        yield Settings(database_url=f"sqlite:///{path}", instance_dir=instance_dir)
    finally:
        for extra in ("", "-wal", "-shm"):
            path.with_name(path.name + extra).unlink(missing_ok=True)


@contextmanager
def postgis_copy(postgres: Postgres, template: str, instance_dir: Path) -> Iterator[Settings]:
    """Settings for a new database copied from ``template``, dropped on exit."""
    instance_dir.mkdir(parents=True, exist_ok=True)
    made = postgres.new(template)
    try:
        yield Settings(database_url=made.database_url, instance_dir=instance_dir)
    finally:
        postgres.drop_later(database_name(made))
