"""Small vectorised shape helpers shared by the importers and the store."""

from __future__ import annotations

from typing import cast

import numpy as np
import shapely
from shapely import GeometryType


# shapely's constructors return an array for array input and one geometry for scalar input; its stubs cannot
# tell an array of x from one (x, y) pair, so they give "Point | array". These say what array input returns.
def point_array(x: np.ndarray, y: np.ndarray | None = None) -> np.ndarray:
    """``shapely.points`` of coordinate arrays (``x`` and ``y``, or ``x`` an (n, 2) array): an object array."""
    return cast(np.ndarray, shapely.points(x) if y is None else shapely.points(x, y))


def linestring_array(coords: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """``shapely.linestrings`` of an (n, 2) coordinate array grouped by ``indices``: an object array."""
    return cast(np.ndarray, shapely.linestrings(coords, indices=indices))


def to_multipolygons(geoms: np.ndarray) -> np.ndarray:
    """Promote Polygons to MultiPolygons (the column type of every polygon table); others pass through."""
    geoms = np.asarray(geoms, dtype=object)
    out = geoms.copy()
    is_poly = shapely.get_type_id(geoms) == GeometryType.POLYGON
    if is_poly.any():
        polys = geoms[is_poly]
        out[is_poly] = shapely.multipolygons(polys, indices=np.arange(len(polys)))
    return out


def is_polygonal(geoms: np.ndarray) -> np.ndarray:
    t = shapely.get_type_id(np.asarray(geoms, dtype=object))
    return (t == GeometryType.POLYGON) | (t == GeometryType.MULTIPOLYGON)


def is_lineal(geoms: np.ndarray) -> np.ndarray:
    t = shapely.get_type_id(np.asarray(geoms, dtype=object))
    return (t == GeometryType.LINESTRING) | (t == GeometryType.MULTILINESTRING)


def coords_in_lonlat_range(geoms: np.ndarray) -> np.ndarray:
    """True where every coordinate is a valid longitude/latitude (-180..180, -90..90)."""
    geoms = np.asarray(geoms, dtype=object)
    bounds = shapely.bounds(geoms)
    ok = (bounds[:, 0] >= -180) & (bounds[:, 2] <= 180) & (bounds[:, 1] >= -90) & (bounds[:, 3] <= 90)
    return ok & np.isfinite(bounds).all(axis=1)


def _grouped(items: list, owner: np.ndarray, n: int) -> list[list]:
    """``items`` (in ``owner`` order, as shapely's ``return_index`` gives them) split into ``n`` lists."""
    ends = np.cumsum(np.bincount(owner, minlength=n)).tolist()
    starts = [0, *ends[:-1]]
    return [items[a:b] for a, b in zip(starts, ends, strict=True)]


def geojson_geometries(geoms: np.ndarray, decimals: int = 6) -> list[dict[str, object]]:
    """GeoJSON geometry dicts of lines or polygons (single or multi), coordinates rounded, built from three vectorised
    shapely calls and one ``tolist`` — ``shapely.geometry.mapping`` per feature costs ~60 µs, which is most of a
    city-wide answer's time. Other geometry types go through ``mapping``."""
    from shapely.geometry import mapping

    geoms = np.asarray(geoms, dtype=object)
    types = shapely.get_type_id(geoms)
    polygonal = bool(np.isin(types, (3, 6)).all())
    if not len(geoms) or not (polygonal or np.isin(types, (1, 5)).all()):
        return [cast(dict, mapping(g)) for g in geoms]
    parts, part_owner = shapely.get_parts(geoms, return_index=True)
    if polygonal:
        leaves, leaf_owner = shapely.get_rings(parts, return_index=True)
    else:
        leaves, leaf_owner = parts, np.arange(len(parts))
    coords, coord_owner = shapely.get_coordinates(leaves, return_index=True)
    leaf_lists = _grouped(np.round(coords, decimals).tolist(), coord_owner, len(leaves))
    part_lists = _grouped(leaf_lists, leaf_owner, len(parts)) if polygonal else leaf_lists
    per_geom = _grouped(part_lists, part_owner, len(geoms))
    single, multi = ("Polygon", "MultiPolygon") if polygonal else ("LineString", "MultiLineString")
    return [
        {"type": multi, "coordinates": p} if t in (5, 6) else {"type": single, "coordinates": p[0] if p else []}
        for t, p in zip(types.tolist(), per_geom, strict=True)
    ]
