"""Components 部件: the inventory import (points with a class and an owner 权属单位) and routing a component report
to the owner of the nearest component of its class, on both databases."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmap.catalogue.categories import seed
from gridmap.cli import main
from gridmap.config import RoutingConfig, Settings
from gridmap.errors import InvalidInput
from gridmap.imports.layer_import import import_file
from gridmap.routing import RoutingResult, route_point, route_points
from gridmap.store.models import Component, Unit
from tests.accounts import TESTER
from tests.routing_city import SmallCity, build_small_city, to_lonlat


@pytest.fixture
def city(session: Session) -> SmallCity:
    c = build_small_city(session)
    for key, name, code in (("water", "自来水公司", "U-WATER"), ("light", "路灯管理所", "U-LIGHT")):
        u = Unit(name=name, kind="enterprise", code=code)
        session.add(u)
        session.flush()
        c.ids[key] = u.id
    return c


def _write(tmp_path: Path, features: list[tuple[float, float, dict[str, object]]], name: str = "parts.geojson") -> Path:
    """A GeoJSON file of component points given in the small city's metres."""
    feats = []
    for x, y, props in features:
        lon, lat = to_lonlat(x, y)
        feats.append({"type": "Feature", "properties": props,
                      "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]}})  # fmt: skip
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False), "utf-8")
    return path


def _import(session: Session, path: Path) -> int:
    return import_file(session, path, "components", actor=TESTER).created


def test_import_components_matches_owner_by_code_or_name(session: Session, city: SmallCity, tmp_path: Path) -> None:
    path = _write(tmp_path, [
        (-40, 5, {"code": "JG-1", "class_code": "0101", "name": "上水井盖", "owner": "自来水公司"}),
        (-40, 8, {"code": "LD-1", "class_code": "BJ0104", "name": "路灯", "owner": "U-LIGHT"}),
        (60, 5, {"code": "JG-2", "class_code": "0101", "owner": None}),
    ])  # fmt: skip
    assert _import(session, path) == 3
    rows = {c: (k, o) for c, k, o in session.execute(select(Component.code, Component.class_code,
                                                              Component.owner_unit_id))}  # fmt: skip
    assert rows == {"JG-1": ("0101", city.ids["water"]), "LD-1": ("0104", city.ids["light"]), "JG-2": ("0101", None)}


def test_bad_component_file_is_refused_whole_with_feature_numbers(
    session: Session, city: SmallCity, tmp_path: Path
) -> None:
    path = _write(tmp_path, [
        (-40, 5, {"code": "JG-1", "class_code": "0101", "owner": "自来水公司"}),
        (-40, 8, {"code": "JG-2", "class_code": "井盖", "owner": "自来水公司"}),
        (-40, 9, {"code": "JG-3", "class_code": "0101", "owner": "煤气公司"}),
    ])  # fmt: skip
    with pytest.raises(InvalidInput) as exc:
        _import(session, path)
    problems = {(p.feature, p.field) for p in exc.value.problems}
    assert problems == {(2, "class_code"), (3, "owner")}
    assert "煤气公司" in str(exc.value) and "names no unit" in str(exc.value)
    assert exc.value.zh is not None and "第 3 项" in exc.value.zh and "权属单位“煤气公司”不存在" in exc.value.zh
    assert "第 2 项" in exc.value.zh and "不是部件小类代码" in exc.value.zh
    assert session.scalar(select(func.count()).select_from(Component)) == 0


# -- routing ---------------------------------------------------------------------------------------------------

DAY = "2026-06-01T10:00:00"


@pytest.fixture
def parts(session: Session, city: SmallCity, tmp_path: Path) -> SmallCity:
    """A manhole cover (owner 自来水公司) 5 m north of 滨河路 (the road's unit: 离石区住建局), a street lamp
    (路灯管理所) 8 m north of it, and a manhole cover without an owner at x = 60."""
    seed(session)  # the component classes' names (BJ0101 井盖)
    _import(session, _write(tmp_path, [
        (-40, 5, {"code": "0101-0007", "class_code": "0101", "owner": "自来水公司"}),
        (-40, 8, {"code": "0104-0001", "class_code": "0104", "owner": "路灯管理所"}),
        (60, 5, {"code": "0101-0008", "class_code": "0101"}),
    ]))  # fmt: skip
    session.flush()
    return city


def _both(session: Session, city: SmallCity, x: float, y: float, category: str, **kw: object) -> RoutingResult:
    """The one-off answer, after checking the bulk path gives the same one."""
    lon, lat = city.point(x, y)
    one = route_point(session, lon, lat, category=category, observed_at=DAY, **kw)  # type: ignore[arg-type]
    bulk = route_points(session, [lon], [lat], categories=[category], observed_at=[DAY], **kw).result(0)  # type: ignore[arg-type]
    assert bulk is not None and bulk.to_dict() == one.to_dict()
    return one


def test_component_report_goes_to_the_owner_of_the_nearest_component(session: Session, parts: SmallCity) -> None:
    r = _both(session, parts, -40, 2, "BJ0101")
    assert r.rule == "component" and r.responsible == (parts.ids["water"], "自来水公司")
    assert r.matched is not None and r.matched.kind == "component" and r.distance_m == 3.0
    assert r.explanation == "距井盖（部件 0101-0007）3 米，权属单位：自来水公司"
    lamp = _both(session, parts, -41, 5.2, "BJ0104")
    assert lamp.responsible == (parts.ids["light"], "路灯管理所")
    assert lamp.explanation.startswith("距路灯（部件 0101-0001）".replace("0101", "0104"))


def test_component_beyond_the_distance_falls_back_to_todays_rules(session: Session, parts: SmallCity) -> None:
    r = _both(session, parts, -40, 20, "BJ0101")  # 15 m from the cover, 20 m from 滨河路
    assert r.rule == "segment" and r.responsible == (parts.ids["roads"], "离石区住建局")
    assert "权属单位" not in r.explanation
    wider = _both(session, parts, -40, 20, "BJ0101", config=RoutingConfig(component_m=20))
    assert wider.rule == "component" and wider.responsible == (parts.ids["water"], "自来水公司")


def test_wrong_class_or_ownerless_component_is_ignored(session: Session, parts: SmallCity) -> None:
    grate = _both(session, parts, -40, 7, "BJ0102")  # 雨水箅子: the cover and the lamp are of other classes
    assert grate.rule == "segment" and grate.responsible == (parts.ids["roads"], "离石区住建局")
    event = _both(session, parts, -40, 5, "0101")  # an event category (私搭乱建), not a component
    assert event.rule == "segment"
    ownerless = _both(session, parts, 60, 4, "BJ0101")  # 1 m from the cover at x = 60, which has no owner
    assert ownerless.rule == "segment" and ownerless.responsible == (parts.ids["roads"], "离石区住建局")


def test_bulk_and_one_off_agree_on_a_mixed_batch(session: Session, parts: SmallCity) -> None:
    xs = np.array([-40, -40, -40, -41, 60, -40, -45, -33])
    ys = np.array([2, 20, 7, 5.2, 4, 5, 12, 2])
    cats = ["BJ0101", "BJ0101", "BJ0102", "BJ0104", "BJ0101", "0101", "BJ0101", "BJ0104"]
    lon, lat = to_lonlat(xs, ys)
    batch = route_points(session, lon, lat, categories=cats, observed_at=[DAY] * len(xs))
    rules = []
    for i in range(len(xs)):
        one = route_point(session, float(lon[i]), float(lat[i]), category=cats[i], observed_at=DAY)
        res = batch.result(i)
        assert res is not None and res.to_dict() == one.to_dict(), i
        rules.append(one.rule)
    assert rules == ["component", "segment", "segment", "component", "segment", "segment", "component", "component"]


def test_cli_import_and_the_bulk_router_sees_new_components(
    session: Session, city: SmallCity, settings: Settings, tmp_path: Path
) -> None:
    """``gridmap import components FILE`` commits; the bulk router's cached layers are refreshed by the change
    counter (a write to components from another process)."""
    session.commit()
    lon, lat = city.point(-40, 2)
    before = route_points(session, [lon], [lat], categories=["BJ0101"], observed_at=[DAY]).result(0)
    assert before is not None and before.rule == "segment"
    session.commit()
    path = _write(tmp_path, [(-40, 5, {"code": "0101-0007", "class_code": "0101", "owner": "U-WATER"})])
    result = CliRunner().invoke(main, ["--database-url", settings.database_url, "import", "components", str(path)])
    assert result.exit_code == 0, result.output
    assert "components from parts.geojson: 1 created" in result.output
    after = route_points(session, [lon], [lat], categories=["BJ0101"], observed_at=[DAY]).result(0)
    assert after is not None and after.rule == "component" and after.responsible == (city.ids["water"], "自来水公司")


def test_a_csv_with_wkt_is_refused_with_every_bad_row_in_both_languages(
    session: Session, city: SmallCity, tmp_path: Path
) -> None:
    """A CSV export (WKT column) with a broken geometry, a blank class and an unknown owner: all three rows named,
    in English and Chinese, nothing stored; fixed, the same file imports."""
    lon, lat = city.point(-40, 5)
    path = tmp_path / "部件普查.csv"
    path.write_text(
        "code,class_code,owner,wkt\n"
        f"JG-1,0101,自来水公司,POINT({lon} {lat})\n"
        f"JG-2,,自来水公司,POINT({lon} {lat})\n"
        "JG-3,0101,U-WATER,POINT(111.1 abc)\n"
        f"LD-1,0104,燃气公司,POINT({lon} {lat})\n",
        "utf-8",
    )
    with pytest.raises(InvalidInput) as exc:
        _import(session, path)
    assert {(p.feature, p.field) for p in exc.value.problems} == {(2, "class_code"), (3, "wkt"), (4, "owner")}
    assert "部件普查.csv" in str(exc.value) and "feature 3" in str(exc.value)
    assert exc.value.zh is not None and "第 4 项" in exc.value.zh and "燃气公司" in exc.value.zh
    assert session.scalar(select(func.count()).select_from(Component)) == 0
    path.write_text(f"code,class_code,owner,wkt\nJG-1,0101,自来水公司,POINT({lon} {lat})\n", "utf-8")
    assert _import(session, path) == 1


def test_reimport_updates_by_code_and_a_geopackage_reads_too(session: Session, city: SmallCity, tmp_path: Path) -> None:
    """A component's code is its key: a second survey moves it and changes its owner rather than adding it twice."""
    import geopandas as gpd
    import shapely

    lon, lat = city.point(-40, 5)
    first = gpd.GeoDataFrame({"code": ["JG-1"], "class_code": ["0101"], "owner": ["U-WATER"]},
                             geometry=[shapely.Point(lon, lat)], crs=4326)  # fmt: skip
    first.to_file(tmp_path / "a.gpkg", driver="GPKG")
    assert _import(session, tmp_path / "a.gpkg") == 1
    lon2, lat2 = city.point(-30, 5)
    second = first.assign(owner=["路灯管理所"]).set_geometry([shapely.Point(lon2, lat2)])
    second.to_file(tmp_path / "b.gpkg", driver="GPKG")
    summary = import_file(session, tmp_path / "b.gpkg", "components", actor=TESTER)
    assert (summary.created, summary.updated) == (0, 1)
    assert session.scalar(select(Component.owner_unit_id).where(Component.code == "JG-1")) == city.ids["light"]


def test_a_bulk_import_keeps_the_spatial_index_whole_and_mixes_updates_with_new_points(
    session: Session, city: SmallCity, tmp_path: Path
) -> None:
    """The bulk pass sets SpatiaLite's per-row triggers aside and packs its R*Tree once: every point is found
    again through the spatial index (a box query as the map's uses it), after a first import and after a second
    one that moves a stored point and adds new ones."""
    import geopandas as gpd
    import shapely

    from gridmap.store.dialect import dialect_of

    def survey(n: int, dx: float) -> Path:
        pts = [shapely.Point(*city.point(-50 + 2 * i + dx, 5 + i % 7)) for i in range(n)]
        frame = gpd.GeoDataFrame({"code": [f"P-{i}" for i in range(n)], "class_code": ["0101"] * n,
                                  "owner": ["U-WATER"] * n}, geometry=pts, crs=4326)  # fmt: skip
        path = tmp_path / f"survey-{n}.gpkg"
        frame.to_file(path, driver="GPKG")
        return path

    def found_in_box() -> int:
        dialect = dialect_of(session)
        x0, y0, x1, y1 = shapely.total_bounds(
            shapely.from_wkb([bytes(b) for b in session.scalars(select(func.ST_AsBinary(Component.geom)))])
        )
        sql = f"SELECT count(*) FROM components c WHERE {dialect.box_sql('c', 'components')}"
        return session.connection().exec_driver_sql(sql, dialect.box_params((x0, y0, x1, y1))).scalar()

    assert import_file(session, survey(40, 0), "components", actor=TESTER).created == 40
    session.flush()
    assert found_in_box() == 40
    summary = import_file(session, survey(60, 0.5), "components", actor=TESTER)
    assert (summary.created, summary.updated) == (20, 40)
    assert found_in_box() == session.scalar(select(func.count()).select_from(Component)) == 60
    if session.get_bind().dialect.name == "sqlite":
        assert session.connection().exec_driver_sql("SELECT CheckSpatialIndex('components', 'geom')").scalar() == 1


# -- the map layer: OGC API – Features and vector tiles -----------------------------------------------------------


@pytest.fixture
def served(session: Session, parts: SmallCity, settings: Settings):
    """The small city with its three components, committed, and a viewer's client on it."""
    from gridmap.web import create_app
    from gridmap.web.state import app_state
    from tests.accounts import client_as

    session.commit()
    app = create_app(settings)
    yield client_as(app, "viewer"), parts
    app_state(app).engine.dispose()


def test_the_components_collection_names_class_code_and_owner(served) -> None:
    client, city = served
    doc = client.get("/ogc/collections/components").get_json()
    assert doc["title"] == "部件" and any(link["rel"].endswith("tilesets-vector") for link in doc["links"])
    body = client.get("/ogc/collections/components/items").get_json()
    assert body["numberMatched"] == 3
    props = {f["properties"]["code"]: f["properties"] for f in body["features"]}
    assert props["0101-0007"]["class_name"] == "井盖" and props["0101-0007"]["class_code"] == "0101"
    assert (props["0101-0007"]["unit_id"], props["0101-0007"]["unit_name"]) == (city.ids["water"], "自来水公司")
    assert props["0104-0001"]["unit_name"] == "路灯管理所"
    assert props["0101-0008"]["unit_id"] is None and props["0101-0008"]["unit_name"] is None
    fid = next(f["id"] for f in body["features"] if f["properties"]["code"] == "0101-0007")
    one = client.get(f"/ogc/collections/components/items/{fid}").get_json()
    assert one["geometry"]["type"] == "Point" and one["properties"]["unit_name"] == "自来水公司"
    lon, lat = city.point(-40, 5)
    assert one["geometry"]["coordinates"] == pytest.approx([lon, lat], abs=1e-6)
    far = client.get("/ogc/collections/components/items?bbox=111.5,37.9,111.6,38.0").get_json()
    assert far["numberReturned"] == 0


def test_component_tiles_start_at_street_level_and_carry_the_owner(served) -> None:
    from gridmap.tiles.layers import TILE_LAYERS
    from gridmap.tiles.quad import tile_of
    from tests.mvt import decode

    client, city = served
    z = TILE_LAYERS["components"].min_zoom
    assert z == 16  # drawn by the map from its zoom 17 (a z tile is drawn at map zoom z + 1)
    lon, lat = city.point(-40, 5)
    x, y = tile_of(lon, lat, z)
    resp = client.get(f"/ogc/collections/components/tiles/WebMercatorQuad/{z}/{y}/{x}")
    assert resp.status_code == 200
    feats = {f.props["code"]: f for f in decode(resp.data)["components"]}
    assert {f.type for f in feats.values()} == {1}  # points
    cover = feats["0101-0007"].props
    assert (cover["name"], cover["kind"], cover["unit_name"]) == ("井盖", "0101", "自来水公司")
    lon8, lat8 = city.point(60, 5)
    x8, y8 = tile_of(lon8, lat8, z)
    other = decode(client.get(f"/ogc/collections/components/tiles/WebMercatorQuad/{z}/{y8}/{x8}").data)
    ownerless = next(f for f in other["components"] if f.props["code"] == "0101-0008")
    assert "unit_id" not in ownerless.props  # no owner: the attribute is left out
    x, y = tile_of(lon, lat, z - 1)
    below = client.get(f"/ogc/collections/components/tiles/WebMercatorQuad/{z - 1}/{y}/{x}")
    assert below.status_code == 200 and below.data == b""


def test_an_empty_database_has_an_empty_components_layer(session: Session, settings: Settings) -> None:
    """No component yet: the collection, its items and its tiles answer, empty (no 5xx); a component report is
    routed by today's rules."""
    from gridmap.web import create_app
    from gridmap.web.state import app_state
    from tests.accounts import client_as

    app = create_app(settings)
    client = client_as(app, "viewer")
    try:
        doc = client.get("/ogc/collections/components").get_json()
        assert "extent" not in doc
        body = client.get("/ogc/collections/components/items").get_json()
        assert body["numberMatched"] == 0 and body["features"] == []
        tile = client.get("/ogc/collections/components/tiles/WebMercatorQuad/16/24800/53000")
        assert tile.status_code == 200 and tile.data == b""
        assert client.get("/map").status_code in (200, 302)
    finally:
        app_state(app).engine.dispose()
    r = route_point(session, 111.14, 37.52, category="BJ0101", observed_at=DAY)
    assert r.rule != "component"


def test_a_scoped_reader_sees_the_components_of_their_area_only(session: Session, parts: SmallCity, settings) -> None:
    """A 二街道 viewer reads only the cover at x = 60 (the others lie in 一街道's 社区二)."""
    from gridmap.web import create_app
    from gridmap.web.state import app_state
    from tests.accounts import client_as

    session.commit()
    app = create_app(settings)
    try:
        scoped = client_as(app, "viewer", scope="141102002")
        body = scoped.get("/ogc/collections/components/items").get_json()
        assert [f["properties"]["code"] for f in body["features"]] == ["0101-0008"]
    finally:
        app_state(app).engine.dispose()
