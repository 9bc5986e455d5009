"""Per-process copies of tables read on every request but edited rarely, dropped exactly when they change.

Why: bulk routing needs every layer and its responsibility history; every report, case view and transition needs
the category catalogue and the holidays. Reading them each time costs seconds (layers) or round trips (catalogue).
Triggers (migration 0007) bump ``change_counters.n`` for a named set of tables on every write, committed by this
process or any other; a :class:`CountedCopy` keeps what it read with the counter it read it at, and reads again
when the counter has moved — one single-row read per use. A transaction that has itself written those tables and
not committed reads them fresh and keeps nothing: nobody else sees that state, it may be rolled back, and on
PostgreSQL the counter moves once per transaction, so later writes in it would go unseen.

Which tables a transaction has written is read off each statement's text as it goes to the database
(``INSERT INTO t``, ``UPDATE t``, ``DELETE FROM t``, ``TRUNCATE a, b``) and forgotten at commit or rollback.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.orm import Session

# The tables behind each counter; migration 0007 holds its own frozen copy of this list for its triggers (0012 adds
# components).
COUNTERS = {
    "layers": ("segments", "compounds", "grids", "areas", "units", "assignments", "components"),
    "catalogue": ("categories", "holidays"),
}
_READ = text("SELECT n FROM change_counters WHERE name = :name")
_BUMP = text(
    "INSERT INTO change_counters (name, n) VALUES (:name, 1) ON CONFLICT (name) DO UPDATE SET n = change_counters.n + 1"
)  # what migration 0007's triggers run
_WRITE = re.compile(r"\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+\"?(\w+)", re.I)
_TRUNCATE = re.compile(r"\s*TRUNCATE\s+(?:TABLE\s+)?(?:ONLY\s+)?([\w\s,\"]+)", re.I)
_TRUNCATE_OPTIONS = frozenset({"restart", "continue", "identity", "cascade", "restrict"})
_MEMO_PREFIX = "gridmap.counted_copy."  # session.info: (transaction, value) of a copy read in it
_WRITTEN = "gridmap.tables_written"  # conn.info: the open transaction's target tables

T = TypeVar("T")


class CountedCopy(Generic[T]):
    """``load(session)``'s result per engine, kept while the counter ``name`` stands still."""

    def __init__(self, name: str, load: Callable[[Session], T]) -> None:
        self.name = name
        self.tables = frozenset(COUNTERS[name])
        self._load = load
        self._copies: weakref.WeakKeyDictionary[Engine, tuple[int | None, T]] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        # session.info: (transaction, value) read in it — one key per copy: several copies share a counter (the
        # routing layers, the patrols' road network), and one transaction may read each of them
        self._memo = f"{_MEMO_PREFIX}{name}.{id(self)}"

    def get(self, session: Session, *, refresh: bool = False) -> T:
        """The copy; the counter is read once per transaction of ``session`` (a report asks for the catalogue
        twice: its category and its calendar)."""
        session.flush()  # the session's pending rows are writes too
        conn = session.connection()
        own_edits = bool(written_tables_of(conn) & self.tables)
        txn, memo = session.get_transaction(), session.info.get(self._memo)
        if memo is not None and memo[0] is txn and not (refresh or own_edits):
            return memo[1]
        n = session.execute(_READ, {"name": self.name}).scalar()
        with self._lock:
            hit = self._copies.get(conn.engine)
        if hit is not None and hit[0] == n and not (refresh or own_edits):
            value = hit[1]
        else:
            value = self._load(session)  # read after the counter: a commit in between only costs one more read
            if not own_edits:
                with self._lock:
                    self._copies[conn.engine] = (n, value)
        if not own_edits:
            session.info[self._memo] = (txn, value)
        return value

    def clear(self, engine: Engine | None = None) -> None:
        """Forget the copy (of one engine, or all): the next use reads again."""
        with self._lock:
            if engine is None:
                self._copies.clear()
            else:
                self._copies.pop(engine, None)


def bump(conn: Connection, name: str) -> None:
    """Move the counter ``name`` as its triggers would: for a write made with those triggers set aside (a SQLite
    bulk load drops the per-row trigger and bumps once at the end)."""
    conn.execute(_BUMP, {"name": name})


def sqlite_insert_triggers(table: str) -> dict[str, str]:
    """The per-row INSERT triggers migration 0007 put on ``table`` in SQLite (``trg_<table>_insert_<counter>``),
    each with the counter it bumps; none for a table no counter watches."""
    return {f"trg_{table}_insert_{name}": name for name, tables in COUNTERS.items() if table in tables}


def counters_now(session: Session) -> dict[str, int]:
    """Every counter's value as ``session`` reads it now: compare two readings to know whether the layers or the
    catalogue changed in between (a plan made before waiting for a lock is still good when they did not)."""
    return {str(name): int(n) for name, n in session.execute(text("SELECT name, n FROM change_counters")).all()}


def forget_transaction_reads(session: Session) -> None:
    """Drop the copies ``session`` kept for its transaction: it goes on in a new database transaction (SQLite's
    writer restart, :meth:`~gridmap.store.dialect.Dialect.begin_writing`), which must read the counters again."""
    for key in [k for k in session.info if isinstance(k, str) and k.startswith(_MEMO_PREFIX)]:
        del session.info[key]


def written_tables(statement: str) -> set[str]:
    """The tables a statement writes, by its text (lower case); empty for a read."""
    m = _WRITE.match(statement)
    if m:
        return {m.group(1).lower()}
    m = _TRUNCATE.match(statement)
    if not m:
        return set()
    names: set[str] = set()
    for word in re.split(r"[\s,\"]+", m.group(1).lower()):
        if word in _TRUNCATE_OPTIONS:
            break
        if word:
            names.add(word)
    return names


def written_tables_of(conn: Any) -> set[str]:
    """The tables written by the connection's open transaction, not committed yet."""
    return set(conn.info.get(_WRITTEN, ()))


@event.listens_for(Engine, "after_cursor_execute")
def _note_write(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
    names = written_tables(statement)
    if names:
        conn.info.setdefault(_WRITTEN, set()).update(names)


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _end_of_transaction(conn: Any) -> None:
    if conn.invalidated:  # the connection is gone (an interrupted call): reading its info would hide the real error
        return
    conn.info.pop(_WRITTEN, None)
