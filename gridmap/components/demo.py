"""The demo city's components 部件: a few hundred manhole covers, lamps, hydrants, bins, bus shelters and telecom
boxes along its main and secondary roads, owned by the demo's utilities and offices, so the map's components layer
and the component routing rule have something to show. Deterministic: the same roads give the same components."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmap.geo.crs import STORAGE_SRID, to_metric, transform
from gridmap.store.bulk_writes import write_features
from gridmap.store.dialect import wkb
from gridmap.store.models import Segment, Unit

# (class code, owner unit code, offset from the centreline in metres): what stands along a demo road
KINDS: tuple[tuple[str, str, float], ...] = (
    ("0101", "U056", 0.0),  # 井盖 on the carriageway: 城市供水
    ("0104", "U014", 7.0),  # 路灯 at the kerb: 市城市管理局
    ("0103", "U056", -8.0),  # 消防栓 on the pavement: 城市供水
    ("0302", "U031", 8.5),  # 果皮箱: 离石区城市管理局
    ("0204", "U055", -9.0),  # 公交站亭: 公共交通公司
    ("0106", "U048", 9.5),  # 通信设施: 中国联通
    ("0105", "U050", -9.5),  # 电力设施: 国网供电公司
)
EVERY = 24
"""One road segment in this many (main and secondary roads, by id) gets one component of each kind: on the demo
city 58 segments × 7 kinds = 406 components."""


def place_demo_components(session: Session, source: str) -> int:
    """Write the demo's components (codes ``BJ<class>-<n>``); returns how many. Owners missing from the units table
    are left blank. Does not commit."""
    rows = session.execute(
        select(Segment.id, wkb(Segment.geom).label("wkb"))
        .where(Segment.level.in_(("main", "secondary")))
        .order_by(Segment.id)
    ).all()[::EVERY]
    if not rows:
        return 0
    owners = dict(session.execute(select(Unit.code, Unit.id).where(Unit.code.in_({k[1] for k in KINDS}))).all())
    lines, epsg = to_metric(shapely.from_wkb([bytes(r.wkb) for r in rows]))
    codes, classes, owner_ids, points = [], [], [], []
    for k, (cls, owner, offset) in enumerate(KINDS):
        at = (0.15 + 0.7 * ((np.arange(len(lines)) * 7 + k * 3) % 10) / 10) * shapely.length(lines)
        here = shapely.line_interpolate_point(lines, at)
        ahead = shapely.line_interpolate_point(lines, at + 1.0)
        d = shapely.get_coordinates(ahead) - shapely.get_coordinates(here)
        d /= np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-9)[:, None]
        xy = shapely.get_coordinates(here) + offset * np.c_[-d[:, 1], d[:, 0]]  # to the left of the road's way
        points.append(shapely.points(xy))
        codes += [f"BJ{cls}-{i + 1:04d}" for i in range(len(lines))]
        classes += [cls] * len(lines)
        owner_ids += [owners.get(owner)] * len(lines)
    geoms = transform(np.concatenate(points), epsg, STORAGE_SRID)
    gdf = gpd.GeoDataFrame(
        {"code": codes, "class_code": classes, "owner_unit_id": owner_ids}, geometry=geoms, crs=STORAGE_SRID
    )
    return write_features(session, "components", gdf, source=source).created
