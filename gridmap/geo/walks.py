"""Synthetic patrol walks over a road network with known truth, for proving and benchmarking map matching.

A walk starts at a random node and follows random segments (never straight back the way it came unless it must),
sampling its position every ``interval_s`` seconds at ``speed_mps`` and adding Gaussian noise of ``sigma_m``
metres to each fix. The segments walked end to end are the truth.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import shapely


@dataclass(frozen=True)
class Walk:
    x: np.ndarray  # metric fixes (with noise)
    y: np.ndarray
    t: np.ndarray  # seconds from the start
    rows: frozenset[int]  # the segments (rows of the network) walked end to end


class Walker:
    """Random walks over metric lines (``lines[row]``), joined at end points that coincide to 0.1 m."""

    def __init__(self, lines: np.ndarray) -> None:
        self.lines = np.asarray(lines, dtype=object)
        coords, owner = shapely.get_coordinates(self.lines, return_index=True)
        first = np.searchsorted(owner, np.arange(len(self.lines)))
        last = np.r_[first[1:], len(owner)] - 1
        ends = np.round(np.r_[coords[first], coords[last]] * 10).astype(np.int64)
        _, node = np.unique(ends, axis=0, return_inverse=True)
        node = node.reshape(-1)
        n = len(self.lines)
        self.adj: dict[int, list[tuple[int, int, bool]]] = defaultdict(list)
        for row in range(n):
            a, b = int(node[row]), int(node[n + row])
            self.adj[a].append((row, b, False))
            self.adj[b].append((row, a, True))
        self.nodes = sorted(self.adj)
        self.coords = [shapely.get_coordinates(g) for g in self.lines]

    def walk(
        self, rng: np.random.Generator, length_m: float, sigma_m: float, interval_s: float = 10.0,
        speed_mps: float = 1.4,
    ) -> Walk:  # fmt: skip
        node = self.nodes[int(rng.integers(len(self.nodes)))]
        path: list[tuple[int, bool]] = []
        walked, prev = 0.0, -1
        while walked < length_m:
            options = [o for o in self.adj[node] if o[0] != prev] or self.adj[node]
            row, node, backwards = options[int(rng.integers(len(options)))]
            path.append((row, backwards))
            walked += float(shapely.length(self.lines[row]))
            prev = row
        parts = [self.coords[r][::-1] if back else self.coords[r] for r, back in path]
        pts = np.vstack([parts[0], *[p[1:] for p in parts[1:]]])
        line = shapely.LineString(pts)
        at = np.arange(0.0, line.length, speed_mps * interval_s)
        xy = shapely.get_coordinates(shapely.line_interpolate_point(line, at))
        xy = xy + rng.normal(0.0, sigma_m, xy.shape)
        return Walk(xy[:, 0], xy[:, 1], np.arange(len(xy)) * interval_s, frozenset(r for r, _ in path))
