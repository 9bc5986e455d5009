"""A bulk import while the server takes reports: planned without the lock, written under it.

Checking and routing thousands of rows takes seconds; SQLite has one write lock, and a transaction that read before
another one committed cannot write any more ("database is locked"). So the rows are planned first, reading only;
then the import waits its turn for the write lock (:meth:`~gridmap.store.dialect.Dialect.begin_writing`, with a
progress message while it waits) and writes. If the layers or the catalogue changed while it planned (their change
counters moved), the plan may be wrong: it is made again, under the lock. Reports stored meanwhile with a client id
of the file are skipped as already imported.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from gridmap.cases.bulk_import.importer import ImportSummary, import_cases_csv
from gridmap.config import Settings
from gridmap.store.change_counters import counters_now
from gridmap.store.dialect import dialect_of

LOCK_WAIT_S = 300.0  # how long an import waits for the write lock by default


class _Replan(Exception):
    """The layers or the catalogue changed while the import was planned."""


def import_beside_traffic(
    session: Session,
    path: Path,
    settings: Settings,
    *,
    lock_wait_s: float = LOCK_WAIT_S,
    waiting: Callable[[float, float], None] | None = None,
    notice: Callable[[str], None] | None = None,
    **options: Any,
) -> ImportSummary:
    """:func:`~gridmap.cases.bulk_import.importer.import_cases_csv` in ``session`` (a new one: nothing read yet),
    waiting up to ``lock_wait_s`` for the write lock (``waiting(waited, lock_wait_s)`` about once a second; then
    :class:`~gridmap.errors.Conflict`). ``notice`` hears of a re-plan. Does not commit."""
    planned_at = counters_now(session)

    def take_lock(s: Session) -> None:
        dialect_of(s).begin_writing(s, lock_wait_s, waiting)
        if counters_now(s) != planned_at:
            raise _Replan

    try:
        return import_cases_csv(session, path, settings, before_writing=take_lock, **options)
    except _Replan:
        pass
    if notice is not None:
        notice("layers or categories changed while the import was planned: planning it again under the lock")
    session.expire_all()  # the categories, units… read for the first plan are read again
    return import_cases_csv(session, path, settings, **options)
