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
