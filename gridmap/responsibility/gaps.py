"""Gaps: the segments, compounds and grids nobody is responsible for (now or on a chosen day), where they are, and
who is nearest to take them.

DOMAIN.md: every feature should have exactly one responsible party; where none is named the local government is
responsible by default (属地兜底) — so "unassigned" is a gap to find and close. Each gap carries

* its 街道 and 社区 (grids and compounds: their community; segments: the community holding their midpoint),
* the default party 属地兜底 (the community's unit, else the street office's),
* a "who is nearest" suggestion: the units responsible for the nearest assigned features of the same kind within
  ``nearest_m`` (300 m), found for all gaps at once with a shapely STRtree in the local metric CRS.

Totals per 街道 and 社区 (unassigned road km, unassigned compounds, unassigned grid km², coverage rates) add up to
the district totals: every feature is counted in exactly one community (or in "outside every community").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping
from sqlalchemy import null, select
from sqlalchemy.orm import Session

from gridmap.accounts.scope import Scope
from gridmap.errors import InvalidInput, Problem
from gridmap.geo.crs import metric_epsg_for, transform
from gridmap.inputs import parse_day
from gridmap.responsibility.history import area_units, responsible_at
from gridmap.store.dialect import wkb
from gridmap.store.models import Area, Unit
from gridmap.store.targets import KINDS, TARGETS, parse_kinds

NEAREST_M = 300.0
NEAREST_UNITS = 3
CSV_COLUMNS = (
    "kind",
    "id",
    "code",
    "name",
    "length_m",
    "area_m2",
    "street_code",
    "street",
    "community_code",
    "community",
    "default_unit",
    "nearest_unit",
    "nearest_distance_m",
    "other_nearby_units",
)
CSV_HEADERS_ZH = {
    "kind": "类型", "id": "编号", "code": "编码", "name": "名称", "length_m": "长度（米）", "area_m2": "面积（平方米）",
    "street_code": "街道代码", "street": "街道", "community_code": "社区代码", "community": "社区",
    "default_unit": "属地兜底单位", "nearest_unit": "就近单位", "nearest_distance_m": "就近距离（米）",
    "other_nearby_units": "其他附近单位",
}  # fmt: skip
"""The CSV's headers for a zh-CN reader (a spreadsheet opened in a command centre); English readers get the names."""
assert set(CSV_HEADERS_ZH) == set(CSV_COLUMNS)


@dataclass
class _Layer:
    kind: str
    ids: np.ndarray
    names: np.ndarray
    codes: np.ndarray
    measure: np.ndarray  # metres (segments) or m² (polygons)
    geoms: np.ndarray  # EPSG:4326
    community: np.ndarray  # row in the communities table, -1 outside every community
    unit: np.ndarray  # responsible unit id on the day, -1 for a gap


@dataclass
class _Areas:
    ids: np.ndarray
    codes: np.ndarray
    names: np.ndarray
    parent: np.ndarray  # street row of each community (-1 none)
    geoms: np.ndarray
    street_ids: np.ndarray
    street_codes: np.ndarray
    street_names: np.ndarray


def _load_areas(session: Session) -> _Areas:
    streets = session.execute(
        select(Area.id, Area.code, Area.name).where(Area.level == "street").order_by(Area.code)
    ).all()
    comms = session.execute(
        select(Area.id, Area.code, Area.name, Area.parent_id, wkb(Area.geom).label("wkb"))
        .where(Area.level == "community")
        .order_by(Area.code)
    ).all()
    street_row = {r.id: i for i, r in enumerate(streets)}
    return _Areas(
        ids=np.array([r.id for r in comms], dtype=np.int64),
        codes=np.array([r.code for r in comms], dtype=object),
        names=np.array([r.name for r in comms], dtype=object),
        parent=np.array([street_row.get(r.parent_id, -1) for r in comms], dtype=np.int64),
        geoms=shapely.from_wkb([bytes(r.wkb) for r in comms]) if comms else np.zeros(0, object),
        street_ids=np.array([r.id for r in streets], dtype=np.int64),
        street_codes=np.array([r.code for r in streets], dtype=object),
        street_names=np.array([r.name for r in streets], dtype=object),
    )


def _spatial_community(areas: _Areas, points: np.ndarray) -> np.ndarray:
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


def _load_layer(session: Session, kind: str, on: dt.date, areas: _Areas) -> _Layer:
    row_of_area = {int(a): i for i, a in enumerate(areas.ids)}
    target = TARGETS[kind]
    community_col = target.column(target.community_column) if target.community_column else null()
    rows = session.execute(
        select(*target.columns(), community_col.label("community_id"))
        .where(target.current_on(on))
        .order_by(target.column("id"))
    ).all()
    comm_ids = [r.community_id for r in rows]
    geoms = shapely.from_wkb([bytes(r.wkb) for r in rows]) if rows else np.zeros(0, object)
    community = np.array([row_of_area.get(c, -1) if c is not None else -1 for c in comm_ids], dtype=np.int64)
    missing = np.flatnonzero(community < 0)
    if len(missing):
        if target.geometry == "line":
            pts = shapely.line_interpolate_point(geoms[missing], 0.5, normalized=True)
        else:
            pts = shapely.point_on_surface(geoms[missing])
        community[missing] = _spatial_community(areas, pts)
    ids = np.array([r.id for r in rows], dtype=np.int64)
    resp = responsible_at(session, kind, None, on)
    unit = np.fromiter((resp.get(int(i), (-1, ""))[0] for i in ids), np.int64, len(ids))
    return _Layer(
        kind=kind,
        ids=ids,
        names=np.array([r.name or f"{target.label_zh} {r.code or r.id}" for r in rows], dtype=object),
        codes=np.array([r.code for r in rows], dtype=object),
        measure=np.array([float(r.measure or 0.0) for r in rows], dtype=float),
        geoms=geoms,
        community=community,
        unit=unit,
    )


def _nearest_units(layer: _Layer, gap_rows: np.ndarray, radius_m: float) -> dict[int, list[tuple[int, float]]]:
    """For each gap row: [(unit_id, distance_m)] of the nearest units holding a same-kind feature within radius."""
    assigned = np.flatnonzero(layer.unit >= 0)
    if not len(gap_rows) or not len(assigned) or radius_m <= 0:
        return {}
    epsg = metric_epsg_for(layer.geoms)
    gap_m = transform(layer.geoms[gap_rows], 4326, epsg)
    own_m = transform(layer.geoms[assigned], 4326, epsg)
    tree = shapely.STRtree(own_m)
    gi, oi = tree.query(gap_m, predicate="dwithin", distance=radius_m)
    if not len(gi):
        return {}
    dist = shapely.distance(gap_m[gi], own_m[oi])
    df = pd.DataFrame({"gap": gap_rows[gi], "unit": layer.unit[assigned[oi]], "d": dist})
    best = df.groupby(["gap", "unit"], sort=False)["d"].min().reset_index().sort_values(["gap", "d", "unit"])
    best = best.groupby("gap", sort=False).head(NEAREST_UNITS)
    out: dict[int, list[tuple[int, float]]] = {}
    for g, u, d in best.itertuples(index=False):
        out.setdefault(int(g), []).append((int(u), round(float(d), 1)))
    return out


def _area_filter(areas: _Areas, street: object, community: object, problems: list[Problem]):
    """Community rows allowed by the street/community filters (codes or names), or None for all."""
    allowed: np.ndarray | None = None
    if street not in (None, ""):
        s = str(street).strip()
        hit = np.flatnonzero((areas.street_codes == s) | (areas.street_names == s))
        if not len(hit):
            problems.append(Problem(f"no 街道 {s!r} (give its code or name)", field="street"))
        else:
            allowed = np.flatnonzero(areas.parent == hit[0])
    if community not in (None, ""):
        c = str(community).strip()
        hit = np.flatnonzero((areas.codes == c) | (areas.names == c))
        if not len(hit):
            problems.append(Problem(f"no 社区 {c!r} (give its code or name)", field="community"))
        else:
            allowed = hit if allowed is None else np.intersect1d(allowed, hit)
    return allowed


def _scope_rows(areas: _Areas, scope: Scope | None) -> np.ndarray | None:
    """The community rows in ``scope`` (None: no area scope)."""
    if scope is None or scope.area_id is None:
        return None
    return np.flatnonzero(np.isin(areas.ids, np.fromiter(scope.community_ids, np.int64, len(scope.community_ids))))


def find_gaps(
    session: Session,
    at: object = None,
    kinds: object = None,
    street: object = None,
    community: object = None,
    nearest_m: object = None,
    with_geometry: bool = True,
    scope: Scope | None = None,
) -> dict[str, object]:
    """The gaps on day ``at`` (default today) in ``scope``, filtered by kind and 街道/社区, each with where it is,
    its default party and the nearest units. ``items[*]["geometry"]`` is a shapely geometry when
    ``with_geometry``."""
    problems: list[Problem] = []
    on = parse_day(at, "at", problems, default=dt.date.today())
    kinds_t = parse_kinds(kinds, problems, field="kind")
    radius = NEAREST_M
    if nearest_m not in (None, ""):
        try:
            radius = float(nearest_m)  # type: ignore[arg-type]  # any input: what float() refuses raises, caught below
        except (TypeError, ValueError):
            problems.append(Problem(f"{nearest_m!r} is not a number of metres", field="nearest_m"))
        else:
            if not 0 <= radius <= 5000:
                problems.append(Problem("must be between 0 and 5000 metres", field="nearest_m"))
    areas = _load_areas(session)
    allowed = _area_filter(areas, street, community, problems)
    in_scope = _scope_rows(areas, scope)
    if in_scope is not None:
        allowed = in_scope if allowed is None else np.intersect1d(allowed, in_scope)
    if problems:
        raise InvalidInput(problems)
    assert on is not None
    unit_names = dict(session.execute(select(Unit.id, Unit.name)).all())
    default_of_area = {a: u for a, (u, _n) in area_units(session).items()}
    items: list[dict[str, object]] = []
    totals: dict[str, dict[str, float]] = {}
    for kind in kinds_t:
        layer = _load_layer(session, kind, on, areas)
        gap = layer.unit < 0
        if allowed is not None:
            gap &= np.isin(layer.community, allowed)
        rows = np.flatnonzero(gap)
        nearest = _nearest_units(layer, rows, radius)
        measure = TARGETS[kind].measure
        totals[kind] = {"count": len(rows), measure: round(float(layer.measure[rows].sum()), 1)}
        for r in rows:
            c = int(layer.community[r])
            s = int(areas.parent[c]) if c >= 0 else -1
            default_unit = default_of_area.get(int(areas.ids[c])) if c >= 0 else None
            if default_unit is None and s >= 0:
                default_unit = default_of_area.get(int(areas.street_ids[s]))
            item: dict[str, object] = {
                "kind": kind,
                "id": int(layer.ids[r]),
                "code": layer.codes[r],
                "name": layer.names[r],
                measure: round(float(layer.measure[r]), 1),
                "street": {"code": areas.street_codes[s], "name": areas.street_names[s]} if s >= 0 else None,
                "community": {"code": areas.codes[c], "name": areas.names[c]} if c >= 0 else None,
                "default_unit": {"id": default_unit, "name": unit_names.get(default_unit)} if default_unit else None,
                "nearest": [
                    {"unit_id": u, "unit_name": unit_names.get(u), "distance_m": d} for u, d in nearest.get(int(r), [])
                ],
            }
            if with_geometry:
                item["geometry"] = layer.geoms[r]
            items.append(item)
    return {
        "as_of": on.isoformat(),
        "filters": {
            "kinds": list(kinds_t),
            "street": street or None,
            "community": community or None,
            "nearest_m": radius,
        },
        "totals": totals,
        "count": len(items),
        "items": items,
    }


def without_geometry(result: dict[str, Any]) -> dict[str, object]:
    items = [{k: v for k, v in it.items() if k != "geometry"} for it in result["items"]]
    return {**result, "items": items}


def as_geojson(result: dict[str, Any]) -> dict[str, object]:
    """A FeatureCollection (EPSG:4326) of the gaps; properties flattened for GIS tools."""
    features = []
    for it in result["items"]:
        props = {k: v for k, v in it.items() if k not in ("geometry", "street", "community", "nearest", "default_unit")}
        props.update(_flat(it))
        props["nearest"] = it["nearest"]
        geom = it.get("geometry")
        features.append(
            {
                "type": "Feature",
                "id": f"{it['kind']}.{it['id']}",
                "geometry": mapping(geom) if geom is not None else None,
                "properties": props,
            }
        )
    return {
        "type": "FeatureCollection",
        "as_of": result["as_of"],
        "totals": result["totals"],
        "numberMatched": len(features),
        "numberReturned": len(features),
        "features": features,
    }


def _flat(it: dict[str, Any]) -> dict[str, object]:
    near = it["nearest"]
    return {
        "street_code": it["street"]["code"] if it["street"] else None,
        "street": it["street"]["name"] if it["street"] else None,
        "community_code": it["community"]["code"] if it["community"] else None,
        "community": it["community"]["name"] if it["community"] else None,
        "default_unit": it["default_unit"]["name"] if it["default_unit"] else None,
        "nearest_unit": near[0]["unit_name"] if near else None,
        "nearest_distance_m": near[0]["distance_m"] if near else None,
        "other_nearby_units": "；".join(n["unit_name"] or "" for n in near[1:]) or None,
    }


def csv_header(lang: str = "en") -> list[str]:
    return [CSV_HEADERS_ZH[c] for c in CSV_COLUMNS] if lang == "zh_CN" else list(CSV_COLUMNS)


def csv_rows(result: dict[str, Any], lang: str = "en") -> list[list[object]]:
    """One row per gap; for a zh-CN reader the kind is its Chinese name (路段, 小区, 网格)."""
    rows = []
    for it in result["items"]:
        flat = {**it, **_flat(it)}
        if lang == "zh_CN" and flat.get("kind") in TARGETS:
            flat["kind"] = TARGETS[str(flat["kind"])].label_zh
        rows.append(["" if flat.get(c) is None else flat.get(c) for c in CSV_COLUMNS])
    return rows


# -- totals per 街道 / 社区 -------------------------------------------------------------------------------------------


def _totals(seg: pd.DataFrame, comp: pd.DataFrame, grid: pd.DataFrame) -> dict[str, float | None]:
    seg_m, seg_gap_m = float(seg["m"].sum()), float(seg.loc[seg["gap"], "m"].sum())
    grid_m2, grid_gap_m2 = float(grid["m"].sum()), float(grid.loc[grid["gap"], "m"].sum())
    n_comp, n_comp_gap = len(comp), int(comp["gap"].sum())
    return {
        "segments": len(seg),
        "segments_unassigned": int(seg["gap"].sum()),
        "segments_km": round(seg_m / 1000, 3),
        "segments_unassigned_km": round(seg_gap_m / 1000, 3),
        "segments_coverage": round(1 - seg_gap_m / seg_m, 4) if seg_m else None,
        "compounds": n_comp,
        "compounds_unassigned": n_comp_gap,
        "compounds_coverage": round(1 - n_comp_gap / n_comp, 4) if n_comp else None,
        "grids": len(grid),
        "grids_unassigned": int(grid["gap"].sum()),
        "grids_km2": round(grid_m2 / 1e6, 4),
        "grids_unassigned_km2": round(grid_gap_m2 / 1e6, 4),
        "grids_coverage": round(1 - grid_gap_m2 / grid_m2, 4) if grid_m2 else None,
    }


def summary(session: Session, at: object = None, scope: Scope | None = None) -> dict[str, Any]:
    """Totals for the whole district(s) (or ``scope``), per 街道 and per 社区, on day ``at`` (default today)."""
    problems: list[Problem] = []
    on = parse_day(at, "at", problems, default=dt.date.today())
    if problems:
        raise InvalidInput(problems)
    assert on is not None
    areas = _load_areas(session)
    frames = {}
    for kind in KINDS:
        layer = _load_layer(session, kind, on, areas)
        frames[kind] = pd.DataFrame({"c": layer.community, "m": layer.measure, "gap": layer.unit < 0})
    in_scope = _scope_rows(areas, scope)
    if in_scope is not None:
        frames = {k: df[np.isin(df["c"].to_numpy(), in_scope)].copy() for k, df in frames.items()}
    seg, comp, grid = frames["segment"], frames["compound"], frames["grid"]
    street_of = np.r_[areas.parent, -1]  # community row → street row; row -1 (outside) → -1
    for df in frames.values():
        df["s"] = street_of[df["c"].to_numpy()]
    streets = []
    for s in range(len(areas.street_ids)):
        comms = []
        rows = np.flatnonzero(areas.parent == s)
        if in_scope is not None:
            rows = np.intersect1d(rows, in_scope)
            if not len(rows):
                continue
        for c in rows:
            comms.append(
                {
                    "code": areas.codes[c],
                    "name": areas.names[c],
                    **_totals(seg[seg.c == c], comp[comp.c == c], grid[grid.c == c]),
                }
            )
        streets.append(
            {
                "code": areas.street_codes[s],
                "name": areas.street_names[s],
                **_totals(seg[seg.s == s], comp[comp.s == s], grid[grid.s == s]),
                "communities": comms,
            }
        )
    outside = (seg.s < 0).any() or (comp.s < 0).any() or (grid.s < 0).any()
    return {
        "as_of": on.isoformat(),
        "district": _totals(seg, comp, grid),
        "streets": streets,
        "outside": _totals(seg[seg.s < 0], comp[comp.s < 0], grid[grid.s < 0]) if outside else None,
    }
