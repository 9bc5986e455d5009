"""The units a commander picks from (the assign page's unit picker), with what each holds now."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from gridmap.store.models import Assignment, Role, Unit
from gridmap.store.targets import KINDS


def list_units(session: Session, q: str | None = None, kind: str | None = None) -> list[dict[str, object]]:
    """Units for the picker, with how many segments/compounds/grids each holds (open ``responsible`` rows)."""
    counts: dict[int, dict[str, int]] = {}
    stmt = (
        select(Assignment.unit_id, Assignment.target_kind, func.count())
        .where(Assignment.role == Role.RESPONSIBLE.value, Assignment.valid_to.is_(None),
               Assignment.unit_id.is_not(None))
        .group_by(Assignment.unit_id, Assignment.target_kind)
    )  # fmt: skip
    for uid, k, n in session.execute(stmt):
        assert uid is not None  # the query leaves out rows without a unit
        counts.setdefault(uid, {})[k] = n
    units = select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.area_id).order_by(Unit.kind, Unit.name)
    if q:
        like = f"%{q.strip()}%"
        units = units.where(or_(Unit.name.like(like), Unit.code.like(like)))
    if kind:
        units = units.where(Unit.kind == kind)
    return [
        {
            "id": r.id,
            "code": r.code,
            "name": r.name,
            "kind": r.kind,
            "area_id": r.area_id,
            "holds": {k: counts.get(r.id, {}).get(k, 0) for k in KINDS},
        }
        for r in session.execute(units)
    ]
