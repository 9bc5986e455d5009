"""我的网格: what a grid worker or inspector looks after — the grids, road segments and compounds they are
responsible for, the open cases there and the re-checks waiting for them — for their phone page (/mygrid).

"Responsible for" is, in order: the features assigned to the account's person (any role, in force today); else
those held by the person's unit; else the grids of the account's scope (their 社区). The cases and the re-checks
are those the account's scope lets them see (gridmap.cases.queues: 待核查).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import shapely
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from gridmap.accounts.actor import Actor
from gridmap.accounts.scope import scope_of
from gridmap.cases.queries import case_select, redact, summary_of
from gridmap.cases.queues import work_queue
from gridmap.cases.states import ACTIVE
from gridmap.cases.values import now_or
from gridmap.catalogue.categories import load_calendar
from gridmap.config import Settings
from gridmap.maps.layers import shape_for_zoom
from gridmap.store.models import Assignment, Case, Grid, Person, Role, in_force
from gridmap.store.targets import TARGETS

MAX_FEATURES = 2000
MAX_CASES = 300


def _held(session: Session, actor: Actor, day: dt.date) -> tuple[str, dict[str, set[int]]]:
    """Which features are the actor's, and on what basis (person, unit or scope)."""
    ids: dict[str, set[int]] = {kind: set() for kind in TARGETS}
    if actor.person_id is not None:
        rows = session.execute(
            select(Assignment.target_kind, Assignment.target_id).where(
                Assignment.person_id == actor.person_id, in_force(Assignment, day)
            )
        ).all()
        for kind, target in rows:
            ids[kind].add(target)
        if rows:
            return "person", ids
        unit_id = session.scalar(select(Person.unit_id).where(Person.id == actor.person_id))
        if unit_id is not None:
            rows = session.execute(
                select(Assignment.target_kind, Assignment.target_id)
                .where(Assignment.unit_id == unit_id, Assignment.role == Role.RESPONSIBLE, in_force(Assignment, day))
                .limit(MAX_FEATURES)
            ).all()
            for kind, target in rows:
                ids[kind].add(target)
            if rows:
                return "unit", ids
    scope = scope_of(session, actor)
    if scope is not None and scope.area_id is not None:
        grids = session.scalars(
            select(Grid.id).where(*scope.feature_filter(Grid, session), in_force(Grid, day)).limit(MAX_FEATURES)
        ).all()
        ids["grid"].update(grids)
        return "scope", ids
    return "none", ids


def _features(session: Session, ids: dict[str, set[int]], day: dt.date) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for kind, wanted in ids.items():
        if not wanted:
            continue
        t = TARGETS[kind]
        rows = session.execute(
            select(*t.columns()).where(t.column("id").in_(sorted(wanted)), t.current_on(day)).order_by(t.column("id"))
        ).all()
        if not rows:
            continue
        geoms = shapely.from_wkb([bytes(r.wkb) for r in rows])
        lat = float(np.nanmean(shapely.bounds(geoms)[:, [1, 3]]))
        shapes = shapely.to_geojson(shape_for_zoom(geoms, 17, lat))
        out += [
            {"type": "Feature", "id": f"{kind}/{r.id}", "geometry": json.loads(g),
             "properties": {"kind": kind, "id": r.id, "name": r.name, "code": r.code}}
            for r, g in zip(rows, shapes, strict=True)
        ]  # fmt: skip
    return out


def _within(features: list[dict[str, Any]]) -> Any:
    """A SQL condition: a case opened on one of these features, or inside their bounding box."""
    conds = []
    for kind in TARGETS:
        ids = [f["properties"]["id"] for f in features if f["properties"]["kind"] == kind]
        if ids:
            conds.append(and_(Case.matched_kind == kind, Case.matched_id.in_(ids)))
    if features:
        geoms = shapely.from_geojson([json.dumps(f["geometry"]) for f in features])
        x0, y0, x1, y1 = (float(v) for v in shapely.total_bounds(geoms))
        conds.append(and_(Case.lon.between(x0, x1), Case.lat.between(y0, y1)))
    return or_(*conds) if conds else None


def _grid_at(features: list[dict[str, Any]], lon: float | None, lat: float | None) -> str | None:
    """The code of my grid holding the point (the quick report's grid), if any."""
    if lon is None or lat is None:
        return None
    for f in features:
        props = f["properties"]
        if props["kind"] == "grid" and shapely.contains_xy(shapely.from_geojson(json.dumps(f["geometry"])), lon, lat):
            return str(props["code"])
    return None


def my_grid(
    session: Session,
    actor: Actor,
    settings: Settings,
    *,
    lon: float | None = None,
    lat: float | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The features the actor is responsible for (GeoJSON), the open cases there, their re-check tasks, and the
    grid of theirs at (``lon``, ``lat``) — where they stand."""
    now = now_or(now)
    cal = load_calendar(session, settings.cases)
    day = now.astimezone(cal.tz).date()
    basis, ids = _held(session, actor, day)
    features = _features(session, ids, day)
    scope = scope_of(session, actor)
    conds = [Case.status.in_(sorted(ACTIVE)), *(scope.case_filter() if scope is not None else [])]
    where = _within(features)
    cases: list[dict[str, Any]] = []
    if where is not None:
        rows = session.execute(
            case_select().where(*conds, where).order_by(Case.deadline_at.is_(None), Case.deadline_at).limit(MAX_CASES)
        ).all()
        cases = [redact(summary_of(r, cal, now), actor) for r in rows]
    tasks = work_queue(session, actor, settings, group="to_recheck", per_page=50, now=now)
    recheck = next((g for g in tasks["groups"] if g["key"] == "to_recheck"), {"items": [], "count": 0})
    return {
        "basis": basis,
        "features": {"type": "FeatureCollection", "features": features},
        "grids": [f["properties"] for f in features if f["properties"]["kind"] == "grid"],
        "grid_here": _grid_at(features, lon, lat),
        "cases": cases,
        "recheck": {"count": recheck["count"], "items": recheck["items"]},
    }
