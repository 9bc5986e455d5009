"""Callbacks for committed writes to named tables, made through any engine of this process.

Why: a few tables are read on every request but edited rarely (the routing layers, the category catalogue and
its holidays). Their readers keep a copy and drop it when an edit commits, instead of asking the database each
time whether anything changed. A statement's target table is read off its text as it goes to the database
(``INSERT INTO t``, ``UPDATE t``, ``DELETE FROM t``, ``TRUNCATE a, b``); the commit that follows fires the
callbacks, and they fire again once the connection is back in the pool, so that a reader who reloaded while the
commit was under way (and saw the old rows) does not keep that copy. Edits made by another process are not seen
here: readers bound that with a time limit or a cheap check of their own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.pool import Pool

_WRITE = re.compile(r"\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+\"?(\w+)", re.I)
_TRUNCATE = re.compile(r"\s*TRUNCATE\s+(?:TABLE\s+)?(?:ONLY\s+)?([\w\s,\"]+)", re.I)
_TRUNCATE_OPTIONS = frozenset({"restart", "continue", "identity", "cascade", "restrict"})
_WRITTEN = "gridmap.tables_written"  # this transaction's target tables
_RECHECK = "gridmap.tables_recheck"  # committed: fire again at check-in
_WATCHERS: list[tuple[frozenset[str], Callable[[], None]]] = []


def watch(tables: Iterable[str], callback: Callable[[], None]) -> None:
    """Call ``callback()`` whenever a transaction that wrote one of ``tables`` commits (and once more when its
    connection returns to the pool)."""
    _WATCHERS.append((frozenset(t.lower() for t in tables), callback))


def written_tables(statement: str) -> set[str]:
    """The tables a statement writes, by its text (lower case); empty for a read."""
    m = _WRITE.match(statement)
    if m:
        return {m.group(1).lower()}
    m = _TRUNCATE.match(statement)
    if m:
        words = re.split(r"[\s,\"]+", m.group(1).lower())
        names = []
        for w in words:
            if w in _TRUNCATE_OPTIONS:
                break
            if w:
                names.append(w)
        return set(names)
    return set()


def pending(conn: Any) -> set[str]:
    """The tables written by the connection's open transaction, not committed yet (its own reads must not come
    from a copy that lacks them)."""
    return set(conn.info.get(_WRITTEN, ()))


def _fire(tables: set[str]) -> None:
    for watched, callback in list(_WATCHERS):
        if watched & tables:
            callback()


@event.listens_for(Engine, "after_cursor_execute")
def _note_write(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
    names = written_tables(statement)
    if names:
        conn.info.setdefault(_WRITTEN, set()).update(names)


@event.listens_for(Engine, "commit")
def _on_commit(conn: Any) -> None:
    written = conn.info.pop(_WRITTEN, None)
    if written:
        _fire(written)
        conn.info.setdefault(_RECHECK, set()).update(written)


@event.listens_for(Engine, "rollback")
def _on_rollback(conn: Any) -> None:
    conn.info.pop(_WRITTEN, None)


@event.listens_for(Pool, "checkin")
def _on_checkin(dbapi_connection: Any, record: Any) -> None:
    written = record.info.pop(_RECHECK, None) if record is not None else None
    if written:
        _fire(written)
