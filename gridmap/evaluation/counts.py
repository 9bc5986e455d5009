"""The base counts a scheme's indicators are built from, and counting them for every subject of a period at once.

Three families, each one set-based statement grouped by subject (never a loop per case):

- **event** counts: the steps of :data:`gridmap.cases.milestones.EVENT_KINDS` taken in the period (立案, 派遣,
  返工, 结案, 延期, 挂账, 作废 …), attributed to the case's unit / 街道 / 社区 / grid, or to the account that took
  the step (people in posts);
- **timed** event counts: a step taken within the scheme's limit after the step before it (on-time dispatch:
  ``params.dispatch_minutes``; on-time re-check: ``params.recheck_hours``), a dispatch later reworked, a report that
  was not voided;
- **due** counts: the cases whose deadline falls in the period (应结案), by what became of them by its end
  (:data:`gridmap.cases.milestones.DUE_KINDS`: closed, on time, parked, overdue, reworked …). Places only.

Event counts count events (two re-check failures of one case are two 返工); the case list a figure links to shows
the cases having such an event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from gridmap.cases.milestones import DUE_KINDS, EVENT_KINDS, OPENINGS, due_in
from gridmap.store.dialect import dialect_of
from gridmap.store.models import Case, CaseEvent, CaseStatus, TargetKind

PEOPLE = ("dispatcher", "inspector")
DEFAULT_PARAMS = {"dispatch_minutes": 30.0, "recheck_hours": 24.0}


@dataclass(frozen=True)
class BaseCount:
    key: str
    zh: str
    en: str
    family: str  # event | timed | due
    kind: str  # the milestone (event or due kind) a figure's case list filters by


def _catalogue() -> dict[str, BaseCount]:
    out = {k: BaseCount(k, zh, en, "event", k) for k, (zh, en, _) in EVENT_KINDS.items()}
    out |= {k: BaseCount(k, zh, en, "due", k) for k, (zh, en, _) in DUE_KINDS.items()}
    for b in (
        BaseCount("dispatched_on_time", "按时派遣", "dispatched on time", "timed", "dispatched"),
        BaseCount("dispatched_reworked", "派遣后返工", "dispatched, later reworked", "timed", "dispatched"),
        BaseCount("rechecked_on_time", "按时核查", "re-checked on time", "timed", "rechecked"),
        BaseCount("reported_valid", "有效上报", "valid reports (not voided)", "timed", "reported"),
    ):
        out[b.key] = b
    return out


BASE_COUNTS: dict[str, BaseCount] = _catalogue()


def usable_for(key: str, subject: str) -> bool:
    """People are counted by the steps they took; a case due is nobody's step, so due counts are for places."""
    return not (subject in PEOPLE and BASE_COUNTS[key].family == "due")


def subject_column(subject: str, c: Any, e: Any | None = None) -> Any:
    """The column naming a counted row's subject."""
    if subject == "unit":
        return c.unit_id
    if subject == "street":
        return c.street_id
    if subject == "community":
        return c.community_id
    if subject == "grid":
        return case((c.matched_kind == TargetKind.GRID.value, c.matched_id), else_=None)
    if e is None:
        raise ValueError(f"{subject} is counted by events only")
    return e.actor


def count(
    session: Session,
    subject: str,
    start: dt.datetime,
    end: dt.datetime,
    keys: Iterable[str],
    *,
    now: dt.datetime,
    params: dict[str, float] | None = None,
) -> dict[str, dict[str, int]]:
    """``{subject id (as text): {base count: n}}`` for ``[start, end)``: one grouped statement per family used."""
    keys = sorted(set(keys))
    params = {**DEFAULT_PARAMS, **(params or {})}
    out: dict[str, dict[str, int]] = {}
    event_keys = [k for k in keys if BASE_COUNTS[k].family in ("event", "timed")]
    due_keys = [k for k in keys if BASE_COUNTS[k].family == "due"]
    if event_keys:
        _merge(
            out, session.execute(_event_statement(session, subject, start, end, event_keys, params)).all(), event_keys
        )
    if due_keys:
        _merge(out, session.execute(_due_statement(subject, start, end, due_keys, now)).all(), due_keys)
    return out


def _merge(out: dict[str, dict[str, int]], rows: Any, keys: list[str]) -> None:
    for row in rows:
        counts = out.setdefault(str(row[0]), {})
        for i, k in enumerate(keys, start=1):
            counts[k] = int(row[i] or 0)


def _event_statement(
    session: Session, subject: str, start: dt.datetime, end: dt.datetime, keys: list[str], params: dict[str, float]
) -> Any:
    e = CaseEvent.__table__.alias("e")
    c = Case.__table__.alias("c")
    frm = e.join(c, c.c.id == e.c.case_id)
    timed = {"dispatched_on_time", "rechecked_on_time"} & set(keys)
    conds: dict[str, Any] = {}
    if timed:
        prev = CaseEvent.__table__.alias("p")  # the step before: seq is the case's version, one per step
        frm = frm.outerjoin(prev, and_(prev.c.case_id == e.c.case_id, prev.c.seq == e.c.seq - 1))
        waited = dialect_of(session).seconds_between(prev.c.at, e.c.at)
        conds["dispatched_on_time"] = and_(e.c.action == "dispatch", waited <= params["dispatch_minutes"] * 60)
        conds["rechecked_on_time"] = and_(
            e.c.action.in_(("recheck_pass", "recheck_fail")), waited <= params["recheck_hours"] * 3600
        )
    if "dispatched_reworked" in keys:
        later = CaseEvent.__table__.alias("r")
        reworked = (
            select(later.c.id)
            .where(later.c.case_id == e.c.case_id, later.c.seq > e.c.seq, later.c.action == "recheck_fail")
            .exists()
        )
        conds["dispatched_reworked"] = and_(e.c.action == "dispatch", reworked)
    conds["reported_valid"] = and_(e.c.action.in_(OPENINGS), c.c.status != CaseStatus.VOID.value)
    for k in keys:
        if BASE_COUNTS[k].family == "event":
            conds[k] = EVENT_KINDS[k][2](e.c, c.c)
    who = subject_column(subject, c.c, e.c)
    # Only the events some count takes: the others added 0 to every sum, and were each still joined to their case
    # (a month of every event at 2,000,000 cases: 470,000 joins for the 10 % that are re-check failures). A subject
    # none of whose events counts is left out, as one with no event (its counts are all 0 either way).
    return (
        select(who, *(func.sum(case((conds[k], 1), else_=0)) for k in keys))
        .select_from(frm)
        .where(e.c.at >= start, e.c.at < end, who.isnot(None), or_(*(conds[k] for k in keys)))
        .group_by(who)
    )


def _due_statement(subject: str, start: dt.datetime, end: dt.datetime, keys: list[str], now: dt.datetime) -> Any:
    c = Case.__table__.alias("c")
    who = subject_column(subject, c.c)
    return (
        select(who, *(func.sum(case((DUE_KINDS[k][2](c.c, end, now), 1), else_=0)) for k in keys))
        .where(due_in(c.c, start, end), who.isnot(None))
        .group_by(who)
    )
