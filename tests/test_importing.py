"""Importing layers from files (GeoJSON, GeoPackage, Shapefile, CSV+WKT), through the use-case and the CLI.

Every test runs on SpatiaLite and on PostGIS (the ``session``/``engine`` fixtures). Bad input must give one clear
message naming the file, the feature and the field, a non-zero exit status, and leave the database as it was.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Transformer
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from gridmap.cli import main
from gridmap.config import Settings
from gridmap.errors import GridmapError, InvalidInput
from gridmap.geo.crs import wgs84_to_gcj02
from gridmap.imports.layer_import import ImportSummary, import_file, parse_mapping
from gridmap.store.engine import make_engine, make_session_factory, session_scope
from tests.accounts import TESTER
from tests.databases import database_name

LISHI = (111.14, 37.52)  # 离石区
ROAD_MAP = {"name": "路名", "level": "等级", "ext_id": "编号"}
pytestmark = pytest.mark.filterwarnings("ignore:'crs' was not provided:UserWarning")  # files without .prj, on purpose
ROAD_ARGS = ("--map", "name=路名", "--map", "level=等级", "--map", "ext_id=编号")


# ------------------------------------------------------------------------------------------------------------
# helpers


def line(k: int, dy: float = 0.0) -> shapely.LineString:
    x, y = LISHI
    return shapely.LineString([(x + 0.002 * k, y + dy), (x + 0.002 * k + 0.0015, y + dy + 0.0005)])


def box(k: int, size: float = 0.01) -> shapely.Polygon:
    x, y = LISHI
    return shapely.box(x + k * size, y, x + (k + 1) * size, y + size)


def roads(n: int = 4, crs: int | None = 4326) -> gpd.GeoDataFrame:
    levels = ["主干道", "次干路", "背街小巷", "main", "支路", "街巷"]
    return gpd.GeoDataFrame(
        {
            "路名": [f"滨河{k}路" for k in range(n)],
            "等级": [levels[k % len(levels)] for k in range(n)],
            "编号": [f"LS-{k:03d}" for k in range(n)],
        },
        geometry=[line(k) for k in range(n)],
        crs=crs,
    )


def without_crs(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The same features with no CRS at all (a Shapefile written from it has no .prj)."""
    return gpd.GeoDataFrame(gdf.drop(columns="geometry"), geometry=list(gdf.geometry.values))


def rows(session: Session, sql: str, **params: object) -> list[tuple]:
    return [tuple(r) for r in session.execute(text(sql), params).all()]


def geom_of(session: Session, table: str, where: str, **params: object) -> shapely.Geometry:
    wkb = session.execute(text(f"SELECT ST_AsBinary(geom) FROM {table} WHERE {where}"), params).scalar_one()
    return shapely.from_wkb(bytes(wkb))


def snapshot(engine: Engine) -> tuple:
    """Counts of every layer table plus a sample row of each (geometry included)."""
    with engine.connect() as conn:
        counts = tuple(
            conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
            for t in ("areas", "grids", "segments", "compounds")
        )
        seg = conn.execute(
            text("SELECT id, ext_id, name, level, length_m, ST_AsBinary(geom) FROM segments ORDER BY id LIMIT 1")
        ).one()
        area = conn.execute(
            text("SELECT id, code, name, area_m2, ST_AsBinary(geom) FROM areas ORDER BY id LIMIT 1")
        ).one()
    return counts, _plain(seg), _plain(area)


def _plain(row: object) -> tuple:
    return tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)


def seed(engine: Engine, tmp_path: Path) -> tuple:
    """A committed district, two streets, one community and four segments; returns the snapshot."""
    d = tmp_path / "seed"
    d.mkdir()
    gpd.GeoDataFrame({"code": ["141102"], "name": ["离石区"]}, geometry=[box(0, 0.05)], crs=4326).to_file(
        d / "district.geojson"
    )
    gpd.GeoDataFrame(
        {"code": ["141102001", "141102002"], "name": ["滨河街道", "凤山街道"], "district_code": ["141102"] * 2},
        geometry=[box(0), box(1)],
        crs=4326,
    ).to_file(d / "streets.geojson")
    gpd.GeoDataFrame(
        {"code": ["141102001001"], "name": ["龙凤社区"], "street_code": ["141102001"]}, geometry=[box(0)], crs=4326
    ).to_file(d / "communities.geojson")
    roads(4).to_file(d / "roads.geojson")
    with session_scope(make_session_factory(engine)) as s:
        import_file(s, d / "district.geojson", "districts", actor=TESTER)
        import_file(s, d / "streets.geojson", "streets", actor=TESTER)
        import_file(s, d / "communities.geojson", "communities", actor=TESTER)
        import_file(s, d / "roads.geojson", "segments", mapping=ROAD_MAP, actor=TESTER)
    return snapshot(engine)


def cli(settings: Settings, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--database-url", settings.database_url, *args])
    return result.exit_code, result.output


# ------------------------------------------------------------------------------------------------------------
# the formats


def test_geojson_segments_with_mapping_and_chinese_levels(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "roads.geojson"
    roads(6).to_file(path)
    calls: list[tuple[int, int | None]] = []
    summary = import_file(
        session,
        path,
        "segments",
        mapping=ROAD_MAP,
        progress=lambda n, total=None: calls.append((n, total)),
        actor=TESTER,
    )
    assert (summary.created, summary.updated, summary.rejected, summary.repaired) == (6, 0, 0, 0)
    assert summary.crs == "EPSG:4326" and summary.notes == []
    got = rows(session, "SELECT ext_id, name, level, source FROM segments ORDER BY ext_id")
    assert got == [
        ("LS-000", "滨河0路", "main", "roads.geojson"),
        ("LS-001", "滨河1路", "secondary", "roads.geojson"),
        ("LS-002", "滨河2路", "back", "roads.geojson"),
        ("LS-003", "滨河3路", "main", "roads.geojson"),
        ("LS-004", "滨河4路", "secondary", "roads.geojson"),
        ("LS-005", "滨河5路", "back", "roads.geojson"),
    ]
    length = session.execute(text("SELECT length_m FROM segments WHERE ext_id = 'LS-000'")).scalar()
    assert length == pytest.approx(140, abs=5)  # 0.0015° E × 0.0005° N at 37.5° N
    assert calls[0] == (0, 6) and sum(n for n, _ in calls) == 6


def test_reimport_updates_instead_of_adding(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "roads.geojson"
    roads(5).to_file(path)
    first = import_file(session, path, "segments", mapping=ROAD_MAP, actor=TESTER)
    changed = roads(5)
    changed.loc[2, "路名"] = "新华街"
    changed.to_file(path)
    second = import_file(session, path, "segments", mapping=ROAD_MAP, actor=TESTER)
    assert (first.created, first.updated) == (5, 0)
    assert (second.created, second.updated) == (0, 5)
    assert rows(session, "SELECT count(*) FROM segments") == [(5,)]
    assert rows(session, "SELECT name FROM segments WHERE ext_id = 'LS-002'") == [("新华街",)]


def test_a_layer_bigger_than_one_key_lookup_is_matched_in_several(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stored ids of a re-imported layer are looked up in chunks (psycopg takes at most 65,535 parameters, a
    city has more segments): every feature is still found once."""
    from gridmap.store import bulk_writes

    monkeypatch.setattr(bulk_writes, "_KEYS_PER_QUERY", 2)
    path = tmp_path / "roads.geojson"
    roads(5).to_file(path)
    import_file(session, path, "segments", mapping=ROAD_MAP, actor=TESTER)
    again = import_file(session, path, "segments", mapping=ROAD_MAP, actor=TESTER)
    assert (again.created, again.updated) == (0, 5)
    assert rows(session, "SELECT count(*) FROM segments") == [(5,)]


def test_multilinestrings_are_joined_or_split(session: Session, tmp_path: Path) -> None:
    x, y = LISHI
    connected = shapely.MultiLineString([[(x, y), (x + 0.001, y)], [(x + 0.001, y), (x + 0.002, y)]])
    apart = shapely.MultiLineString([[(x, y + 0.01), (x + 0.001, y + 0.01)], [(x + 0.005, y + 0.01), (x + 0.006, y)]])
    gdf = gpd.GeoDataFrame(
        {"路名": ["东关街", "西关街"], "等级": ["主干道", "小巷"], "编号": ["A", "B"]},
        geometry=[connected, apart],
        crs=4326,
    )
    gdf.to_file(tmp_path / "multi.geojson")
    summary = import_file(session, tmp_path / "multi.geojson", "segments", mapping=ROAD_MAP, actor=TESTER)
    assert summary.created == 3
    assert rows(session, "SELECT ext_id, name FROM segments ORDER BY ext_id") == [
        ("A", "东关街"),
        ("B-1", "西关街"),
        ("B-2", "西关街"),
    ]
    assert geom_of(session, "segments", "ext_id = 'A'").equals(shapely.LineString([(x, y), (x + 0.002, y)]))
    again = import_file(session, tmp_path / "multi.geojson", "segments", mapping=ROAD_MAP, actor=TESTER)
    assert (again.created, again.updated) == (0, 3)


def test_geopackage_hierarchy_and_layer_choice(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "离石区.gpkg"
    gpd.GeoDataFrame({"XZQDM": ["141102"], "XZQMC": ["离石区"]}, geometry=[box(0, 0.05)], crs=4490).to_file(
        path, layer="区县"
    )
    gpd.GeoDataFrame(
        {"XZQDM": ["141102001", "141102002"], "XZQMC": ["滨河街道", "凤山街道"], "SJDM": ["141102", "141102"]},
        geometry=[box(0), box(1)],
        crs=4490,
    ).to_file(path, layer="街道")
    mapping = {"code": "XZQDM", "name": "XZQMC"}
    with pytest.raises(InvalidInput) as info:
        import_file(session, path, "districts", mapping=mapping, actor=TESTER)
    assert "2 layers: 区县, 街道; choose one with --layer-name" in str(info.value)
    assert "离石区.gpkg" in str(info.value)
    with pytest.raises(InvalidInput, match="no layer named '社区'; the file's layers are: 区县, 街道"):
        import_file(session, path, "districts", mapping=mapping, layer_name="社区", actor=TESTER)

    d = import_file(session, path, "districts", mapping=mapping, layer_name="区县", actor=TESTER)
    s = import_file(
        session, path, "streets", mapping={**mapping, "district_code": "SJDM"}, layer_name="街道", actor=TESTER
    )
    assert (d.created, s.created, d.crs, s.crs) == (1, 2, "EPSG:4490", "EPSG:4490")
    got = rows(
        session,
        "SELECT s.code, s.name, s.level, p.code FROM areas s JOIN areas p ON p.id = s.parent_id ORDER BY s.code",
    )
    assert got == [("141102001", "滨河街道", "street", "141102"), ("141102002", "凤山街道", "street", "141102")]
    # EPSG:4490 is stored as it is (no datum shift)
    assert geom_of(session, "areas", "code = '141102002'").equals(shapely.MultiPolygon([box(1)]))


def test_shapefile_with_cpg_and_upper_case_columns(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "小区.shp"
    gpd.GeoDataFrame(
        {"EXT_ID": ["XQ1", "XQ2"], "NAME": ["龙凤小区", "煤机厂家属院"], "HOUSEHOLDS": [320, 85]},
        geometry=[box(0, 0.002), box(1, 0.002)],
        crs=4326,
    ).to_file(path)
    assert path.with_suffix(".cpg").exists()
    summary = import_file(session, path, "compounds", actor=TESTER)  # fields found by name, case-insensitively
    assert summary.created == 2
    assert rows(session, "SELECT ext_id, name, households FROM compounds ORDER BY ext_id") == [
        ("XQ1", "龙凤小区", 320),
        ("XQ2", "煤机厂家属院", 85),
    ]


def test_gbk_shapefile_without_cpg_is_detected(session: Session, tmp_path: Path) -> None:
    """What a Chinese desktop GIS writes: GBK text in the DBF, no .cpg, no code page in the DBF header."""
    path = tmp_path / "道路.shp"
    roads(4).to_file(path, encoding="GBK")
    path.with_suffix(".cpg").unlink()
    dbf = path.with_suffix(".dbf").read_bytes()
    assert dbf[29] == 0  # no language driver id either
    assert "滨河0路".encode("gbk") in dbf
    summary = import_file(session, path, "segments", mapping=ROAD_MAP, actor=TESTER)
    assert summary.created == 4
    assert any("GBK" in n for n in summary.notes)
    assert rows(session, "SELECT name, level FROM segments ORDER BY ext_id")[:3] == [
        ("滨河0路", "main"),
        ("滨河1路", "secondary"),
        ("滨河2路", "back"),
    ]


def test_utf8_shapefile_without_cpg(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "roads.shp"
    roads(3).to_file(path)
    path.with_suffix(".cpg").unlink()
    summary = import_file(session, path, "segments", mapping=ROAD_MAP, actor=TESTER)
    assert summary.created == 3 and not any("GBK" in n for n in summary.notes)
    assert rows(session, "SELECT name FROM segments WHERE ext_id = 'LS-000'") == [("滨河0路",)]


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_csv_with_wkt(session: Session, tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "grids.csv"
    seed_parents(session, tmp_path)
    df = gpd.GeoDataFrame(
        {
            "网格编码": ["14110200100101", "14110200100102"],
            "社区": ["141102001001", "141102001001"],
            "启用日期": ["2024-03-01", "2024/04/01"],
        },
        geometry=[box(0, 0.001), box(1, 0.001)],
    )
    df["WKT"] = shapely.to_wkt(df.geometry.values)
    df.drop(columns="geometry").to_csv(path, index=False, encoding=encoding)
    summary = import_file(
        session,
        path,
        "grids",
        mapping={"code": "网格编码", "community_code": "社区", "valid_from": "启用日期"},
        actor=TESTER,
    )
    assert summary.created == 2
    assert any("no CRS declared" in n for n in summary.notes)
    assert (encoding == "gbk") == any("GBK" in n for n in summary.notes)
    broken = tmp_path / "broken.csv"
    text = path.read_bytes()
    cut = text.index(b"\n", text.index(b"\n") + 1)  # the end of line 2, in either encoding
    broken.write_bytes(text[:cut] + b"\xff\x80" + text[cut:])
    with pytest.raises(InvalidInput, match=r"line 2: byte 0xFF is neither UTF-8 nor GB 18030"):
        import_file(session, broken, "grids", mapping={"code": "网格编码", "community_code": "社区"}, actor=TESTER)
    got = rows(session, "SELECT code, valid_from, version FROM grids ORDER BY code")
    assert [(c, str(v), ver) for c, v, ver in got] == [
        ("14110200100101", "2024-03-01", 1),
        ("14110200100102", "2024-04-01", 1),
    ]


def test_csv_geometry_column_by_mapping_and_ewkt(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "segments.csv"
    wkt = [f"SRID=4490;{line(k).wkt}" for k in range(2)]
    path.write_text(
        "名称,等级,形状\n"
        + "".join(f'{n},{lv},"{w}"\n' for n, lv, w in zip(["甲路", "乙路"], ["主干道", "back"], wkt, strict=True))
    )
    summary = import_file(
        session, path, "segments", mapping={"name": "名称", "level": "等级", "geometry": "形状"}, actor=TESTER
    )
    assert summary.created == 2 and summary.crs == "EPSG:4490"
    assert any("no ext_id column" in n for n in summary.notes)


def seed_parents(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "parents.geojson"
    gpd.GeoDataFrame({"code": ["141102"], "name": ["离石区"]}, geometry=[box(0, 0.05)], crs=4326).to_file(path)
    import_file(session, path, "districts", actor=TESTER)
    gpd.GeoDataFrame(
        {"code": ["141102001"], "name": ["滨河街道"], "district_code": ["141102"]}, geometry=[box(0)], crs=4326
    ).to_file(path)
    import_file(session, path, "streets", actor=TESTER)
    gpd.GeoDataFrame(
        {"code": ["141102001001"], "name": ["龙凤社区"], "street_code": ["141102001"]}, geometry=[box(0)], crs=4326
    ).to_file(path)
    import_file(session, path, "communities", actor=TESTER)


# ------------------------------------------------------------------------------------------------------------
# coordinate reference systems


def test_gauss_kruger_file_is_reprojected(session: Session, tmp_path: Path) -> None:
    """CGCS2000 3-degree Gauss-Krüger zone 39 (central meridian 117°E, easting prefixed with 39)."""
    lonlat = np.array([[117.20, 39.10], [117.2123456, 39.1054321], [117.23, 39.09]])
    x, y = Transformer.from_crs(4326, 4527, always_xy=True).transform(lonlat[:, 0], lonlat[:, 1])
    assert 39_400_000 < x[0] < 39_600_000
    gk = gpd.GeoDataFrame(
        {"路名": ["卫津路"], "等级": ["主干路"], "编号": ["TJ-1"]},
        geometry=[shapely.LineString(np.column_stack([x, y]))],
        crs=4527,
    )
    gk.to_file(tmp_path / "tj.gpkg")
    summary = import_file(session, tmp_path / "tj.gpkg", "segments", mapping=ROAD_MAP, actor=TESTER)
    assert summary.crs == "EPSG:4527"
    assert "EPSG:4527 → EPSG:4326" in summary.describe()
    stored = shapely.get_coordinates(geom_of(session, "segments", "ext_id = 'TJ-1'"))
    np.testing.assert_allclose(stored, lonlat, atol=1e-6, rtol=0)

    # The same coordinates in a Shapefile without .prj: --crs supplies the CRS.
    without_crs(gk).to_file(tmp_path / "tj.shp")
    assert not (tmp_path / "tj.prj").exists()
    with pytest.raises(InvalidInput, match=r"no CRS declared.*zone 39.*--crs EPSG:4527"):
        import_file(session, tmp_path / "tj.shp", "segments", mapping=ROAD_MAP, actor=TESTER)
    again = import_file(session, tmp_path / "tj.shp", "segments", mapping=ROAD_MAP, src_crs="EPSG:4527", actor=TESTER)
    assert (again.created, again.updated) == (0, 1)
    np.testing.assert_allclose(
        shapely.get_coordinates(geom_of(session, "segments", "ext_id = 'TJ-1'")), lonlat, atol=1e-6, rtol=0
    )


def test_no_crs_lonlat_is_accepted_with_a_note(session: Session, tmp_path: Path) -> None:
    roads(3, crs=None).to_file(tmp_path / "roads.shp")
    summary = import_file(session, tmp_path / "roads.shp", "segments", mapping=ROAD_MAP, actor=TESTER)
    assert summary.created == 3 and summary.crs == "EPSG:4326"
    assert any("no CRS declared; coordinates look like longitude/latitude" in n for n in summary.notes)
    assert "note: no CRS declared" in summary.describe(0.1)


def test_geojson_of_projected_metres_gets_one_message_and_crs_fixes_it(session: Session, tmp_path: Path) -> None:
    """A GeoJSON without a "crs" member is WGS-84 by RFC 7946; metres in it are one mistake, not one per feature."""
    utm = roads(3).to_crs(32649)
    fc = json.loads(utm.to_json())
    fc.pop("crs", None)
    (tmp_path / "utm.geojson").write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(InvalidInput) as info:
        import_file(session, tmp_path / "utm.geojson", "segments", mapping=ROAD_MAP, actor=TESTER)
    (problem,) = info.value.problems
    assert problem.feature is None and problem.source == "utm.geojson"
    assert "all 3 features have coordinates outside longitude/latitude range" in problem.message
    assert "give --crs" in problem.message
    summary = import_file(
        session, tmp_path / "utm.geojson", "segments", mapping=ROAD_MAP, src_crs="EPSG:32649", actor=TESTER
    )
    assert summary.created == 3 and summary.crs == "EPSG:32649"
    np.testing.assert_allclose(
        shapely.get_coordinates(geom_of(session, "segments", "ext_id = 'LS-001'")),
        shapely.get_coordinates(line(1)),
        atol=1e-6,
        rtol=0,
    )


def _count_segments(session: Session) -> int:
    return rows(session, "SELECT count(*) FROM segments")[0][0]


@pytest.mark.parametrize("epsg", [3857, 4547])
def test_degrees_in_a_metre_crs_are_refused_with_the_feature_numbers(
    session: Session, tmp_path: Path, epsg: int
) -> None:
    """A layer declared in metres whose features 2 and 4 were left in degrees: refused, nothing written."""
    gdf = roads(5).to_crs(epsg)
    gdf.loc[1, "geometry"] = line(1)
    gdf.loc[3, "geometry"] = line(3)
    gdf.to_file(tmp_path / "mixed.gpkg")
    with pytest.raises(InvalidInput) as info:
        import_file(session, tmp_path / "mixed.gpkg", "segments", mapping=ROAD_MAP, actor=TESTER)
    found = [(p.feature, p.field) for p in info.value.problems]
    assert found == [(2, "geometry"), (4, "geometry")]
    for p in info.value.problems:
        assert f"look like longitude/latitude in degrees, but EPSG:{epsg} is in metres" in p.message
    assert "像是经纬度" in (info.value.zh or "")
    assert _count_segments(session) == 0

    # all of them in degrees: one message that still names the features
    roads(3).set_crs(epsg, allow_override=True).to_file(tmp_path / "all.gpkg")
    with pytest.raises(InvalidInput) as info:
        import_file(session, tmp_path / "all.gpkg", "segments", mapping=ROAD_MAP, actor=TESTER)
    (problem,) = info.value.problems
    assert "all 3 features have coordinates that look like longitude/latitude degrees" in problem.message
    assert "(features 1–3)" in problem.message and "第 1–3 项" in (problem.zh or "")
    assert _count_segments(session) == 0


def test_swapped_latitude_longitude_is_refused_with_the_feature_numbers(session: Session, tmp_path: Path) -> None:
    gdf = roads(4)
    gdf.loc[2, "geometry"] = shapely.LineString([(y, x) for x, y in line(2).coords])  # east China: lat < 90 < lon
    gdf.to_file(tmp_path / "east.geojson")
    with pytest.raises(InvalidInput) as info:
        import_file(session, tmp_path / "east.geojson", "segments", mapping=ROAD_MAP, actor=TESTER)
    (problem,) = info.value.problems
    assert problem.feature == 3 and "latitude/longitude swapped" in problem.message
    assert "颠倒" in (problem.zh or "")

    # Kashgar (75.99°E): swapped, the feature is still inside ±180/±90; it is found among the others
    kashgar = roads(4)
    kashgar["geometry"] = kashgar.geometry.translate(75.99 - LISHI[0], 39.47 - LISHI[1])
    kashgar.loc[1, "geometry"] = shapely.LineString([(y, x) for x, y in kashgar.geometry[1].coords])
    kashgar.to_file(tmp_path / "west.geojson")
    with pytest.raises(InvalidInput) as info:
        import_file(session, tmp_path / "west.geojson", "segments", mapping=ROAD_MAP, actor=TESTER)
    (problem,) = info.value.problems
    assert problem.feature == 2 and "latitude/longitude swapped" in problem.message
    assert _count_segments(session) == 0


def test_metres_in_a_degree_crs_name_the_feature_in_both_languages(session: Session, tmp_path: Path) -> None:
    gdf = roads(3)
    gdf.loc[0, "geometry"] = shapely.LineString([(500000, 4150000), (500100, 4150100)])
    gdf.to_file(tmp_path / "one.geojson")
    with pytest.raises(InvalidInput) as info:
        import_file(session, tmp_path / "one.geojson", "segments", mapping=ROAD_MAP, actor=TESTER)
    (problem,) = info.value.problems
    assert problem.feature == 1 and "outside longitude/latitude range" in problem.message
    assert "超出经纬度范围" in (problem.zh or "")
    assert _count_segments(session) == 0


def test_crs_option_overrides_the_declared_one(session: Session, tmp_path: Path) -> None:
    roads(2, crs=4326).to_file(tmp_path / "roads.gpkg")
    summary = import_file(
        session, tmp_path / "roads.gpkg", "segments", mapping=ROAD_MAP, src_crs="EPSG:4490", actor=TESTER
    )
    assert summary.crs == "EPSG:4490"
    assert any("declares EPSG:4326; --crs EPSG:4490 used instead" in n for n in summary.notes)
    with pytest.raises(InvalidInput, match="--crs 'EPSG:99999' is not a CRS"):
        import_file(session, tmp_path / "roads.gpkg", "segments", mapping=ROAD_MAP, src_crs="EPSG:99999", actor=TESTER)


def test_from_gcj02(session: Session, tmp_path: Path) -> None:
    wgs = np.array([[111.1412345, 37.5187654], [111.1456789, 37.5212345]])
    glon, glat = wgs84_to_gcj02(wgs[:, 0], wgs[:, 1])
    assert abs(glon[0] - wgs[0, 0]) > 0.003  # hundreds of metres apart
    gpd.GeoDataFrame(
        {"路名": ["永宁路"], "等级": ["主干道"], "编号": ["AMAP-1"]},
        geometry=[shapely.LineString(np.column_stack([glon, glat]))],
        crs=4326,
    ).to_file(tmp_path / "amap.geojson")
    summary = import_file(
        session, tmp_path / "amap.geojson", "segments", mapping=ROAD_MAP, from_gcj02=True, actor=TESTER
    )
    assert summary.created == 1 and any("GCJ-02" in n for n in summary.notes)
    stored = shapely.get_coordinates(geom_of(session, "segments", "ext_id = 'AMAP-1'"))
    np.testing.assert_allclose(stored, wgs, atol=1e-6, rtol=0)


def test_from_gcj02_refuses_projected_input(session: Session, tmp_path: Path) -> None:
    roads(2).to_crs(32649).to_file(tmp_path / "utm.gpkg")
    with pytest.raises(InvalidInput, match=r"--from-gcj02 needs longitude/latitude.*EPSG:32649 is projected"):
        import_file(session, tmp_path / "utm.gpkg", "segments", mapping=ROAD_MAP, from_gcj02=True, actor=TESTER)


# ------------------------------------------------------------------------------------------------------------
# geometry repairs


def test_a_repairable_polygon_is_repaired_and_counted(session: Session, tmp_path: Path) -> None:
    x, y = LISHI
    spike = shapely.Polygon(
        [(x, y), (x + 0.01, y), (x + 0.01, y + 0.01), (x + 0.005, y + 0.01), (x + 0.005, y + 0.015),
         (x + 0.005, y + 0.01), (x, y + 0.01), (x, y)]
    )  # fmt: skip
    assert not spike.is_valid
    gpd.GeoDataFrame(
        {"ext_id": ["XQ1", "XQ2"], "name": ["龙凤小区", "滨河小区"]}, geometry=[box(3, 0.002), spike], crs=4326
    ).to_file(tmp_path / "compounds.geojson")
    summary = import_file(session, tmp_path / "compounds.geojson", "compounds", actor=TESTER)
    assert (summary.created, summary.repaired) == (2, 1)
    assert "1 repaired" in summary.describe()
    stored = geom_of(session, "compounds", "ext_id = 'XQ2'")
    assert stored.is_valid and stored.area == pytest.approx(1e-4)


# ------------------------------------------------------------------------------------------------------------
# bad input, through the CLI: one message naming file, feature and field; exit ≠ 0; the database unchanged

BadCase = Callable[[Path], tuple[list[str], list[str]]]


def _malformed(d: Path) -> tuple[list[str], list[str]]:
    good = json.dumps(json.loads(roads(3).to_json()), ensure_ascii=False)
    (d / "roads.geojson").write_text(good[: len(good) // 2], encoding="utf-8")
    return ["segments", str(d / "roads.geojson"), *ROAD_ARGS], ["roads.geojson: cannot read the file"]


def _projected_without_crs(d: Path) -> tuple[list[str], list[str]]:
    without_crs(roads(3).to_crs(4525)).to_file(d / "roads.shp")
    return ["segments", str(d / "roads.shp"), *ROAD_ARGS], [
        "roads.shp: no CRS declared",
        "Gauss-Krüger zone 37",
        "--crs EPSG:4525",
    ]


def _out_of_range(d: Path) -> tuple[list[str], list[str]]:
    gdf = roads(3)
    gdf.loc[1, "geometry"] = shapely.LineString([(500000, 4150000), (500100, 4150100)])
    gdf.to_file(d / "roads.geojson")
    return ["segments", str(d / "roads.geojson"), *ROAD_ARGS], [
        "roads.geojson, feature 2, field 'geometry'",
        "outside longitude/latitude range",
        "give --crs",
    ]


def _bow_tie(d: Path) -> tuple[list[str], list[str]]:
    x, y = LISHI
    bow = shapely.Polygon([(x, y), (x + 0.01, y + 0.01), (x + 0.01, y), (x, y + 0.01), (x, y)])
    gpd.GeoDataFrame(
        {"ext_id": ["XQ1", "XQ2"], "name": ["龙凤小区", "滨河小区"]}, geometry=[box(3, 0.002), bow], crs=4326
    ).to_file(d / "compounds.geojson")
    return ["compounds", str(d / "compounds.geojson")], [
        "compounds.geojson, feature 2, field 'geometry'",
        "crosses itself",
        "fix the outline",
    ]


def _unclosed_ring(d: Path) -> tuple[list[str], list[str]]:
    x, y = LISHI
    fc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"name": "好小区"}, "geometry": shapely.geometry.mapping(box(3, 0.002))},
            {
                "type": "Feature",
                "properties": {"name": "坏小区"},
                "geometry": {"type": "Polygon", "coordinates": [[[x, y], [x + 0.001, y], [x + 0.001, y + 0.001]]]},
            },
        ],
    }
    (d / "compounds.geojson").write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
    return ["compounds", str(d / "compounds.geojson")], [
        "compounds.geojson, feature 2, field 'geometry'",
        "ring is not closed",
    ]


def _duplicate_code(d: Path) -> tuple[list[str], list[str]]:
    gpd.GeoDataFrame(
        {"XZQDM": ["141102003", "141102004", "141102003"], "XZQMC": ["莲花池街道", "城北街道", "田家会街道"]},
        geometry=[box(2), box(3), box(4)],
        crs=4326,
    ).to_file(d / "streets.geojson")
    return ["streets", str(d / "streets.geojson"), "--map", "code=XZQDM", "--map", "name=XZQMC"], [
        "streets.geojson, feature 3, field 'XZQDM'",
        "duplicate code '141102003': features 1 and 3",
    ]


def _unknown_mapping_field(d: Path) -> tuple[list[str], list[str]]:
    roads(3).to_file(d / "roads.geojson")
    return ["segments", str(d / "roads.geojson"), *ROAD_ARGS, "--map", "colour=等级"], [
        "field 'colour': --map names unknown field 'colour'",
        "ext_id, name, level, from_desc, to_desc, description",
    ]


def _missing_required_column(d: Path) -> tuple[list[str], list[str]]:
    roads(3).drop(columns="等级").to_file(d / "roads.geojson")
    return ["segments", str(d / "roads.geojson"), "--map", "name=路名", "--map", "ext_id=编号"], [
        "roads.geojson, field 'level': required field 'level' is missing",
        "--map level=COLUMN",
        "路名, 编号",
    ]


def _missing_mapped_column(d: Path) -> tuple[list[str], list[str]]:
    roads(3).to_file(d / "roads.geojson")
    return ["segments", str(d / "roads.geojson"), *ROAD_ARGS, "--map", "description=备注"], [
        "roads.geojson, field '备注': no column '备注' (mapped to description)",
        "路名, 等级, 编号",
    ]


def _bad_level(d: Path) -> tuple[list[str], list[str]]:
    gdf = roads(4)
    gdf.loc[0, "路名"] = "改了名的路"  # a valid update of a stored row, which must not happen either
    gdf.loc[2, "等级"] = "人行道"
    gdf.to_file(d / "roads.geojson")
    return ["segments", str(d / "roads.geojson"), *ROAD_ARGS], [
        "roads.geojson, feature 3, field '等级'",
        "'人行道' is not a road level",
    ]


def _unknown_parent(d: Path) -> tuple[list[str], list[str]]:
    gpd.GeoDataFrame(
        {"code": ["141102001002", "141102009001"], "name": ["滨河社区", "无名社区"], "JD": ["141102001", "141102009"]},
        geometry=[box(0, 0.004), box(1, 0.004)],
        crs=4326,
    ).to_file(d / "communities.geojson")
    return ["communities", str(d / "communities.geojson"), "--map", "street_code=JD"], [
        "communities.geojson, feature 2, field 'JD'",
        "'141102009' names no existing street",
    ]


def _gcj02_on_projected(d: Path) -> tuple[list[str], list[str]]:
    roads(2).to_crs(4525).to_file(d / "roads.gpkg")
    return ["segments", str(d / "roads.gpkg"), *ROAD_ARGS, "--from-gcj02"], [
        "roads.gpkg: --from-gcj02 needs longitude/latitude"
    ]


BAD_CASES: dict[str, BadCase] = {
    "malformed file": _malformed,
    "projected data without CRS": _projected_without_crs,
    "coordinates out of range": _out_of_range,
    "self-intersecting polygon": _bow_tie,
    "unclosed ring": _unclosed_ring,
    "duplicate code": _duplicate_code,
    "unknown field in mapping": _unknown_mapping_field,
    "missing required column": _missing_required_column,
    "mapped column not in file": _missing_mapped_column,
    "bad level value": _bad_level,
    "unknown parent code": _unknown_parent,
    "GCJ-02 on projected data": _gcj02_on_projected,
}


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_bad_input_is_rejected_clearly_and_changes_nothing(
    case: str, settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    before = seed(engine, tmp_path)
    args, expected = BAD_CASES[case](tmp_path)
    status, output = cli(settings, "import", *args)
    assert status != 0, output
    assert "Traceback" not in output
    assert output.startswith("Error: rejected: "), output  # exactly one problem
    lines = output.splitlines()  # the problem, and its Chinese sentence when it has one
    assert len(lines) == 1 or (len(lines) == 2 and re.search(r"[\u4e00-\u9fff]", lines[1])), output
    for fragment in expected:
        assert fragment in output, output
    assert snapshot(engine) == before


def test_cli_import_prints_a_summary(settings: Settings, engine: Engine, tmp_path: Path) -> None:
    roads(5, crs=4490).to_file(tmp_path / "roads.geojson")
    status, output = cli(settings, "import", "segments", str(tmp_path / "roads.geojson"), *ROAD_ARGS)
    assert status == 0, output
    assert "segments from roads.geojson: 5 created, 0 updated, 0 repaired, 0 rejected (EPSG:4490 → EPSG:4326)" in output
    status, output = cli(settings, "import", "segments", str(tmp_path / "roads.geojson"), *ROAD_ARGS)
    assert status == 0 and "0 created, 5 updated" in output, output
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM segments")).scalar() == 5


def test_every_problem_is_listed_at_once(session: Session, tmp_path: Path) -> None:
    gdf = roads(5)
    gdf.loc[1, "等级"] = "高速"
    gdf.loc[3, "编号"] = "LS-000"
    gdf.loc[4, "geometry"] = shapely.LineString([(LISHI[0], LISHI[1]), (LISHI[0], LISHI[1])])
    gdf.loc[2, "等级"] = None
    gdf.to_file(tmp_path / "roads.geojson")
    with pytest.raises(InvalidInput) as info:
        import_file(session, tmp_path / "roads.geojson", "segments", mapping=ROAD_MAP, actor=TESTER)
    found = [(p.source, p.feature, p.field) for p in info.value.problems]
    assert found == [
        ("roads.geojson", 2, "等级"),
        ("roads.geojson", 3, "等级"),
        ("roads.geojson", 4, "编号"),
        ("roads.geojson", 5, "geometry"),
    ]
    assert str(info.value).startswith("rejected, 4 problems (nothing was written):")
    assert rows(session, "SELECT count(*) FROM segments") == [(0,)]


def test_unnamed_roads_are_accepted_described_by_their_cross_streets_and_counted(
    session: Session, tmp_path: Path
) -> None:
    """The same policy as import-osm and roads segment: no refusal, a description from the ends, a count."""
    gdf = roads(4)
    gdf["起"] = [None, "新华街", "新华街", None]
    gdf["止"] = [None, "凤山路", None, None]
    gdf.loc[1, "路名"] = None
    gdf.loc[2, "路名"] = "  "
    gdf.to_file(tmp_path / "roads.geojson")
    summary = import_file(
        session,
        tmp_path / "roads.geojson",
        "segments",
        mapping={**ROAD_MAP, "from_desc": "起", "to_desc": "止"},
        actor=TESTER,
    )
    assert summary.created == 4 and summary.unnamed == 2
    assert any("2 unnamed roads accepted" in n and "未命名道路 2 条" in n for n in summary.notes)
    got = dict(rows(session, "SELECT ext_id, description FROM segments WHERE name IS NULL"))
    assert got == {"LS-001": "新华街与凤山路之间", "LS-002": "未命名道路"}


def test_all_or_nothing_across_layers_in_one_unit_of_work(engine: Engine, tmp_path: Path) -> None:
    """A later failure rolls back the layers already flushed in the same run."""
    before = seed(engine, tmp_path)
    gpd.GeoDataFrame(
        {"code": ["141102003"], "name": ["莲花池街道"], "district_code": ["141102"]}, geometry=[box(2)], crs=4326
    ).to_file(tmp_path / "streets.geojson")
    gpd.GeoDataFrame(
        {"code": ["141102003001", "141102003002"], "name": ["莲花社区", "错社区"], "street_code": ["141102003", "999"]},
        geometry=[box(2, 0.004), box(3, 0.004)],
        crs=4326,
    ).to_file(tmp_path / "communities.geojson")
    roads(6).to_file(tmp_path / "roads.geojson")
    with (
        pytest.raises(InvalidInput, match=r"communities.geojson, feature 2, field 'street_code': '999' names no"),
        session_scope(make_session_factory(engine)) as s,
    ):
        import_file(s, tmp_path / "roads.geojson", "segments", mapping=ROAD_MAP, actor=TESTER)  # updates 4, adds 2
        assert import_file(s, tmp_path / "streets.geojson", "streets", actor=TESTER).created == 1
        # the new street is visible inside the unit of work: its community resolves, the other does not
        import_file(s, tmp_path / "communities.geojson", "communities", actor=TESTER)
    assert snapshot(engine) == before


def test_store_failure_in_a_later_chunk_rolls_back_earlier_chunks(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks 1 and 2 are flushed when the store refuses a row of chunk 3: the problem names the file's feature
    number and column, and the unit of work leaves nothing behind."""
    import gridmap.imports.layer_import as importing

    before = seed(engine, tmp_path)
    monkeypatch.setattr(importing, "CHUNK", 2)
    monkeypatch.setattr(importing, "check_parents", lambda *a, **k: None)  # let the store find it
    gpd.GeoDataFrame(
        {"code": [f"14110200100{k}" for k in range(1, 6)], "SQ": ["141102001001"] * 4 + ["14110200199"]},
        geometry=[box(k, 0.001) for k in range(5)],
        crs=4326,
    ).to_file(tmp_path / "grids.geojson")
    with (
        pytest.raises(InvalidInput) as info,
        session_scope(make_session_factory(engine)) as s,
    ):
        import_file(s, tmp_path / "grids.geojson", "grids", mapping={"community_code": "SQ"}, actor=TESTER)
    (problem,) = info.value.problems
    assert (problem.source, problem.feature, problem.field) == ("grids.geojson", 5, "SQ")
    assert snapshot(engine) == before


def test_too_long_values_are_caught_before_the_database(session: Session, tmp_path: Path) -> None:
    gdf = roads(3)
    gdf.loc[2, "路名"] = "长" * 101
    gdf.to_file(tmp_path / "roads.geojson")
    with pytest.raises(InvalidInput, match=r"feature 3, field '路名'.*101 characters long; at most 100"):
        import_file(session, tmp_path / "roads.geojson", "segments", mapping=ROAD_MAP, actor=TESTER)


# ------------------------------------------------------------------------------------------------------------
# the database must be initialised


@pytest.fixture
def fresh_url(request: pytest.FixtureRequest, settings: Settings, tmp_path: Path):
    """A URL of an empty database of the same kind (not migrated)."""
    if settings.database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'fresh.sqlite'}"
        return
    postgres = request.getfixturevalue("postgres")  # the session's databases: dropped at its end at the latest
    fresh = postgres.new()
    yield fresh.database_url
    postgres.drop(database_name(fresh))


def test_importing_into_an_uninitialised_database(fresh_url: str, tmp_path: Path) -> None:
    roads(2).to_file(tmp_path / "roads.geojson")
    fresh = Settings(database_url=fresh_url, instance_dir=tmp_path)
    status, output = cli(fresh, "import", "segments", str(tmp_path / "roads.geojson"), *ROAD_ARGS)
    assert status != 0 and "run `gridmap init`" in output, output
    eng = make_engine(fresh)
    try:
        with make_session_factory(eng)() as s, pytest.raises(GridmapError, match="run `gridmap init`"):
            import_file(s, tmp_path / "roads.geojson", "segments", mapping=ROAD_MAP, actor=TESTER)
    finally:
        eng.dispose()


# ------------------------------------------------------------------------------------------------------------
# small pieces


def test_parse_mapping() -> None:
    assert parse_mapping(("name=ROAD_NAME", " level = 等级 ", "description=a=b")) == {
        "name": "ROAD_NAME",
        "level": "等级",
        "description": "a=b",
    }
    with pytest.raises(InvalidInput, match="write FIELD=COLUMN"):
        parse_mapping(("name",))
    with pytest.raises(InvalidInput, match="names field 'name' twice"):
        parse_mapping(("name=A", "name=B"))


def test_summary_describe() -> None:
    s = ImportSummary("segments", "roads.geojson", 2104, 0, 0, 3, "EPSG:4490", ["a note"])
    assert s.describe(1.23) == (
        "segments from roads.geojson: 2,104 created, 0 updated, 3 repaired, 0 rejected (EPSG:4490 → EPSG:4326) "
        "in 1.2 s\n  note: a note"
    )
    assert ImportSummary("grids", "g.csv").describe().endswith("(EPSG:4326)")


def test_unknown_layer_and_missing_file(session: Session, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="unknown layer 'roads'"):
        import_file(session, tmp_path / "x.geojson", "roads", actor=TESTER)
    with pytest.raises(InvalidInput, match="no such file"):
        import_file(session, tmp_path / "nothing.geojson", "segments", actor=TESTER)


def test_wrong_geometry_family(session: Session, tmp_path: Path) -> None:
    points = gpd.GeoDataFrame({"name": ["甲", "乙"]}, geometry=[shapely.Point(LISHI)] * 2, crs=4326)
    points.to_file(tmp_path / "points.geojson")
    with pytest.raises(InvalidInput) as info:
        import_file(session, tmp_path / "points.geojson", "compounds", actor=TESTER)
    (problem,) = info.value.problems
    assert problem.message.startswith("the file holds Point geometries, but compounds (小区) are polygons")
    mixed = gpd.GeoDataFrame({"ext_id": ["A", "B"], "name": ["甲", "乙"]}, geometry=[box(0, 0.001), line(1)], crs=4326)
    mixed.to_file(tmp_path / "mixed.geojson")
    with pytest.raises(
        InvalidInput, match=r"feature 2, field 'geometry': expected a polygon for this layer, got a line"
    ):
        import_file(session, tmp_path / "mixed.geojson", "compounds", actor=TESTER)


@pytest.mark.filterwarnings(
    "ignore:Column names longer than 10:UserWarning", "ignore:Normalized/laundered:RuntimeWarning"
)
def test_z_dropped_and_shapefile_truncated_names(session: Session, tmp_path: Path) -> None:
    seed_parents(session, tmp_path)
    x, y = LISHI
    poly = shapely.Polygon([(x, y, 800.0), (x + 0.001, y, 801.0), (x + 0.001, y + 0.001, 802.0), (x, y, 800.0)])
    gdf = gpd.GeoDataFrame({"code": ["14110200100101"], "community_code": ["141102001001"]}, geometry=[poly], crs=4490)
    gdf.to_file(tmp_path / "grids.shp")  # the DBF keeps "community_" of "community_code"
    summary = import_file(session, tmp_path / "grids.shp", "grids", actor=TESTER)
    assert summary.created == 1
    assert any("Z coordinates were dropped" in n for n in summary.notes)
    assert not shapely.has_z(geom_of(session, "grids", "code = '14110200100101'"))
    got = rows(session, "SELECT a.code FROM grids g JOIN areas a ON a.id = g.community_id")
    assert got == [("141102001001",)]


def test_csv_problems_name_the_wkt_column(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "roads.csv"
    path.write_text(
        f'name,level,shape\n甲路,main,"{line(0).wkt}"\n乙路,back,"LINESTRING (111.1 37.5,"\n', encoding="utf-8"
    )
    with pytest.raises(InvalidInput) as info:
        import_file(session, path, "segments", mapping={"geometry": "shape"}, actor=TESTER)
    (problem,) = info.value.problems
    assert (problem.source, problem.feature, problem.field) == ("roads.csv", 2, "shape")
    assert "unreadable geometry" in problem.message
