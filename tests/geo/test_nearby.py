"""The nearest earlier neighbour within a radius and a time window (bulk duplicate links) against a brute-force
reference, and the ellipsoidal distance against pyproj's geodesic."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod

from gridmap.geo import nearby
from gridmap.geo.nearby import ellipsoid_distance, nearest_earlier


def brute_force(lon, lat, group, t, order, queries, radius_m, window):
    """Every pair, the rule written out directly."""
    best, best_d = [], []
    for q in queries:
        idx = np.flatnonzero((group == group[q]) & (order < order[q]) & (np.abs(t - t[q]) <= window))
        d = ellipsoid_distance(np.full(len(idx), lon[q]), np.full(len(idx), lat[q]), lon[idx], lat[idx])
        idx, d = idx[d <= radius_m], d[d <= radius_m]
        if not len(idx):
            best.append(-1)
            best_d.append(np.nan)
            continue
        k = np.lexsort((order[idx], d))[0]
        best.append(idx[k])
        best_d.append(d[k])
    return np.asarray(best, dtype=np.int64), np.asarray(best_d)


def random_case(rng: np.random.Generator, n: int):
    lon = 111.14 + rng.random(n) * 0.004
    lat = 37.52 + rng.random(n) * 0.004
    same = rng.random(n) < 0.3  # a third of the points sit exactly on another one (one site, several points)
    src = rng.integers(0, n, n)
    lon[same], lat[same] = lon[src[same]], lat[src[same]]
    group = rng.integers(0, 3, n)
    t = rng.integers(0, 20, n) * 1000  # equal times are common: the window's edges are hit exactly
    order = rng.permutation(n) * 7 + 3
    queries = np.flatnonzero(rng.random(n) < 0.7)  # the others are only candidates (stored cases)
    return lon, lat, group, t, order, queries


@pytest.mark.parametrize("seed", range(8))
def test_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    linked = 0
    for _ in range(6):
        lon, lat, group, t, order, queries = random_case(rng, int(rng.integers(2, 500)))
        radius = float(rng.choice([15.0, 50.0, 150.0]))
        window = int(rng.choice([0, 3000, 7000]))
        got, got_d = nearest_earlier(lon, lat, group, t, order, queries, radius, window)
        want, want_d = brute_force(lon, lat, group, t, order, queries, radius, window)
        assert (got == want).all(), np.flatnonzero(got != want)[:5]
        assert np.allclose(got_d, want_d, equal_nan=True)
        linked += int((got >= 0).sum())
    assert linked > 20  # the data do produce links


def test_answers_merged_across_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of a few pairs: a query's candidates arrive in several chunks and the nearest still wins."""
    monkeypatch.setattr(nearby, "_PAIRS_PER_CHUNK", 7)
    rng = np.random.default_rng(42)
    lon, lat, group, t, order, queries = random_case(rng, 300)
    got, _ = nearest_earlier(lon, lat, group, t, order, queries, 80.0, 5000)
    want, _ = brute_force(lon, lat, group, t, order, queries, 80.0, 5000)
    assert (got == want).all() and (got >= 0).sum() > 50


def test_many_reports_on_one_spot_link_to_the_earliest_in_their_window() -> None:
    """20,000 reports at one position (a phone's default fix): one site, so no pair explosion; each links to
    the lowest-order point within its window."""
    n = 20_000
    lon, lat = np.full(n, 111.14), np.full(n, 37.52)
    t = np.arange(n, dtype=np.int64) * 10  # in order of time
    order = np.arange(n, dtype=np.int64)
    got, d = nearest_earlier(lon, lat, np.zeros(n, np.int64), t, order, np.arange(n), 50.0, 1000)
    want = np.where(np.arange(n) == 0, -1, np.maximum(np.arange(n) - 100, 0))  # window 1000 = 100 steps back
    assert (got == want).all()
    assert (d[1:] == 0).all()


def test_radius_edge_is_inclusive_and_groups_do_not_mix() -> None:
    geod = Geod(ellps="WGS84")
    lon2, lat2, _ = geod.fwd(111.14, 37.52, 90.0, 50.0)
    lon = np.asarray([111.14, lon2, lon2])
    lat = np.asarray([37.52, lat2, lat2])
    got, d = nearest_earlier(lon, lat, np.asarray([0, 0, 1]), np.zeros(3, np.int64), np.arange(3), [1, 2], 50.0001, 0)
    assert got.tolist() == [0, -1] and abs(d[0] - 50.0) < 1e-6
    got, _ = nearest_earlier(lon, lat, np.asarray([0, 0, 1]), np.zeros(3, np.int64), np.arange(3), [1], 49.9999, 0)
    assert got.tolist() == [-1]


def test_tiny_radius_over_a_wide_area_stays_exact() -> None:
    """Cells for 1 mm across 100° of longitude would overflow a 64-bit key: coarser cells, same answers."""
    rng = np.random.default_rng(3)
    n = 400
    lon = np.where(rng.random(n) < 0.5, 20.0, 120.0) + rng.random(n) * 1e-8
    lat = 30.0 + rng.random(n) * 1e-8
    group, t, order = np.zeros(n, np.int64), np.zeros(n, np.int64), rng.permutation(n)
    got, _ = nearest_earlier(lon, lat, group, t, order, np.arange(n), 0.001, 0)
    want, _ = brute_force(lon, lat, group, t, order, np.arange(n), 0.001, 0)
    assert (got == want).all() and (got >= 0).sum() > 100


@pytest.mark.parametrize("lat0", [0.0, 22.5, 37.5, 53.0, 70.0])
def test_distance_agrees_with_the_geodesic(lat0: float) -> None:
    rng = np.random.default_rng(int(lat0))
    n = 20_000
    lon1, lat1 = 111.0 + rng.random(n), lat0 + rng.random(n) * 0.5
    lon2, lat2 = lon1 + (rng.random(n) - 0.5) * 0.02, lat1 + (rng.random(n) - 0.5) * 0.02
    _, _, want = Geod(ellps="WGS84").inv(lon1, lat1, lon2, lat2)
    got = ellipsoid_distance(lon1, lat1, lon2, lat2)
    assert want.max() > 500
    assert np.abs(got - want).max() < 1e-5  # under 10 µm up to about 1.5 km


@pytest.mark.parametrize("chunk", [1, 1000])
def test_equal_distances_go_to_the_lower_order_even_across_chunks(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    """Two candidates exactly as far west and east of the query (binary-exact offsets, about 11 m), the eastern
    one earlier: it wins, also when the two pairs are found in different chunks."""
    monkeypatch.setattr(nearby, "_PAIRS_PER_CHUNK", chunk)
    step = 2.0**-13
    lon = np.asarray([111.0 - step, 111.0, 111.0 + step])
    lat = np.full(3, 37.5)
    order = np.asarray([5, 9, 2])  # west, query, east
    got, d = nearest_earlier(lon, lat, np.zeros(3, np.int64), np.zeros(3, np.int64), order, [1], 50.0, 0)
    assert got.tolist() == [2] and 10 < d[0] < 11
