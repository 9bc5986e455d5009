"""Geometry helpers of the drawing steps, in local metric coordinates (metres east/north of :data:`~.config.ORIGIN`).

Conversion to and from EPSG:4326, smooth curves (Chaikin), smooth sine noise for wavy outlines and roads, and line
helpers (extend, cut at a crossing, offset, perpendicular). Sines and powers are the C library's (:mod:`math`), not
numpy's, so that the output is byte for byte the same on every machine (see :func:`_libm`)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, Point, Polygon
from shapely.ops import substring

from .config import EPSG, ORIGIN

_TO_UTM = Transformer.from_crs(4326, EPSG, always_xy=True)
_TO_LL = Transformer.from_crs(EPSG, 4326, always_xy=True)
OX, OY = _TO_UTM.transform(*ORIGIN)


def local_to_ll(geoms: Any) -> np.ndarray:
    """Local metric coordinates (metres east/north of ORIGIN) → EPSG:4326."""
    arr = np.asarray(geoms, dtype=object)

    def fn(xy: np.ndarray) -> np.ndarray:
        lon, lat = _TO_LL.transform(xy[:, 0] + OX, xy[:, 1] + OY)
        return np.column_stack([lon, lat])

    return shapely.transform(arr, fn)


def ll_to_local(geoms: Any) -> np.ndarray:
    arr = np.asarray(geoms, dtype=object)

    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = _TO_UTM.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([np.asarray(x) - OX, np.asarray(y) - OY])

    return shapely.transform(arr, fn)


def chaikin(coords: list[tuple[float, float]], iterations: int = 3) -> LineString:
    pts = np.asarray(coords, dtype=float)
    for _ in range(iterations):
        q = 0.75 * pts[:-1] + 0.25 * pts[1:]
        r = 0.25 * pts[:-1] + 0.75 * pts[1:]
        mid = np.empty((2 * len(q), 2))
        mid[0::2], mid[1::2] = q, r
        pts = np.vstack([pts[:1], mid, pts[-1:]])
    return LineString(pts)


def _normals(xy: np.ndarray, closed: bool) -> np.ndarray:
    nxt = np.roll(xy, -1, axis=0) if closed else np.vstack([xy[1:], 2 * xy[-1] - xy[-2]])
    prv = np.roll(xy, 1, axis=0) if closed else np.vstack([2 * xy[0] - xy[1], xy[:-1]])
    t = nxt - prv
    t /= np.maximum(np.hypot(t[:, 0], t[:, 1]), 1e-9)[:, None]
    return np.column_stack([-t[:, 1], t[:, 0]])


def _libm(fn: Any, x: np.ndarray) -> np.ndarray:
    """``fn`` (a ``math`` function) element-wise. numpy's own sin and power take CPU-specific SIMD paths (Intel's
    SVML on AVX-512) whose last bits differ from machine to machine; the C library's do not, so the city comes out
    byte for byte the same on every x86-64 machine."""
    return np.fromiter(map(fn, np.asarray(x, dtype=float).ravel()), dtype=float, count=np.size(x)).reshape(np.shape(x))


def _noise(t: np.ndarray, rng: np.random.Generator, amp: float, wavelengths: list[float]) -> np.ndarray:
    """Smooth noise: a sum of sines, shorter waves weaker (weight ∝ wavelength^0.7)."""
    out = np.zeros_like(t)
    weights = np.asarray([math.pow(wl, 0.7) for wl in wavelengths])
    weights /= weights.sum()
    for wl, w in zip(wavelengths, weights, strict=True):
        out += w * rng.uniform(0.6, 1.0) * _libm(math.sin, 2 * np.pi * t / wl + rng.uniform(0, 2 * np.pi))
    return amp * out


def wobble_polygon(poly: Polygon, rng: np.random.Generator, amp: float) -> Polygon:
    ring = shapely.segmentize(poly.exterior, 40.0)
    xy = np.asarray(ring.coords)[:-1]
    seg = np.hypot(*np.diff(np.vstack([xy, xy[:1]]), axis=0).T)
    t = np.concatenate([[0.0], np.cumsum(seg)[:-1]])
    per = seg.sum()
    waves = [per / m for m in (5, 9, 17, 31, 57)]  # integer periods around the ring: closes smoothly
    d = _noise(t, rng, amp, waves)
    out = xy + _normals(xy, closed=True) * d[:, None]
    fixed = shapely.make_valid(Polygon(out))
    parts = shapely.get_parts(fixed)
    parts = parts[shapely.get_type_id(parts) == 3]
    return Polygon(max(parts, key=lambda p: p.area).exterior)


def jitter_line(line: LineString, rng: np.random.Generator, amp: float) -> LineString:
    dense = shapely.segmentize(line, 60.0)
    xy = np.asarray(dense.coords)
    seg = np.hypot(*np.diff(xy, axis=0).T)
    t = np.concatenate([[0.0], np.cumsum(seg)])
    d = _noise(t, rng, amp, [380.0, 720.0, 1500.0])
    out = xy + _normals(xy, closed=False) * d[:, None]
    return shapely.simplify(LineString(out), 0.5)


def extend(line: LineString, start: float = 0.0, end: float = 0.0) -> LineString:
    xy = np.asarray(line.coords)
    if start:
        d = xy[0] - xy[1]
        xy = np.vstack([xy[0] + d / np.hypot(*d) * start, xy])
    if end:
        d = xy[-1] - xy[-2]
        xy = np.vstack([xy, xy[-1] + d / np.hypot(*d) * end])
    return LineString(xy)


def piece_near(geom: Any, point: Point) -> LineString | None:
    """The line part of ``geom`` closest to ``point`` (None if there is none)."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "LineString" and p.length > 0]
    if not parts:
        return None
    return min(parts, key=lambda p: p.distance(point))


def beyond(line: LineString, blade: LineString, keep_end: bool) -> LineString:
    """Cut ``line`` at its crossing with ``blade`` nearest to the end that is cut off; keep the other part."""
    hits = shapely.get_parts(line.intersection(blade))
    if len(hits) == 0:
        return line
    pos = sorted(line.project(h.centroid) for h in hits)
    if keep_end:
        return substring(line, pos[0], line.length)
    return substring(line, 0.0, pos[-1])


def offset(line: LineString, dist: float) -> LineString:
    out = shapely.offset_curve(line, dist, join_style="round", quad_segs=4)
    if out.geom_type != "LineString":
        out = max(shapely.get_parts(out), key=lambda p: p.length)
    return out


def perpendicular(axis: LineString, s: float, half: float = 2600.0) -> tuple[LineString, Point]:
    p = axis.interpolate(s)
    a, b = axis.interpolate(max(s - 30, 0)), axis.interpolate(min(s + 30, axis.length))
    t = np.array([b.x - a.x, b.y - a.y])
    t /= np.hypot(*t)
    n = np.array([-t[1], t[0]])
    return LineString([(p.x - n[0] * half, p.y - n[1] * half), (p.x + n[0] * half, p.y + n[1] * half)]), p
