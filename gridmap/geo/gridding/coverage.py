"""Grids snap-rounded together (:func:`snap_coverage`) so that neighbours keep sharing their edges vertex for vertex
when written with fewer decimals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
import shapely.errors
from shapely import STRtree
from shapely.geometry import Polygon

from gridmap.geo.gridding.parts import as_geoms, line_parts, polygon_parts


def _renode(polys: np.ndarray, grid_size: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Node the boundaries of near-coverage ``polys`` together and polygonize.

    Returns the faces of the planar partition and, per face, the index of the input polygon that owns it
    (−1: a hole or outside area, dropped by the callers).
    """
    polys = np.asarray(polys, dtype=object)
    rings = line_parts(shapely.boundary(polys))
    linework = shapely.union_all(rings, grid_size=grid_size)
    faces = polygon_parts(shapely.polygonize(shapely.get_parts(linework)))
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
    polys = as_geoms(polys)
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
