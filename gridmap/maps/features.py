"""What the map shows about one feature or one unit: responsible unit, people in their roles, open cases, history;
and the search box (unit, road, compound, grid code → where to zoom).

Plain data in, plain data out; no Flask. Geometry bounds come from WKB through vectorised shapely.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import shapely
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from gridmap.accounts.actor import Actor
from gridmap.accounts.roles import sees_contacts
from gridmap.accounts.scope import Scope, scope_of
from gridmap.cases.states import STATUS_ZH
from gridmap.cases.values import as_utc
from gridmap.errors import InvalidInput, NotFound, Problem
from gridmap.maps.layers import ACTIVE_CASE_STATUSES, get_item, responsibility_state
from gridmap.store.dialect import wkb
from gridmap.store.models import (
    Assignment,
    Case,
    Category,
    Compound,
    FeatureModel,
    Grid,
    Person,
    Role,
    Segment,
    Unit,
    in_force,
)
from gridmap.store.targets import KINDS, ROLE_LABELS, TARGETS, TargetType


def check_kind(kind: str) -> TargetType:
    if kind not in TARGETS:
        raise NotFound(f"no feature kind {kind!r}: use {', '.join(KINDS[:-1])} or {KINDS[-1]}")
    return TARGETS[kind]


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


def _assignment_rows(session: Session, kind: str, target_id: int):
    return session.execute(
        select(
            Assignment.id,
            Assignment.role,
            Assignment.valid_from,
            Assignment.valid_to,
            Assignment.unit_id,
            Unit.name.label("unit_name"),
            Assignment.person_id,
            Person.name.label("person_name"),
            Person.phone,
            Assignment.assigned_by,
            Assignment.note,
        )
        .join(Unit, Unit.id == Assignment.unit_id, isouter=True)
        .join(Person, Person.id == Assignment.person_id, isouter=True)
        .where(Assignment.target_kind == kind, Assignment.target_id == target_id)
        .order_by(Assignment.valid_from, Assignment.id)
    ).all()


def _phone(actor: Actor | None, phone: str | None, unit_id: int | None) -> str | None:
    """A person's phone number, for those who may see it (everyone when no actor is given: the command line)."""
    return phone if actor is None or sees_contacts(actor, unit_id) else None


def _assignment_dict(r: Any, actor: Actor | None = None) -> dict[str, Any]:
    person = {"id": r.person_id, "name": r.person_name, "phone": _phone(actor, r.phone, r.unit_id)}
    return {
        "id": r.id,
        "role": r.role,
        "role_zh": ROLE_LABELS[r.role][0] if r.role in ROLE_LABELS else r.role,
        "unit": {"id": r.unit_id, "name": r.unit_name} if r.unit_id else None,
        "person": person if r.person_id else None,
        "valid_from": _iso(r.valid_from),
        "valid_to": _iso(r.valid_to),
        "assigned_by": r.assigned_by,
        "note": r.note,
    }


def _local(t: dt.datetime | None, tz: dt.tzinfo) -> str | None:
    """A stored time (UTC; naive from SQLite) as local time with its offset, to the minute."""
    return None if t is None else as_utc(t).astimezone(tz).isoformat(timespec="minutes")


def open_cases_of(
    session: Session, kind: str, target_id: int, tz: dt.tzinfo, limit: int = 20, scope: Scope | None = None
) -> list[dict[str, Any]]:
    """The active cases routed to a feature (those in ``scope``), the nearest deadline first (local time)."""
    rows = session.execute(
        select(Case.id, Case.status, Case.category, Category.name_zh, Case.deadline_at, Case.description)
        .join(Category, Category.code == Case.category, isouter=True)
        .where(Case.matched_kind == kind, Case.matched_id == target_id, Case.status.in_(ACTIVE_CASE_STATUSES))
        .where(*(scope.case_filter() if scope is not None else ()))
        .order_by(Case.deadline_at.is_(None), Case.deadline_at, Case.id)
        .limit(limit)
    ).all()
    return [
        {
            "id": r.id,
            "status": r.status,
            "status_zh": STATUS_ZH.get(r.status, r.status),
            "category": r.category,
            "category_name": r.name_zh,
            "deadline": _local(r.deadline_at, tz),
            "description": r.description,
        }
        for r in rows
    ]


def feature_details(
    session: Session,
    kind: str,
    target_id: int,
    tz: dt.tzinfo,
    on: dt.date | None = None,
    *,
    actor: Actor | None = None,
) -> dict[str, Any]:
    """A feature as a popup shows it on day ``on`` to ``actor`` (in their scope, phones for those who may see them):
    its attributes, responsible unit, the people in the roles of its kind, its open cases and where its history
    is."""
    target = check_kind(kind)
    on = on or dt.date.today()
    scope = scope_of(session, actor) if actor is not None else None
    feature = get_item(session, target.collection, target_id, scope=scope)
    rows = _assignment_rows(session, kind, target_id)
    current = [r for r in rows if r.valid_from <= on and (r.valid_to is None or r.valid_to > on)]
    responsible = next((r for r in reversed(current) if r.role == Role.RESPONSIBLE.value and r.unit_id), None)
    entry = {"valid_to": responsible.valid_to} if responsible else None
    people = []
    for role in target.roles:
        holders = [r for r in current if r.role == role.value]
        people.append(
            {
                "role": role.value,
                "role_zh": ROLE_LABELS[role][0],
                "people": [
                    {"name": r.person_name, "phone": _phone(actor, r.phone, r.unit_id), "unit_name": r.unit_name}
                    for r in holders
                    if r.person_id
                ],
            }
        )
    props = feature["properties"]
    return {
        "kind": kind,
        "id": target_id,
        "name": props.get("name") or props.get("code"),
        "properties": props,
        "as_of": on.isoformat(),
        "responsible": _assignment_dict(responsible, actor) if responsible else None,
        "responsibility": responsibility_state(entry, on),
        "roles": people,
        "open_cases": open_cases_of(session, kind, target_id, tz, scope=scope),
        "history_url": f"/api/v1/features/{kind}/{target_id}/history",
        "history_page": f"/features/{kind}/{target_id}/history",
    }


def feature_history(session: Session, kind: str, target_id: int, *, actor: Actor | None = None) -> dict[str, Any]:
    """Every assignment the feature ever had (all roles), oldest first: who was responsible on any past day (as
    ``actor`` may see it)."""
    scope = scope_of(session, actor) if actor is not None else None
    feature = get_item(session, check_kind(kind).collection, target_id, scope=scope)
    props = feature["properties"]
    return {
        "kind": kind,
        "id": target_id,
        "name": props.get("name") or props.get("code"),
        "assignments": [_assignment_dict(r, actor) for r in _assignment_rows(session, kind, target_id)],
    }


# -- search --------------------------------------------------------------------------------------------------------


def _bounds(session: Session, model: FeatureModel, ids: list[int]) -> dict[int, list[float]]:
    if not ids:
        return {}
    rows = session.execute(select(model.id, wkb(model.geom).label("wkb")).where(model.id.in_(ids))).all()
    b = shapely.bounds(shapely.from_wkb([bytes(r.wkb) for r in rows]))
    return {r.id: [round(float(v), 6) for v in box] for r, box in zip(rows, b, strict=True)}


def unit_bounds(session: Session, unit_id: int, on: dt.date) -> list[float] | None:
    """The box around everything a unit is responsible for on ``on``."""
    boxes = []
    for kind, target in TARGETS.items():
        ids = list(
            session.scalars(
                select(Assignment.target_id).where(
                    Assignment.unit_id == unit_id,
                    Assignment.role == Role.RESPONSIBLE.value,
                    Assignment.target_kind == kind,
                    in_force(Assignment, on),
                )
            )
        )
        boxes += list(_bounds(session, target.model, ids).values())
    return _union(boxes)


def _union(boxes: list[list[float]]) -> list[float] | None:
    if not boxes:
        return None
    a = np.asarray(boxes)
    return [float(a[:, 0].min()), float(a[:, 1].min()), float(a[:, 2].max()), float(a[:, 3].max())]


def search(
    session: Session, q: str, *, limit: int = 8, on: dt.date | None = None, scope: Scope | None = None
) -> dict[str, Any]:
    """Find units (name/code), roads (segment name), compounds (name) and grids (code) — each hit with its box;
    roads, compounds and grids only in ``scope``."""
    within = {m: (scope.feature_filter(m, session) if scope is not None else []) for m in (Segment, Compound, Grid)}
    q = (q or "").strip()
    if not q:
        raise InvalidInput(Problem("type part of a unit, road or compound name, or a grid code", field="q"))
    if len(q) > 100:
        raise InvalidInput(Problem("at most 100 characters", field="q"))
    on = on or dt.date.today()
    like = f"%{q.replace('%', '').replace('_', '')}%"
    hits: list[dict[str, Any]] = []
    for uid, name, code in session.execute(
        select(Unit.id, Unit.name, Unit.code)
        .where(or_(Unit.name.like(like), Unit.code == q))
        .order_by(Unit.id)
        .limit(limit)
    ):
        hits.append({"kind": "unit", "id": uid, "label": name, "code": code, "bbox": unit_bounds(session, uid, on),
                     "url": f"/units/{uid}"})  # fmt: skip
    # Roads: a road name covers many segments: one hit per name, zooming to all of them.
    names = session.execute(
        select(Segment.name, func.count(Segment.id)).where(Segment.name.like(like), *within[Segment])
        .group_by(Segment.name)
        .order_by(Segment.name).limit(limit)
    ).all()  # fmt: skip
    for road, n in names:
        ids = list(session.scalars(select(Segment.id).where(Segment.name == road, *within[Segment])))
        hits.append({"kind": "road", "id": ids[0], "label": road, "segments": n, "segment_ids": ids[:2000],
                     "bbox": _union(list(_bounds(session, Segment, ids).values()))})  # fmt: skip
    comps = session.execute(
        select(Compound.id, Compound.name)
        .where(Compound.name.like(like), *within[Compound])
        .order_by(Compound.id)
        .limit(limit)
    ).all()
    cb = _bounds(session, Compound, [c.id for c in comps])
    hits += [{"kind": "compound", "id": c.id, "label": c.name, "bbox": cb.get(c.id)} for c in comps]
    grids = session.execute(
        select(Grid.id, Grid.code)
        .where(Grid.code.like(f"{q}%"), in_force(Grid, on), *within[Grid])
        .order_by(Grid.code)
        .limit(limit)
    ).all()
    gb = _bounds(session, Grid, [g.id for g in grids])
    hits += [{"kind": "grid", "id": g.id, "label": g.code, "bbox": gb.get(g.id)} for g in grids]
    return {"q": q, "results": hits}


# -- a unit's page -------------------------------------------------------------------------------------------------


def unit_overview(
    session: Session, unit_id: int, tz: dt.tzinfo, on: dt.date | None = None, *, actor: Actor | None = None
) -> dict[str, Any]:
    """A unit, what it is responsible for on ``on`` (counts, road km, areas), its people and its open cases (those
    in ``actor``'s scope; phone numbers for those who may see them)."""
    scope = scope_of(session, actor) if actor is not None else None
    on = on or dt.date.today()
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(f"no unit {unit_id}")
    totals: dict[str, Any] = {}
    for kind, target in TARGETS.items():
        stmt = select(
            func.count(target.column("id")), func.coalesce(func.sum(target.column(target.measure)), 0.0)
        ).where(
            target.column("id").in_(
                select(Assignment.target_id).where(
                    Assignment.unit_id == unit_id,
                    Assignment.role == Role.RESPONSIBLE.value,
                    Assignment.target_kind == kind,
                    in_force(Assignment, on),
                )
            )
        )
        n, total = session.execute(stmt).one()
        totals[target.collection] = int(n)
        per_unit = {"km": 1000, "ha": 10_000}[target.total_unit]  # from metres / square metres
        totals[f"{target.collection}_{target.total_unit}"] = round(float(total) / per_unit, 2)
    cases = session.execute(
        select(Case.id, Case.status, Case.category, Category.name_zh, Case.deadline_at, Case.address, Case.description)
        .join(Category, Category.code == Case.category, isouter=True)
        .where(Case.unit_id == unit_id, Case.status.in_(ACTIVE_CASE_STATUSES))
        .where(*(scope.case_filter() if scope is not None else ()))
        .order_by(Case.deadline_at.is_(None), Case.deadline_at, Case.id)
        .limit(500)
    ).all()
    now = dt.datetime.now(dt.UTC)
    open_cases = []
    for c in cases:
        deadline = as_utc(c.deadline_at)
        open_cases.append(
            {
                "id": c.id,
                "status": c.status,
                "status_zh": STATUS_ZH.get(c.status, c.status),
                "category": c.category,
                "category_name": c.name_zh,
                "deadline": _local(c.deadline_at, tz),
                "overdue": bool(deadline is not None and deadline < now and c.status != "parked"),
                "where": c.address or c.description,
            }
        )
    people = session.execute(select(Person.id, Person.name, Person.phone).where(Person.unit_id == unit_id)).all()
    return {
        "id": unit.id,
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "contact_name": unit.contact_name,
        "contact_phone": _phone(actor, unit.contact_phone, unit.id),
        "as_of": on.isoformat(),
        "totals": {**totals, "open_cases": len(open_cases)},
        "bbox": unit_bounds(session, unit_id, on),
        "people": [{"id": p.id, "name": p.name, "phone": _phone(actor, p.phone, unit_id)} for p in people],
        "open_cases": open_cases,
    }


def units_index(session: Session) -> list[dict[str, Any]]:
    return [
        {"id": i, "name": n, "code": c}
        for i, n, c in session.execute(select(Unit.id, Unit.name, Unit.code).order_by(Unit.id))
    ]
