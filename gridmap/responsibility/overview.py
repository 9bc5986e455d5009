"""What the store holds: counts and totals per layer, and how much of it has a responsible unit today."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from gridmap.accounts.scope import Scope
from gridmap.store.models import Area, Assignment, Compound, Grid, Person, Role, Segment, Unit, in_force


def _responsible_now(kind: str, target_id, on: dt.date):
    return exists().where(
        and_(
            Assignment.target_kind == kind,
            Assignment.target_id == target_id,
            Assignment.role == Role.RESPONSIBLE,
            in_force(Assignment, on),
        )
    )


def store_summary(session: Session, on: dt.date | None = None, scope: Scope | None = None) -> dict[str, object]:
    """Counts of every layer (in ``scope``) and the share with a responsible unit on ``on`` (default today)."""
    on = on or dt.date.today()
    within = {
        m: (scope.feature_filter(m, session) if scope is not None else []) for m in (Segment, Compound, Grid, Area)
    }
    current_grid = in_force(Grid, on)
    seg_total, seg_km = session.execute(
        select(func.count(Segment.id), func.sum(Segment.length_m)).where(*within[Segment])
    ).one()
    seg_covered, seg_covered_m = session.execute(
        select(func.count(Segment.id), func.sum(Segment.length_m)).where(
            _responsible_now("segment", Segment.id, on), *within[Segment]
        )
    ).one()
    comp_total = session.scalar(select(func.count(Compound.id)).where(*within[Compound])) or 0
    comp_covered = session.scalar(
        select(func.count(Compound.id)).where(_responsible_now("compound", Compound.id, on), *within[Compound])
    )
    grid_total = session.scalar(select(func.count(Grid.id)).where(current_grid, *within[Grid])) or 0
    grid_covered = session.scalar(
        select(func.count(Grid.id)).where(current_grid, _responsible_now("grid", Grid.id, on), *within[Grid])
    )
    levels = dict(
        session.execute(select(Area.level, func.count(Area.id)).where(*within[Area]).group_by(Area.level)).all()
    )
    return {
        "as_of": on.isoformat(),
        "districts": levels.get("district", 0),
        "streets": levels.get("street", 0),
        "communities": levels.get("community", 0),
        "segments": seg_total,
        "segments_km": round((seg_km or 0) / 1000, 3),
        "segments_assigned": seg_covered,
        "segments_unassigned_km": round(((seg_km or 0) - (seg_covered_m or 0)) / 1000, 3),
        "compounds": comp_total,
        "compounds_assigned": comp_covered or 0,
        "grids": grid_total,
        "grids_assigned": grid_covered or 0,
        "units": session.scalar(select(func.count(Unit.id))) or 0,
        "people": session.scalar(select(func.count(Person.id))) or 0,
    }


NEXT_STEPS = ("boundaries", "segments", "grids", "units", "assignments")
"""What a new city imports, in order: its 街道/社区 boundaries, its roads, its grids or compounds, its units, and who
is responsible for what. :func:`next_step` names the first one the store lacks."""


def next_step(session: Session) -> str | None:
    """The first of :data:`NEXT_STEPS` the store has nothing of (None: the city is set up), so that a page on an
    empty or partial database can say what to import next instead of showing an empty map with no word."""

    def anything(column: Any, *where: Any) -> bool:
        return session.scalar(select(column).where(*where).limit(1)) is not None

    if not anything(Area.id, Area.level.in_(("street", "community"))):
        return "boundaries"
    if not anything(Segment.id):
        return "segments"
    if not anything(Grid.id) and not anything(Compound.id):
        return "grids"
    if not anything(Unit.id):
        return "units"
    if not anything(Assignment.id, Assignment.role == Role.RESPONSIBLE):
        return "assignments"
    return None
