"""OGC API – Features layers, the map's JSON (search, feature popups, history, unit) and the map pages' HTML —
on SpatiaLite and PostGIS, with the demo city."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from geoalchemy2.elements import WKTElement
from sqlalchemy import func, select

from gridmap.catalogue.categories import seed
from gridmap.config import Settings
from gridmap.maps.layers import tolerance_deg
from gridmap.store.models import Area, Assignment, Case, Compound, Grid, Segment, Unit
from gridmap.web import create_app
from gridmap.web.state import app_state
from tests.accounts import client_as

pytestmark = pytest.mark.demo_city


@pytest.fixture
def demo(settings: Settings, session):
    """A test client and a session on the test's own copy of the demo city (the module's ``demo_city`` mark)."""
    app = create_app(settings)
    yield client_as(app, "viewer"), session
    app_state(app).engine.dispose()


def _add_case(session, *, unit_id, kind, target_id, lon, lat, status="dispatched", deadline=None) -> int:
    now = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    case = Case(
        source="patrol", category="0102", urgency="normal", lon=lon, lat=lat,
        geom=WKTElement(f"POINT({lon} {lat})", srid=4326), observed_at=now, created_at=now, updated_at=now,
        status=status, unit_id=unit_id, matched_kind=kind, matched_id=target_id, deadline_at=deadline,
        description="暴露垃圾",
    )  # fmt: skip
    session.add(case)
    session.flush()
    return case.id


def test_landing_conformance_collections(demo) -> None:
    client, _ = demo
    landing = client.get("/ogc").get_json()
    rels = {link["rel"] for link in landing["links"]}
    assert {"self", "conformance", "data"} <= rels
    conf = client.get("/ogc/conformance").get_json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conf
    colls = client.get("/ogc/collections").get_json()["collections"]
    ids = [c["id"] for c in colls]
    assert ids == ["segments", "compounds", "grids", "communities", "streets", "places", "components", "cases"]
    seg = next(c for c in colls if c["id"] == "segments")
    minx, miny, maxx, maxy = seg["extent"]["spatial"]["bbox"][0]
    assert 110 < minx < maxx < 112 and 37 < miny < maxy < 38
    assert client.get("/ogc/collections/grids").get_json()["title"] == "单元网格"
    assert client.get("/ogc/collections/grids?lang=en").get_json()["title"] == "Unit grids"


def test_items_counts_paging_and_responsibility(demo) -> None:
    client, session = demo
    counts = {
        "segments": session.scalar(select(func.count(Segment.id))),
        "compounds": session.scalar(select(func.count(Compound.id))),
        "grids": session.scalar(select(func.count(Grid.id)).where(Grid.valid_to.is_(None))),
        "communities": session.scalar(select(func.count(Area.id)).where(Area.level == "community")),
        "streets": session.scalar(select(func.count(Area.id)).where(Area.level == "street")),
    }
    for cid, n in counts.items():
        body = client.get(f"/ogc/collections/{cid}/items?limit=5").get_json()
        assert body["type"] == "FeatureCollection"
        assert "numberMatched" not in body, "a page of many: no count per page"
        assert body["numberReturned"] == 5
        assert {link["rel"] for link in body["links"]} == {"self", "next"}
        whole = client.get(f"/ogc/collections/{cid}/items?limit=10000").get_json()
        assert whole["numberMatched"] == whole["numberReturned"] == n, cid  # one page: the total is known
        assert [link["rel"] for link in whole["links"]] == ["self"]
    # Walk the pages of segments by their next links (a keyset cursor, no offset): every id once.
    seen: list[int] = []
    url = "/ogc/collections/segments/items?limit=1000"
    pages = 0
    while url:
        r = client.get(url)
        assert r.headers["Content-Type"].startswith("application/geo+json")
        body = r.get_json()
        seen += [f["id"] for f in body["features"]]
        nxt = [link["href"] for link in body["links"] if link["rel"] == "next"]
        if nxt:
            assert f"cursor={body['features'][-1]['id']}" in nxt[0] and "offset" not in nxt[0]
        url = nxt[0].replace("http://localhost", "") if nxt else None
        pages += 1
    assert sorted(seen) == sorted(session.scalars(select(Segment.id)))
    assert pages == -(-counts["segments"] // 1000)
    # limit is capped at 10000
    self_link = client.get("/ogc/collections/streets/items?limit=99999").get_json()["links"][0]["href"]
    assert "limit=10000" in self_link
    # responsibility properties agree with the assignments table
    feats = client.get("/ogc/collections/segments/items?limit=10000").get_json()["features"]
    assigned = {f["id"]: f["properties"]["unit_id"] for f in feats if f["properties"]["unit_id"] is not None}
    today = dt.date.today()
    truth = dict(
        session.execute(
            select(Assignment.target_id, Assignment.unit_id).where(
                Assignment.target_kind == "segment",
                Assignment.role == "responsible",
                Assignment.valid_from <= today,
                (Assignment.valid_to.is_(None)) | (Assignment.valid_to > today),
            )
        ).all()
    )
    assert assigned == truth
    states = {f["properties"]["responsibility"] for f in feats}
    assert states <= {"assigned", "unassigned", "ending"} and "unassigned" in states
    for f in feats[:50]:
        p = f["properties"]
        assert (p["unit_id"] is None) == (p["responsibility"] == "unassigned")
        if p["unit_id"]:
            assert p["unit_name"]


def test_bbox_at_zoom_and_single_items(demo) -> None:
    client, session = demo
    bbox = (111.13, 37.52, 111.15, 37.535)
    body = client.get("/ogc/collections/segments/items?bbox=" + ",".join(map(str, bbox))).get_json()
    total = session.scalar(select(func.count(Segment.id)))
    assert 0 < body["numberMatched"] == body["numberReturned"] < total
    for f in body["features"]:
        xs = [c[0] for c in f["geometry"]["coordinates"]]
        ys = [c[1] for c in f["geometry"]["coordinates"]]
        assert min(xs) <= bbox[2] and max(xs) >= bbox[0] and min(ys) <= bbox[3] and max(ys) >= bbox[1]
    # zoom simplifies: fewer vertices, rounded coordinates
    full = client.get("/ogc/collections/grids/items?limit=300").get_json()["features"]
    coarse = client.get("/ogc/collections/grids/items?limit=300&zoom=11").get_json()["features"]

    def nverts(fs):
        def n(c):
            return 1 if isinstance(c[0], float) else sum(n(x) for x in c)

        return sum(n(f["geometry"]["coordinates"]) for f in fs)

    assert nverts(coarse) < nverts(full)
    assert len(str(coarse[0]["geometry"]["coordinates"][0][0][0])) <= len("111.1234")
    assert tolerance_deg(11, 37.5) > tolerance_deg(15, 37.5)
    # as of a past day: the demo's segment assignments start 2024-03-01 at the earliest
    seg = client.get("/ogc/collections/segments/items?limit=1").get_json()["features"][0]
    first = session.scalar(
        select(func.min(Assignment.valid_from)).where(
            Assignment.target_kind == "segment", Assignment.target_id == seg["id"], Assignment.role == "responsible"
        )
    )
    assert first is not None
    before = (first - dt.timedelta(days=1)).isoformat()
    old = client.get(f"/ogc/collections/segments/items/{seg['id']}?at={before}").get_json()
    assert old["properties"]["unit_id"] is None and old["properties"]["responsibility"] == "unassigned"
    assert client.get(f"/ogc/collections/segments/items?limit=1&at={before}").get_json()["at"] == before
    # unit filter
    unit_id = seg["properties"]["unit_id"]
    mine = client.get(f"/ogc/collections/segments/items?unit_id={unit_id}&limit=10000").get_json()
    assert mine["numberMatched"] >= 1 and {f["properties"]["unit_id"] for f in mine["features"]} == {unit_id}
    # single items
    one = client.get(f"/ogc/collections/compounds/items/{seg['id']}").get_json()
    assert one["type"] == "Feature" and one["id"] == seg["id"]
    street = client.get("/ogc/collections/streets/items?limit=1").get_json()["features"][0]
    assert street["properties"]["name"].endswith("街道") or street["properties"]["name"]
    r = client.get("/ogc/collections/streets/items/999999")
    assert r.status_code == 404 and "999999" in r.get_json()["error"]


BAD = [
    ("/ogc/collections/roads/items", 404, "no collection 'roads'"),
    ("/ogc/collections/segments/items?bbox=111.2,37.5,111.1,37.6", 400, "inverted"),
    ("/ogc/collections/segments/items?bbox=111,37.6,111.2,37.5", 400, "inverted"),
    ("/ogc/collections/segments/items?bbox=190,37,191,38", 400, "-180..180"),
    ("/ogc/collections/segments/items?bbox=111,-95,112,38", 400, "-90..90"),
    ("/ogc/collections/segments/items?bbox=111,37,abc,38", 400, "number"),
    ("/ogc/collections/segments/items?bbox=111,37,112", 400, "four numbers"),
    ("/ogc/collections/segments/items?bbox=nan,37,112,38", 400, "finite"),
    ("/ogc/collections/segments/items?limit=0", 400, "limit"),
    ("/ogc/collections/segments/items?limit=-5", 400, "limit"),
    ("/ogc/collections/segments/items?limit=ten", 400, "whole number"),
    ("/ogc/collections/segments/items?offset=-1", 400, "offset"),
    ("/ogc/collections/segments/items?at=2026-02-30", 400, "not a date"),
    ("/ogc/collections/segments/items?zoom=40", 400, "0..24"),
    ("/ogc/collections/segments/items?zoom=x", 400, "zoom"),
    ("/ogc/collections/segments/items?properties=colour", 400, "properties"),
    ("/ogc/collections/cases/items?status=lost", 400, "status"),
    ("/ogc/collections/segments/items/abc", 400, "feature id"),
    ("/api/v1/search?q=", 400, "q"),
    ("/api/v1/features/tree/1", 404, "segment, compound or grid"),
    ("/api/v1/features/segment/999999", 404, "999999"),
    ("/api/v1/units/999999", 404, "no unit"),
    ("/map?at=yesterday", 400, "not a date"),
]


def test_bad_input_is_a_clear_4xx(demo) -> None:
    client, _ = demo
    for url, status, words in BAD:
        r = client.get(url)
        assert r.status_code == status, (url, r.status_code, r.get_data(as_text=True)[:300])
        if not url.startswith(("/ogc", "/api")):  # a page answers with an HTML error page, in the reader's language
            assert "请求未被接受" in r.get_data(as_text=True), url
            en = client.get(url + ("&" if "?" in url else "?") + "lang=en")
            assert words in en.get_data(as_text=True), url
            continue
        body = r.get_json()
        assert body is not None and words in body["error"] + " ".join(body.get("details", [])), (url, body)
    # several problems at once are all named
    body = client.get("/ogc/collections/segments/items?bbox=1,2,0,1&limit=0&at=x").get_json()
    assert len(body["details"]) == 3


def test_search_popups_history_cases_and_unit(demo) -> None:
    client, session = demo
    seed(session)
    comp = session.execute(
        select(Compound.id, Compound.name, Assignment.unit_id)
        .join(Assignment, Assignment.target_id == Compound.id)
        .where(
            Assignment.target_kind == "compound",
            Assignment.role == "responsible",
            Assignment.valid_to.is_(None),
            Assignment.valid_from <= dt.date.today(),
        )
        .order_by(Compound.id)
    ).first()
    unit_id = comp.unit_id
    case_id = _add_case(session, unit_id=unit_id, kind="compound", target_id=comp.id, lon=111.14, lat=37.52,
                        deadline=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))  # fmt: skip
    _add_case(session, unit_id=unit_id, kind="compound", target_id=comp.id, lon=111.14, lat=37.52, status="closed")
    session.commit()
    # search: compound by name, grid by code prefix, unit by name, road by name
    hits = client.get("/api/v1/search", query_string={"q": comp.name}).get_json()["results"]
    hit = next(h for h in hits if h["kind"] == "compound" and h["id"] == comp.id)
    assert len(hit["bbox"]) == 4
    grid_code = session.scalar(select(Grid.code).limit(1))
    assert any(h["kind"] == "grid" for h in client.get(f"/api/v1/search?q={grid_code[:12]}").get_json()["results"])
    unit_name = session.scalar(select(Unit.name).where(Unit.id == unit_id))
    uhit = next(h for h in client.get("/api/v1/search", query_string={"q": unit_name}).get_json()["results"])
    assert uhit["kind"] == "unit" and uhit["url"] == f"/units/{unit_id}" and uhit["bbox"]
    road = session.scalar(select(Segment.name).where(Segment.name.is_not(None)).limit(1))
    assert any(
        h["kind"] == "road" for h in client.get("/api/v1/search", query_string={"q": road}).get_json()["results"]
    )
    assert client.get("/api/v1/search?q=不存在的名字xyz").get_json()["results"] == []
    # a compound's popup: responsible unit, the four roles, the open case (not the closed one), history link
    d = client.get(f"/api/v1/features/compound/{comp.id}").get_json()
    assert d["responsible"]["unit"]["id"] == unit_id
    assert [r["role"] for r in d["roles"]] == ["unit_leader", "compound_lead", "community_liaison", "civ_supervisor"]
    assert d["roles"][0]["role_zh"] == "包联单位责任人"
    assert [c["id"] for c in d["open_cases"]] == [case_id]
    hist = client.get(d["history_url"]).get_json()
    assert any(a["role"] == "responsible" and a["unit"]["id"] == unit_id for a in hist["assignments"])
    page = client.get(d["history_page"])
    assert page.status_code == 200 and "包联历史" in page.get_data(as_text=True)
    # cases collection: status, category, deadline, unit
    cases = client.get("/ogc/collections/cases/items?status=active").get_json()
    assert cases["numberMatched"] == 1
    p = cases["features"][0]["properties"]
    assert p["status"] == "dispatched" and p["category"] == "0102" and p["unit_id"] == unit_id
    assert p["deadline"].startswith("2020-01-01") and p["category_name"]
    assert client.get("/ogc/collections/cases/items").get_json()["numberMatched"] == 2
    # the unit: totals and its open cases with deadlines (overdue)
    u = client.get(f"/api/v1/units/{unit_id}").get_json()
    assert u["totals"]["compounds"] >= 1 and u["totals"]["open_cases"] == 1
    assert u["open_cases"][0]["overdue"] is True
    html = client.get(f"/units/{unit_id}").get_data(as_text=True)
    assert unit_name in html and "已超时" in html


def test_map_pages_use_only_local_assets(demo) -> None:
    client, session = demo
    for url in ("/map", "/map?lang=en", f"/units/{session.scalar(select(Unit.id).limit(1))}"):
        r = client.get(url)
        assert r.status_code == 200, url
        html = r.get_data(as_text=True)
        assert "/vendor/leaflet/leaflet.js" in html
        external = [u for u in re.findall(r"""(?:src|href)=["']([^"']+)""", html) if "//" in u]
        assert external == [], external
        assert "cdn" not in html.lower()
        assert "GeoJson" not in html and '"features"' not in html  # layers are fetched, never inlined
    assert "Coverage map" in client.get("/map?lang=en").get_data(as_text=True)
    assert client.get("/vendor/leaflet/leaflet.js").status_code == 200
    assert client.get("/vendor/leaflet/../package.json").status_code == 404
    assert client.get("/vendor/left-pad/index.js").status_code == 404
