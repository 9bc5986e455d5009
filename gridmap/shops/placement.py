"""Where a shop belongs, derived from its position: its road segment (the nearest within :data:`SNAP_M`), its unit
grid and 街道 (the ones holding it), and its frontage 门前责任区 (:func:`gridmap.geo.frontage.frontages`, with the
kerb at the segment level's half-width). Moving or adding a shop changes its neighbours' frontages too, so
:func:`place` recomputes every open shop of each segment touched — vectorised, one pass per call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from geoalchemy2.elements import WKTElement
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gridmap.geo.crs import transform, utm_epsg_for
from gridmap.geo.frontage import containing, frontages, nearest_lines
from gridmap.store.dialect import dialect_of, wkb
from gridmap.store.models import Area, AreaLevel, Grid, Segment, Shop, in_force

SNAP_M = 60.0  # metres: a shop farther than this from every road segment stands on no street (no frontage)
MAX_SIDE_M = 30.0  # metres: a frontage reaches at most this far sideways each way (DOMAIN.md: to the neighbour)
HALF_WIDTH_M = {"main": 12.0, "secondary": 8.0, "back": 3.0}  # centre-line to kerb by road level, metres
_MARGIN_DEG = 0.002  # ~200 m around the shops: the segments looked at include every one within SNAP_M


@dataclass(frozen=True)
class FrontageRules:
    """How frontages are drawn: ``half_width`` by road level (``None``: the centre-line is the kerb)."""

    half_width: dict[str, float] | None = field(default_factory=lambda: dict(HALF_WIDTH_M))
    max_side: float = MAX_SIDE_M
    snap: float = SNAP_M


def _segments(session: Session, box: tuple[float, float, float, float], extra: set[int]) -> tuple[
    np.ndarray, list[str], np.ndarray
]:  # fmt: skip
    cols = (Segment.id, Segment.level, wkb(Segment.geom).label("wkb"))
    rows = list(session.execute(select(*cols).where(dialect_of(session).bbox_intersects(Segment, box))))
    have = {r.id for r in rows}
    missing = extra - have
    if missing:
        rows += list(session.execute(select(*cols).where(Segment.id.in_(sorted(missing)))))
    rows.sort(key=lambda r: r.id)
    ids = np.array([r.id for r in rows], dtype=np.int64)
    geoms = shapely.from_wkb([bytes(r.wkb) for r in rows]) if rows else np.empty(0, dtype=object)
    return ids, [r.level for r in rows], np.asarray(geoms, dtype=object)


def _polygons(session: Session, model: type[Grid] | type[Area], box: tuple[float, float, float, float],
              today: dt.date) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    stmt = select(model.id, wkb(model.geom).label("wkb")).where(dialect_of(session).bbox_intersects(model, box))
    stmt = stmt.where(in_force(Grid, today) if model is Grid else Area.level == AreaLevel.STREET)
    rows = session.execute(stmt.order_by(model.id)).all()
    geoms = shapely.from_wkb([bytes(r.wkb) for r in rows]) if rows else np.empty(0, dtype=object)
    return np.array([r.id for r in rows], dtype=np.int64), np.asarray(geoms, dtype=object)


def place(session: Session, shop_ids: Iterable[int] | None = None, rules: FrontageRules | None = None,
          today: dt.date | None = None) -> int:  # fmt: skip
    """Derive segment, grid, 街道 and frontage of ``shop_ids`` (default: every open shop), and redraw the
    frontages of the other open shops on the segments they leave or join. Returns the shops rewritten."""
    rules = rules or FrontageRules()
    today = today or dt.date.today()
    open_shop = Shop.closed_on.is_(None)
    cols = (Shop.id, Shop.lon, Shop.lat, Shop.segment_id)
    if shop_ids is None:
        targets = session.execute(select(*cols).where(open_shop).order_by(Shop.id)).all()
    else:
        wanted = sorted(set(shop_ids))
        targets = session.execute(select(*cols).where(Shop.id.in_(wanted), open_shop).order_by(Shop.id)).all()
    if not targets:
        return 0
    lonlat = np.array([(r.lon, r.lat) for r in targets], dtype=float)
    x0, y0 = lonlat.min(axis=0) - _MARGIN_DEG
    x1, y1 = lonlat.max(axis=0) + _MARGIN_DEG
    box = (float(x0), float(y0), float(x1), float(y1))
    old = {int(r.segment_id) for r in targets if r.segment_id is not None}
    seg_ids, levels, seg_geoms = _segments(session, box, old)
    epsg = utm_epsg_for(float(lonlat[:, 0].mean()), float(lonlat[:, 1].mean()))
    seg_m = transform(seg_geoms, 4326, epsg) if len(seg_geoms) else seg_geoms
    xy = shapely.get_coordinates(transform(np.asarray(shapely.points(lonlat), dtype=object), 4326, epsg))
    near = nearest_lines(xy, seg_m, rules.snap)
    new_seg = np.where(near >= 0, seg_ids[np.maximum(near, 0)], -1) if len(seg_ids) else near
    grid_ids, grid_geoms = _polygons(session, Grid, box, today)
    street_ids, street_geoms = _polygons(session, Area, box, today)
    g = containing(lonlat, grid_geoms)
    s = containing(lonlat, street_geoms)
    placed: dict[int, dict[str, Any]] = {
        int(r.id): {
            "id": int(r.id),
            "segment_id": int(new_seg[i]) if new_seg[i] >= 0 else None,
            "grid_id": int(grid_ids[g[i]]) if g[i] >= 0 else None,
            "street_id": int(street_ids[s[i]]) if s[i] >= 0 else None,
            "frontage": None,
            "frontage_m2": None,
        }
        for i, r in enumerate(targets)
    }
    touched = old | {int(v) for v in new_seg if v >= 0}
    # the neighbours: other open shops of the touched segments, which keep their segment
    others = session.execute(
        select(Shop.id, Shop.lon, Shop.lat, Shop.segment_id)
        .where(Shop.segment_id.in_(sorted(touched)), open_shop, Shop.id.not_in(list(placed)))
        .order_by(Shop.id)
    ).all() if touched else []  # fmt: skip
    on_road = [i for i, r in enumerate(targets) if placed[int(r.id)]["segment_id"] is not None]
    member_ids = [int(targets[i].id) for i in on_road] + [int(r.id) for r in others]
    member_seg = np.array([placed[m]["segment_id"] for m in member_ids[: len(on_road)]]
                          + [int(r.segment_id) for r in others], dtype=np.int64)  # fmt: skip
    parts = [xy[on_road]]
    if others:
        other_pts = np.asarray(shapely.points([(r.lon, r.lat) for r in others]), dtype=object)
        parts.append(shapely.get_coordinates(transform(other_pts, 4326, epsg)))
    member_xy = np.vstack(parts)
    if len(member_ids):
        index = {int(v): k for k, v in enumerate(seg_ids)}
        seg_index = np.array([index[v] for v in member_seg], dtype=np.int64)
        if rules.half_width is None:
            half = np.zeros(len(member_ids))
        else:
            half = np.array([rules.half_width.get(levels[k], 0.0) for k in seg_index])
        polys_m = frontages(member_xy, seg_m, seg_index, half_width=half, max_side=rules.max_side)
        areas = shapely.area(polys_m)
        polys = transform(polys_m, epsg, 4326)
        wkts = shapely.to_wkt(polys, rounding_precision=8)
        for k, shop_id in enumerate(member_ids):
            row = placed.setdefault(shop_id, {"id": shop_id})
            row["frontage"] = WKTElement(str(wkts[k]), srid=4326)
            row["frontage_m2"] = round(float(areas[k]), 2)
    now = dt.datetime.now(dt.UTC)
    rows = [{**p, "updated_at": now} for p in placed.values()]
    session.execute(update(Shop), rows)
    return len(rows)
