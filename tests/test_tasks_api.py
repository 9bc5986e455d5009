"""GET /api/v1/tasks (我的待办) on both databases: the signed-in person's own groups with counts, filtered by
category, urgency and 街道, paged; only the roles that have a queue; bad filters are a 400 naming the field."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from gridmap.web import create_app
from tests.accounts import client_as
from tests.case_helpers import COMPOUND_POINT, LAT, build_city, case_settings

ROAD = {"lon": 111.14, "lat": LAT + 0.0001, "description": "暴露垃圾"}


@pytest.fixture
def app(settings, session: Session, tmp_path):
    build_city(session)
    session.commit()
    return create_app(case_settings(settings, tmp_path))


def _report(client, **kw) -> dict:
    resp = client.post("/api/v1/reports", json={**ROAD, "category": "0102", **kw})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _keys(body: dict) -> dict[str, tuple[int, list[int]]]:
    return {g["key"]: (g["count"], [c["id"] for c in g["items"]]) for g in body["groups"]}


def test_a_dispatcher_sees_their_groups_filtered_and_paged(app) -> None:
    dispatcher = client_as(app, "dispatcher")
    normal = _report(dispatcher, client_id="n1")
    urgent = _report(dispatcher, client_id="u1", urgency="urgent", category="0507")
    lon, lat = COMPOUND_POINT
    public = _report(dispatcher, client_id="p1", lon=lon, lat=lat, source="public")
    body = dispatcher.get("/api/v1/tasks").get_json()
    assert body["role"] == "dispatcher" and body["as_of"]
    got = _keys(body)
    assert list(got) == ["pending", "to_dispatch", "to_recheck"]
    assert got["pending"] == (1, [public["id"]])
    assert got["to_dispatch"][0] == 2 and set(got["to_dispatch"][1]) == {normal["id"], urgent["id"]}
    row = body["groups"][1]["items"][0]
    assert row["deadline"].endswith("+08:00") and row["progress"]["light"] in ("green", "yellow", "red")
    assert row["status_zh"] == "已立案" and row["category_name"]
    # filters narrow every group and its count
    assert _keys(dispatcher.get("/api/v1/tasks?urgency=urgent").get_json())["to_dispatch"] == (1, [urgent["id"]])
    assert _keys(dispatcher.get("/api/v1/tasks?category=01").get_json())["to_dispatch"] == (1, [normal["id"]])
    assert _keys(dispatcher.get("/api/v1/tasks?street=141102001").get_json())["to_dispatch"][0] == 2
    # one group, paged
    page2 = dispatcher.get("/api/v1/tasks?group=to_dispatch&per_page=1&page=2").get_json()
    counts = _keys(page2)
    assert counts["to_dispatch"][0] == 2 and len(counts["to_dispatch"][1]) == 1 and counts["pending"] == (1, [])
    first = _keys(dispatcher.get("/api/v1/tasks?group=to_dispatch&per_page=1").get_json())["to_dispatch"][1]
    assert first != counts["to_dispatch"][1]


def test_a_unit_clerk_sees_only_their_units_cases(app) -> None:
    dispatcher = client_as(app, "dispatcher")
    case = _report(dispatcher, client_id="c1")
    resp = dispatcher.post(f"/api/v1/cases/{case['id']}/events", json={"action": "dispatch", "version": 1})
    assert resp.status_code == 201
    clerk_a = client_as(app, "unit_clerk", unit="U-A")
    clerk_b = client_as(app, "unit_clerk", unit="U-B")
    assert _keys(clerk_a.get("/api/v1/tasks").get_json())["dispatched"] == (1, [case["id"]])
    assert _keys(clerk_b.get("/api/v1/tasks").get_json())["dispatched"] == (0, [])
    assert _keys(dispatcher.get("/api/v1/tasks").get_json())["to_dispatch"] == (0, [])


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("group=nope", "group"),
        ("urgency=soon", "urgency"),
        ("category=9999", "category"),
        ("street=000", "street"),
        ("page=0", "page"),
        ("per_page=500", "per_page"),
    ],
)
def test_bad_filters_are_a_400_naming_the_field(app, query: str, field: str) -> None:
    resp = client_as(app, "dispatcher").get(f"/api/v1/tasks?{query}")
    assert resp.status_code == 400, resp.get_json()
    assert field in " ".join(resp.get_json()["details"])


@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_roles_without_a_queue_are_refused(app, role: str) -> None:
    assert client_as(app, role).get("/api/v1/tasks").status_code == 403
