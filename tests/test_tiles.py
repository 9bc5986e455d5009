"""Vector tiles (OGC API – Tiles, MVT) of the map layers, on SpatiaLite and PostGIS with the demo city: what the
tiles hold (decoded), the responsible unit as of a day, minimum zooms, TileJSON, ETag/304, gzip, bad z/y/x."""

from __future__ import annotations

import datetime as dt
import gzip

import pytest
import shapely
from geoalchemy2.elements import WKTElement
from sqlalchemy import select, update

from gridmap.catalogue.categories import seed
from gridmap.config import Settings
from gridmap.store.dialect import wkb
from gridmap.store.models import Area, Case, Segment, Unit
from gridmap.tiles.quad import tile_of
from gridmap.web import create_app
from gridmap.web.state import app_state
from tests.accounts import client_as
from tests.mvt import decode, ring_area

pytestmark = pytest.mark.demo_city
CENTRE = (111.14, 37.53)  # the demo city's centre (离石区)


@pytest.fixture
def demo(settings: Settings, session):
    app = create_app(settings)
    yield app, client_as(app, "viewer"), session
    app_state(app).engine.dispose()


def _url(cid: str, z: int, lon: float = CENTRE[0], lat: float = CENTRE[1], query: str = "") -> tuple[str, int, int]:
    x, y = tile_of(lon, lat, z)
    return f"/ogc/collections/{cid}/tiles/WebMercatorQuad/{z}/{y}/{x}{query}", x, y


def test_a_segment_tile_carries_ids_names_and_the_responsible_unit_as_the_features_api_says(demo) -> None:
    _, client, session = demo
    url, x, y = _url("segments", 14)
    resp = client.get(url)
    assert resp.status_code == 200 and resp.content_type == "application/vnd.mapbox-vector-tile"
    feats = decode(resp.data)["segments"]
    assert len(feats) > 50
    assert {f.type for f in feats} == {2}
    assert all(f.id == f.props["id"] for f in feats)
    assert {"name", "kind", "responsibility"} <= set().union(*(f.props for f in feats))
    assert {f.props["responsibility"] for f in feats} <= {"assigned", "ending", "unassigned"}
    assert any("unit_name" in f.props for f in feats)
    # the same unit as the features API gives for those segments, and the shape where the database has it
    for f in feats[:15]:
        item = client.get(f"/ogc/collections/segments/items/{f.id}").get_json()["properties"]
        assert f.props.get("unit_id") == item["unit_id"] and f.props.get("unit_name") == item["unit_name"]
        assert f.props["responsibility"] == item["responsibility"]
        line = session.scalar(select(wkb(Segment.geom)).where(Segment.id == f.id))
        drawn = shapely.LineString(f.lonlat(14, x, y)[0])
        assert shapely.from_wkb(bytes(line)).buffer(0.0002).contains(drawn.intersection(drawn.envelope))
    # a day before anyone was responsible: every segment unassigned, no unit
    past = decode(client.get(url + "?at=2000-01-01").data)["segments"]
    assert {f.props["responsibility"] for f in past} == {"unassigned"}
    assert not any("unit_id" in f.props for f in past)


def test_polygon_tiles_are_wound_as_mvt_says_and_areas_name_their_unit(demo) -> None:
    _, client, session = demo
    for cid in ("grids", "compounds"):
        feats = decode(client.get(_url(cid, 15)[0]).data)[cid]
        assert feats and {f.type for f in feats} == {3}
        assert all(ring_area(f.parts[0]) > 0 for f in feats), "an exterior ring has a positive area"
    communities = decode(client.get(_url("communities", 12)[0]).data)["communities"]
    names = set(session.scalars(select(Area.name).where(Area.level == "community")))
    assert len(communities) > 20 and {f.props["name"] for f in communities} <= names
    assert {f.props["kind"] for f in communities} == {"community"}
    _add_case(session, *CENTRE, overdue=True)
    cases = decode(client.get(_url("cases", 13)[0]).data)["cases"]
    assert [(f.type, f.props["status"], f.props["kind"], f.props["overdue"]) for f in cases] == [
        (1, "dispatched", "0102", True)]  # fmt: skip


def _add_case(session, lon: float, lat: float, *, overdue: bool) -> int:
    now = dt.datetime.now(dt.UTC)
    deadline = now + dt.timedelta(hours=-2 if overdue else 2)
    seed(session)
    case = Case(
        source="patrol", category="0102", urgency="normal", lon=lon, lat=lat,
        geom=WKTElement(f"POINT({lon} {lat})", srid=4326), observed_at=now, created_at=now, updated_at=now,
        status="dispatched", deadline_at=deadline, description="暴露垃圾",
    )  # fmt: skip
    session.add(case)
    session.commit()
    return case.id


def test_below_a_layers_minimum_zoom_the_tile_is_empty(demo) -> None:
    _, client, _ = demo
    for cid, z in (("segments", 12), ("grids", 13), ("compounds", 11)):
        resp = client.get(_url(cid, z)[0])
        assert resp.status_code == 200 and resp.data == b""
    assert decode(client.get(_url("segments", 13)[0]).data)["segments"]


def test_tilejson_and_the_tileset_list_point_at_the_tiles(demo) -> None:
    _, client, _ = demo
    tj = client.get("/ogc/collections/segments/tiles/WebMercatorQuad?at=2026-03-01").get_json()
    assert tj["tilejson"] == "3.0.0" and tj["minzoom"] == 13
    assert tj["tiles"][0].endswith("/ogc/collections/segments/tiles/WebMercatorQuad/{z}/{y}/{x}?at=2026-03-01")
    assert tj["vector_layers"][0]["id"] == "segments" and "unit_name" in tj["vector_layers"][0]["fields"]
    assert tj["tileMatrixSetURI"].endswith("/WebMercatorQuad") and tj["dataType"] == "vector"
    b = tj["bounds"]
    assert 110 < b[0] < b[2] < 112
    sets = client.get("/ogc/collections/grids/tiles").get_json()["tilesets"]
    assert [link["rel"] for link in sets[0]["links"]] == [
        "self", "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", "item"]  # fmt: skip
    doc = client.get("/ogc/collections/grids").get_json()
    assert any(link["rel"].endswith("tilesets-vector") for link in doc["links"])
    assert "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt" in client.get("/ogc/conformance").get_json()[
        "conformsTo"]  # fmt: skip


def test_a_tile_is_revalidated_by_its_etag_until_the_layers_change(demo) -> None:
    _, client, session = demo
    url = _url("segments", 15)[0]
    first = client.get(url)
    etag = first.headers["ETag"]
    assert etag.startswith('W/"') and "no-cache" in first.headers["Cache-Control"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert client.get(url + "?at=2026-01-05", headers={"If-None-Match": etag}).status_code == 200
    unit_id = decode(first.data)["segments"][0].props.get("unit_id") or session.scalar(select(Unit.id))
    session.execute(update(Unit).where(Unit.id == unit_id).values(name="改了名的单位"))
    session.commit()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    # cases change without the layers' counter: their ETag is the tile's content
    case_url = _url("cases", 13)[0]
    c = client.get(case_url)
    assert client.get(case_url, headers={"If-None-Match": c.headers["ETag"]}).status_code == 304


def test_tiles_are_gzipped_when_the_client_accepts_it(demo) -> None:
    _, client, _ = demo
    url = _url("grids", 14)[0]
    plain = client.get(url)
    zipped = client.get(url, headers={"Accept-Encoding": "gzip, br"})
    assert zipped.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.data) == plain.data and len(zipped.data) < len(plain.data) * 0.8


def test_a_scoped_reader_gets_only_their_communitys_tiles(demo) -> None:
    app, client, session = demo
    code, name = session.execute(
        select(Area.code, Area.name).where(Area.level == "community").order_by(Area.id)
    ).first()
    url = _url("communities", 11)[0]
    scoped = client_as(app, "grid_worker", scope=code)
    names = {f.props["name"] for f in decode(scoped.get(url).data)["communities"]}
    assert names == {name}
    assert len(decode(client.get(url).data)["communities"]) > 20


@pytest.mark.parametrize(
    ("path", "status", "zh"),
    [
        ("segments/tiles/WebMercatorQuad/14/abc/3", 400, "瓦片坐标 y 应为整数"),
        ("segments/tiles/WebMercatorQuad/23/0/0", 400, "缩放级别 z=23 超出范围"),
        ("segments/tiles/WebMercatorQuad/2/0/4", 400, "瓦片列号 x=4 超出范围"),
        ("segments/tiles/WebMercatorQuad/-1/0/0", 400, "超出范围"),
        ("segments/tiles/WebMercatorQuad/14/1/1?at=yesterday", 400, "at"),
        ("segments/tiles/WorldCRS84Quad/1/0/0", 404, "没有瓦片矩阵集"),
        ("streets/tiles/WebMercatorQuad/14/1/1", 404, "不提供矢量瓦片"),
        ("nowhere/tiles", 404, None),
    ],
)
def test_bad_tile_requests_are_refused_with_a_reason(demo, path: str, status: int, zh: str | None) -> None:
    _, client, _ = demo
    resp = client.get(f"/ogc/collections/{path}", headers={"Accept-Language": "zh-CN"})
    assert resp.status_code == status
    if zh:
        assert zh in resp.get_data(as_text=True)


def test_gdal_reads_a_tile_as_qgis_would(demo, tmp_path) -> None:
    """GDAL's MVT driver (bundled by pyogrio, the reader under QGIS) reads a served tile: layer, CRS, ids, fields."""
    import pyogrio

    _, client, _ = demo
    url, x, y = _url("grids", 14)
    path = tmp_path / "14" / str(x) / f"{y}.pbf"  # the driver takes z/x/y from the path
    path.parent.mkdir(parents=True)
    path.write_bytes(client.get(url).data)
    assert [tuple(layer) for layer in pyogrio.list_layers(str(path))] == [("grids", "Polygon")]
    df = pyogrio.read_dataframe(str(path), layer="grids")
    assert df.crs.to_epsg() == 3857 and len(df) > 100
    assert (df["mvt_id"] == df["id"]).all()
    assert {"name", "kind", "responsibility"} <= set(df.columns)
    assert set(df["responsibility"]) <= {"assigned", "ending", "unassigned"}


def test_a_kept_tile_is_served_again_until_an_edit_moves_the_counter() -> None:
    from gridmap.tiles.cache import TileCache

    cache = TileCache(max_bytes=10)
    calls: list[str] = []

    def render(b: bytes):
        return lambda: calls.append(b.decode()) or b

    assert cache.get_or_render(("db", "segments-1-…", 14, 1, 2), render(b"abc")) == b"abc"
    assert cache.get_or_render(("db", "segments-1-…", 14, 1, 2), render(b"xyz")) == b"abc"  # kept
    assert cache.get_or_render(("db", "segments-2-…", 14, 1, 2), render(b"new")) == b"new"  # the counter moved
    assert cache.get_or_render(None, render(b"case")) == b"case" and len(cache) == 2  # no tag: never kept
    cache.get_or_render("big", render(b"0123456"))  # 13 bytes in all, over 10: the least recently used goes
    assert len(cache) == 2 and calls == ["abc", "new", "case", "0123456"]
    assert cache.get_or_render(("db", "segments-1-…", 14, 1, 2), render(b"again")) == b"again"
