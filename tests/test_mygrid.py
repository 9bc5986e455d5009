"""我的网格 (/mygrid) on both databases: a grid worker sees the features assigned to their person (else their 社区's
grids), the open cases there and the re-checks waiting, and passes a re-check with a photo from it."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image
from sqlalchemy.orm import Session

from gridmap.cases import open_report, transition
from gridmap.config import Settings
from gridmap.store.models import Assignment, Person
from gridmap.web import create_app
from tests.accounts import TESTER, client_as
from tests.case_helpers import COMPOUND_POINT, LAT, LON, build_city, case_settings, report


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture
def city(settings: Settings, session: Session, tmp_path):
    ids = build_city(session)
    person = Person(code="P1", name="网格员甲", unit_id=ids["c"])
    session.add(person)
    session.flush()
    session.add(Assignment(target_kind="segment", target_id=ids["segment"], person_id=person.id, role="grid_worker",
                           valid_from=dt.date(2025, 1, 1), assigned_at=dt.datetime.now(dt.UTC)))  # fmt: skip
    s = case_settings(settings, tmp_path)
    near = open_report(session, report(client_id="near", observed_at=None), s, actor=TESTER)
    lon, lat = COMPOUND_POINT  # 1.4 km from my road
    far = open_report(session, report(client_id="far", lon=lon, lat=lat, observed_at=None), s, actor=TESTER)
    c = near
    for action in ("dispatch", "accept", "report_back"):
        c = transition(session, c["id"], action, s, version=c["version"], actor=TESTER)
    session.commit()
    app = create_app(s)
    return {"app": app, "session": session, "ids": ids, "back": c, "far": far}


def test_a_grid_worker_sees_their_features_cases_and_rechecks(city) -> None:
    worker = client_as(city["app"], "grid_worker", person="P1", scope="141102001001")
    data = worker.get("/mygrid/data.json").get_json()
    assert data["basis"] == "person"
    assert [(f["properties"]["kind"], f["properties"]["name"]) for f in data["features"]["features"]] == [
        ("segment", "和平街")
    ]
    assert [c["id"] for c in data["cases"]] == [city["back"]["id"]]  # the far case is not on my road
    assert data["recheck"]["count"] == 1 and data["recheck"]["items"][0]["id"] == city["back"]["id"]
    # pass the re-check with a photo, as the page does
    case = data["recheck"]["items"][0]
    form = {"action": "recheck_pass", "version": str(case["version"]), "note": "已清理干净",
            "photos": [(io.BytesIO(jpeg()), "after.jpg")]}  # fmt: skip
    resp = worker.post(f"/api/v1/cases/{case['id']}/events", data=form, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["status"] == "closed"
    again = worker.get("/mygrid/data.json").get_json()
    assert again["recheck"]["count"] == 0 and again["cases"] == []


def test_without_assignments_the_scope_grids_and_nothing_for_no_scope(city) -> None:
    worker = client_as(city["app"], "grid_worker", scope="141102001001")
    data = worker.get("/mygrid/data.json").get_json()
    assert data["basis"] == "scope" and [g["code"] for g in data["grids"]] == ["14110200100101"]
    assert data["grid_here"] is None  # no position given
    here = worker.get(f"/mygrid/data.json?lon={LON}&lat={LAT}").get_json()
    assert here["grid_here"] == "14110200100101"  # the quick report's grid: where I stand
    for query, zh, en in (
        ("lon=east&lat=1", "“lon”：须为数字", "'east' is not a number"),
        ("lon=500&lat=37", "经度 500.0 超出", "longitude 500.0 is outside"),
        ("lon=37&lat=111", "经纬度似乎填反了", "lat and lon look swapped"),
        ("lon=111", "“lat”：必填", "is required"),
    ):
        bad = worker.get(f"/mygrid/data.json?{query}", headers={"Accept": "application/json"})
        assert bad.status_code == 400 and zh in bad.get_json()["message"], bad.get_json()  # zh-CN by default
        bad_en = worker.get(f"/mygrid/data.json?{query}&lang=en", headers={"Accept": "application/json"})
        assert bad_en.status_code == 400 and en in bad_en.get_json()["message"], bad_en.get_json()
    assert {c["id"] for c in data["cases"]} == {city["back"]["id"], city["far"]["id"]}  # the grid holds both
    inspector = client_as(city["app"], "inspector")
    none = inspector.get("/mygrid/data.json").get_json()
    assert none["basis"] == "none" and none["features"]["features"] == [] and none["cases"] == []


def test_the_page_is_chinese_and_scriptless(city) -> None:
    page = client_as(city["app"], "grid_worker", person="P1").get("/mygrid").get_data(as_text=True)
    assert "我的网格" in page and "待核查" in page and "快速上报" in page
    assert "<script>" not in page and "js/pages/mygrid.js" in page
