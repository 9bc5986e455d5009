"""The public's 随手拍 door (POST /report, /report/places.json, the page) on both databases: a report opens one
case however often the phone retries it, GCJ-02 is converted, BD-09 and bad input are refused in Chinese with nothing
written, and the answer is a receipt code with its /track link."""

from __future__ import annotations

import io
import re
import uuid

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmap.config import Settings
from gridmap.geo.crs import wgs84_to_gcj02
from gridmap.store.models import Case, CaseEvent
from gridmap.web import create_app
from tests.case_helpers import LAT, LON, build_city, case_settings, counts


def jpeg(size: tuple[int, int] = (64, 48)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (120, 160, 90)).save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture
def city(settings: Settings, session: Session, tmp_path):
    build_city(session)
    session.commit()
    app = create_app(case_settings(settings, tmp_path))
    return {"client": app.test_client(), "session": session}


def form(**kw: object) -> dict[str, object]:
    body: dict[str, object] = {
        "lon": str(LON),
        "lat": str(LAT),
        "crs": "wgs84",
        "accuracy": "8",
        "category": "0102",
        "description": "路边有暴露垃圾",
        "client_id": str(uuid.uuid4()),
    }
    body.update(kw)
    return {k: v for k, v in body.items() if v is not None}


def test_a_report_opens_one_case_however_often_it_is_sent(city) -> None:
    client, session = city["client"], city["session"]
    body = form(photos=[(io.BytesIO(jpeg()), "a.jpg")])
    first = client.post("/report", data=body, content_type="multipart/form-data")
    assert first.status_code == 201, first.get_json()
    answer = first.get_json()
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{10}", answer["receipt"])
    assert answer["track_url"] == f"/track?code={answer['receipt']}"
    assert answer["created"] is True and answer["receipt"] in answer["message"]
    assert "张" not in str(answer) and "reporter" not in answer  # nothing about people
    before = counts(session)
    again = client.post("/report", data={**form(client_id=body["client_id"])}, content_type="multipart/form-data")
    assert again.status_code == 200
    assert again.get_json()["receipt"] == answer["receipt"] and again.get_json()["created"] is False
    assert counts(session) == before  # no second case, no second event
    case = session.scalars(select(Case).where(Case.client_id == body["client_id"])).one()
    assert case.source == "public" and case.status == "pending"
    event = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).one()
    assert event.photos and event.photos[0]["type"] == "image/jpeg"
    assert event.data["accuracy_m"] == 8.0 and event.actor == "public"
    # the receipt opens the public's tracking page
    assert client.get(answer["track_url"]).status_code == 200


def test_json_reports_too(city) -> None:
    resp = city["client"].post("/report", json=form(accuracy=None))
    assert resp.status_code == 201 and resp.get_json()["receipt"]


def test_gcj02_is_converted_to_wgs84(city) -> None:
    glon, glat = (float(v) for v in wgs84_to_gcj02(LON, LAT))
    assert abs(glon - LON) > 1e-3  # the offset is hundreds of metres
    body = form(lon=f"{glon:.8f}", lat=f"{glat:.8f}", crs="gcj02")
    assert city["client"].post("/report", data=body).status_code == 201
    case = city["session"].scalars(select(Case).where(Case.client_id == body["client_id"])).one()
    assert abs(case.lon - LON) < 1e-6 and abs(case.lat - LAT) < 1e-6


def test_bd09_is_refused_in_chinese(city) -> None:
    before = counts(city["session"])
    resp = city["client"].post("/report", data=form(crs="bd09ll"))
    assert resp.status_code == 400
    assert "不接受百度地图坐标（BD-09）" in resp.get_json()["error"]
    assert counts(city["session"]) == before
    english = city["client"].post("/report?lang=en", data=form(crs="bd09"))
    assert "Baidu (BD-09) coordinates are not accepted" in english.get_json()["error"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"lon": "abc"}, "位置无效"),
        ({"lat": "137.5"}, "位置无效"),
        ({"category": "9999"}, "请选择有效的问题类别"),
        ({"category": None}, "请选择有效的问题类别"),
        ({"crs": "utm"}, "坐标系不支持"),
        ({"client_id": None}, "上报编号"),
        ({"description": "长" * 5000}, "问题描述过长"),
        ({"photos": [(b"GIF89a" + b"\0" * 40, "x.gif")]}, "照片无效"),
        ({"photos": [(jpeg(), f"{i}.jpg") for i in range(4)]}, "照片无效"),
    ],
)
def test_bad_reports_are_refused_in_chinese_and_nothing_is_written(city, change, message) -> None:
    before = counts(city["session"])
    if "photos" in change:  # a fresh stream for each run
        change = {"photos": [(io.BytesIO(data), name) for data, name in change["photos"]]}
    resp = city["client"].post("/report", data=form(**change), content_type="multipart/form-data")
    assert resp.status_code == 400
    body = resp.get_json()
    assert message in body["error"], body
    assert not re.search(r"[A-Za-z]{4,}", body["error"].replace("JPEG", "").replace("PNG", "").replace("WebP", ""))
    assert counts(city["session"]) == before


def test_places_give_communities_and_named_roads_only(city) -> None:
    resp = city["client"].get("/report/places.json")
    assert resp.status_code == 200
    features = resp.get_json()["features"]
    kinds = {f["properties"]["kind"] for f in features}
    assert kinds == {"community", "road"}
    assert any(f["properties"]["name"] == "龙凤社区" for f in features)
    assert all(set(f["properties"]) == {"kind", "name"} for f in features)  # no units, no people


def test_the_page_is_chinese_with_no_inline_script(city) -> None:
    page = city["client"].get("/report").get_data(as_text=True)
    assert "随手拍" in page and "提交上报" in page and "使用我的位置" in page
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    for attrs, _text in scripts:
        assert "src=" in attrs or 'type="application/json"' in attrs, attrs  # no code in the page (CSP)
    assert "js/pages/report.js" in page and "/vendor/exifr/" in page
    assert '"code": "0102"' in page or '"code":"0102"' in page  # the category tree is there
    english = city["client"].get("/report?lang=en").get_data(as_text=True)
    assert "Report a problem" in english and "Use my position" in english


def test_pwa_files(city) -> None:
    client = city["client"]
    manifest = client.get("/report.webmanifest")
    assert manifest.status_code == 200 and manifest.mimetype == "application/manifest+json"
    assert manifest.get_json()["start_url"] == "/report"
    sw = client.get("/report-sw.js")
    assert sw.status_code == 200 and sw.headers["Service-Worker-Allowed"] == "/"
    assert "workbox-sw" in sw.get_data(as_text=True)
    for url in ("/vendor/workbox-sw/workbox-sw.js", "/vendor/workbox-routing/workbox-routing.prod.js",
                "/vendor/workbox-strategies/workbox-strategies.prod.js", "/vendor/workbox-core/workbox-core.prod.js",
                "/vendor/idb-keyval/umd.js", "/vendor/exifr/lite.umd.js"):  # fmt: skip
        assert client.get(url).status_code == 200, url
