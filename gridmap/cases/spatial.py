"""Spatial look-ups for a new case through the store's spatial index (SpatiaLite R*Tree or PostGIS GiST): the
street and community containing its point, and the active case it duplicates."""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import text
from sqlalchemy.orm import Session

from gridmap.cases.states import ACTIVE
from gridmap.store.dialect import dialect_of


def locate_areas(session: Session, lon: float, lat: float) -> tuple[int | None, int | None]:
    """(street_id, community_id) of the areas containing the point, if any."""
    d = dialect_of(session)
    index = d.box_sql("areas", "areas", (":lon", ":lat", ":lon", ":lat"))
    rows = session.execute(
        text(f"SELECT id, level, parent_id FROM areas WHERE {index} AND level IN ('street', 'community') "
             f"AND ST_Contains(geom, {d.point_sql(':lon', ':lat')}) ORDER BY id"),
        {"lon": lon, "lat": lat},
    ).all()  # fmt: skip
    community = next((r for r in rows if r.level == "community"), None)
    street = next((r for r in rows if r.level == "street"), None)
    street_id = street.id if street else (community.parent_id if community else None)
    return street_id, community.id if community else None


def find_duplicate(
    session: Session,
    category: str,
    lon: float,
    lat: float,
    observed_at: dt.datetime,
    radius_m: float,
    days: float,
    exclude_id: int | None = None,
) -> dict[str, object] | None:
    """The nearest active case of the same category within ``radius_m`` observed at most ``days`` before."""
    if radius_m <= 0:
        return None
    d = dialect_of(session)
    dlat = radius_m / 111_000 * 1.2
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    params = {
        "lon": lon,
        "lat": lat,
        "cat": category,
        "since": d.time_param(observed_at - dt.timedelta(days=days)),
        "until": d.time_param(observed_at + dt.timedelta(days=days)),
        "r": radius_m,
        "minx": lon - dlon,
        "maxx": lon + dlon,
        "miny": lat - dlat,
        "maxy": lat + dlat,
        "exclude": exclude_id or -1,
    }
    statuses = ", ".join(f"'{s}'" for s in sorted(ACTIVE))
    dist = d.distance_m_sql("cases.geom", d.point_sql(":lon", ":lat"))
    where = d.box_sql("cases", "cases", (":minx", ":miny", ":maxx", ":maxy"))
    row = session.execute(
        text(
            f"SELECT id, duplicate_of, {dist} AS d FROM cases WHERE {where} AND category = :cat "
            f"AND status IN ({statuses}) AND observed_at >= :since AND observed_at <= :until AND id <> :exclude "
            f"AND {dist} <= :r ORDER BY d, id LIMIT 1"
        ),
        params,
    ).first()
    if row is None:
        return None
    return {"id": row.duplicate_of or row.id, "nearest_id": row.id, "distance_m": round(float(row.d), 1)}
