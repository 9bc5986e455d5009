"""Unit grids for many communities at once: checks, tiling, codes, the quality report and old→new lineage.

Pure geometry on top of :mod:`gridmap.geo.gridding`: arrays in, arrays and plain dicts out. The use-case
:mod:`gridmap.grids.generate` reads the inputs from the database and writes the result.

Examples
--------
>>> from shapely.geometry import LineString, box
>>> from gridmap.geo.crs import transform
>>> comm = transform([box(512_000, 4_152_500, 512_400, 4_152_700)], 32649, 4326)
>>> road = transform([LineString([(512_200, 4_152_490), (512_200, 4_152_710)])], 32649, 4326)
>>> out = tile_communities(comm, ["141102001001"], road, [], target_m2=10_000, metric_epsg=32649)
>>> len(out.grids), out.grids["code"].iloc[0], out.report["gaps_m2"], out.report["overlaps_m2"]
(8, '14110200100101', 0.0, 0.0)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.errors
from shapely import STRtree

from gridmap.geo import crs
from gridmap.geo.gridding.codes import grid_codes
from gridmap.geo.gridding.parts import robust_intersection
from gridmap.geo.gridding.tile import Tiling, tile_community_report

__all__ = ["GridPlan", "area_summary", "check_communities", "lineage", "read_wkb", "tile_communities"]

OVERLAP_TOLERANCE_M2 = 0.01
"""Two communities overlapping by more than this (m²) are refused; shared edges overlap by 0."""

LINEAGE_MIN_M2 = 1.0
"""Old/new grid pairs overlapping by less than this (m²) only touch (or differ by digitising noise): no lineage."""


def _geoms(values: Any) -> np.ndarray:
    if isinstance(values, gpd.GeoDataFrame):
        values = values.geometry
    if isinstance(values, gpd.GeoSeries):
        values = values.array
    if values is None:
        return np.empty(0, dtype=object)
    return np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=object).ravel()


def read_wkb(values: Sequence[bytes | None]) -> tuple[np.ndarray, dict[int, str]]:
    """Geometries from WKB, and for each value that cannot be read (an unclosed ring...) why not.

    >>> import struct
    >>> ring = [(0, 0), (1, 0), (1, 1), (0, 1)]  # 4 points, first ≠ last
    >>> wkb = struct.pack("<BIII", 1, 3, 1, 4) + b"".join(struct.pack("<dd", *p) for p in ring)
    >>> geoms, errors = read_wkb([wkb])
    >>> geoms[0] is None, errors[0]
    (True, 'unreadable geometry: Points of LinearRing do not form a closed linestring')
    """
    raw = [None if v is None else bytes(v) for v in values]
    geoms = np.asarray(shapely.from_wkb(raw, on_invalid="ignore"), dtype=object).ravel() if raw else np.empty(0, object)
    errors: dict[int, str] = {}
    for i in np.flatnonzero(shapely.is_missing(geoms)) if len(geoms) else []:
        if raw[i] is None:
            continue
        try:
            shapely.from_wkb(raw[i])
        except shapely.errors.GEOSException as exc:
            errors[int(i)] = "unreadable geometry: " + str(exc).split(": ", 1)[-1]
        else:  # pragma: no cover - read once, refused once: keep the generic message
            errors[int(i)] = "unreadable geometry"
        geoms[i] = None
    return geoms, errors


def check_communities(geoms: Sequence[Any] | np.ndarray, codes: Sequence[str]) -> list[tuple[int, str]]:
    """Problems that make community polygons unusable for tiling, as ``(index, message)``; empty when fine.

    Finds missing or empty geometries, non-polygons, invalid polygons (self-intersections, unclosed or
    too-short rings, with GEOS' reason and location), malformed codes, and pairs of communities overlapping
    by more than :data:`OVERLAP_TOLERANCE_M2` (the overlap area and where it is).

    >>> from shapely.geometry import box
    >>> check_communities([box(111, 37, 111.01, 37.01), box(111.005, 37, 111.02, 37.01)], ["1" * 12, "2" * 12])
    [(0, 'overlaps community 222222222222 by 493,488 m² around (111.00750, 37.00500)')]
    """
    geoms = _geoms(geoms)
    codes = [str(c) for c in codes]
    if len(codes) != len(geoms):
        raise ValueError(f"{len(codes)} codes for {len(geoms)} communities")
    problems: list[tuple[int, str]] = []
    usable = np.zeros(len(geoms), dtype=bool)
    for i, (g, code) in enumerate(zip(geoms, codes, strict=True)):
        if not (len(code) == 12 and code.isdigit()):
            problems.append((i, f"community code {code!r} is not 12 digits (district 6 + street 3 + community 3)"))
        if g is None or shapely.is_missing(g) or g.is_empty:
            problems.append((i, "has no geometry"))
        elif g.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append((i, f"is a {g.geom_type}, not a polygon"))
        elif not g.is_valid:
            problems.append((i, f"invalid polygon: {shapely.is_valid_reason(g)}"))
        else:
            usable[i] = True
    idx = np.flatnonzero(usable)
    if idx.size > 1:
        polys = geoms[idx]
        a, b = STRtree(polys).query(polys, predicate="intersects")
        keep = a < b
        a, b = a[keep], b[keep]
        if a.size:
            inter = shapely.intersection(polys[a], polys[b])
            area = crs.areas_m2(inter) if len(inter) else np.zeros(0)
            for k in np.flatnonzero(area > OVERLAP_TOLERANCE_M2):
                c = shapely.point_on_surface(inter[k])
                problems.append(
                    (
                        int(idx[a[k]]),
                        f"overlaps community {codes[idx[b[k]]]} by {area[k]:,.0f} m² around ({c.x:.5f}, {c.y:.5f})",
                    )
                )
    dup = pd.Series(codes).duplicated(keep="first")
    problems.extend((int(i), f"community code {codes[i]} appears twice") for i in np.flatnonzero(dup.to_numpy()))
    return sorted(problems)


def area_summary(areas_m2: Sequence[float] | np.ndarray) -> dict[str, float]:
    """min / p10 / median / p90 / max / mean of grid areas (m², rounded to 1 m²); zeros when empty.

    >>> area_summary([5_000, 10_000, 12_000])["median"]
    10000.0
    """
    a = np.asarray(areas_m2, dtype=float)
    if a.size == 0:
        return {k: 0.0 for k in ("min", "p10", "median", "p90", "max", "mean")}
    p = np.percentile(a, [0, 10, 50, 90, 100])
    return {
        "min": float(round(p[0])),
        "p10": float(round(p[1])),
        "median": float(round(p[2])),
        "p90": float(round(p[3])),
        "max": float(round(p[4])),
        "mean": float(round(a.mean())),
    }


@dataclass
class GridPlan:
    """Grids for a set of communities (EPSG:4326) and the quality report.

    ``grids`` has ``code``, ``community_code``, ``area_m2`` and ``geometry``, sorted by code; ``report`` is
    JSON-ready (see :func:`tile_communities`); ``per_community`` one row per community.
    """

    grids: gpd.GeoDataFrame
    report: dict[str, Any]
    per_community: list[dict[str, Any]] = field(default_factory=list)


def tile_communities(
    communities: Sequence[Any] | np.ndarray,
    codes: Sequence[str],
    roads: Iterable[Any] | np.ndarray,
    compounds: Iterable[Any] | np.ndarray,
    *,
    target_m2: float | Sequence[float] | np.ndarray = 10_000.0,
    seq_width: int = 2,
    metric_epsg: int | None = None,
    sliver_frac: float = 0.25,
    barriers: Iterable[Any] | np.ndarray | None = None,
    oversize_frac: float = 1.5,
) -> GridPlan:
    """Tile every community, number its grids and check the result.

    Parameters
    ----------
    communities, codes
        Community polygons (EPSG:4326) and their 12-digit codes; check them first with
        :func:`check_communities` (this function raises ``ValueError`` on the first bad one).
    roads
        Road centre-lines (EPSG:4326), any extent.
    compounds
        Compound polygons (EPSG:4326); none is split.
    target_m2
        Wanted grid area (m²): one for all, or one per community (smaller in a dense core, larger at the fringe).
    sliver_frac, oversize_frac, barriers
        As in :func:`gridmap.geo.gridding.tile_community_report`.
    seq_width
        Digits of the sequence number (2: CJ/T 213, 14-digit codes; 3: Beijing, 15 digits).
    metric_epsg
        Metric CRS; default: the UTM zone of the communities.

    Returns
    -------
    GridPlan
        ``report`` holds ``communities``, ``grids``, ``target_m2``, ``area_m2`` (:func:`area_summary`),
        ``below_half_target`` / ``above_double_target`` (counts), ``slivers_merged``, ``compound_joins``,
        ``cuts``, ``forced_compounds`` (``[{community_code, compound_index, grid_code, grid_area_m2}]``:
        compounds behind an oversized grid), ``compounds_split`` (should be 0), ``gaps_m2`` /
        ``overlaps_m2`` / ``outside_m2`` (should be 0: measured per community after tiling).
    """
    comm = _geoms(communities)
    codes = [str(c) for c in codes]
    if len(codes) != len(comm):
        raise ValueError(f"{len(codes)} codes for {len(comm)} communities")
    targets = np.broadcast_to(np.asarray(target_m2, dtype=float), (len(comm),))
    if not (np.isfinite(targets).all() and (targets > 0).all()):
        raise ValueError(f"target_m2 must be positive, got {target_m2}")
    if seq_width not in (2, 3, 4):
        raise ValueError(f"seq_width must be 2, 3 or 4, got {seq_width}")
    road_arr = _geoms(roads)
    road_arr = road_arr[~shapely.is_missing(road_arr)] if road_arr.size else road_arr
    comp_arr = _geoms(compounds)
    comp_arr = comp_arr[~shapely.is_missing(comp_arr)] if comp_arr.size else comp_arr
    bar_arr = _geoms(barriers)
    epsg = metric_epsg or (crs.metric_epsg_for(comm) if len(comm) else 32649)
    road_tree = STRtree(road_arr) if road_arr.size else None
    comp_tree = STRtree(comp_arr) if comp_arr.size else None
    bar_tree = STRtree(bar_arr) if bar_arr.size else None

    rows: list[dict[str, Any]] = []
    geoms: list[Any] = []
    per_comm: list[dict[str, Any]] = []
    forced: list[dict[str, Any]] = []
    totals = {"slivers_merged": 0, "compound_joins": 0, "cuts": 0, "blocks": 0}
    gaps = overlaps = outside = 0.0
    split = 0
    for poly, code, target in zip(comm, codes, targets.tolist(), strict=True):
        r = road_arr[road_tree.query(poly)] if road_tree is not None else road_arr
        ci = comp_tree.query(poly, predicate="intersects") if comp_tree is not None else np.zeros(0, dtype=np.int64)
        b = bar_arr[bar_tree.query(poly)] if bar_tree is not None else None
        tiling = tile_community_report(
            poly,
            r,
            comp_arr[ci],
            target_m2=target,
            metric_epsg=epsg,
            sliver_frac=sliver_frac,
            barriers=b,
            oversize_frac=oversize_frac,
        )
        grid_list = grid_codes(code, tiling.grids, seq_width=seq_width)
        for k in ("slivers_merged", "compound_joins", "cuts", "blocks"):
            totals[k] += getattr(tiling, k)
        check = _check_tiling(poly, tiling.grids, comp_arr[ci], epsg)
        gaps, outside, overlaps = gaps + check.gaps_m2, outside + check.outside_m2, overlaps + check.overlaps_m2
        split += check.compounds_split
        code_arr = np.asarray(grid_list, dtype=object)
        forced += _forced_compounds(code, tiling, code_arr, comp_arr, ci)
        per_comm.append(
            {
                "community_code": code,
                "grids": len(grid_list),
                "area_m2": round(check.community_m2),
                "target_m2": target,
                "slivers_merged": tiling.slivers_merged,
                "forced_compounds": len(tiling.forced_compounds),
            }
        )
        for j in np.argsort(code_arr, kind="stable"):
            rows.append({"code": grid_list[j], "community_code": code, "area_m2": float(tiling.area_m2[j])})
            geoms.append(tiling.grids[j])

    df = pd.DataFrame(rows, columns=["code", "community_code", "area_m2"])
    grids = gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(np.asarray(geoms, dtype=object)), crs=crs.STORAGE_SRID)
    areas = df["area_m2"].to_numpy(dtype=float)
    grid_target = np.repeat(targets, [p["grids"] for p in per_comm]) if len(per_comm) else np.zeros(0)
    report: dict[str, Any] = {
        "communities": len(comm),
        "grids": len(grids),
        "target_m2": float(targets[0]) if len(targets) and (targets == targets[0]).all() else targets.tolist(),
        "seq_width": int(seq_width),
        "area_m2": area_summary(areas),
        "below_half_target": int((areas < 0.5 * grid_target).sum()),
        "above_double_target": int((areas > 2.0 * grid_target).sum()),
        **totals,
        "forced_compounds": forced,
        "compounds_split": split,
        "gaps_m2": round(gaps, 3) + 0.0,
        "overlaps_m2": round(overlaps, 3) + 0.0,
        "outside_m2": round(outside, 3) + 0.0,
    }
    return GridPlan(grids=grids, report=report, per_community=per_comm)


class _TilingCheck(NamedTuple):
    """What one community's tiling left wrong (all should be 0), and the community's area, in m²."""

    gaps_m2: float
    outside_m2: float
    overlaps_m2: float
    compounds_split: int
    community_m2: float


def _check_tiling(poly: Any, grids: np.ndarray, compounds: np.ndarray, epsg: int) -> _TilingCheck:
    """Check what was made: union = community, no overlaps, no compound split. Measured in degrees² and scaled to
    m² (projecting would bend the edges of the two sides differently where a cut added a vertex)."""
    g_m = crs.transform(grids, crs.STORAGE_SRID, epsg)
    poly_m = crs.transform(np.array([poly], dtype=object), crs.STORAGE_SRID, epsg)[0]
    scale = poly_m.area / poly.area
    union = shapely.union_all(grids)
    split = 0
    if compounds.size:
        cm = crs.transform(compounds, crs.STORAGE_SRID, epsg)
        a, gj = STRtree(g_m).query(cm, predicate="intersects")
        ov = shapely.area(robust_intersection(cm[a], g_m[gj]))
        real = ov > 1e-6 * shapely.area(cm[a]) + 1e-6
        split = int((np.bincount(a[real], minlength=len(cm)) > 1).sum())
    return _TilingCheck(
        gaps_m2=float(poly.difference(union).area) * scale,
        outside_m2=float(union.difference(poly).area) * scale,
        overlaps_m2=max(0.0, float(shapely.area(grids).sum() - union.area)) * scale,
        compounds_split=split,
        community_m2=float(poly_m.area),
    )


def _forced_compounds(
    code: str, tiling: Tiling, code_arr: np.ndarray, comp_arr: np.ndarray, ci: np.ndarray
) -> list[dict[str, Any]]:
    """The compounds of one community left behind an oversized grid, with the grid that holds each."""
    out: list[dict[str, Any]] = []
    for c_local in tiling.forced_compounds:
        hit = shapely.intersects(tiling.grids, shapely.point_on_surface(comp_arr[ci][c_local]))
        j = int(np.flatnonzero(hit)[0]) if hit.any() else -1
        out.append(
            {
                "community_code": code,
                "compound_index": int(ci[c_local]),
                "grid_code": str(code_arr[j]) if j >= 0 else None,
                "grid_area_m2": round(float(tiling.area_m2[j])) if j >= 0 else None,
            }
        )
    return out


def lineage(
    old: Sequence[Any] | np.ndarray, new: Sequence[Any] | np.ndarray, *, metric_epsg: int | None = None
) -> pd.DataFrame:
    """Which old grid maps to which new ones: every pair overlapping by more than :data:`LINEAGE_MIN_M2`.

    Returns a DataFrame with ``old``, ``new`` (indices), ``overlap_m2``, ``share_of_old`` (the part of the old
    grid that went to this new one) and ``share_of_new`` (the part of the new grid that was this old one),
    sorted by ``new`` then decreasing overlap.

    >>> from shapely.geometry import box
    >>> lineage([box(111, 37, 111.002, 37.001)], [box(111, 37, 111.001, 37.001), box(111.001, 37, 111.002, 37.001)])[
    ...     ["old", "new", "share_of_old", "share_of_new"]].round(2).values.tolist()
    [[0.0, 0.0, 0.5, 1.0], [0.0, 1.0, 0.5, 1.0]]
    """
    old_a, new_a = _geoms(old), _geoms(new)
    cols = ["old", "new", "overlap_m2", "share_of_old", "share_of_new"]
    if old_a.size == 0 or new_a.size == 0:
        return pd.DataFrame({c: pd.Series(dtype=float if c.startswith(("overlap", "share")) else int) for c in cols})
    epsg = metric_epsg or crs.metric_epsg_for(np.concatenate([old_a, new_a]))
    old_m = crs.transform(old_a, crs.STORAGE_SRID, epsg)
    new_m = crs.transform(new_a, crs.STORAGE_SRID, epsg)
    n_idx, o_idx = STRtree(old_m).query(new_m, predicate="intersects")
    inter = shapely.area(robust_intersection(old_m[o_idx], new_m[n_idx])) if n_idx.size else np.zeros(0)
    keep = inter > LINEAGE_MIN_M2
    o_idx, n_idx, inter = o_idx[keep], n_idx[keep], inter[keep]
    out = pd.DataFrame(
        {
            "old": o_idx.astype(np.int64),
            "new": n_idx.astype(np.int64),
            "overlap_m2": inter,
            "share_of_old": inter / np.maximum(shapely.area(old_m)[o_idx], 1e-12),
            "share_of_new": inter / np.maximum(shapely.area(new_m)[n_idx], 1e-12),
        }
    )
    return out.sort_values(["new", "overlap_m2"], ascending=[True, False], kind="stable").reset_index(drop=True)
