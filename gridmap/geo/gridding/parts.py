"""Geometry arrays taken apart (polygon and line parts, missing and empty dropped), overlays that survive float
noise, the EPSG:4326 ⇄ metric projector and a union-find: what every step of the tiling uses."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeAlias

import numpy as np
import shapely
import shapely.errors
from pyproj import Transformer

from gridmap.geo.crs import STORAGE_SRID

# What the part helpers take: one geometry, any iterable of them (a list, an object array), or None.
GeometryLike: TypeAlias = shapely.Geometry | Iterable[Any] | None


def as_geoms(geoms: GeometryLike) -> np.ndarray:
    """1-D object array of the non-missing, non-empty geometries in ``geoms`` (None → empty array)."""
    if geoms is None:
        return np.empty(0, dtype=object)
    if isinstance(geoms, shapely.Geometry):
        geoms = [geoms]
    arr = np.asarray(list(geoms) if not isinstance(geoms, np.ndarray) else geoms, dtype=object).ravel()
    if arr.size == 0:
        return arr
    keep = ~shapely.is_missing(arr)
    keep[keep] = ~shapely.is_empty(arr[keep])
    return arr[keep]


def polygon_parts(geoms: GeometryLike) -> np.ndarray:
    """The non-empty Polygon parts of (Multi)Polygons / collections."""
    parts = shapely.get_parts(as_geoms(geoms))
    if parts.size == 0:
        return parts
    keep = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)
    return parts[keep]


def polygon_parts_indexed(geoms: GeometryLike) -> tuple[np.ndarray, np.ndarray]:
    """:func:`polygon_parts`, with the position in ``geoms`` each part comes from."""
    if geoms is None:
        return np.empty(0, dtype=object), np.empty(0, dtype=np.int64)
    if isinstance(geoms, shapely.Geometry):
        geoms = [geoms]
    arr = np.asarray(list(geoms) if not isinstance(geoms, np.ndarray) else geoms, dtype=object).ravel()
    if arr.size == 0:
        return arr, np.empty(0, dtype=np.int64)
    ok = ~shapely.is_missing(arr)
    ok[ok] = ~shapely.is_empty(arr[ok])
    parts, of = shapely.get_parts(arr[ok], return_index=True)
    if parts.size == 0:
        return parts, np.empty(0, dtype=np.int64)
    keep = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)
    return parts[keep], np.flatnonzero(ok)[of[keep]]


def robust_intersection(a: Any, b: Any, grid_size: float = 1e-3) -> Any:
    """``shapely.intersection``, retried on repaired inputs (then snap-rounded to ``grid_size``) when GEOS fails.

    Polygons valid in EPSG:4326 can come out of a projection with float-level self-intersections (collinear
    vertices along a long straight edge): the overlay then stops on a topology conflict. The repair moves
    nothing by more than that noise.
    """
    try:
        return shapely.intersection(a, b)
    except shapely.errors.GEOSException:
        a, b = shapely.make_valid(a), shapely.make_valid(b)
        try:
            return shapely.intersection(a, b)
        except shapely.errors.GEOSException:  # pragma: no cover - make_valid output that still conflicts
            return shapely.intersection(a, b, grid_size=grid_size)


def line_parts(geoms: GeometryLike) -> np.ndarray:
    parts = shapely.get_parts(as_geoms(geoms))
    if parts.size == 0:
        return parts
    return parts[np.isin(shapely.get_type_id(parts), (1, 2))]


class Projector:
    """EPSG:4326 ⇄ metric, vectorised over all coordinates of a geometry array."""

    def __init__(self, epsg: int) -> None:
        self.epsg = int(epsg)
        self._fwd = Transformer.from_crs(STORAGE_SRID, self.epsg, always_xy=True)
        self._inv = Transformer.from_crs(self.epsg, STORAGE_SRID, always_xy=True)

    def to_metric(self, geoms: np.ndarray) -> np.ndarray:
        return shapely.transform(geoms, lambda xy: np.column_stack(self._fwd.transform(xy[:, 0], xy[:, 1])))

    def xy_to_lonlat(self, xy: np.ndarray) -> np.ndarray:
        shape = xy.shape
        flat = xy.reshape(-1, 2)
        lon, lat = self._inv.transform(flat[:, 0], flat[:, 1])
        return np.column_stack([lon, lat]).reshape(shape)


class UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = np.arange(n)

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return int(root)

    def union(self, a: int, b: int) -> int:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            lo, hi = min(ra, rb), max(ra, rb)
            self.parent[hi] = lo
            return lo
        return ra

    def labels(self) -> np.ndarray:
        return np.array([self.find(i) for i in range(len(self.parent))], dtype=np.int64)
