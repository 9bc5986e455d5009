"""The metric snapping index: distances equal GEOS's, covering includes boundaries, shared edges, winners, rivals."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmap.geo import crs
from gridmap.geo.snapping import Pairs, SnapIndex, best_per_point, containing, flag_rivals, utm_epsg


def _lines(rng: np.random.Generator, n: int, extent: float = 1000.0) -> np.ndarray:
    out = []
    for _ in range(n):
        k = rng.integers(2, 7)
        start = rng.uniform(0, extent, 2)
        steps = rng.normal(0, 40, (k - 1, 2))
        out.append(shapely.LineString(np.vstack([start, start + np.cumsum(steps, axis=0)])))
    return np.array(out, dtype=object)


def _sorted(p: Pairs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    o = np.lexsort((p.feature, p.point))
    return p.point[o], p.feature[o], p.distance[o]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), reach=st.floats(1.0, 80.0))
def test_near_finds_exactly_what_geos_finds_within_reach(seed: int, reach: float) -> None:
    rng = np.random.default_rng(seed)
    lines = _lines(rng, 60)
    polys = shapely.buffer(shapely.points(rng.uniform(0, 1000, (30, 2))), rng.uniform(5, 60, 30), quad_segs=3)
    polys = np.array([shapely.Polygon(p.exterior, [shapely.buffer(p.centroid, 2).exterior]) for p in polys])
    index = SnapIndex({"lines": (lines, reach), "polys": (polys, reach)}, epsg=None)
    x, y = rng.uniform(-50, 1050, 400), rng.uniform(-50, 1050, 400)
    pts = shapely.points(x, y)
    for name, geoms in (("lines", lines), ("polys", polys)):
        got = _sorted(index.near(name, x, y))
        p, f = shapely.STRtree(geoms).query(pts, predicate="dwithin", distance=reach)
        expect = _sorted(Pairs(p, f, shapely.distance(pts[p], geoms[f])))
        # identical pairs (up to distances within 1e-9 m of the reach), distances equal to GEOS's
        keep = np.abs(expect[2] - reach) > 1e-9
        gkeep = np.abs(got[2] - reach) > 1e-9
        assert np.array_equal(got[0][gkeep], expect[0][keep]) and np.array_equal(got[1][gkeep], expect[1][keep])
        np.testing.assert_allclose(got[2][gkeep], expect[2][keep], atol=1e-9)


def test_polygon_distance_is_zero_inside_and_to_the_nearest_ring_outside() -> None:
    donut = shapely.Polygon([(0, 0), (100, 0), (100, 100), (0, 100)], [[(40, 40), (60, 40), (60, 60), (40, 60)]])
    index = SnapIndex({"p": ([donut], 10.0)}, epsg=None)
    x = np.array([20.0, 50.0, 105.0, 50.0, 200.0])
    y = np.array([20.0, 50.0, 50.0, 45.0, 200.0])
    pairs = index.near("p", x, y)
    assert pairs.point.tolist() == [0, 1, 2, 3]
    assert pairs.distance.tolist() == [0.0, 10.0, 5.0, 5.0]  # in the hole: 10 m from the inner ring
    assert index.covering("p", x, y).point.tolist() == [0]


def test_a_point_on_a_shared_edge_is_covered_by_both_and_the_lowest_rank_wins() -> None:
    cells = [shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10), shapely.box(0, 10, 10, 20)]
    index = SnapIndex({"cells": (cells, 0.0)}, epsg=None)
    x = np.array([10.0, 10.0, 5.0, 10.0, 30.0])
    y = np.array([5.0, 10.0, 10.0, 0.0, 5.0])  # mid-edge, three-cell corner, horizontal edge, outer corner, out
    pairs = index.covering("cells", x, y)
    points, features, dist = _sorted(pairs)
    assert points.tolist() == [0, 0, 1, 1, 1, 2, 2, 3, 3] and features.tolist() == [0, 1, 0, 1, 2, 0, 2, 0, 1]
    assert not dist.any()
    rank = np.array([2, 1, 0])  # cell 2 has the lowest code
    assert containing(pairs, 5, rank).tolist() == [1, 2, 2, 1, -1]
    # within would give the mid-edge point no cell, intersects two: exactly one here
    assert sum(shapely.within(shapely.Point(10, 5), c) for c in cells) == 0


def test_best_per_point_and_rivals() -> None:
    point = np.array([0, 0, 0, 1, 1, 3])
    dist = np.array([5.0, 2.0, 4.0, 1.0, 1.0, 0.0])
    ident = np.array([10, 11, 12, 13, 9, 14])
    best = best_per_point(4, point, dist, ident)
    assert best.tolist() == [1, 4, -1, 5]  # point 1: a tie on distance → the lower id
    group = np.array([1, 1, 2, 3, 4, -1])
    assert flag_rivals(4, point, dist, group, best, 3.0).tolist() == [True, True, False, False]
    assert flag_rivals(4, point, dist, group, best, 1.0).tolist() == [False, True, False, False]


def test_lonlat_index_measures_in_metres() -> None:
    lon, lat = 111.14, 37.52
    epsg = int(utm_epsg(np.array([lon]), np.array([lat]))[0])
    assert epsg == crs.utm_epsg_for(lon, lat) == 32649
    # a north-south street; a point 0.0001° east is ~8.8 m away at 37.5°N
    street = shapely.LineString([(lon, lat - 0.001), (lon, lat + 0.001)])
    index = SnapIndex({"s": ([street], 50.0)}, epsg=epsg)
    x, y = index.project(np.array([lon + 0.0001]), np.array([lat]))
    pairs = index.near("s", x, y)
    assert pairs.distance[0] == pytest.approx(8.83, abs=0.05)
    assert index.any_within("s", x, y, 5.0).tolist() == [False]
    assert index.any_within("s", x, y, 10.0).tolist() == [True]


def test_empty_layers_and_empty_queries() -> None:
    index = SnapIndex({"none": ([], 10.0), "one": ([shapely.box(0, 0, 1, 1)], 0.0)}, epsg=None)
    assert len(index.near("none", np.array([0.5]), np.array([0.5]))) == 0
    assert len(index.near("one", np.zeros(0), np.zeros(0))) == 0
    assert containing(Pairs.empty(), 2, np.zeros(1, np.int64)).tolist() == [-1, -1]
    assert best_per_point(2, np.zeros(0, np.int64)).tolist() == [-1, -1]


def test_multipart_lines_are_not_joined_across_parts() -> None:
    two = shapely.MultiLineString([[(0, 0), (10, 0)], [(20, 0), (30, 0)]])
    index = SnapIndex({"m": ([two], 20.0)}, epsg=None)
    pairs = index.near("m", np.array([15.0]), np.array([1.0]))
    assert pairs.distance[0] == pytest.approx(np.hypot(5, 1))  # not 1 m to a phantom edge from (10,0) to (20,0)
