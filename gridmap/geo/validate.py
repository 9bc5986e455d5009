"""Checking and safely repairing imported geometries, vectorised over arrays (shapely 2).

Files drawn in desktop GIS tools carry the usual digitising faults. This module decides, feature by feature,
which of them can be fixed without changing what the author meant, and reports the others so that a human
fixes them at the source. Nothing here knows about files, layers or databases: arrays in, arrays out.

The repair rule for polygons
----------------------------
Representation-only faults are normalised silently and do not count as repairs: Z/M values are dropped,
consecutive duplicate points are removed, rings are oriented (exterior counter-clockwise, as RFC 7946 wants).

An *invalid* polygon (a ring crossing itself, a bow-tie, overlapping parts of a MultiPolygon...) is repaired with
``shapely.make_valid(method="structure")`` only when the result

1. is polygonal (polygon parts are taken from a GeometryCollection; collapsed spikes, which are lines, go), and
2. keeps its area within :data:`AREA_TOLERANCE` (1 %) of the original *ring area*: the shoelace area of each
   exterior ring minus that of its holes, which is what the author's outline encloses when lobes that run the
   other way count negatively.

That rule accepts the common slips (a spike, a tiny loop where a corner was clicked twice, a sliver of overlap
between the parts of a MultiPolygon) and refuses the ambiguous shapes: a bow-tie's two lobes cancel out in the
ring area (0 for a symmetric one) while ``make_valid`` returns both lobes, so its area changes by far more than
1 %; a MultiPolygon whose second part lies inside the first (a hole drawn as a part?) loses that part's area.
A polygon whose ring area is zero, or a ring with fewer than four points, is never repaired.

Lines
-----
Valid lines need two distinct, finite points. Parts of a MultiLineString with fewer than two distinct points are
dropped (counted as a repair: nothing with a length is lost); a line with no part left is a problem.

Examples
--------
>>> import shapely
>>> geoms = [shapely.from_wkt("POLYGON ((0 0, 10 0, 10 10, 5 10, 5 15, 5 10, 0 10, 0 0))"),  # a spike
...          shapely.from_wkt("POLYGON ((0 0, 2 2, 2 0, 0 2, 0 0))")]                         # a bow-tie
>>> fixed, repaired, problems = repair(geoms, "polygon")
>>> repaired.tolist(), float(fixed[0].area), sorted(problems)
([True, False], 100.0, [1])
"""

from __future__ import annotations

import contextlib
import re
import warnings

import numpy as np
import shapely
from shapely import GeometryType
from shapely.errors import GEOSException

AREA_TOLERANCE = 0.01
"""Largest relative change of area accepted from ``make_valid`` (see the module docstring)."""

_POLYGONAL = (GeometryType.POLYGON, GeometryType.MULTIPOLYGON)
_LINEAL = (GeometryType.LINESTRING, GeometryType.MULTILINESTRING)
_TYPE_NAMES = {
    GeometryType.POINT: "a point",
    GeometryType.LINESTRING: "a line",
    GeometryType.LINEARRING: "a ring",
    GeometryType.POLYGON: "a polygon",
    GeometryType.MULTIPOINT: "points",
    GeometryType.MULTILINESTRING: "lines",
    GeometryType.MULTIPOLYGON: "polygons",
    GeometryType.GEOMETRYCOLLECTION: "a mixed geometry collection",
}


def repair(geoms: np.ndarray | list, family: str) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
    """Check ``geoms`` against a geometry ``family`` and repair what can be repaired safely.

    Parameters
    ----------
    geoms
        Shapely geometries (``None`` for a feature without geometry), any CRS.
    family
        ``"polygon"`` (Polygon/MultiPolygon expected) or ``"line"`` (LineString/MultiLineString expected).

    Returns
    -------
    fixed : ndarray of object
        2-D geometries, repaired where needed; ``None`` where a problem is reported.
    repaired : ndarray of bool
        True where the geometry was changed by a repair (not by silent normalisation).
    problems : dict
        0-based index → a sentence saying what is wrong, for every geometry that cannot be accepted.

    Examples
    --------
    >>> import shapely
    >>> fixed, repaired, problems = repair([shapely.LineString([(0, 0, 5), (1, 1, 5)]), None], "line")
    >>> fixed[0].wkt, repaired.tolist(), problems
    ('LINESTRING (0 0, 1 1)', [False, False], {1: 'no geometry'})
    """
    if family not in ("polygon", "line", "point"):
        raise ValueError(f"unknown geometry family {family!r}: use 'polygon', 'line' or 'point'")
    geoms = np.asarray(geoms, dtype=object).reshape(-1)
    n = len(geoms)
    problems: dict[int, str] = {}
    repaired = np.zeros(n, dtype=bool)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # GEOS warns on NaN coordinates; we report them
        g = shapely.force_2d(geoms)

    for i in np.flatnonzero(shapely.is_missing(g)):
        problems[int(i)] = "no geometry"
    if family == "point":  # a one-part MultiPoint (common in Shapefiles) is its point
        multi = np.flatnonzero(
            (shapely.get_type_id(g) == GeometryType.MULTIPOINT) & (shapely.get_num_geometries(g) == 1)
        )
        g[multi] = shapely.get_geometry(g[multi], 0)
    g = _flatten_collections(g, family)
    for i in _nonfinite(g):
        problems.setdefault(int(i), "coordinates are not finite numbers (NaN or infinity)")

    types = shapely.get_type_id(g)
    wanted = {"polygon": _POLYGONAL, "line": _LINEAL, "point": (GeometryType.POINT,)}[family]
    for i in np.flatnonzero(~np.isin(types, wanted) & ~shapely.is_missing(g)):
        got = _TYPE_NAMES.get(GeometryType(int(types[i])), "another geometry type")
        expected = {"polygon": "a polygon", "line": "a line", "point": "a point"}[family]
        problems.setdefault(int(i), f"expected {expected} for this layer, got {got}")
    for i in np.flatnonzero(shapely.is_empty(g)):
        problems.setdefault(int(i), "empty geometry")

    ok = np.ones(n, dtype=bool)
    ok[list(problems)] = False
    fixed = np.full(n, None, dtype=object)
    if ok.any():
        todo = _remove_repeated_points(g[ok])
        probs: dict[int, str] = {}
        if family == "point":  # nothing to repair in a point
            done, rep = todo, np.zeros(len(todo), dtype=bool)
        elif family == "polygon":
            done, rep, probs = _repair_polygons(todo)
        else:
            done, rep, probs = _repair_lines(todo)
        where = np.flatnonzero(ok)
        fixed[where] = done
        repaired[where] = rep
        for j, message in probs.items():
            problems[int(where[j])] = message
            fixed[where[j]] = None
            repaired[where[j]] = False
    return fixed, repaired, dict(sorted(problems.items()))


def _remove_repeated_points(g: np.ndarray) -> np.ndarray:
    """Drop consecutive duplicate points; a ring that would collapse below 3 points is left as it was."""
    try:
        return shapely.remove_repeated_points(g, 0.0)
    except GEOSException:
        out = g.copy()
        for i, geom in enumerate(g):
            with contextlib.suppress(GEOSException):  # the validity checks below report it
                out[i] = shapely.remove_repeated_points(geom, 0.0)
        return out


def _flatten_collections(g: np.ndarray, family: str) -> np.ndarray:
    """A GeometryCollection holding only parts of the expected family becomes the matching Multi* geometry."""
    out = g.copy()
    for i in np.flatnonzero(shapely.get_type_id(g) == GeometryType.GEOMETRYCOLLECTION):
        parts = shapely.get_parts(shapely.get_parts(g[i]))
        parts = parts[~shapely.is_empty(parts)]
        types = shapely.get_type_id(parts)
        if len(parts) == 0:
            continue
        if family == "polygon" and (types == GeometryType.POLYGON).all():
            out[i] = shapely.multipolygons(parts)
        elif family == "line" and (types == GeometryType.LINESTRING).all():
            out[i] = shapely.multilinestrings(parts)
    return out


def _nonfinite(g: np.ndarray) -> np.ndarray:
    coords, index = shapely.get_coordinates(g, return_index=True)
    return np.unique(index[~np.isfinite(coords).all(axis=1)])


def _repair_polygons(g: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
    out = g.copy()
    repaired = np.zeros(len(g), dtype=bool)
    problems: dict[int, str] = {}
    invalid = ~shapely.is_valid(g)
    if invalid.any():
        idx = np.flatnonzero(invalid)
        bad = g[idx]
        reasons = shapely.is_valid_reason(bad)
        before = shapely.area(bad)  # GEOS: |shell| - sum |holes| per polygon, i.e. the ring area
        after_geoms = _polygonal_part(shapely.make_valid(bad, method="structure", keep_collapsed=False))
        # GEOS can return parts that share an edge (an invalid MultiPolygon): dissolve them.
        still = np.flatnonzero(~shapely.is_valid(after_geoms) & ~shapely.is_missing(after_geoms))
        for k in still:
            after_geoms[k] = _polygonal_part(np.array([shapely.union_all(shapely.get_parts(after_geoms[k]))]))[0]
        after = shapely.area(after_geoms)
        for j, i in enumerate(idx):
            what = _describe_reason(str(reasons[j]))
            if before[j] <= 0 or not np.isfinite(before[j]):
                if "fewer than 4 points" in what:
                    problems[int(i)] = f"{what}: not a polygon (a ring needs at least 3 distinct corners)"
                else:
                    problems[int(i)] = (
                        f"{what}, and its rings enclose no area (a bow-tie?): it cannot be repaired safely; "
                        "fix the outline in the source file"
                    )
                continue
            change = abs(after[j] - before[j]) / before[j]
            if after_geoms[j] is None or not shapely.is_valid(after_geoms[j]) or change > AREA_TOLERANCE:
                problems[int(i)] = (
                    f"{what}; repairing it would change its area by {change:.0%} "
                    f"(more than {AREA_TOLERANCE:.0%}): fix the outline in the source file"
                )
                continue
            out[i] = after_geoms[j]
            repaired[i] = True
    keep = np.ones(len(g), dtype=bool)
    keep[list(problems)] = False
    out[keep] = shapely.orient_polygons(out[keep], exterior_cw=False)
    return out, repaired, problems


def _polygonal_part(geoms: np.ndarray) -> np.ndarray:
    """Keep the polygonal part of each geometry (make_valid may return a GeometryCollection)."""
    out = np.asarray(geoms, dtype=object).copy()
    types = shapely.get_type_id(out)
    for i in np.flatnonzero(~np.isin(types, _POLYGONAL)):
        parts = shapely.get_parts(shapely.get_parts(out[i]))
        polys = parts[shapely.get_type_id(parts) == GeometryType.POLYGON]
        polys = polys[~shapely.is_empty(polys)]
        out[i] = None if len(polys) == 0 else (polys[0] if len(polys) == 1 else shapely.multipolygons(polys))
    return out


_REASONS = (
    (re.compile(r"^Too few points", re.I), "a ring has fewer than 4 points"),
    (re.compile(r"^Ring Self-intersection", re.I), "a ring touches itself"),
    (re.compile(r"^Self-intersection", re.I), "the outline crosses itself"),
    (re.compile(r"^Hole lies outside shell", re.I), "a hole lies outside its polygon"),
    (re.compile(r"^Nested shells", re.I), "one part lies inside another"),
    (re.compile(r"^Nested holes", re.I), "a hole lies inside another hole"),
    (re.compile(r"^Interior is disconnected", re.I), "holes cut the polygon in pieces"),
    (re.compile(r"^Duplicate Rings", re.I), "a ring is repeated"),
)


def _describe_reason(reason: str) -> str:
    """A GEOS validity reason ("Self-intersection[1 1]") as a sentence fragment with its location."""
    m = re.match(r"^(.*?)\s*\[(.*)\]\s*$", reason)
    text, where = (m.group(1), m.group(2)) if m else (reason, "")
    for pattern, sentence in _REASONS:
        if pattern.match(text):
            text = sentence
            break
    else:
        text = f"invalid polygon ({text})"
    return f"{text} near ({where.replace(' ', ', ')})" if where else text


def _repair_lines(g: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
    out = g.copy()
    repaired = np.zeros(len(g), dtype=bool)
    problems: dict[int, str] = {}
    parts, index = shapely.get_parts(g, return_index=True)
    degenerate = shapely.length(parts) <= 0  # after removing repeats: fewer than 2 distinct points
    if not degenerate.any():
        return out, repaired, problems
    good_per_geom = np.bincount(index[~degenerate], minlength=len(g))
    bad_per_geom = np.bincount(index[degenerate], minlength=len(g))
    for i in np.flatnonzero(bad_per_geom):
        if good_per_geom[i] == 0:
            problems[int(i)] = "a line needs at least 2 distinct points"
            continue
        kept = parts[(index == i) & ~degenerate]
        out[i] = kept[0] if len(kept) == 1 else shapely.multilinestrings(kept)
        repaired[i] = True
    return out, repaired, problems


def check_lonlat(geoms: np.ndarray | list) -> np.ndarray:
    """0-based indices of geometries with a coordinate outside longitude -180..180 / latitude -90..90.

    Missing and empty geometries are not reported here (:func:`repair` reports them).

    >>> import shapely
    >>> check_lonlat([shapely.Point(111.14, 37.52), shapely.Point(500000, 4150000), None]).tolist()
    [1]
    """
    geoms = np.asarray(geoms, dtype=object).reshape(-1)
    if len(geoms) == 0:
        return np.zeros(0, dtype=int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        bounds = shapely.bounds(geoms)
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    lon_ok = (bounds[:, 0] >= -180) & (bounds[:, 2] <= 180)
    lat_ok = (bounds[:, 1] >= -90) & (bounds[:, 3] <= 90)
    return np.flatnonzero(present & ~(lon_ok & lat_ok))


def projection_hint(geoms: np.ndarray | list) -> str:
    """A short guess at what CRS out-of-range coordinates are in, for an error message.

    Chinese Gauss-Krüger coordinates often carry the zone number in front of the easting (39 512 345 m is
    zone 39); that prefix names the EPSG code exactly for CGCS2000.

    >>> import shapely
    >>> projection_hint([shapely.Point(39512345.0, 4330000.0)])
    'looks like projected coordinates (CGCS2000 3-degree Gauss-Krüger zone 39?): give --crs, e.g. --crs EPSG:4527'
    >>> projection_hint([shapely.Point(500000.0, 4150000.0)])
    'looks like projected coordinates (metres): give --crs, e.g. --crs EPSG:32649 (UTM) or EPSG:4545 (CGCS2000 GK)'
    """
    geoms = np.asarray(geoms, dtype=object).reshape(-1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        coords = shapely.get_coordinates(geoms)
    coords = coords[np.isfinite(coords).all(axis=1)]
    if len(coords) == 0:
        return "coordinates are not longitude/latitude: give --crs"
    x = np.median(coords[:, 0])
    y = np.median(coords[:, 1])
    zone = int(x // 1_000_000)
    if 0 < y < 10_000_000 and 1_000_000 <= x < 46_000_000:
        if 25 <= zone <= 45:  # 3-degree zones with prefix: EPSG:4513 (zone 25) .. EPSG:4533 (zone 45)
            return (
                f"looks like projected coordinates (CGCS2000 3-degree Gauss-Krüger zone {zone}?): "
                f"give --crs, e.g. --crs EPSG:{4513 + zone - 25}"
            )
        if 13 <= zone <= 23:  # 6-degree zones with prefix: EPSG:4491 (zone 13) .. EPSG:4501 (zone 23)
            return (
                f"looks like projected coordinates (CGCS2000 6-degree Gauss-Krüger zone {zone}?): "
                f"give --crs, e.g. --crs EPSG:{4491 + zone - 13}"
            )
    if abs(x) > 180 or abs(y) > 90:
        return (
            "looks like projected coordinates (metres): give --crs, e.g. --crs EPSG:32649 (UTM) "
            "or EPSG:4545 (CGCS2000 GK)"
        )
    return "coordinates are outside longitude/latitude range: check the file or give --crs"


_SWAP_NEAR_DEG = 0.5  # a swapped feature's centre lands this close to the layer's median centre (a city)
_SWAP_FAR_DEG = 1.0  # while as read it lies at least this far from it


def crs_misfits(
    geoms: np.ndarray | list, *, geographic: bool, label: str, check_degrees: bool = True
) -> tuple[dict[int, str], dict[int, str]]:
    """Features whose coordinates do not fit their declared CRS: 0-based index → message (English, zh).

    ``geographic``: the CRS is longitude/latitude; ``label`` names it in messages; ``check_degrees``: look for
    degrees in a projected CRS (pass False for a local grid without EPSG code).

    Checked on the bounds of all features at once: in a geographic CRS, coordinates outside ±180/±90 (metres?)
    and features whose latitude and longitude are swapped (swapped, they land among the others; as read, far
    away); in a projected CRS (``check_degrees``), features lying wholly within ±180/±90 *metres* of the false
    origin, which is longitude/latitude in degrees (a local grid without EPSG code may have its origin in town).
    """
    geoms = np.asarray(geoms, dtype=object).reshape(-1)
    out: dict[int, str] = {}
    out_zh: dict[int, str] = {}
    if len(geoms) == 0:
        return out, out_zh
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        b = shapely.bounds(geoms)
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms) & np.isfinite(b).all(axis=1)
    in_range = present & (b[:, 0] >= -180) & (b[:, 2] <= 180) & (b[:, 1] >= -90) & (b[:, 3] <= 90)
    if geographic:
        swapped_fits = present & (b[:, 1] >= -180) & (b[:, 3] <= 180) & (b[:, 0] >= -90) & (b[:, 2] <= 90)
        cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
        swapped = np.zeros(len(geoms), dtype=bool)
        if in_range.sum() >= 2:
            mx, my = np.median(cx[in_range]), np.median(cy[in_range])
            far = np.hypot(cx - mx, cy - my) > _SWAP_FAR_DEG
            near_swapped = np.hypot(cy - mx, cx - my) < _SWAP_NEAR_DEG
            swapped = present & far & near_swapped
        outside = present & ~in_range
        hint = projection_hint(geoms[outside & ~swapped]) if (outside & ~swapped).any() else ""
        for i in np.flatnonzero(outside | swapped):
            x, y = shapely.get_coordinates(geoms[i])[0]  # the first coordinate, as an example
            if swapped[i] or (outside[i] and swapped_fits[i] and abs(y) > 90):
                out[int(i)] = (
                    f"coordinates ({x:.10g}, {y:.10g}) look like latitude/longitude swapped "
                    f"({label} is longitude first): swap them in the source file"
                )
                out_zh[int(i)] = (
                    f"坐标 ({x:.10g}, {y:.10g}) 的经度和纬度似乎颠倒了（{label} 先经度后纬度）：请在源文件中对调"
                )
            else:
                out[int(i)] = (
                    f"coordinates ({x:.10g}, {y:.10g}) are outside longitude/latitude range in {label}: {hint}"
                )
                out_zh[int(i)] = f"坐标 ({x:.10g}, {y:.10g}) 超出经纬度范围（{label}）：请用 --crs 给出文件的坐标系"
    elif check_degrees:
        for i in np.flatnonzero(in_range):
            x, y = shapely.get_coordinates(geoms[i])[0]
            out[int(i)] = (
                f"coordinates ({x:.10g}, {y:.10g}) look like longitude/latitude in degrees, but {label} is in "
                "metres: this feature would land next to the CRS's origin; fix the file or give the right --crs"
            )
            out_zh[int(i)] = (
                f"坐标 ({x:.10g}, {y:.10g}) 像是经纬度（度），但 {label} 以米为单位："
                "请修正文件或用 --crs 给出正确的坐标系"
            )
    return out, out_zh


def feature_ranges(indices: dict[int, str] | np.ndarray | list[int], limit: int = 20) -> str:
    """1-based feature numbers as ranges: ``1–3, 7``.

    >>> feature_ranges([0, 1, 2, 6])
    '1–3, 7'
    """
    nums = sorted(int(i) + 1 for i in indices)
    runs: list[str] = []
    start = prev = nums[0]
    for k in [*nums[1:], None]:
        if k is not None and k == prev + 1:
            prev = k
            continue
        runs.append(f"{start}" if start == prev else f"{start}–{prev}")
        if k is not None:
            start = prev = k
    return ", ".join(runs[:limit]) + (f", … ({len(nums):,} in all)" if len(runs) > limit else "")
