"""The OpenAPI document: it is a valid OpenAPI 3.1 document describing exactly the app's /api/v1 routes, every body
has a real schema — and real answers of every operation, on a small city on both databases, match it (openapi-core
validates each request and response of the contract test)."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import geopandas as gpd
import pytest
import shapely
from flask import Flask
from flask.testing import FlaskClient
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_spec_validator import validate as validate_spec
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import EnvironBuilder

from gridmap.config import Settings
from gridmap.evaluation.defaults import DEFAULT_SCHEMES
from gridmap.inspections import seed_templates
from gridmap.store.bulk_writes import write_features
from gridmap.store.engine import session_scope
from gridmap.store.models import Area, Compound, Grid, Person
from gridmap.volunteers import enrol
from gridmap.volunteers.scheme import DEFAULT
from gridmap.web import create_app
from gridmap.web.state import app_state
from tests.accounts import client_as, make_account
from tests.case_helpers import COMPOUND_POINT, LAT, PNG, build_city, case_settings, counts

ON_ROAD = {"lon": 111.14, "lat": LAT + 0.0001, "category": "0102", "description": "暴露垃圾", "reporter": "张三"}
ERROR_STATUSES = {"400", "401", "403", "404", "409", "413"}


def _document(app: Flask) -> dict[str, Any]:
    resp = app.test_client().get("/api/v1/openapi.json")
    assert resp.status_code == 200
    return json.loads(resp.data)


def _operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, op in item.items():
            yield path, method, op


def _schemas(node: object, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema object in the document (anything with a type, a $ref or a combinator), with where it is."""
    if isinstance(node, dict):
        if any(k in node for k in ("type", "anyOf", "allOf", "oneOf", "$ref")):
            yield where, node
        for key, value in node.items():
            yield from _schemas(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _schemas(value, f"{where}/{i}")


def test_the_document_is_valid_and_describes_every_api_route(tmp_path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'x.sqlite'}", instance_dir=tmp_path))
    doc = _document(app)
    validate_spec(doc)  # OpenAPI 3.1, every $ref resolves
    assert doc["openapi"].startswith("3.1") and doc["info"]["title"] and doc["servers"][0]["url"]
    documented = {(path, method.upper()) for path, method, _ in _operations(doc)}
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        served |= {(path, method) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert sorted(served - documented) == [], "undocumented API routes"
    assert sorted(documented - served) == [], "documented routes the app does not serve"
    ids = [op["operationId"] for _, _, op in _operations(doc)]
    assert len(ids) == len(set(ids)) == len(served)
    for path, method, op in _operations(doc):
        where = f"{method.upper()} {path}"
        assert op["summary"] and op["tags"], where
        for name in re.findall(r"{([a-z_]+)}", path):
            assert any(p["name"] == name and p["in"] == "path" and p["required"] for p in op["parameters"]), where
        successes = {s: r for s, r in op["responses"].items() if s.startswith("2")}
        assert successes, where
        for status, response in successes.items():
            content = response.get("content")
            assert content and all(m.get("schema") for m in content.values()), (where, status)
        for status, response in op["responses"].items():
            if status in ERROR_STATUSES:
                assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
        if "requestBody" in op:
            assert all(m.get("schema") for m in op["requestBody"]["content"].values()), where
    for where, schema in _schemas(doc["components"]["schemas"], "#/components/schemas"):
        if schema.get("type") == "object":
            assert schema.get("properties") or isinstance(schema.get("additionalProperties"), dict), (
                f"{where}: an object without properties"
            )
        if schema.get("type") == "array":
            assert "items" in schema or "prefixItems" in schema, f"{where}: an array without items"
    paths = doc["paths"]

    def media(path: str, method: str, status: str) -> set[str]:
        return set(paths[path][method]["responses"][status]["content"])

    assert media("/api/v1/gaps", "get", "200") == {"application/json", "text/csv", "application/geo+json"}
    assert media("/api/v1/photos/{file}", "get", "200") == {"image/jpeg", "image/png", "image/webp"}
    for path in ("/api/v1/reports", "/api/v1/cases/{case_id}/events"):
        assert set(paths[path]["post"]["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert paths["/api/v1/assignments/{assignment_id}/end"]["post"]["requestBody"]["required"] is False
    statuses = {(p, m): set(op["responses"]) for p, m, op in _operations(doc)}
    assert statuses[("/api/v1/cases/{case_id}/events", "post")] == {"201", "400", "401", "403", "404", "409", "413"}
    assert statuses[("/api/v1/health", "get")] == {"200", "503"}
    assert statuses[("/api/v1/categories/{code}", "get")] == {"200", "401", "403", "404"}
    # who may call what: the health check and the document need no account; every other operation says its roles
    assert set(doc["components"]["securitySchemes"]) == {"token", "session"}
    for path, method, op in _operations(doc):
        if path in ("/api/v1/health", "/api/v1/openapi.json"):
            assert op["security"] == [] and "x-roles" not in op
        else:
            assert op["security"] == [{"token": []}, {"session": []}] and op["x-roles"], (method, path)
    assert paths["/api/v1/holidays"]["post"]["x-roles"] == ["admin"]
    assert paths["/api/v1/assignments"]["post"]["x-roles"] == ["commander"]


# -- the contract: real answers against the document ----------------------------------------------------------------


class Contract:
    """Drives calls through the Flask test client and checks each request and answer against the document."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client: FlaskClient = app.test_client()
        self.tokens = {role: make_account(app, role)[1] for role in ("commander", "admin", "inspector")}
        self.tokens["commander2"] = make_account(app, "commander")[1]  # four eyes: someone else decides an extension
        config = Config(
            extra_media_type_deserializers={
                "application/geo+json": json.loads,
                "text/csv": lambda data, **_: data.decode("utf-8-sig"),
            }
        )
        self.openapi = OpenAPI.from_dict(_document(app), config=config)
        self.operations = {op["operationId"] for _, _, op in _operations(_document(app))}
        self.answered: set[str] = set()  # operations with a 2xx answer checked against the document

    def __call__(
        self, method: str, url: str, status: int, *, fits: bool = True, role: str | None = "commander", **kw: Any
    ) -> Any:
        """Call as an account of ``role`` (None: no account), check the status, validate the request (when it
        ``fits`` the document) and the answer."""
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        resp = self.client.open(url, method=method, headers=headers, **_fresh(kw))
        body = resp.get_data()
        assert resp.status_code == status, (method, url, resp.status_code, body[:600])
        request = EnvironBuilder(
            url, method=method, base_url="http://localhost", headers=headers, **_fresh(kw)
        ).get_request()
        openapi_request = WerkzeugOpenAPIRequest(request)
        if fits:
            self.openapi.validate_request(openapi_request)
        self.openapi.validate_response(openapi_request, WerkzeugOpenAPIResponse(resp))
        if 200 <= status < 300:
            endpoint, _ = self.app.url_map.bind("localhost").match(request.path, method)
            self.answered.add(self.app.view_functions[endpoint].operation.operation_id)
        return resp.get_json(silent=True) if resp.is_json else body


def _fresh(kw: dict[str, Any]) -> dict[str, Any]:
    """The call's arguments with new streams for the files of a form (each call reads them)."""
    out = dict(kw)
    if isinstance(out.get("data"), dict):
        out["data"] = {k: (io.BytesIO(v[0]), v[1]) if isinstance(v, tuple) else v for k, v in out["data"].items()}
    return out


@pytest.fixture
def contract(settings: Settings, session: Session, tmp_path) -> Iterator[tuple[Contract, dict[str, int]]]:
    ids = build_city(session)
    person = Person(name="王五", phone="13800000000", unit_id=ids["a"])
    session.add(person)
    back_street = shapely.LineString([(111.13, LAT + 0.004), (111.15, LAT + 0.004)])
    write_features(
        session, "segments", gpd.GeoDataFrame({"name": ["小巷"], "level": ["back"]}, geometry=[back_street], crs=4326)
    )  # nobody's: a gap
    session.commit()
    seed_templates(session)
    session.commit()
    ids["person"] = person.id
    ids["grid"] = session.scalar(select(Grid.id))
    app = create_app(case_settings(settings, tmp_path, photo_max_bytes=1000))
    yield Contract(app), ids


def test_every_operation_answers_as_its_document_says(contract) -> None:
    call, ids = contract
    today = dt.date.today()
    call("GET", "/api/v1/health", 200, role=None)
    call("GET", "/api/v1/openapi.json", 200, role=None)
    call("GET", "/api/v1/cases", 401, fits=False, role=None)
    call("POST", "/api/v1/holidays", 403, json={"day": "2026-12-31", "is_workday": False})  # a commander

    # routing, nothing stored
    call("GET", f"/api/v1/snap?lon={ON_ROAD['lon']}&lat={ON_ROAD['lat']}&category=0102", 200)
    points = [{"lon": ON_ROAD["lon"], "lat": ON_ROAD["lat"], "id": "a"}, {"lon": "east", "lat": LAT, "id": 7}]
    call(
        "POST", "/api/v1/snap", 200, json={"points": points[:1], "crs": "wgs84", "observed_at": "2026-03-02T09:00:00Z"}
    )
    snapped = call("POST", "/api/v1/snap", 200, fits=False, json={"points": [*points, "not an object"]})
    assert (snapped["routed"], snapped["bad"]) == (1, 2)
    call("GET", "/api/v1/snap?lat=37.5", 400, fits=False)

    assert call("GET", "/api/v1/dashboard", 200)["trend"]["weeks"]  # the start page's figures (tests/test_dashboard.py)
    # the notice 通报 (its own tests: tests/test_notices.py): nothing is published here, so a period's notice is a 404
    assert call("GET", "/api/v1/notices", 200) == {"items": []}
    call("GET", "/api/v1/notices/2026-11.pdf", 404)
    call("GET", "/api/v1/notices/2026-11.odt", 400)
    call("POST", "/api/v1/notices/2026-11/publish", 404)

    # reports and the closed loop
    first = call("POST", "/api/v1/reports", 201, json={**ON_ROAD, "client_id": "phone-1"})
    assert call("POST", "/api/v1/reports", 200, json={**ON_ROAD, "client_id": "phone-1"})["id"] == first["id"]
    lon, lat = COMPOUND_POINT
    form = {"lon": str(lon), "lat": str(lat), "category": "0507", "source": "public", "photos": (PNG, "a.png")}
    public = call("POST", "/api/v1/reports", 201, data=form, content_type="multipart/form-data")
    call("POST", "/api/v1/reports", 400, fits=False, json={"lat": LAT, "category": "7777"})
    big = {**{k: str(v) for k, v in ON_ROAD.items()}, "photos": (b"\xff\xd8\xff" + b"\0" * 2**21, "big.jpg")}
    call("POST", "/api/v1/reports", 413, fits=False, data=big, content_type="multipart/form-data")
    case_id = first["id"]
    call("GET", "/api/v1/cases?status=active&sort=deadline&per_page=10", 200)
    call("GET", "/api/v1/cases?status=nope", 400, fits=False)
    call("GET", "/api/v1/cases/999999", 404)
    call("GET", "/api/v1/tasks?group=supervised&urgency=normal&per_page=5", 200)
    call("GET", "/api/v1/tasks?group=nope", 400)
    step = f"/api/v1/cases/{case_id}/events"
    call("POST", step, 201, json={"action": "dispatch", "version": 1, "actor": "指挥长", "data": {}})
    call("POST", step, 409, json={"action": "dispatch", "version": 1})
    form = {"action": "accept", "version": "2", "note": "签收", "photos": (PNG, "b.png")}
    call("POST", step, 201, data=form, content_type="multipart/form-data")
    call("POST", step, 201, json={"action": "request_extension", "version": 3, "data": {"amount": 2}})
    call("POST", step, 403, json={"action": "approve_extension", "version": 4})  # not the one who asked
    call("POST", step, 201, json={"action": "approve_extension", "version": 4}, role="commander2")
    call("POST", step, 201, json={"action": "supervise", "version": 5, "note": "督办"})
    call("POST", step, 400, fits=False, json={"action": "fly"})
    call("POST", f"/api/v1/cases/{public['id']}/events", 201, json={"action": "verify", "version": 1})
    case = call("GET", f"/api/v1/cases/{public['id']}", 200)
    photo = case["events"][0]["photos"][0]["url"]
    assert call("GET", photo, 200) == PNG
    call("GET", "/api/v1/photos/" + "0" * 64 + ".png", 404)

    # categories and holidays
    call("GET", "/api/v1/categories?family=event&active=true", 200)
    call("GET", "/api/v1/categories/BJ0101", 200)
    call("GET", "/api/v1/categories/0999", 404)
    new = {"code": "0512", "name_zh": "占道洗车", "deadline": {"amount": 4, "unit": "work_hours"}}
    call("POST", "/api/v1/categories", 201, role="admin", json=new)
    call("POST", "/api/v1/categories", 200, role="admin", json={"code": "0102", "deadline": {"amount": 2}})
    call("POST", "/api/v1/categories", 400, role="admin", json={"code": "0513", "name_zh": "x"})
    call("GET", "/api/v1/holidays?year=2026", 200)
    holiday = {"day": "2026-12-31", "is_workday": False, "name": "本地假日"}
    call("POST", "/api/v1/holidays", 200, role="admin", json=holiday)
    call("POST", "/api/v1/holidays", 400, fits=False, role="admin", json={"day": "31/12", "is_workday": "yes"})

    # the map: search, features, units, the heatmap
    for q in ("和平", "城管", "幸福", "1411"):
        assert call("GET", f"/api/v1/search?q={q}", 200)["results"], q
    call("GET", "/api/v1/search?q=", 400, fits=False)
    for kind in ("segment", "compound", "grid"):
        call("GET", f"/api/v1/features/{kind}/{ids[kind]}?at={today}", 200)
    call("GET", f"/api/v1/features/segment/{ids['segment']}/history", 200)
    call("GET", "/api/v1/features/tree/1/history", 404, fits=False)
    call("GET", "/api/v1/units?q=局&kind=city_office", 200)
    call("GET", f"/api/v1/units/{ids['a']}", 200)
    call("GET", "/api/v1/units/999999", 404)
    call("GET", "/api/v1/heat", 200)
    call("GET", "/api/v1/heat?mode=grids&status=all", 200)
    call("GET", "/api/v1/heat?mode=segments&category=01&from=2020-01-01", 200)
    call("GET", "/api/v1/heat?mode=nope", 400, fits=False)

    # the register of units and people
    new_unit = {"name": "新单位", "kind": "other", "parent_id": ids["a"], "contact_phone": "0358-1234567"}
    made = call("POST", "/api/v1/units", 201, json=new_unit)
    assert made["parent_id"] == ids["a"] and made["contact_phone"] == "0358-1234567"
    call("POST", "/api/v1/units", 400, json={"name": "新单位", "kind": "other"})  # the name is taken
    call("GET", f"/api/v1/units?parent_id={ids['a']}&page=1&per_page=5", 200)
    call("GET", "/api/v1/units?per_page=0", 400, fits=False)
    call("PATCH", f"/api/v1/units/{made['id']}", 200, json={"contact_name": "赵六", "kind": "enterprise"})
    call("PATCH", "/api/v1/units/999999", 404, json={})
    call("POST", f"/api/v1/units/{made['id']}/retire", 200)
    call("POST", f"/api/v1/units/{made['id']}/retire", 409, json={})
    call("GET", "/api/v1/units?retired=true", 200)
    call("POST", "/api/v1/units/999999/retire", 404)
    merged = call("POST", "/api/v1/units", 201, json={"name": "待合并单位", "kind": "enterprise"})
    assert call("POST", f"/api/v1/units/{merged['id']}/merge", 200, json={"into": ids["a"]})["into"] == ids["a"]
    call("POST", f"/api/v1/units/{merged['id']}/merge", 409, json={"into": ids["a"]})
    call("POST", "/api/v1/units/999999/merge", 404, json={"into": ids["a"]})
    call("POST", f"/api/v1/units/{ids['b']}/merge", 400, fits=False, json={})
    worker = {"name": "赵六", "phone": "13900000000", "unit_id": ids["a"], "roles": ["网格员"]}
    person = call("POST", "/api/v1/people", 201, json=worker)
    assert person["roles"] == ["grid_worker"]
    call("POST", "/api/v1/people", 400, json={"name": "钱七", "roles": ["nope"]})
    call("GET", f"/api/v1/people?unit_id={ids['a']}&role=grid_worker&per_page=5", 200)
    call("GET", "/api/v1/people?page=0", 400, fits=False)
    call("GET", f"/api/v1/people/{person['id']}", 200)
    call("GET", "/api/v1/people/999999", 404)
    call("PATCH", f"/api/v1/people/{person['id']}", 200, json={"roles": ["road_chief"], "phone": "13900000001"})
    call("PATCH", "/api/v1/people/999999", 404, json={})
    call("POST", f"/api/v1/people/{person['id']}/retire", 200)
    call("POST", f"/api/v1/people/{person['id']}/retire", 409)
    call("POST", "/api/v1/people/999999/retire", 404, json={})

    # responsibility: preview, assign, gaps, end
    grid = ids["grid"]
    ring = [[111.125, 37.515], [111.17, 37.515], [111.17, 37.54], [111.125, 37.54], [111.125, 37.515]]
    shape = {"type": "Polygon", "coordinates": [ring]}
    caught = call("POST", "/api/v1/assignments/preview", 200, json={"shape": shape, "kinds": ["grid", "segment"]})
    assert caught["features"]
    start = (today - dt.timedelta(days=3)).isoformat()
    body = {"targets": [{"kind": "grid", "id": grid, "expected": None}], "unit_id": ids["c"], "valid_from": start}
    assigned = call("POST", "/api/v1/assignments", 201, json={**body, "by": "test", "note": "网格包联"})
    assert assigned["assigned"][0]["kind"] == "grid"
    chief = {"targets": [{"kind": "segment", "id": ids["segment"]}], "unit_id": ids["a"], "role": "road_chief"}
    call("POST", "/api/v1/assignments", 201, json={**chief, "person_id": ids["person"], "valid_from": start})
    call("POST", "/api/v1/assignments", 409, json={**body, "unit_id": ids["b"]})
    call("POST", "/api/v1/assignments", 400, fits=False, json={"targets": [], "unit_id": "nope"})
    call("GET", f"/api/v1/features/segment/{ids['segment']}", 200)
    found = call("GET", "/api/v1/gaps", 200)
    assert [g["name"] for g in found["items"]] == ["小巷"]
    call("GET", "/api/v1/gaps?format=csv", 200)
    call("GET", "/api/v1/gaps?format=geojson&download=1&kind=segment", 200)
    call("GET", "/api/v1/gaps?format=xml", 400, fits=False)
    call("GET", "/api/v1/gaps/summary", 200)
    history = call("GET", f"/api/v1/features/grid/{grid}/history", 200)
    period = next(a["id"] for a in history["assignments"] if a["valid_to"] is None)
    call("POST", f"/api/v1/assignments/{period}/end", 200)  # no body: today
    call("POST", f"/api/v1/assignments/{period}/end", 409, json={})
    call("POST", "/api/v1/assignments/99999999/end", 404, json={"by": "test"})

    # mock assessments 模拟测评 (their own tests: tests/test_assessments.py)
    call("GET", "/api/v1/assessments", 200)
    drawn = call("POST", "/api/v1/assessments", 201, json={"points": 2, "seed": 5, "teams": 2, "title": "测试"})
    call("POST", "/api/v1/assessments", 400, json={"points": 2, "quotas": {"market": 1}})  # no market in the store
    call("GET", f"/api/v1/assessments/{drawn['id']}", 200)
    call("GET", "/api/v1/assessments/999999", 404)
    score = f"/api/v1/assessments/{drawn['id']}/points/{drawn['points'][0]['id']}/score"
    assert call("PUT", score, 200, json={"score": 8, "possible": 10, "note": "好"})["rate"] == 0.8
    call("PUT", score, 400, json={"score": 11, "possible": 10})
    call("PUT", f"/api/v1/assessments/{drawn['id']}/points/999999/score", 404, json={"score": 1, "possible": 2})
    call("GET", f"/api/v1/assessments/{drawn['id']}/results", 200)
    sheets = [call("GET", f"/api/v1/assessments/{drawn['id']}/points/{p['id']}/items", 200) for p in drawn["points"]]
    sheet = next(s for s in sheets if s["checklist"])  # scored item by item on its type's checklist
    items = f"/api/v1/assessments/{drawn['id']}/points/{sheet['point']['id']}/items"
    first = {"item": sheet["checklist"]["items"][0]["code"], "lon": sheet["point"]["lon"], "lat": sheet["point"]["lat"]}
    assert call("POST", items, 201, json={"items": [{**first, "passed": True}]})["items"][0]["passed"] is True
    call("POST", items, 400, json={"items": [{**first, "passed": True}]})  # scored already
    call("POST", items, 400, json={"items": []})
    scored = call("POST", items, 201, json={"items": [{**first, "item": sheet["checklist"]["items"][1]["code"],
                                                         "passed": False}]})["items"][-1]  # fmt: skip
    assert call("PUT", f"{items}/{scored['id']}", 200, json={"passed": True})["items"][-1]["case_status"] == "void"
    call("PUT", f"{items}/{scored['id']}", 400, json={"passed": True, "points_deducted": 1})
    assert len(call("DELETE", f"{items}/{scored['id']}", 200)["items"]) == 1
    call("DELETE", f"{items}/999999", 404)
    assert call("POST", f"/api/v1/assessments/{drawn['id']}/close", 200)["closed_at"]
    call("POST", f"/api/v1/assessments/{drawn['id']}/close", 409)
    call("PUT", f"{items}/{scored['id']}", 409, json={"passed": True})
    third = {**first, "item": sheet["checklist"]["items"][2]["code"], "passed": True}
    call("POST", items, 409, json={"items": [third]})
    call("PUT", score, 409, json={"score": 8, "possible": 10})
    call("GET", f"/api/v1/assessments/{drawn['id']}/points/999999/items", 404)
    call("GET", "/api/v1/assessments/999999/results", 404)
    # road-chief patrols (their own test: tests/test_patrols.py): the person is the segment's road chief by now
    walk = [[111.131 + 0.00015 * i, LAT] for i in range(110)]
    times = [(dt.datetime(2026, 12, 1, 9, 0) + dt.timedelta(seconds=10 * i)).isoformat() for i in range(110)]
    track = {"type": "Feature", "geometry": {"type": "LineString", "coordinates": walk}, "properties": {"times": times}}
    sent = call("POST", "/api/v1/patrols", 201, json={"person_id": ids["person"], "track": track, "crs": "wgs84"})
    assert [s["segment_id"] for s in sent["segments_patrolled"]] == [ids["segment"]]
    timeless = {**track, "properties": {}}
    call("POST", "/api/v1/patrols", 400, fits=False, json={"person_id": ids["person"], "track": timeless})
    call("POST", "/api/v1/patrols", 404, json={"person_id": 999999, "track": track})
    call("GET", f"/api/v1/patrols/segments?person={ids['person']}&from=2026-12-01&to=2026-12-31", 200)
    call("GET", "/api/v1/patrols/segments?person=x", 400, fits=False)
    call("GET", "/api/v1/patrols/coverage?as_of=2026-12-03&days=7", 200)
    call("GET", "/api/v1/patrols/monthly?month=2026-12", 200)
    call("GET", "/api/v1/patrols/monthly?month=2026-13", 400, fits=False)
    call("GET", "/api/v1/patrols/layer?as_of=2026-12-03", 200)
    call("GET", "/api/v1/patrols/misses?from=2026-12-01&to=2026-12-07", 200)

    # the audit trail (its own test: tests/test_audit.py)
    call("GET", "/api/v1/audit?object_kind=token", 200)
    call("GET", "/api/v1/audit?format=csv", 200)
    call("GET", "/api/v1/audit?from=someday", 400, fits=False)

    # inspections 明查暗访: checklists, an inspection, its findings, the problem list, publishing, the look-back
    call("GET", "/api/v1/inspection-templates", 200)
    market = call("GET", "/api/v1/inspection-templates/market", 200)
    call("GET", "/api/v1/inspection-templates/airport", 404)
    items = [{k: i[k] for k in ("code", "name_zh", "points", "category")} for i in market["items"]]
    call("PUT", "/api/v1/inspection-templates/market", 200, role="admin", json={"items": items[:3]})
    call("PUT", "/api/v1/inspection-templates/market", 400, role="admin", json={"items": []})
    made = call("POST", "/api/v1/inspections", 201, json={"point_type": "main_road", "kind": "covert", "team": "一组"})
    call("POST", "/api/v1/inspections", 400, json={"point_type": "airport"})
    where = {"lon": ON_ROAD["lon"], "lat": ON_ROAD["lat"]}
    findings = f"/api/v1/inspections/{made['id']}/findings"
    two = [{"item": "ZG02", "passed": False, **where}, {"item": "ZG05", "passed": True, **where}]
    recorded = call("POST", findings, 201, role="inspector", json={"findings": two})
    assert [f["case_id"] is not None for f in recorded["findings"]] == [True, False]
    form = {"item": "ZG03", "passed": "false", "lon": str(where["lon"]), "lat": str(where["lat"]),
            "photos": (PNG, "a.png")}  # fmt: skip
    call("POST", findings, 201, role="inspector", data=form, content_type="multipart/form-data")
    call("POST", findings, 400, fits=False, role="inspector", json={"findings": [{"item": "ZG02", "passed": False}]})
    call("POST", "/api/v1/inspections/999999/findings", 404, role="inspector", json={"findings": two})
    call("GET", "/api/v1/inspections", 200)
    call("GET", f"/api/v1/inspections/{made['id']}", 200)
    call("GET", "/api/v1/inspections/999999", 404)
    assert call("GET", f"/api/v1/inspections/{made['id']}/problems", 200)["totals"]["total"] == 2
    assert call("POST", f"/api/v1/inspections/{made['id']}/publish", 200)["published_at"]
    call("POST", "/api/v1/inspections/999999/publish", 404)
    back = call("GET", f"/api/v1/inspections/lookback?day={today + dt.timedelta(days=7)}", 200)
    assert len(back["points"]) == 2
    call("GET", "/api/v1/inspections/lookback?day=someday", 400, fits=False)
    # 门前五包 shops: register, move, score a month, read the month and the ranking
    code = "91330100716105852F"
    near = {"lon": ON_ROAD["lon"], "lat": ON_ROAD["lat"] + 0.0001}
    shop = call("POST", "/api/v1/shops", 201, json={"name": "老王面馆", "credit_code": code, "kind": "餐饮", **near})
    assert shop["credit_code"] == code and shop["frontage"]["type"] == "Polygon"
    call("POST", "/api/v1/shops", 400, json={"name": "重复", "credit_code": code, **near})
    call("POST", "/api/v1/shops", 400, fits=False, json={"name": "无位置", "lon": "east"})
    call("GET", "/api/v1/shops?q=老王&per_page=5", 200)
    call("GET", "/api/v1/shops?per_page=0", 400, fits=False)
    call("GET", f"/api/v1/shops/{shop['id']}", 200)
    call("GET", "/api/v1/shops/999999", 404)
    moved = {"lon": near["lon"] + 0.0002, "lat": near["lat"]}
    call("PATCH", f"/api/v1/shops/{shop['id']}", 200, json={**moved, "phone": "0358-1234567"})
    call("PATCH", "/api/v1/shops/999999", 404, json={"name": "x"})
    call("GET", "/api/v1/shops/frontages", 200)
    month = today.strftime("%Y-%m")
    assert call("POST", "/api/v1/shops/scores", 200, json={"month": month})["shops"] == 1
    call("POST", "/api/v1/shops/scores", 400, json={"month": "2026-13"})
    got = call("GET", f"/api/v1/shops/{shop['id']}/months/{month}", 200)
    assert got["full"] == 100 and len(got["items"]) == 5
    call("GET", f"/api/v1/shops/{shop['id']}/months/2000-01", 404)
    call("GET", f"/api/v1/shops/ranking?month={month}", 200)
    call("GET", "/api/v1/shops/ranking?month=someday", 400)
    # scorecards (their own tests: tests/test_evaluation.py)
    call("GET", "/api/v1/scorecards?period=2026-11", 404)  # no scheme yet
    scheme = DEFAULT_SCHEMES[0]
    call("POST", "/api/v1/schemes", 201, role="admin", json={"document": scheme, "note": "首版"})
    call("POST", "/api/v1/schemes", 400, role="admin", json={"document": {**scheme, "min_cases": -1}}, fits=False)
    call("GET", "/api/v1/schemes", 200)
    call("GET", "/api/v1/scorecards?period=2026-11&subject=unit", 200)
    call("GET", "/api/v1/scorecards?period=2026-13", 400)
    call("GET", "/api/v1/scorecards/trends?period=2026-Q3", 200)
    call("POST", "/api/v1/scorecards/publish", 201, json={"period": "2026-11"})
    call("POST", "/api/v1/scorecards/publish", 409, json={"period": "2026-11"})
    call("POST", "/api/v1/scorecards/publish", 400, json={"period": "2999-01"})  # not over yet
    call("GET", "/api/v1/scorecards?period=2026-11", 200)  # the published one
    call("GET", "/api/v1/notices/2026-11.xlsx", 200)  # a draft from the published scorecard
    call("POST", "/api/v1/notices/2026-11/publish", 201)
    call("POST", "/api/v1/notices/2026-11/publish", 409)
    call("GET", "/api/v1/notices/2026-11.pdf", 200)  # the PDF stored when published (ETag)

    _volunteers(call, ids)
    assert call.answered == call.operations, f"operations never answered: {sorted(call.operations - call.answered)}"


def _volunteers(call: Contract, ids: dict[str, int]) -> None:
    """在职党员进社区 (its own tests: tests/test_volunteers.py): a commander publishes a post in the compound, a member
    (a viewer account whose person is registered) signs up, checks in and out there; the commander confirms."""
    with session_scope(app_state(call.app).session_factory) as s:
        community = s.scalar(select(Area.id).where(Area.level == "community"))
        compound = s.scalar(select(Compound.id).where(Compound.name == "幸福小区"))
        person = Person(name="党员甲", code="VOL-1", unit_id=ids["a"])
        s.add(person)
        s.flush()
        enrol(s, person.id, "party_member", "甲单位机关党支部", None, community, dt.date(2026, 1, 1))
    call.tokens["member"] = make_account(call.app, "viewer", person="VOL-1")[1]
    body = {"community_id": community, "compound_id": compound, "duty": "building_lead", "title": "1 号楼楼栋长"}
    post = call("POST", "/api/v1/volunteers/posts", 201, json=body | {"slots": 2})
    call("POST", "/api/v1/volunteers/posts", 400, fits=False, json={"community_id": community, "duty": "dance"})
    call("GET", "/api/v1/volunteers/posts", 200)
    assert call("GET", "/api/v1/volunteers/me", 200)["member"] is False  # the commander is no member
    signup = call("POST", f"/api/v1/volunteers/posts/{post['id']}/signups", 201, role="member")["signup_id"]
    call("POST", f"/api/v1/volunteers/posts/{post['id']}/signups", 409, role="member")
    url = f"/api/v1/volunteers/signups/{signup}"
    call("POST", f"{url}/check-in", 400, role="member", json={"lon": 111.5, "lat": 37.9})  # far away
    here = {"lon": COMPOUND_POINT[0], "lat": COMPOUND_POINT[1]}
    shift = call("POST", f"{url}/check-in", 201, role="member", json=here)
    call("POST", f"{url}/check-out", 200, role="member", json=here)
    assert call("GET", "/api/v1/volunteers/me", 200, role="member")["posts"][0]["open_shift"] is None
    assert [p["id"] for p in call("GET", "/api/v1/volunteers/shifts/pending", 200)["items"]] == [shift["id"]]
    assert call("POST", f"/api/v1/volunteers/shifts/{shift['id']}/confirm", 200)["confirmed"] is True
    call("POST", f"/api/v1/volunteers/shifts/{shift['id']}/confirm", 409)
    call("POST", "/api/v1/volunteers/shifts/confirm", 400, json={"shift_ids": [shift["id"]]})  # already: none
    call("POST", f"{url}/check-in", 201, role="member", json=here)
    call("POST", f"{url}/check-out", 200, role="member", json=here)
    second = call("GET", "/api/v1/volunteers/shifts/pending", 200)["items"][0]["id"]
    assert call("POST", "/api/v1/volunteers/shifts/confirm", 200, json={"shift_ids": [second]})["items"][0]["confirmed"]
    me = call("GET", "/api/v1/volunteers/me", 200, role="member")["standing"]["volunteer_id"]
    review = {"volunteer_id": me, "period": "2026-Q4"}
    call("POST", "/api/v1/volunteers/reviews", 200, role="member", json=review | {"source": "self", "score": 90})
    assert call("POST", "/api/v1/volunteers/reviews", 200, json=review | {"source": "org", "score": 80})[
        "evaluation"] == round((90 * 0.2 + 80 * 0.5) / 0.7, 2)  # fmt: skip
    call("POST", "/api/v1/volunteers/reviews", 403, json=review | {"source": "self", "score": 80})  # no member
    call("POST", "/api/v1/volunteers/reviews", 400, json=review | {"source": "org", "score": 101})
    call("POST", f"/api/v1/volunteers/posts/{post['id']}/close", 200)
    call("POST", f"/api/v1/volunteers/posts/{post['id']}/close", 409)
    call("GET", "/api/v1/volunteers/ranking?period=2026-Q4", 200)
    call("GET", "/api/v1/volunteers/ranking?period=2026-13", 400)
    call("GET", "/api/v1/volunteers/scheme", 200)
    assert call("PUT", "/api/v1/volunteers/scheme", 200, role="admin", json={"document": DEFAULT})["version"] == 1
    call("PUT", "/api/v1/volunteers/scheme", 400, fits=False, role="admin", json={"document": {"per_hour": -1}})


# -- bad input: the API's 400, naming the field --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "kw", "words"),
    [
        ("POST", "/api/v1/holidays", {"json": {"day": "31/12", "is_workday": "yes"}}, ["field 'day'", "is_workday"]),
        ("POST", "/api/v1/holidays", {"json": {}}, ["field 'day': is required", "field 'is_workday': is required"]),
        ("POST", "/api/v1/holidays", {"data": {"day": "2026-12-31"}}, ["send a JSON object"]),
        ("POST", "/api/v1/snap", {"json": {"points": "all"}}, ["field 'points': must be a list"]),
        ("POST", "/api/v1/snap", {"json": [1, 2]}, ["send a JSON object"]),
        ("POST", "/api/v1/reports", {"data": "lon=1", "content_type": "text/plain"}, ["JSON object"]),
        ("POST", "/api/v1/cases/1/events", {"json": {"action": "accept", "data": 5}}, ["field 'data': must be an"]),
        ("POST", "/api/v1/assignments/1/end", {"json": [1]}, ["send a JSON object"]),
        ("GET", "/api/v1/categories?active=maybe", {}, ["field 'active': 'maybe' is not true or false"]),
        ("GET", "/api/v1/units?kind=school", {}, ["field 'kind': 'school' is not one of"]),
        ("GET", "/api/v1/gaps?format=xml", {}, ["field 'format': 'xml' is not one of 'json', 'csv' or 'geojson'"]),
        ("GET", f"/api/v1/holidays?year={2**70}", {}, ["field 'year'", "too large"]),
        ("GET", "/api/v1/features/segment/1?at=someday", {}, ["field 'at': 'someday' is not a date"]),
    ],
)
def test_input_that_does_not_fit_the_models_is_a_400_naming_the_field(
    settings: Settings, session: Session, tmp_path, method: str, url: str, kw: dict[str, Any], words: list[str]
) -> None:
    build_city(session)
    session.commit()
    before = counts(session)
    role = "admin" if url.startswith(("/api/v1/holidays", "/api/v1/categories")) and method == "POST" else "commander"
    client = client_as(create_app(case_settings(settings, tmp_path)), role)
    resp = client.open(url, method=method, **kw)
    body = resp.get_json()
    allowed = {"error", "status", "details", "message", "message_details"}
    assert resp.status_code == 400 and set(body) <= allowed and body["status"] == 400, body
    text = json.dumps(body, ensure_ascii=False)
    for word in words:
        assert word in text, (word, text)
    for pydantic_words in ("Input should", "errors.pydantic.dev", "'loc'", "'type'"):
        assert pydantic_words not in text, text
    session.rollback()
    assert counts(session) == before


def test_no_two_request_or_response_models_share_a_name() -> None:
    """The document keys its schemas by model name: two models of one name (two capabilities' ``ScoreIn``) made one
    operation validate against the other's body."""
    import importlib
    import pkgutil

    from pydantic import BaseModel

    import gridmap.web.api.schemas as schemas

    seen: dict[str, str] = {}
    clashes = []
    for info in pkgutil.iter_modules(schemas.__path__):
        module = importlib.import_module(f"{schemas.__name__}.{info.name}")
        for name, obj in vars(module).items():
            if isinstance(obj, type) and issubclass(obj, BaseModel) and obj.__module__ == module.__name__:
                if name in seen:
                    clashes.append(f"{name}: {seen[name]} and {module.__name__}")
                seen[name] = module.__name__
    assert not clashes


@pytest.mark.parametrize(
    ("method", "url", "kw", "words_zh"),
    [
        ("POST", "/api/v1/holidays", {"json": {}}, ["“day”：必填", "“is_workday”：必填"]),
        ("POST", "/api/v1/snap", {"json": {"points": "all"}}, ["“points”：须为列表"]),
        ("GET", "/api/v1/categories?active=maybe", {}, ["“active”："]),
        ("GET", "/api/v1/units?kind=school", {}, ["“kind”：“school” 不是可选的值"]),
        ("GET", f"/api/v1/holidays?year={2**70}", {}, ["“year”：", "太大"]),
        ("GET", "/api/v1/features/segment/1?at=someday", {}, ["“at”：“someday”不是日期"]),
    ],
)
def test_a_400_for_a_zh_reader_says_in_chinese_which_field_is_wrong(
    settings: Settings, session: Session, tmp_path, method: str, url: str, kw: dict[str, Any], words_zh: list[str]
) -> None:
    """The reader's language (``?lang=``, else the cookie, else the site's default: zh-CN) picks ``message``: a
    zh-CN reader reads which field is wrong and why in Chinese; ``error``/``details`` stay the API's English."""
    build_city(session)
    session.commit()
    role = "admin" if url.startswith(("/api/v1/holidays", "/api/v1/categories")) and method == "POST" else "commander"
    client = client_as(create_app(case_settings(settings, tmp_path)), role)
    for lang in ("", "zh-CN"):
        sep = "&" if "?" in url else "?"
        body = client.open(url + (f"{sep}lang={lang}" if lang else ""), method=method, **kw).get_json()
        assert body["status"] == 400 and body["message"].startswith("请求未被接受（未作任何修改）："), body
        for word in words_zh:
            assert word in body["message"] and any(word in line for line in body["message_details"]), (word, body)
        said = re.sub(r"“[^”]*”|ISO-8601|true|false", "", body["message"])  # what the reader sent or types, aside
        assert not re.search(r"[A-Za-z]{3,}", said), body  # no English sentence
        assert "field '" in " ".join(body["details"])  # the API's stable English is kept
    en = client.open(url + ("&" if "?" in url else "?") + "lang=en", method=method, **kw).get_json()
    assert en["message"] == en["error"] and "field '" in en["message"] and "message_details" not in en
