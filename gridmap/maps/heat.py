"""The problem heatmap: case points with the commander's filters, or counts per unit grid / per road km.

Filters (all optional, the same names and meaning as ``GET /api/v1/cases`` so the page can click through to the
list): ``category`` (codes, comma-separated; a class includes its sub-classes), ``from``/``to`` (the opening time,
ISO dates or times, local time zone), ``status`` (``active`` = every status still in the loop, the default; ``all``; or
statuses), ``overdue`` (true/false), ``unit`` (id or code), ``street``/``community`` (area codes).

Modes:

* ``points`` — ``[lat, lon, weight]`` triples for Leaflet.heat: one per case up to :data:`RAW_POINTS`, beyond that
  binned by the database in square cells (``binned``: the cell in degrees, 1/:data:`BIN_CELLS` of the box's width)
  at the cases' mean position, weighted by their number — a screen cannot show more, and the answer stays small;
  past :data:`BINNED_CAP` the newest are binned (``truncated``), so millions of cases cost one bounded pass;
* ``grids`` — a GeoJSON FeatureCollection of the unit grids in force with at least one case: ``count`` and
  ``per_km2`` (a choropleth for large numbers); ``top=N``: only the N with the most cases (a hot-spot picture such
  as the dashboard's, without every grid's outline);
* ``segments`` — road segments with the cases lying within ``snap_m`` (30 m) of them, nearest wins: ``count``
  and ``per_km`` (normalised by length, so long roads do not look worse than they are).

With ``bbox`` (and ``zoom``, the map's) the grids and segments answers hold what the screen shows: the grids or
segments the box touches, and below :data:`MIN_ZOOM` (where a screen holds thousands of grids, tens of thousands of
road segments at 40× the demo city) the counts per 街道 instead (``level: street``, outlines simplified to a pixel
of that zoom) — as the map's grid and segment tiles start at those zooms.

Point-in-grid and nearest-segment are done for all cases at once with shapely STRtrees in the local metric CRS.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from shapely.geometry import mapping
from sqlalchemy import Integer, cast, func, select
from sqlalchemy.orm import Session

from gridmap.accounts.actor import Actor
from gridmap.accounts.scope import scope_of
from gridmap.cases import CASE_FILTERS, case_conditions
from gridmap.cases.states import ACTIVE
from gridmap.config import CaseSettings
from gridmap.errors import InvalidInput, Problem
from gridmap.gc_pause import paused_gc
from gridmap.geo.crs import metric_epsg_for, transform
from gridmap.geo.shapes import geojson_geometries, point_array
from gridmap.inputs import parse_int
from gridmap.maps import heat_totals
from gridmap.responsibility.history import id_chunks
from gridmap.store.dialect import dialect_of, wkb
from gridmap.store.models import Area, Case, Category, Grid, Segment, in_force

MODES = ("points", "grids", "segments")
SNAP_M = 30.0
MAX_POINTS = 200_000  # grids/segments: the newest cases counted when more match
RAW_POINTS = 10_000  # points: more are binned (a heat blob is ~20 px wide: a screen shows a few thousand of them)
BINNED_CAP = 100_000  # points: the newest this many are binned when more match (millions of cases: one pass each)
BIN_CELLS = 256  # bins across the requested box (at most ~40,000 cells, each a few px wide on a screen)
BIN_DEG = 0.0005  # degrees (~50 m): the bin without a box
MIN_ZOOM = {"grids": 14, "segments": 13}  # below: per 街道 (the grid / segment tiles' minimum zooms)
MAX_ZOOM = 22
MAX_TOP = 1000  # ``top``: a hot-spot picture (the dashboard's 150 grids), not a way around the box


def filter_conditions(
    session: Session,
    filters: dict[str, Any],
    now: dt.datetime,
    tz: dt.tzinfo,
    problems: list[Problem],
    actor: Actor | None = None,
) -> tuple[list[Any], dict[str, str]]:
    """The case list's own conditions (open cases by default, in ``actor``'s scope), and the filters as
    ``/api/v1/cases`` parameters."""
    filters = {**filters, "status": filters.get("status") or "active"}
    conds = case_conditions(session, filters, now, tz, problems, actor=actor)
    echo = {k: str(filters[k]) for k in CASE_FILTERS if filters.get(k) not in (None, "")}
    return conds, echo


def _bbox(raw: object, problems: list[Problem]) -> tuple[float, float, float, float] | None:
    if raw in (None, ""):
        return None
    try:
        x0, y0, x1, y1 = (float(v) for v in str(raw).split(","))
    except ValueError:
        problems.append(Problem(f"{raw!r} is not minlon,minlat,maxlon,maxlat", field="bbox"))
        return None
    if not (-180 <= x0 < x1 <= 180 and -90 <= y0 < y1 <= 90):
        problems.append(Problem("inverted or out of range (minlon,minlat,maxlon,maxlat)", field="bbox"))
        return None
    return x0, y0, x1, y1


def heat(
    session: Session,
    filters: dict[str, Any],
    *,
    settings: CaseSettings | None = None,
    now: dt.datetime | None = None,
    actor: Actor | None = None,
) -> dict[str, object]:
    """Case points or aggregates for the heatmap page (see the module docstring for filters and modes), of the
    cases in ``actor``'s scope."""
    settings = settings or CaseSettings()
    tz = ZoneInfo(settings.timezone)
    now = now or dt.datetime.now(dt.UTC)
    problems: list[Problem] = []
    mode = str(filters.get("mode") or "points")
    if mode not in MODES:
        problems.append(Problem(f"{mode!r} is not one of {', '.join(MODES)}", field="mode"))
    conds, echo = filter_conditions(session, filters, now, tz, problems, actor)
    box = _bbox(filters.get("bbox"), problems)
    zoom = parse_int(filters.get("zoom"), "zoom", problems, lo=0, hi=MAX_ZOOM)
    top = parse_int(filters.get("top"), "top", problems, lo=1, hi=MAX_TOP)
    snap = SNAP_M
    if filters.get("snap_m") not in (None, ""):
        try:
            snap = float(filters["snap_m"])
            if not 1 <= snap <= 200:
                raise ValueError
        except (TypeError, ValueError):  # (a repeated parameter arrives as a list)
            problems.append(Problem("must be a number of metres between 1 and 200 (须为 1–200 米)", field="snap_m"))
    if problems:
        raise InvalidInput(problems)
    if mode != "points" and zoom is not None and zoom < MIN_ZOOM[mode]:
        return _per_street(session, mode, filters, conds, box, zoom, now.astimezone(tz).date(), echo, actor)
    if mode != "points" and _maintained_fits(session, filters, actor):
        today = now.astimezone(tz).date()
        if heat_totals.ensure_current(session, today):
            return _from_totals(session, mode, filters, today, box, echo, top)
    if box:
        conds = [*conds, dialect_of(session).bbox_filter(Case, box)]
    cap = RAW_POINTS if mode == "points" else MAX_POINTS
    newest = (Case.created_at.desc(), Case.id.desc())
    many = select(func.count()).select_from(select(Case.id).where(*conds).limit(BINNED_CAP + 1).subquery())
    matched = (session.scalar(many) or 0) if mode == "points" else 0  # counted on an index, rows not fetched
    if matched > RAW_POINTS:
        cell = (box[2] - box[0]) / BIN_CELLS if box else BIN_DEG
        return {
            "mode": mode,
            # past the cap the newest by opening time alone (the case-list index holds it beside the point); below
            # it every match, in no order (an order would have SQLite walk every case by opening time)
            **_binned(session, conds, newest[:1] if matched > BINNED_CAP else (), cell),
            "truncated": matched > BINNED_CAP,
            "filters": echo,
            "cases_url": "/api/v1/cases" + ("?" + urlencode(echo) if echo else ""),
        }
    stmt = select(Case.id, Case.lon, Case.lat).where(*conds).order_by(*newest).limit(cap + 1)
    rows = session.connection().execute(stmt).all()  # Core rows: the ORM's wrapping cost ~10 µs a row
    truncated = len(rows) > cap
    rows = rows[:cap]
    lon = np.fromiter((r[1] for r in rows), float, len(rows))
    lat = np.fromiter((r[2] for r in rows), float, len(rows))
    body: dict[str, object] = {
        "mode": mode,
        "count": len(rows),
        "truncated": truncated,
        "filters": echo,
        "cases_url": "/api/v1/cases" + ("?" + urlencode(echo) if echo else ""),
    }
    if mode == "points":
        with paused_gc():  # tens of thousands of small lists: the collector would scan the whole heap several times
            body["points"] = np.column_stack([lat.round(6), lon.round(6), np.ones(len(rows))]).tolist()
        return body
    today = now.astimezone(tz).date()
    if mode == "grids":
        body.update(_per_grid(session, lon, lat, today, box, top))
    else:
        body.update(_per_segment(session, lon, lat, snap, box, top))
    return body


_MAINTAINED_FILTERS = frozenset({"mode", "status", "category", "bbox", "zoom", "top"})


def _maintained_fits(session: Session, filters: dict[str, Any], actor: Actor | None) -> bool:
    """Whether the maintained counts answer the request: only status, category and box filters, the default snap
    distance, and a whole-city reader (a narrower scope filters cases by 社区 and unit)."""
    used = {k for k, v in filters.items() if v not in (None, "")}
    return used <= _MAINTAINED_FILTERS and (actor is None or scope_of(session, actor) is None)


def _hottest(counts: np.ndarray, ids: np.ndarray, top: int | None) -> np.ndarray:
    """Rows with a case, in row order; only the ``top`` with the most cases (ties: the lower id) when given."""
    hit = np.flatnonzero(counts > 0)
    if top is not None and len(hit) > top:
        hit = np.sort(hit[np.lexsort((ids[hit], -counts[hit]))[:top]])
    return hit


def _hottest_ids(counts: dict[int, int], top: int | None) -> dict[int, int]:
    """:func:`_hottest` over maintained counts (target id → cases)."""
    if top is None or len(counts) <= top:
        return counts
    ids = np.fromiter(counts, np.int64, len(counts))
    n = np.fromiter(counts.values(), np.int64, len(counts))
    keep = _hottest(n, ids, top)
    return dict(zip(ids[keep].tolist(), n[keep].tolist(), strict=True))


def _per_street(
    session: Session,
    mode: str,
    filters: dict[str, Any],
    conds: list[Any],
    box: tuple[float, float, float, float] | None,
    zoom: int,
    today: dt.date,
    echo: dict[str, str],
    actor: Actor | None,
) -> dict[str, object]:
    """The cases counted per 街道 the box touches (a screen below :data:`MIN_ZOOM`): from the maintained counts when
    they answer the filters, else one grouped count over the matching cases; each 街道 with its outline simplified
    to about a pixel at ``zoom``."""
    seen = select(Area.id).where(Area.level == "street")
    if box:
        seen = seen.where(dialect_of(session).bbox_filter(Area, box))
    maintained = _maintained_fits(session, filters, actor) and heat_totals.ensure_current(session, today)
    if maintained:
        statuses, cats = _wanted(session, filters)
        counts = heat_totals.counts(session, "street", statuses, cats, seen)
    else:
        grouped = select(Case.street_id, func.count()).where(*conds, Case.street_id.in_(seen)).group_by(Case.street_id)
        counts = {int(k): int(n) for k, n in session.execute(grouped) if k is not None and n}
    outlined = select(Area.id, Area.code, Area.name, Area.area_m2, wkb(Area.geom)).where(Area.id.in_(sorted(counts)))
    rows = session.connection().execute(outlined.order_by(Area.code)).all() if counts else []
    pixel = 360.0 / (256 * 2**zoom)  # degrees of longitude per pixel at this zoom
    outlines = shapely.simplify(shapely.from_wkb([bytes(r[4]) for r in rows]), pixel / 2, preserve_topology=True)
    shapes = geojson_geometries(outlines, decimals=5) if rows else []
    features = [
        {
            "type": "Feature",
            "id": fid,
            "geometry": geometry,
            "properties": {
                "id": fid,
                "code": code,
                "name": name,
                "count": counts[fid],
                "per_km2": round(counts[fid] / max(float(size or 0) / 1e6, 1e-9), 1),
            },
        }
        for (fid, code, name, size, _g), geometry in zip(rows, shapes, strict=True)
    ]
    total = sum(counts[r[0]] for r in rows)
    return {
        "mode": mode,
        "level": "street",
        "min_zoom": MIN_ZOOM[mode],
        "count": total,
        "truncated": False,
        "maintained": maintained,
        "filters": echo,
        "cases_url": "/api/v1/cases" + ("?" + urlencode(echo) if echo else ""),
        "counted": total,
        "max": max((counts[r[0]] for r in rows), default=0),
        "features": {"type": "FeatureCollection", "features": features},
    }


def _wanted(session: Session, filters: dict[str, Any]) -> tuple[list[str] | None, list[str] | None]:
    """The statuses and category codes of the (already validated) filters; None: any."""
    statuses = [s.strip() for s in str(filters.get("status") or "active").split(",") if s.strip()]
    wanted: set[str] | None = set()
    for s in statuses:
        if s == "all":
            wanted = None
            break
        wanted |= {a.value for a in ACTIVE} if s == "active" else {s}  # type: ignore[operator]  # ACTIVE holds str enums; mypy sees the union of set types
    codes = [c.strip() for c in str(filters.get("category") or "").split(",") if c.strip()]
    cats = None
    if codes:
        subs = session.scalars(select(Category.code).where(Category.parent_code.in_(codes))).all()
        cats = sorted(set(codes) | set(subs))
    return (sorted(wanted) if wanted is not None else None), cats


def _from_totals(
    session: Session, mode: str, filters: dict[str, Any], on: dt.date, box, echo, top: int | None = None
) -> dict[str, object]:
    """The grids or segments answer from :mod:`~gridmap.maps.heat_totals` (every matching case counted, no cap); with
    a box, the targets it touches, each with all its cases."""
    statuses, cats = _wanted(session, filters)
    kind = "grid" if mode == "grids" else "segment"
    model = Grid if kind == "grid" else Segment
    # with a box: the targets it touches (on the spatial index) are counted, not the whole city
    seen = select(model.id).where(dialect_of(session).bbox_filter(model, box)) if box else None
    every = heat_totals.counts(session, kind, statuses, cats, seen)
    counts = _hottest_ids(every, top)
    extra = (Grid.code, Grid.area_m2) if kind == "grid" else (Segment.name, Segment.length_m)
    stmt = select(model.id, *extra, wkb(model.geom))
    # in chunks of ids: a whole city's (93,000 grids at 40×) is more than PostgreSQL's 65,535 parameters
    rows: list[Any] = []
    for chunk in id_chunks(sorted(counts)):
        rows.extend(session.connection().execute(stmt.where(model.id.in_(chunk)).order_by(model.id)).all())
    shapes = geojson_geometries(shapely.from_wkb([bytes(r[3]) for r in rows])) if rows else []
    features = []
    total = 0
    peak = 0.0
    for (fid, label, size, _geom), geometry in zip(rows, shapes, strict=True):
        n = counts[fid]
        total += n
        props: dict[str, object] = {"id": fid, "count": n}
        if kind == "grid":
            props.update(code=label, per_km2=round(n / max(float(size or 0) / 1e6, 1e-9), 1))
            peak = max(peak, n)
        else:
            per_km = round(n / max(float(size or 0) / 1000.0, 1e-3), 2)
            props.update(name=label, length_m=round(float(size or 0), 1), per_km=per_km)
            peak = max(peak, per_km)
        features.append({"type": "Feature", "id": fid, "geometry": geometry, "properties": props})
    if top is not None:  # the hottest only: the count is still of every matching case
        total = sum(every.values())
    body: dict[str, object] = {
        "mode": mode,
        "count": total,
        "truncated": False,
        "maintained": True,
        "filters": echo,
        "cases_url": "/api/v1/cases" + ("?" + urlencode(echo) if echo else ""),
        "counted": total,
        ("max" if kind == "grid" else "max_per_km"): peak if kind == "segment" else int(peak),
        "features": {"type": "FeatureCollection", "features": features},
    }
    return body


def _binned(session: Session, conds: list[Any], newest: tuple[Any, ...], cell: float) -> dict[str, object]:
    """The matching cases (the ``newest`` :data:`BINNED_CAP` when ordered) counted in square cells of ``cell``
    degrees by the database (no row per case sent back): ``[lat, lon, n]`` at the cell's mean position."""
    matching = select(Case.lon, Case.lat).where(*conds)
    cases = (matching.order_by(*newest).limit(BINNED_CAP) if newest else matching).subquery()
    cx = cast((cases.c.lon + 180.0) / cell, Integer)
    cy = cast((cases.c.lat + 90.0) / cell, Integer)
    rows = session.execute(select(func.count(), func.avg(cases.c.lat), func.avg(cases.c.lon)).group_by(cx, cy)).all()
    return {
        "count": int(sum(r[0] for r in rows)),
        "binned": cell,
        "points": [[round(float(y), 6), round(float(x), 6), int(n)] for n, y, x in rows],
    }


def _per_grid(
    session: Session, lon: np.ndarray, lat: np.ndarray, on: dt.date, box, top: int | None = None
) -> dict[str, object]:
    stmt = select(Grid.id, Grid.code, Grid.area_m2, wkb(Grid.geom)).where(in_force(Grid, on))
    if box:
        stmt = stmt.where(dialect_of(session).bbox_filter(Grid, box))
    grids = session.execute(stmt.order_by(Grid.code)).all()
    counts = np.zeros(len(grids), np.int64)
    if grids and len(lon):
        geoms = shapely.from_wkb([bytes(g[3]) for g in grids])
        pts = shapely.points(lon, lat)
        pi, gi = shapely.STRtree(geoms).query(pts, predicate="intersects")
        if len(pi):
            order = np.lexsort((gi, pi))  # a point on a shared edge counts once, for the lowest code
            pi, gi = pi[order], gi[order]
            first = np.r_[True, pi[1:] != pi[:-1]]
            counts = np.bincount(gi[first], minlength=len(grids))
    else:
        geoms = np.zeros(0, object)
    hit = _hottest(counts, np.array([g[0] for g in grids], np.int64), top)
    features = [
        {
            "type": "Feature",
            "id": int(grids[i][0]),
            "geometry": mapping(geoms[i]),
            "properties": {
                "id": int(grids[i][0]),
                "code": grids[i][1],
                "count": int(counts[i]),
                "per_km2": round(float(counts[i]) / max(float(grids[i][2] or 0) / 1e6, 1e-9), 1),
            },
        }
        for i in hit.tolist()
    ]
    return {
        "counted": int(counts.sum()),
        "max": int(counts.max()) if len(counts) else 0,
        "features": {"type": "FeatureCollection", "features": features},
    }


def _per_segment(
    session: Session, lon: np.ndarray, lat: np.ndarray, snap: float, box, top: int | None = None
) -> dict[str, object]:
    stmt = select(Segment.id, Segment.name, Segment.length_m, wkb(Segment.geom))
    if box:
        pad = snap / 90_000
        stmt = stmt.where(
            dialect_of(session).bbox_filter(Segment, (box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad))
        )
    segs = session.execute(stmt.order_by(Segment.id)).all()
    counts = np.zeros(len(segs), np.int64)
    geoms = shapely.from_wkb([bytes(s[3]) for s in segs]) if segs else np.zeros(0, object)
    if segs and len(lon):
        epsg = metric_epsg_for(geoms)
        seg_m = transform(geoms, 4326, epsg)
        pts_m = transform(point_array(lon, lat), 4326, epsg)
        pi, si = shapely.STRtree(seg_m).query_nearest(pts_m, max_distance=snap, all_matches=False)
        if len(pi):
            counts = np.bincount(si, minlength=len(segs))
    hit = _hottest(counts, np.array([r[0] for r in segs], np.int64), top)
    per_km = counts / np.maximum(np.array([float(s[2] or 0) for s in segs]) / 1000.0, 1e-3) if segs else counts
    features = [
        {
            "type": "Feature",
            "id": int(segs[i][0]),
            "geometry": mapping(geoms[i]),
            "properties": {
                "id": int(segs[i][0]),
                "name": segs[i][1],
                "length_m": round(float(segs[i][2] or 0), 1),
                "count": int(counts[i]),
                "per_km": round(float(per_km[i]), 2),
            },
        }
        for i in hit.tolist()
    ]
    return {
        "counted": int(counts.sum()),
        "max_per_km": round(float(per_km[hit].max()), 2) if len(hit) else 0,
        "features": {"type": "FeatureCollection", "features": features},
    }


def area_options(session: Session) -> list[dict[str, object]]:
    """街道 with their 社区 (code, name) for the page's filters."""
    rows = session.execute(
        select(Area.id, Area.code, Area.name, Area.level, Area.parent_id)
        .where(Area.level.in_(("street", "community")))
        .order_by(Area.code)
    ).all()
    streets = {r.id: {"code": r.code, "name": r.name, "communities": []} for r in rows if r.level == "street"}
    for r in rows:
        if r.level == "community" and r.parent_id in streets:
            streets[r.parent_id]["communities"].append({"code": r.code, "name": r.name})
    return list(streets.values())
