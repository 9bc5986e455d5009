"""Where each feature is: the 街道/社区 tables and each segment's, compound's and grid's community, size and
responsible unit on a day, as numpy arrays (read once for a whole layer).

Grids and compounds store their community; a segment lies in the community holding its midpoint (a polygon without
one: the community holding a point on its surface). A point on a shared edge goes to the lowest community code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import shapely
from sqlalchemy import null, select
from sqlalchemy.orm import Session

from gridmap.responsibility.history import id_chunks, responsible_at
from gridmap.store.dialect import wkb
from gridmap.store.models import Area
from gridmap.store.targets import TARGETS


@dataclass
class Layer:
    kind: str
    ids: np.ndarray
    names: np.ndarray
    codes: np.ndarray
    measure: np.ndarray  # metres (segments) or m² (polygons)
    geoms: np.ndarray  # EPSG:4326
    community: np.ndarray  # row in the communities table, -1 outside every community
    unit: np.ndarray  # responsible unit id on the day, -1 for a gap


@dataclass
class Areas:
    ids: np.ndarray
    codes: np.ndarray
    names: np.ndarray
    parent: np.ndarray  # street row of each community (-1 none)
    geoms: np.ndarray
    street_ids: np.ndarray
    street_codes: np.ndarray
    street_names: np.ndarray


def load_areas(session: Session, geometry: bool = True) -> Areas:
    """The 街道 and 社区 sorted by code (their outlines unless ``geometry`` is false: names and codes only)."""
    streets = session.execute(
        select(Area.id, Area.code, Area.name).where(Area.level == "street").order_by(Area.code)
    ).all()
    outline = wkb(Area.geom) if geometry else null()
    comms = session.execute(
        select(Area.id, Area.code, Area.name, Area.parent_id, outline.label("wkb"))
        .where(Area.level == "community")
        .order_by(Area.code)
    ).all()
    street_row = {r.id: i for i, r in enumerate(streets)}
    return Areas(
        ids=np.array([r.id for r in comms], dtype=np.int64),
        codes=np.array([r.code for r in comms], dtype=object),
        names=np.array([r.name for r in comms], dtype=object),
        parent=np.array([street_row.get(r.parent_id, -1) for r in comms], dtype=np.int64),
        geoms=shapely.from_wkb([bytes(r.wkb) for r in comms]) if comms and geometry else np.zeros(0, object),
        street_ids=np.array([r.id for r in streets], dtype=np.int64),
        street_codes=np.array([r.code for r in streets], dtype=object),
        street_names=np.array([r.name for r in streets], dtype=object),
    )


def spatial_community(areas: Areas, points: np.ndarray) -> np.ndarray:
    """Row of the community covering each point (lowest code on a shared edge), -1 outside all (vectorised)."""
    out = np.full(len(points), -1, dtype=np.int64)
    if not len(points) or not len(areas.ids):
        return out
    tree = shapely.STRtree(areas.geoms)
    pt_idx, area_idx = tree.query(points, predicate="intersects")
    if len(pt_idx):
        order = np.lexsort((area_idx, pt_idx))  # rows are sorted by code: smallest row = lowest code
        pt_idx, area_idx = pt_idx[order], area_idx[order]
        first = np.r_[True, pt_idx[1:] != pt_idx[:-1]]
        out[pt_idx[first]] = area_idx[first]
    return out


def load_layer(session: Session, kind: str, on: dt.date, areas: Areas, ids: Iterable[int] | None = None) -> Layer:
    """The features of ``kind`` existing on day ``on`` (only those of ``ids`` when given) with their community row
    in ``areas``, size and responsible unit that day."""
    row_of_area = {int(a): i for i, a in enumerate(areas.ids)}
    target = TARGETS[kind]
    community_col = target.column(target.community_column) if target.community_column else null()
    stmt = select(*target.columns(), community_col.label("community_id")).where(target.current_on(on))
    if ids is None:
        rows = list(session.execute(stmt.order_by(target.column("id"))).all())
    else:
        rows = []
        for chunk in id_chunks(sorted({int(i) for i in ids})):
            rows.extend(session.execute(stmt.where(target.column("id").in_(chunk)).order_by(target.column("id"))))
    comm_ids = [r.community_id for r in rows]
    geoms = shapely.from_wkb([bytes(r.wkb) for r in rows]) if rows else np.zeros(0, object)
    community = np.array([row_of_area.get(c, -1) if c is not None else -1 for c in comm_ids], dtype=np.int64)
    missing = np.flatnonzero(community < 0)
    if len(missing):
        if target.geometry == "line":
            pts = shapely.line_interpolate_point(geoms[missing], 0.5, normalized=True)
        else:
            pts = shapely.point_on_surface(geoms[missing])
        community[missing] = spatial_community(areas, pts)
    found = np.array([r.id for r in rows], dtype=np.int64)
    resp = responsible_at(session, kind, None if ids is None else found.tolist(), on)
    unit = np.fromiter((resp.get(int(i), (-1, ""))[0] for i in found), np.int64, len(found))
    return Layer(
        kind=kind,
        ids=found,
        names=np.array([r.name or f"{target.label_zh} {r.code or r.id}" for r in rows], dtype=object),
        codes=np.array([r.code for r in rows], dtype=object),
        measure=np.array([float(r.measure or 0.0) for r in rows], dtype=float),
        geoms=geoms,
        community=community,
        unit=unit,
    )
