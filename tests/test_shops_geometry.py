"""Frontages 门前责任区 with known geometry (gridmap.geo.frontage, pure), and the credit code's check character."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from gridmap.geo.frontage import MIN_DEPTH_M, containing, frontages, nearest_lines
from gridmap.shops import credit_code

ROAD = np.array([shapely.LineString([(0, 0), (200, 0)]), shapely.LineString([(0, 100), (0, 300)])])


def _bounds(polys: np.ndarray) -> list[tuple[float, ...]]:
    return [tuple(round(float(v), 6) for v in shapely.bounds(p)) for p in polys]


def test_a_frontage_runs_from_the_wall_to_the_kerb_and_halfway_to_each_neighbour() -> None:
    shops = np.array([[50.0, 15.0], [70.0, 15.0], [80.0, 15.0]])
    polys = frontages(shops, ROAD, np.array([0, 0, 0]), half_width=6.0, max_side=30.0)
    # 20 m (30 m capped at none: first shop has no neighbour west, so 30 m), 10 m and 5 m gaps split in half
    assert _bounds(polys) == [(20.0, 6.0, 60.0, 15.0), (60.0, 6.0, 75.0, 15.0), (75.0, 6.0, 110.0, 15.0)]
    assert np.allclose(shapely.area(polys), [40 * 9, 15 * 9, 35 * 9])
    assert not shapely.intersection(polys[0], polys[1]).area and shapely.touches(polys[0], polys[1])


def test_shops_across_the_road_are_not_neighbours_and_face_their_own_kerb() -> None:
    shops = np.array([[100.0, 10.0], [100.0, -20.0], [110.0, -20.0]])
    polys = frontages(shops, ROAD, np.array([0, 0, 0]), half_width=4.0, max_side=30.0)
    assert _bounds(polys) == [(70.0, 4.0, 130.0, 10.0), (70.0, -20.0, 105.0, -4.0), (105.0, -20.0, 140.0, -4.0)]


def test_the_segment_line_as_kerb_the_ends_of_the_segment_and_a_shop_on_the_kerb() -> None:
    shops = np.array([[5.0, 8.0], [195.0, 3.0], [-3.0, 150.0]])
    polys = frontages(shops, ROAD, np.array([0, 0, 1]), half_width=np.array([0.0, 3.0, 0.0]), max_side=30.0)
    assert _bounds(polys) == [
        (0.0, 0.0, 35.0, 8.0),  # clipped at the segment's start; kerb = centre-line
        (165.0, 3.0, 200.0, 3.0 + MIN_DEPTH_M),  # standing on the kerb: a strip MIN_DEPTH_M deep
        (-3.0, 120.0, 0.0, 180.0),  # a north-running road, shop on its west
    ]


def test_thousands_of_shops_on_many_roads_give_valid_polygons_without_overlap_on_a_side() -> None:
    rng = np.random.default_rng(7)
    lines = np.array([shapely.LineString([(0, 1000 * k), (900, 1000 * k + 50)]) for k in range(20)])
    seg = rng.integers(0, 20, 4000)
    s = rng.uniform(0, 1, 4000)
    base = shapely.get_coordinates(shapely.line_interpolate_point(lines[seg], s, normalized=True))
    xy = base + np.column_stack([np.zeros(4000), rng.choice([-1, 1], 4000) * rng.uniform(8, 20, 4000)])
    polys = frontages(xy, lines, seg, half_width=5.0, max_side=30.0)
    assert shapely.is_valid(polys).all() and (shapely.area(polys) > 0).all()
    tree = shapely.STRtree(polys)
    a, b = tree.query(polys, predicate="overlaps")
    overlap = shapely.area(shapely.intersection(polys[a], polys[b]))
    assert (overlap < 0.5).all()  # neighbours touch at the midpoint; only a bent road leaves slivers


def test_nearest_line_within_reach_and_point_in_polygon_choose_one() -> None:
    near = nearest_lines(np.array([[50.0, 10.0], [-30.0, 200.0], [500.0, 500.0]]), ROAD, 60.0)
    assert near.tolist() == [0, 1, -1]
    squares = np.array([shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)])
    assert containing(np.array([[5.0, 5.0], [10.0, 5.0], [30.0, 5.0]]), squares).tolist() == [0, 0, -1]


@pytest.mark.parametrize(
    ("code", "ok"),
    [("91330100716105852F", True), ("91330100716105852G", False), ("9133010071610585", False),
     ("91330100716105852I", False), ("91AB0100716105852F", False)],
)  # fmt: skip
def test_credit_codes_are_checked_by_gb_32100(code: str, ok: bool) -> None:
    assert (credit_code.problem(code) is None) == ok
    if not ok:
        assert credit_code.problem(code).zh  # type: ignore[union-attr]


def test_the_check_character_is_31_minus_the_weighted_sum() -> None:
    assert credit_code.check_char("91330100716105852") == "F"
    assert credit_code.normalise(" 9133 0100716105852f") == "91330100716105852F"


def test_equal_scores_never_give_more_red_flags_than_the_scheme_allows() -> None:
    import datetime as dt

    from gridmap.shops import schemes, scoring
    from gridmap.store.models import ShopScheme

    scheme = ShopScheme(id=1, rules=schemes.DEFAULT_RULES)
    ids = np.array([11, 12, 13, 14, 15])
    shops = scoring.ShopsOfMonth(ids, np.array([shapely.box(k, 0, k + 1, 1) for k in range(5)]), [7, 7, 7, 7, 8],
                                 [1] * 5, ["龙凤大街"] * 5, {int(i): scheme for i in ids}, month="2026-11")  # fmt: skip
    at = dt.datetime(2026, 11, 3, tzinfo=dt.UTC)
    got = scoring.compute_month(shops, [], {}, at, before={11: 90.0, 12: 100.0, 13: 95.0, 14: 100.0})
    assert [s["rank_street"] for s in got.scores] == [1, 1, 1, 1, 1]  # all full marks: one shared rank
    assert sorted(f["shop_id"] for f in got.flags) == [12, 13, 14, 15]  # 3 of 街道 7 by the months before, 1 of 8
