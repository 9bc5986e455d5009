"""Geometry checks and safe repairs for imported features (pure geometry, no database)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmap.geo.validate import AREA_TOLERANCE, check_lonlat, projection_hint, repair

W = shapely.from_wkt


def test_valid_polygons_pass_untouched_except_orientation_and_repeats() -> None:
    square_cw = W("POLYGON ((0 0, 0 1, 1 1, 1 0, 0 0))")  # exterior clockwise
    with_repeat = W("POLYGON ((0 0, 1 0, 1 0, 1 1, 0 1, 0 0))")
    multi = W("MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5)))")
    fixed, repaired, problems = repair([square_cw, with_repeat, multi], "polygon")
    assert problems == {}
    assert not repaired.any()  # normalisation is not a repair
    assert shapely.is_ccw(fixed[0].exterior)
    assert shapely.get_num_coordinates(fixed[1]) == 5
    assert shapely.equals(fixed[2], multi)
    assert shapely.area(fixed).tolist() == [1.0, 1.0, 1.0]


def test_z_is_dropped() -> None:
    poly = shapely.Polygon([(0, 0, 7), (1, 0, 7), (1, 1, 7), (0, 0, 7)])
    line = shapely.LineString([(0, 0, 1), (1, 1, 2)])
    fixed, _, problems = repair([poly], "polygon")
    assert problems == {} and not shapely.has_z(fixed[0])
    fixed, _, problems = repair([line], "line")
    assert problems == {} and fixed[0].wkt == "LINESTRING (0 0, 1 1)"


@pytest.mark.parametrize(
    "wkt",
    [
        "POLYGON ((0 0, 10 0, 10 10, 5 10, 5 15, 5 10, 0 10, 0 0))",  # a spike: a collapsed bit of outline
        # a tiny loop where a corner was clicked twice
        "POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0.05, -0.05 0.1, -0.05 0.05, 0 0.1, 0 0))",
        # the parts of a MultiPolygon overlap by a sliver
        "MULTIPOLYGON (((0 0, 10 0, 10 10, 0 10, 0 0)), ((9.95 0, 20 0, 20 10, 9.95 10, 9.95 0)))",
    ],
)
def test_small_faults_are_repaired_keeping_the_area(wkt: str) -> None:
    bad = W(wkt)
    assert not bad.is_valid
    fixed, repaired, problems = repair([bad], "polygon")
    assert problems == {}
    assert repaired.tolist() == [True]
    assert fixed[0].is_valid
    assert fixed[0].geom_type in ("Polygon", "MultiPolygon")
    assert abs(fixed[0].area - bad.area) <= AREA_TOLERANCE * bad.area


@pytest.mark.parametrize(
    ("wkt", "says"),
    [
        ("POLYGON ((0 0, 2 2, 2 0, 0 2, 0 0))", "crosses itself near (1, 1)"),  # symmetric bow-tie: ring area 0
        ("POLYGON ((0 0, 4 4, 4 0, 0 2, 0 0))", "crosses itself"),  # lopsided bow-tie: lobes partly cancel
        ("MULTIPOLYGON (((0 0, 10 0, 10 10, 0 10, 0 0)), ((2 2, 8 2, 8 8, 2 8, 2 2)))", "inside another"),
        ("POLYGON ((0 0, 1 0, 0 0))", "fewer than 4 points"),
        ("POLYGON ((0 0, 1 0, 2 0, 0 0))", "enclose no area"),
    ],
)
def test_unsafe_repairs_are_refused(wkt: str, says: str) -> None:
    fixed, repaired, problems = repair([W("POLYGON ((0 0, 1 0, 1 1, 0 0))"), W(wkt)], "polygon")
    assert list(problems) == [1]
    assert says in problems[1]
    assert fixed[1] is None and not repaired[1]
    assert fixed[0] is not None


def test_bow_tie_message_says_how_much_area_would_change() -> None:
    _, _, problems = repair([W("POLYGON ((0 0, 4 4, 4 0, 0 2, 0 0))")], "polygon")
    assert "change its area by" in problems[0] and "fix the outline" in problems[0]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # building a NaN polygon
def test_wrong_family_missing_empty_and_nonfinite() -> None:
    geoms = [
        None,
        W("POLYGON EMPTY"),
        W("LINESTRING (0 0, 1 1)"),
        shapely.Polygon([(0, 0), (1, np.nan), (1, 1), (0, 0)]),
        W("POINT (1 1)"),
        W("GEOMETRYCOLLECTION (POLYGON ((0 0, 1 0, 1 1, 0 0)), POLYGON ((5 5, 6 5, 6 6, 5 5)))"),
    ]
    fixed, _, problems = repair(geoms, "polygon")
    assert problems[0] == "no geometry"
    assert problems[1] == "empty geometry"
    assert problems[2] == "expected a polygon for this layer, got a line"
    assert "not finite" in problems[3]
    assert problems[4] == "expected a polygon for this layer, got a point"
    assert 5 not in problems and fixed[5].geom_type == "MultiPolygon"  # a collection of polygons is accepted


def test_lines() -> None:
    geoms = [
        W("LINESTRING (0 0, 1 1)"),
        W("LINESTRING (0 0, 0 0)"),  # one distinct point
        W("MULTILINESTRING ((0 0, 0 0), (0 0, 1 1))"),  # a degenerate part is dropped
        W("LINESTRING EMPTY"),
        shapely.LineString([(0, 0), (np.inf, 1)]),
        W("POLYGON ((0 0, 1 0, 1 1, 0 0))"),
        W("LINESTRING (0 0, 1 1, 1 1, 2 2)"),
    ]
    fixed, repaired, problems = repair(geoms, "line")
    assert set(problems) == {1, 3, 4, 5}
    assert "2 distinct points" in problems[1]
    assert problems[3] == "empty geometry"
    assert "not finite" in problems[4]
    assert problems[5] == "expected a line for this layer, got a polygon"
    assert repaired.tolist() == [False, False, True, False, False, False, False]
    assert fixed[2].wkt == "LINESTRING (0 0, 1 1)"
    assert fixed[6].wkt == "LINESTRING (0 0, 1 1, 2 2)"


def test_unknown_family() -> None:
    with pytest.raises(ValueError, match="family"):
        repair([], "surface")


def test_empty_input() -> None:
    fixed, repaired, problems = repair([], "line")
    assert len(fixed) == 0 and len(repaired) == 0 and problems == {}


def test_check_lonlat_reports_projected_coordinates() -> None:
    geoms = [
        shapely.Point(111.14, 37.52),
        shapely.LineString([(111.14, 37.52), (500000, 4150000)]),
        None,
        W("POINT EMPTY"),
        shapely.Point(-180, -90),
        shapely.Point(180.0001, 0),
    ]
    assert check_lonlat(geoms).tolist() == [1, 5]


def test_projection_hint_recognises_gauss_kruger_zone_prefix() -> None:
    assert "EPSG:4527" in projection_hint([shapely.Point(39_512_345, 4_330_000)])  # 3° zone 39
    assert "EPSG:4525" in projection_hint([shapely.Point(37_400_000, 4_150_000)])  # 3° zone 37 (Lishi)
    assert "EPSG:4497" in projection_hint([shapely.Point(19_400_000, 4_150_000)])  # 6° zone 19
    assert "give --crs" in projection_hint([shapely.Point(450_000, 4_150_000)])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-1000, 1000, allow_nan=False), st.floats(-1000, 1000, allow_nan=False)),
        min_size=3,
        max_size=12,
    )
)
def test_every_polygon_comes_back_valid_or_as_a_problem(points: list[tuple[float, float]]) -> None:
    """Whatever ring a file holds: either a valid polygon (area kept within 1 %) or a named problem."""
    ring = shapely.Polygon([*points, points[0]])
    fixed, repaired, problems = repair([ring], "polygon")
    if 0 in problems:
        assert fixed[0] is None and isinstance(problems[0], str) and problems[0]
    else:
        assert fixed[0].is_valid and fixed[0].geom_type in ("Polygon", "MultiPolygon")
        assert abs(fixed[0].area - ring.area) <= AREA_TOLERANCE * ring.area + 1e-9
        if repaired[0]:
            assert not ring.is_valid
