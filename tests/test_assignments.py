"""Assigning by drawing: preview, assign, end, concurrency and bad input — on SpatiaLite and PostGIS."""

from __future__ import annotations

import datetime as dt
import re
import threading

import geopandas as gpd
import numpy as np
import pytest
import shapely
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gridmap.config import DEMO_DATA_DIR, Settings
from gridmap.errors import Conflict, InvalidInput
from gridmap.responsibility import assign, gaps, preview
from gridmap.responsibility.overview import store_summary
from gridmap.store.engine import make_session_factory
from gridmap.store.models import Area, Assignment, Compound, Unit
from gridmap.web import create_app
from tests.accounts import TESTER, client_as

TODAY = dt.date.today()
UTM = 32649  # 离石区
pytestmark = pytest.mark.demo_city


def box(cx: float, cy: float, d: float) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [[[cx - d, cy - d], [cx + d, cy - d], [cx + d, cy + d], [cx - d, cy + d], [cx - d, cy - d]]],
    }


@pytest.fixture
def demo(session: Session) -> Session:
    """A session on the test's own copy of the demo city (the module's ``demo_city`` mark)."""
    return session


def _centre(session: Session) -> tuple[float, float]:
    """The centre of 滨河街道's first community (a dense, mostly assigned part of the demo city)."""
    geom = session.scalar(
        select(func.ST_AsText(func.ST_Centroid(Area.geom))).where(Area.level == "community").order_by(Area.code)
    )
    p = shapely.from_wkt(geom)
    return p.x, p.y


def _snapshot(session: Session) -> tuple:
    session.expire_all()
    return tuple(
        session.execute(
            select(
                func.count(Assignment.id),
                func.max(Assignment.id),
                func.count(Assignment.valid_to),
                func.sum(Assignment.unit_id),
            )
        ).one()
    )


def _independent_catch(shape: shapely.Geometry) -> dict[str, set[str]]:
    """What the shape should catch, computed from the demo files with geopandas — not from the database."""
    area = gpd.GeoSeries([shape], crs=4326).to_crs(UTM).iloc[0]
    out = {}
    seg = gpd.read_file(DEMO_DATA_DIR / "segments.geojson").to_crs(UTM)
    share = seg.geometry.intersection(area).length / seg.geometry.length
    out["segment"] = set(seg.loc[share >= 0.5, "ext_id"])
    for kind, file, key in (("compound", "compounds.geojson", "ext_id"), ("grid", "grids.geojson", "code")):
        g = gpd.read_file(DEMO_DATA_DIR / file).to_crs(UTM)
        inter = g.geometry.intersection(area).area
        keep = (inter / g.geometry.area >= 0.5) | (inter / area.area >= 0.5)
        out[kind] = set(g.loc[keep, key])
    return out


def test_preview_matches_an_independent_shapely_computation(demo: Session) -> None:
    cx, cy = _centre(demo)
    shape = box(cx, cy, 0.004)
    answer = preview.preview(demo, shape)
    expected = _independent_catch(shapely.geometry.shape(shape))
    for kind in ("segment", "compound", "grid"):
        got = {f["code"] for f in answer["features"] if f["kind"] == kind}
        assert got == expected[kind], kind
        assert answer["totals"][kind]["count"] == len(expected[kind]) > 0
        t = answer["totals"][kind]
        assert t["owned"] + t["free"] == t["count"]
    owned = [f for f in answer["features"] if f["current"]]
    assert owned and all(f["current"]["unit_name"] for f in owned)
    assert sum(o["count"] for o in answer["owners"]) == len(owned)
    # A line catches the segments along it (15 m buffer by default), and only segments when asked.
    line = {"type": "LineString", "coordinates": [[cx - 0.004, cy], [cx + 0.004, cy]]}
    along = preview.preview(demo, line, kinds="segment", buffer_m=20)
    assert set(along["totals"]) == {"segment"} and along["shape"]["buffer_m"] == 20
    seg = gpd.read_file(DEMO_DATA_DIR / "segments.geojson").to_crs(UTM)
    buf = gpd.GeoSeries([shapely.geometry.shape(line)], crs=4326).to_crs(UTM).iloc[0].buffer(20)
    want = set(seg.loc[seg.geometry.intersection(buf).length / seg.geometry.length >= 0.5, "ext_id"])
    assert {f["code"] for f in along["features"]} == want


def test_assign_changes_coverage_and_gaps_and_end_keeps_history(demo: Session) -> None:
    cx, cy = _centre(demo)
    answer = preview.preview(demo, box(cx, cy, 0.004))
    free = [f for f in answer["features"] if f["current"] is None]
    owned = [f for f in answer["features"] if f["current"] is not None]
    assert free and owned
    unit = demo.scalar(select(Unit).where(Unit.kind == "enterprise").order_by(Unit.id))
    before, gaps_before = store_summary(demo), gaps.summary(demo)["district"]
    targets = [{"kind": f["kind"], "id": f["id"], "expected": (f["current"] or {}).get("assignment_id")}
               for f in answer["features"]]  # fmt: skip
    result = assign.assign(demo, targets, unit.id, "responsible", TODAY, by="指挥长甲", actor=TESTER, take_over=True)
    demo.commit()
    assert result["counts"]["assigned"] == len(targets) - len(result["unchanged"])
    assert result["counts"]["closed"] == len([f for f in owned if f["current"]["unit_id"] != unit.id])
    after, gaps_after = store_summary(demo), gaps.summary(demo)["district"]
    n_free = {k: sum(1 for f in free if f["kind"] == k) for k in ("segment", "compound", "grid")}
    assert after["segments_assigned"] == before["segments_assigned"] + n_free["segment"]
    assert after["compounds_assigned"] == before["compounds_assigned"] + n_free["compound"]
    assert gaps_after["grids_unassigned"] == gaps_before["grids_unassigned"] - n_free["grid"]
    assert gaps_after["segments_unassigned_km"] < gaps_before["segments_unassigned_km"]
    # The preview now shows the new unit everywhere.
    again = preview.preview(demo, box(cx, cy, 0.004))
    assert {f["current"]["unit_id"] for f in again["features"]} == {unit.id}
    # Re-assigning to the same unit changes nothing.
    same = assign.assign(
        demo, [{"kind": free[0]["kind"], "id": free[0]["id"]}], unit.id, valid_from=TODAY, actor=TESTER
    )
    assert same["counts"] == {"assigned": 0, "unchanged": 1, "closed": 0, "held_by_others": 0}
    # End one: the gap comes back, and the history keeps both periods.
    f0 = owned[0]
    new_id = next(a["assignment_id"] for a in result["assigned"] if a["kind"] == f0["kind"] and a["id"] == f0["id"])
    end_day = TODAY + dt.timedelta(days=1)
    ended = assign.end(demo, new_id, on=end_day, by="指挥长乙", actor=TESTER)
    demo.commit()
    assert ended["valid_to"] == end_day.isoformat()
    rows = demo.execute(
        select(Assignment.unit_id, Assignment.valid_from, Assignment.valid_to)
        .where(Assignment.target_kind == f0["kind"], Assignment.target_id == f0["id"],
               Assignment.role == "responsible").order_by(Assignment.valid_from)
    ).all()  # fmt: skip
    assert rows[-1] == (unit.id, TODAY, end_day)
    assert rows[-2].unit_id == f0["current"]["unit_id"] and rows[-2].valid_to == TODAY
    gap_ids = {(g["kind"], g["id"]) for g in gaps.find_gaps(demo, at=end_day, with_geometry=False)["items"]}
    assert (f0["kind"], f0["id"]) in gap_ids
    assert (f0["kind"], f0["id"]) not in {
        (g["kind"], g["id"]) for g in gaps.find_gaps(demo, at=TODAY, with_geometry=False)["items"]
    }
    # Ending it twice is a conflict; a new assignment may start when the old one ended.
    with pytest.raises(Conflict):
        assign.end(demo, new_id, on=end_day, actor=TESTER)
    demo.rollback()
    with pytest.raises(InvalidInput, match="inside an earlier assignment"):
        assign.assign(demo, [{"kind": f0["kind"], "id": f0["id"]}], unit.id, valid_from=TODAY, actor=TESTER)
    demo.rollback()
    ok = assign.assign(demo, [{"kind": f0["kind"], "id": f0["id"], "expected": None}], unit.id,
                            valid_from=end_day + dt.timedelta(days=3), actor=TESTER)  # fmt: skip
    assert ok["counts"]["assigned"] == 1
    demo.rollback()


BAD_INPUT = [
        ({"shape": {"type": "Polygon", "coordinates": [[[0, 0], [0.002, 0.002], [0.002, 0], [0, 0.002], [0, 0]]]}},
         "crosses itself"),
        ({"shape": "many"}, "at most 2000"),
        ({"shape": "city"}, "of the city"),
        ({"shape": {"type": "Point", "coordinates": [111.1, 37.5]}}, "LineString"),
        ({"unit_id": 999999}, "no unit"),
        ({"valid_from": "2020-01-01"}, "must be after the current assignment's start"),
        ({"valid_from": "2026-13-01"}, "not a date"),
        ({"valid_to": "2000-01-01"}, "before it starts"),
        ({"targets": [{"kind": "segment", "id": 99999999}]}, "no segment"),
        ({"targets": [{"kind": "road", "id": 1}]}, "not one of"),
        ({"role": "boss"}, "not one of"),
]  # fmt: skip


def test_bad_input_is_refused_and_nothing_changes(demo: Session) -> None:
    for change, needle in BAD_INPUT:
        _refused(demo, change, needle)


def _refused(demo: Session, change: dict, needle: str) -> None:
    cx, cy = _centre(demo)
    shape = box(cx, cy, 0.003)
    if change.get("shape") == "many":
        ring = [[cx + 0.003 * np.cos(a), cy + 0.003 * np.sin(a)] for a in np.linspace(0, 2 * np.pi, 2500)]
        ring[-1] = ring[0]
        change = {"shape": {"type": "Polygon", "coordinates": [ring]}}
    elif change.get("shape") == "city":
        change = {"shape": box(111.14, 37.53, 0.2)}
    before = _snapshot(demo)
    with pytest.raises(InvalidInput, match=needle):
        if "shape" in change:
            preview.preview(demo, change["shape"])
        else:
            seen = preview.preview(demo, shape)
            owned = [f for f in seen["features"] if f["current"]]
            targets = change.get("targets") or [{"kind": f["kind"], "id": f["id"]} for f in owned]
            unit = change.get("unit_id", demo.scalar(select(Unit.id).where(Unit.kind == "enterprise")))
            assign.assign(
                demo,
                targets,
                unit,
                role=change.get("role"),
                valid_from=change.get("valid_from", TODAY),
                valid_to=change.get("valid_to"),
                actor=TESTER,
                take_over=True,
            )
    demo.rollback()
    assert _snapshot(demo) == before


def _race(engine: Engine, targets: list[dict], units: list[int]) -> list[object]:
    """Two commanders (own sessions, own threads) assign the same features at the same moment."""
    factory = make_session_factory(engine)
    barrier = threading.Barrier(len(units))
    results: list[object] = [None] * len(units)

    def commander(k: int) -> None:
        with factory() as s:
            try:
                barrier.wait()
                results[k] = assign.assign(
                    s, targets, units[k], valid_from=TODAY, by=f"commander {k}", actor=TESTER, take_over=True
                )
                s.commit()
            except Exception as exc:  # the loser's error is the result under test
                s.rollback()
                results[k] = exc

    threads = [threading.Thread(target=commander, args=(k,)) for k in range(len(units))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.parametrize("held", [True, False], ids=["replacing-a-holder", "filling-a-gap"])
def test_two_commanders_at_once_one_wins(demo: Session, engine: Engine, held: bool) -> None:
    cx, cy = _centre(demo)
    seen = preview.preview(demo, box(cx, cy, 0.004))
    features = [f for f in seen["features"] if (f["current"] is not None) == held][:5]
    assert features
    targets = [{"kind": f["kind"], "id": f["id"], "expected": (f["current"] or {}).get("assignment_id")}
               for f in features]  # fmt: skip
    units = list(demo.scalars(select(Unit.id).where(Unit.kind == "enterprise").order_by(Unit.id).limit(2)))
    demo.rollback()
    results = _race(engine, targets, units)
    wins = [r for r in results if isinstance(r, dict)]
    losses = [r for r in results if isinstance(r, Exception)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert isinstance(losses[0], Conflict), repr(losses[0])
    winner = units[results.index(wins[0])]
    demo.expire_all()
    for f in features:
        open_rows = demo.execute(
            select(Assignment.unit_id).where(Assignment.target_kind == f["kind"], Assignment.target_id == f["id"],
                                             Assignment.role == "responsible", Assignment.valid_to.is_(None))
        ).all()  # fmt: skip
        assert open_rows == [(winner,)]


# -- over HTTP -------------------------------------------------------------------------------------------------------


@pytest.fixture
def client(settings: Settings, demo: Session):
    return client_as(create_app(settings))


def test_assign_api_round_trip(client, demo: Session) -> None:
    cx, cy = _centre(demo)
    r = client.post("/api/v1/assignments/preview", json={"shape": box(cx, cy, 0.003), "kinds": ["segment", "grid"]})
    assert r.status_code == 200, r.json
    prev = r.json
    assert set(prev["totals"]) == {"segment", "grid"}
    units = client.get("/api/v1/units?q=局").json["items"]
    assert units and all("局" in u["name"] for u in units) and "holds" in units[0]
    targets = [{"kind": f["kind"], "id": f["id"], "expected": (f["current"] or {}).get("assignment_id")}
               for f in prev["features"]]  # fmt: skip
    body = {"targets": targets, "unit_id": units[0]["id"], "valid_from": TODAY.isoformat(), "by": "web",
            "take_over": True}  # fmt: skip
    r = client.post("/api/v1/assignments", json=body)
    assert r.status_code == 201, r.json
    # The same request again is stale (the client saw the old holders): 409, nothing written.
    before = _snapshot(demo)
    r2 = client.post("/api/v1/assignments", json={**body, "unit_id": units[1]["id"]})
    assert r2.status_code == 409 and "reload" in r2.json["error"]
    assert _snapshot(demo) == before
    # History over HTTP (the endpoint of the map pages), then end one assignment.
    first = r.json["assigned"][0]
    hist = client.get(f"/api/v1/features/{first['kind']}/{first['id']}/history").json
    assert any(a["id"] == first["assignment_id"] for a in hist["assignments"])
    r3 = client.post(f"/api/v1/assignments/{first['assignment_id']}/end", json={"on": TODAY.isoformat()})
    assert r3.status_code == 400 and "after the assignment's start" in r3.json["error"]
    later = (TODAY + dt.timedelta(days=2)).isoformat()
    r4 = client.post(f"/api/v1/assignments/{first['assignment_id']}/end", json={"on": later, "by": "web"})
    assert r4.status_code == 200 and r4.json["valid_to"] == later
    assert client.post(f"/api/v1/assignments/{first['assignment_id']}/end", json={"on": later}).status_code == 409
    assert client.post("/api/v1/assignments/99999999/end", json={}).status_code == 404


BAD_REQUESTS = [
        ("/api/v1/assignments/preview", {"shape": {"type": "LineString", "coordinates": [[0, 0], [1, 1], [0, 1],
                                                                                         [1, 0]]}}),
        ("/api/v1/assignments/preview", {"shape": {"type": "LineString", "coordinates": [[0, 0], [0.001, 0]]},
                                         "buffer_m": 5000}),
        ("/api/v1/assignments/preview", {"shape": {"type": "Polygon", "coordinates": [[[500, 0], [1, 1], [0, 1],
                                                                                       [500, 0]]]}}),
        ("/api/v1/assignments/preview", []),
        ("/api/v1/assignments", {"targets": [], "unit_id": 1}),
        ("/api/v1/assignments", {"targets": [{"kind": "segment", "id": 1}], "unit_id": "nope"}),
        ("/api/v1/assignments", {"targets": [{"kind": "segment", "id": 1}], "unit_id": 1, "valid_from": "2026-05-05",
                                 "valid_to": "2026-05-01"}),
]  # fmt: skip


def test_bad_requests_are_4xx_and_change_nothing(client, demo: Session) -> None:
    before = _snapshot(demo)
    for path, body in BAD_REQUESTS:
        r = client.post(path, json=body)
        assert r.status_code == 400, (path, body, r.json)
        assert r.json["error"]
        assert _snapshot(demo) == before


def test_odd_input_never_gives_a_500(client, demo: Session) -> None:
    before = _snapshot(demo)
    huge = 10**20
    posts = [
        ("/api/v1/assignments/preview", {"shape": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}}),
        ("/api/v1/assignments/preview", {"shape": {"type": "LineString", "coordinates": [[0, 0]]}}),
        ("/api/v1/assignments/preview", {"shape": {"type": "Polygon", "coordinates": "x"}}),
        ("/api/v1/assignments/preview", {"shape": {"type": "LineString", "coordinates": [["a", "b"], [1, 1]]}}),
        ("/api/v1/assignments/preview", {"shape": {"type": "LineString", "coordinates": [[0, 0], [1e400, 1]]}}),
        ("/api/v1/assignments/preview", {"shape": box(111.14, 37.53, 0.001), "kinds": []}),
        ("/api/v1/assignments/preview", {"shape": box(111.14, 37.53, 0.001), "buffer_m": "wide"}),
        ("/api/v1/assignments", {"targets": [{"kind": "segment", "id": huge}], "unit_id": huge}),
        ("/api/v1/assignments", {"targets": "all", "unit_id": 1}),
        ("/api/v1/assignments", {"targets": [{"kind": "segment", "id": 1, "expected": "x"}], "unit_id": 1}),
        (f"/api/v1/assignments/{huge}/end", {}),
        ("/api/v1/assignments/1/end", {"on": "someday"}),
    ]
    for path, body in posts:
        r = client.post(path, json=body)
        assert 400 <= r.status_code < 500, (path, body, r.status_code, r.json)
    for url in ("/api/v1/heat?unit=99999999999999999999", "/api/v1/heat?bbox=a,b,c,d", "/api/v1/gaps?nearest_m=x",
                "/api/v1/gaps?community=nowhere", "/gaps?at=2026-02-30", "/gaps?kind=roads"):  # fmt: skip
        r = client.get(url)
        assert 400 <= r.status_code < 500, (url, r.status_code)
    assert _snapshot(demo) == before


def test_bulk_routing_sees_an_ended_assignment_as_soon_as_it_is_committed(demo: Session) -> None:
    from gridmap.routing import route_points

    # A compound with a responsible unit: a report at its centre routes to that unit.
    row = demo.execute(
        select(Assignment.id, Assignment.target_id, Assignment.unit_id).where(
            Assignment.target_kind == "compound", Assignment.role == "responsible", Assignment.valid_to.is_(None)
        )
    ).first()
    wkb_centre = demo.execute(
        select(func.ST_AsBinary(func.ST_PointOnSurface(Compound.geom))).where(Compound.id == row.target_id)
    ).scalar()
    point = shapely.from_wkb(bytes(wkb_centre))
    before = route_points(demo, np.array([point.x]), np.array([point.y])).result(0).to_dict()
    assert before["responsible"]["unit_id"] == row.unit_id and before["matched"]["kind"] == "compound"

    assign.end(demo, row.id, on=dt.date.today(), by="test", actor=TESTER)
    demo.commit()
    after = route_points(demo, np.array([point.x]), np.array([point.y])).result(0).to_dict()
    assert after["rule"] != "compound" or after["responsible"] is None or after["responsible"]["unit_id"] != row.unit_id


# -- no silent take-over, roles that fit, ending on the start day (issue 12) ----------------------------------------


def test_a_drawn_area_takes_only_the_unassigned_unless_taking_over_is_explicit(demo: Session) -> None:
    cx, cy = _centre(demo)
    unit = demo.scalar(select(Unit).where(Unit.kind == "enterprise").order_by(Unit.id))
    seen = preview.preview(demo, box(cx, cy, 0.004), unit_id=unit.id)
    groups = {g: [f for f in seen["features"] if f["group"] == g] for g in ("free", "own", "others")}
    assert groups["free"] and groups["others"] and seen["groups"] == {g: len(v) for g, v in groups.items()}
    # The preview names every unit that would lose something, with its count per kind.
    losses = {o["unit_id"]: o for o in seen["losses"]}
    for f in groups["others"]:
        assert losses[f["current"]["unit_id"]]["by_kind"][f["kind"]] >= 1
    assert sum(o["count"] for o in seen["losses"]) == len(groups["others"]) and unit.id not in losses
    targets = [{"kind": f["kind"], "id": f["id"], "expected": (f["current"] or {}).get("assignment_id")}
               for f in seen["features"]]  # fmt: skip
    before = _snapshot(demo)
    # Default: the held features stay with their units; only the free ones are assigned, no period is ended.
    result = assign.assign(demo, targets, unit.id, valid_from=TODAY, actor=TESTER)
    demo.commit()
    assert result["counts"]["closed"] == 0
    assert result["counts"]["assigned"] == len(groups["free"])
    assert {(h["kind"], h["id"]) for h in result["held_by_others"]} == {(f["kind"], f["id"]) for f in groups["others"]}
    assert _snapshot(demo)[2] == before[2]  # no assignment was ended
    again = preview.preview(demo, box(cx, cy, 0.004), unit_id=unit.id)
    assert again["groups"]["free"] == 0 and again["groups"]["others"] == len(groups["others"])
    # Explicit take-over: now they change hands, and the old periods end today.
    targets = [{"kind": f["kind"], "id": f["id"], "expected": f["current"]["assignment_id"]}
               for f in again["features"] if f["group"] == "others"]  # fmt: skip
    taken = assign.assign(demo, targets, unit.id, valid_from=TODAY, actor=TESTER, take_over=True)
    demo.commit()
    assert taken["counts"]["assigned"] == taken["counts"]["closed"] == len(groups["others"])
    assert preview.preview(demo, box(cx, cy, 0.004), unit_id=unit.id)["groups"]["others"] == 0


def test_a_role_that_does_not_fit_the_kind_is_refused(demo: Session) -> None:
    compound = demo.scalar(select(Compound.id).order_by(Compound.id))
    unit = demo.scalar(select(Unit.id).where(Unit.kind == "enterprise").order_by(Unit.id))
    before = _snapshot(demo)
    with pytest.raises(InvalidInput, match="cannot take the role road_chief") as err:
        assign.assign(demo, [{"kind": "compound", "id": compound}], unit, "road_chief", TODAY, actor=TESTER)
    assert err.value.zh and "小区不适用“路长”角色" in err.value.zh
    demo.rollback()
    assert _snapshot(demo) == before


def test_roles_and_ending_over_http_say_why_in_chinese(client, demo: Session) -> None:
    compound = demo.scalar(select(Compound.id).order_by(Compound.id))
    unit = demo.scalar(select(Unit.id).where(Unit.kind == "enterprise").order_by(Unit.id))
    r = client.post("/api/v1/assignments", json={"targets": [{"kind": "compound", "id": compound}], "unit_id": unit,
                                                 "role": "road_chief"})  # fmt: skip
    assert r.status_code == 400 and "路长" in r.json["message"] and "road_chief" in r.json["error"]
    # A compound lead on a compound fits; ending it on the day it started says why, in Chinese; tomorrow works.
    ok = client.post("/api/v1/assignments", json={"targets": [{"kind": "compound", "id": compound}], "unit_id": unit,
                                                  "role": "compound_lead", "valid_from": TODAY.isoformat(),
                                                  "take_over": True})  # fmt: skip
    assert ok.status_code == 201, ok.json
    aid = ok.json["assigned"][0]["assignment_id"]
    same_day = client.post(f"/api/v1/assignments/{aid}/end", json={"on": TODAY.isoformat()})
    assert same_day.status_code == 400 and "今天才开始" in same_day.json["message"]
    prose = re.sub(r"“[^”]*”", "", same_day.json["message"])  # the input's name (“on”) is quoted as sent
    assert "“on”" in same_day.json["message"] and not any(c.isascii() and c.isalpha() for c in prose)  # no English
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    assert client.post(f"/api/v1/assignments/{aid}/end", json={"on": tomorrow}).status_code == 200
    # English readers get English.
    en = client.post(f"/api/v1/assignments/{aid}/end?lang=en", json={"on": tomorrow})
    assert en.status_code == 409 and "already ended" in en.json["message"]


def test_error_pages_speak_chinese(client) -> None:
    r = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert r.status_code == 404
    text = r.get_data(as_text=True)
    assert "未找到" in text and "not found" not in text.lower()
