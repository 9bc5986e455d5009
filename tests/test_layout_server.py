"""What a person or a client reads on the map pages, server side (issue 12): case items with their traffic light and
times with their zone, the unit page's deadlines in local time labelled with the zone, road search hits naming their
segments, and no English leaking into zh-CN pages — on SpatiaLite and PostGIS."""

from __future__ import annotations

import datetime as dt

import pytest
from geoalchemy2.elements import WKTElement
from sqlalchemy import select

from gridmap.catalogue.categories import seed
from gridmap.config import Settings
from gridmap.store.models import Assignment, Case, Segment
from gridmap.web import create_app
from gridmap.web.state import app_state
from tests.accounts import client_as

pytestmark = pytest.mark.demo_city


def _add_case(session, *, unit_id, kind, target_id, lon, lat, deadline) -> int:
    now = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    case = Case(
        source="patrol", category="0102", urgency="normal", lon=lon, lat=lat,
        geom=WKTElement(f"POINT({lon} {lat})", srid=4326), observed_at=now, created_at=now, updated_at=now,
        status="dispatched", unit_id=unit_id, matched_kind=kind, matched_id=target_id, deadline_at=deadline,
        description="暴露垃圾",
    )  # fmt: skip
    session.add(case)
    session.flush()
    return case.id


@pytest.fixture
def demo(settings: Settings, session):
    app = create_app(settings)
    yield client_as(app, "commander"), session
    app_state(app).engine.dispose()


def test_case_items_carry_their_light_and_zoned_times(demo) -> None:
    client, session = demo
    seed(session)
    row = session.execute(
        select(Assignment.unit_id, Assignment.target_id).where(
            Assignment.target_kind == "compound", Assignment.role == "responsible", Assignment.valid_to.is_(None)
        )
    ).first()
    now = dt.datetime.now(dt.UTC)
    late = _add_case(session, unit_id=row.unit_id, kind="compound", target_id=row.target_id, lon=111.14, lat=37.52,
                     deadline=now - dt.timedelta(hours=2))  # fmt: skip
    session.commit()
    items = client.get("/ogc/collections/cases/items?status=active").get_json()["features"]
    p = next(f["properties"] for f in items if f["id"] == late)
    assert p["overdue"] is True and p["light"] == "red"
    for key in ("created_at", "deadline"):
        parsed = dt.datetime.fromisoformat(p[key])
        assert parsed.tzinfo is not None, (key, p[key])  # QGIS reads the right instant
    one = client.get(f"/ogc/collections/cases/items/{late}").get_json()["properties"]
    assert one["light"] == "red"
    # The unit page: the deadline in the city's local time (UTC+8), labelled with the zone.
    html = client.get(f"/units/{row.unit_id}").get_data(as_text=True)
    local = (now - dt.timedelta(hours=2)).astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")
    assert f"{local} (UTC+08:00)" in html


def test_a_road_hit_names_its_segments(demo) -> None:
    client, session = demo
    road = session.scalar(select(Segment.name).where(Segment.name.is_not(None)).order_by(Segment.id).limit(1))
    ids = set(session.scalars(select(Segment.id).where(Segment.name == road)))
    hits = client.get("/api/v1/search", query_string={"q": road}).get_json()["results"]
    hit = next(h for h in hits if h["kind"] == "road" and h["label"] == road)
    assert set(hit["segment_ids"]) == ids


@pytest.mark.parametrize("path", ["/map", "/assign", "/gaps", "/heatmap", "/no-such-page"])
def test_zh_pages_speak_chinese(demo, path: str) -> None:
    client, _session = demo
    r = client.get(path, headers={"Accept": "text/html"})
    text = r.get_data(as_text=True)
    for leak in ("Not Found", "not found on the server", ">open<", ">pending<", "Draw a polygon", "feet"):
        assert leak not in text, (path, leak)
