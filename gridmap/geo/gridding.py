"""Unit grids (单元网格): tile a community into ~10,000 m² cells, and number them.

A unit grid is the smallest management cell of digital urban management (CJ/T 213, the "万米单元网格").
Its rules, as implemented here (pure geometry; :mod:`gridmap.geo.tiling` runs it over many communities and
:mod:`gridmap.grids.generate` stores the result as a new version):

* grids tile their community exactly: the union is the community, overlaps have zero area, nothing lies
  outside it. All faces come from ONE polygonize of the noded community boundary, roads and cut lines, so
  neighbouring grids share their edges vertex for vertex (``shapely.coverage_is_valid`` holds);
* boundaries follow roads: the community is first cut into road blocks by its boundary and the roads (and any
  ``barriers``: rivers, walls), so blocks split along their internal roads before any straight cut;
* blocks much larger than the target are cut by recursive straight bisection across their long axis, at the
  position that splits the area in proportion to the number of grids wanted on each side;
* a grid never splits a residential compound: a cut that would cross one moves to a free position nearby,
  else to any free position (the grid counts on each side follow), else across the short axis; pieces a
  compound still overlaps (no free position at all, or a road drawn through a compound) are merged;
* slivers (smaller than ``sliver_frac`` × target) are merged into the neighbour sharing the longest edge,
  preferring one in the same road block over one across a road.

Topology is computed in the input CRS (EPSG:4326), so that the result tiles the *given* polygon; areas, edge
lengths and cut geometry are computed in the metric CRS ``metric_epsg``. Writing coordinates with fewer
decimals breaks exactness unless the grids are snap-rounded together first (:func:`snap_coverage`).

Grid codes (:func:`grid_codes`) are the 12-digit community code plus a sequence number running west→east,
then north→south. :func:`tile_community_report` returns the grids with the figures of the quality report
(:class:`Tiling`: areas, blocks, cuts, slivers merged, merges over compounds, compounds behind oversized grids).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
import shapely.errors
from pyproj import Transformer
from shapely import STRtree
from shapely.geometry import LineString, MultiPolygon, Polygon

from gridmap.geo.crs import STORAGE_SRID

__all__ = ["Tiling", "grid_codes", "snap_coverage", "tile_community", "tile_community_report"]

_PROFILE_SAMPLES = 33  # positions at which a piece's cumulative area is sampled to place a cut
_CUT_WINDOW = 0.15  # a cut may move this far (as a share of the piece's area) to avoid a compound
_COMPOUND_GAP_M = 1.0  # cuts keep at least this far from a compound they avoid
_OVERSHOOT = 1e-9  # degrees (~0.1 mm): cut chords reach this far past the edge they end on


# --------------------------------------------------------------------------------------------- helpers


def _as_geoms(geoms: Any) -> np.ndarray:
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


def _polygon_parts(geoms: np.ndarray) -> np.ndarray:
    """The non-empty Polygon parts of (Multi)Polygons / collections."""
    parts = shapely.get_parts(_as_geoms(geoms))
    if parts.size == 0:
        return parts
    keep = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)
    return parts[keep]


def _polygon_parts_indexed(geoms: Any) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_polygon_parts`, with the position in ``geoms`` each part comes from."""
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


def _line_parts(geoms: np.ndarray) -> np.ndarray:
    parts = shapely.get_parts(_as_geoms(geoms))
    if parts.size == 0:
        return parts
    return parts[np.isin(shapely.get_type_id(parts), (1, 2))]


class _Projector:
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


class _UnionFind:
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


# ------------------------------------------------------------------------------------ exact coverage


def _renode(polys: np.ndarray, grid_size: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Node the boundaries of near-coverage ``polys`` together and polygonize.

    Returns the faces of the planar partition and, per face, the index of the input polygon that owns it
    (−1: a hole or outside area, dropped by the callers).
    """
    polys = np.asarray(polys, dtype=object)
    rings = _line_parts(shapely.boundary(polys))
    linework = shapely.union_all(rings, grid_size=grid_size)
    faces = _polygon_parts(shapely.polygonize(shapely.get_parts(linework)))
    owner = np.full(len(faces), -1, dtype=np.int64)
    if len(faces) == 0:
        return faces, owner
    tree = STRtree(polys)
    rp = shapely.point_on_surface(faces)
    fi, pj = tree.query(rp, predicate="within")
    hits = np.bincount(fi, minlength=len(faces))
    single = hits[fi] == 1
    owner[fi[single]] = pj[single]

    ambiguous = np.flatnonzero(hits != 1)
    if ambiguous.size:
        # Faces whose inside point lies in two inputs (an overlap sliver) or none (a gap sliver or a hole):
        # give slivers to the input that overlaps them most, then to the one whose boundary they follow
        # longest; drop thick faces that no input overlaps (holes).
        tol = 2.0 * grid_size if grid_size else 1e-9
        ai, aj = tree.query(faces[ambiguous], predicate="intersects")
        fa = faces[ambiguous][ai]
        overlap = shapely.area(shapely.intersection(fa, polys[aj]))
        near = shapely.length(
            shapely.intersection(shapely.boundary(fa), shapely.buffer(shapely.boundary(polys[aj]), tol))
        )
        area = shapely.area(faces[ambiguous])
        thickness = 2.0 * area / np.maximum(shapely.length(faces[ambiguous]), 1e-300)
        for k, f in enumerate(ambiguous):
            sel = np.flatnonzero(ai == k)
            if sel.size == 0:
                continue
            best = sel[np.lexsort((near[sel], overlap[sel]))[-1]]
            covered = overlap[best] > 0.5 * area[k]
            if covered or (thickness[k] <= 4 * tol and near[best] > 0):
                owner[f] = aj[best]
    return faces, owner


def snap_coverage(polys: Sequence[Any] | np.ndarray, grid_size: float | None = None) -> np.ndarray:
    """Turn a near-coverage into an exact one: shared edges get identical vertices on both sides.

    Polygons produced independently (for instance the grids of two neighbouring communities, where a cut
    added a vertex on one side of their common edge only) leave T-junctions and float-level slivers behind.
    All boundaries are noded together (snap-rounded to ``grid_size`` if given, in the units of the data),
    polygonized, and every face is given back to the input that owns it; each output polygon is the
    coverage union of its faces. Faces no input overlaps and thicker than a few grid cells (holes) are dropped.

    Parameters
    ----------
    polys
        Polygons that tile a region up to floating-point noise (gaps and overlaps narrower than a few
        ``grid_size``).
    grid_size
        Precision grid of the result (e.g. ``1e-6`` degrees for 6-decimal GeoJSON), or None for floating noding.

    Returns
    -------
    numpy.ndarray
        One (Multi)Polygon per input, in input order, all vertices on the grid.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> a, b = box(0, 0, 1, 1), box(1, 0.3, 2, 0.7)   # b's corners are T-junctions on a's right edge
    >>> out = snap_coverage([a, b])
    >>> len(out[0].exterior.coords)  # a gained b's two corners
    7
    >>> bool(shapely.coverage_is_valid(out))
    True
    """
    polys = _as_geoms(polys)
    faces, owner = _renode(polys, grid_size)
    out = np.empty(len(polys), dtype=object)
    order = np.argsort(owner, kind="stable")
    owner_sorted = owner[order]
    starts = np.searchsorted(owner_sorted, np.arange(len(polys)), side="left")
    ends = np.searchsorted(owner_sorted, np.arange(len(polys)), side="right")
    for i in range(len(polys)):
        own = faces[order[starts[i] : ends[i]]]
        if len(own) == 0:
            out[i] = Polygon()
        elif len(own) == 1:
            out[i] = own[0]
        else:
            out[i] = shapely.coverage_union_all(own)
    return out


# -------------------------------------------------------------------------------------------- cutting


class _Cutter:
    """Recursive straight bisection of one block, avoiding compounds.

    A piece that should become ``n`` grids is cut across its long axis where the area splits ``n // 2`` to
    ``n - n // 2``. If a compound lies there, the cut moves to the nearest free position whose area share
    is within ``_CUT_WINDOW``; failing that, to any free position (the grid counts of the two sides follow the
    shares); failing that, the same is tried across the short axis; failing that, the cut goes through the
    compound and the pieces are merged back afterwards.
    """

    def __init__(self, proj: _Projector, compounds: np.ndarray, compounds_m: np.ndarray):
        self.proj = proj
        self.compounds = compounds
        self.compounds_m = compounds_m
        self.tree = STRtree(compounds) if len(compounds) else None
        self.chords: list[Any] = []  # the cut lines inside the pieces they cut, slightly overshooting

    def split(self, piece: Any, n: int) -> list[Any]:
        if n <= 1 or piece.is_empty:
            return [piece]
        piece_m = self.proj.to_metric(np.array([piece], dtype=object))[0]
        total = piece_m.area
        if total <= 0:
            return [piece]
        blockers = self._blockers(piece)
        env = shapely.oriented_envelope(piece_m)
        box_ = env if isinstance(env, Polygon) else piece_m.envelope  # degenerate pieces: a line or a point
        ring = np.asarray(box_.exterior.coords)
        e0, e1 = ring[1] - ring[0], ring[2] - ring[1]
        axes = [e0, e1] if np.hypot(*e0) >= np.hypot(*e1) else [e1, e0]
        origin = ring[:4].mean(axis=0)
        share = (n // 2) / n
        fallback = None
        for axis in axes:
            norm = float(np.hypot(*axis))
            if norm == 0:
                continue
            frame = _Frame(piece_m, origin, axis / norm)
            us, acc = frame.profile(piece_m)
            u_cut = float(np.interp(share * total, acc, us))
            fallback = fallback or (frame, u_cut, n // 2)  # through the compound, merged back later
            free = _free_positions(u_cut, *frame.intervals(blockers))
            shares = np.interp(free, us, acc) / total
            ok = (shares >= 0.05) & (shares <= 0.95)
            if ok.any():
                free, shares = free[ok], shares[ok]
                best = int(np.argmin(np.abs(shares - share)))
                n_left = n // 2
                if abs(shares[best] - share) > _CUT_WINDOW:
                    n_left = int(np.clip(round(n * shares[best]), 1, n - 1))
                plan = (frame, float(free[best]), n_left)
                break
        else:
            plan = fallback
        if plan is None:
            return [piece]
        frame, u_cut, n_left = plan
        corners = self.proj.xy_to_lonlat(frame.halves(u_cut))
        halves = shapely.polygons(corners)
        parts = shapely.intersection(piece, halves)
        a, b = (shapely.union_all(_polygon_parts(np.array([p], dtype=object))) for p in parts)
        if a.is_empty or b.is_empty:
            return [piece]
        # the chord: the cut line inside the piece, each end pushed a hair past the piece's edge so that
        # noding always finds the crossing (an end computed exactly on the edge may fall short of it)
        cut_line = LineString(corners[0, 1:3])
        for chord in _line_parts(shapely.intersection(cut_line, piece)):
            self.chords.append(_overshoot(chord, _OVERSHOOT))
        return self.split(a, n_left) + self.split(b, n - n_left)

    def _blockers(self, piece: Any) -> np.ndarray:
        if self.tree is None:
            return np.empty(0, dtype=object)
        return self.compounds_m[self.tree.query(piece, predicate="intersects")]


class _Frame:
    """A rotated frame (u along ``ux``) around a piece in metric coordinates."""

    def __init__(self, piece_m: Any, origin: np.ndarray, ux: np.ndarray) -> None:
        self.origin, self.ux = origin, ux
        self.uy = np.array([-ux[1], ux[0]])
        xy = shapely.get_coordinates(piece_m) - origin
        u, v = xy @ ux, xy @ self.uy
        self.umin, self.umax = float(u.min()), float(u.max())
        pad = 0.25 * max(self.umax - self.umin, float(v.max() - v.min())) + 1.0
        self.pad = pad
        self.v0, self.v1 = float(v.min()) - pad, float(v.max()) + pad

    def rects(self, ua: np.ndarray, ub: np.ndarray) -> np.ndarray:
        """Corner rings (…, 5, 2) of the rectangles ua ≤ u ≤ ub across the whole piece."""
        ua, ub = np.broadcast_arrays(np.asarray(ua, float), np.asarray(ub, float))
        pts = [(ua, self.v0), (ub, self.v0), (ub, self.v1), (ua, self.v1), (ua, self.v0)]
        return np.stack(
            [self.origin + np.multiply.outer(a, self.ux) + np.multiply.outer(b, self.uy) for a, b in pts], axis=-2
        )

    def profile(self, piece_m: Any) -> tuple[np.ndarray, np.ndarray]:
        """Cumulative area A(u) of the part of the piece with coordinate below u, sampled."""
        us = np.linspace(self.umin, self.umax, _PROFILE_SAMPLES)
        left = shapely.polygons(self.rects(np.full_like(us, self.umin - self.pad), us))
        return us, np.maximum.accumulate(shapely.area(robust_intersection(piece_m, left)))

    def halves(self, u_cut: float) -> np.ndarray:
        """The two half-planes of a cut at ``u_cut``; they share the two cut corners exactly."""
        return self.rects(np.array([self.umin - self.pad, u_cut]), np.array([u_cut, self.umax + self.pad]))

    def intervals(self, polys_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """u-extent of each polygon, widened by the gap a cut keeps from a compound."""
        if polys_m.size == 0:
            return np.empty(0), np.empty(0)
        xy, which = shapely.get_coordinates(polys_m, return_index=True)
        u = (xy - self.origin) @ self.ux
        cmin = np.full(polys_m.size, np.inf)
        cmax = np.full(polys_m.size, -np.inf)
        np.minimum.at(cmin, which, u)
        np.maximum.at(cmax, which, u)
        return cmin - _COMPOUND_GAP_M, cmax + _COMPOUND_GAP_M


def _overshoot(line: LineString, eps: float) -> LineString:
    xy = np.asarray(line.coords)
    d0, d1 = xy[0] - xy[1], xy[-1] - xy[-2]
    xy[0] = xy[0] + d0 / max(np.hypot(*d0), 1e-300) * eps
    xy[-1] = xy[-1] + d1 / max(np.hypot(*d1), 1e-300) * eps
    return LineString(xy)


def _free_positions(u_cut: float, cmin: np.ndarray, cmax: np.ndarray) -> np.ndarray:
    """``[u_cut]`` if no interval contains it; else the interval ends no interval contains (may be empty)."""

    def blocked(x: np.ndarray) -> np.ndarray:
        return ((cmin[None, :] < x[:, None]) & (x[:, None] < cmax[None, :])).any(axis=1)

    if cmin.size == 0 or not blocked(np.array([u_cut]))[0]:
        return np.array([u_cut])
    candidates = np.unique(np.concatenate([cmin, cmax]))
    return candidates[~blocked(candidates)]


# ------------------------------------------------------------------------------------------- tiling


@dataclass
class Tiling:
    """The grids of one community and what it took to make them (for the quality report).

    Attributes
    ----------
    grids
        The grid polygons (see :func:`tile_community`).
    area_m2
        Area of each grid in square metres.
    blocks
        Road blocks the community was cut into by its boundary, the roads and the barriers.
    cuts
        Straight cut lines added inside blocks larger than the target.
    slivers_merged
        Pieces smaller than ``sliver_frac × target`` merged into a neighbour.
    compound_joins
        Merges of two pieces that a compound straddled (a road or cut through it).
    forced_compounds
        Indices (into the ``compounds`` given) of compounds whose grid is oversized (more than
        ``oversize_frac × target``) because the compound had to stay whole: it straddled a road or a cut, or
        is itself larger than the target.
    """

    grids: np.ndarray
    area_m2: np.ndarray
    blocks: int = 0
    cuts: int = 0
    slivers_merged: int = 0
    compound_joins: int = 0
    forced_compounds: list[int] = field(default_factory=list)


def tile_community(
    community: Polygon | MultiPolygon,
    roads: Iterable[Any] | np.ndarray,
    compounds: Iterable[Any] | np.ndarray,
    *,
    target_m2: float = 10_000.0,
    metric_epsg: int,
    sliver_frac: float = 0.25,
    grid_size: float | None = None,
    barriers: Iterable[Any] | np.ndarray | None = None,
) -> np.ndarray:
    """Tile a community polygon into unit grids of about ``target_m2``.

    The grids only; :func:`tile_community_report` gives the same grids with the figures of the quality report.

    Parameters
    ----------
    community
        The community (社区) polygon, EPSG:4326, valid.
    roads
        Road centre-lines (LineStrings, EPSG:4326) of any extent: only their parts inside the community cut
        it. A road meant to run along the community boundary should coincide with it (take both from one
        noded network); one drawn a hair beside it leaves thin slivers, which are merged away.
    compounds
        Residential compound polygons (EPSG:4326); none is ever split between two grids.
    target_m2
        Wanted grid area in square metres (万米单元网格: 10,000).
    metric_epsg
        Metric CRS for areas, edge lengths and cut geometry (the local UTM zone).
    sliver_frac
        Pieces smaller than ``sliver_frac * target_m2`` are merged into the neighbour sharing the longest edge.
    grid_size
        If given (degrees, e.g. ``1e-6``), the finished grids are snap-rounded together to this grid
        (:func:`snap_coverage`), so they survive writing with that many decimals unchanged. They then tile
        the community as snap-rounded: a new vertex on its boundary (where a cut meets it) moves by up to
        ``grid_size``. To keep neighbouring communities consistent, tile them with ``grid_size=None`` and
        snap all their grids together in one :func:`snap_coverage` call instead.

    Returns
    -------
    numpy.ndarray
        Polygons that tile ``community``: their union is the community, pairwise intersections have zero
        area, and every compound lies (up to its part outside the community) in exactly one of them.
        Order is by construction, not by code: number them with :func:`grid_codes`.

    Examples
    --------
    >>> from shapely.geometry import LineString, box
    >>> from gridmap.geo.crs import transform
    >>> block = transform([box(512_000, 4_152_500, 512_400, 4_152_700)], 32649, 4326)[0]  # 8 ha in 离石
    >>> road = transform([LineString([(512_200, 4_152_490), (512_200, 4_152_710)])], 32649, 4326)[0]
    >>> grids = tile_community(block, [road], [], target_m2=10_000, metric_epsg=32649)
    >>> len(grids)
    8
    >>> bool(shapely.coverage_is_valid(grids))
    True
    >>> shapely.union_all(grids).symmetric_difference(block).area < 1e-12
    True
    """
    return tile_community_report(
        community,
        roads,
        compounds,
        target_m2=target_m2,
        metric_epsg=metric_epsg,
        sliver_frac=sliver_frac,
        grid_size=grid_size,
        barriers=barriers,
    ).grids


def tile_community_report(
    community: Polygon | MultiPolygon,
    roads: Iterable[Any] | np.ndarray,
    compounds: Iterable[Any] | np.ndarray,
    *,
    target_m2: float = 10_000.0,
    metric_epsg: int,
    sliver_frac: float = 0.25,
    grid_size: float | None = None,
    barriers: Iterable[Any] | np.ndarray | None = None,
    oversize_frac: float = 1.5,
) -> Tiling:
    """:func:`tile_community`, returning a :class:`Tiling` (grids, their areas and how they were made).

    ``barriers``: other lines grid edges must follow, like roads (rivers, walls); polygons (a river's water
    area) contribute their outline. ``oversize_frac``: a grid larger than this many targets counts as
    oversized when a compound explains it (:attr:`Tiling.forced_compounds`).
    """
    if not isinstance(community, (Polygon, MultiPolygon)):
        raise TypeError(f"community must be a Polygon or MultiPolygon, got {type(community).__name__}")
    if community.is_empty:
        raise ValueError("community polygon is empty")
    if not community.is_valid:
        raise ValueError(f"community polygon is invalid: {shapely.is_valid_reason(community)}")
    if not target_m2 > 0:
        raise ValueError(f"target_m2 must be positive, got {target_m2}")
    proj = _Projector(metric_epsg)
    roads = _line_parts(roads)
    if barriers is not None:
        extra = _as_geoms(barriers)
        if extra.size:
            is_poly = np.isin(shapely.get_type_id(extra), (3, 6))
            extra = np.concatenate([_line_parts(extra[~is_poly]), _line_parts(shapely.boundary(extra[is_poly]))])
            roads = np.concatenate([roads, extra])
    compounds, compound_index = _polygon_parts_indexed(compounds)
    shapely.prepare(community)

    # 1. road blocks: the community boundary noded with the roads, faces inside kept. Roads are not clipped
    # first: a clipped end can stop a hair short of the boundary and leave the block uncut.
    if roads.size:
        roads = roads[shapely.intersects(community, roads)]
    linework = shapely.union_all(
        np.concatenate([_line_parts(shapely.boundary(np.array([community], dtype=object))), roads])
    )
    blocks = _polygon_parts(shapely.polygonize(shapely.get_parts(linework)))
    blocks = blocks[shapely.intersects(community, shapely.point_on_surface(blocks))]
    if blocks.size == 0:
        raise ValueError("community polygon produced no faces")

    # 2. straight cuts through blocks much larger than the target
    if compounds.size:
        inside = shapely.intersects(community, compounds)
        compounds, compound_index = compounds[inside], compound_index[inside]
    compounds_m = proj.to_metric(compounds) if compounds.size else compounds
    cutter = _Cutter(proj, compounds, compounds_m)
    block_area = shapely.area(proj.to_metric(blocks))
    for block, area in zip(blocks, block_area, strict=True):
        n = max(1, math.floor(area / target_m2 + 0.5))
        if n > 1:
            cutter.split(block, n)

    # 3. one planar partition of boundary, roads and cut chords: faces share their edges exactly
    if cutter.chords:
        linework = shapely.union_all(np.concatenate([shapely.get_parts(linework), cutter.chords]))
        faces = _polygon_parts(shapely.polygonize(shapely.get_parts(linework)))
        faces = faces[shapely.intersects(community, shapely.point_on_surface(faces))]
    else:
        faces = blocks
    fi, bj = STRtree(blocks).query(shapely.point_on_surface(faces), predicate="within")
    block_of = -1 - np.arange(len(faces))  # a face in no single block (a crumb at an overshoot) is its own
    single = np.bincount(fi, minlength=len(faces))[fi] == 1
    block_of[fi[single]] = bj[single]

    # 4. merge faces over compounds, then slivers into neighbours
    faces_m = proj.to_metric(faces)
    counts: dict[str, Any] = {}
    groups = _merge_groups(
        faces, faces_m, compounds, compounds_m, target_m2 * sliver_frac, np.arange(len(faces)), block_of, counts
    )

    out = []
    labels, group_of = np.unique(groups, return_inverse=True)
    for label in labels:
        members = faces[groups == label]
        out.append(members[0] if len(members) == 1 else shapely.coverage_union_all(members))
    grids = np.array(out, dtype=object)
    if grid_size:
        grids = snap_coverage(grids, grid_size)
    grid_area = np.bincount(group_of.ravel(), weights=shapely.area(faces_m), minlength=len(labels))

    # compounds behind oversized grids: joined across a road or cut, or larger than the target on their own
    forced: list[int] = []
    if compounds.size:
        oversized = grid_area > oversize_frac * target_m2
        suspects = set(counts.get("joined_compounds", [])) | set(
            np.flatnonzero(shapely.area(compounds_m) > target_m2).tolist()
        )
        if suspects and oversized.any():
            cand = np.array(sorted(suspects))
            ci, gj = STRtree(grids).query(shapely.point_on_surface(compounds[cand]), predicate="intersects")
            hit = oversized[gj]
            forced = sorted({int(compound_index[cand[i]]) for i in ci[hit]})
    return Tiling(
        grids=grids,
        area_m2=grid_area,
        blocks=int(blocks.size),
        cuts=len(cutter.chords),
        slivers_merged=int(counts.get("slivers_merged", 0)),
        compound_joins=int(counts.get("compound_joins", 0)),
        forced_compounds=forced,
    )


def _merge_groups(
    faces: np.ndarray,
    faces_m: np.ndarray,
    compounds: np.ndarray,
    compounds_m: np.ndarray,
    sliver_m2: float,
    initial: np.ndarray,
    block: np.ndarray,
    counts: dict[str, int] | None = None,
) -> np.ndarray:
    """Group labels per face: initial pieces, joined over compounds, then slivers into neighbours.

    ``counts`` (if given) receives ``compound_joins`` (merges of two groups over a compound) and
    ``slivers_merged`` (groups smaller than ``sliver_m2`` merged into a neighbour).

    A sliver goes to the neighbour sharing the longest edge inside its own road block if there is one (a
    strip left beside a compound joins the grid next to it, not the block across the road), else to the
    neighbour sharing the longest edge.
    """
    n = len(faces)
    uf = _UnionFind(n)
    joins = slivers = 0

    def done(labels: np.ndarray) -> np.ndarray:
        if counts is not None:
            counts["compound_joins"] = counts.get("compound_joins", 0) + joins
            counts["slivers_merged"] = counts.get("slivers_merged", 0) + slivers
        return labels

    # faces that came from one piece stay together
    first: dict[int, int] = {}
    for i, piece in enumerate(initial.tolist()):
        if piece in first:
            uf.union(first[piece], i)
        else:
            first[piece] = i
    tree = STRtree(faces)

    # a compound overlapping several faces pulls them into one grid
    if compounds.size:
        ci, fj = tree.query(compounds, predicate="intersects")
        if ci.size:
            inter = shapely.area(robust_intersection(compounds_m[ci], faces_m[fj]))
            real = inter > 1e-6 * shapely.area(compounds_m[ci]) + 1e-6
            ci, fj = ci[real], fj[real]
            for c in np.unique(ci):
                members = fj[ci == c]
                joined = False
                for m in members[1:]:
                    if uf.find(int(members[0])) != uf.find(int(m)):
                        joins += 1
                        joined = True
                    uf.union(int(members[0]), int(m))
                if joined and counts is not None:
                    counts.setdefault("joined_compounds", []).append(int(c))

    # shared edge lengths between touching faces (metres); faces of one polygonize share edges exactly, so
    # the intersection of two boundaries is their common edge (a point where they only touch at a corner)
    a, b = tree.query(faces, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    if a.size:
        rings = shapely.boundary(faces_m)
        shared = shapely.length(robust_intersection(rings[a], rings[b]))
        touch = shared > 0  # float crumbs of the polygonize share edges of ~1e-12 m: they merge too
        a, b, shared = a[touch], b[touch], shared[touch]
    else:
        shared = np.zeros(0)
    same_block = block[a] == block[b]
    area = shapely.area(faces_m)

    while True:
        labels = uf.labels()
        gl, inverse = np.unique(labels, return_inverse=True)
        if len(gl) <= 1:
            return done(labels)
        garea = np.bincount(inverse, weights=area, minlength=len(gl))
        ga, gb = inverse[a], inverse[b]
        cross = ga != gb
        if not cross.any():
            return done(labels)
        small = np.flatnonzero(garea < sliver_m2)
        has_nb = np.zeros(len(gl), bool)
        has_nb[ga[cross]] = True
        has_nb[gb[cross]] = True
        small = small[has_nb[small]]
        if small.size == 0:
            return done(labels)
        g = small[np.lexsort((gl[small], garea[small]))[0]]
        # total shared length from group g to each neighbouring group
        sel = cross & ((ga == g) | (gb == g))
        other = np.where(ga[sel] == g, gb[sel], ga[sel])
        inside = same_block[sel]
        lengths = np.bincount(other[inside], weights=shared[sel][inside], minlength=len(gl))
        if not lengths.any():
            lengths = np.bincount(other, weights=shared[sel], minlength=len(gl))
        best = int(np.argmax(lengths))
        uf.union(int(gl[g]), int(gl[best]))
        slivers += 1


# -------------------------------------------------------------------------------------------- codes


def grid_codes(community_code: str, grids: Sequence[Any] | np.ndarray, seq_width: int = 2) -> list[str]:
    """Codes for the grids of one community, numbered west→east, then north→south.

    Code = 12-digit community code (district 6 + street 3 + community 3) + a ``seq_width``-digit sequence
    starting at 1 (CJ/T 213: 2 digits → 14-digit codes; Beijing uses 3 → 15 digits).

    Row-banding rule: grids are taken by centroid latitude, north first; a grid opens a new row when its
    centroid lies more than half the median grid height (north–south extent of the bounding box) below the
    centroid of the first grid of the current row; otherwise it joins that row. Rows are numbered north to
    south, and inside a row grids run by centroid longitude, west to east (ties: the more northern first).

    Parameters
    ----------
    community_code
        The 12-digit community code.
    grids
        The community's grid polygons (any CRS with x east and y north, e.g. EPSG:4326).
    seq_width
        Digits of the sequence number.

    Returns
    -------
    list of str
        One code per grid, in the order of ``grids``.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> grid_codes("141102001001", [box(1, 0, 2, 1), box(0, 0, 1, 1), box(0, 1, 2, 2)])
    ['14110200100103', '14110200100102', '14110200100101']
    """
    if not (isinstance(community_code, str) and len(community_code) == 12 and community_code.isdigit()):
        raise ValueError(f"community_code must be 12 digits, got {community_code!r}")
    if seq_width < 1:
        raise ValueError(f"seq_width must be at least 1, got {seq_width}")
    geoms = np.asarray(list(grids) if not isinstance(grids, np.ndarray) else grids, dtype=object).ravel()
    n = len(geoms)
    if n == 0:
        return []
    if n > 10**seq_width - 1:
        raise ValueError(f"{n} grids do not fit in a {seq_width}-digit sequence (max {10**seq_width - 1})")
    if shapely.is_missing(geoms).any() or shapely.is_empty(geoms).any():
        raise ValueError("grids contain missing or empty geometries")
    centroids = shapely.centroid(geoms)
    x, y = shapely.get_x(centroids), shapely.get_y(centroids)
    bounds = shapely.bounds(geoms)
    band = 0.5 * float(np.median(bounds[:, 3] - bounds[:, 1]))
    row = np.empty(n, dtype=np.int64)
    current, top = -1, math.inf
    for i in np.lexsort((x, -y)):  # north first, then west
        if current < 0 or top - y[i] > band:
            current += 1
            top = y[i]
        row[i] = current
    order = np.lexsort((-y, x, row))
    seq = np.empty(n, dtype=np.int64)
    seq[order] = np.arange(1, n + 1)
    return [f"{community_code}{s:0{seq_width}d}" for s in seq]
