"""Hostile and broken input (issue 11): every answer a clear 4xx in the user's language, never a 500, data unchanged.

Request bodies over the limit are refused from their Content-Length before they are read (413); JSON nested deeper
than the limit is refused before it is parsed; ids beyond the databases' INTEGER range are "not found"; NUL bytes
anywhere a client can put text are refused naming where; 404/405/413 speak zh-CN (English on request) and 405 says
what is allowed.
"""

from __future__ import annotations

import io
import json

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmap.config import Settings
from gridmap.store.models import Holiday
from gridmap.web import create_app
from gridmap.web.guards import MAX_JSON_DEPTH, max_body_bytes
from tests.accounts import client_as
from tests.case_helpers import LAT, LON, build_city, case_settings, counts, report

HUGE = 2**63  # beyond SQLite's INTEGER (and far beyond PostGIS's 2^31)

JSON_POSTS = [
    "/api/v1/reports",
    "/api/v1/cases/1/events",
    "/api/v1/categories",
    "/api/v1/holidays",
    "/api/v1/snap",
    "/api/v1/assignments",
    "/api/v1/assignments/preview",
    "/api/v1/assignments/1/end",
]

BIG_IDS = [
    f"/api/v1/cases/{HUGE}",
    f"/api/v1/cases/{2**31}",
    f"/api/v1/units/{HUGE}",
    f"/api/v1/units/{2**31}",
    f"/api/v1/features/segment/{HUGE}",
    f"/api/v1/features/segment/{2**31}/history",
    f"/features/segment/{HUGE}/history",
    f"/units/{2**31}",
    f"/ogc/collections/segments/items/{HUGE}",
    f"/ogc/collections/segments/items/{2**31}",
    f"/ogc/collections/segments/items/-{HUGE}",
    f"/open311/v2/requests/{HUGE}.json",
    f"/open311/v2/requests/{2**31}.json",
    f"/open311/v2/requests/{2**31}.xml",
]


OPEN311 = {"service_code": "0102", "lat": str(LAT), "long": str(LON), "description": "路边有暴露垃圾"}


@pytest.fixture
def city(settings: Settings, session: Session, tmp_path) -> dict[str, object]:
    ids = build_city(session)
    session.commit()
    app = create_app(case_settings(settings, tmp_path))
    return {"app": app, "ids": ids, "session": session, "boss": client_as(app, "commander"),
            "admin": client_as(app, "admin")}  # fmt: skip


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


# -- size ------------------------------------------------------------------------------------------------------------


def test_limit_is_in_force_and_from_the_environment(monkeypatch, settings: Settings, tmp_path) -> None:
    app = create_app(case_settings(settings, tmp_path))
    assert app.config["MAX_CONTENT_LENGTH"] == 46 * 2**20 == max_body_bytes(app)
    monkeypatch.setenv("GRIDMAP_MAX_BODY_MB", "2")
    assert create_app(Settings.from_env(database_url=settings.database_url)).config["MAX_CONTENT_LENGTH"] == 2 * 2**20


@pytest.mark.parametrize("path", [*JSON_POSTS, "/open311/v2/requests.json", "/login", "/admin/accounts"])
def test_a_huge_body_is_refused_unread(city, path: str) -> None:
    """A client announcing 300 MB is answered 413 from the header: the body (a few bytes here) is never read."""
    body = io.BytesIO(b'{"a": 1}')
    resp = city["boss"].post(
        path,
        input_stream=body,
        content_type="application/json",
        environ_overrides={"CONTENT_LENGTH": str(300 * 2**20)},  # the test client would count the real bytes
    )
    assert resp.status_code == 413, resp.get_data(as_text=True)[:300]
    assert body.tell() == 0, "not one byte of the body was read"
    if path.startswith(("/api/", "/open311/")):
        text = json.dumps(resp.get_json(), ensure_ascii=False)
        assert "过大" in text, text


def test_over_the_limit_by_a_byte(city) -> None:
    app: Flask = city["app"]
    limit = max_body_bytes(app)
    before = counts(city["session"])
    resp = city["boss"].post(
        "/api/v1/reports", data={"lon": str(LON), "lat": str(LAT), "category": "0102", "x": "a" * (limit + 1)}
    )
    assert resp.status_code == 413
    assert (
        "too large"
        in city["boss"]
        .post("/api/v1/reports?lang=en", data=b"x" * (limit + 1), content_type="application/json")
        .get_json()["error"]
    )
    assert counts(city["session"]) == before


def test_waitress_gets_the_same_limit(settings: Settings, tmp_path) -> None:
    """``gridmap serve``'s waitress refuses a body over the limit itself: 413 from the headers, nothing buffered."""
    import socket
    import threading

    from gridmap.cli.serve import make_server

    app = create_app(case_settings(settings, tmp_path))
    server = make_server(app, host="127.0.0.1", port=0, threads=1)
    assert server.adj.max_request_body_size == max_body_bytes(app)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        with socket.create_connection(("127.0.0.1", server.effective_port), timeout=10) as conn:
            conn.sendall(
                b"POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n{" % (300 * 2**20)
            )
            head = conn.recv(200)
        assert head.startswith(b"HTTP/1.1 413"), head
    finally:
        server.task_dispatcher.shutdown()
        server.close()
        thread.join(5)


# -- JSON depth ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", JSON_POSTS)
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1000, 100_000])
def test_deep_json_is_refused(city, path: str, depth: int) -> None:
    before = counts(city["session"])
    resp = city["boss"].post(path, data=_deep(depth), content_type="application/json")
    assert resp.status_code == 400, resp.get_data(as_text=True)[:300]
    assert "嵌套" in json.dumps(resp.get_json(), ensure_ascii=False)
    assert counts(city["session"]) == before


def test_deep_json_inside_strings_and_at_the_limit_is_fine(city) -> None:
    """Brackets inside strings are text, not nesting; the limit itself is accepted (the handler then judges it)."""
    deep_text = report(description="[" * 500 + "{" * 500)
    resp = city["boss"].post("/api/v1/reports", json=deep_text)
    assert resp.status_code == 201, resp.get_data(as_text=True)[:300]
    resp = city["boss"].post("/api/v1/snap", data=_deep(MAX_JSON_DEPTH), content_type="application/json")
    assert resp.status_code == 400
    assert "嵌套" not in json.dumps(resp.get_json(), ensure_ascii=False)


# -- ids out of range ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", BIG_IDS)
def test_ids_beyond_the_integer_range_are_not_found(city, path: str) -> None:
    resp = city["boss"].get(path)
    assert resp.status_code == 404, resp.get_data(as_text=True)[:300]


@pytest.mark.parametrize("path", [f"/api/v1/cases/{HUGE}/events", f"/api/v1/assignments/{HUGE}/end"])
def test_posts_to_ids_beyond_the_range_are_not_found(city, path: str) -> None:
    before = counts(city["session"])
    assert city["boss"].post(path, json={"action": "accept"}).status_code == 404
    assert counts(city["session"]) == before


# -- NUL bytes -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "where"),
    [
        ("get", "/api/v1/search?q=a%00b", {}, "q"),
        ("get", "/api/v1/cases?status=open%00", {}, "status"),
        ("get", "/api/v1/categories/01%0002", {}, "path"),
        ("get", "/ogc/collections/segments/items?name=%00", {}, "name"),
        ("get", "/open311/v2/requests.json?status=open%00", {}, "status"),
        ("get", "/track?code=AB%00CD", {}, "code"),
        ("post", "/api/v1/reports", {"json": report(description="垃圾\u0000")}, "JSON"),
        ("post", "/api/v1/reports", {"data": {**report(), "description": "a\x00b"}}, "description"),
        ("post", "/api/v1/holidays", {"json": {"day": "2026-05-01", "is_workday": False, "name": "劳动\u0000节"}}, ""),
        ("post", "/open311/v2/requests.json", {"data": {**OPEN311, "description": "x\x00"}}, "description"),
    ],
)
def test_nul_bytes_are_refused_naming_where(city, method: str, path: str, kwargs: dict, where: str) -> None:
    before = counts(city["session"])
    client = city["admin"] if "holidays" in path else city["boss"]
    resp = getattr(client, method)(path, **kwargs)
    assert resp.status_code == 400, resp.get_data(as_text=True)[:300]
    text = resp.get_data(as_text=True)
    assert "NUL" in text and where in text, text[:300]
    assert counts(city["session"]) == before


def test_nul_in_a_photo_file_name_is_refused(city) -> None:
    from tests.case_helpers import JPEG

    resp = city["boss"].post(
        "/api/v1/reports",
        data={**{k: str(v) for k, v in report().items()}, "photos": (io.BytesIO(JPEG), "a\x00.jpg")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 400, resp.get_data(as_text=True)[:300]
    assert "NUL" in resp.get_data(as_text=True)


def test_nul_escaped_twice_is_ordinary_text(city) -> None:
    """``\\\\u0000`` in JSON is a backslash followed by 'u0000', not a NUL: accepted."""
    resp = city["boss"].post("/api/v1/reports", data=json.dumps(report(description="路边\\u0000")),
                             content_type="application/json")  # fmt: skip
    assert resp.status_code == 201, resp.get_data(as_text=True)[:300]


# -- values at the edges ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "observed_at",
    [
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59+00:00",
        "0001-01-01T00:00:00Z",
        "9999-12-31",
        "0001-01-01",
    ],
)
def test_snap_at_the_calendar_limits(city, observed_at: str) -> None:
    resp = city["boss"].get("/api/v1/snap", query_string={"lon": LON, "lat": LAT, "observed_at": observed_at})
    assert resp.status_code in (200, 400), resp.get_data(as_text=True)[:300]
    resp = city["boss"].post("/api/v1/snap", json={"points": [{"lon": LON, "lat": LAT, "observed_at": observed_at}]})
    assert resp.status_code in (200, 400), resp.get_data(as_text=True)[:300]


@pytest.mark.parametrize("name", [{}, [], 5, True, ["国庆"], {"zh": "国庆"}])
def test_holiday_name_must_be_text(city, name: object) -> None:
    session: Session = city["session"]
    before = session.scalar(select(func.count()).select_from(Holiday))
    resp = city["admin"].post("/api/v1/holidays", json={"day": "2026-10-09", "is_workday": False, "name": name})
    assert resp.status_code == 400, resp.get_data(as_text=True)[:300]
    assert "name" in resp.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Holiday)) == before


@pytest.mark.parametrize("at", ["2000-01-01", "0001-01-01", "1970-01-01", "9999-12-31"])
def test_gaps_on_any_day(city, at: str) -> None:
    for path in ("/api/v1/gaps", "/api/v1/gaps/summary", "/gaps"):
        resp = city["boss"].get(path, query_string={"at": at})
        assert resp.status_code in (200, 400), (path, resp.get_data(as_text=True)[:300])


# -- 404 / 405 / 413 in the user's language --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/nothing-here", "/ogc/nothing"])
def test_not_found_in_both_languages(city, path: str) -> None:
    zh = city["boss"].get(path)
    en = city["boss"].get(path + "?lang=en")
    assert zh.status_code == en.status_code == 404
    assert "不存在" in zh.get_data(as_text=True)
    assert "not found" in en.get_data(as_text=True).lower()


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/v1/health", {"GET"}),
        ("/api/v1/cases", {"GET"}),
        ("/api/v1/reports", {"POST"}),
        ("/api/v1/snap", {"GET", "POST"}),
    ],
)
def test_method_not_allowed_says_what_is(city, path: str, allowed: set[str]) -> None:
    resp = city["boss"].delete(path)
    assert resp.status_code == 405
    assert allowed <= {m.strip() for m in resp.headers["Allow"].split(",")}
    assert "不允许" in resp.get_json()["error"]
    assert "not allowed" in city["boss"].delete(path + "?lang=en").get_json()["error"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/vnd.x+json"])
def test_deep_json_under_another_type_is_no_500(city, content_type: str) -> None:
    resp = city["boss"].post("/api/v1/reports", data=_deep(5000), content_type=content_type)
    assert resp.status_code == 400, resp.get_data(as_text=True)[:300]


# -- Open311 ---------------------------------------------------------------------------------------------------------


def _open311_error(resp, status: int) -> str:
    assert resp.status_code == status, resp.get_data(as_text=True)[:300]
    body = resp.get_json()
    assert isinstance(body, list) and len(body) == 1 and body[0]["code"] == status, body
    return body[0]["description"]


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "ftp://example.cn/a.jpg", "http://",
     "//example.cn/a.jpg", "http://exa mple.cn/a.jpg", "https://example.cn/\x7f", "https://e.cn/" + "a" * 2001],
)  # fmt: skip
def test_open311_media_url_must_be_http(city, url: str) -> None:
    before = counts(city["session"])
    resp = city["app"].test_client().post("/open311/v2/requests.json", data={**OPEN311, "media_url": url})
    assert "media_url" in _open311_error(resp, 400)
    assert counts(city["session"]) == before


@pytest.mark.parametrize("url", ["http://photos.example.cn/1.jpg", "HTTPS://photos.example.cn/a?b=1#c"])
def test_open311_media_url_http_is_taken(city, url: str) -> None:
    resp = city["app"].test_client().post("/open311/v2/requests.json", data={**OPEN311, "media_url": url})
    assert resp.status_code == 201, resp.get_data(as_text=True)[:300]


def test_open311_api_key_in_the_query_string(settings: Settings, session: Session, tmp_path) -> None:
    build_city(session)
    session.commit()
    keyed = create_app(case_settings(settings, tmp_path, open311_api_key="s3cret")).test_client()
    assert keyed.post("/open311/v2/requests.json?api_key=s3cret", data=OPEN311).status_code == 201
    assert keyed.post("/open311/v2/requests.json?api_key=wrong", data=OPEN311).status_code == 403
    assert keyed.post("/open311/v2/requests.json", data=OPEN311).status_code == 403
    assert (
        keyed.post("/open311/v2/requests.json?api_key=wrong", data={**OPEN311, "api_key": "s3cret"}).status_code == 201
    )


@pytest.mark.parametrize(
    "path", ["/open311/v2/nothing.json", "/open311/v2/requests/12/extra.json", "/open311/nothing", "/open311/v2/"]
)
def test_open311_not_found_in_its_format(city, path: str) -> None:
    assert "不存在" in _open311_error(city["app"].test_client().get(path), 404)
    assert "not found" in _open311_error(city["app"].test_client().get(path + "?lang=en"), 404).lower()


def test_open311_not_found_in_xml(city) -> None:
    resp = city["app"].test_client().get("/open311/v2/nothing.xml")
    assert resp.status_code == 404 and resp.mimetype == "text/xml"
    assert b"<errors><error><code>404</code>" in resp.data


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [("delete", "/open311/v2/requests.json", {"GET", "POST"}), ("put", "/open311/v2/services.json", {"GET"}),
     ("post", "/open311/v2/discovery.json", {"GET"}), ("patch", "/open311/v2/requests/1.json", {"GET"})],
)  # fmt: skip
def test_open311_method_not_allowed_in_its_format(city, method: str, path: str, allowed: set[str]) -> None:
    resp = getattr(city["app"].test_client(), method)(path)
    assert "不允许" in _open311_error(resp, 405)
    assert allowed <= {m.strip() for m in resp.headers["Allow"].split(",")}


# -- the public rate limit -------------------------------------------------------------------------------------------


def _limited(settings: Settings, session: Session, tmp_path, rate: str = "3/minute") -> Flask:
    from dataclasses import replace

    build_city(session)
    session.commit()
    return create_app(replace(case_settings(settings, tmp_path), public_rate=rate))


def test_public_rate_from_the_environment(monkeypatch) -> None:
    assert Settings().public_rate == "10/minute"
    monkeypatch.setenv("GRIDMAP_PUBLIC_RATE", "100/hour")
    assert Settings.from_env().public_rate == "100/hour"


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("post", "/open311/v2/requests.json", {"data": OPEN311}),
        ("post", "/open311/v2/requests.xml", {"data": OPEN311}),
        ("get", "/track?code=ABCDEFGHJK", {}),
        ("get", "/open311/v2/tokens/ABCDEFGHJK.json", {}),
    ],
)
def test_public_endpoints_are_rate_limited(settings, session, tmp_path, method: str, path: str, kwargs) -> None:
    app = _limited(settings, session, tmp_path)
    client = app.test_client()
    env = {"REMOTE_ADDR": "203.0.113.7"}
    answers = [getattr(client, method)(path, environ_base=env, **kwargs).status_code for _ in range(3)]
    assert 429 not in answers and 500 not in answers, answers
    before = counts(session)
    refused = getattr(client, method)(path, environ_base=env, **kwargs)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "请求过于频繁" in refused.get_data(as_text=True)
    assert counts(session) == before, "a refused report is not stored"
    english = getattr(client, method)(path + ("&" if "?" in path else "?") + "lang=en", environ_base=env, **kwargs)
    assert english.status_code == 429 and "too many requests" in english.get_data(as_text=True).lower()
    other = getattr(client, method)(path, environ_base={"REMOTE_ADDR": "203.0.113.8"}, **kwargs)
    assert other.status_code != 429, "another address has its own budget"


def test_one_budget_across_the_public_endpoints(settings, session, tmp_path) -> None:
    client = _limited(settings, session, tmp_path).test_client()
    env = {"REMOTE_ADDR": "198.51.100.1"}
    assert client.post("/open311/v2/requests.json", data=OPEN311, environ_base=env).status_code == 201
    assert client.get("/track?code=ABCDEFGHJK", environ_base=env).status_code == 404
    assert client.get("/open311/v2/tokens/ABCDEFGHJK.json", environ_base=env).status_code == 404
    assert client.get("/track?code=ABCDEFGHJK", environ_base=env).status_code == 429


def test_what_is_not_limited(settings, session, tmp_path) -> None:
    """The empty look-up form, Open311's reading endpoints and every signed-in route keep working."""
    app = _limited(settings, session, tmp_path, rate="1/minute")
    client = app.test_client()
    boss = client_as(app, "commander")
    for _ in range(3):
        assert client.get("/track").status_code == 200
        assert client.get("/open311/v2/services.json").status_code == 200
        assert client.get("/open311/v2/requests.json").status_code == 200
        assert boss.get("/api/v1/cases").status_code == 200
        assert boss.post("/api/v1/reports", json=report()).status_code in (200, 201)


def test_the_limit_is_applied_by_a_mark() -> None:
    """Another public route gets the same budget by one decorator (below its route decorator)."""
    from gridmap.web.limits import MARK, PublicLimit, public_limit

    @public_limit(methods=("post",))
    def view() -> str:
        return ""

    assert getattr(view, MARK) == PublicLimit(("POST",), None)


def test_accounts_are_not_counted(settings, session, tmp_path) -> None:
    app = _limited(settings, session, tmp_path, rate="1/minute")
    staff = client_as(app, "dispatcher")
    for _ in range(3):
        assert staff.get("/open311/v2/tokens/ABCDEFGHJK.json").status_code == 404
        assert staff.get("/track?code=ABCDEFGHJK").status_code == 404


# -- found by schemathesis (tests/test_schemathesis.py) ----------------------------------------------------------------


@pytest.mark.parametrize("query", ["snap_m=1&snap_m=2", "mode=segments&snap_m=5&snap_m=6"])
def test_heat_with_a_repeated_parameter(city, query: str) -> None:
    resp = city["boss"].get("/api/v1/heat?" + query)
    assert resp.status_code == 400 and "snap_m" in resp.get_data(as_text=True)


@pytest.mark.parametrize(
    ("client_id", "kept"),
    [(7, True), ("p-7", True), (2**70, True), (None, True), (1.5, False), ({"a": 1}, False), ([1], False),
     (True, False), ("x" * 201, False)],
)  # fmt: skip
def test_snap_gives_back_only_ids_it_documents(city, client_id: object, kept: bool) -> None:
    point = {"lon": LON, "lat": LAT, "id": client_id}
    resp = city["boss"].post("/api/v1/snap", json={"points": [point, {"lon": LON, "lat": LAT, "id": "ok"}]})
    assert resp.status_code == 200
    first, second = resp.get_json()["results"]
    assert second["id"] == "ok" and "errors" not in second, "a bad id never hides the other points"
    if kept:
        assert first["id"] == client_id and "errors" not in first
    else:
        assert first["id"] is None and first["errors"][0]["field"] == "id"
