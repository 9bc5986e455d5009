"""Drawn points split among T teams and ordered as a walk, pure numpy.

Teams: the 街道 are taken in the order of a sweep around the points' centre (by the angle of each 街道's mean
position), the points of a 街道 together and swept the same way inside it; that sequence is cut into T runs whose
sizes differ by at most one. A team so gets whole 街道 where the numbers allow, neighbouring ones when it needs more.
Each team's points are then ordered by a nearest-neighbour walk from its first point — not the shortest tour, but
never the zig-zag of drawing order, and what a team can follow on a printed list.

Distances are in metres on a local equirectangular plane (≤ 0.1 % off over a district: enough to order stops).

>>> lon = np.array([0.0, 0.001, 0.002, 0.010, 0.011]); lat = np.zeros(5) + 37.5
>>> team, stop = plan_routes(lon, lat, np.array([1, 1, 1, 2, 2]), teams=2)
>>> team.tolist(), stop.tolist()
([2, 2, 2, 1, 1], [1, 2, 3, 1, 2])
"""

from __future__ import annotations

import numpy as np

M_PER_DEG_LAT = 110_574.0  # metres per degree of latitude (mid-latitudes)
M_PER_DEG_LON_EQUATOR = 111_320.0  # metres per degree of longitude at the equator


def local_metres(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """(n, 2) metres east/north of the points' mean position."""
    lat0 = float(np.mean(lat)) if len(lat) else 0.0
    x = (lon - np.mean(lon)) * M_PER_DEG_LON_EQUATOR * np.cos(np.radians(lat0))
    y = (lat - np.mean(lat)) * M_PER_DEG_LAT
    return np.column_stack([x, y])


def nearest_neighbour_walk(xy: np.ndarray) -> np.ndarray:
    """Indices of ``xy`` in walking order: start at the first point, always go to the nearest one not yet visited."""
    n = len(xy)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.empty(n, dtype=np.int64)
    left = np.ones(n, dtype=bool)
    here = 0
    for k in range(n):
        order[k] = here
        left[here] = False
        if k + 1 < n:
            d = np.hypot(*(xy - xy[here]).T)
            d[~left] = np.inf
            here = int(np.argmin(d))
    return order


def team_bounds(n: int, teams: int, street_in_sequence: np.ndarray) -> np.ndarray:
    """Where the sequence is cut: even runs (sizes differ by at most one), each cut moved to a 街道 border when
    one lies within a quarter of a run (at least one point), so that a 街道 is not split for one point.

    >>> team_bounds(5, 2, np.array([0, 0, 1, 1, 1])).tolist(), team_bounds(4, 2, np.array([0, 0, 0, 0])).tolist()
    ([0, 2, 5], [0, 2, 4])
    """
    sizes = np.full(teams, n // teams) + (np.arange(teams) < n % teams)
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    borders = np.flatnonzero(np.diff(street_in_sequence)) + 1
    slack = max(1, n // (4 * teams))
    for t in range(1, teams):
        if len(borders):
            near = borders[np.argmin(np.abs(borders - bounds[t]))]
            if abs(near - bounds[t]) <= slack and bounds[t - 1] < near < bounds[t + 1]:
                bounds[t] = near
    return bounds


def plan_routes(lon: np.ndarray, lat: np.ndarray, street: np.ndarray, teams: int) -> tuple[np.ndarray, np.ndarray]:
    """Each point's team (1..T) and stop on that team's walk (1..); ``street`` is any integer label (−1: none)."""
    n = len(lon)
    team = np.zeros(n, dtype=np.int64)
    stop = np.zeros(n, dtype=np.int64)
    if n == 0:
        return team, stop
    xy = local_metres(np.asarray(lon, float), np.asarray(lat, float))
    angle = np.arctan2(xy[:, 1], xy[:, 0])
    labels, inverse = np.unique(street, return_inverse=True)
    street_angle = np.array(
        [np.arctan2(xy[inverse == k, 1].mean(), xy[inverse == k, 0].mean()) for k in range(len(labels))]
    )
    street_rank = np.argsort(np.argsort(street_angle, kind="stable"), kind="stable")
    sequence = np.lexsort((np.arange(n), angle, street_rank[inverse]))
    teams = max(1, min(teams, n))
    bounds = team_bounds(n, teams, street_rank[inverse][sequence])
    for t in range(teams):
        mine = sequence[bounds[t] : bounds[t + 1]]
        walk = mine[nearest_neighbour_walk(xy[mine])]
        team[walk] = t + 1
        stop[walk] = np.arange(1, len(walk) + 1)
    return team, stop
