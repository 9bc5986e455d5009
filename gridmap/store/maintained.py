"""What every maintained summary table shares (the gap totals, the heat counts): a state row saying the day it is
current for, a note table of the changes since (written by the write paths or by triggers), and the refresh run in a
transaction of its own, so a reader brings it up to date without mixing it into its own unit of work."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from gridmap.store.change_counters import written_tables_of
from gridmap.store.dialect import dialect_of
from gridmap.store.engine import make_session_factory, session_scope
from gridmap.store.models import AggregateState

T = TypeVar("T")
LOCK_WAIT_S = 30.0  # a rebuild at 40× the demo city takes seconds; a reader waits for it rather than failing


def readable(session: Session) -> bool:
    """False when ``session`` holds uncommitted writes: nobody else may see them stored (nor, on SQLite, could a
    second session write while this one holds the lock) — recompute instead."""
    return not written_tables_of(session.connection())


def is_current(session: Session, name: str, notes: Any, today: dt.date) -> bool:
    """The table ``name`` is current for ``today`` and no change is noted since."""
    day = session.scalar(select(AggregateState.day).where(AggregateState.name == name))
    return day == today and session.scalar(select(notes.id).limit(1)) is None


def apart(session: Session, work: Callable[[Session], T]) -> tuple[bool, T | None]:
    """Run ``work`` in a writing transaction of its own, committed whatever the caller does next, then renew the
    caller's snapshot to see it; (False, None) for a session on one connection (no second transaction to use)."""
    bind = session.get_bind()
    if not isinstance(bind, Engine):
        return False, None
    with session_scope(make_session_factory(bind), writes=True, lock_wait_s=LOCK_WAIT_S) as writer:
        out = work(writer)
    dialect_of(session).renew_snapshot(session)
    return True, out


def claim(session: Session, name: str, notes: Any) -> tuple[AggregateState, int | None, list[tuple[str, int]]]:
    """Take the write lock and the state row of ``name`` (made on first use); the newest note's id and the notes
    up to it (kind, target id) — what this refresh must account for."""
    dialect_of(session).begin_writing(session, LOCK_WAIT_S)  # (nothing to do when the caller began as a writer)
    state = session.execute(
        select(AggregateState).where(AggregateState.name == name).with_for_update()
    ).scalar_one_or_none()
    if state is None:
        state = AggregateState(name=name, day=None)
        session.add(state)
        session.flush()
    top = session.scalar(select(func.max(notes.id)))
    rows = session.execute(select(notes.kind, notes.target_id).where(notes.id <= top)).all() if top is not None else []
    return state, top, [(str(k), int(t)) for k, t in rows]


def settle(session: Session, state: AggregateState, notes: Any, top: int | None, today: dt.date) -> None:
    """The refresh is done: drop the notes it accounted for (later ones stay) and mark the table current."""
    if top is not None:
        session.execute(delete(notes).where(notes.id <= top))
    state.day = today
    session.flush()
