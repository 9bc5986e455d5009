"""The public's 随手拍 door (POST /report, /report/places.json, the page) on both databases: a report opens one
case however often the phone retries it, GCJ-02 is converted, BD-09 and bad input are refused in Chinese with nothing
written, and the answer is a receipt code with its /track link."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
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
from tests.accounts import client_as
from tests.case_helpers import LAT, LON, build_city, case_settings, counts

CITY_TZ = dt.timezone(dt.timedelta(hours=8))


def jpeg(size: tuple[int, int] = (64, 48)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (120, 160, 90)).save(buf, "JPEG")
    return buf.getvalue()


def exif_jpeg(taken: dt.datetime, lon: float, lat: float) -> bytes:
    """A real photo whose EXIF says when (local time, as cameras write it) and where it was taken."""
    img, exif = Image.new("RGB", (64, 48), (200, 120, 60)), Image.Exif()
    exif.get_ifd(0x8769)[36867] = taken.astimezone(CITY_TZ).strftime("%Y:%m:%d %H:%M:%S")
    gps = exif.get_ifd(0x8825)

    def dms(v: float) -> tuple[float, float, float]:
        d, m = int(v), int(v * 60) % 60
        return (float(d), float(m), round((v * 3600) % 60, 4))

    gps[1], gps[2], gps[3], gps[4] = "N", dms(lat), "E", dms(lon)
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    return buf.getvalue()


@pytest.fixture
def city(settings: Settings, session: Session, tmp_path):
    build_city(session)
    session.commit()
    app = create_app(case_settings(settings, tmp_path))
    return {"client": app.test_client(), "session": session, "app": app}


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


def test_a_signed_in_browser_reports_as_the_public(city) -> None:
    """The door uses no account's authority (no CSRF token needed): the report is the public's, with a receipt."""
    staff = client_as(city["app"], "dispatcher")
    body = form()
    resp = staff.post("/report", data=body)
    assert resp.status_code == 201 and resp.get_json()["receipt"]
    case = city["session"].scalars(select(Case).where(Case.client_id == body["client_id"])).one()
    event = city["session"].scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).one()
    assert event.actor == "public" and case.status == "pending"


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
    packed = city["client"].get("/report/places.json", headers={"Accept-Encoding": "gzip, deflate"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(packed.data)) == resp.get_json()


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
    # installable on Android and iOS: PNG icons of 192 and 512 px (drawn by scripts/make_report_icons.py)
    pngs = {i["sizes"]: i["src"] for i in manifest.get_json()["icons"] if i["type"] == "image/png"}
    assert set(pngs) == {"192x192", "512x512"}, manifest.get_json()["icons"]
    for sizes, src in pngs.items():
        resp = client.get(src)
        assert resp.status_code == 200 and resp.mimetype == "image/png", src
        with Image.open(io.BytesIO(resp.data)) as img:
            assert f"{img.width}x{img.height}" == sizes and img.mode == "RGBA", src
            cell, centre = (img.width * 6 // 16, img.height * 6 // 16), (img.width // 2, img.height // 2)
            assert img.getpixel(cell) == (200, 16, 46, 255) and img.getpixel(centre) == (255, 255, 255, 255), src
    assert pngs["192x192"] in client.get("/report").get_data(as_text=True)  # iOS's apple-touch-icon
    sw = client.get("/report-sw.js")
    assert sw.status_code == 200 and sw.headers["Service-Worker-Allowed"] == "/"
    assert "workbox-sw" in sw.get_data(as_text=True)
    for url in ("/vendor/workbox-sw/workbox-sw.js", "/vendor/workbox-routing/workbox-routing.prod.js",
                "/vendor/workbox-strategies/workbox-strategies.prod.js", "/vendor/workbox-core/workbox-core.prod.js",
                "/vendor/idb-keyval/umd.js", "/vendor/exifr/lite.umd.js"):  # fmt: skip
        assert client.get(url).status_code == 200, url


def test_photos_taken_far_away_or_long_before_are_flagged_not_refused(city) -> None:
    client, session = city["client"], city["session"]
    now = dt.datetime.now(dt.UTC)
    far_old = exif_jpeg(now - dt.timedelta(days=3), LON + 0.01, LAT)  # ~880 m east, three days old
    near_new = exif_jpeg(now - dt.timedelta(minutes=20), LON + 0.0005, LAT)  # ~44 m, just now
    body = form(photos=[(io.BytesIO(far_old), "old.jpg"), (io.BytesIO(near_new), "new.jpg")])
    resp = client.post("/report", data=body, content_type="multipart/form-data")
    assert resp.status_code == 201  # flagged, never refused
    assert "flags" not in resp.get_json()  # for the verifier, not the reporter
    case = session.scalars(select(Case).where(Case.client_id == body["client_id"])).one()
    kinds = sorted((f["kind"], f["photo"]) for f in case.flags)
    assert kinds == [("photo_far", 1), ("photo_old", 1)]
    far = next(f for f in case.flags if f["kind"] == "photo_far")
    assert 800 < far["distance_m"] < 950 and "第 1 张照片的拍摄位置距上报位置约" in far["zh"]
    # the case data the API returns shows them to the dispatcher who verifies
    staff = client_as(city["app"], "dispatcher")
    shown = staff.get(f"/api/v1/cases/{case.id}").get_json()["flags"]
    assert {f["kind"] for f in shown} == {"photo_far", "photo_old"}
    listed = staff.get("/api/v1/cases?status=pending").get_json()["items"]
    assert next(c for c in listed if c["id"] == case.id)["flags"] == shown


def test_exif_read_on_the_phone_counts_when_the_resized_photo_has_none(city) -> None:
    """The page resizes photos (a canvas drops EXIF) and sends what exifr read as photo_meta."""
    now = dt.datetime.now(dt.UTC)
    meta = [{"taken_at": (now - dt.timedelta(hours=30)).isoformat(), "lon": LON, "lat": LAT},
            {"taken_at": None, "lon": LON, "lat": LAT + 0.003}]  # fmt: skip
    body = form(photo_meta=json.dumps(meta), photos=[(io.BytesIO(jpeg()), "a.jpg"), (io.BytesIO(jpeg()), "b.jpg")])
    assert city["client"].post("/report", data=body, content_type="multipart/form-data").status_code == 201
    case = city["session"].scalars(select(Case).where(Case.client_id == body["client_id"])).one()
    assert sorted((f["kind"], f["photo"]) for f in case.flags) == [("photo_far", 2), ("photo_old", 1)]
    # unreadable metadata is no reason to refuse a report
    body = form(photo_meta="not json", photos=[(io.BytesIO(jpeg()), "c.jpg")])
    assert city["client"].post("/report", data=body, content_type="multipart/form-data").status_code == 201
    city["session"].rollback()  # end the test's read transaction: see the app's new case
    assert city["session"].scalars(select(Case).where(Case.client_id == body["client_id"])).one().flags is None


def test_thresholds_come_from_the_settings(settings: Settings, session: Session, tmp_path) -> None:
    build_city(session)
    session.commit()
    app = create_app(case_settings(settings, tmp_path, photo_far_m=2000.0, photo_old_hours=100.0))
    now = dt.datetime.now(dt.UTC)
    body = form(photos=[(io.BytesIO(exif_jpeg(now - dt.timedelta(days=3), LON + 0.01, LAT)), "p.jpg")])
    assert app.test_client().post("/report", data=body, content_type="multipart/form-data").status_code == 201
    assert session.scalars(select(Case).where(Case.client_id == body["client_id"])).one().flags is None


def test_a_grid_worker_sends_photo_metadata_through_the_api(city) -> None:
    now = dt.datetime.now(dt.UTC)
    worker = client_as(city["app"], "grid_worker")
    body = {"lon": LON, "lat": LAT, "category": "0102", "client_id": "gw-1",
            "photo_meta": [{"taken_at": (now - dt.timedelta(days=2)).isoformat(), "lon": LON, "lat": LAT}]}  # fmt: skip
    resp = worker.post("/api/v1/reports", json=body)
    assert resp.status_code == 201, resp.get_json()
    assert [f["kind"] for f in worker.get(f"/api/v1/cases/{resp.get_json()['id']}").get_json()["flags"]] == [
        "photo_old"
    ]


def test_a_body_over_the_upload_limit_is_refused_in_chinese(settings: Settings, session: Session, tmp_path) -> None:
    build_city(session)
    session.commit()
    client = create_app(case_settings(settings, tmp_path, photo_max_bytes=10_000)).test_client()
    huge = io.BytesIO(b"\xff\xd8\xff" + b"\0" * 1_200_000)  # over 9 photos × 10 kB + 1 MB
    resp = client.post("/report", data=form(photos=[(huge, "big.jpg")]), content_type="multipart/form-data")
    assert resp.status_code == 413 and "照片无效" in resp.get_json()["error"]
    assert counts(session) == (0, 0)
