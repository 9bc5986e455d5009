"""Work queues (我的待办): the cases waiting for the signed-in person, in groups by what their role does next —
counted, sorted by deadline (the nearest first), each with its traffic light, within their scope.

A dispatcher verifies, dispatches and re-checks; a unit clerk works their unit's cases; a grid worker or inspector
re-checks in their area and follows their own reports; a commander watches what is supervised, overdue, parked or
waiting for an extension decision (only a commander decides one: issue 11's roles).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, union
from sqlalchemy.orm import Session

from gridmap.accounts.actor import Actor
from gridmap.accounts.scope import Scope, scope_of
from gridmap.cases.queries import case_conditions, case_select, redact, summary_of
from gridmap.cases.states import ACTIVE, S
from gridmap.cases.values import now_or
from gridmap.catalogue.categories import load_calendar
from gridmap.config import Settings
from gridmap.errors import InvalidInput, Problem
from gridmap.inputs import parse_int
from gridmap.store.models import AccountRole, Area, Case, CaseEvent, Category, Urgency

R = AccountRole
LIVE = sorted(s.value for s in ACTIVE if s not in (S.PARKED, S.PENDING))  # the clock runs


@dataclass(frozen=True)
class Group:
    """One group of a queue: its key, its names, and which cases it holds (a condition built for an actor)."""

    key: str
    zh: str
    en: str
    condition: Callable[[Actor, dt.datetime], ColumnElement[bool]]


def _status(*statuses: str) -> Callable[[Actor, dt.datetime], ColumnElement[bool]]:
    return lambda _actor, _now: Case.status.in_(statuses)


def _overdue(_actor: Actor, now: dt.datetime) -> ColumnElement[bool]:
    return and_(Case.status.in_(LIVE), Case.deadline_at < now)


def _unit_overdue(_actor: Actor, now: dt.datetime) -> ColumnElement[bool]:
    """Overdue while the unit holds it (dispatched or in progress): what the clerk must hurry."""
    return and_(Case.status.in_((S.DISPATCHED, S.IN_PROGRESS)), Case.deadline_at < now)


def _rework(_actor: Actor, _now: dt.datetime) -> ColumnElement[bool]:
    return and_(Case.status == S.IN_PROGRESS, Case.rework_count > 0)


def _extension(_actor: Actor, _now: dt.datetime) -> ColumnElement[bool]:
    return and_(Case.status.in_(LIVE), Case.extension_requested_seconds.isnot(None))


def _supervised(_actor: Actor, _now: dt.datetime) -> ColumnElement[bool]:
    return and_(Case.status.in_(sorted(ACTIVE)), Case.supervision_level > 0)


def _mine(actor: Actor, _now: dt.datetime) -> ColumnElement[bool]:
    opened_by_me = select(CaseEvent.case_id).where(CaseEvent.seq == 1, CaseEvent.actor == actor.name)
    return and_(Case.status.in_(sorted(ACTIVE)), Case.id.in_(opened_by_me))


QUEUES: dict[str, tuple[Group, ...]] = {
    R.DISPATCHER: (
        Group("pending", "待核实", "To verify", _status(S.PENDING)),
        Group("to_dispatch", "待派遣", "To dispatch", _status(S.OPEN)),
        Group("to_recheck", "待核查", "To re-check", _status(S.REPORTED_BACK)),
    ),
    R.UNIT_CLERK: (
        Group("dispatched", "待签收", "To accept", _status(S.DISPATCHED)),
        Group("in_progress", "处置中", "In progress", _status(S.IN_PROGRESS)),
        Group("rework", "返工", "Rework", _rework),
        Group("overdue", "已超时", "Overdue", _unit_overdue),
    ),
    R.GRID_WORKER: (
        Group("to_recheck", "待核查", "To re-check", _status(S.REPORTED_BACK)),
        Group("mine", "我的上报", "My reports", _mine),
    ),
    R.INSPECTOR: (
        Group("to_recheck", "待核查", "To re-check", _status(S.REPORTED_BACK)),
        Group("mine", "我的上报", "My reports", _mine),
    ),
    R.COMMANDER: (
        Group("extension", "延期待审批", "Extension requests", _extension),
        Group("supervised", "督办中", "Supervised", _supervised),
        Group("overdue", "已超时", "Overdue", _overdue),
        Group("parked", "挂账", "Parked", _status(S.PARKED)),
        Group("pending", "待核实", "To verify", _status(S.PENDING)),
    ),
}
"""Each role's queue, its groups in the order the page shows them (roles without one: admin, viewer)."""

_ORDER = (Case.deadline_at.is_(None), Case.deadline_at.asc(), Case.id.asc())


def work_queue(
    session: Session,
    actor: Actor,
    settings: Settings,
    *,
    group: str | None = None,
    page: object = None,
    per_page: object = None,
    filters: dict[str, object] | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """``actor``'s queue: every group with its count, and a page of cases of each (or only of ``group``),
    nearest deadline first, as ``actor`` may see them. ``filters`` narrow every group (and its count): ``category``
    (codes; a class includes its sub-classes), ``urgency`` (normal/urgent), ``street`` (街道 codes)."""
    now = now_or(now)
    problems: list[Problem] = []
    cal = load_calendar(session, settings.cases)
    narrow = _narrowing(session, filters or {}, now, cal.tz, problems)
    groups = QUEUES.get(actor.role, ())
    if group not in (None, "") and group not in {g.key for g in groups}:
        problems.append(
            Problem(
                f"{group!r} is not one of {', '.join(g.key for g in groups) or 'none'}",
                field="group",
                zh="未知的待办分组",
            )
        )
    page_n = parse_int(page, "page", problems, lo=1, hi=100_000, default=1) or 1
    size = parse_int(per_page, "per_page", problems, lo=1, hi=200, default=20) or 20
    if problems:
        raise InvalidInput(problems)
    scope = scope_of(session, actor)
    within = [*(scope.case_filter() if scope is not None else []), *narrow]
    out = []
    for g in groups:
        cond = and_(g.condition(actor, now), *within)
        count = session.scalar(select(func.count()).select_from(Case).where(cond)) or 0
        items: list[dict[str, object]] = []
        if group in (None, "", g.key):
            rows = session.execute(
                case_select().where(cond).order_by(*_ORDER).limit(size).offset((page_n - 1) * size)
            ).all()
            items = [redact(summary_of(r, cal, now), actor) for r in rows]
        out.append({"key": g.key, "zh": g.zh, "en": g.en, "count": count, "items": items})
    return {"role": actor.role, "page": page_n, "per_page": size, "groups": out, "as_of": now.isoformat()}


def open_count(
    session: Session, actor: Actor, scope: Scope | None, *, now: dt.datetime | None = None, cap: int | None = None
) -> int:
    """How many cases wait in ``actor``'s queue (in any of its groups, a case counted once) within ``scope`` — the
    menu's badge on every page, so one count query and nothing else; with ``cap``, counting stops there (the badge
    shows "99+": a city-wide commander's count of 200,000 open cases took 1.1 s on every page at 40× the demo city)."""
    groups = QUEUES.get(actor.role, ())
    if not groups:
        return 0
    now = now_or(now)
    within = scope.case_filter() if scope is not None else []
    cond = and_(or_(*(g.condition(actor, now) for g in groups)), *within)
    if cap is None:
        return session.scalar(select(func.count()).select_from(Case).where(cond)) or 0
    # each group's first ``cap`` ids, united: exact below the cap, at least the cap otherwise (one OR of the groups
    # makes SQLite gather every matching row id before counting, whatever the LIMIT)
    firsts = [select(Case.id).where(g.condition(actor, now), *within).limit(cap).subquery() for g in groups]
    united = union(*(select(f.c.id) for f in firsts)).subquery()
    return min(cap, session.scalar(select(func.count()).select_from(united)) or 0)


QUEUE_FILTERS = ("category", "urgency", "street")


def _narrowing(
    session: Session, filters: dict[str, object], now: dt.datetime, tz: dt.tzinfo, problems: list[Problem]
) -> list[Any]:
    """The conditions of the queue's filters (category and street as the case list reads them; urgency)."""
    shared = {k: filters.get(k) for k in ("category", "street") if filters.get(k) not in (None, "")}
    conds = case_conditions(session, shared, now, tz, problems)
    raw = filters.get("urgency")
    if raw not in (None, ""):
        wanted = [u.strip() for u in str(raw).split(",") if u.strip()]
        known = {u.value for u in Urgency}
        for u in wanted:
            if u not in known:
                problems.append(
                    Problem(
                        f"{u!r} is not one of {', '.join(sorted(known))}", field="urgency", zh="紧急程度须为普通或紧急"
                    )
                )
        conds.append(Case.urgency.in_(wanted))
    return conds


def queue_counts(session: Session, actor: Actor, now: dt.datetime | None = None) -> int:
    """How many cases wait for ``actor`` in all (the badge beside 我的待办; a case in two groups counts once)."""
    if not QUEUES.get(actor.role):
        return 0
    return open_count(session, actor, scope_of(session, actor), now=now)


def queue_choices(session: Session, actor: Actor) -> dict[str, list[dict[str, str]]]:
    """What the queue's filters offer ``actor``: the active categories (classes, then their sub-classes) and the
    街道 of their scope (every street when they have none)."""
    cats = session.execute(
        select(Category.code, Category.name_zh, Category.name_en, Category.parent_code)
        .where(Category.active.is_(True))
        .order_by(Category.family, Category.code)
    ).all()
    scope = scope_of(session, actor)
    streets = select(Area.code, Area.name).where(Area.level == "street").order_by(Area.code)
    if scope is not None and scope.area_id is not None:
        streets = streets.where(Area.id.in_(sorted(scope.street_ids)))
    return {
        "categories": [
            {"code": c.code, "zh": c.name_zh, "en": c.name_en or c.name_zh, "sub": "1" if c.parent_code else ""}
            for c in cats
        ],
        "streets": [{"code": a.code, "name": a.name} for a in session.execute(streets).all()],
    }
