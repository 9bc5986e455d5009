"""Vectorised snapping of points to polygons and lines, in metres (pure geometry: numpy, shapely, pyproj).

A :class:`SnapIndex` holds named layers of EPSG:4326 geometries projected once into one metric CRS (a UTM zone,
see :mod:`gridmap.geo.crs`). Queries take whole arrays of points and return *pairs* — ``(point, feature,
distance)`` index arrays — never Python objects per point:

* :meth:`SnapIndex.near` — every feature within its *reach* (fixed when the layer is added: one distance for the
  layer, or one per feature — e.g. a road's tolerance by its level) with its distance in metres; ``0`` when a
  polygon covers the point;
* :meth:`SnapIndex.covering` — the polygons covering each point (boundary included);
* :meth:`SnapIndex.any_within` — whether anything of a layer lies within a distance (the "far outside" check).

How it is fast: the STRtree of a layer is built over the feature envelopes *expanded by their reach*, so a plain
bounding-box query with the points (no predicate, no buffers) returns every candidate; exact point–line distances
are computed in numpy over the features' straight edges (exploded once), reduced to one minimum per pair with
:func:`numpy.minimum.reduceat`; polygons are prepared once and tested with :func:`shapely.intersects_xy`.
The same functions answer one point or a million, so a one-off lookup and a bulk run give identical numbers.

Ranking helpers (:func:`best_per_point`, :func:`flag_rivals`) pick winners per point with ``lexsort`` — no loop
per point.

**Points on a shared edge.** A point exactly on the edge (or vertex) shared by two cells is ``within`` neither
and ``intersects`` both. Here a polygon *covers* a point when it intersects it (boundary included), so every
touching cell is a candidate at distance 0, and the caller's rank decides: :func:`containing` gives the cell
with the lowest rank (for unit grids: the lowest grid code). Every point of a gap-free tiling therefore has
exactly one containing cell.

>>> import shapely
>>> cells = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)]
>>> index = SnapIndex({"cells": (cells, 0.0)}, epsg=None)
>>> pairs = index.covering("cells", np.array([1.0]), np.array([0.5]))
>>> pairs.feature.tolist()  # on the shared edge: both cells
[0, 1]
>>> containing(pairs, 1, rank=np.array([5, 3])).tolist()  # the lower rank wins
[1]
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Transformer
from shapely import STRtree

from gridmap.geo.crs import STORAGE_SRID

__all__ = [
    "Pairs",
    "PointLayer",
    "SnapIndex",
    "best_per_point",
    "containing",
    "flag_rivals",
    "utm_epsg",
]

_CHUNK_EDGES = 4_000_000  # point–edge evaluations per numpy batch (bounds memory at ~200 MB)
_BAND_MIN_POINTS = 256  # any_within: from this many points on, decide most of them with two buffered unions


def utm_epsg(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """EPSG code of the WGS-84 UTM zone of each point (vectorised :func:`gridmap.geo.crs.utm_epsg_for`).

    >>> utm_epsg(np.array([111.14, -0.5]), np.array([37.52, -10.0])).tolist()
    [32649, 32730]
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    zone = np.clip(np.floor((lon + 180.0) / 6.0).astype(np.int64) + 1, 1, 60)
    return np.where(lat >= 0, 32600, 32700) + zone


@functools.lru_cache(maxsize=16)
def _to_metric(epsg: int) -> Transformer:
    return Transformer.from_crs(STORAGE_SRID, epsg, always_xy=True)


@dataclass(frozen=True)
class Pairs:
    """Point–feature pairs: ``point`` indexes the query points, ``feature`` the layer, ``distance`` in metres."""

    point: np.ndarray
    feature: np.ndarray
    distance: np.ndarray

    def __len__(self) -> int:
        return len(self.point)

    def take(self, mask_or_index: np.ndarray) -> Pairs:
        return Pairs(self.point[mask_or_index], self.feature[mask_or_index], self.distance[mask_or_index])

    @staticmethod
    def empty() -> Pairs:
        return Pairs(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))


class _Layer:
    """One layer in metric coordinates: its geometries, a reach-expanded STRtree, and its exploded edges."""

    def __init__(self, geoms: np.ndarray, reach: float | np.ndarray) -> None:
        self.geoms = geoms
        self.reach_of = np.broadcast_to(np.asarray(reach, dtype=float), (len(geoms),)).copy()
        if (self.reach_of < 0).any():
            raise ValueError("a reach is a distance >= 0")
        self.reach = float(self.reach_of.max()) if len(geoms) else 0.0
        types = shapely.get_type_id(geoms)
        types = types[types >= 0]  # missing geometries (None) are allowed and never found
        self.present = len(types)
        self.polygonal = bool(len(types)) and bool(np.isin(types, (3, 6)).all())
        if len(types) and not self.polygonal and not np.isin(types, (1, 2, 5)).all():
            raise ValueError("a layer holds either polygons or lines, not a mix or points")
        if self.polygonal:
            shapely.prepare(geoms)
        if self.reach > 0:
            b = shapely.bounds(geoms)
            r = self.reach_of
            self.tree = STRtree(shapely.box(b[:, 0] - r, b[:, 1] - r, b[:, 2] + r, b[:, 3] + r))
        else:
            self.tree = STRtree(geoms)
        self._edges: tuple[np.ndarray, ...] | None = None
        self._exact_tree: STRtree | None = None
        self._bands: dict[float, tuple[shapely.Geometry, shapely.Geometry]] = {}

    @property
    def exact_tree(self) -> STRtree:
        """An STRtree over the geometries themselves (the main tree may hold reach-expanded boxes)."""
        if self.reach == 0:
            return self.tree
        if self._exact_tree is None:
            self._exact_tree = STRtree(self.geoms)
        return self._exact_tree

    def bands(self, distance: float) -> tuple[shapely.Geometry, shapely.Geometry]:
        """Prepared ``(inner, outer)`` polygons: every point of ``inner`` lies within ``distance`` of the layer, no
        point outside ``outer`` does. Buffers are polygons inscribed in the true offset curve, so ``outer`` is
        widened by the chord's sagitta; both keep a 0.5 m margin against rounding."""
        if distance not in self._bands:
            union = shapely.union_all(self.geoms)
            segs = 16
            sagitta = (distance + 10.0) * (1.0 - np.cos(np.pi / (4 * segs)))
            inner = shapely.buffer(union, distance - 0.5, quad_segs=segs)
            outer = shapely.buffer(union, distance + sagitta + 0.5, quad_segs=segs)
            shapely.prepare(inner)
            shapely.prepare(outer)
            self._bands[distance] = (inner, outer)
        return self._bands[distance]

    @property
    def edges(self) -> tuple[np.ndarray, ...]:
        """``(x0, y0, dx, dy, inv_len2, start)``: the straight edges of every feature, feature ``i`` owning edges
        ``start[i]:start[i + 1]`` (polygon rings and line parts are never joined to each other)."""
        if self._edges is None:
            x0, y0, x1, y1, start = _explode_edges(self.geoms)
            dx, dy = x1 - x0, y1 - y0
            len2 = dx * dx + dy * dy
            inv = np.divide(1.0, len2, out=np.zeros_like(len2), where=len2 > 0)
            self._edges = (x0, y0, dx, dy, inv, start)
        return self._edges

    def contains(self, feature: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
        """Whether polygon ``feature[k]`` covers ``(px[k], py[k])`` (boundary included; prepared geometries).

        (A numpy crossing-number test over the exploded edges was measured too: no faster than GEOS here.)"""
        return shapely.intersects_xy(self.geoms[feature], px, py)

    def min_edge_distance(self, feature: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
        """Distance from ``(px[k], py[k])`` to the nearest edge of ``feature[k]`` (to the boundary, for polygons)."""
        x0, y0, dx, dy, inv, start = self.edges
        out = np.full(len(feature), np.inf)
        counts = start[feature + 1] - start[feature] if len(feature) else np.zeros(0, np.int64)
        todo = np.flatnonzero(counts > 0)
        if not len(todo):
            return out
        counts = counts[todo]
        # Batches of pairs whose edges fit in _CHUNK_EDGES, so a million points never need gigabytes.
        cum = np.cumsum(counts)
        cuts = np.searchsorted(cum, np.arange(_CHUNK_EDGES, cum[-1], _CHUNK_EDGES), side="left")
        bounds = np.unique(np.r_[0, cuts, len(todo)])
        for lo, hi in itertools.pairwise(bounds):
            k = todo[lo:hi]
            c = counts[lo:hi]
            first = np.r_[0, np.cumsum(c)[:-1]]
            owner = np.repeat(np.arange(len(k)), c)
            edge = np.repeat(start[feature[k]] - first, c) + np.arange(len(owner))
            # Squared distance to each edge (projection parameter clamped to the edge), minimum per pair, one sqrt.
            ax = px[k][owner] - x0[edge]
            ay = py[k][owner] - y0[edge]
            ex, ey = dx[edge], dy[edge]
            t = (ax * ex + ay * ey) * inv[edge]
            np.clip(t, 0.0, 1.0, out=t)
            ax -= t * ex
            ay -= t * ey
            ax *= ax
            ay *= ay
            ax += ay
            out[k] = np.sqrt(np.minimum.reduceat(ax, first))
        return out


def _explode_edges(geoms: np.ndarray) -> tuple[np.ndarray, ...]:
    parts, part_owner = shapely.get_parts(geoms, return_index=True)
    ptype = shapely.get_type_id(parts)
    if len(parts) and (ptype == 3).all():
        rings, ring_owner = shapely.get_rings(parts, return_index=True)
        owner = part_owner[ring_owner]
        lines = rings
    else:
        owner = part_owner
        lines = parts
    coords, line_idx = shapely.get_coordinates(lines, return_index=True)
    same = line_idx[1:] == line_idx[:-1]
    x0, y0 = coords[:-1, 0][same], coords[:-1, 1][same]
    x1, y1 = coords[1:, 0][same], coords[1:, 1][same]
    edge_owner = owner[line_idx[:-1][same]]
    # get_parts/get_rings keep input order, so edges are already grouped by owning feature.
    start = np.zeros(len(geoms) + 1, dtype=np.int64)
    np.cumsum(np.bincount(edge_owner, minlength=len(geoms)), out=start[1:])
    return x0, y0, x1, y1, start


class PointLayer:
    """Metric points (components 部件) and the ones within a distance of query points, nearest-first per point.

    >>> layer = PointLayer(np.array([0.0, 10.0]), np.array([0.0, 0.0]))
    >>> pairs = layer.within(np.array([3.0]), np.array([4.0]), 6.0)
    >>> pairs.feature.tolist(), pairs.distance.tolist()
    ([0], [5.0])
    """

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x = np.asarray(x, dtype=float)
        self.y = np.asarray(y, dtype=float)
        self.tree = STRtree(np.asarray(shapely.points(self.x, self.y), dtype=object))

    def __len__(self) -> int:
        return len(self.x)

    def within(self, x: np.ndarray, y: np.ndarray, distance: float, points: np.ndarray | None = None) -> Pairs:
        """Every (point, feature) pair at most ``distance`` metres apart, with the distance."""
        if not len(self.x) or not len(x):
            return Pairs.empty()
        pts = shapely.points(x, y) if points is None else points
        p, f = self.tree.query(pts, predicate="dwithin", distance=distance)
        d = np.hypot(x[p] - self.x[f], y[p] - self.y[f])
        keep = d <= distance
        return Pairs(p[keep].astype(np.int64), f[keep].astype(np.int64), d[keep])


class SnapIndex:
    """A metric STRtree index over named layers of EPSG:4326 polygons or lines.

    Parameters
    ----------
    layers
        ``name → (geometries, reach_m)``: EPSG:4326 geometries (shapely array-like) and the distance within which
        :meth:`near` finds them — one number for the layer or one per feature (0 for containment-only layers).
    epsg
        The metric CRS to work in (a UTM zone: :func:`utm_epsg`). ``None`` takes the geometries as already metric
        (handy for tests and for callers that projected themselves).
    """

    def __init__(
        self, layers: Mapping[str, tuple[Sequence | np.ndarray, float | np.ndarray]], epsg: int | None
    ) -> None:
        self.epsg = epsg
        names = list(layers)
        arrays = [np.asarray(layers[k][0], dtype=object) for k in names]
        sizes = [len(a) for a in arrays]
        allg = np.concatenate(arrays) if arrays else np.zeros(0, object)
        if epsg is not None and len(allg):  # one projection call for every layer
            t = _to_metric(epsg)
            allg = shapely.transform(allg, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
        bounds = np.cumsum([0, *sizes])
        self._pending = {k: (allg[bounds[i] : bounds[i + 1]], layers[k][1]) for i, k in enumerate(names)}
        self._layers: dict[str, _Layer] = {}

    def _layer(self, name: str) -> _Layer:
        layer = self._layers.get(name)
        if layer is None:  # built on first use: a one-off lookup often needs only some layers
            geoms, reach = self._pending[name]
            layer = self._layers[name] = _Layer(geoms, reach)
        return layer

    def __contains__(self, name: str) -> bool:
        return name in self._pending

    def size(self, name: str) -> int:
        return len(self._pending[name][0])

    def reach(self, name: str) -> float:
        """The largest reach of the layer."""
        return self._layer(name).reach

    def project(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """EPSG:4326 longitudes/latitudes → metric ``x, y`` of this index."""
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        if self.epsg is None:
            return lon, lat
        x, y = _to_metric(self.epsg).transform(lon, lat)
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)

    def near(self, name: str, x: np.ndarray, y: np.ndarray, points: np.ndarray | None = None) -> Pairs:
        """Features of ``name`` within their reach of each metric point, with distances (0 = covered).

        ``points`` may pass ``shapely.points(x, y)`` when the caller queries several layers with the same points.
        """
        layer = self._layer(name)
        if not len(layer.geoms) or not len(x):
            return Pairs.empty()
        pts = shapely.points(x, y) if points is None else points
        p, f = layer.tree.query(pts)
        if not len(p):
            return Pairs.empty()
        px, py = x[p], y[p]
        if layer.polygonal:
            dist = np.empty(len(p))
            inside = layer.contains(f, px, py)
            dist[inside] = 0.0
            out = ~inside
            dist[out] = layer.min_edge_distance(f[out], px[out], py[out])
        else:
            dist = layer.min_edge_distance(f, px, py)
        keep = dist <= layer.reach_of[f]
        return Pairs(p[keep].astype(np.int64), f[keep].astype(np.int64), dist[keep])

    def boundary_distance(self, name: str, feature: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Distance from each point to the edges (boundary) of the feature beside it."""
        return self._layer(name).min_edge_distance(np.asarray(feature, dtype=np.int64), x, y)

    def covering(self, name: str, x: np.ndarray, y: np.ndarray, points: np.ndarray | None = None) -> Pairs:
        """Polygons of ``name`` covering each point, boundary included (distance 0)."""
        layer = self._layer(name)
        if not layer.present or not len(x):
            return Pairs.empty()
        if not layer.polygonal:
            raise ValueError(f"layer {name!r} holds lines: nothing covers a point")
        pts = shapely.points(x, y) if points is None else points
        p, f = layer.exact_tree.query(pts)
        inside = layer.contains(f, x[p], y[p])
        p, f = p[inside].astype(np.int64), f[inside].astype(np.int64)
        return Pairs(p, f, np.zeros(len(p)))

    def any_within(
        self, name: str, x: np.ndarray, y: np.ndarray, distance: float, points: np.ndarray | None = None
    ) -> np.ndarray:
        """True for each point with some feature of ``name`` within ``distance`` metres (GEOS ``dwithin``).

        Many points at once (the "far outside the city" check of a bulk run): most are decided by two prepared
        polygons — the layer's union buffered a little less and a little more than ``distance`` — and only
        those in the thin band between them are measured exactly, so the answer is the exact one.
        """
        layer = self._layer(name)
        out = np.zeros(len(x), dtype=bool)
        if not len(layer.geoms) or not len(x):
            return out
        todo = np.arange(len(x))
        if len(x) >= _BAND_MIN_POINTS and distance > 2.0:
            inner, outer = layer.bands(float(distance))
            sure_in = shapely.intersects_xy(inner, x, y)
            sure_out = ~shapely.intersects_xy(outer, x, y)
            out[sure_in] = True
            todo = np.flatnonzero(~sure_in & ~sure_out)
            if not len(todo):
                return out
        pts = shapely.points(x[todo], y[todo]) if points is None else points[todo]
        p, _ = layer.exact_tree.query(pts, predicate="dwithin", distance=float(distance))
        out[todo[p]] = True
        return out


def best_per_point(n: int, point: np.ndarray, *keys: np.ndarray) -> np.ndarray:
    """For each of ``n`` points, the index of its best pair (smallest ``keys``, first key first), or -1.

    >>> best_per_point(3, np.array([0, 0, 2]), np.array([5.0, 1.0, 2.0])).tolist()
    [1, -1, 2]
    """
    out = np.full(n, -1, dtype=np.int64)
    if not len(point):
        return out
    # Most points have a single pair (one covering grid, one compound): no sorting for those.
    single = np.bincount(point, minlength=n)[point] == 1
    out[point[single]] = np.flatnonzero(single)
    multi = np.flatnonzero(~single)
    if len(multi):
        order = multi[np.lexsort((*(k[multi] for k in reversed(keys)), point[multi]))]
        sp = point[order]
        first = np.r_[True, sp[1:] != sp[:-1]]
        out[sp[first]] = order[first]
    return out


def containing(pairs: Pairs, n: int, rank: np.ndarray) -> np.ndarray:
    """Per point, the covering feature with the lowest ``rank`` (ties: lowest feature index), or -1.

    This is the shared-edge rule: a point on the edge between cells belongs to the lowest-ranked one.
    """
    covered = pairs.take(pairs.distance == 0)
    best = best_per_point(n, covered.point, rank[covered.feature], covered.feature)
    if not len(covered):
        return best
    return np.where(best >= 0, covered.feature[np.maximum(best, 0)], -1)


def flag_rivals(
    n: int, point: np.ndarray, distance: np.ndarray, group: np.ndarray, best: np.ndarray, margin: float
) -> np.ndarray:
    """True for points whose best pair has a rival: another pair of a different, real group (``>= 0``) no more than
    ``margin`` farther away. ``best`` is :func:`best_per_point`'s answer over the same pairs.

    >>> flag_rivals(2, np.array([0, 0, 1, 1]), np.array([1.0, 2.5, 1.0, 9.0]), np.array([7, 8, 7, 8]),
    ...             np.array([0, 2]), 3.0).tolist()
    [True, False]
    """
    out = np.zeros(n, dtype=bool)
    if not len(point):
        return out
    winner = best[point]
    has = winner >= 0
    w = np.maximum(winner, 0)
    rival = has & (group >= 0) & (group != group[w]) & (distance <= distance[w] + margin)
    out[point[rival]] = True
    return out
