"""Missed detections 漏报: the public saw what a patrol walked past.

A public report (``CaseSettings.public_sources``) of a category patrols should catch (``PatrolSettings
.miss_categories``, code prefixes) counts as a miss against a person when, in the ``miss_hours`` before it was
observed,

* the person, road chief of a segment within ``miss_radius_m`` of the report on the patrol's day, patrolled that
  segment (the rule of :mod:`~gridmap.patrols.matching`), or
* the person, grid worker of the unit grid the report lies in, walked through that grid (a patrol's kept line
  crosses it),

and the person reported nothing of the same category within ``miss_radius_m`` between that patrol's start and the
observation (their reports: cases whose opening step was taken by an account linked to them). Each miss comes with
the patrol's track, to show beside the report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gridmap.config import Settings
from gridmap.geo.crs import transformer
from gridmap.patrols.coverage import chief_history, utc_of
from gridmap.patrols.network import road_network
from gridmap.responsibility.history import as_day
from gridmap.store.dialect import wkb
from gridmap.store.models import (
    Account,
    Assignment,
    Case,
    CaseEvent,
    Grid,
    Patrol,
    PatrolVisit,
    Person,
    Role,
    TargetKind,
    in_force,
)

MAX_REPORTS = 20_000  # public reports looked at per call: a month of a city's 随手拍


def _category_filter(prefixes: tuple[str, ...]) -> Any:
    return or_(*[Case.category.startswith(p) for p in prefixes])


def find_misses(session: Session, settings: Settings, start: dt.date, end: dt.date,
                person_id: int | None = None) -> dict[str, Any]:  # fmt: skip
    """Misses among public reports observed on local days ``start``..``end`` (the whole last day included)."""
    rules = settings.patrols
    window = dt.timedelta(hours=rules.miss_hours)
    t0 = dt.datetime.combine(start, dt.time(0), dt.UTC) - dt.timedelta(hours=14)  # local days, any zone east of UTC
    t1 = dt.datetime.combine(end, dt.time(0), dt.UTC) + dt.timedelta(days=1, hours=12)
    reports = session.execute(
        select(Case.id, Case.category, Case.observed_at, Case.lon, Case.lat)
        .where(Case.source.in_(settings.cases.public_sources), _category_filter(rules.miss_categories),
               Case.observed_at >= t0, Case.observed_at < t1)
        .order_by(Case.observed_at).limit(MAX_REPORTS)
    ).all()  # fmt: skip
    network = road_network(session)
    out: list[dict[str, Any]] = []
    if not reports or network.empty:
        return {"from": start.isoformat(), "to": end.isoformat(), "misses": out, "by_person": []}
    to_m = transformer(4326, network.epsg)
    lon = np.array([r.lon for r in reports])
    lat = np.array([r.lat for r in reports])
    x, y = to_m.transform(lon, lat)
    pts = shapely.points(np.asarray(x), np.asarray(y))
    rep_i, seg_rows = shapely.STRtree(network.metric).query(pts, predicate="dwithin", distance=rules.miss_radius_m)
    chiefs = chief_history(session, network)
    # road chiefs: their patrolled visits of nearby segments in the window before each report
    seen: set[tuple[int, int]] = set()
    candidates: list[tuple[int, int, str, str, int, int, dt.datetime]] = []  # report, person, kind, name, id, patrol, t
    seg_ids = sorted({int(network.ids[r]) for r in seg_rows.tolist()})
    visits: dict[int, list[Any]] = {}
    if seg_ids:
        v = PatrolVisit
        for chunk in (seg_ids[i : i + 5000] for i in range(0, len(seg_ids), 5000)):
            for row in session.execute(
                select(v.segment_id, v.person_id, v.patrol_id, v.day, v.last_at).where(
                    v.patrolled.is_(True), v.segment_id.in_(chunk), v.last_at >= t0 - window, v.last_at < t1
                )
            ).all():
                visits.setdefault(row.segment_id, []).append(row)
    for i, r in zip(rep_i.tolist(), seg_rows.tolist(), strict=True):
        observed = utc_of(reports[i].observed_at)
        sid = int(network.ids[r])
        for vis in visits.get(sid, ()):
            last = utc_of(vis.last_at)
            if not (observed - window <= last <= observed):
                continue
            if chiefs.unit_at(np.array([r]), as_day(vis.day))[0] != vis.person_id:
                continue
            if (i, vis.person_id) in seen:
                continue
            seen.add((i, vis.person_id))
            candidates.append((i, vis.person_id, Role.ROAD_CHIEF.value, network.names[r] or "", sid, vis.patrol_id,
                               last))  # fmt: skip
    candidates += _grid_candidates(session, reports, lon, lat, window, seen)
    if not candidates:
        return {"from": start.isoformat(), "to": end.isoformat(), "misses": out, "by_person": []}
    people = {c[1] for c in candidates}
    own = _own_reports(session, people, t0 - window, t1)
    patrol_ids = sorted({c[5] for c in candidates})
    patrols = {
        p.id: p
        for p in session.execute(
            select(Patrol.id, Patrol.started_at, Patrol.ended_at, wkb(Patrol.geom).label("g")).where(
                Patrol.id.in_(patrol_ids)
            )
        ).all()
    }
    names = dict(session.execute(select(Person.id, Person.name).where(Person.id.in_(sorted(people)))).all())
    for i, pid, role, target_name, target_id, patrol_id, last in candidates:
        rep = reports[i]
        patrol = patrols[patrol_id]
        began = utc_of(patrol.started_at)
        observed = utc_of(rep.observed_at)
        if _reported_nearby(own.get(pid, []), rep.category, float(x[i]), float(y[i]), began, observed, to_m,
                            rules.miss_radius_m):  # fmt: skip
            continue
        if person_id is not None and pid != person_id:
            continue
        line = shapely.from_wkb(bytes(patrol.g))
        out.append({
            "case_id": rep.id, "category": rep.category, "observed_at": observed.isoformat(),
            "lon": rep.lon, "lat": rep.lat, "person_id": pid, "person_name": names.get(pid), "role": role,
            "target_kind": TargetKind.SEGMENT.value if role == Role.ROAD_CHIEF.value else TargetKind.GRID.value,
            "target_id": target_id, "target_name": target_name, "patrol_id": patrol_id,
            "patrol_started_at": began.isoformat(), "passed_at": last.isoformat(),
            "hours_before": round((observed - last).total_seconds() / 3600.0, 2),
            "track": {"type": "LineString", "coordinates": np.round(shapely.get_coordinates(line), 6).tolist()},
        })  # fmt: skip
    by_person: dict[int, int] = {}
    for m in out:
        by_person[m["person_id"]] = by_person.get(m["person_id"], 0) + 1
    summary: list[dict[str, Any]] = []
    for p, k in sorted(by_person.items(), key=lambda kv: -kv[1]):
        own_n = sum(1 for o in own.get(p, []) if t0 <= o[1] < t1)
        summary.append({"person_id": p, "person_name": names.get(p), "misses": k, "own_reports": own_n,
                        "miss_rate": round(k / (k + own_n), 4)})  # fmt: skip
    return {"from": start.isoformat(), "to": end.isoformat(), "misses": out, "by_person": summary}


def _grid_candidates(session: Session, reports: Sequence[Any], lon: np.ndarray, lat: np.ndarray, window: dt.timedelta,
                     seen: set[tuple[int, int]]) -> list[tuple[int, int, str, str, int, int, dt.datetime]]:  # fmt: skip
    """Grid workers whose patrol crossed the grid a report lies in, in the window before it."""
    first = min(utc_of(r.observed_at) for r in reports)
    last = max(utc_of(r.observed_at) for r in reports)
    patrols = session.execute(
        select(Patrol.id, Patrol.person_id, Patrol.ended_at, wkb(Patrol.geom).label("g")).where(
            Patrol.ended_at >= first - window, Patrol.started_at <= last
        )
    ).all()
    if not patrols:
        return []
    day = min(utc_of(r.observed_at) for r in reports).date()
    grids = session.execute(select(Grid.id, Grid.code, wkb(Grid.geom)).where(in_force(Grid, day))).all()
    if not grids:
        return []
    polys = shapely.from_wkb([bytes(g[2]) for g in grids])
    rep_i, grid_i = shapely.STRtree(polys).query(shapely.points(lon, lat), predicate="intersects")
    workers: dict[int, list[Any]] = {}
    grid_ids = sorted({int(grids[g].id) for g in grid_i.tolist()})
    for chunk in (grid_ids[i : i + 5000] for i in range(0, len(grid_ids), 5000)):
        for a in session.execute(
            select(Assignment.target_id, Assignment.person_id, Assignment.valid_from, Assignment.valid_to).where(
                Assignment.target_kind == TargetKind.GRID, Assignment.role == Role.GRID_WORKER,
                Assignment.person_id.is_not(None), Assignment.target_id.in_(chunk),
            )
        ).all():  # fmt: skip
            workers.setdefault(a.target_id, []).append(a)
    lines = shapely.from_wkb([bytes(p.g) for p in patrols])
    out: list[tuple[int, int, str, str, int, int, dt.datetime]] = []
    for i, g in zip(rep_i.tolist(), grid_i.tolist(), strict=True):
        observed = utc_of(reports[i].observed_at)
        grid = grids[g]
        for k, p in enumerate(patrols):
            ended = utc_of(p.ended_at)
            if not (observed - window <= ended <= observed) or (i, p.person_id) in seen:
                continue
            pday = ended.date()
            held = any(a.person_id == p.person_id and a.valid_from <= pday and (a.valid_to is None or a.valid_to > pday)
                       for a in workers.get(grid.id, ()))  # fmt: skip
            if held and shapely.intersects(lines[k], polys[g]):
                seen.add((i, p.person_id))
                out.append((i, p.person_id, Role.GRID_WORKER.value, grid.code, int(grid.id), int(p.id), ended))
    return out


def _own_reports(session: Session, people: set[int], t0: dt.datetime, t1: dt.datetime) -> dict[int, list[Any]]:
    """The reports each person opened through an account linked to them: (category, observed_at, lon, lat)."""
    accounts: dict[str, int] = {
        name: pid
        for name, pid in session.execute(
            select(Account.username, Account.person_id).where(Account.person_id.in_(sorted(people)))
        ).all()
        if pid is not None
    }
    if not accounts:
        return {}
    out: dict[int, list[Any]] = {}
    rows = session.execute(
        select(CaseEvent.actor, Case.category, Case.observed_at, Case.lon, Case.lat)
        .join(Case, Case.id == CaseEvent.case_id)
        .where(CaseEvent.seq == 1, CaseEvent.actor.in_(sorted(accounts)), Case.observed_at >= t0,
               Case.observed_at < t1)
    ).all()  # fmt: skip
    for actor, category, observed, lon, lat in rows:
        if actor is None:
            continue
        out.setdefault(accounts[actor], []).append((category, utc_of(observed), lon, lat))
    return out


def _reported_nearby(own: list[Any], category: str, x: float, y: float, began: dt.datetime, observed: dt.datetime,
                     to_m: Any, radius: float) -> bool:  # fmt: skip
    for cat, t, lon, lat in own:
        if cat != category or not (began <= t <= observed):
            continue
        ox, oy = to_m.transform(lon, lat)
        if (ox - x) ** 2 + (oy - y) ** 2 <= radius * radius:
            return True
    return False
