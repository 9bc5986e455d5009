"""Straight cuts across a block larger than the target, placed by area share and kept clear of compounds."""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
import shapely.errors
from shapely import STRtree
from shapely.geometry import LineString, Polygon

from gridmap.geo.gridding.parts import Projector, line_parts, polygon_parts, robust_intersection

_PROFILE_SAMPLES = 33  # positions at which a piece's cumulative area is sampled to place a cut


_CUT_WINDOW = 0.15  # a cut may move this far (as a share of the piece's area) to avoid a compound


_COMPOUND_GAP_M = 1.0  # cuts keep at least this far from a compound they avoid


_OVERSHOOT = 1e-9  # degrees (~0.1 mm): cut chords reach this far past the edge they end on


class Cutter:
    """Recursive straight bisection of one block, avoiding compounds.

    A piece that should become ``n`` grids is cut across its long axis where the area splits ``n // 2`` to
    ``n - n // 2``. If a compound lies there, the cut moves to the nearest free position whose area share
    is within ``_CUT_WINDOW``; failing that, to any free position (the grid counts of the two sides follow the
    shares); failing that, the same is tried across the short axis; failing that, the cut goes through the
    compound and the pieces are merged back afterwards.
    """

    def __init__(self, proj: Projector, compounds: np.ndarray, compounds_m: np.ndarray):
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
        fallback: tuple[_Frame, float, int] | None = None
        plan: tuple[_Frame, float, int] | None
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
        a, b = (shapely.union_all(polygon_parts(np.array([p], dtype=object))) for p in parts)
        if a.is_empty or b.is_empty:
            return [piece]
        # the chord: the cut line inside the piece, each end pushed a hair past the piece's edge so that
        # noding always finds the crossing (an end computed exactly on the edge may fall short of it)
        cut_line = LineString(corners[0, 1:3])
        for chord in line_parts(shapely.intersection(cut_line, piece)):
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
        return np.any((cmin[None, :] < x[:, None]) & (x[:, None] < cmax[None, :]), axis=1)

    if cmin.size == 0 or not blocked(np.array([u_cut]))[0]:
        return np.array([u_cut])
    candidates = np.unique(np.concatenate([cmin, cmax]))
    return candidates[~blocked(candidates)]
