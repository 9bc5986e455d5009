"""`gridmap grids generate` on both databases: generate → new version → lineage → carried assignments; bad input."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import LineString, Polygon, box
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from gridmap.cli import main
from gridmap.config import Settings
from gridmap.errors import InvalidInput
from gridmap.grids.generate import generate_grids
from gridmap.store.bulk_writes import write_features
from gridmap.store.models import Assignment, Grid, GridGeneration, GridLineage, Unit
from tests.accounts import TESTER
from tests.geo.test_gridding import assert_compounds_whole, assert_exact_tiling, ll

C1, C2 = "141102001001", "141102001002"
JAN, JUN, DEC = dt.date(2026, 1, 1), dt.date(2026, 6, 1), dt.date(2026, 12, 1)


def gdf(props: dict, geoms) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(props, geometry=list(geoms), crs=4326)


def make_city(session: Session, communities=None) -> dict:
    """Two 社区 of 300 m × 400 m side by side, crossed by two roads, with three compounds."""
    comms = communities if communities is not None else ll([box(0, 0, 300, 400), box(300, 0, 600, 400)])
    whole = shapely.union_all(comms)
    write_features(session, "districts", gdf({"code": ["141102"], "name": ["离石区"]}, [whole]))
    write_features(
        session,
        "streets",
        gdf({"code": ["141102001"], "name": ["滨河街道"], "district_code": ["141102"]}, [whole]),
    )
    write_features(
        session,
        "communities",
        gdf({"code": [C1, C2][: len(comms)], "name": ["东关社区", "西关社区"][: len(comms)],
              "street_code": ["141102001"] * len(comms)}, comms),
    )  # fmt: skip
    roads = ll([LineString([(-50, 210), (650, 190)]), LineString([(450, -50), (450, 450)])])
    write_features(session, "segments", gdf({"name": ["龙凤大街", "永宁路"], "level": ["main", "secondary"]}, roads))
    compounds = ll([box(20, 20, 120, 120), box(150, 230, 270, 380), box(480, 30, 560, 170)])
    write_features(
        session,
        "compounds",
        gdf({"ext_id": ["C1", "C2", "C3"], "name": ["凤山小区", "莲花小区", "滨河花园"]}, compounds),
    )
    session.flush()
    return {"communities": comms, "compounds": compounds}


def current_grids(session: Session, community: str | None = None) -> gpd.GeoDataFrame:
    stmt = select(Grid.id, Grid.code, Grid.version, Grid.valid_from, func.ST_AsBinary(Grid.geom)).where(
        Grid.valid_to.is_(None)
    )
    if community:
        stmt = stmt.where(Grid.code.like(f"{community}%"))
    rows = session.execute(stmt.order_by(Grid.code)).all()
    return gpd.GeoDataFrame(
        {"id": [r[0] for r in rows], "code": [r[1] for r in rows], "version": [r[2] for r in rows]},
        geometry=[g.geoms[0] if len(g.geoms) == 1 else g for g in shapely.from_wkb([bytes(r[4]) for r in rows])],
        crs=4326,
    )


def count(session: Session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_generate_then_regenerate_keeps_history_maps_and_carries(session: Session) -> None:
    city = make_city(session)
    first = generate_grids(session, all_=True, target_m2=20_000, valid_from=JAN, actor=TESTER)
    assert not first.dry_run and first.generation_id is not None
    r1 = first.report
    assert r1["retired"] == 0 and r1["inserted"] == r1["grids"] > 4
    v1 = current_grids(session)
    assert len(v1) == r1["grids"] and (v1["version"] == 1).all()
    for poly, code in zip(city["communities"], (C1, C2), strict=True):
        mine = np.asarray(v1[v1.code.str.startswith(code)].geometry.array, dtype=object)
        assert_exact_tiling(poly, mine)
        assert_compounds_whole(mine, [c.intersection(poly) for c in city["compounds"] if c.intersects(poly)])
        seq = sorted(int(c[12:]) for c in v1.code if c.startswith(code))
        assert seq == list(range(1, len(seq) + 1))

    # every v1 grid has a responsible unit; one also has a grid worker
    unit = Unit(name="吕梁市住建局", kind="city_office")
    session.add(unit)
    session.flush()
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for gid in v1["id"]:
        session.add(Assignment(target_kind="grid", target_id=int(gid), unit_id=unit.id, role="responsible",
                               valid_from=JAN, assigned_at=now))  # fmt: skip
    session.add(Assignment(target_kind="grid", target_id=int(v1["id"][0]), unit_id=unit.id, role="grid_worker",
                           valid_from=JAN, assigned_at=now))  # fmt: skip
    session.flush()

    second = generate_grids(
        session, all_=True, target_m2=10_000, valid_from=JUN, carry_assignments=True, created_by="t", actor=TESTER
    )
    r2 = second.report
    v2 = current_grids(session)
    assert len(v2) == r2["grids"] > len(v1)
    assert r2["retired"] + r2["unchanged"] == len(v1)
    # old versions are kept, closed on the new valid_from
    closed = session.execute(select(Grid.id, Grid.valid_to).where(Grid.valid_to.is_not(None))).all()
    assert len(closed) == r2["retired"] and {t for _, t in closed} == {JUN}
    on_march = session.scalar(
        select(func.count()).where(Grid.valid_from <= dt.date(2026, 3, 1),
                                   (Grid.valid_to.is_(None)) | (Grid.valid_to > dt.date(2026, 3, 1)))
    )  # fmt: skip
    assert on_march == len(v1)  # who was where on a past date
    # a code used again continues its version numbers
    assert set(v2[v2.code.isin(v1.code)]["version"]) <= {1, 2}
    assert (v2[~v2.code.isin(v1.code)]["version"] == 1).all()
    for poly, code in zip(city["communities"], (C1, C2), strict=True):
        assert_exact_tiling(poly, np.asarray(v2[v2.code.str.startswith(code)].geometry.array, dtype=object))

    # lineage: the shares of each new grid (and of each retired one) add up to 1
    lin = session.execute(select(GridLineage)).scalars().all()
    assert lin and {x.generation_id for x in lin} == {second.generation_id}
    new_ids = set(v2["id"]) - set(v1["id"])
    by_new: dict[int, float] = {}
    by_old: dict[int, float] = {}
    for x in lin:
        by_new[x.new_grid_id] = by_new.get(x.new_grid_id, 0.0) + x.share_of_new
        by_old[x.old_grid_id] = by_old.get(x.old_grid_id, 0.0) + x.share_of_old
    assert set(by_new) == new_ids
    assert all(abs(s - 1.0) < 1e-3 for s in by_new.values())
    assert all(abs(s - 1.0) < 1e-3 for s in by_old.values())
    assert len(r2["mapping"]) == r2["retired"] and all(m["new"] for m in r2["mapping"])

    # assignments: those on retired grids end on JUN; responsible units carried to new grids ≥ 50 % inside
    retired_ids = {i for i, _ in closed}
    asg = session.execute(select(Assignment)).scalars().all()
    assert all(a.valid_to == JUN for a in asg if a.target_id in retired_ids and a.valid_from == JAN)
    carried = [a for a in asg if a.valid_from == JUN]
    assert len(carried) == r2["assignments_carried"] == r2["carry_candidates"] > 0
    assert all(a.role == "responsible" and a.unit_id == unit.id and a.target_id in new_ids for a in carried)
    assert all("carried over from grid" in a.note for a in carried)
    assert r2["assignments_closed"] == sum(1 for a in asg if a.target_id in retired_ids)
    gen = session.get(GridGeneration, second.generation_id)
    assert gen.scope == "all" and gen.valid_from == JUN and gen.report["grids"] == r2["grids"]
    assert "closed on 2026-06-01" in second.describe()


def test_regenerating_the_same_changes_nothing(session: Session) -> None:
    make_city(session)
    generate_grids(session, all_=True, valid_from=JAN, actor=TESTER)
    before = count(session, Grid)
    again = generate_grids(session, all_=True, valid_from=JUN, actor=TESTER)
    assert again.report["unchanged"] == again.report["grids"] and again.report["inserted"] == 0
    assert again.generation_id is None
    assert count(session, Grid) == before and count(session, GridGeneration) == 1


def test_one_community_and_codes_kept_or_renumbered(session: Session) -> None:
    make_city(session)
    generate_grids(session, all_=True, target_m2=20_000, valid_from=JAN, actor=TESTER)
    other_before = current_grids(session, C2)
    res = generate_grids(
        session, community=C1, target_m2=8_000, seq_width=3, valid_from=JUN, renumber=True, actor=TESTER
    )
    assert res.report["communities"] == 1
    c1 = current_grids(session, C1)
    assert (c1.code.str.len() == 15).all()
    assert current_grids(session, C2).equals(other_before)  # the other community is untouched


def test_dry_run_writes_nothing(session: Session) -> None:
    make_city(session)
    res = generate_grids(session, street="141102001", valid_from=JAN, dry_run=True, actor=TESTER)
    assert res.dry_run and res.report["grids"] > 0 and "DRY RUN" in res.describe()
    assert count(session, Grid) == 0 and count(session, GridGeneration) == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"all_": True, "target_m2": 0}, "target area must be a positive"),
        ({"all_": True, "target_m2": float("nan")}, "target area must be a positive"),
        ({"all_": True, "seq_width": 5}, "sequence width"),
        ({}, "choose exactly one scope"),
        ({"community": C1, "street": "141102001"}, "choose exactly one scope"),
        ({"community": "141102009009"}, "no 社区 141102009009"),
        ({"all_": True, "target_m2": 500}, "do not fit in a 2-digit sequence"),
        ({"all_": True, "valid_from": JAN}, "must start after the current ones"),
    ],
)
def test_bad_parameters_are_refused_and_nothing_is_written(session: Session, kwargs, message) -> None:
    make_city(session)
    generate_grids(session, all_=True, target_m2=20_000, valid_from=JAN, actor=TESTER)
    before = count(session, Grid), count(session, GridGeneration), count(session, GridLineage)
    with pytest.raises(InvalidInput, match=message):
        generate_grids(session, **({"valid_from": JUN} | kwargs), actor=TESTER)
    assert (count(session, Grid), count(session, GridGeneration), count(session, GridLineage)) == before


def test_overlapping_communities_are_refused(session: Session) -> None:
    make_city(session, ll([box(0, 0, 300, 400), box(250, 0, 600, 400)]))
    with pytest.raises(InvalidInput, match=r"overlaps community 141102001002 by [\d,]+ m²"):
        generate_grids(session, community=C2, valid_from=JAN, actor=TESTER)
    assert count(session, Grid) == 0


def test_invalid_community_polygon_is_refused(session: Session) -> None:
    bowtie = Polygon([(111.1, 37.5), (111.11, 37.51), (111.11, 37.5), (111.1, 37.51)])
    # the importer refuses a bow-tie, so put it in behind its back, as a damaged database would hold it
    make_city(session, ll([box(0, 0, 300, 400)]))
    session.execute(
        text("UPDATE areas SET geom = ST_GeomFromText(:wkt, 4326) WHERE code = :code"),
        {"wkt": shapely.MultiPolygon([bowtie]).wkt, "code": C1},
    )
    with pytest.raises(InvalidInput, match=r"社区 141102001001 .*invalid polygon: Self-intersection"):
        generate_grids(session, all_=True, valid_from=JAN, actor=TESTER)
    assert count(session, Grid) == 0


# --------------------------------------------------------------------------------------------------- CLI


def test_cli_generate_report_and_errors(settings: Settings, engine: Engine, tmp_path: Path) -> None:
    from gridmap.store.engine import make_session_factory, session_scope

    with session_scope(make_session_factory(engine)) as s:
        make_city(s)
    url = settings.database_url
    runner = CliRunner()
    report = tmp_path / "report.json"
    dry = runner.invoke(main, ["--database-url", url, "grids", "generate", "--all", "--dry-run", "--report",
                               str(report)])  # fmt: skip
    assert dry.exit_code == 0, dry.output
    assert "DRY RUN" in dry.output and "gaps 0 m², overlaps 0 m²" in dry.output
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["grids"] > 0 and data["area_m2"]["median"] > 0 and data["compounds_split"] == 0
    done = runner.invoke(main, ["--database-url", url, "grids", "generate", "--street", "141102001",
                                "--valid-from", "2026-01-01", "--seq-width", "3"])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert f"{data['grids']} new rows" in done.output
    again = runner.invoke(main, ["--database-url", url, "grids", "generate", "--all", "--valid-from", "2026-02-01",
                                 "--target-m2", "5000", "--seq-width", "3", "--carry-assignments"])  # fmt: skip
    assert again.exit_code == 0, again.output
    assert "closed on 2026-02-01" in again.output and "responsible units carried over" in again.output
    bad = runner.invoke(main, ["--database-url", url, "grids", "generate", "--all", "--target-m2", "0"])
    assert bad.exit_code != 0 and "positive" in bad.output and "Traceback" not in bad.output
    none = runner.invoke(main, ["--database-url", url, "grids", "generate"])
    assert none.exit_code != 0 and "exactly one scope" in none.output


@pytest.mark.demo_city
def test_demo_city_regenerates_from_the_database(session: Session) -> None:
    """The committed demo grids come from this generator: re-run on the loaded demo city, most are unchanged."""
    n = count(session, Grid)
    res = generate_grids(session, all_=True, valid_from=dt.date(2099, 1, 1), dry_run=True, actor=TESTER)
    r = res.report
    assert r["communities"] == 84 and abs(r["grids"] - n) <= 5
    assert r["gaps_m2"] == r["overlaps_m2"] == r["outside_m2"] == 0.0 and r["compounds_split"] == 0
    assert r["unchanged"] >= 0.85 * n  # the rest moved by slivers along the roads (segments vs. 社区 edges)
    assert 8_000 < r["area_m2"]["median"] < 12_000 and r["area_m2"]["min"] >= 2_500
    kept = sum(1 for m in r["mapping"] for x in m["new"] if x["code"] == m["old_code"])
    assert kept >= 0.9 * r["retired"]  # a re-drawn grid keeps its code
    assert count(session, Grid) == n
    # and its segments come out of `roads segment --source db` unchanged, length to the metre
    from gridmap.grids.road_segments import segment_stored

    segs, rep = segment_stored(session)
    assert rep.length_preserved and len(segs) == rep.input_lines == 3836


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_barriers_from_a_file_are_followed(session: Session, tmp_path: Path) -> None:
    from gridmap.grids.generate import read_barriers

    make_city(session, ll([box(0, 0, 300, 400)]))
    wall = tmp_path / "walls.geojson"
    gpd.GeoDataFrame({"kind": ["围墙"]}, geometry=ll([LineString([(135, -10), (135, 410)])]), crs=4326).to_file(wall)
    res = generate_grids(
        session, all_=True, target_m2=60_000, valid_from=JAN, barriers=read_barriers(wall), actor=TESTER
    )
    grids = np.asarray(current_grids(session).geometry.array, dtype=object)
    assert res.report["grids"] == len(grids) >= 2
    # no grid straddles the wall at x = 135 m (between the compounds)
    wall_line = ll([LineString([(135, 0), (135, 400)])])[0]
    edges = shapely.union_all(shapely.boundary(grids))
    assert shapely.length(shapely.intersection(wall_line, edges.buffer(1e-7))) == pytest.approx(wall_line.length)
    utm = tmp_path / "walls_utm.geojson"
    gpd.GeoDataFrame(geometry=[LineString([(0, 0), (500_000, 4_000_000)])], crs=None).to_file(utm)
    with pytest.raises(InvalidInput, match="not longitude/latitude"):
        read_barriers(utm, "EPSG:4326")
