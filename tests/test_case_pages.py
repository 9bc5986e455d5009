"""The case page (/cases/<id>) rendered on the server, on both databases: who sees which step buttons in which
state (the page asks cases.transitions.steps_open_to), what is redacted for whom (phones, reporters, photos), and the
404/403 pages in the page's language."""

from __future__ import annotations

import io

import pytest
from sqlalchemy.orm import Session

from gridmap.accounts.actor import Actor
from gridmap.cases.transitions import steps_open_to
from gridmap.store.models import Person
from gridmap.web import create_app
from gridmap.web.casework_i18n import CASEWORK
from gridmap.web.i18n import MESSAGES
from tests.accounts import client_as
from tests.case_helpers import LAT, PNG, build_city, case_settings

PHONE = "13912345678"


@pytest.fixture
def city(settings, session: Session, tmp_path):
    ids = build_city(session)
    session.add(Person(name="李路长", phone=PHONE, unit_id=ids["a"]))
    session.commit()
    app = create_app(case_settings(settings, tmp_path))
    dispatcher = client_as(app, "dispatcher")
    form = {"lon": "111.14", "lat": str(LAT + 0.0001), "category": "0102", "reporter": "王大妈",
            "description": "路边垃圾", "photos": (io.BytesIO(PNG), "before.png")}  # fmt: skip
    resp = dispatcher.post("/api/v1/reports", data=form, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    return {"app": app, "case": resp.get_json(), "dispatcher": dispatcher}


def _page(client, case_id: int, lang: str = "zh_CN") -> tuple[int, str]:
    resp = client.get(f"/cases/{case_id}?lang={lang}")
    return resp.status_code, resp.get_data(as_text=True)


def _steps(html: str) -> list[str]:
    import re

    return re.findall(r'class="step" data-step="([a-z_]+)"', html)


def _step(client, case_id: int, action: str, version: int, **form) -> dict:
    resp = client.post(f"/api/v1/cases/{case_id}/events", json={"action": action, "version": version, **form})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def test_each_person_sees_the_steps_open_to_them(city) -> None:
    app, case = city["app"], city["case"]
    cid = case["id"]
    clerk_a = client_as(app, "unit_clerk", unit="U-A")
    clerk_b = client_as(app, "unit_clerk", unit="U-B")
    commander = client_as(app, "commander")
    viewer = client_as(app, "viewer")
    status, html = _page(city["dispatcher"], cid)
    assert status == 200 and _steps(html) == ["dispatch"]
    assert 'name="unit_id"' in html and "selected>市城管局</option>" in html  # the unit picker, the routed unit chosen
    assert '<optgroup label="市直单位">' in html  # units grouped by kind
    assert "(UTC+08:00)" in html and "已立案" in html and 'data-light="green"' in html
    assert "和平街" in html and "routing-explanation" in html  # the matched feature and why
    assert _steps(_page(commander, cid)[1]) == ["dispatch", "park", "supervise", "void"]
    assert _steps(_page(viewer, cid)[1]) == [] and "当前状态下您没有可执行的操作" in _page(viewer, cid)[1]
    assert _steps(_page(clerk_a, cid)[1]) == []  # routed to their unit, not yet dispatched: nothing to do yet
    case = _step(city["dispatcher"], cid, "dispatch", 1)
    assert _steps(_page(clerk_a, cid)[1]) == ["accept", "send_back", "request_extension"]
    status, html = _page(clerk_b, cid)
    assert status == 403 and f"案件 {cid} 不在您的权限范围内" in html and "outside" not in html
    assert _steps(_page(city["dispatcher"], cid)[1]) == []
    case = _step(clerk_a, cid, "accept", case["version"])
    status, html = _page(clerk_a, cid)
    assert _steps(html) == ["report_back", "send_back", "request_extension"]
    assert 'name="photos"' in html  # reporting back takes photos
    # four eyes: the commander who asked for more time is not offered to decide it; another commander is
    other = client_as(app, "commander")
    case = _step(commander, cid, "request_extension", case["version"], data={"amount": 2})
    assert "approve_extension" not in _steps(_page(commander, cid)[1])
    assert {"approve_extension", "reject_extension"} <= set(_steps(_page(other, cid)[1]))
    assert 'name="amount"' in _page(other, cid)[1] and "延期申请待审批：2.0 小时" in _page(other, cid)[1]


def test_phones_reporters_and_photos_only_for_those_who_may_see_them(city) -> None:
    app, cid = city["app"], city["case"]["id"]
    _step(city["dispatcher"], cid, "dispatch", 1)
    clerk_a = client_as(app, "unit_clerk", unit="U-A")
    seen = {
        "dispatcher": _page(city["dispatcher"], cid)[1],
        "clerk": _page(clerk_a, cid)[1],
        "grid_worker": _page(client_as(app, "grid_worker"), cid)[1],
        "viewer": _page(client_as(app, "viewer"), cid)[1],
    }
    assert PHONE in seen["dispatcher"] and PHONE in seen["clerk"]  # a clerk sees their own unit's people
    for role in ("grid_worker", "viewer"):
        assert PHONE not in seen[role] and "李路长" in seen[role] and "（电话不可见）" in seen[role], role
        assert "王大妈" not in seen[role], role
    assert "王大妈" in seen["dispatcher"]
    assert "/api/v1/photos/" in seen["clerk"] and "处置前" in seen["clerk"]
    assert "/api/v1/photos/" not in seen["viewer"] and "您的角色无权查看照片" in seen["viewer"]
    assert "您的角色无权查看照片" not in seen["clerk"]


def test_the_timeline_names_people_by_their_full_name_and_role_not_their_username(city) -> None:
    app, cid = city["app"], city["case"]["id"]
    commander = client_as(app, "commander", username="zhao-cmd", name="赵指挥")
    _step(commander, cid, "dispatch", 1)
    viewer = client_as(app, "viewer")
    for client in (commander, viewer):
        status, html = _page(client, cid)
        timeline = html[html.index('id="case-timeline"') :]
        assert status == 200 and "赵指挥（指挥长）" in timeline, timeline[:600]
        assert "zhao-cmd" not in html  # the sign-in name stays out of the page
        assert "（派遣员）" in timeline  # the dispatcher who opened the case
    timeline = _page(commander, cid, "en")[1].split('id="case-timeline"')[1]
    assert "赵指挥 (Commander)" in timeline and "(Dispatcher)" in timeline
    # the API keeps the account's username (the audit trail's identity) and adds its full name and role
    event = commander.get(f"/api/v1/cases/{cid}").get_json()["events"][-1]
    assert (event["actor"], event["actor_name"], event["actor_role"]) == ("zhao-cmd", "赵指挥", "commander")


def test_missing_and_forbidden_cases_are_pages_in_the_page_language(city) -> None:
    dispatcher = city["dispatcher"]
    status, html = _page(dispatcher, 999999)
    assert status == 404 and "未找到案件 999999" in html and "no case" not in html
    status, html = _page(dispatcher, 999999, "en")
    assert status == 404 and "No case 999999" in html
    status, html = _page(dispatcher, city["case"]["id"], "en")
    assert status == 200 and "Open" in html and "已立案" not in html and "Dispatch</button>" in html
    assert client_as(city["app"], "viewer").get("/cases/abc").status_code == 404


def test_steps_open_to_is_the_state_the_role_and_four_eyes() -> None:
    clerk = Actor(name="c", role="unit_clerk", via="token", scope_unit_id=1)
    boss = Actor(name="boss", role="commander", via="token")
    asked = {"status": "in_progress", "extension_requested_seconds": 7200.0,
             "events": [{"action": "request_extension", "actor": "boss"}]}  # fmt: skip
    assert [s.name for s in steps_open_to(clerk, {"status": "dispatched", "extension_requested_seconds": None})] == [
        "accept", "send_back", "request_extension"]  # fmt: skip
    assert [s.name for s in steps_open_to(clerk, asked)] == ["report_back", "send_back"]
    assert "approve_extension" not in [s.name for s in steps_open_to(boss, asked)]
    other = Actor(name="other", role="commander", via="token")
    assert "approve_extension" in [s.name for s in steps_open_to(other, asked)]
    assert steps_open_to(Actor(name="v", role="viewer", via="token"), {"status": "open"}) == []
    assert steps_open_to(clerk, {"status": "closed"}) == []


def test_the_case_words_do_not_change_shared_ones() -> None:
    clash = [k for k, v in CASEWORK.items() if MESSAGES.get(k, v) != v]
    assert clash == [], "name these words apart from gridmap.web.i18n's"
    assert all(set(v) == {"zh_CN", "en"} for v in CASEWORK.values())


def test_case_numbers_on_other_pages_link_to_the_case_page(city) -> None:
    app, case = city["app"], city["case"]
    cid = case["id"]
    unit = _step(city["dispatcher"], cid, "dispatch", 1)["unit"]["id"]
    link = f'href="/cases/{cid}"'
    commander = client_as(app, "commander")
    for url in (f"/units/{unit}", "/heatmap/cases?status=all", "/audit?object_kind=case", "/tasks"):
        resp = commander.get(url)
        html = resp.get_data(as_text=True)
        assert resp.status_code == 200, url
        assert f"/api/v1/cases/{cid}" not in html, url
        if url != "/tasks":  # the queue's rows are drawn by its script (tests/test_cases_browser.py)
            assert link in html, url
        assert 'id="nav-tasks"' in html  # the menu leads to 我的待办
    assert 'id="nav-tasks"' not in client_as(app, "viewer").get("/map").get_data(as_text=True)  # no queue


def test_who_took_a_step_without_an_account_or_unseen() -> None:
    from gridmap.web.pages.casework import actor_label

    assert actor_label({"actor": "cli:root"}, "zh_CN") == "系统" and actor_label({"actor": "system"}, "en") == "System"
    assert actor_label({"actor": "public"}, "en") == "Member of the public"
    assert actor_label({"actor": None, "actor_name": None, "actor_role": "dispatcher"}, "zh_CN") == "派遣员"
    assert actor_label({"actor": "区长"}, "zh_CN") == "区长"  # a name a client sent before accounts existed


def test_the_menu_counts_the_persons_open_queue_items_with_one_query(city) -> None:
    import re

    from sqlalchemy import event

    from gridmap.web.state import app_state

    app, cid = city["app"], city["case"]["id"]
    dispatcher = city["dispatcher"]

    def badge(client, url: str = "/map") -> str | None:
        found = re.search(r'id="nav-tasks-count"[^>]*>([^<]+)<', client.get(url).get_data(as_text=True))
        return found.group(1) if found else None

    assert badge(dispatcher) == "1"  # the report waits to be dispatched (待派遣)
    counts: list[str] = []
    engine = app_state(app).engine
    listen = lambda *a: "count(" in a[2].lower() and counts.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)
    try:
        assert badge(dispatcher, "/tasks") == "1"
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert len(counts) == 1, counts  # one count for the page, however often the menu asks
    version = _step(dispatcher, cid, "dispatch", 1)["version"]
    assert badge(dispatcher) is None  # nothing left for the dispatcher: no badge
    clerk = client_as(app, "unit_clerk", unit="U-A")
    assert badge(clerk) == "1"  # to accept (待签收)
    _step(clerk, cid, "accept", version)
    assert badge(clerk) == "1"  # in progress (处置中): still theirs, counted once
    assert badge(client_as(app, "unit_clerk", unit="U-B")) is None  # another unit's case is not in their queue
    assert 'id="nav-tasks"' not in client_as(app, "viewer").get("/map").get_data(as_text=True)  # no queue
