"""The category catalogue and the holidays as this process last read them, per database.

Why: every report, case view and transition needs both (the deadline of a category, the working calendar), and
both are edited a few times a year. Reading them on every request cost two database round trips. The copy is
dropped when an edit to either table commits in this process (:mod:`gridmap.table_writes`) and re-read at least
every ``REFRESH_SECONDS``, which bounds how late an edit made by another process (``gridmap categories …`` while
the server runs) is seen. A transaction that has written either table itself reads them from the database.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import weakref
from dataclasses import dataclass
from types import SimpleNamespace

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridmap import table_writes
from gridmap.models import Category, Holiday

REFRESH_SECONDS = 10.0
TABLES = ("categories", "holidays")
_COLUMNS = tuple(c.key for c in Category.__table__.columns)


@dataclass(frozen=True)
class Catalogue:
    read_at: float
    holidays: tuple[tuple[dt.date, bool], ...]  # (day, is a make-up working day), by day
    categories: dict[str, SimpleNamespace]  # code → the category's columns (read-only)


_COPIES: weakref.WeakKeyDictionary[Engine, Catalogue] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def catalogue(session: Session) -> Catalogue:
    """The catalogue as the session's database holds it (this process's copy, or read now)."""
    session.flush()  # new rows in the session count as written (they would be flushed by a query too)
    conn = session.connection()
    own_edits = bool(table_writes.pending(conn) & set(TABLES))
    engine = conn.engine
    with _LOCK:
        copy = _COPIES.get(engine)
    if copy is not None and not own_edits and time.monotonic() - copy.read_at < REFRESH_SECONDS:
        return copy
    copy = _read(session)
    if not own_edits:
        with _LOCK:
            _COPIES[engine] = copy
    return copy


def forget() -> None:
    """Drop every copy: the next request reads the tables again."""
    with _LOCK:
        _COPIES.clear()


def _read(session: Session) -> Catalogue:
    started = time.monotonic()
    holidays = tuple(sorted((d, bool(w)) for d, w in session.execute(select(Holiday.day, Holiday.is_workday))))
    rows = session.execute(select(*(getattr(Category, k) for k in _COLUMNS))).all()
    categories = {r.code: SimpleNamespace(**dict(zip(_COLUMNS, r, strict=True))) for r in rows}
    return Catalogue(started, holidays, categories)


table_writes.watch(TABLES, forget)
