"""Unit grids: exact tiling of a community, compounds kept whole, codes in reading order."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, MultiPolygon, Polygon, box

from gridmap.geo.crs import transform
from gridmap.geo.gridding import grid_codes, snap_coverage, tile_community

UTM = 32649  # UTM zone 49N, Lishi
X0, Y0 = 512_400.0, 4_152_900.0  # a point in 离石 (111.14 E, 37.52 N) in UTM metres


def ll(geoms):
    """Local metres (relative to X0, Y0 in UTM 49N) → EPSG:4326."""
    moved = shapely.transform(np.asarray(geoms, dtype=object), lambda xy: xy + np.array([X0, Y0]))
    return transform(moved, UTM, 4326)


def metric_areas(geoms):
    return shapely.area(transform(np.asarray(geoms, dtype=object), 4326, UTM))


def assert_exact_tiling(community, grids):
    """Union equals the community, overlaps have zero area, the grids form a valid coverage.

    Measured in the data's own CRS (degrees): projecting float-noise slivers to metres would inflate them.
    """
    grids = np.asarray(grids, dtype=object)
    assert len(grids) > 0
    assert shapely.is_valid(grids).all()
    assert np.isin(shapely.get_type_id(grids), (3,)).all(), "every grid is one Polygon"
    assert shapely.coverage_is_valid(grids)
    union = shapely.union_all(grids)
    rel = 1e-9 * community.area
    assert union.symmetric_difference(community).area < rel
    assert abs(shapely.area(grids).sum() - union.area) < rel  # no overlaps
    assert union.difference(community).area < rel  # nothing outside


def assert_compounds_whole(grids, compounds):
    grids = np.asarray(grids, dtype=object)
    for c in compounds:
        overlap = shapely.area(shapely.intersection(grids, c))
        assert (overlap > 1e-6 * c.area).sum() == 1, "a compound is split between grids"


@pytest.fixture
def community():
    # a 600 m × 400 m community crossed by one road each way, with a few compounds
    poly = ll([box(0, 0, 600, 400)])[0]
    roads = ll([LineString([(-50, 210), (650, 190)]), LineString([(310, -50), (290, 450)])])
    compounds = ll([box(20, 20, 120, 120), box(150, 230, 270, 380), box(330, 30, 560, 170), box(420, 250, 470, 300)])
    return poly, roads, compounds


def test_tiles_exactly_and_keeps_compounds_whole(community):
    poly, roads, compounds = community
    grids = tile_community(poly, roads, compounds, target_m2=10_000, metric_epsg=UTM)
    assert_exact_tiling(poly, grids)
    assert_compounds_whole(grids, compounds)
    areas = metric_areas(grids)
    assert 18 <= len(grids) <= 30  # 24 ha at ~1 ha each, fewer where a compound forced a merge
    assert areas.min() >= 0.25 * 10_000  # slivers merged
    # grid edges follow the roads: no grid crosses a road
    for road in roads:
        inside = shapely.length(shapely.intersection(grids, shapely.buffer(road, -1e-9)))
        assert (shapely.length(shapely.intersection(road, shapely.buffer(grids, -1e-7))) < 1e-9).all(), inside


def test_small_community_is_one_grid():
    poly = ll([box(0, 0, 90, 80)])[0]
    grids = tile_community(poly, [], [], target_m2=10_000, metric_epsg=UTM)
    assert len(grids) == 1
    assert grids[0].symmetric_difference(poly).area < 1e-9 * poly.area


def test_road_through_a_compound_merges_across_it():
    poly = ll([box(0, 0, 200, 100)])[0]
    road = ll([LineString([(100, -10), (100, 110)])])
    compound = ll([box(80, 30, 130, 70)])
    grids = tile_community(poly, road, compound, target_m2=10_000, metric_epsg=UTM)
    assert len(grids) == 1  # both halves hold part of the compound
    assert_exact_tiling(poly, grids)


def test_cuts_move_off_compounds():
    # a 400 m × 100 m block wants 4 grids; a compound sits where the middle cut would go
    poly = ll([box(0, 0, 400, 100)])[0]
    compound = ll([box(185, 20, 225, 80)])
    grids = tile_community(poly, [], compound, target_m2=10_000, metric_epsg=UTM)
    assert len(grids) == 4
    assert_exact_tiling(poly, grids)
    assert_compounds_whole(grids, compound)


def test_community_with_a_hole_and_multipolygon():
    outer = Polygon([(0, 0), (300, 0), (300, 300), (0, 300)], [[(100, 100), (200, 100), (200, 200), (100, 200)]])
    poly = ll([outer])[0]
    grids = tile_community(poly, [], [], target_m2=10_000, metric_epsg=UTM)
    assert_exact_tiling(poly, grids)
    assert shapely.area(shapely.intersection(grids, ll([box(120, 120, 180, 180)])[0])).max() == 0

    multi = MultiPolygon(list(ll([box(0, 0, 150, 100), box(300, 0, 420, 100)])))
    grids = tile_community(multi, [], [], target_m2=10_000, metric_epsg=UTM)
    assert_exact_tiling(multi, grids)


def test_grid_size_puts_vertices_on_the_grid(community):
    poly, roads, compounds = community
    grids = tile_community(poly, roads, compounds, target_m2=10_000, metric_epsg=UTM, grid_size=1e-6)
    xy = shapely.get_coordinates(grids)
    assert np.abs(xy * 1e6 - np.rint(xy * 1e6)).max() < 1e-6
    assert shapely.coverage_is_valid(grids)
    # the community itself moves onto the grid: by at most half a grid cell along its boundary
    assert shapely.union_all(grids).symmetric_difference(poly).area < poly.length * 1e-6


def test_rejects_bad_input():
    with pytest.raises(TypeError):
        tile_community(LineString([(0, 0), (1, 1)]), [], [], metric_epsg=UTM)
    with pytest.raises(ValueError, match="invalid"):
        bowtie = Polygon([(111.1, 37.5), (111.11, 37.51), (111.11, 37.5), (111.1, 37.51)])
        tile_community(bowtie, [], [], metric_epsg=UTM)
    with pytest.raises(ValueError, match="target_m2"):
        tile_community(ll([box(0, 0, 10, 10)])[0], [], [], target_m2=0, metric_epsg=UTM)


def test_snap_coverage_fixes_t_junctions():
    a, b = box(0, 0, 1, 1), box(1, 0.3, 2, 0.7)
    out = snap_coverage([a, b])
    assert len(out[0].exterior.coords) == 7
    assert shapely.coverage_is_valid(out)
    assert out[0].equals(a) and out[1].equals(b)


# ----------------------------------------------------------------------------------------------- codes


def test_grid_codes_reading_order():
    # 3 rows × 3 columns, rows slightly ragged; given in scrambled order
    cells = {}
    for r in range(3):
        for c in range(3):
            dy = 0.1 * ((c % 2) - 0.5)  # centroids of one row differ a little in y
            cells[(r, c)] = box(c, -r + dy, c + 1, -r + 1 + dy)
    keys = [(2, 1), (0, 2), (1, 0), (0, 0), (2, 2), (1, 2), (0, 1), (2, 0), (1, 1)]
    codes = grid_codes("141102001001", [cells[k] for k in keys])
    expected = {k: f"14110200100{1}{r * 3 + c + 1:02d}"[:-2] + f"{r * 3 + c + 1:02d}" for k in keys for r, c in [k]}
    assert codes == [expected[k] for k in keys]
    assert len(set(codes)) == len(codes)
    assert all(len(c) == 14 and c.isdigit() for c in codes)


def test_grid_codes_width_and_errors():
    cells = [box(i, 0, i + 1, 1) for i in range(5)]
    assert grid_codes("141102001001", cells, seq_width=3)[0] == "141102001001001"
    assert grid_codes("141102001001", []) == []
    with pytest.raises(ValueError, match="12 digits"):
        grid_codes("1411020010", cells)
    with pytest.raises(ValueError, match="do not fit"):
        grid_codes("141102001001", [box(i, 0, i + 1, 1) for i in range(100)])


# ------------------------------------------------------------------------------------------- property


@st.composite
def scenes(draw):
    w = draw(st.floats(80, 500))
    h = draw(st.floats(80, 500))
    n_roads = draw(st.integers(0, 4))
    roads = []
    for _ in range(n_roads):
        x0, x1 = draw(st.floats(-50, w + 50)), draw(st.floats(-50, w + 50))
        y0, y1 = draw(st.floats(-50, h + 50)), draw(st.floats(-50, h + 50))
        if abs(x0 - x1) + abs(y0 - y1) > 1:
            roads.append(LineString([(x0, y0), (x1, y1)]))
    if draw(st.booleans()):  # a road along (part of) the community boundary, as when a boundary follows a road
        x0, x1 = sorted((draw(st.floats(-50, w + 50)), draw(st.floats(-50, w + 50))))
        y = draw(st.sampled_from([0.0, h]))
        if x1 - x0 > 1:
            roads.append(LineString([(x0, y), (x1, y)]))
    compounds = []
    for _ in range(draw(st.integers(0, 4))):
        cx, cy = draw(st.floats(0, w - 20)), draw(st.floats(0, h - 20))
        cw, ch = draw(st.floats(10, 120)), draw(st.floats(10, 120))
        compounds.append(box(cx, cy, min(cx + cw, w), min(cy + ch, h)))
    return box(0, 0, w, h), roads, compounds


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenes(), st.sampled_from([4_000.0, 10_000.0]))
def test_property_exact_tiling(scene, target):
    rect, roads, compounds = scene
    poly = ll([rect])[0]
    roads_ll = ll(roads) if roads else []
    compounds_ll = ll(compounds) if compounds else []
    grids = tile_community(poly, roads_ll, compounds_ll, target_m2=target, metric_epsg=UTM)
    assert_exact_tiling(poly, grids)
    assert_compounds_whole(grids, compounds_ll)
