"""What an actor's scope covers: a district (its 街道 and 社区), a 街道 (its 社区), one 社区 — and for a unit clerk,
their unit's cases. Lists, maps, exports and counts are filtered to it (:meth:`Scope.case_filter`,
:meth:`Scope.feature_filter`); a write outside it is refused (:meth:`Scope.check_case`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import shapely
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from gridmap.accounts.actor import Actor
from gridmap.errors import Forbidden
from gridmap.store.dialect import dialect_of, wkb
from gridmap.store.models import AccountRole, Area, Case, Component, Compound, Grid, Segment

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Scope:
    """An area scope (the area and everything below it) and/or a unit clerk's unit."""

    area_id: int | None
    area_name: str | None
    street_ids: frozenset[int]
    community_ids: frozenset[int]
    bbox: Box | None  # the scope area's bounding box (for the spatial index)
    unit_id: int | None  # a unit clerk's unit: their cases only

    def holds(self, street_id: int | None, community_id: int | None) -> bool:
        """A place with this street and community lies in the area scope."""
        if self.area_id is None:
            return True
        return (community_id is not None and community_id in self.community_ids) or (
            community_id is None and street_id is not None and street_id in self.street_ids
        )

    def holds_case(
        self, street_id: int | None, community_id: int | None, unit_id: int | None, withheld: bool = False
    ) -> bool:
        """A case at this place, of this unit, lies in the scope (a unit clerk: their unit's cases, not one
        ``withheld`` — a covert inspection's case before it is published)."""
        return self.holds(street_id, community_id) and (
            self.unit_id is None or (unit_id == self.unit_id and not withheld)
        )

    def check_case(
        self,
        case_id: int,
        street_id: int | None,
        community_id: int | None,
        unit_id: int | None,
        withheld: bool = False,
    ) -> None:
        """Refuse (403) a case outside the scope."""
        if not self.holds_case(street_id, community_id, unit_id, withheld):
            where = "your unit's cases" if self.unit_id is not None and self.area_id is None else self.area_name
            raise Forbidden(f"case {case_id} is outside your scope ({where})")

    def case_filter(self) -> list[Any]:
        """SQL conditions on ``cases`` for the scope."""
        conds: list[Any] = []
        if self.area_id is not None:
            conds.append(
                or_(
                    Case.community_id.in_(sorted(self.community_ids)),
                    and_(Case.community_id.is_(None), Case.street_id.in_(sorted(self.street_ids))),
                )
            )
        if self.unit_id is not None:
            conds.append(Case.unit_id == self.unit_id)
            conds.append(Case.withheld.is_(False))  # a covert inspection's cases wait for its publication
        return conds

    def feature_filter(self, model: Any, session: Session) -> list[Any]:
        """SQL conditions on a layer's table (grids, compounds, segments, areas) for the area scope: grids and
        compounds by their 社区, areas by id, road segments and components 部件 by meeting the scope area."""
        if self.area_id is None:
            return []
        if model is Grid or model is Compound:
            return [model.community_id.in_(sorted(self.community_ids))]
        if model is Area:
            ids = sorted({self.area_id, *self.street_ids, *self.community_ids})
            return [Area.id.in_(ids)]
        if model is Segment or model is Component:
            shape = select(Area.geom).where(Area.id == self.area_id).scalar_subquery()
            conds: list[Any] = [func.ST_Intersects(model.geom, shape)]
            if self.bbox is not None:
                conds.insert(0, dialect_of(session).bbox_intersects(model, self.bbox))
            return conds
        if model is Case:
            return self.case_filter()
        return []


def scope_of(session: Session, actor: Actor) -> Scope | None:
    """``actor``'s scope; None when it covers the whole city (no area, not a unit clerk)."""
    if actor.is_system:
        return None
    unit_id = actor.scope_unit_id if actor.role == AccountRole.UNIT_CLERK else None
    if actor.scope_area_id is None and unit_id is None:
        return None
    if actor.scope_area_id is None:
        return Scope(None, None, frozenset(), frozenset(), None, unit_id)
    rows = session.execute(select(Area.id, Area.level, Area.parent_id)).all()
    children: dict[int | None, list[int]] = {}
    for r in rows:
        children.setdefault(r.parent_id, []).append(r.id)
    level = {r.id: r.level for r in rows}
    found = {actor.scope_area_id}
    todo = [actor.scope_area_id]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    name, raw = session.execute(select(Area.name, wkb(Area.geom)).where(Area.id == actor.scope_area_id)).one()
    box = shapely.bounds(shapely.from_wkb(bytes(raw))) if raw is not None else None
    bbox = (float(box[0]), float(box[1]), float(box[2]), float(box[3])) if box is not None else None
    return Scope(
        area_id=actor.scope_area_id,
        area_name=name,
        street_ids=frozenset(a for a in found if level.get(a) == "street"),
        community_ids=frozenset(a for a in found if level.get(a) == "community"),
        bbox=bbox,
        unit_id=unit_id,
    )
