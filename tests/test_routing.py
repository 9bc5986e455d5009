"""Routing reports to the responsible unit, on SpatiaLite and PostGIS: every rule, the history, the edge and
ambiguity rules, GCJ-02, bad input, the bulk path giving exactly the one-off answers, the API and the CLI."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from gridmap.catalogue.categories import seed
from gridmap.cli import main
from gridmap.config import Settings
from gridmap.errors import InvalidInput
from gridmap.geo.crs import wgs84_to_gcj02
from gridmap.responsibility.history import area_units, default_responsible, load_history, responsible_at
from gridmap.routing import RoutingConfig, invalidate_cache, route_point, route_points, routing_layers
from gridmap.store.bulk_writes import write_features
from gridmap.store.models import Assignment, Compound, Segment, Unit
from gridmap.web import create_app
from tests.accounts import client_as
from tests.routing_city import SmallCity, build_lattice_city, build_small_city, to_lonlat

DAY = "2025-06-01"


@pytest.fixture
def city(session: Session) -> SmallCity:
    return build_small_city(session)


def at(session: Session, city: SmallCity, x: float, y: float, **kw):
    lon, lat = city.point(x, y)
    kw.setdefault("observed_at", DAY)
    return route_point(session, lon, lat, **kw)


# ------------------------------------------------------------------------------------------------ each rule


def test_compound_beats_a_nearby_segment(session: Session, city: SmallCity) -> None:
    r = at(session, city, -50, -40)  # inside 滨河小区, 40 m from the main road
    assert r.rule == "compound"
    assert (r.matched.kind, r.matched.id, r.matched.name) == ("compound", city.ids["K1"], "滨河小区")
    assert r.responsible == (city.ids["edu"], "离石区教育局")
    assert r.distance_m == 0.0 and not r.ambiguous and r.candidates == ()
    assert r.explanation == "位于小区「滨河小区」内，包联单位：离石区教育局"
    assert (r.community.name, r.street.name) == ("社区一", "一街道")
    d = r.to_dict()
    assert d["responsible"] == {"unit_id": city.ids["edu"], "unit_name": "离石区教育局"}
    assert d["matched"] == {"kind": "compound", "id": city.ids["K1"], "name": "滨河小区"}
    assert set(d) >= {"responsible", "matched", "rule", "distance_m", "candidates", "ambiguous", "explanation"}


def test_an_unassigned_compound_is_skipped_named_and_listed(session: Session, city: SmallCity) -> None:
    r = at(session, city, -150, -40)  # inside 无主小区 (nobody), 40 m from the main road
    assert r.rule == "segment" and r.matched.id == city.ids["M"] and r.distance_m == 40.0
    assert r.responsible == (city.ids["roads"], "离石区住建局")
    assert [(c.kind, c.id, c.unit_id, c.distance_m) for c in r.candidates] == [("compound", city.ids["K2"], None, 0.0)]
    assert r.explanation.startswith("小区「无主小区」2025-06-01无包联单位；距路段「滨河路」40 米")


def test_nearest_segment_within_the_tolerance_of_its_level(session: Session, city: SmallCity) -> None:
    r = at(session, city, 60, -40)  # back street 10 m (tolerance 15), main road 40 m (tolerance 50)
    assert (r.rule, r.matched.name, r.distance_m) == ("segment", "小巷", 10.0)
    assert [(c.name, c.distance_m) for c in r.candidates] == [("滨河路", 40.0)]
    assert "15 米容差" in r.explanation
    r = at(session, city, 70, -60)  # back street 20 m > 15, main road 60 m > 50 → no segment
    assert r.rule == "grid"
    wider = RoutingConfig(tolerance_m={"main": 50, "secondary": 30, "back": 25})
    r = at(session, city, 70, -60, config=wider)
    assert (r.rule, r.matched.name, r.distance_m) == ("segment", "小巷", 20.0)


def test_grid_rule(session: Session, city: SmallCity) -> None:
    r = at(session, city, 70, -60)
    assert (r.rule, r.matched.kind, r.matched.id) == ("grid", "grid", city.ids["14110200200101"])
    assert r.responsible == (city.ids["gridC"], "网格丙单位")
    assert r.explanation == "位于单元网格 14110200200101 内，责任单位：网格丙单位"
    assert r.community.name == "社区三" and r.street.name == "二街道"


def test_default_party_is_the_community_then_the_street(session: Session, city: SmallCity) -> None:
    r = at(session, city, 10, -200)  # no compound, no segment in tolerance, no grid; community 社区三 has a unit
    assert (r.rule, r.matched.kind, r.matched.name) == ("default", "community", "社区三")
    assert r.responsible == (city.ids["c3"], "社区三居委会")
    assert "属地兜底" in r.explanation
    r = at(session, city, -500, 500)  # community 社区二 names no unit → its street's unit
    assert (r.rule, r.matched.kind, r.matched.name) == ("default", "street", "一街道")
    assert r.responsible == (city.ids["s1"], "一街道办")
    assert "所在社区「社区二」未设责任单位" in r.explanation
    r = at(session, city, 500, 500, config=RoutingConfig(order=("compound", "segment", "grid")))
    assert r.responsible is None and r.matched is None and r.rule is None and r.distance_m is None
    assert r.explanation.startswith("未找到责任单位")


def test_category_overrides_the_order_by_longest_prefix(session: Session, city: SmallCity) -> None:
    cfg = RoutingConfig(
        category_order={"BJ01": ("segment", "compound", "grid", "default"), "BJ0102": ("grid", "default")}
    )
    assert at(session, city, -50, -40, category="0102", config=cfg).rule == "compound"
    r = at(session, city, -50, -40, category="BJ0101", config=cfg)  # a manhole cover inside the compound
    assert (r.rule, r.matched.name, r.distance_m) == ("segment", "滨河路", 40.0)
    assert at(session, city, -50, -40, category="BJ0102", config=cfg).rule == "grid"
    assert at(session, city, -50, -40, category="BJ0101").rule == "compound"  # not configured: default order


# ------------------------------------------------------------------------------------------------ history


def test_responsibility_is_taken_as_of_the_observed_day(session: Session, city: SmallCity) -> None:
    edu, health = (city.ids["edu"], "离石区教育局"), (city.ids["health"], "离石区卫健局")
    assert at(session, city, -50, -40, observed_at="2025-12-31").responsible == edu
    assert at(session, city, -50, -40, observed_at="2026-01-01").responsible == health  # half-open periods
    assert at(session, city, -50, -40, observed_at=dt.date(2030, 5, 1)).responsible == health
    # 20:00 in New York on 31 Dec is 09:00 on 1 Jan in 离石.
    assert at(session, city, -50, -40, observed_at="2025-12-31T20:00:00-05:00").responsible == health
    assert at(session, city, -50, -40, observed_at="2025-12-31T20:00:00").responsible == edu  # naive: local
    before = at(session, city, -50, -40, observed_at="2024-12-31")  # nobody yet: falls through to the road
    assert before.rule == "segment" and before.responsible[1] == "离石区住建局"
    assert before.candidates[0].kind == "compound" and before.candidates[0].unit_id is None


def test_responsible_at_and_history_agree(session: Session, city: SmallCity) -> None:
    k1 = city.ids["K1"]
    assert responsible_at(session, "compound", [k1], dt.date(2024, 12, 31)) == {}
    assert responsible_at(session, "compound", [k1], dt.date(2025, 1, 1)) == {k1: (city.ids["edu"], "离石区教育局")}
    assert responsible_at(session, "compound", None, dt.date(2026, 1, 1)) == {k1: (city.ids["health"], "离石区卫健局")}
    history = load_history(session, "compound")
    days = np.array([dt.date(2024, 12, 31), dt.date(2025, 1, 1), dt.date(2025, 12, 31), dt.date(2026, 1, 1)])
    units = history.unit_at(np.full(4, k1), days.astype("datetime64[D]").astype(np.int64))
    assert units.tolist() == [-1, city.ids["edu"], city.ids["edu"], city.ids["health"]]
    assert area_units(session)[city.ids["141102001001"]] == (city.ids["c1"], "社区一居委会")
    party = default_responsible(session, city.ids["141102001002"])  # 社区二: no unit → 一街道
    assert (party.area_kind, party.area_name, party.unit_name) == ("street", "一街道", "一街道办")
    with pytest.raises(ValueError):
        responsible_at(session, "building", [1], dt.date(2025, 1, 1))


# ------------------------------------------------------------------------------------------------ edges and ties


def test_a_point_on_the_shared_edge_of_two_grids_goes_to_the_lowest_code(session: Session, city: SmallCity) -> None:
    grids_only = RoutingConfig(order=("grid", "default"))
    r = at(session, city, -100, -50, config=grids_only)  # the vertex both grids share
    assert (r.rule, r.matched.name) == ("grid", "14110200100101")
    assert r.ambiguous  # the other grid, at 0 m, belongs to another unit
    assert [(c.name, c.distance_m, c.unit_name) for c in r.candidates] == [("14110200100102", 0.0, "网格乙单位")]
    assert "网格乙单位" in r.explanation and "请指挥中心确认" in r.explanation
    r = at(session, city, -90, -50, config=grids_only)  # 10 m inside: no rival within 3 m
    assert r.matched.name == "14110200100101" and not r.ambiguous and r.candidates == ()
    r = at(session, city, -101, -50, config=grids_only)  # 1 m into the other grid: a rival 1 m away
    assert r.matched.name == "14110200100102" and r.ambiguous


def test_ambiguous_when_two_units_are_within_three_metres(session: Session, city: SmallCity) -> None:
    r = at(session, city, 51, -3)  # back street 1 m (小巷物业), main road 3 m (住建局)
    assert r.matched.name == "小巷" and r.ambiguous
    assert at(session, city, 51, -10).ambiguous is False  # main road 10 m: 9 m farther
    r = at(session, city, 51, -3, config=RoutingConfig(ambiguous_m=1.5))
    assert not r.ambiguous


def test_gcj02_input_is_converted(session: Session, city: SmallCity) -> None:
    lon, lat = city.point(-50, -40)
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert abs(glon - lon) > 0.003  # hundreds of metres apart
    r = route_point(session, float(glon), float(glat), crs="gcj02", observed_at=DAY)
    assert r.matched.name == "滨河小区" and r.crs == "gcj02"
    assert abs(r.wgs84_lon - lon) < 1e-7 and abs(r.wgs84_lat - lat) < 1e-7
    wrong = route_point(session, float(glon), float(glat), observed_at=DAY)  # the same numbers read as WGS-84
    assert wrong.matched is None or wrong.matched.name != "滨河小区"


# ------------------------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("lon", "lat", "extra", "field", "words"),
    [
        ("abc", 37.5, {}, "lon", "'abc' is not a number"),
        (111.0, None, {}, "lat", "lat is missing"),
        (111.0, "", {}, "lat", "lat is missing"),
        (37.52, 111.0, {}, "lat", "look swapped"),
        (200.0, 37.5, {}, "lon", "outside -180..180"),
        (111.0, -95.0, {}, "lat", "outside -90..90"),
        (111.3, 37.52, {}, "lon/lat", "more than 5 km outside the managed area"),
        (111.0, 37.52, {"crs": "bd09"}, "crs", "'bd09' is not one of"),
        (111.0, 37.52, {"observed_at": "yesterday"}, "observed_at", "not an ISO-8601"),
        (float("nan"), 37.52, {}, "lon", "lon is missing"),
        (float("inf"), 37.52, {}, "lon", "inf is not a finite number"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    session: Session, city: SmallCity, lon: object, lat: object, extra: dict, field: str, words: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        route_point(session, lon, lat, **extra)
    assert [p.field for p in err.value.problems] == [field]
    assert words in str(err.value)


def test_far_limit_is_configurable(session: Session, city: SmallCity) -> None:
    lon, lat = city.point(0, 9000)  # 7 km north of the district's edge
    with pytest.raises(InvalidInput, match="more than 5 km") as err:
        route_point(session, lon, lat)
    batch = route_points(session, [lon, lon], [lat, city.point(0, 6900)[1]])  # 4.9 km out: still managed
    assert [(e.index, e.field, e.message) for e in batch.errors] == [(0, "lon/lat", err.value.problems[0].message)]
    assert batch.result(1).responsible is None and batch.result(1).community is None
    r = route_point(session, lon, lat, config=RoutingConfig(far_m=10_000))
    assert r.responsible is None and r.community is None


def test_bulk_reports_bad_points_and_still_answers_the_good_ones(session: Session, city: SmallCity) -> None:
    good = city.point(-50, -40)
    lons = [good[0], "x", 37.52, good[0], None, good[0]]
    lats = [good[1], good[1], 111.0, good[1], good[1], good[1]]
    batch = route_points(session, lons, lats, observed_at=[DAY, DAY, DAY, "bad time", DAY, None])
    assert batch.ok.tolist() == [True, False, False, False, False, True]
    assert [(e.index, e.field) for e in batch.errors] == [(1, "lon"), (2, "lat"), (3, "observed_at"), (4, "lon")]
    assert batch.result(0).matched.name == "滨河小区"
    assert batch.result(0).to_dict() == at(session, city, -50, -40).to_dict()
    assert batch.result(1) is None and batch.routed == 2
    # numpy datetimes (naive: local days) and pandas timestamps are read without parsing text
    days = np.array(["2025-12-31", "2026-01-01"], dtype="datetime64[D]")
    two = route_points(session, [good[0]] * 2, [good[1]] * 2, observed_at=days)
    assert [two.result(i).responsible[1] for i in range(2)] == ["离石区教育局", "离石区卫健局"]
    stamps = [pd.Timestamp("2025-12-31T17:00:00Z"), pd.NaT]  # 01:00 on 1 January in 离石; NaT: today
    assert route_points(session, [good[0]] * 2, [good[1]] * 2, observed_at=stamps).result(0).responsible[1] == (
        "离石区卫健局"
    )


# ------------------------------------------------------------------------------------------------ bulk == one-off


def test_bulk_gives_exactly_the_one_off_answers(session: Session) -> None:
    meta = build_lattice_city(session, seed=11)
    half = float(meta["half"])  # type: ignore[arg-type]
    rng = np.random.default_rng(2026)
    n = 1000
    x = rng.uniform(-half - 80, half + 80, n)
    y = rng.uniform(-half - 80, half + 80, n)
    # A tenth of the points exactly on vertices of grids and segments (shared edges and corners).
    layers = routing_layers(session)
    vertices = np.concatenate(
        [shapely.get_coordinates(layers.tables["grid"].geoms), shapely.get_coordinates(layers.tables["segment"].geoms)]
    )
    pick = rng.choice(len(vertices), n // 10, replace=False)
    lon, lat = to_lonlat(x, y)
    lon[: n // 10], lat[: n // 10] = vertices[pick, 0], vertices[pick, 1]
    days = rng.choice(["2024-06-01", "2025-02-28", "2025-03-01", "2025-06-30", "2025-07-01", "2026-02-01"], n)
    cats = rng.choice(["", "BJ0101", "0102", "BJ0302"], n)
    cfg = RoutingConfig(category_order={"BJ01": ("segment", "compound", "grid", "default")})
    batch = route_points(session, lon, lat, observed_at=list(days), categories=list(cats), config=cfg)
    assert batch.routed == n and not batch.errors
    rules = {}
    for i in range(n):
        one = route_point(session, lon[i], lat[i], observed_at=days[i], category=cats[i] or None, config=cfg)
        bulk = batch.result(i)
        assert bulk.to_dict() == one.to_dict(), f"point {i}"
        rules[one.rule] = rules.get(one.rule, 0) + 1
        rules["ambiguous"] = rules.get("ambiguous", 0) + one.ambiguous
    # the random city exercises every rule, the ambiguity flag, and nobody-responsible points
    assert set(rules) >= {"compound", "segment", "grid", "default", "ambiguous"}, rules
    assert rules["ambiguous"] > 0


def test_bulk_cache_follows_the_store(session: Session, city: SmallCity) -> None:
    invalidate_cache()
    lon, lat = city.point(10, -200)
    assert route_points(session, [lon], [lat]).result(0).rule == "default"
    # A new compound there, assigned: the cached layers must be reloaded.
    write_features(
        session,
        "compounds",
        gpd.GeoDataFrame({"ext_id": ["K3"], "name": ["新建小区"]}, geometry=[shapely.box(lon - 1e-4, lat - 1e-4,
                         lon + 1e-4, lat + 1e-4)], crs=4326),
    )  # fmt: skip
    session.flush()
    k3 = session.scalar(select(Compound.id).where(Compound.ext_id == "K3"))
    session.add(
        Assignment(
            target_kind="compound",
            target_id=k3,
            unit_id=city.ids["edu"],
            role="responsible",
            valid_from=dt.date(2020, 1, 1),
            assigned_at=dt.datetime.now(dt.UTC),
        )
    )
    session.flush()
    r = route_points(session, [lon], [lat]).result(0)
    assert (r.rule, r.matched.name) == ("compound", "新建小区")
    # Ending that assignment is an UPDATE (no new row): the change counter sees it too.
    session.execute(
        update(Assignment)
        .where(Assignment.target_kind == "compound", Assignment.target_id == k3)
        .values(valid_to=dt.date(2021, 1, 1))
    )
    session.flush()
    assert route_points(session, [lon], [lat]).result(0).rule == "default"
    # A different configuration builds its own index over the same layers.
    wide = RoutingConfig(tolerance_m={"secondary": 60})
    assert route_points(session, [lon], [lat], config=wide).result(0).rule == "segment"


def test_bulk_cache_sees_committed_edits_that_add_no_row(session: Session, city: SmallCity, engine: Engine) -> None:
    """A segment's new level (its tolerance) and a renamed unit add no row and change no count: the layers'
    change counter still moves, so the next bulk call answers with them — also when another process made the
    edit (here: a raw DBAPI connection, which no SQLAlchemy event sees)."""
    session.commit()
    invalidate_cache()
    lon, lat = city.point(70, -60)  # back street 20 m away: beyond a back street's 15 m, within a secondary 30 m
    assert route_points(session, [lon], [lat], observed_at=[DAY]).result(0).rule == "grid"
    session.execute(update(Segment).where(Segment.id == city.ids["B"]).values(level="secondary"))
    session.execute(update(Unit).where(Unit.id == city.ids["alley"]).values(name="新物业公司"))
    session.commit()
    r = route_points(session, [lon], [lat], observed_at=[DAY]).result(0)
    assert (r.rule, r.matched.name, r.responsible) == ("segment", "小巷", (city.ids["alley"], "新物业公司"))
    session.execute(update(Unit).where(Unit.id == city.ids["alley"]).values(name="又一家公司"))
    session.rollback()  # nothing committed: the layers stay, and still answer with the committed name
    assert route_points(session, [lon], [lat], observed_at=[DAY]).result(0).responsible[1] == "新物业公司"
    session.commit()  # end the read transaction (SQLite reads its snapshot until then)
    raw = engine.raw_connection()
    try:
        raw.cursor().execute(f"UPDATE units SET name = '外部改名' WHERE id = {city.ids['alley']}")
        raw.commit()
    finally:
        raw.close()
    assert route_points(session, [lon], [lat], observed_at=[DAY]).result(0).responsible[1] == "外部改名"


# ------------------------------------------------------------------------------------------------ config


def test_config_from_toml_json_and_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toml = tmp_path / "routing.toml"
    toml.write_text(
        'order = ["segment", "grid", "default"]\nambiguous_m = 5\n[tolerance_m]\nback = 10\n'
        '[category_order]\nBJ0101 = ["segment", "compound", "grid", "default"]\n',
        encoding="utf-8",
    )
    cfg = RoutingConfig.from_file(toml)
    assert cfg.order == ("segment", "grid", "default") and cfg.ambiguous_m == 5
    assert cfg.tolerance_m == {"main": 50.0, "secondary": 30.0, "back": 10.0}
    assert cfg.order_for("BJ0101")[0] == "segment" and cfg.order_for("0101")[0] == "segment"
    js = tmp_path / "routing.json"
    js.write_text(json.dumps({"far_m": 2000}), encoding="utf-8")
    monkeypatch.setenv("GRIDMAP_ROUTING_CONFIG", str(js))
    assert RoutingConfig.from_env().far_m == 2000
    # the city's time zone comes from GRIDMAP_TIMEZONE unless the file names one
    monkeypatch.setenv("GRIDMAP_TIMEZONE", "Asia/Urumqi")
    assert (RoutingConfig.from_env().timezone, RoutingConfig.from_env().far_m) == ("Asia/Urumqi", 2000)
    js.write_text(json.dumps({"far_m": 2000, "timezone": "Asia/Harbin"}), encoding="utf-8")
    os.utime(js, ns=(1, 1))  # a new modification time: the file is read again
    assert RoutingConfig.from_env().timezone == "Asia/Harbin"
    monkeypatch.delenv("GRIDMAP_TIMEZONE")
    bad = tmp_path / "bad.toml"
    bad.write_text('order = ["compound", "teleport"]\nspeed = 3\n', encoding="utf-8")
    with pytest.raises(InvalidInput, match="unknown settings"):
        RoutingConfig.from_file(bad)
    bad.write_text('order = ["compound", "teleport"]\n', encoding="utf-8")
    with pytest.raises(InvalidInput, match="teleport"):
        RoutingConfig.from_file(bad)
    with pytest.raises(InvalidInput, match=r"tolerance_m\.main"):
        RoutingConfig(tolerance_m={"main": -1, "secondary": 30, "back": 15})


# ------------------------------------------------------------------------------------------------ API


def test_snap_api_one_point_and_many(settings: Settings, engine: Engine, session: Session, city: SmallCity) -> None:
    seed(session)  # the catalogue, as `gridmap init` seeds it: a category the preview is asked about must exist
    session.commit()
    client = client_as(create_app(settings))
    lon, lat = city.point(-50, -40)
    resp = client.get(f"/api/v1/snap?lon={lon}&lat={lat}&observed_at={DAY}")
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["matched"] == {"kind": "compound", "id": city.ids["K1"], "name": "滨河小区"}
    assert body["responsible"]["unit_name"] == "离石区教育局" and body["explanation"].startswith("位于小区")
    bad = client.get("/api/v1/snap?lon=37.52&lat=111.14")
    assert bad.status_code == 400 and "swapped" in bad.get_json()["error"]
    assert client.get("/api/v1/snap?lat=37.5").status_code == 400

    glon, glat = (float(v) for v in wgs84_to_gcj02(lon, lat))
    points = [
        {"lon": lon, "lat": lat, "id": "a"},
        {"lon": "east", "lat": lat, "id": "b"},
        {"lon": glon, "lat": glat, "crs": "gcj02", "id": "c"},
        "not an object",
        {"lon": lon, "lat": lat, "category": "BJ0101", "observed_at": "2026-03-01T10:00:00+08:00"},
    ]
    resp = client.post("/api/v1/snap", json={"points": points, "observed_at": DAY})
    assert resp.status_code == 200
    body = resp.get_json()
    assert (body["count"], body["routed"], body["bad"]) == (5, 3, 2)
    res = body["results"]
    assert [r["index"] for r in res] == [0, 1, 2, 3, 4] and res[0]["id"] == "a"
    assert res[0]["responsible"]["unit_name"] == "离石区教育局"
    assert res[1]["errors"] == [{"field": "lon", "message": "'east' is not a number"}]
    assert res[2]["matched"]["name"] == "滨河小区" and res[2]["point"]["crs"] == "gcj02"
    assert res[3]["errors"][0]["field"] == "points"
    assert res[4]["responsible"]["unit_name"] == "离石区卫健局"  # its own observed day
    one = client.get(f"/api/v1/snap?lon={lon}&lat={lat}&observed_at={DAY}").get_json()
    assert {k: v for k, v in res[0].items() if k not in ("index", "id")} == one
    # an unknown category is refused as POST /api/v1/reports refuses it: a 400 naming the field, in Chinese too
    unknown = client.get(f"/api/v1/snap?lon={lon}&lat={lat}&category=9999")
    report = client.post("/api/v1/reports", json={"lon": lon, "lat": lat, "category": "9999", "description": "x"})
    assert unknown.status_code == report.status_code == 400
    assert unknown.get_json()["error"] == report.get_json()["error"]
    assert "'category'" in unknown.get_json()["error"] and "没有类别“9999”" in unknown.get_json()["message"]
    mixed = client.post("/api/v1/snap", json={"points": [{"lon": lon, "lat": lat, "category": c} for c in
                                                         ("9999", "0102", "")]}).get_json()  # fmt: skip
    assert (mixed["routed"], mixed["bad"]) == (2, 1) and mixed["results"][0]["errors"][0]["field"] == "category"
    assert client.post("/api/v1/snap", json={"pts": []}).status_code == 400
    assert client.post("/api/v1/snap", data="nonsense").status_code == 400
    big = client.post("/api/v1/snap", json={"points": [{"lon": lon, "lat": lat}] * 10_001})
    assert big.status_code == 400 and "at most 10000" in big.get_json()["error"]


# ------------------------------------------------------------------------------------------------ CLI


def test_snap_cli_routes_good_rows_and_lists_bad_ones(
    settings: Settings, engine: Engine, session: Session, city: SmallCity, tmp_path: Path
) -> None:
    session.commit()
    rows = [
        ("编号", "经度", "纬度", "时间", "类别"),
        ("r1", *city.point(-50, -40), "2025-06-01 09:00", "0102"),
        ("r2", "abc", "37.5", "2025-06-01", "0102"),
        ("r3", *city.point(60, -40), "", "0102"),
        ("r4", "37.52", "111.14", "2025-06-01", ""),
        ("r5", "1", "2", "3", "4", "5"),
        ("r6", *city.point(10, -200), "2025-06-01", "BJ0101"),
    ]
    src = tmp_path / "reports.csv"
    with src.open("w", encoding="gb18030", newline="") as fh:  # as Chinese Excel saves it
        csv.writer(fh).writerows(rows)
    out, errs = tmp_path / "routed.csv", tmp_path / "bad_rows.csv"
    args = ["--database-url", settings.database_url, "snap", str(src), "-o", str(out), "--errors", str(errs)]
    args += ["--lon-col", "经度", "--lat-col", "纬度", "--time-col", "时间", "--category-col", "类别"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert "6 rows: 3 routed, 3 bad" in res.output and "points/s" in res.output
    with out.open(encoding="utf-8-sig") as fh:
        routed = list(csv.DictReader(fh))
    assert [r["编号"] for r in routed] == ["r1", "r3", "r6"]
    assert routed[0]["unit_name"] == "离石区教育局" and routed[0]["rule"] == "compound"
    assert routed[0]["matched_id"] == str(city.ids["K1"]) and routed[0]["row"] == "2"
    assert routed[1]["matched_name"] == "小巷" and routed[1]["distance_m"] == "10.0"
    assert routed[2]["rule"] == "default" and routed[2]["community"] == "社区三"
    with errs.open(encoding="utf-8-sig") as fh:
        bad = list(csv.DictReader(fh))
    assert [(b["row"], b["field"]) for b in bad] == [("3", "经度"), ("5", "纬度"), ("6", "-")]
    assert "swapped" in bad[1]["message"] and "expected 5 fields" in bad[2]["message"]

    missing = CliRunner().invoke(main, ["--database-url", settings.database_url, "snap", str(src), "-o", str(out)])
    assert missing.exit_code != 0 and "'lon'" in missing.output
