"""Open311 GeoReport v2 on both databases: responses validated against the GeoReport v2 JSON schemas
(tests/schemas/open311), XML well-formed with the spec's element names, POST form-encoded, errors in the spec's
shape, and an api_key when one is configured."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy.orm import Session

from gridmap.config import Settings
from gridmap.web import create_app
from tests.accounts import client_as
from tests.case_helpers import COMPOUND_POINT, LAT, build_city, case_settings, counts

SCHEMAS = Path(__file__).parent / "schemas" / "open311"


def validate(name: str, body: object) -> None:
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    errors = sorted(Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(body), key=str)
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def w3(value: str | None) -> None:
    """The spec's w3 date-time: ISO 8601 with a time zone."""
    if value is not None:
        assert dt.datetime.fromisoformat(value).tzinfo is not None, value


@pytest.fixture
def o311(settings: Settings, session: Session, tmp_path):
    ids = build_city(session)
    session.commit()
    app = create_app(case_settings(settings, tmp_path))
    keyed = create_app(case_settings(settings, tmp_path, open311_api_key="s3cret"))
    return {"client": app.test_client(), "keyed": keyed.test_client(), "staff": client_as(app), "ids": ids,
            "session": session}  # fmt: skip


FORM = {
    "service_code": "0102",
    "lat": str(LAT + 0.0001),
    "long": "111.14",
    "address_string": "和平街与滨河路口",
    "email": "citizen@example.cn",
    "device_id": "dev-7",
    "first_name": "三",
    "last_name": "张",
    "description": "路边有暴露垃圾",
    "media_url": "http://photos.example.cn/1.jpg",
}


def test_services_json_and_xml(o311) -> None:
    client = o311["client"]
    resp = client.get("/open311/v2/services.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    services = resp.get_json()
    validate("services.json", services)
    codes = {s["service_code"]: s for s in services}
    assert {"0102", "BJ0101", "CC0201"} <= set(codes) and "01" not in codes  # sub-classes only
    assert codes["0102"]["service_name"] == "暴露垃圾" and codes["0102"]["group"] == "市容环境"
    xml = client.get("/open311/v2/services.xml")
    assert xml.mimetype == "text/xml" and xml.data.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(xml.data)
    assert root.tag == "services" and {c.tag for c in root} == {"service"}
    first = root.find("service")
    assert [c.tag for c in first] == ["service_code", "service_name", "description", "metadata", "type", "keywords",
                                      "group"]  # fmt: skip
    assert first.findtext("metadata") == "false"
    definition = client.get("/open311/v2/services/0102.json").get_json()
    validate("service-definition.json", definition)
    root = ET.fromstring(client.get("/open311/v2/services/0102.xml").data)
    assert root.tag == "service_definition" and root.findtext("service_code") == "0102"
    missing = client.get("/open311/v2/services/0999.json")
    assert missing.status_code == 404
    validate("errors.json", missing.get_json())
    assert client.get("/open311/v2/services.csv").status_code == 404


def test_post_and_get_requests(o311) -> None:
    client = o311["client"]
    before = counts(o311["session"])
    resp = client.post("/open311/v2/requests.json", data=FORM)
    assert resp.status_code == 201, resp.get_json()
    posted = resp.get_json()
    validate("post-request-response.json", posted)
    rid = posted[0]["service_request_id"]
    o311["session"].rollback()  # a fresh snapshot
    assert counts(o311["session"]) == (before[0] + 1, before[1] + 1)
    one = client.get(f"/open311/v2/requests/{rid}.json").get_json()
    validate("requests.json", one)
    req = one[0]
    assert req["status"] == "open" and req["service_code"] == "0102" and req["service_name"] == "暴露垃圾"
    assert req["agency_responsible"] == "市城管局" and req["address"] == "和平街与滨河路口"
    assert req["media_url"] is None and req["lat"] == pytest.approx(LAT + 0.0001)  # photos are for staff
    for key in ("requested_datetime", "updated_datetime", "expected_datetime"):
        w3(req[key])
    # an Open311 report comes from the public: verified on site before it is opened
    case = o311["staff"].get(f"/api/v1/cases/{rid}").get_json()
    assert case["status"] == "pending" and case["source"] == "open311" and case["reporter"].startswith("张 三")
    assert case["events"][0]["data"]["media_url"] == FORM["media_url"] and case["events"][0]["actor"] == "public"
    # the public's answer names no one: neither the reporter nor their contacts
    assert "张" not in json.dumps(one, ensure_ascii=False) and "citizen@" not in json.dumps(one)
    # XML of the same request
    root = ET.fromstring(client.get(f"/open311/v2/requests/{rid}.xml").data)
    assert root.tag == "service_requests" and root.find("request/service_request_id").text == rid
    assert root.findtext("request/status") == "open" and root.find("request/address_id").text is None
    # the reporter follows it by the receipt code the answer gave (token): Open311's tokens, and the /track page
    found = re.search(r"查询码 ([2-9A-HJKMNP-Z]{10})", posted[0]["service_notice"])
    assert found
    code = found.group(1)
    assert client.get(f"/open311/v2/tokens/{code.lower()}.json").get_json() == [
        {"service_request_id": rid, "token": code}
    ]
    page = client.get(f"/track?code={code[:5]}-{code[5:].lower()}")  # as typed on a phone
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "待核实" in text and "暴露垃圾" in text and "张" not in text
    missing = client.get("/track?code=NOSUCHCODE")
    assert missing.status_code == 404 and "没有找到这个查询码" in missing.get_data(as_text=True)
    assert client.get("/open311/v2/tokens/NOSUCHCODE.json").status_code == 404
    xml_post = client.post("/open311/v2/requests.xml", data={**FORM, "description": "第二条"})
    root = ET.fromstring(xml_post.data)
    assert xml_post.status_code == 201 and root.find("request/service_request_id") is not None


def test_get_requests_filters(o311) -> None:
    client = o311["client"]
    a = client.post("/open311/v2/requests.json", data=FORM).get_json()[0]["service_request_id"]
    lon, lat = COMPOUND_POINT
    b = client.post(
        "/open311/v2/requests.json", data={"service_code": "0507", "lat": str(lat), "long": str(lon)}
    ).get_json()[0]["service_request_id"]
    case = o311["staff"].get(f"/api/v1/cases/{b}").get_json()
    step = {"action": "void", "version": case["version"], "note": "核实不属实"}
    assert o311["staff"].post(f"/api/v1/cases/{b}/events", json=step).status_code == 201
    body = client.get("/open311/v2/requests.json").get_json()
    validate("requests.json", body)
    assert [r["service_request_id"] for r in body] == [b, a]
    assert [r["service_request_id"] for r in client.get("/open311/v2/requests.json?status=closed").get_json()] == [b]
    assert [r["service_request_id"] for r in client.get("/open311/v2/requests.json?status=open").get_json()] == [a]
    closed = client.get("/open311/v2/requests.json?status=closed").get_json()[0]
    assert closed["status_notes"] == "核实不属实"
    assert [r["service_request_id"] for r in client.get("/open311/v2/requests.json?service_code=0507").get_json()] == [
        b
    ]
    ids = client.get(f"/open311/v2/requests.json?service_request_id={a},{b}").get_json()
    assert {r["service_request_id"] for r in ids} == {a, b}
    assert client.get("/open311/v2/requests.json?start_date=2020-01-01T00:00:00Z").get_json() == []
    too_long = client.get("/open311/v2/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-12-01T00:00:00Z")
    assert too_long.status_code == 400
    validate("errors.json", too_long.get_json())
    xml = client.get("/open311/v2/requests.xml?status=bogus")
    assert xml.status_code == 400 and ET.fromstring(xml.data).tag == "errors"
    assert ET.fromstring(xml.data).findtext("error/code") == "400"
    assert client.get("/open311/v2/requests/99999.json").status_code == 404


@pytest.mark.parametrize(
    ("form", "status", "needle"),
    [
        ({**FORM, "service_code": ""}, 400, "service_code is required"),
        ({**FORM, "service_code": "0999"}, 404, "not found"),
        ({k: v for k, v in FORM.items() if k not in ("lat", "long")}, 400, "lat and long are required"),
        ({**FORM, "lat": "north"}, 400, "not a number"),
        ({**FORM, "long": "200"}, 400, "outside"),
        ({**FORM, "description": "x" * 4001}, 400, "at most 4000"),
    ],
)
def test_bad_posts_are_spec_errors_and_store_nothing(o311, form, status, needle) -> None:
    before = counts(o311["session"])
    resp = o311["client"].post("/open311/v2/requests.json", data=form)
    assert resp.status_code == status, resp.get_json()
    body = resp.get_json()
    validate("errors.json", body)
    assert needle in body[0]["description"]
    o311["session"].rollback()
    assert counts(o311["session"]) == before


def test_api_key_when_configured(o311) -> None:
    keyed = o311["keyed"]
    refused = keyed.post("/open311/v2/requests.json", data=FORM)
    assert refused.status_code == 403 and "api_key" in refused.get_json()[0]["description"]
    assert keyed.post("/open311/v2/requests.json", data={**FORM, "api_key": "wrong"}).status_code == 403
    assert keyed.post("/open311/v2/requests.json", data={**FORM, "api_key": "s3cret"}).status_code == 201
    assert keyed.get("/open311/v2/services.json").status_code == 200  # reading needs no key


def test_discovery(o311) -> None:
    body = o311["client"].get("/open311/v2/discovery.json").get_json()
    assert body["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    root = ET.fromstring(o311["client"].get("/open311/v2/discovery.xml").data)
    assert root.tag == "discovery" and root.findtext("endpoints/endpoint/formats/format") == "application/json"
