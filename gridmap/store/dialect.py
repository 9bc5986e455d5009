"""Everything that differs between SpatiaLite and PostGIS, in one place, and the one way to ask which one a
connection is on: :func:`dialect_of`.

Keeping the two databases equal is gridmap's riskiest promise, so no other module reads the dialect (a test
checks): they ask :func:`dialect_of` for a :class:`Dialect` and call what it offers. Each difference is one method
or attribute, written twice, side by side:

===========================  =========================================  ===========================================
difference                   SpatiaLite                                 PostGIS
===========================  =========================================  ===========================================
engine set-up                load ``mod_spatialite``, WAL, own BEGIN    ``pool_pre_ping``
placeholder, WKB function    ``?``, ``AsBinary``                        ``%s``, ``ST_AsBinary``
a point in SQL               ``MakePoint(x, y, 4326)``                  ``ST_SetSRID(ST_MakePoint(x, y), 4326)``
metres between geometries    ``ST_Distance(a, b, 1)`` (ellipsoid)       ``ST_Distance(a::geography, b::geography)``
spatial index use            ``idx_<table>_geom`` named in the query    ``&&`` on the GiST index
dates and times bound        ISO text (as SQLAlchemy stores them)       ``date`` / ``timestamptz`` values
seconds between two times    ``julianday`` difference × 86400           ``extract(epoch from b - a)``
write lock                   taken before reading (no-op UPDATE)        none: row locks, conditional UPDATEs
writing session              restarted as BEGIN IMMEDIATE, waited for   nothing to wait for
ids for a bulk insert        max(id) under the write lock               ``nextval`` of the serial sequence
bulk load                    triggers, indexes set aside; R*Tree packed plain inserts
many rows written            multi-row INSERTs; UPDATE executemany      ``COPY``; ``COPY`` + one ``UPDATE … FROM``
imported cases written       executemany, events by one INSERT … SELECT ``COPY`` of cases (hex EWKB) and events
many points written          executemany with ``MakePoint(?, ?, 4326)``  ``COPY`` of hex EWKB
long-running server          WAL checkpoints in a background thread     nothing
vector tiles (MVT)           geometry read as WKB, encoded in Python    ``ST_AsMVTGeom`` + ``ST_AsMVT`` in SQL
backup and restore           online backup API, ``quick_check``         ``pg_dump -Fc`` in an exported snapshot,
                                                                        ``pg_restore --single-transaction``
===========================  =========================================  ===========================================
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from sqlalchemy import (
    Connection,
    Engine,
    Integer,
    LargeBinary,
    and_,
    create_engine,
    event,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from gridmap.errors import Conflict, DatabaseError
from gridmap.store.change_counters import forget_transaction_reads, written_tables_of

if TYPE_CHECKING:
    from gridmap.config import Settings
    from gridmap.store.sqlite.wal import WalCheckpointer

POINT_CHUNK = 50_000  # rows per executemany of insert_points (bounds the bound-parameter list held at once)
_BUSY_TIMEOUT_MS = 10_000  # SQLite: how long a statement waits for a lock before "database is locked"
_WRITER = "gridmap.begun_writing"  # conn.info: the open transaction was begun IMMEDIATE (SQLite)
_LOCK_SLICE_S = 1.0  # begin_writing waits for the write lock in slices this long, reporting progress between

Box = tuple[float, float, float, float]  # xmin, ymin, xmax, ymax in EPSG:4326


class TileFrame:
    """What a vector tile is cut to: its Web-Mercator bounds, its extent and buffer (tile units) and the tolerance
    (metres) its shapes are simplified with — the same numbers for both databases' encoders."""

    def __init__(self, bounds_3857: Box, extent: int = 4096, buffer: int = 64, simplify_m: float = 0.0) -> None:
        self.bounds_3857 = bounds_3857
        self.extent = extent
        self.buffer = buffer
        self.simplify_m = simplify_m


Bind = Engine | Connection | Session


def _index_nothing(ids: Any, lon: Any, lat: Any) -> None:
    """A database whose spatial index follows each insert by itself (PostGIS's GiST) has nothing to add."""


class Dialect:
    """What gridmap needs to do differently on one database. Use :func:`dialect_of` to get one."""

    name: str  # SQLAlchemy's dialect name ("sqlite", "postgresql"): shown by /api/v1/health
    placeholder: str  # the DBAPI's positional parameter marker in hand-written SQL
    wkb_function: str  # the SQL function giving WKB (hand-written SQL)

    # -- hand-written SQL (one-off lookups where compiling SQLAlchemy would cost more than the query) ---------

    def point_sql(self, x: str, y: str) -> str:
        """SQL for the EPSG:4326 point at ``x``, ``y`` (placeholders or column names)."""
        raise NotImplementedError

    def distance_m_sql(self, geom: str, other: str) -> str:
        """SQL for the distance in metres (on the ellipsoid) between two EPSG:4326 geometries."""
        raise NotImplementedError

    def box_sql(self, alias: str, table: str, marks: tuple[str, str, str, str] | None = None) -> str:
        """SQL: ``alias``'s geometry box meets a lon/lat box, through the spatial index. ``marks`` are the
        parameter markers for (xmin, ymin, xmax, ymax) — named ones such as ``(":minx", …)`` — or, when omitted,
        positional placeholders bound by :meth:`box_params`."""
        raise NotImplementedError

    def box_params(self, box: Box) -> tuple[float, ...]:
        """The values of :meth:`box_sql`'s positional placeholders, in their order."""
        raise NotImplementedError

    def day_param(self, day: dt.date) -> object:
        """A date as bound in hand-written SQL."""
        raise NotImplementedError

    def time_param(self, t: dt.datetime) -> object:
        """A UTC time as bound in hand-written SQL, comparable with stored ``DateTime(timezone=True)`` values."""
        raise NotImplementedError

    def times_text(self, us: np.ndarray) -> np.ndarray:
        """µs since the epoch (UTC) → the text the database reads as that time (bulk inserts, vectorised)."""
        raise NotImplementedError

    # -- SQLAlchemy expressions ----------------------------------------------------------------------------

    def bbox_filter(self, model: Any, box: Box) -> Any:
        """WHERE clause: ``model``'s geometry box meets ``box``, through the spatial index."""
        raise NotImplementedError

    def seconds_between(self, earlier: Any, later: Any) -> Any:
        """SQL: the seconds from one stored time column to another (the scorecards' on-time steps)."""
        raise NotImplementedError

    def bbox_intersects(self, model: Any, box: Box) -> Any:
        """WHERE clause: ``model``'s geometry really intersects ``box`` (index first, then the exact test)."""
        raise NotImplementedError

    def insert_ignoring_conflict(self, table: Any, *columns: str) -> Any:
        """``INSERT INTO table … ON CONFLICT (columns) DO NOTHING``: a row whose key exists is not inserted
        (``RETURNING`` then gives no row), without a read before or a savepoint around it."""
        raise NotImplementedError

    def tile_geometry(self, geom: Any, tile: TileFrame) -> Any:
        """The SELECT expression for a layer's geometry in a vector tile: on PostGIS already in tile coordinates
        (clipped, simplified, snapped), on SpatiaLite WKB in EPSG:4326 for :meth:`mvt_layer`'s ``encode``."""
        raise NotImplementedError

    def mvt_layer(
        self, session: Session, stmt: Any, layer: str, tile: TileFrame, encode: Callable[[list[Any]], bytes]
    ) -> bytes:
        """One Mapbox Vector Tile layer named ``layer`` from ``stmt`` (columns ``fid``, the feature id; ``geom`` as
        given by :meth:`tile_geometry`; then the attributes, NULLs left out): ``ST_AsMVT`` on PostGIS, ``encode(rows)``
        (gridmap's Python encoder) on SpatiaLite."""
        raise NotImplementedError

    # -- session-level operations --------------------------------------------------------------------------

    def take_write_lock(self, session: Session, table: str, what: str) -> None:
        """Start writing now, so that what is read next is what the write will see (SQLite only needs it)."""

    def begin_writing(
        self, session: Session, wait_s: float, progress: Callable[[float, float], None] | None = None
    ) -> None:
        """Make ``session``'s transaction a writer's before it reads what it will change: on SQLite the database's
        one write lock is taken now (waiting up to ``wait_s`` seconds, ``progress(waited, wait_s)`` called about
        once a second while waiting), so the first write cannot fail with "database is locked"; raises
        :class:`~gridmap.errors.Conflict` when the wait runs out. What was read before may be read again (it may
        have changed). PostgreSQL has row locks: nothing to take."""
        session.connection()

    def refresh_statistics(self, conn: Connection, table: str) -> None:
        """After a bulk load into ``table``: the planner's statistics of it made current. SQLite has none until
        ``ANALYZE`` (it then guesses every index equally selective: with a million cases it read a street's 170,000
        instead of the 30,000 open ones); PostgreSQL's autovacuum analyzes by itself."""

    def renew_snapshot(self, session: Session) -> None:
        """Let ``session``'s transaction, which has written nothing, see what other sessions committed since it
        began (and write later): SQLite's read transaction keeps its first snapshot and can then never write
        ("database is locked"); it is ended and begun again. PostgreSQL reads committed rows at each statement."""

    def reserve_ids(self, session: Session, table: str, k: int) -> np.ndarray:
        """``k`` new ids of ``table`` that nobody else can take."""
        raise NotImplementedError

    def extent(self, session: Session, table: str, area_level: str | None = None) -> Any:
        """(xmin, ymin, xmax, ymax) of a table's geometries (of one area level), or a row of NULLs."""
        raise NotImplementedError

    def bulk_load(
        self, conn: Connection, tables: tuple[str, ...], rows: int,
        points: Callable[[], tuple[Any, Any, Any]] | None, phases: dict[str, float] | None,
    ) -> contextlib.AbstractContextManager[Callable[[Any, Any, Any], None]]:  # fmt: skip
        """A context for inserting about ``rows`` rows into ``tables``, the first one holding points: what the
        database does per row is set aside for the load and done once at its end. The new points reach the
        spatial index either part by part — the context gives ``index(ids, lon, lat)``, called after each part is
        written (a streamed load: nothing held through it) — or at the end from ``points()`` (read back)."""
        return contextlib.nullcontext(_index_nothing)

    def scratch_table(
        self, conn: Connection, name: str, columns: str, key: str
    ) -> contextlib.AbstractContextManager[None]:
        """A temporary table ``name`` (``columns`` as in CREATE TABLE, primary key ``key``), seen only by this
        connection and dropped when the context ends (or with the transaction)."""
        raise NotImplementedError

    def scratch_statistics(self, conn: Connection, name: str) -> None:
        """After a :meth:`scratch_table` grew: the planner told its size. SQLite plans its joins by the key alone;
        PostgreSQL's autovacuum never sees a temporary table, and unanalysed it may be scanned whole."""

    def insert_rows(self, conn: Connection, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        """Insert many rows (values as the driver binds them; times as :meth:`times_text`) the fastest way."""
        one = "(" + ", ".join([self.placeholder] * len(columns)) + ")"
        head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
        per = max(1, 4000 // len(columns))  # parameters per statement: well under every driver's limit
        for s in range(0, len(rows), per):
            part = rows[s : s + per]
            conn.exec_driver_sql(head + ", ".join([one] * len(part)), tuple(v for r in part for v in r))

    def insert_points(
        self, conn: Connection, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]],
        lon: np.ndarray, lat: np.ndarray,
    ) -> None:  # fmt: skip
        """Insert many rows of ``columns`` plus their EPSG:4326 point ``geom`` at (``lon``, ``lat``), the fastest
        way: one prepared statement run over all rows (the point made by the database from two floats)."""
        ph = self.placeholder
        sql = (
            f"INSERT INTO {table} ({', '.join(columns)}, geom) "
            f"VALUES ({', '.join([ph] * len(columns))}, {self.point_sql(ph, ph)})"
        )
        for s in range(0, len(rows), POINT_CHUNK):
            e = s + POINT_CHUNK
            part = zip(rows[s:e], lon[s:e].tolist(), lat[s:e].tolist(), strict=True)
            conn.exec_driver_sql(sql, [(*r, x, y) for r, x, y in part])

    def update_rows(self, conn: Connection, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        """Set ``columns`` of many rows by id: each row is the values then the id (as :meth:`insert_rows` binds)."""
        ph = self.placeholder
        sets = ", ".join(f"{c} = {ph}" for c in columns)
        if rows:
            conn.exec_driver_sql(f"UPDATE {table} SET {sets} WHERE id = {ph}", rows)

    copies_rows = False
    """Whether :meth:`insert_rows` / :meth:`insert_points` (COPY) beat a prepared INSERT run per row even for rows
    of many columns that are mostly the same (the case import asks)."""

    events_from_rows_sql: str | None = None
    """SQL inserting the import events of a chunk of consecutive case ids in one statement (bind: actor, time,
    JSON array of file rows, first id), where the database does that faster than row by row; else None."""

    # -- engines -------------------------------------------------------------------------------------------

    def create_engine(self, url: URL, settings: Settings) -> Engine:
        raise NotImplementedError

    # -- backups ------------------------------------------------------------------------------------------------

    dump_name: str  # the database's file name inside a backup archive

    def dump(self, engine: Engine, settings: Settings, dest: Path, summarise: Callable[[Connection], Any]) -> Any:
        """A consistent copy of the whole database into the new file ``dest`` while it is in use, and
        ``summarise`` (row counts…) run on exactly what was copied; its answer is returned."""
        raise NotImplementedError

    def load(self, engine: Engine, settings: Settings, source: Path) -> None:
        """Replace the whole database by a copy :meth:`dump` made, in one transaction (schema included)."""
        raise NotImplementedError

    def background_maintenance(self, engine: Engine) -> WalCheckpointer | None:
        """What a long-running server runs beside its requests (started; ``stop()`` it at the end), or None."""
        return None


class SpatiaLite(Dialect):
    name = "sqlite"
    placeholder = "?"
    wkb_function = "AsBinary"

    def point_sql(self, x: str, y: str) -> str:
        return f"MakePoint({x}, {y}, 4326)"

    def distance_m_sql(self, geom: str, other: str) -> str:
        return f"ST_Distance({geom}, {other}, 1)"

    def box_sql(self, alias: str, table: str, marks: tuple[str, str, str, str] | None = None) -> str:
        # SpatiaLite only uses its R*Tree when the query names it
        x0, y0, x1, y1 = marks or ("?",) * 4
        return (
            f"{alias}.id IN (SELECT pkid FROM idx_{table}_geom"
            f" WHERE xmin <= {x1} AND xmax >= {x0} AND ymin <= {y1} AND ymax >= {y0})"
        )

    def box_params(self, box: Box) -> tuple[float, ...]:
        x0, y0, x1, y1 = (float(v) for v in box)
        return (x1, x0, y1, y0)

    def day_param(self, day: dt.date) -> object:
        return day.isoformat()

    def time_param(self, t: dt.datetime) -> object:
        return t.strftime("%Y-%m-%d %H:%M:%S.%f")

    def times_text(self, us: np.ndarray) -> np.ndarray:
        # SQLAlchemy's SQLite DATETIME text (UTC), which sorts and compares as time
        if len(us) == 0:
            return np.zeros(0, dtype=object)
        s = np.datetime_as_string(us.astype("datetime64[us]"), unit="us")  # 2026-11-26T09:30:00.000000
        s.view(np.uint32).reshape(len(s), -1)[:, 10] = ord(" ")  # the 'T', in place: one write per row
        return s

    def seconds_between(self, earlier: Any, later: Any) -> Any:
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0

    def bbox_filter(self, model: Any, box: Box) -> Any:
        x0, y0, x1, y1 = (float(v) for v in box)
        return model.id.in_(
            text(
                f"SELECT pkid FROM idx_{model.__tablename__}_geom"
                " WHERE xmin <= :bx1 AND xmax >= :bx0 AND ymin <= :by1 AND ymax >= :by0"
            )
            .bindparams(bx0=x0, by0=y0, bx1=x1, by1=y1)
            .columns(pkid=Integer)
        )

    def bbox_intersects(self, model: Any, box: Box) -> Any:
        x0, y0, x1, y1 = (float(v) for v in box)
        exact = func.ST_Intersects(model.geom, func.BuildMbr(x0, y0, x1, y1, 4326)) == 1
        return and_(self.bbox_filter(model, box), exact)

    def insert_ignoring_conflict(self, table: Any, *columns: str) -> Any:
        from sqlalchemy.dialects.sqlite import insert

        return insert(table).on_conflict_do_nothing(index_elements=list(columns))

    def tile_geometry(self, geom: Any, tile: TileFrame) -> Any:
        return wkb(geom)

    def mvt_layer(
        self, session: Session, stmt: Any, layer: str, tile: TileFrame, encode: Callable[[list[Any]], bytes]
    ) -> bytes:
        return encode(list(session.connection().execute(stmt).all()))

    def take_write_lock(self, session: Session, table: str, what: str) -> None:
        # a no-op UPDATE: concurrent writers queue here instead of failing later on a stale snapshot
        try:
            session.execute(text(f"UPDATE {table} SET id = id WHERE 0"))
        except OperationalError as exc:
            raise Conflict(
                f"{what} is being changed by someone else right now: reload and try again",
                zh="数据正被他人修改，请刷新后重试",
            ) from exc

    def begin_writing(
        self, session: Session, wait_s: float, progress: Callable[[float, float], None] | None = None
    ) -> None:
        conn = session.connection()
        raw = conn.connection.dbapi_connection
        assert raw is not None
        if conn.info.get(_WRITER) or written_tables_of(conn):
            return  # this transaction has the lock already (taken here, or by a write)
        # Nothing written yet: the deferred transaction only read, so it can end and start again as a writer. Done
        # on the DBAPI connection, so the session keeps its objects as they were read (the caller reads again what
        # it will change) and what it has added but not flushed yet (a sign-in's tracking fields).
        cur = raw.cursor()
        started = time.monotonic()
        try:
            if raw.in_transaction:
                cur.execute("ROLLBACK")
            forget_transaction_reads(session)
            cur.execute(f"PRAGMA busy_timeout = {int(min(_LOCK_SLICE_S, max(wait_s, 0.0)) * 1000)}")
            while True:
                try:
                    cur.execute("BEGIN IMMEDIATE")
                    conn.info[_WRITER] = True
                    return
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) and "busy" not in str(exc):
                        raise
                waited = time.monotonic() - started
                if waited >= wait_s:
                    raise Conflict(
                        f"the database is busy with another change (waited {waited:.1f} s): try again in a moment",
                        zh=f"数据库正忙于其他修改（已等待 {waited:.1f} 秒），请稍后重试",
                    )
                if progress is not None:
                    progress(waited, wait_s)
        finally:
            cur.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            cur.close()

    def refresh_statistics(self, conn: Connection, table: str) -> None:
        conn.exec_driver_sql("PRAGMA analysis_limit = 1000")  # a sample of each index: milliseconds, not seconds
        conn.exec_driver_sql(f"ANALYZE {table}")

    def renew_snapshot(self, session: Session) -> None:
        conn = session.connection()
        raw = conn.connection.dbapi_connection
        assert raw is not None
        if conn.info.get(_WRITER) or written_tables_of(conn) or not raw.in_transaction:
            return
        cur = raw.cursor()
        try:
            cur.execute("ROLLBACK")
            forget_transaction_reads(session)
            cur.execute("BEGIN")
        finally:
            cur.close()

    def reserve_ids(self, session: Session, table: str, k: int) -> np.ndarray:
        if k == 0:
            return np.zeros(0, dtype=np.int64)
        self.take_write_lock(session, table, f"the {table}")  # before reading max(id)
        top = session.scalar(text(f"SELECT coalesce(max(id), 0) FROM {table}")) or 0
        return np.arange(top + 1, top + 1 + k, dtype=np.int64)

    def extent(self, session: Session, table: str, area_level: str | None = None) -> Any:
        # from the R*Tree: no geometry is read
        sql = f"SELECT min(r.xmin), min(r.ymin), max(r.xmax), max(r.ymax) FROM idx_{table}_geom r"
        if area_level:
            sql += " JOIN areas a ON a.id = r.pkid WHERE a.level = :level"
        return session.execute(text(sql), {"level": area_level} if area_level else {}).first()

    def bulk_load(
        self, conn: Connection, tables: tuple[str, ...], rows: int,
        points: Callable[[], tuple[Any, Any, Any]] | None, phases: dict[str, float] | None,
    ) -> contextlib.AbstractContextManager[Callable[[Any, Any, Any], None]]:  # fmt: skip
        from gridmap.store.sqlite.bulk_load import bulk_load

        return bulk_load(conn, tables, rows, points, phases)

    @contextlib.contextmanager
    def scratch_table(self, conn: Connection, name: str, columns: str, key: str) -> Iterator[None]:
        # one clustered B-tree on the key (no rowid): a range of the key is read without a second look-up
        conn.exec_driver_sql(f"CREATE TEMP TABLE {name} ({columns}, PRIMARY KEY ({key})) WITHOUT ROWID")
        try:
            yield
        finally:
            with contextlib.suppress(Exception):  # a temp table lives as long as the (pooled) connection
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{name}")

    events_from_rows_sql = (
        "INSERT INTO case_events (case_id, seq, action, from_status, to_status, actor, at, data) "
        "SELECT c.id, 1, 'import', NULL, c.status, ?, ?, "
        "CASE WHEN c.duplicate_of IS NULL THEN json_object('row', j.value) "
        "ELSE json_object('row', j.value, 'duplicate_of', c.duplicate_of) END "
        "FROM json_each(?) AS j JOIN cases AS c ON c.id = ? + j.key"
    )

    def create_engine(self, url: URL, settings: Settings) -> Engine:
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 10})
        event.listen(engine, "connect", _load_spatialite(settings.spatialite_library))
        # pysqlite's own BEGIN handling defers transactions; take control so a transaction really is one.
        event.listen(engine, "connect", lambda conn, _r: setattr(conn, "isolation_level", None))
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
        for end in ("commit", "rollback"):
            event.listen(engine, end, lambda conn: None if conn.invalidated else conn.info.pop(_WRITER, None))
        return engine

    def background_maintenance(self, engine: Engine) -> WalCheckpointer | None:
        from gridmap.store.sqlite.wal import WalCheckpointer

        return WalCheckpointer(engine).start()

    dump_name = "database.sqlite"

    def dump(self, engine: Engine, settings: Settings, dest: Path, summarise: Callable[[Connection], Any]) -> Any:
        from gridmap.store.sqlite.backup import copy_out

        copy_out(_sqlite_file(engine), dest)
        copy = self.create_engine(make_url(f"sqlite:///{dest}"), settings)
        try:
            with copy.connect() as conn:
                return summarise(conn)
        finally:
            copy.dispose()

    def load(self, engine: Engine, settings: Settings, source: Path) -> None:
        from gridmap.store.sqlite.backup import copy_in

        engine.dispose()  # this process's connections: opened again on the new content
        copy_in(source, _sqlite_file(engine))


class PostGIS(Dialect):
    name = "postgresql"
    placeholder = "%s"
    wkb_function = "ST_AsBinary"
    copies_rows = True

    def insert_rows(self, conn: Connection, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        # COPY: one stream, no statement per row or per batch
        raw = conn.connection.dbapi_connection
        assert raw is not None  # a connection inside a transaction holds its DBAPI connection
        cursor: Any = raw.cursor()  # psycopg's: ``copy`` is not in the DBAPI protocol
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def insert_points(
        self, conn: Connection, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]],
        lon: np.ndarray, lat: np.ndarray,
    ) -> None:  # fmt: skip
        # COPY, the points as hex EWKB made in one vectorised call (the geometry type parses it as text)
        points = shapely.set_srid(shapely.points(lon, lat), 4326)
        ewkb: list[str] = np.asarray(shapely.to_wkb(points, hex=True, include_srid=True)).tolist()
        self.insert_rows(conn, table, (*columns, "geom"), [(*r, g) for r, g in zip(rows, ewkb, strict=True)])

    def update_rows(self, conn: Connection, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        # the new values COPYed into a temporary table of the same column types, then one UPDATE … FROM
        if not rows:
            return
        conn.exec_driver_sql(
            f"CREATE TEMPORARY TABLE _updates ON COMMIT DROP AS SELECT {', '.join(columns)}, id FROM {table} "
            "WITH NO DATA"
        )
        self.insert_rows(conn, "_updates", (*columns, "id"), rows)
        sets = ", ".join(f"{c} = u.{c}" for c in columns)
        conn.exec_driver_sql(f"UPDATE {table} AS t SET {sets} FROM _updates AS u WHERE t.id = u.id")
        conn.exec_driver_sql("DROP TABLE _updates")

    def point_sql(self, x: str, y: str) -> str:
        return f"ST_SetSRID(ST_MakePoint({x}, {y}), 4326)"

    def distance_m_sql(self, geom: str, other: str) -> str:
        return f"ST_Distance({geom}::geography, {other}::geography)"

    def box_sql(self, alias: str, table: str, marks: tuple[str, str, str, str] | None = None) -> str:
        x0, y0, x1, y1 = marks or ("%s",) * 4
        return f"{alias}.geom && ST_MakeEnvelope({x0}, {y0}, {x1}, {y1}, 4326)"

    def box_params(self, box: Box) -> tuple[float, ...]:
        return tuple(float(v) for v in box)

    def day_param(self, day: dt.date) -> object:
        return day

    def time_param(self, t: dt.datetime) -> object:
        return t

    def times_text(self, us: np.ndarray) -> np.ndarray:
        if len(us) == 0:
            return np.zeros(0, dtype=object)
        return np.char.add(np.datetime_as_string(us.astype("datetime64[us]"), unit="us").astype(str), "+00:00")

    def seconds_between(self, earlier: Any, later: Any) -> Any:
        return func.extract("epoch", later - earlier)

    def bbox_filter(self, model: Any, box: Box) -> Any:
        x0, y0, x1, y1 = (float(v) for v in box)
        return model.geom.op("&&")(func.ST_MakeEnvelope(x0, y0, x1, y1, 4326))

    def bbox_intersects(self, model: Any, box: Box) -> Any:
        x0, y0, x1, y1 = (float(v) for v in box)
        return func.ST_Intersects(model.geom, func.ST_MakeEnvelope(x0, y0, x1, y1, 4326))

    def tile_geometry(self, geom: Any, tile: TileFrame) -> Any:
        x0, y0, x1, y1 = tile.bounds_3857
        envelope = func.ST_MakeEnvelope(x0, y0, x1, y1, 3857)
        projected = func.ST_Transform(geom, 3857)
        if tile.simplify_m > 0:
            projected = func.ST_Simplify(projected, tile.simplify_m, True)
        return func.ST_AsMVTGeom(projected, envelope, tile.extent, tile.buffer, True)

    def mvt_layer(
        self, session: Session, stmt: Any, layer: str, tile: TileFrame, encode: Callable[[list[Any]], bytes]
    ) -> bytes:
        t = stmt.subquery("t")
        rows = select(t).where(t.c.geom.is_not(None)).subquery("mvt")
        mvt = select(func.ST_AsMVT(literal_column("mvt"), layer, tile.extent, "geom", "fid")).select_from(rows)
        return bytes(session.execute(mvt).scalar() or b"")

    def insert_ignoring_conflict(self, table: Any, *columns: str) -> Any:
        from sqlalchemy.dialects.postgresql import insert

        return insert(table).on_conflict_do_nothing(index_elements=list(columns))

    def reserve_ids(self, session: Session, table: str, k: int) -> np.ndarray:
        if k == 0:
            return np.zeros(0, dtype=np.int64)
        ids = session.execute(
            text(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :k)"), {"k": k}
        ).scalars()
        return np.fromiter(ids, dtype=np.int64, count=k)

    @contextlib.contextmanager
    def scratch_table(self, conn: Connection, name: str, columns: str, key: str) -> Iterator[None]:
        conn.exec_driver_sql(f"CREATE TEMP TABLE {name} ({columns}, PRIMARY KEY ({key})) ON COMMIT DROP")
        try:
            yield
        finally:
            with contextlib.suppress(Exception):  # after a failed statement the transaction drops it anyway
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")

    def scratch_statistics(self, conn: Connection, name: str) -> None:
        conn.exec_driver_sql(f"ANALYZE {name}")

    def extent(self, session: Session, table: str, area_level: str | None = None) -> Any:
        sql = f"SELECT min(ST_XMin(geom)), min(ST_YMin(geom)), max(ST_XMax(geom)), max(ST_YMax(geom)) FROM {table}" + (
            " WHERE level = :level" if area_level else ""
        )
        return session.execute(text(sql), {"level": area_level} if area_level else {}).first()

    def create_engine(self, url: URL, settings: Settings) -> Engine:
        return create_engine(url, pool_pre_ping=True)

    dump_name = "database.pgdump"

    def dump(self, engine: Engine, settings: Settings, dest: Path, summarise: Callable[[Connection], Any]) -> Any:
        # pg_dump reads the snapshot this transaction exports, so the summary and the dump see the same rows.
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                summary = summarise(conn)
                _pg_run(engine, conn, "pg_dump", ["-Fc", "--snapshot", str(snapshot), "-f", str(dest)])
        return summary

    def load(self, engine: Engine, settings: Settings, source: Path) -> None:
        with engine.begin() as conn:
            # The extension stays as it is (dropping PostGIS would need the superuser and every table gone first):
            # everything else of the archive's table of contents is restored, old objects dropped first.
            listing = _pg_run(engine, conn, "pg_restore", ["--list", str(source)])
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        list_file = source.with_suffix(".list")
        list_file.write_text("\n".join(ln for ln in listing.splitlines() if " EXTENSION " not in ln), encoding="utf-8")
        args = ["--single-transaction", "--exit-on-error", "--clean", "--if-exists", "--no-owner", "--no-privileges"]
        with engine.connect() as conn:
            target = ["--use-list", str(list_file), "--dbname", _libpq(engine), str(source)]
            _pg_run(engine, conn, "pg_restore", [*args, *target])
        engine.dispose()


_DIALECTS: dict[str, Dialect] = {"sqlite": SpatiaLite(), "postgresql": PostGIS()}


def dialect_of(bind: Bind) -> Dialect:
    """The :class:`Dialect` of an engine, connection or session: the one way gridmap asks which database it is on."""
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return _DIALECTS[engine.dialect.name]


def engine_for(settings: Settings) -> Engine:
    """A new engine for ``settings.database_url`` (``sqlite:///…`` SpatiaLite or ``postgresql://…`` PostGIS)."""
    url = make_url(settings.database_url)
    dialect = _DIALECTS.get(url.get_backend_name())
    if dialect is None:
        raise DatabaseError(f"unsupported database URL {settings.database_url!r}: use sqlite:/// or postgresql://")
    return dialect.create_engine(url, settings)


def _sqlite_file(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise DatabaseError("an in-memory SQLite database has no file to back up or restore")
    return Path(database)


def _libpq(engine: Engine) -> str:
    """The engine's database as a libpq URL for the PostgreSQL tools, without the password (PGPASSWORD has it)."""
    url = engine.url.set(drivername="postgresql", password=None)
    return url.render_as_string(hide_password=False)


def _pg_tool(conn: Connection, tool: str) -> str:
    """The server's own version of a PostgreSQL tool (an older pg_dump refuses a newer server), else the one on
    PATH."""
    major = int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000
    own = Path(f"/usr/lib/postgresql/{major}/bin/{tool}")
    found = str(own) if own.exists() else shutil.which(tool)
    if not found:
        raise DatabaseError(f"{tool} not found: install postgresql-client-{major} (Debian: postgresql-client)")
    return found


def _pg_run(engine: Engine, conn: Connection, tool: str, args: list[str]) -> str:
    """Run pg_dump/pg_restore on the engine's database; its output, or its error message as a DatabaseError."""
    env = dict(os.environ)
    if engine.url.password:
        env["PGPASSWORD"] = str(engine.url.password)
    target = [] if tool == "pg_restore" else ["--dbname", _libpq(engine)]
    done = subprocess.run([_pg_tool(conn, tool), *target, *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise DatabaseError(f"{tool} failed: {done.stderr.strip()[-2000:]}")
    return done.stdout


def wkb(column: Any) -> Any:
    """``ST_AsBinary(column)`` typed as bytes (the same SQL on both databases), for shapely to read."""
    return func.ST_AsBinary(column, type_=LargeBinary)


def _load_spatialite(spatialite_library: str) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
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
        cur.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    return on_connect


__all__ = ["Dialect", "PostGIS", "SpatiaLite", "TileFrame", "dialect_of", "engine_for", "wkb"]
