"""Who is scored: units (in peer groups by kind: city offices, district offices, enterprises …), 街道 and 社区
(communities ranked within their 街道), grids, and the people in posts (dispatchers, inspectors: the accounts that
took the steps). Each subject carries its name, its peer group, and the case-list filter that selects its cases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gridmap.store.models import Account, AccountRole, Area, AreaLevel, Grid, Unit
from gridmap.units.vocabulary import KIND_LABELS


@dataclass(frozen=True)
class Subject:
    id: str
    name: str
    group: str | None = None  # peer group: ranked within it
    group_zh: str | None = None
    group_en: str | None = None
    case_filter: dict[str, str] = field(default_factory=dict)  # /cases?… selecting its cases (empty: none)


_POST_ROLES = {"dispatcher": (AccountRole.DISPATCHER, AccountRole.COMMANDER), "inspector": (AccountRole.INSPECTOR,
               AccountRole.GRID_WORKER)}  # fmt: skip


def list_subjects(session: Session, subject: str, first_day: dt.date, counted: Collection[str]) -> list[Subject]:
    """Every subject of the kind that could be scored in a period starting ``first_day`` (units not retired
    before it, every 街道/社区, the accounts in the post), plus any others ``counted`` ids name (grids: only those)."""
    if subject == "unit":
        rows = session.execute(
            select(Unit.id, Unit.name, Unit.kind).where(
                or_(Unit.retired_on.is_(None), Unit.retired_on > first_day, Unit.id.in_(_ints(counted)))
            )
        ).all()
        out = []
        for u in rows:
            zh, en = KIND_LABELS.get(u.kind, (u.kind, u.kind))
            out.append(Subject(str(u.id), u.name, u.kind, zh, en, {"unit": str(u.id)}))
        return out
    if subject in ("street", "community"):
        areas = session.scalars(select(Area).where(Area.level == subject)).all()
        parents = {a.id: a for a in session.scalars(select(Area).where(Area.level == AreaLevel.STREET)).all()}
        out = []
        for a in areas:
            parent = parents.get(a.parent_id or -1) if subject == "community" else None
            out.append(
                Subject(
                    str(a.id),
                    a.name,
                    str(parent.id) if parent else None,
                    parent.name if parent else None,
                    parent.name if parent else None,
                    {subject: a.code},
                )
            )
        return out
    if subject == "grid":
        grids = session.execute(select(Grid.id, Grid.code).where(Grid.id.in_(_ints(counted)))).all()
        return [Subject(str(g.id), g.code) for g in grids]
    accounts = session.execute(
        select(Account.username, Account.name).where(
            or_(Account.role.in_([str(r) for r in _POST_ROLES[subject]]), Account.username.in_(list(counted)))
        )
    ).all()
    return [Subject(a.username, a.name or a.username, case_filter={"event_by": a.username}) for a in accounts]


def _ints(ids: Collection[str]) -> list[int]:
    return [int(i) for i in ids if i.isdigit()]
