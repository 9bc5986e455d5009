"""A bulk load into SQLite: SpatiaLite's per-row work set aside for the load and done once after it."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Connection

from gridmap.store.change_counters import bump, sqlite_insert_triggers
from gridmap.store.sqlite.rtree import add_points

CACHE_KIB = 128 * 1024  # SQLite page cache during a bulk load (bounded: the load streams, whatever its size)
PACK_MAX = 1_000_000  # R*Tree entries packed in memory at most (a larger tree takes new points through the module)


@contextlib.contextmanager
def bulk_load(
    conn: Connection,
    tables: tuple[str, ...],
    rows: int,
    points: Callable[[], tuple[Any, Any, Any]] | None,
    phases: dict[str, float] | None,
) -> Iterator[Callable[[Any, Any, Any], None]]:
    """Inside: insert about ``rows`` rows into ``tables``; the first holds a point column ``geom``. Its geometry
    triggers are dropped for the load, and the new points enter its R*Tree either part by part, through the
    yielded ``index(ids, lon, lat)`` called after each part is written (a streamed load: no point is held
    through it), or at the end from ``points()`` (its new rows' ids and coordinates, read back). When the load is
    larger than the table, the tables' secondary indexes are dropped too and built again after (a sorted build),
    with a larger page cache (bounded). All inside the caller's transaction: DDL is transactional in SQLite, so a
    failure restores the triggers and indexes."""
    table = tables[0]
    # with SQLite's default 2 MB cache, pages spill to the WAL and are read back over and over (restored after)
    cache = int(conn.exec_driver_sql("PRAGMA cache_size").scalar() or -2000)
    conn.exec_driver_sql(f"PRAGMA cache_size = {-CACHE_KIB}")
    try:
        # three per-row INSERT triggers on a geometry column (a type/SRID check, a metadata time stamp: an UPDATE
        # per row, and the R*Tree entry) and a change counter's (one UPSERT per row) are set aside; the counter is
        # bumped once at the end
        counters = sqlite_insert_triggers(table)
        names = (f"ggi_{table}_geom", f"tmi_{table}_geom", f"gii_{table}_geom", *counters)
        saved = _drop(
            conn,
            "trigger",
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? "
            f"AND name IN ({', '.join('?' * len(names))})",
            (table, *names),
        )
        counted = [counters[name] for name, _sql in saved if name in counters]
        # loading more rows than the table holds: secondary indexes are built again after the load (a sorted
        # build), several times faster than updating them row by row
        held = conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar() or 0
        bulk = rows >= held
        if bulk:
            marks = ", ".join("?" * len(tables))
            saved += _drop(
                conn,
                "index",
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                f"AND tbl_name IN ({marks})",
                tables,
            )
        # the points were built by MakePoint(lon, lat, 4326): the type/SRID check holds by construction
        rtree, spent, parts = f"idx_{table}_geom", [0.0], [0]

        def index(ids: Any, lon: Any, lat: Any) -> None:
            # The first part of a load larger than the table rebuilds the R*Tree packed (its entries and the part's,
            # in memory: bounded by PACK_MAX); later parts go in through the module, so nothing grows with the load.
            t = time.perf_counter()
            add_points(conn, rtree, ids, lon, lat, rebuild=bulk and not parts[0] and held + len(ids) <= PACK_MAX)
            parts[0] += 1
            spent[0] += time.perf_counter() - t

        started = time.perf_counter()
        yield index
        rows_done = time.perf_counter()
        if points is not None:  # a load larger than the table rebuilds the R*Tree packed
            add_points(conn, rtree, *points(), rebuild=bulk)
        rtree_done = time.perf_counter()
        conn.exec_driver_sql(
            "UPDATE geometry_columns_time SET last_insert = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
            "WHERE Lower(f_table_name) = ? AND Lower(f_geometry_column) = 'geom'",
            (table,),
        )
        for _name, sql in saved:
            conn.exec_driver_sql(sql)
        for name in counted:
            bump(conn, name)
        if phases is not None:
            phases["rows"] = round(rows_done - started - spent[0], 2)
            phases["R*Tree"] = round(rtree_done - rows_done + spent[0], 2)
            phases["indexes"] = round(time.perf_counter() - rtree_done, 2)
    finally:
        with contextlib.suppress(Exception):
            conn.exec_driver_sql(f"PRAGMA cache_size = {cache}")


def _drop(conn: Connection, kind: str, listing: str, params: tuple[str, ...]) -> list[tuple[str, str]]:
    """Drop the triggers or indexes ``listing`` names; returns (name, CREATE statement) to make them again."""
    found = [(str(name), str(sql)) for name, sql in conn.exec_driver_sql(listing, params).all()]
    for name, _sql in found:
        conn.exec_driver_sql(f'DROP {kind.upper()} "{name}"')
    return found
