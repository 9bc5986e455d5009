"""Writing imported cases: ids reserved, times as the database stores them, and the case and event rows
inserted in chunks (SpatiaLite's per-row triggers and indexes set aside and redone in bulk)."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator

import numpy as np
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from gridmap.store.dialect import take_write_lock
from gridmap.store.sqlite.rtree import add_points

CHUNK = 20_000
CACHE_KIB = 512 * 1024  # SQLite page cache during a bulk import
CASE_COLUMNS = (
    "id", "client_id", "source", "reporter", "category", "description", "address", "urgency", "lon", "lat",
    "observed_at", "created_at", "updated_at", "status", "unit_id", "matched_kind", "matched_id", "matched_name",
    "rule", "distance_m", "ambiguous", "street_id", "community_id", "deadline_unit", "limit_seconds", "deadline_at",
    "paused_seconds", "extension_count", "rework_count", "supervision_level", "version", "verified", "duplicate_of",
)  # fmt: skip
_EVENT_COLUMNS = ("case_id", "seq", "action", "from_status", "to_status", "actor", "at", "data")


def sqlite_time(us: np.ndarray) -> np.ndarray:
    """µs since the epoch → SQLAlchemy's SQLite DATETIME text (UTC), which sorts and compares as time."""
    if len(us) == 0:
        return np.zeros(0, dtype=object)
    s = np.datetime_as_string(us.astype("datetime64[us]"), unit="us")  # 2026-11-26T09:30:00.000000
    s.view(np.uint32).reshape(len(s), -1)[:, 10] = ord(" ")  # the 'T', in place: one write per row
    return s


def pg_time(us: np.ndarray) -> np.ndarray:
    if len(us) == 0:
        return np.zeros(0, dtype=object)
    return np.char.add(np.datetime_as_string(us.astype("datetime64[us]"), unit="us").astype(str), "+00:00")


def reserve_ids(session: Session, k: int) -> np.ndarray:
    """``k`` case ids that nobody else can take: PostgreSQL from the sequence; SQLite under the write lock."""
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    if session.get_bind().dialect.name == "postgresql":
        ids = session.execute(
            text("SELECT nextval(pg_get_serial_sequence('cases', 'id')) FROM generate_series(1, :k)"), {"k": k}
        ).scalars()
        return np.fromiter(ids, dtype=np.int64, count=k)
    take_write_lock(session, "cases", "the cases")  # before reading max(id)
    top = session.scalar(text("SELECT coalesce(max(id), 0) FROM cases")) or 0
    return np.arange(top + 1, top + 1 + k, dtype=np.int64)


def insert_cases(
    session: Session,
    dialect: str,
    columns: dict[str, list[object]],
    lines: np.ndarray,
    actor: str | None,
    now_s: str,
    progress: Callable[[int, int | None], None] | None,
    phases: dict[str, float] | None = None,
) -> None:
    """Insert the prepared case rows and one import event each, in chunks (on SQLite as a bulk load)."""
    if not columns["id"]:
        return
    conn = session.connection()
    load = _sqlite_bulk_load(conn, columns, phases) if dialect == "sqlite" else contextlib.nullcontext()
    with load:
        _write_rows(conn, dialect, columns, lines, actor, now_s, progress)


@contextlib.contextmanager
def _sqlite_bulk_load(
    conn: Connection, columns: dict[str, list[object]], phases: dict[str, float] | None
) -> Iterator[None]:
    """SpatiaLite's per-row work on ``cases`` set aside for the load and done once after it, with a page cache
    large enough for what is written. All inside the caller's transaction: DDL is transactional in SQLite, so a
    failure restores the triggers and indexes."""
    # with SQLite's default 2 MB cache, pages spill to the WAL and are read back over and over (restored after)
    cache = int(conn.exec_driver_sql("PRAGMA cache_size").scalar() or -2000)
    conn.exec_driver_sql(f"PRAGMA cache_size = {-CACHE_KIB}")
    try:
        # three per-row INSERT triggers on a geometry column: a type/SRID check, a metadata time stamp (an UPDATE
        # per row) and the R*Tree entry
        saved = _drop(
            conn,
            "trigger",
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'cases' "
            "AND name IN ('ggi_cases_geom', 'tmi_cases_geom', 'gii_cases_geom')",
        )
        # loading more rows than the table holds: secondary indexes are built again after the load (a sorted
        # build), several times faster than updating them row by row
        bulk = len(columns["id"]) >= (conn.exec_driver_sql("SELECT count(*) FROM cases").scalar() or 0)
        if bulk:
            saved += _drop(
                conn,
                "index",
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                "AND tbl_name IN ('cases', 'case_events')",
            )
        started = time.perf_counter()
        yield
        rows_done = time.perf_counter()
        # the points were built by MakePoint(lon, lat, 4326): the type/SRID check holds by construction; a load
        # larger than the table rebuilds the R*Tree packed
        add_points(conn, "idx_cases_geom", columns["id"], columns["lon"], columns["lat"], rebuild=bulk)
        rtree_done = time.perf_counter()
        conn.exec_driver_sql(
            "UPDATE geometry_columns_time SET last_insert = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
            "WHERE Lower(f_table_name) = 'cases' AND Lower(f_geometry_column) = 'geom'"
        )
        for _name, sql in saved:
            conn.exec_driver_sql(sql)
        if phases is not None:
            phases["rows"] = round(rows_done - started, 2)
            phases["R*Tree"] = round(rtree_done - rows_done, 2)
            phases["indexes"] = round(time.perf_counter() - rtree_done, 2)
    finally:
        with contextlib.suppress(Exception):
            conn.exec_driver_sql(f"PRAGMA cache_size = {cache}")


def _drop(conn: Connection, kind: str, listing: str) -> list[tuple[str, str]]:
    """Drop the triggers or indexes ``listing`` names; returns (name, CREATE statement) to make them again."""
    found = [(str(name), str(sql)) for name, sql in conn.exec_driver_sql(listing).all()]
    for name, _sql in found:
        conn.exec_driver_sql(f'DROP {kind.upper()} "{name}"')
    return found


def _write_rows(
    conn: Connection,
    dialect: str,
    columns: dict[str, list[object]],
    lines: np.ndarray,
    actor: str | None,
    now_s: str,
    progress: Callable[[int, int | None], None] | None,
) -> None:
    k = len(columns["id"])
    ph = "?" if dialect == "sqlite" else "%s"
    point = f"MakePoint({ph}, {ph}, 4326)" if dialect == "sqlite" else f"ST_SetSRID(ST_MakePoint({ph}, {ph}), 4326)"
    # values that are the same on every row are written into the statement once instead of bound per row
    constant = {"paused_seconds": "0.0", "extension_count": "0", "rework_count": "0", "supervision_level": "0",
                "version": "1", "created_at": f"'{now_s}'", "updated_at": f"'{now_s}'"}  # fmt: skip
    bound = [c for c in CASE_COLUMNS if c not in constant]
    names = ", ".join([*bound, *constant])
    values = ", ".join([ph] * len(bound) + list(constant.values()))
    case_sql = f"INSERT INTO cases ({names}, geom) VALUES ({values}, {point})"
    event_sql = (
        f"INSERT INTO case_events ({', '.join(_EVENT_COLUMNS)}) VALUES ({', '.join([ph] * len(_EVENT_COLUMNS))})"
    )
    ordered = [columns[c] for c in bound]
    if progress:
        progress(0, k)
    for s in range(0, k, CHUNK):
        e = min(s + CHUNK, k)
        case_rows = list(zip(*(c[s:e] for c in ordered), columns["lon"][s:e], columns["lat"][s:e], strict=True))
        conn.exec_driver_sql(case_sql, case_rows)
        if dialect == "sqlite" and columns["id"][e - 1] - columns["id"][s] == e - s - 1:
            # The ids of a chunk are consecutive (reserved under the write lock): the events are written by one
            # statement from the rows just stored, their file row numbers passed as one JSON array.
            conn.exec_driver_sql(
                f"INSERT INTO case_events ({', '.join(_EVENT_COLUMNS)}) "
                "SELECT c.id, 1, 'import', NULL, c.status, coalesce(?, c.reporter), ?, "
                "CASE WHEN c.duplicate_of IS NULL THEN json_object('row', j.value) "
                "ELSE json_object('row', j.value, 'duplicate_of', c.duplicate_of) END "
                "FROM json_each(?) AS j JOIN cases AS c ON c.id = ? + j.key",
                (actor, now_s, json.dumps(lines[s:e].tolist()), columns["id"][s]),
            )
        else:
            chunk = (columns[c][s:e] for c in ("id", "status", "reporter", "duplicate_of"))
            event_rows = [
                (cid, 1, "import", None, st, actor or rep, now_s, _event_data(line, dup))
                for (cid, st, rep, dup), line in zip(zip(*chunk, strict=True), lines[s:e].tolist(), strict=True)
            ]
            conn.exec_driver_sql(event_sql, event_rows)
        if progress:
            progress(e - s, None)


def _event_data(line: int, duplicate_of: int | None) -> str:
    """The import event's data: the file row, and the case it duplicates (as the SQLite path writes it)."""
    return f'{{"row": {line}}}' if duplicate_of is None else f'{{"row": {line}, "duplicate_of": {duplicate_of}}}'
