"""Storefront frontages 门前责任区 of 门前三包/五包, derived for many shops at once (numpy + shapely 2, vectorised).

DOMAIN.md: the frontage is "the strip from the shop wall to the kerb, sideways to the midpoint with the
neighbour". In a metric CRS, for each shop ``p`` on its road segment (centre-line ``L``):

=================================  ==========================================================================
rule                               code
=================================  ==========================================================================
the foot of the shop on the road   ``s = line_locate_point(L, p)``: arc length along ``L``; foot ``f = L(s)``
which side of the road             the sign of the cross product of the tangent at ``s`` with ``p − f``
the kerb                           ``L`` offset by ``half_width`` towards the shop (``half_width = 0``: ``L``)
wall to kerb (depth)               from ``|p − f|`` (the wall) to ``half_width`` (the kerb), never thinner than
                                   :data:`MIN_DEPTH_M`
sideways                           to the midpoint with the next shop on the same segment and side, at most
                                   ``max_side`` each way, never past the segment's ends
=================================  ==========================================================================

The strip is built as a rectangle on the tangent at the foot: a frontage is tens of metres long, where a
segment's centre-line bends little. One numpy pass builds every rectangle; :func:`shapely.polygons` makes them.

>>> import numpy as np, shapely
>>> road = np.array([shapely.LineString([(0, 0), (100, 0)])])
>>> polys = frontages(np.array([[20.0, 12.0], [40.0, 12.0]]), road, np.array([0, 0]), half_width=6, max_side=30)
>>> [tuple(round(v) for v in shapely.bounds(p)) for p in polys]
[(0, 6, 30, 12), (30, 6, 70, 12)]
"""

from __future__ import annotations

import numpy as np
import shapely

MIN_DEPTH_M = 1.0  # metres: a shop drawn on the kerb (or in the road) still answers for a strip this deep
_TANGENT_STEP_M = 0.5  # metres either side of the foot to read the road's direction
_EPS = 1e-9


def sides(points: np.ndarray, lines: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For each point and its line (same length arrays, metric): arc length of the foot, the foot (n, 2), the
    unit tangent there (n, 2), the signed side (+1 left of the line's direction, −1 right) and the distance."""
    pts = shapely.points(points)
    s = shapely.line_locate_point(lines, pts)
    length = shapely.length(lines)
    a = shapely.get_coordinates(shapely.line_interpolate_point(lines, np.maximum(s - _TANGENT_STEP_M, 0.0)))
    b = shapely.get_coordinates(shapely.line_interpolate_point(lines, np.minimum(s + _TANGENT_STEP_M, length)))
    foot = shapely.get_coordinates(shapely.line_interpolate_point(lines, s))
    t = b - a
    norm = np.hypot(t[:, 0], t[:, 1])
    t = t / np.where(norm > _EPS, norm, 1.0)[:, None]
    rel = points - foot
    cross = t[:, 0] * rel[:, 1] - t[:, 1] * rel[:, 0]
    side = np.where(cross >= 0.0, 1.0, -1.0)
    return s, foot, t, side, np.hypot(rel[:, 0], rel[:, 1])


def sideways_bounds(
    segment: np.ndarray, side: np.ndarray, s: np.ndarray, length: np.ndarray, max_side: float
) -> tuple[np.ndarray, np.ndarray]:
    """The arc-length interval ``[lo, hi]`` of each shop's frontage: to the midpoints with its neighbours on the
    same segment and side (sorted by arc length, one lexsort for all), at most ``max_side`` away, inside
    ``[0, length]``. Two shops at the same spot share the midpoint: each gets a zero-width side there."""
    n = len(s)
    order = np.lexsort((s, side, segment))
    seg_o, side_o, s_o = segment[order], side[order], s[order]
    same_prev = np.zeros(n, dtype=bool)
    same_prev[1:] = (seg_o[1:] == seg_o[:-1]) & (side_o[1:] == side_o[:-1])
    mid_prev = np.full(n, -np.inf)
    mid_prev[1:] = (s_o[1:] + s_o[:-1]) / 2.0
    lo_o = np.where(same_prev, np.maximum(mid_prev, s_o - max_side), s_o - max_side)
    same_next = np.zeros(n, dtype=bool)
    same_next[:-1] = same_prev[1:]
    mid_next = np.full(n, np.inf)
    mid_next[:-1] = mid_prev[1:]
    hi_o = np.where(same_next, np.minimum(mid_next, s_o + max_side), s_o + max_side)
    lo, hi = np.empty(n), np.empty(n)
    lo[order], hi[order] = lo_o, hi_o
    return np.maximum(lo, 0.0), np.minimum(hi, length)


def frontages(
    points: np.ndarray,
    lines: np.ndarray,
    segment: np.ndarray,
    *,
    half_width: float | np.ndarray = 0.0,
    max_side: float = 30.0,
) -> np.ndarray:
    """The frontage polygon of each shop (metric CRS).

    Parameters
    ----------
    points : (n, 2) float array, the shops' positions.
    lines : the road segments' centre-lines (shapely LineStrings).
    segment : (n,) int array, the index into ``lines`` of each shop's segment.
    half_width : the kerb's distance from the centre-line, metres (one value, or one per shop); 0 = the
        centre-line itself is the kerb.
    max_side : how far a frontage reaches sideways each way when no neighbour is nearer, metres.
    """
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    segment = np.asarray(segment, dtype=np.int64)
    if len(points) == 0:
        return np.empty(0, dtype=object)
    own = np.asarray(lines, dtype=object)[segment]
    s, foot, t, side, dist = sides(points, own)
    lo, hi = sideways_bounds(segment, side, s, shapely.length(own), max_side)
    h = np.broadcast_to(np.asarray(half_width, dtype=float), s.shape)
    near = np.minimum(dist, h)
    far = np.maximum(np.maximum(dist, h), near + MIN_DEPTH_M)
    normal = side[:, None] * np.column_stack((-t[:, 1], t[:, 0]))  # unit, pointing from the road to the shop
    along_lo = (lo - s)[:, None] * t
    along_hi = (hi - s)[:, None] * t
    ring = np.stack(
        (
            foot + along_lo + near[:, None] * normal,
            foot + along_hi + near[:, None] * normal,
            foot + along_hi + far[:, None] * normal,
            foot + along_lo + far[:, None] * normal,
            foot + along_lo + near[:, None] * normal,
        ),
        axis=1,
    )
    return np.asarray(shapely.polygons(ring), dtype=object)


def nearest_lines(points: np.ndarray, lines: np.ndarray, max_distance: float) -> np.ndarray:
    """Index of the nearest line of each point within ``max_distance`` (metric), −1 where none is that near
    (STRtree; a tie goes to the lowest index)."""
    pts = np.asarray(shapely.points(np.asarray(points, dtype=float).reshape(-1, 2)), dtype=object)
    found = np.full(len(pts), -1, dtype=np.int64)
    if len(pts) == 0 or len(lines) == 0:
        return found
    tree = shapely.STRtree(np.asarray(lines, dtype=object))
    (which, hit) = tree.query_nearest(pts, max_distance=max_distance, all_matches=True)
    keep = np.ones(len(which), dtype=bool)
    order = np.lexsort((hit, which))
    which, hit = which[order], hit[order]
    keep[1:] = which[1:] != which[:-1]
    found[which[keep]] = hit[keep]
    return found


def containing(points: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    """Index of the polygon holding each point (the lowest index on a shared edge), −1 for none."""
    pts = np.asarray(shapely.points(np.asarray(points, dtype=float).reshape(-1, 2)), dtype=object)
    found = np.full(len(pts), -1, dtype=np.int64)
    if len(pts) == 0 or len(polygons) == 0:
        return found
    tree = shapely.STRtree(np.asarray(polygons, dtype=object))
    which, hit = tree.query(pts, predicate="intersects")
    order = np.lexsort((hit, which))
    which, hit = which[order], hit[order]
    keep = np.ones(len(which), dtype=bool)
    keep[1:] = which[1:] != which[:-1]
    found[which[keep]] = hit[keep]
    return found
