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
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmap.accounts.scope import Scope
from gridmap.errors import InvalidInput, Problem
from gridmap.geo.crs import metric_epsg_for, transform
from gridmap.inputs import parse_day
from gridmap.responsibility import gap_totals
from gridmap.responsibility.history import area_units
from gridmap.responsibility.places import Areas, Layer, load_areas, load_layer
from gridmap.store.models import Unit
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


def _nearest_units(layer: Layer, gap_rows: np.ndarray, radius_m: float) -> dict[int, list[tuple[int, float]]]:
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


def _area_filter(areas: Areas, street: object, community: object, problems: list[Problem]):
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


def _scope_rows(areas: Areas, scope: Scope | None) -> np.ndarray | None:
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
    areas = load_areas(session)
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
        layer = load_layer(session, kind, on, areas)
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


def _figures(t: Sequence[int]) -> dict[str, float | None]:
    """The published totals of one place from its :data:`~gridmap.responsibility.gap_totals.SUMS` figures (per kind
    of ``KINDS`` — segment, compound, grid — features, gaps, measure_milli, gap_milli), Python ints: numpy's round
    is slow."""
    seg, comp, grid = t[0:4], t[4:8], t[8:12]
    seg_m, seg_gap_m = seg[2] / 1000, seg[3] / 1000
    grid_m2, grid_gap_m2 = grid[2] / 1000, grid[3] / 1000
    n_comp, n_comp_gap = int(comp[0]), int(comp[1])
    return {
        "segments": int(seg[0]),
        "segments_unassigned": int(seg[1]),
        "segments_km": round(seg_m / 1000, 3),
        "segments_unassigned_km": round(seg_gap_m / 1000, 3),
        "segments_coverage": round(1 - seg_gap_m / seg_m, 4) if seg_m else None,
        "compounds": n_comp,
        "compounds_unassigned": n_comp_gap,
        "compounds_coverage": round(1 - n_comp_gap / n_comp, 4) if n_comp else None,
        "grids": int(grid[0]),
        "grids_unassigned": int(grid[1]),
        "grids_km2": round(grid_m2 / 1e6, 4),
        "grids_unassigned_km2": round(grid_gap_m2 / 1e6, 4),
        "grids_coverage": round(1 - grid_gap_m2 / grid_m2, 4) if grid_m2 else None,
    }


def _flat_sums(t: dict[str, np.ndarray]) -> list[int]:
    """Per-kind sums as the flat :data:`~gridmap.responsibility.gap_totals.SUMS` figures."""
    return [int(v) for k in KINDS for v in (t[k] if k in t else np.zeros(4, np.int64))]


assert KINDS == ("segment", "compound", "grid")  # the order _figures reads


def summary(
    session: Session, at: object = None, scope: Scope | None = None, today: dt.date | None = None
) -> dict[str, Any]:
    """Totals for the whole district(s) (or ``scope``), per 街道 and per 社区, on day ``at`` (default today).

    Today's come from the maintained tables (:mod:`~gridmap.responsibility.gap_totals`); a past or future day is
    recomputed from every feature."""
    problems: list[Problem] = []
    today = today or dt.date.today()
    on = parse_day(at, "at", problems, default=today)
    if problems:
        raise InvalidInput(problems)
    assert on is not None
    if on == today and gap_totals.ensure_current(session, today):
        return _summary_rolled_up(session, on, scope)
    return summary_of(load_areas(session, geometry=False), gap_totals.recomputed(session, on), on, scope)


def _summary_rolled_up(session: Session, on: dt.date, scope: Scope | None) -> dict[str, Any]:
    """The summary from the maintained totals summed per place in SQL: the work is that of the answer's rows."""
    got = gap_totals.rolled_up(
        session, scope.community_ids if scope is not None and scope.area_id is not None else None
    )
    comms: dict[int, list[dict[str, object]]] = {}
    for c in got.communities:
        entry: dict[str, object] = {"id": c.id, "code": c.code, "name": c.name, **_figures(c.sums)}
        comms.setdefault(int(c.parent_id or 0), []).append(entry)
    streets = [
        {"code": s.code, "name": s.name, **_figures(s.sums), "communities": comms.get(s.id, [])} for s in got.streets
    ]
    return {
        "as_of": on.isoformat(),
        "district": _figures(got.whole),
        "streets": streets,
        "outside": _figures(got.outside) if got.outside is not None else None,
    }


def summary_of(areas: Areas, totals: pd.DataFrame, on: dt.date, scope: Scope | None = None) -> dict[str, Any]:
    """The summary's answer from per-community totals (:data:`~gridmap.responsibility.gap_totals.COLUMNS`)."""
    row_of = {int(a): i for i, a in enumerate(areas.ids)}
    sums: dict[int, dict[str, np.ndarray]] = {}  # community row (-1 outside) → kind → sums
    columns = [totals[c].tolist() for c in gap_totals.COLUMNS]
    for kind, community_id, *figures in zip(*columns, strict=True):
        per = sums.setdefault(row_of.get(int(community_id), -1), {})
        per[kind] = per.get(kind, np.zeros(4, np.int64)) + np.array(figures, np.int64)
    in_scope = _scope_rows(areas, scope)
    if in_scope is not None:
        keep = set(in_scope.tolist())
        sums = {c: v for c, v in sums.items() if c in keep}

    def added(rows: Any) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for c in rows:
            for kind, v in sums.get(int(c), {}).items():
                out[kind] = out.get(kind, np.zeros(4, np.int64)) + v
        return out

    streets = []
    for s in range(len(areas.street_ids)):
        rows = np.flatnonzero(areas.parent == s)
        if in_scope is not None:
            rows = np.intersect1d(rows, in_scope)
            if not len(rows):
                continue
        comms = [
            {
                "id": int(areas.ids[c]),
                "code": areas.codes[c],
                "name": areas.names[c],
                **_figures(_flat_sums(added([c]))),
            }
            for c in rows
        ]
        streets.append(
            {
                "code": areas.street_codes[s],
                "name": areas.street_names[s],
                **_figures(_flat_sums(added(rows))),
                "communities": comms,
            }
        )
    outside_rows = [c for c in sums if c < 0 or areas.parent[c] < 0]
    return {
        "as_of": on.isoformat(),
        "district": _figures(_flat_sums(added(sums))),
        "streets": streets,
        "outside": _figures(_flat_sums(added(outside_rows))) if outside_rows else None,
    }
