"""Many steps of the closed loop at once: :func:`replay` applies a planned sequence of steps to many cases with the
rules of :mod:`gridmap.cases.transitions` (:func:`check_actor`, :func:`check_allowed`, :func:`plan_step`), the
cases held in memory between steps, and writes the result in bulk — the events in chunked multi-row inserts, one
final update per case. What the demo's year of history (and any bulk back-fill) uses instead of thousands of
single transitions; the outcome is the same as taking the steps one by one (tests/test_replay.py)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmap.accounts import audit
from gridmap.accounts.actor import Actor
from gridmap.accounts.scope import Scope, scope_of
from gridmap.cases.states import ACTIONS
from gridmap.cases.transitions import check_actor, check_allowed, plan_step
from gridmap.cases.values import as_utc, jsonable
from gridmap.catalogue.categories import load_calendar
from gridmap.catalogue.working_calendar import to_us
from gridmap.config import Settings
from gridmap.errors import InvalidInput, NotFound, Problem
from gridmap.store.dialect import dialect_of
from gridmap.store.models import Case, CaseEvent, Category, Unit

CHUNK = 5000
_EVENT_COLUMNS = ("case_id", "seq", "action", "from_status", "to_status", "actor", "at", "note", "data")
_TIMES = ("updated_at", "deadline_at", "closed_at", "paused_at")
# the columns a step may change (with status, version and updated_at): what the final update per case writes
_CHANGING = (
    "status", "version", "updated_at", "unit_id", "verified", "deadline_unit", "limit_seconds", "deadline_at",
    "closed_at", "paused_at", "paused_seconds", "parked_from", "extension_requested_seconds", "extension_count",
    "rework_count", "supervision_level",
)  # fmt: skip


@dataclass(frozen=True)
class Step:
    """One planned step: ``actor`` takes ``action`` on case ``case_id`` at ``at``."""

    case_id: int
    action: str
    actor: Actor
    at: dt.datetime
    note: str | None = None
    data: dict[str, Any] | None = None


@dataclass
class ReplaySummary:
    cases: int = 0
    events: int = 0
    by_action: dict[str, int] = field(default_factory=dict)


class _Catalogue:
    """The :class:`~gridmap.cases.transitions.Lookup` of a replay: categories and unit names read once."""

    def __init__(self, session: Session) -> None:
        self.categories = {c.code: c for c in session.scalars(select(Category))}
        self.units = {r.id: r.name for r in session.execute(select(Unit.id, Unit.name))}

    def category(self, code: str) -> Category | None:
        return self.categories.get(code)

    def unit_name(self, unit_id: int) -> str | None:
        return self.units.get(unit_id)


def replay(
    session: Session, steps: Sequence[Step], settings: Settings, *, actor: Actor, note: str | None = None
) -> ReplaySummary:
    """Apply ``steps`` (in their order; each case's steps in time order) as ``transition`` would one by one, and
    record one audit entry for the whole as ``actor``. Any refused step (Forbidden, Conflict, InvalidInput,
    NotFound) raises with its case and nothing is written. Does not commit."""
    summary = ReplaySummary()
    if not steps:
        return summary
    for s in steps:
        spec = ACTIONS.get(s.action)
        if spec is None:
            raise InvalidInput(
                Problem(
                    f"case {s.case_id}: unknown action {s.action!r}",
                    field="action",
                    zh=f"案件 {s.case_id}：未知的操作“{s.action[:40]}”",
                )
            )
        if spec.needs_note and not s.note:
            raise InvalidInput(
                Problem(
                    f"case {s.case_id}: {s.action} needs a note",
                    field="note",
                    zh=f"案件 {s.case_id}：“{spec.label_zh}”须填写说明",
                )
            )
    dialect_of(session).take_write_lock(session, "cases", "a replay of case steps")
    cal = load_calendar(session, settings.cases)
    catalogue = _Catalogue(session)
    ids = sorted({s.case_id for s in steps})
    rows = _load(session, ids)
    asked = _askers(session, [i for i, r in rows.items() if r.extension_requested_seconds is not None])
    scopes: dict[str, Scope | None] = {}
    events: list[dict[str, object]] = []
    for s in steps:
        row = rows.get(s.case_id)
        if row is None:
            raise NotFound(f"no case {s.case_id}")
        spec = ACTIONS[s.action]
        if s.actor.name not in scopes:
            scopes[s.actor.name] = scope_of(session, s.actor)
        check_actor(s.actor, spec, row, scopes[s.actor.name], asked.get(s.case_id))
        check_allowed(spec, row, row.version)
        at = as_utc(s.at)
        changes, target, info = plan_step(spec, row, dict(s.data or {}), cal, at, catalogue)
        events.append({
            "case_id": s.case_id, "seq": row.version + 1, "action": spec.name, "from_status": row.status,
            "to_status": target, "actor": s.actor.name, "at": at, "note": s.note, "photos": None,
            "data": jsonable(info) or None,
        })  # fmt: skip
        if spec.name == "request_extension":
            asked[s.case_id] = s.actor.name
        for name, value in changes.items():
            setattr(row, name, value)
        row.status, row.version, row.updated_at = target, row.version + 1, at
        summary.by_action[spec.name] = summary.by_action.get(spec.name, 0) + 1
    _write(session, events, (rows[i] for i in ids))
    summary.cases, summary.events = len(ids), len(events)
    audit.record(session, actor, "case.replay", object_kind="case", object_id=f"{ids[0]}-{ids[-1]}",
                 after={"cases": summary.cases, "events": summary.events, "by_action": summary.by_action},
                 note=note)  # fmt: skip
    return summary


def _load(session: Session, ids: list[int]) -> dict[int, Any]:
    """The cases' rows as mutable objects with the columns' names (what the planning functions read)."""
    out: dict[int, Any] = {}
    for s in range(0, len(ids), CHUNK):
        part = ids[s : s + CHUNK]
        for r in session.execute(select(Case.__table__).where(Case.id.in_(part))).mappings():
            out[r["id"]] = SimpleNamespace(**r)
    return out


def _askers(session: Session, ids: list[int]) -> dict[int, str]:
    """Who asked for each pending extension (the last request of each case), for four eyes."""
    out: dict[int, str] = {}
    for s in range(0, len(ids), CHUNK):
        q = (
            select(CaseEvent.case_id, CaseEvent.actor)
            .where(CaseEvent.case_id.in_(ids[s : s + CHUNK]), CaseEvent.action == "request_extension")
            .order_by(CaseEvent.case_id, CaseEvent.seq)
        )
        out.update({r.case_id: r.actor for r in session.execute(q)})  # the last one wins
    return out


def _write(session: Session, events: list[dict[str, object]], rows: Iterable[Any]) -> None:
    """The events inserted, then each case's final columns set — at the driver's level, the database's fastest way
    (:meth:`~gridmap.store.dialect.Dialect.insert_rows`, :meth:`~gridmap.store.dialect.Dialect.update_rows`), times
    as the database reads them and JSON as text: SQLAlchemy's per-row parameter processing cost more than the
    writes."""
    conn = session.connection()
    dialect = dialect_of(conn)

    def stamps(values: list[Any]) -> list[object]:
        """Times → text (None stays None)."""
        us = np.asarray([to_us(as_utc(v)) if v is not None else 0 for v in values], dtype=np.int64)
        text = dialect.times_text(us).tolist()
        return [t if v is not None else None for t, v in zip(text, values, strict=True)]

    ats = stamps([e["at"] for e in events])
    flat = [
        (e["case_id"], e["seq"], e["action"], e["from_status"], e["to_status"], e["actor"], at, e["note"],
         json.dumps(e["data"]) if e["data"] is not None else None)
        for e, at in zip(events, ats, strict=True)
    ]  # fmt: skip
    dialect.insert_rows(conn, "case_events", _EVENT_COLUMNS, flat)
    rows = list(rows)
    columns = {name: [getattr(r, name) for r in rows] for name in _CHANGING}
    for name in _TIMES:
        columns[name] = stamps(columns[name])
    params = list(zip(*(columns[name] for name in _CHANGING), [r.id for r in rows], strict=True))
    dialect.update_rows(conn, "cases", _CHANGING, params)
