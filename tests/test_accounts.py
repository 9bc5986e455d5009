"""Accounts as people and clients meet them, on both databases: signing in (zh-CN messages, lock-out, the audit
trail of it), CSRF on a signed-in session's changes, scopes (a 街道's commander, a unit's clerk), four eyes, who
sees phone numbers, reporters and photos, and the audit trail a commander reads and exports."""

from __future__ import annotations

import csv
import io
import re

import pytest
import shapely
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from gridmap.accounts.actor import cli_actor
from gridmap.cases import open_report
from gridmap.catalogue.categories import seed
from gridmap.config import Settings
from gridmap.imports.demo import DEMO_PASSWORD
from gridmap.store.dialect import wkb
from gridmap.store.engine import session_scope
from gridmap.store.models import Area, Assignment, AuditEntry, Compound, Grid, Person, Segment, Unit
from gridmap.web import create_app
from gridmap.web.state import app_state
from tests.accounts import client_as
from tests.case_helpers import PNG


@pytest.fixture
def demo(settings: Settings, session) -> Flask:
    """The demo city (with its demo accounts) and its categories, served by a fresh app."""
    seed(session)
    session.commit()
    return create_app(settings)


def _sign_in_form(client: FlaskClient) -> str:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    return token.group(1)


def _sign_in(client: FlaskClient, username: str, password: str, **kw):
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": _sign_in_form(client)}, **kw
    )


def _case_at_segment_of(app: Flask, unit_code: str | None = None, street_code: str | None = None) -> int:
    """Open a case at the middle of a segment held by unit ``unit_code`` (or any segment in a 街道)."""
    factory = app_state(app).session_factory
    with session_scope(factory) as s:
        stmt = (
            select(wkb(Segment.geom))
            .join(Assignment, (Assignment.target_id == Segment.id) & (Assignment.target_kind == "segment"))
            .join(Unit, Unit.id == Assignment.unit_id)
            .where(Assignment.role == "responsible", Assignment.valid_to.is_(None))
            .order_by(Segment.id)
        )
        if unit_code:
            stmt = stmt.where(Unit.code == unit_code)
        if street_code:
            street = s.scalar(select(Area.geom).where(Area.code == street_code))
            stmt = stmt.where(func.ST_Within(Segment.geom, street))
        raw = s.scalar(stmt.limit(1))
        mid = shapely.line_interpolate_point(shapely.from_wkb(bytes(raw)), 0.5, normalized=True)
        report = {
            "lon": mid.x,
            "lat": mid.y,
            "category": "0102",
            "description": "暴露垃圾",
            "reporter": "王五 13900000000",
        }
        answer = open_report(s, report, app_state(app).settings, actor=cli_actor(), photos=[("a.png", PNG)])
    return int(answer["id"])


# -- signing in ----------------------------------------------------------------------------------------------------


@pytest.mark.demo_city
def test_signing_in_in_chinese_with_lock_out_and_its_trail(demo: Flask) -> None:
    client = demo.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert "登录" in page and "demo-commander" in page and DEMO_PASSWORD in page  # the demo offers its accounts
    wrong = _sign_in(client, "demo-viewer", "not-the-password")
    assert wrong.status_code == 200 and "密码不正确" in wrong.get_data(as_text=True)
    unknown = _sign_in(client, "nobody-here", "whatever-123")
    assert "此用户不存在" in unknown.get_data(as_text=True)
    bad_name = _sign_in(client, "<b>x</b>", "whatever-123").get_data(as_text=True)
    assert "用户名为 2–64 个字母" in bad_name and "Username" not in bad_name
    for _ in range(4):  # five failures in a row lock the account — the right password no longer helps
        _sign_in(client, "demo-viewer", "not-the-password")
    locked = _sign_in(client, "demo-viewer", DEMO_PASSWORD)
    assert locked.status_code == 200 and "已锁定" in locked.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still not signed in
    ok = _sign_in(client, "demo-dispatcher", DEMO_PASSWORD)
    assert ok.status_code == 302 and ok.headers["Location"] == "/"
    assert "派遣员（示范）" in client.get("/").get_data(as_text=True)
    with session_scope(app_state(demo).session_factory) as s:
        trail = [(e.action, e.actor) for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert trail.count(("login.failed", "demo-viewer")) == 5 and ("login.locked", "demo-viewer") in trail
    assert ("login.refused", "demo-viewer") in trail  # the right password, too late
    assert ("login.failed", "nobody-here") in trail and ("login", "demo-dispatcher") in trail
    # the session cookie: HttpOnly, SameSite
    cookie = ok.headers.get_all("Set-Cookie")
    assert any(c.startswith("session=") and "HttpOnly" in c and "SameSite=Lax" in c for c in cookie)


@pytest.mark.demo_city
def test_a_signed_in_session_must_send_the_csrf_token_to_change_anything(demo: Flask) -> None:
    client = demo.test_client()
    assert _sign_in(client, "demo-admin", DEMO_PASSWORD).status_code == 302
    holiday = {"day": "2026-12-31", "is_workday": False, "name": "本地假日"}
    forged = client.post("/api/v1/holidays", json=holiday)  # what another site's page could make a browser send
    assert forged.status_code == 403 and "CSRF" in forged.get_json()["error"]
    as_text = client.post("/api/v1/holidays", data='{"day": "2026-12-31"}', content_type="text/plain")
    assert as_text.status_code == 403
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert token  # the page scripts send it back as X-CSRFToken
    ok = client.post("/api/v1/holidays", json=holiday, headers={"X-CSRFToken": token.group(1)})
    assert ok.status_code == 200
    logout_by_link = client.get("/logout")
    assert logout_by_link.status_code == 405  # a link or an image elsewhere cannot sign anyone out


# -- scopes and four eyes -----------------------------------------------------------------------------------------


@pytest.mark.demo_city
def test_a_streets_commander_sees_and_changes_only_their_street(demo: Flask) -> None:
    inside = _case_at_segment_of(demo, street_code="141102001")
    outside = _case_at_segment_of(demo, street_code="141102002")
    binhe = client_as(demo, "commander", scope="141102001")
    city = client_as(demo, "commander")
    listed = {c["id"] for c in binhe.get("/api/v1/cases?per_page=500").get_json()["items"]}
    assert inside in listed and outside not in listed
    assert {inside, outside} <= {c["id"] for c in city.get("/api/v1/cases?per_page=500").get_json()["items"]}
    assert binhe.get(f"/api/v1/cases/{outside}").status_code == 403
    step = {"action": "dispatch", "version": 1}
    assert binhe.post(f"/api/v1/cases/{outside}/events", json=step).status_code == 403
    assert binhe.post(f"/api/v1/cases/{inside}/events", json=step).status_code == 201
    # the map's layers, the gaps and the counts: the street only
    factory = app_state(demo).session_factory
    with session_scope(factory) as s:
        street_id = s.scalar(select(Area.id).where(Area.code == "141102001"))
        communities = set(s.scalars(select(Area.id).where(Area.parent_id == street_id)))
        all_grids = s.scalar(select(func.count(Grid.id)).where(Grid.valid_to.is_(None)))
        far_segment = s.scalar(
            select(Segment.id)
            .where(func.ST_Within(Segment.geom, select(Area.geom).where(Area.code == "141102002").scalar_subquery()))
            .where(~func.ST_Intersects(Segment.geom, select(Area.geom).where(Area.id == street_id).scalar_subquery()))
            .limit(1)
        )
        far_compound = s.scalar(select(Compound.id).where(Compound.community_id.notin_(communities)).limit(1))
    grids = binhe.get("/ogc/collections/grids/items?limit=10000").get_json()
    assert 0 < grids["numberMatched"] < all_grids
    assert {f["properties"]["community_id"] for f in grids["features"]} <= communities
    assert binhe.get(f"/ogc/collections/segments/items/{far_segment}").status_code == 403
    assert binhe.get(f"/api/v1/features/compound/{far_compound}").status_code == 403
    summary = binhe.get("/api/v1/gaps/summary").get_json()
    assert [s["code"] for s in summary["streets"]] == ["141102001"]
    # assigning outside the street is refused, and nothing is stored
    unit = city.get("/api/v1/units?q=%E5%8A%9E").get_json()["items"][0]["id"]
    body = {"targets": [{"kind": "compound", "id": far_compound}], "unit_id": unit}
    refused = binhe.post("/api/v1/assignments", json=body)
    assert refused.status_code == 403 and "outside your scope" in refused.get_json()["error"]
    assert city.post("/api/v1/assignments", json=body).status_code == 201


@pytest.mark.demo_city
def test_a_unit_clerk_works_their_units_cases_only_and_extensions_need_someone_else(demo: Flask) -> None:
    own = _case_at_segment_of(demo, unit_code="U001")
    other = _case_at_segment_of(demo, unit_code="U002")
    clerk = client_as(demo, "unit_clerk", unit="U001")
    dispatcher = client_as(demo, "dispatcher")
    commander = client_as(demo, "commander")
    for case_id in (own, other):
        assert (
            dispatcher.post(f"/api/v1/cases/{case_id}/events", json={"action": "dispatch", "version": 1}).status_code
            == 201
        )
    assert {c["id"] for c in clerk.get("/api/v1/cases").get_json()["items"]} == {own}
    assert clerk.get(f"/api/v1/cases/{other}").status_code == 403
    assert clerk.post(f"/api/v1/cases/{other}/events", json={"action": "accept", "version": 2}).status_code == 403
    mine = clerk.get(f"/api/v1/cases/{own}").get_json()
    assert mine["allowed_actions"] == ["accept", "send_back", "request_extension"]  # a clerk's steps only
    assert clerk.post(f"/api/v1/cases/{own}/events", json={"action": "accept", "version": 2}).status_code == 201
    # a dispatcher may not accept for the unit, nor decide an extension
    ask = {"action": "request_extension", "version": 3, "data": {"amount": 1000}}
    assert clerk.post(f"/api/v1/cases/{own}/events", json=ask).status_code == 201
    approve = {"action": "approve_extension", "version": 4}
    refused = dispatcher.post(f"/api/v1/cases/{own}/events", json=approve)
    assert refused.status_code == 403 and "指挥长" in refused.get_json()["error"]
    # a commander asks and approves their own request: four eyes says no; another commander may
    assert (
        commander.post(f"/api/v1/cases/{own}/events", json={"action": "reject_extension", "version": 4}).status_code
        == 201
    )
    assert commander.post(f"/api/v1/cases/{own}/events", json={**ask, "version": 5}).status_code == 201
    self_approved = commander.post(f"/api/v1/cases/{own}/events", json={"action": "approve_extension", "version": 6})
    assert self_approved.status_code == 403 and "four eyes" in self_approved.get_json()["error"]
    second = client_as(demo, "commander")
    done = second.post(f"/api/v1/cases/{own}/events", json={"action": "approve_extension", "version": 6})
    assert done.status_code == 201 and done.get_json()["extension_count"] == 1
    # the history names the accounts, whatever the client claimed to be
    claimed = clerk.post(f"/api/v1/cases/{own}/events", json={"action": "report_back", "version": 7, "actor": "区长"})
    last = claimed.get_json()["events"][-1]
    assert last["actor"].startswith("unit_clerk-") and last["data"]["actor_note"] == "区长"


# -- what each role sees ------------------------------------------------------------------------------------------


@pytest.mark.demo_city
def test_phone_numbers_reporters_and_photos_only_for_those_who_need_them(demo: Flask) -> None:
    case_id = _case_at_segment_of(demo, unit_code="U001")
    with session_scope(app_state(demo).session_factory) as s:
        u1 = s.scalar(select(Unit.id).where(Unit.code == "U001"))
        u2 = s.scalar(select(Unit.id).where(Unit.code == "U002"))
        assert s.scalar(select(func.count(Person.id)).where(Person.unit_id == u1, Person.phone.isnot(None)))
    viewer, commander = client_as(demo, "viewer"), client_as(demo, "commander")
    clerk = client_as(demo, "unit_clerk", unit="U001")

    def phones(client: FlaskClient, unit_id: int) -> list[str | None]:
        body = client.get(f"/api/v1/units/{unit_id}").get_json()
        return [body["contact_phone"], *(p["phone"] for p in body["people"])]

    assert all(phones(commander, u1)) and not any(phones(viewer, u1))
    assert all(phones(clerk, u1)) and not any(phones(clerk, u2))  # a clerk: their own unit's people
    seen_by_viewer = viewer.get(f"/api/v1/cases/{case_id}").get_json()
    seen_by_commander = commander.get(f"/api/v1/cases/{case_id}").get_json()
    assert seen_by_commander["reporter"] == "王五 13900000000" and seen_by_viewer["reporter"] is None
    photo = seen_by_commander["events"][0]["photos"][0]["url"]
    assert seen_by_viewer["events"][0]["photos"] == []
    assert commander.get(photo).data == PNG and viewer.get(photo).status_code == 403
    assert "13900000000" not in viewer.get("/api/v1/cases").get_data(as_text=True)
    page = viewer.get(f"/units/{u1}").get_data(as_text=True)
    numbers = [p for p in phones(commander, u1) if p]
    assert any(p in commander.get(f"/units/{u1}").get_data(as_text=True) for p in numbers)
    assert not any(p in page for p in numbers)  # none of the unit's numbers on the viewer's unit page


# -- the audit trail ------------------------------------------------------------------------------------------------


@pytest.mark.demo_city
def test_every_change_is_in_the_audit_trail_with_who_and_from_where(demo: Flask) -> None:
    commander = client_as(demo, "commander")
    admin = client_as(demo, "admin")
    commander.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    case_id = _case_at_segment_of(demo, unit_code="U001")
    assert (
        commander.post(f"/api/v1/cases/{case_id}/events", json={"action": "dispatch", "version": 1}).status_code == 201
    )
    with session_scope(app_state(demo).session_factory) as s:
        segment = s.scalar(select(Assignment.target_id).where(Assignment.target_kind == "segment").limit(1))
        unit2 = s.scalar(select(Unit.id).where(Unit.code == "U002"))
    assigned = commander.post("/api/v1/assignments", json={"targets": [{"kind": "segment", "id": segment}],
                                                          "unit_id": unit2, "by": "区长",
                                                          "take_over": True})  # fmt: skip
    assert assigned.status_code == 201
    assert admin.post("/api/v1/categories", json={"code": "0102", "deadline": {"amount": 3}}).status_code == 200
    assert admin.post("/api/v1/holidays", json={"day": "2026-12-31", "is_workday": False}).status_code == 200
    trail = commander.get("/api/v1/audit?per_page=100").get_json()
    by_action = {e["action"]: e for e in trail["items"]}
    dispatch = by_action["case.dispatch"]
    assert dispatch["actor"].startswith("commander-") and dispatch["address"] == "10.1.2.3"
    assert dispatch["before"]["status"] == "open" and dispatch["after"]["status"] == "dispatched"
    made = by_action["assignment.create"]
    assert made["after"]["unit_id"] == unit2 and made["before"]["unit_id"] is not None  # who held it before
    assert by_action["category.change"]["before"]["deadline"]["amount"] != 3
    assert by_action["category.change"]["after"]["deadline"]["amount"] == 3
    assert by_action["holiday.set"]["actor"].startswith("admin-") and by_action["case.open"]["via"] == "cli"
    assert {"token.use", "token.create"} <= set(by_action)
    # filters: object, person, period; and the CSV a commander exports
    one = commander.get(f"/api/v1/audit?object_kind=case&object_id={case_id}").get_json()["items"]
    assert [e["action"] for e in one] == ["case.dispatch", "case.open"]
    mine = commander.get(f"/api/v1/audit?actor={dispatch['actor']}").get_json()["items"]
    assert mine and {e["actor"] for e in mine} == {dispatch["actor"]}
    assert commander.get("/api/v1/audit?from=2000-01-01&to=2000-01-31").get_json()["total"] == 0
    exported = commander.get("/api/v1/audit?format=csv&object_kind=assignment")
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["id", "at", "actor"] and any(r[5] == "assignment.create" for r in rows[1:])
    page = commander.get("/audit?object_kind=case").get_data(as_text=True)
    assert "case.dispatch" in page or "派遣" in page
    assert client_as(demo, "viewer").get("/api/v1/audit").status_code == 403
    # append-only: nothing in the app changes or deletes an entry (the tables' rows only grow)
    with session_scope(app_state(demo).session_factory) as s:
        assert s.scalar(select(func.count(AuditEntry.id))) >= trail["total"]
