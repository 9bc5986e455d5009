"""Writing imported cases: ids reserved, and the case and event rows inserted in chunks inside the database's
bulk load (:meth:`gridmap.store.dialect.Dialect.bulk_load`)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from gridmap.store.dialect import Dialect, dialect_of

CHUNK = 20_000  # rows per executemany
ANALYZE_AFTER = 10_000  # rows: a load this big may change which index the case list should use
CASE_COLUMNS = (
    "id", "client_id", "source", "reporter", "category", "description", "address", "urgency", "lon", "lat",
    "observed_at", "created_at", "updated_at", "status", "unit_id", "matched_kind", "matched_id", "matched_name",
    "rule", "distance_m", "ambiguous", "street_id", "community_id", "deadline_unit", "limit_seconds", "deadline_at",
    "paused_seconds", "extension_count", "rework_count", "supervision_level", "version", "verified", "duplicate_of",
)  # fmt: skip
OPTIONAL_COLUMNS = ("closed_at",)  # written when the columns hold them (cases made already closed)
_EVENT_COLUMNS = ("case_id", "seq", "action", "from_status", "to_status", "actor", "at", "data")


def reserve_ids(session: Session, k: int) -> np.ndarray:
    """``k`` case ids that nobody else can take."""
    return dialect_of(session).reserve_ids(session, "cases", k)


def insert_cases(
    session: Session,
    columns: dict[str, list[Any]],
    lines: np.ndarray,
    actor: str,
    now_s: str,
    progress: Callable[[int, int | None], None] | None,
    phases: dict[str, float] | None = None,
    *,
    opened: list[Any] | None = None,
) -> None:
    """Insert the prepared case rows and one import event each, in chunks, as the database's bulk load; with
    ``opened`` (a time per row, as the database reads times) each case is created, and its event dated, then."""
    if not columns["id"]:
        return
    with case_load(session, len(columns["id"]), phases) as write:
        write(columns, lines, actor, now_s, progress, opened)


@contextlib.contextmanager
def case_load(session: Session, rows: int, phases: dict[str, float] | None = None) -> Iterator[Callable[..., None]]:
    """One bulk load of about ``rows`` cases written part by part (a streamed file): inside, call the yielded
    ``write(columns, lines, actor, now_s, progress, opened=None)`` per part. Indexes are set aside and rebuilt
    once for the whole load, not per part; each part's points enter the spatial index as it is written, so
    nothing of a part is held once the next one is read."""
    conn = session.connection()
    dialect = dialect_of(conn)
    written = [0]  # cases written by the load
    with dialect.bulk_load(conn, ("cases", "case_events"), rows, None, phases) as index:

        def write(
            columns: dict[str, list[Any]],
            lines: np.ndarray,
            actor: str,
            now_s: str,
            progress: Callable[[int, int | None], None] | None,
            opened: list[Any] | None = None,
        ) -> None:
            if columns["id"]:
                _write_rows(conn, dialect, columns, lines, actor, now_s, progress, opened)
                index(columns["id"], columns["lon"], columns["lat"])
                written[0] += len(columns["id"])

        yield write
    if written[0] >= ANALYZE_AFTER:
        dialect.refresh_statistics(conn, "cases")


def _write_rows(
    conn: Connection,
    dialect: Dialect,
    columns: dict[str, list[Any]],
    lines: np.ndarray,
    actor: str,
    now_s: str,
    progress: Callable[[int, int | None], None] | None,
    opened: list[Any] | None = None,
) -> None:
    k = len(columns["id"])
    if dialect.copies_rows:
        _copy_rows(conn, dialect, columns, lines, actor, now_s, progress, opened)
        return
    ph = dialect.placeholder
    point = dialect.point_sql(ph, ph)
    # values that are the same on every row are written into the statement once instead of bound per row
    constant = {c: repr(v) for c, v in _NEW_CASE.items()} | {"created_at": f"'{now_s}'", "updated_at": f"'{now_s}'"}
    if opened is not None:  # opened when observed: the times are bound per row
        columns = {**columns, "created_at": opened, "updated_at": opened}
        del constant["created_at"], constant["updated_at"]
    written = _written(columns)
    bound = [c for c in written if c not in constant]
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
        if opened is None and dialect.events_from_rows_sql and columns["id"][e - 1] - columns["id"][s] == e - s - 1:
            # The ids of a chunk are consecutive (reserved under the write lock): the events are written by one
            # statement from the rows just stored, their file row numbers passed as one JSON array.
            conn.exec_driver_sql(
                dialect.events_from_rows_sql, (actor, now_s, json.dumps(lines[s:e].tolist()), columns["id"][s])
            )
        else:
            at = opened[s:e] if opened is not None else [now_s] * (e - s)
            conn.exec_driver_sql(event_sql, _import_events(columns, lines, at, s, e, actor))
        if progress:
            progress(e - s, None)


def _copy_rows(
    conn: Connection,
    dialect: Dialect,
    columns: dict[str, list[Any]],
    lines: np.ndarray,
    actor: str,
    now_s: str,
    progress: Callable[[int, int | None], None] | None,
    opened: list[Any] | None = None,
) -> None:
    """:func:`_write_rows` where the database copies rows faster than it runs a statement per row (COPY): every
    column streamed as a value, the point as hex EWKB, the events streamed after the cases."""
    k = len(columns["id"])
    at = opened if opened is not None else [now_s] * k
    fixed: dict[str, list[Any]] = {c: [v] * k for c, v in _NEW_CASE.items()} | {"created_at": at, "updated_at": at}
    full = {**fixed, **{c: v for c, v in columns.items() if c not in ("created_at", "updated_at")}}
    names = _written(columns)
    lon = np.asarray(columns["lon"], dtype=np.float64)
    lat = np.asarray(columns["lat"], dtype=np.float64)
    if progress:
        progress(0, k)
    for s in range(0, k, CHUNK * 5):
        e = min(s + CHUNK * 5, k)
        rows = list(zip(*(full[c][s:e] for c in names), strict=True))
        dialect.insert_points(conn, "cases", names, rows, lon[s:e], lat[s:e])
        dialect.insert_rows(conn, "case_events", _EVENT_COLUMNS, _import_events(columns, lines, at[s:e], s, e, actor))
        if progress:
            progress(e - s, None)


# A new case's counters and version, the same on every imported row.
_NEW_CASE: dict[str, float | int] = {"paused_seconds": 0.0, "extension_count": 0, "rework_count": 0,
                                    "supervision_level": 0, "version": 1}  # fmt: skip


def _written(columns: dict[str, list[Any]]) -> tuple[str, ...]:
    """The case columns an import writes: the fixed ones and the optional ones the file gave."""
    return (*CASE_COLUMNS, *(c for c in OPTIONAL_COLUMNS if c in columns))


def _import_events(
    columns: dict[str, list[Any]], lines: np.ndarray, at: list[Any], s: int, e: int, actor: str
) -> list[tuple[Any, ...]]:
    """The import events of rows ``s:e`` (``at``: their times), one per case, naming its file row."""
    chunk = (columns[c][s:e] for c in ("id", "status", "duplicate_of"))
    return [
        (cid, 1, "import", None, st, actor, when, _event_data(line, dup))
        for (cid, st, dup), line, when in zip(zip(*chunk, strict=True), lines[s:e].tolist(), at, strict=True)
    ]


def _event_data(line: int, duplicate_of: int | None) -> str:
    """The import event's data: the file row, and the case it duplicates (as the SQLite path writes it)."""
    return f'{{"row": {line}}}' if duplicate_of is None else f'{{"row": {line}, "duplicate_of": {duplicate_of}}}'
