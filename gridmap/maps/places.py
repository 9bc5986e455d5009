"""The public's map of the city without a tile server (gridmap runs offline): 社区 outlines and named roads, as
GeoJSON light enough for a phone, so a citizen can drag a pin to the right street (nothing about units or people)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmap.maps.layers import shape_for_zoom
from gridmap.store.dialect import wkb
from gridmap.store.models import Area, AreaLevel, Segment

PLACES_ZOOM = 15  # simplified for a street-level view on a phone


def _features(rows: list[Any], kind: str) -> list[dict[str, Any]]:
    if not rows:
        return []
    geoms = shapely.from_wkb([bytes(r.wkb) for r in rows])
    lat = float(np.nanmean(shapely.bounds(geoms)[:, [1, 3]]))
    shapes = shapely.to_geojson(shape_for_zoom(geoms, PLACES_ZOOM, lat))
    return [
        {"type": "Feature", "geometry": json.loads(g), "properties": {"kind": kind, "name": r.name}}
        for r, g in zip(rows, shapes, strict=True)
    ]


def public_places(session: Session) -> dict[str, Any]:
    """社区 outlines and named road segments as one GeoJSON FeatureCollection (kind: community | road)."""
    communities = session.execute(
        select(Area.name, wkb(Area.geom).label("wkb")).where(Area.level == AreaLevel.COMMUNITY).order_by(Area.id)
    ).all()
    roads = session.execute(
        select(Segment.name, wkb(Segment.geom).label("wkb")).where(Segment.name.is_not(None)).order_by(Segment.id)
    ).all()
    features = _features(list(communities), "community") + _features(list(roads), "road")
    return {"type": "FeatureCollection", "features": features}
