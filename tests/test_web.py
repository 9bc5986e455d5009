"""The web app on both databases: health, the start page, and errors that never leak a traceback."""

from __future__ import annotations

import geopandas as gpd
import shapely
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gridmap.config import Settings
from gridmap.store.bulk_writes import write_features
from gridmap.store.engine import head_revision
from gridmap.store.models import Grid
from gridmap.web import create_app
from tests.accounts import client_as
from tests.case_helpers import build_city


def test_health_reports_the_store(settings: Settings, engine: Engine, session: Session) -> None:
    segs = gpd.GeoDataFrame(
        {"name": ["和平街", "新华街"], "level": ["main", "back"]},
        geometry=[
            shapely.LineString([(111.14, 37.52), (111.15, 37.52)]),
            shapely.LineString([(111.14, 37.52), (111.14, 37.53)]),
        ],
        crs=4326,
    )
    write_features(session, "segments", segs)
    session.commit()
    client = create_app(settings).test_client()  # no account: a load balancer's health check
    resp = client.get("/api/v1/health")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["status"] == "ok"
    assert body["database"] == engine.dialect.name
    assert body["schema_revision"] == head_revision()
    assert body["store"]["segments"] == 2
    assert body["store"]["segments_assigned"] == 0
    # 883.5 m east-west + 1111.9 m north-south at 37.52°N
    assert abs(body["store"]["segments_km"] - 1.995) < 0.005


def test_health_on_an_uninitialised_database_says_so(tmp_path) -> None:
    client = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'empty.sqlite'}")).test_client()
    resp = client.get("/api/v1/health")
    assert resp.status_code == 503
    assert resp.get_json()["status"] == "uninitialised"


def test_start_page_is_chinese_by_default_and_english_on_request(settings: Settings, engine: Engine) -> None:
    client = client_as(create_app(settings))
    page = client.get("/").get_data(as_text=True)
    assert 'lang="zh-CN"' in page and "数据概览" in page and "gridmap demo" in page
    resp = client.get("/?lang=en")
    assert "Overview" in resp.get_data(as_text=True)
    assert "lang=en" in resp.headers["Set-Cookie"]
    assert "Overview" in client.get("/").get_data(as_text=True)  # remembered


def test_unknown_urls_get_a_clear_error_not_a_traceback(settings: Settings, engine: Engine) -> None:
    client = client_as(create_app(settings))
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.get_json()["status"] == 404
    page = client.get("/no-such-page")
    assert page.status_code == 404 and "Traceback" not in page.get_data(as_text=True)
    assert client.post("/api/v1/health").status_code == 405


def test_out_of_range_values_are_refused_not_internal_errors(settings: Settings, engine: Engine, session) -> None:
    """Values that parse but overflow further down (a 2**70 id, year 1 in a time zone east of UTC, a list where a
    number belongs) were 500s; each is a 4xx naming the parameter, or a per-point error in a batch."""
    from gridmap.catalogue.categories import seed

    seed(session)
    session.commit()
    client = client_as(create_app(settings))
    huge = str(2**70)
    for url, field in [
        (f"/ogc/collections/segments/items?limit={huge}", "limit"),
        (f"/ogc/collections/cases/items?offset={huge}", "offset"),
        (f"/open311/v2/requests.json?service_request_id={huge}", "service_request_id"),
        (f"/api/v1/holidays?year={huge}", "year"),
        ("/api/v1/cases?from=0001-01-01", "from"),
        ("/api/v1/heat?to=0001-01-01T00:00:00", "to"),
    ]:
        r = client.get(url)
        assert 400 <= r.status_code < 500, (url, r.status_code)
        assert field in r.get_data(as_text=True), (url, r.get_data(as_text=True))
    r = client.post("/api/v1/snap", json={"points": [{"lat": [1e308, 2], "lon": 111.14}, {"lat": 37.5, "lon": {}}]})
    assert r.status_code in (200, 400), r.status_code
    text = r.get_data(as_text=True)
    assert "[1e+308, 2] is not a number" in text and "{} is not a number" in text


def test_gaps_of_a_city_with_no_assignment_of_some_kind(settings: Settings, session: Session) -> None:
    """A city just imported (the tiny routing city: its one grid has no unit) or a day before the first assignment
    has gaps of every kind: the answer lists them instead of a 500 (responsible_at found no row for the kind)."""
    build_city(session)
    session.commit()
    client = client_as(create_app(settings))
    for url in ("/api/v1/gaps/summary", "/api/v1/gaps?kinds=grid", "/api/v1/gaps/summary?at=2000-01-01"):
        r = client.get(url)
        assert r.status_code == 200, (url, r.get_json())
    grids = client.get("/api/v1/gaps?kinds=grid").get_json()
    assert grids["count"] == session.scalar(select(func.count()).select_from(Grid)) > 0
