"""The reports/cases/categories API over HTTP on both databases, with real routing on a tiny city: answers,
idempotency, transitions with optimistic locking, photos, and bad input that is a 4xx and stores nothing."""

from __future__ import annotations

import io
import json
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from gridmap.config import Settings
from gridmap.web import create_app
from tests.accounts import client_as
from tests.case_helpers import COMPOUND_POINT, FAR_POINT, GIF, JPEG, LAT, PNG, build_city, case_settings, counts

ON_ROAD = {"lon": 111.14, "lat": LAT + 0.0001, "category": "0102", "description": "暴露垃圾", "reporter": "张三"}


@pytest.fixture
def city(settings: Settings, session: Session, tmp_path):
    ids = build_city(session)
    session.commit()
    app = create_app(case_settings(settings, tmp_path, photo_max_bytes=1000))
    return {"ids": ids, "client": client_as(app), "app": app, "session": session, "dir": tmp_path}


def _post(client: FlaskClient, body: dict, **kw):
    return client.post("/api/v1/reports", json=body, **kw)


def test_a_report_is_routed_and_opened(city) -> None:
    client = city["client"]
    resp = _post(client, {**ON_ROAD, "client_id": "phone-42"})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["responsible"] == {"unit_id": city["ids"]["a"], "unit_name": "市城管局"}
    assert body["matched"] == {"kind": "segment", "id": city["ids"]["segment"], "name": "和平街"}
    assert body["rule"] == "segment" and body["distance_m"] == pytest.approx(11.1, abs=0.5)
    assert body["candidates"] == [] or isinstance(body["candidates"], list)
    assert body["ambiguous"] is False and body["duplicate_of"] is None
    assert body["deadline"] and body["status"] == "open" and "和平街" in body["explanation"]
    assert resp.headers["Location"].endswith(f"/api/v1/cases/{body['id']}")
    # the same client id again: the first case, 200, no second case
    again = _post(client, {**ON_ROAD, "client_id": "phone-42", "description": "again"})
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    assert again.get_json()["matched"] == body["matched"]
    # the answer built from the inserted values is the answer read back from the store
    same = set(body) - {"created", "duplicate", "progress"}
    assert {k: body[k] for k in same} == {k: again.get_json()[k] for k in same}
    assert counts(city["session"]) == (1, 1)
    # a second report nearby is linked as a duplicate
    dup = _post(client, {**ON_ROAD, "lon": 111.1402})
    assert dup.status_code == 201 and dup.get_json()["duplicate_of"] == body["id"]
    # the commanders' case list marks it, and shows deadlines to the minute in local time
    page = client.get("/heatmap/cases").get_data(as_text=True)
    assert f"重复，原案 #{body['id']}" in page
    local = body["deadline"][:16].replace("T", " ")  # e.g. 2026-12-02 16:18
    assert f"<td>{local} (UTC+08:00)</td>" in page and body["deadline"] not in page
    assert f"duplicate of #{body['id']}" in client.get("/heatmap/cases?lang=en").get_data(as_text=True)


def test_compound_and_gcj02_and_public_reports(city) -> None:
    client = city["client"]
    lon, lat = COMPOUND_POINT
    body = _post(client, {"lon": lon, "lat": lat, "category": "0507", "source": "public"}).get_json()
    assert body["responsible"]["unit_id"] == city["ids"]["b"] and body["rule"] == "compound"
    assert body["status"] == "pending" and body["deadline"] is None
    gcj = _post(client, {"lon": 111.14 + 0.0063, "lat": LAT + 0.0007, "crs": "gcj02", "category": "0104"}).get_json()
    assert gcj["rule"] == "segment", gcj
    case = client.get(f"/api/v1/cases/{gcj['id']}").get_json()
    assert abs(case["lon"] - 111.14) < 0.001 and abs(case["lat"] - LAT) < 0.0005
    assert case["community_id"] == city["ids"]["community"]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"lat": LAT, "category": "0102"}, "lon"),
        ({"lon": "east", "lat": LAT, "category": "0102"}, "not a number"),
        ({"lon": 111.14, "lat": 95, "category": "0102"}, "outside"),
        ({"lon": LAT, "lat": 111.14, "category": "0102"}, "swapped"),
        ({"lon": FAR_POINT[0], "lat": FAR_POINT[1], "category": "0102"}, "outside the managed area"),
        ({**ON_ROAD, "category": "7777"}, "unknown category"),
        ({**ON_ROAD, "observed_at": "last week"}, "ISO-8601"),
    ],
)
def test_bad_reports_are_4xx_and_store_nothing(city, body, needle) -> None:
    before = counts(city["session"])
    resp = _post(city["client"], body)
    assert resp.status_code == 400, resp.get_json()
    text = json.dumps(resp.get_json(), ensure_ascii=False)
    assert needle in text, text
    city["session"].rollback()
    assert counts(city["session"]) == before


def test_not_json_is_a_clear_400(city) -> None:
    resp = city["client"].post("/api/v1/reports", data="lon=1", content_type="text/plain")
    assert resp.status_code == 400 and "JSON object" in resp.get_json()["error"]
    resp = city["client"].post("/api/v1/reports", data="[1, 2]", content_type="application/json")
    assert resp.status_code == 400


def test_multipart_report_with_photo(city) -> None:
    data = {**{k: str(v) for k, v in ON_ROAD.items()}, "photos": (io.BytesIO(PNG), "before.png")}
    resp = city["client"].post("/api/v1/reports", data=data, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    case = city["client"].get(f"/api/v1/cases/{resp.get_json()['id']}").get_json()
    url = case["events"][0]["photos"][0]["url"]
    img = city["client"].get(url)
    assert img.status_code == 200 and img.data == PNG and img.mimetype == "image/png"
    assert city["client"].get("/api/v1/photos/../../etc/passwd").status_code == 404
    assert city["client"].get("/api/v1/photos/" + "0" * 64 + ".jpg").status_code == 404


def _step(client: FlaskClient, case_id: int, **body):
    return client.post(f"/api/v1/cases/{case_id}/events", json=body)


def test_the_loop_over_http(city) -> None:
    client = city["client"]
    case_id = _post(client, ON_ROAD).get_json()["id"]
    case = client.get(f"/api/v1/cases/{case_id}").get_json()
    assert case["allowed_actions"] == ["dispatch", "park", "supervise", "void"]
    assert case["progress"]["light"] in ("green", "yellow", "red")
    r = _step(client, case_id, action="dispatch", version=1, actor="指挥长")
    assert r.status_code == 201 and r.get_json()["status"] == "dispatched"
    # the same version again: somebody else already acted → 409, and the message says where the case is
    stale = _step(client, case_id, action="dispatch", version=1)
    assert stale.status_code == 409 and "version 2" in stale.get_json()["error"]
    illegal = _step(client, case_id, action="recheck_pass", version=2)
    assert illegal.status_code == 409
    assert "it is dispatched" in illegal.get_json()["error"] and "accept" in illegal.get_json()["error"]
    # a zh-CN reader is told the same in Chinese: where the case is and what may be done now
    assert "在您读取后已被修改" in stale.get_json()["message"]
    assert "已派遣" in illegal.get_json()["message"] and "不能" in illegal.get_json()["message"], illegal.get_json()
    assert not re.search("[A-Za-z]{3,}", illegal.get_json()["message"]), illegal.get_json()["message"]
    assert _step(client, case_id, action="accept", version=2).status_code == 201
    # report back with a photo (multipart), then a photo that is not an image and one that is too big
    form = {"action": "report_back", "version": "3", "note": "已清理", "photos": (io.BytesIO(JPEG), "after.jpg")}
    r = client.post(f"/api/v1/cases/{case_id}/events", data=form, content_type="multipart/form-data")
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["events"][-1]["photos"][0]["type"] == "image/jpeg"
    before = counts(city["session"])
    for payload, needle in ((GIF, "not a JPEG"), (b"\xff\xd8\xff" + b"0" * 2000, "over the limit")):
        form = {"action": "recheck_pass", "version": "4", "photos": (io.BytesIO(payload), "x.jpg")}
        bad = client.post(f"/api/v1/cases/{case_id}/events", data=form, content_type="multipart/form-data")
        assert bad.status_code == 400 and needle in json.dumps(bad.get_json()), bad.get_json()
    city["session"].rollback()
    assert counts(city["session"]) == before
    done = _step(client, case_id, action="recheck_pass", version=4, actor="核查员")
    assert done.status_code == 201 and done.get_json()["status"] == "closed"
    assert [e["action"] for e in done.get_json()["events"]] == [
        "report", "dispatch", "accept", "report_back", "recheck_pass",
    ]  # fmt: skip
    assert _step(client, 999999, action="accept", version=1).status_code == 404
    missing = _step(client, case_id, action="fly")
    assert missing.status_code == 400 and {"action", "version"} <= {
        d.split("'")[1] for d in missing.get_json()["details"] if "'" in d
    }


def test_list_cases_over_http(city) -> None:
    client = city["client"]
    a = _post(client, ON_ROAD).get_json()["id"]
    lon, lat = COMPOUND_POINT
    b = _post(client, {"lon": lon, "lat": lat, "category": "0507"}).get_json()["id"]
    body = client.get("/api/v1/cases?per_page=1").get_json()
    assert body["total"] == 2 and [i["id"] for i in body["items"]] == [b]
    ids = lambda q: [i["id"] for i in client.get("/api/v1/cases?" + q).get_json()["items"]]  # noqa: E731
    assert ids(f"unit={city['ids']['a']}") == [a]
    assert ids("unit=U-B") == [b]
    assert ids("community=141102001001") == [b, a]
    assert ids("street=141102001&category=05") == [b]
    assert ids("overdue=true") == []
    assert ids("status=closed") == []
    bad = client.get("/api/v1/cases?status=nope&page=0&overdue=maybe")
    assert bad.status_code == 400 and len(bad.get_json()["details"]) == 3
    assert any("'nope' is not active, all or one of" in d for d in bad.get_json()["details"])  # what it accepts


def test_categories_are_listed_and_editable(city) -> None:
    client = client_as(city["app"], "admin")
    events = client.get("/api/v1/categories?family=event").get_json()
    codes = {c["code"] for c in events}
    assert {"01", "0102", "0511", "04", "0401"} <= codes
    manhole = client.get("/api/v1/categories/BJ0101").get_json()
    assert manhole["deadline"] == {"amount": 2, "unit": "urgent_hours"} and manhole["name_zh"] == "井盖"
    inspection = client.get("/api/v1/categories?family=inspection").get_json()
    assert any(c["name_zh"] == "门前卫生" for c in inspection)
    # a city changes a deadline and adds its own sub-class
    r = client.post("/api/v1/categories", json={"code": "0102", "deadline": {"amount": 2, "unit": "work_hours"}})
    assert r.status_code == 200 and r.get_json()["deadline"] == {"amount": 2, "unit": "work_hours"}
    r = client.post(
        "/api/v1/categories",
        json={"code": "0512", "name_zh": "占道洗车", "deadline": {"amount": 4, "unit": "work_hours"}},
    )
    assert r.status_code == 201 and r.get_json()["family"] == "event" and r.get_json()["parent_code"] == "05"
    assert _post(city["client"], {**ON_ROAD, "category": "0512"}).status_code == 201  # a commander reports
    # categories are the administrator's: a commander may read them, not change them
    refused = city["client"].post(
        "/api/v1/categories", json={"code": "0102", "deadline": {"amount": 999, "unit": "work_days"}}
    )
    assert refused.status_code == 403 and client.get("/api/v1/categories/0102").get_json()["deadline"]["amount"] == 2
    for bad in (
        {"code": "1"},
        {"code": "0812", "name_zh": "x", "deadline": {"amount": 1, "unit": "work_hours"}},  # no class 08
        {"code": "0513", "name_zh": "x"},  # a sub-class needs a deadline
        {"code": "0514", "name_zh": "x", "deadline": {"amount": -1, "unit": "fortnights"}},
    ):
        resp = client.post("/api/v1/categories", json=bad)
        assert resp.status_code == 400, (bad, resp.get_json())
    assert client.post("/api/v1/categories", json={"code": "0511", "active": False}).status_code == 200
    resp = _post(city["client"], {**ON_ROAD, "category": "0511"})
    assert resp.status_code == 400 and "no longer in use" in resp.get_json()["error"]
    assert client.get("/api/v1/categories/0999").status_code == 404


def test_holidays_api(city) -> None:
    client = client_as(city["app"], "admin")
    days = client.get("/api/v1/holidays?year=2026").get_json()
    assert {"day": "2026-10-10", "is_workday": True, "name": "国庆节调休上班"} in days
    assert sum(1 for d in days if not d["is_workday"]) == 33
    r = client.post("/api/v1/holidays", json={"day": "2026-12-31", "is_workday": False, "name": "本地假日"})
    assert r.status_code == 200
    assert client.post("/api/v1/holidays", json={"day": "31/12", "is_workday": "yes"}).status_code == 400


def test_a_body_larger_than_every_allowed_photo_is_refused_before_it_is_read(city) -> None:
    """photo_max_bytes 1000 × 3 photos + 1 MiB of form: a 2 MiB upload is a 413 and stores nothing (Flask's
    MAX_CONTENT_LENGTH is None by default, so a setdefault never set the limit)."""
    before = counts(city["session"])
    big = io.BytesIO(b"\xff\xd8\xff" + b"\0" * (2 * 2**20))
    fields = {k: str(v) for k, v in ON_ROAD.items()}
    resp = city["client"].post("/api/v1/reports", data={**fields, "photos": (big, "big.jpg")})
    assert resp.status_code == 413 and resp.get_json()["status"] == 413
    assert counts(city["session"]) == before
