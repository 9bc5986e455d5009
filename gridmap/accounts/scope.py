"""The areas an actor's scope covers: the 街道 and 社区 of a district, the 社区 of a 街道, one 社区. Lists, maps,
exports and counts are filtered to them; a write outside them is refused."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmap.accounts.actor import Actor
from gridmap.store.models import Area


@dataclass(frozen=True)
class ScopeAreas:
    """The areas in a scope: the scope's own area and everything below it."""

    area_id: int
    area_ids: frozenset[int]
    street_ids: frozenset[int]
    community_ids: frozenset[int]

    def holds(self, street_id: int | None, community_id: int | None) -> bool:
        """A place with this street and community lies in the scope."""
        return (community_id is not None and community_id in self.community_ids) or (
            community_id is None and street_id is not None and street_id in self.street_ids
        )


def scope_areas(session: Session, actor: Actor) -> ScopeAreas | None:
    """The areas of ``actor``'s scope; None when it covers the whole city (no area scope)."""
    if actor.scope_area_id is None or actor.is_system:
        return None
    rows = session.execute(select(Area.id, Area.level, Area.parent_id)).all()
    children: dict[int | None, list[tuple[int, str]]] = {}
    for r in rows:
        children.setdefault(r.parent_id, []).append((r.id, r.level))
    level = {r.id: r.level for r in rows}
    found = {actor.scope_area_id}
    todo = [actor.scope_area_id]
    while todo:
        for child, _lv in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return ScopeAreas(
        area_id=actor.scope_area_id,
        area_ids=frozenset(found),
        street_ids=frozenset(a for a in found if level.get(a) == "street"),
        community_ids=frozenset(a for a in found if level.get(a) == "community"),
    )
