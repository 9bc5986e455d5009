"""What a drawn shape catches — the segments, compounds and grids a commander is about to assign — and who holds
each of them now (the assign page's preview, before anything is written)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any, TypedDict

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmap.errors import InvalidInput, Problem
from gridmap.geo.crs import metric_epsg_for, transform
from gridmap.inputs import as_id, parse_day
from gridmap.responsibility.drawing import parse_shape, vertex_count
from gridmap.responsibility.history import holder_dict, open_rows
from gridmap.store.dialect import dialect_of
from gridmap.store.models import Area
from gridmap.store.targets import TARGETS, parse_kinds, parse_role

MAX_CITY_SHARE = 0.5  # a shape covering more than this share of the district(s) is a mistake, not an assignment


DEFAULT_BUFFER_M = 15.0


MAX_BUFFER_M = 200.0


CATCH_SHARE = 0.5  # a feature is caught when at least this share of it (length / area) lies in the drawn area


def city_area_m2(session: Session) -> float:
    """The managed area: the districts' total area (else the streets')."""
    for level in ("district", "street"):
        total = session.scalar(select(func.sum(Area.area_m2)).where(Area.level == level))
        if total:
            return float(total)
    return 0.0


class _Owner(TypedDict):
    unit_id: int | None
    unit_name: str | None
    count: int
    by_kind: dict[str, int]


GROUPS = ("free", "own", "others")
"""How a caught feature stands for the unit about to take it: nobody holds it, that unit already does, or another
unit does (taking it needs an explicit, named take-over)."""


def _candidates(session: Session, kind: str, box: tuple[float, float, float, float], on: dt.date) -> Sequence[Any]:
    """Features of ``kind`` whose box meets ``box`` (existing on ``on``), as rows (id, name, code, measure, wkb)."""
    target = TARGETS[kind]
    stmt = select(*target.columns()).where(dialect_of(session).bbox_filter(target.model, box), target.current_on(on))
    return session.execute(stmt).all()


def preview(
    session: Session,
    shape: object,
    kinds: object = None,
    buffer_m: object = None,
    at: object = None,
    role: object = None,
    unit_id: object = None,
) -> dict[str, object]:
    """The segments, compounds and grids a drawn shape catches, and who holds each of them now.

    A line catches the segments lying at least half within ``buffer_m`` (default 15 m) of it and the compounds/grids
    it crosses; a polygon catches the segments with at least half their length inside and the compounds/grids with at
    least half their area inside (or holding at least half of the drawn polygon: a small shape drawn inside a big
    grid selects that grid). Each feature carries ``current`` — its open assignment for ``role`` — whose
    ``assignment_id`` is what :func:`assign` wants back as ``expected``, and ``group``: ``free`` (nobody holds
    it), ``own`` (``unit_id``, the unit about to take it, already does) or ``others`` (another unit does).
    ``losses`` names each other unit and what it would lose by a take-over, per kind.
    """
    problems: list[Problem] = []
    kinds_t = parse_kinds(kinds, problems)
    on = parse_day(at, "at", problems, default=dt.date.today())
    role_s = parse_role(role, problems)
    buf = DEFAULT_BUFFER_M
    if buffer_m not in (None, ""):
        try:
            buf = float(buffer_m)  # type: ignore[arg-type]  # any input: what float() refuses raises, caught below
        except (TypeError, ValueError):
            problems.append(Problem(f"{buffer_m!r} is not a number of metres", field="buffer_m", zh="缓冲距离须为米数"))
        else:
            if not (math.isfinite(buf) and 1 <= buf <= MAX_BUFFER_M):
                problems.append(
                    Problem(
                        f"must be between 1 and {MAX_BUFFER_M:g} metres",
                        field="buffer_m",
                        zh=f"缓冲距离须在 1 到 {MAX_BUFFER_M:g} 米之间",
                    )
                )
    unit = as_id(unit_id) if unit_id not in (None, "") else None
    if unit_id not in (None, "") and unit is None:
        problems.append(Problem(f"{unit_id!r} is not a unit id", field="unit_id", zh="单位编号有误"))
    if problems:
        raise InvalidInput(problems)
    geom = parse_shape(shape)
    assert on is not None
    epsg = metric_epsg_for(geom)
    drawn_m = transform(np.array([geom], dtype=object), 4326, epsg)[0]
    is_line = geom.geom_type == "LineString"
    area_m = shapely.buffer(drawn_m, buf) if is_line else drawn_m
    city = city_area_m2(session)
    if city > 0 and area_m.area > MAX_CITY_SHARE * city:
        raise InvalidInput(
            Problem(
                f"the drawn shape covers {area_m.area / city:.0%} of the city's area (at most {MAX_CITY_SHARE:.0%}): "
                "draw a smaller area",
                field="shape",
                zh=f"所画范围占全城面积的 {area_m.area / city:.0%}（最多 {MAX_CITY_SHARE:.0%}）：请画小一些",
            )
        )
    # Candidates by bounding box (the buffer added, in degrees, generously).
    pad = buf / 90_000.0 if is_line else 0.0
    x0, y0, x1, y1 = geom.bounds
    box = (x0 - pad, y0 - pad, x1 + pad, y1 + pad)
    features: list[dict[str, object]] = []
    totals: dict[str, dict[str, float]] = {}
    owners: dict[int | None, _Owner] = {}
    for kind in kinds_t:
        rows = _candidates(session, kind, box, on)
        caught_rows, shares = _caught(
            kind, rows, epsg, area_m if TARGETS[kind].geometry == "line" or not is_line else drawn_m, is_line
        )
        current = open_rows(session, kind, (r.id for r in caught_rows), role_s)
        measure = TARGETS[kind].measure
        tot = {"count": 0, "owned": 0, "free": 0, "own": 0, "others": 0, measure: 0.0}
        for r, share in zip(caught_rows, shares, strict=True):
            cur = current.get(r.id)
            name = r.name or (f"{r.code}" if r.code else f"#{r.id}")
            group = "free" if cur is None else ("own" if unit is not None and cur.unit_id == unit else "others")
            features.append(
                {
                    "kind": kind,
                    "id": r.id,
                    "name": name,
                    "code": r.code,
                    measure: round(float(r.measure or 0.0), 1),
                    "share": round(float(share), 3),
                    "current": holder_dict(cur),
                    "group": group,
                }
            )
            tot["count"] += 1
            tot["owned" if cur is not None else "free"] += 1
            if group != "free":
                tot[group] += 1
            tot[measure] += float(r.measure or 0.0)
            if cur is not None:
                o = owners.setdefault(
                    cur.unit_id, {"unit_id": cur.unit_id, "unit_name": cur.unit_name, "count": 0, "by_kind": {}}
                )
                o["count"] += 1
                o["by_kind"][kind] = o["by_kind"].get(kind, 0) + 1
        tot[measure] = round(float(tot[measure]), 1)
        totals[kind] = tot
    ranked = sorted(owners.values(), key=lambda o: (-int(o["count"]), str(o["unit_name"])))
    return {
        "as_of": on.isoformat(),
        "role": role_s,
        "shape": {
            "type": geom.geom_type,
            "vertices": vertex_count(geom),
            "buffer_m": buf if is_line else None,
            "area_m2": round(float(area_m.area), 1),
        },
        "features": features,
        "totals": totals,
        "owners": ranked,
        "groups": {g: sum(1 for f in features if f["group"] == g) for g in GROUPS},
        "losses": [o for o in ranked if unit is None or o["unit_id"] != unit],
    }


def _caught(
    kind: str, rows: Sequence[Any], epsg: int, area_m: BaseGeometry, is_line: bool
) -> tuple[list[Any], np.ndarray]:
    """Which candidate rows the drawn area catches (vectorised), and the share of each caught feature inside."""
    if not rows:
        return [], np.zeros(0)
    geoms = transform(shapely.from_wkb([bytes(r.wkb) for r in rows]), 4326, epsg)
    bad = ~shapely.is_valid(geoms)
    if bad.any():  # an imported feature that is not quite valid must not break the overlay maths
        geoms[bad] = shapely.make_valid(geoms[bad])
    if TARGETS[kind].geometry == "line":
        length = shapely.length(geoms)
        inside = shapely.length(shapely.intersection(geoms, area_m))
        share = np.divide(inside, length, out=np.zeros_like(length), where=length > 0)
        keep = share >= CATCH_SHARE - 1e-9
    elif is_line:  # a line drawn across compounds/grids catches those it crosses
        keep = shapely.intersects(geoms, area_m)
        area = shapely.area(geoms)
        share = np.divide(
            shapely.area(shapely.intersection(geoms, shapely.buffer(area_m, 1.0))),
            area,
            out=np.zeros_like(area),
            where=area > 0,
        )
    else:
        area = shapely.area(geoms)
        inter = shapely.area(shapely.intersection(geoms, area_m))
        share = np.divide(inter, area, out=np.zeros_like(area), where=area > 0)
        of_drawn = inter / max(area_m.area, 1e-9)
        keep = (share >= CATCH_SHARE - 1e-9) | (of_drawn >= CATCH_SHARE)
    idx = np.flatnonzero(keep)
    return [rows[i] for i in idx.tolist()], share[idx]
