"""The closed loop on both databases: every legal and illegal transition, deadlines, parking, extensions,
duplicates, client ids, concurrent transitions and bad input that leaves nothing half-stored."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridmap.cases import ACTIONS, allowed_actions, get_case, list_cases, open_report, transition
from gridmap.config import Settings
from gridmap.errors import Conflict, InvalidInput, NotFound
from gridmap.store.engine import make_session_factory
from gridmap.store.models import Case, CaseEvent
from tests.accounts import TESTER
from tests.case_helpers import GIF, JPEG, LAT, LON, MONDAY_9, FakeRouter, case_settings, counts, report, seed_city

H = dt.timedelta(hours=1)


@pytest.fixture
def ctx(settings: Settings, session: Session, tmp_path):
    units = seed_city(session)
    session.commit()
    return {
        "settings": case_settings(settings, tmp_path),
        "units": units,
        "router": FakeRouter(units["a"]),
    }


def _open(session: Session, ctx, now=MONDAY_9, **kw) -> dict:
    return open_report(session, report(**kw), ctx["settings"], now=now, router=ctx["router"], actor=TESTER)


def _act(session: Session, ctx, case: dict, action: str, now=MONDAY_9, **kw) -> dict:
    kw.setdefault("note", "意见")
    return transition(
        session,
        case["id"],
        action,
        ctx["settings"],
        version=case["version"],
        actor=TESTER,
        actor_note="指挥长",
        now=now,
        **kw,
    )


# Paths from a fresh report to each state (the report's source decides pending or open).
PATHS: dict[str, tuple[str, list[tuple[str, dict]]]] = {
    "pending": ("public", []),
    "open": ("patrol", []),
    "dispatched": ("patrol", [("dispatch", {})]),
    "dispatched+ext": ("patrol", [("dispatch", {}), ("request_extension", {"data": {"amount": 2}})]),
    "in_progress": ("patrol", [("dispatch", {}), ("accept", {})]),
    "in_progress+ext": ("patrol", [("dispatch", {}), ("accept", {}), ("request_extension", {"data": {"amount": 1}})]),
    "reported_back": ("patrol", [("dispatch", {}), ("accept", {}), ("report_back", {})]),
    "closed": ("patrol", [("dispatch", {}), ("accept", {}), ("report_back", {}), ("recheck_pass", {})]),
    "void": ("patrol", [("void", {})]),
    "parked": ("patrol", [("park", {})]),
}

EXPECTED_TARGET = {
    "verify": "open",
    "dispatch": "dispatched",
    "accept": "in_progress",
    "report_back": "reported_back",
    "recheck_pass": "closed",
    "recheck_fail": "in_progress",
    "send_back": "open",
    "park": "parked",
    "void": "void",
}


def _drive(session: Session, ctx, path: str) -> dict:
    source, steps = PATHS[path]
    case = _open(session, ctx, source=source)
    for action, kw in steps:
        case = _act(session, ctx, case, action, **kw)
    session.commit()
    return case


@pytest.mark.parametrize("path", list(PATHS))
def test_every_action_from_every_state(session: Session, ctx, path: str) -> None:
    """Each of the 14 actions from each state: the allowed ones succeed with an event, the others are refused
    with a message naming the state and the allowed actions — and change nothing."""
    status = path.split("+")[0]
    allowed = set(allowed_actions(status, path.endswith("+ext")))
    for action in ACTIONS:
        case = _drive(session, ctx, path)
        before = counts(session)
        data = {"amount": 1} if action == "request_extension" else {}
        if action in allowed:
            after = _act(session, ctx, case, action, data=data)
            session.commit()
            expected = EXPECTED_TARGET.get(action, status)
            if action == "resume":
                expected = "open"  # parked from open
            assert after["status"] == expected, action
            assert after["version"] == case["version"] + 1
            last = after["events"][-1]
            assert (last["action"], last["from_status"], last["to_status"]) == (action, status, expected)
            assert (
                last["actor"] == "tester" and last["data"]["actor_note"] == "指挥长" and last["seq"] == after["version"]
            )
            assert counts(session) == (before[0], before[1] + 1)
        else:
            with pytest.raises(Conflict) as err:
                _act(session, ctx, case, action, data=data)
            session.rollback()
            msg = str(err.value)
            assert f"it is {status}" in msg and "allowed now" in msg, msg
            for a in allowed:
                assert a in msg
            assert counts(session) == before
            assert get_case(session, case["id"], ctx["settings"])["version"] == case["version"]


def test_the_whole_loop_with_rework_and_photos(session: Session, ctx) -> None:
    case = _open(session, ctx, source="public")
    assert case["status"] == "pending" and case["deadline"] is None and case["created"]
    case = _act(session, ctx, case, "verify", now=MONDAY_9 + H)
    # 暴露垃圾: 4 working hours from 10:00 → 14:30 + 0.5 h (2 h before lunch, 2 after) = 16:30
    assert case["deadline"] == "2026-03-02T16:30:00+08:00" and case["verified"]
    case = _act(session, ctx, case, "dispatch", now=MONDAY_9 + H)
    assert case["unit"]["id"] == ctx["units"]["a"]
    case = _act(session, ctx, case, "accept", now=MONDAY_9 + 2 * H)
    case = _act(session, ctx, case, "report_back", now=MONDAY_9 + 2 * H, photos=[("after.jpg", JPEG)])
    photo = case["events"][-1]["photos"][0]
    assert photo["type"] == "image/jpeg" and photo["url"].startswith("/api/v1/photos/")
    assert (ctx["settings"].instance_dir / "photos" / photo["file"][:2] / photo["file"]).read_bytes() == JPEG
    case = _act(session, ctx, case, "recheck_fail", now=MONDAY_9 + 3 * H, note="垃圾未清理干净")
    assert case["status"] == "in_progress" and case["rework_count"] == 1
    assert case["unit"]["id"] == ctx["units"]["a"]  # rework goes to the same unit
    case = _act(session, ctx, case, "report_back", now=MONDAY_9 + 4 * H)
    case = _act(session, ctx, case, "recheck_pass", now=MONDAY_9 + 5 * H)
    session.commit()
    assert case["status"] == "closed" and case["closed_at"] == "2026-03-02T14:00:00+08:00"
    assert [e["action"] for e in case["events"]] == [
        "report", "verify", "dispatch", "accept", "report_back", "recheck_fail", "report_back", "recheck_pass",
    ]  # fmt: skip
    assert case["progress"]["frozen"] and not case["progress"]["overdue"]


def test_send_back_and_redispatch_to_another_unit(session: Session, ctx) -> None:
    case = _drive(session, ctx, "in_progress")
    case = _act(session, ctx, case, "send_back", note="不属于本单位")
    assert case["status"] == "open"
    case = _act(session, ctx, case, "dispatch", data={"unit_id": ctx["units"]["b"]})
    assert case["unit"]["id"] == ctx["units"]["b"]
    assert case["events"][-1]["data"]["routed_unit_id"] == ctx["units"]["a"]
    back = _act(session, ctx, case, "send_back")
    with pytest.raises(InvalidInput, match="no unit 99999"):
        _act(session, ctx, back, "dispatch", data={"unit_id": 99999})
    for bad in (1e308, 2**70, 1.5, True, "东区"):  # 1e308 was a 500 (too large for the database's integer)
        with pytest.raises(InvalidInput, match="unit"):
            _act(session, ctx, back, "dispatch", data={"unit_id": bad})


def test_extension_moves_the_deadline(session: Session, ctx) -> None:
    case = _drive(session, ctx, "in_progress")
    assert case["deadline"] == "2026-03-02T15:30:00+08:00"  # 4 working hours from 09:00: 3 h + 1 h after lunch
    with pytest.raises(InvalidInput, match="must be above 0 and at most 1000"):
        _act(session, ctx, case, "request_extension", data={"amount": 5000})
    case = _act(session, ctx, case, "request_extension", data={"amount": 2})
    assert case["extension_requested_seconds"] == 7200
    assert "approve_extension" in case["allowed_actions"] and "request_extension" not in case["allowed_actions"]
    for amount in (1e12, -1, "soon"):  # the approver may grant another amount: the same limits as the request
        with pytest.raises(InvalidInput, match="amount"):
            _act(session, ctx, case, "approve_extension", data={"amount": amount})
    case = _act(session, ctx, case, "approve_extension")
    assert case["deadline"] == "2026-03-02T17:30:00+08:00" and case["extension_count"] == 1
    assert case["progress"]["limit_seconds"] == 6 * 3600
    case = _act(session, ctx, case, "request_extension", data={"amount": 1})
    case = _act(session, ctx, case, "reject_extension", note="不予延期")
    assert case["deadline"] == "2026-03-02T17:30:00+08:00" and case["extension_requested_seconds"] is None
    with pytest.raises(InvalidInput, match="amount"):
        _act(session, ctx, case, "request_extension", data={"amount": "lots"})


def test_parking_stops_the_clock(session: Session, ctx) -> None:
    case = _drive(session, ctx, "dispatched")  # due Monday 15:30 (4 working hours from 09:00)
    case = _act(session, ctx, case, "park", now=MONDAY_9 + H, note="涉及产权纠纷")  # 1 h used, 3 h left
    frozen = case["progress"]
    assert case["status"] == "parked" and frozen["frozen"] and frozen["used_fraction"] == pytest.approx(0.25)
    # Parked over the weekend and resumed Tuesday 09:00 (a day later): the 3 h left carry over.
    later = get_case(session, case["id"], ctx["settings"], now=MONDAY_9 + 100 * H)
    assert later["progress"]["used_fraction"] == pytest.approx(0.25)
    case = _act(session, ctx, case, "resume", now=MONDAY_9 + 24 * H)
    assert case["status"] == "dispatched"
    assert case["deadline"] == "2026-03-03T12:00:00+08:00"
    assert case["paused_seconds"] == 23 * 3600


def test_supervise_raises_the_level(session: Session, ctx) -> None:
    case = _drive(session, ctx, "dispatched")
    case = _act(session, ctx, case, "supervise", note="请尽快处置")
    case = _act(session, ctx, case, "supervise", note="再次督办")
    assert case["supervision_level"] == 2 and case["status"] == "dispatched"


def test_transition_needs_a_version_a_known_action_and_a_reason(session: Session, ctx) -> None:
    case = _drive(session, ctx, "open")
    with pytest.raises(InvalidInput, match="version"):
        transition(session, case["id"], "dispatch", ctx["settings"], version=None, actor=TESTER)
    with pytest.raises(InvalidInput, match="unknown action 'fly'"):
        transition(session, case["id"], "fly", ctx["settings"], version=1, actor=TESTER)
    with pytest.raises(InvalidInput, match="needs a note"):
        transition(session, case["id"], "void", ctx["settings"], version=1, actor=TESTER)
    with pytest.raises(Conflict, match="version 1, you sent 7"):
        transition(session, case["id"], "dispatch", ctx["settings"], version=7, actor=TESTER)
    with pytest.raises(NotFound):
        transition(session, 424242, "dispatch", ctx["settings"], version=1, actor=TESTER)


def test_bad_photos_are_refused_and_nothing_changes(session: Session, ctx) -> None:
    case = _drive(session, ctx, "in_progress")
    before = counts(session)
    with pytest.raises(InvalidInput, match="not a JPEG, PNG or WebP"):
        _act(session, ctx, case, "report_back", photos=[("x.jpg", GIF)])
    small = case_settings(ctx["settings"], ctx["settings"].instance_dir, photo_max_bytes=10)
    with pytest.raises(InvalidInput, match="over the limit"):
        transition(
            session, case["id"], "report_back", small, version=case["version"], photos=[("a.jpg", JPEG)], actor=TESTER
        )
    session.rollback()
    assert counts(session) == before
    assert get_case(session, case["id"], ctx["settings"])["status"] == "in_progress"


# -- opening -------------------------------------------------------------------------------------------------------


def test_open_report_routes_and_sets_the_deadline(session: Session, ctx) -> None:
    answer = _open(session, ctx, category="BJ0101", client_id="phone-1")
    assert answer["status"] == "open" and answer["urgency"] == "urgent"  # a manhole cover is urgent by default
    assert answer["deadline"] == "2026-03-02T11:00:00+08:00"  # 2 urgent hours
    assert answer["responsible"]["unit_id"] == ctx["units"]["a"]
    assert answer["rule"] == "segment" and answer["matched"]["kind"] == "segment"
    lon, lat, kw = ctx["router"].calls[-1]
    assert (lon, lat) == (LON, LAT) and kw["category"] == "BJ0101" and kw["crs"] == "wgs84"


def test_gcj02_reports_are_stored_in_wgs84(session: Session, ctx) -> None:
    answer = _open(session, ctx, crs="gcj02")
    assert ctx["router"].calls[-1][2]["crs"] == "gcj02"
    # ≈ 560 m west / 76 m south of the GCJ-02 coordinates at 离石
    assert LON - 0.0075 < answer["lon"] < LON - 0.005 and LAT - 0.001 < answer["lat"] < LAT - 0.0003


def test_same_client_id_twice_returns_the_first_case(session: Session, ctx) -> None:
    first = _open(session, ctx, client_id="abc-123")
    session.commit()
    again = _open(session, ctx, client_id="abc-123", description="重复提交")
    assert again["id"] == first["id"] and again["created"] is False and first["created"] is True
    assert counts(session) == (1, 1)


def test_concurrent_same_client_id_gives_one_case(settings: Settings, engine: Engine, ctx) -> None:
    factory = make_session_factory(engine)
    results: list[object] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        with factory() as s:
            barrier.wait()
            try:
                results.append(
                    open_report(s, report(client_id="race-1"), ctx["settings"], router=ctx["router"], actor=TESTER)
                )
                s.commit()
            except Exception as exc:  # pragma: no cover - reported below
                results.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with factory() as s:
        assert counts(s)[0] == 1
    ok = [r for r in results if isinstance(r, dict)]
    assert ok and all(r["id"] == ok[0]["id"] for r in ok)
    # the loser either replays the first case or is told to retry; never a second case, never a crash
    assert all(isinstance(r, dict | Conflict) for r in results), results


def test_duplicates_are_linked_not_lost(session: Session, ctx) -> None:
    first = _open(session, ctx)
    near = _open(session, ctx, lon=LON + 0.0003)  # ~26 m east
    assert near["duplicate_of"] == first["id"] and near["duplicate"]["distance_m"] == pytest.approx(26.5, abs=1)
    # a duplicate of a duplicate links to the first case
    nearer = _open(session, ctx, lon=LON + 0.0004)
    assert nearer["duplicate_of"] == first["id"]
    assert _open(session, ctx, lon=LON + 0.001)["duplicate_of"] is None  # ~88 m: too far
    assert _open(session, ctx, category="0104")["duplicate_of"] is None  # another category
    old = _open(session, ctx, observed_at="2026-02-20T09:00:00+08:00", lat=LAT + 0.01)
    assert _open(session, ctx, lat=LAT + 0.01)["duplicate_of"] is None  # 10 days later
    assert old["duplicate_of"] is None
    session.commit()
    detail = get_case(session, first["id"], ctx["settings"])
    assert detail["duplicates"] == [near["id"], nearer["id"]]
    # a closed case is no longer a duplicate target
    _act(session, ctx, get_case(session, first["id"], ctx["settings"]), "void", note="重复")
    for cid in (near["id"], nearer["id"]):
        _act(session, ctx, get_case(session, cid, ctx["settings"]), "void", note="重复")
    assert _open(session, ctx)["duplicate_of"] is None


def test_radius_and_period_are_configurable(session: Session, ctx, tmp_path) -> None:
    wide = case_settings(ctx["settings"], tmp_path, duplicate_radius_m=200, duplicate_days=30)
    first = open_report(session, report(), wide, now=MONDAY_9, router=ctx["router"], actor=TESTER)
    far = open_report(session, report(lon=LON + 0.002), wide, now=MONDAY_9, router=ctx["router"], actor=TESTER)
    assert far["duplicate_of"] == first["id"]  # ~177 m, inside 200 m


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (report(lon=None), "lon", "is required"),
        (report(lat=None, lon=None), "lat", "is required"),
        (report(lon="east"), "lon", "not a number"),
        (report(lat=True), "lat", "not a number"),
        (report(lat="NaN"), "lat", "finite"),
        (report(lat=111.14, lon=37.52), "lat", "swapped"),
        (report(lat=95.0), "lat", "outside"),
        (report(lon=-190.0), "lon", "outside"),
        (report(category="9999"), "category", "unknown category"),
        (report(category="01"), "category", "is a class"),
        (report(category=None), "category", "required"),
        (report(crs="bd09"), "crs", "Baidu (BD-09) coordinates are not accepted"),
        (report(crs="utm50"), "crs", "send WGS-84 or GCJ-02"),
        (report(urgency="asap"), "urgency", "normal or urgent"),
        (report(urgency=["urgent"]), "urgency", "normal or urgent"),  # was a 500 (unhashable)
        (report(observed_at="yesterday"), "observed_at", "ISO-8601"),
        (report(observed_at="2026-03-05T09:00:00+08:00"), "observed_at", "future"),
        (report(observed_at="0001-01-01T00:00:00-12:00"), "observed_at", "before 2000"),  # was a 500 (overflow)
        (report(source="email"), "source", "is not one of"),
        (report(description="长" * 4001), "description", "at most 4000"),
    ],
)
def test_bad_reports_are_refused_and_nothing_is_stored(session: Session, ctx, body, field, message) -> None:
    before = counts(session)
    with pytest.raises(InvalidInput) as err:
        open_report(session, body, ctx["settings"], now=MONDAY_9, router=ctx["router"], actor=TESTER)
    problems = err.value.problems
    assert any(p.field == field and message in p.message for p in problems), problems
    session.rollback()
    assert counts(session) == before
    assert not ctx["router"].calls  # refused before routing


def test_non_image_photo_on_a_report_stores_nothing(session: Session, ctx) -> None:
    with pytest.raises(InvalidInput, match="not a JPEG"):
        open_report(
            session,
            report(),
            ctx["settings"],
            now=MONDAY_9,
            router=ctx["router"],
            photos=[("a.gif", GIF)],
            actor=TESTER,
        )
    session.rollback()
    assert counts(session) == (0, 0)


# -- concurrency ---------------------------------------------------------------------------------------------------


def test_two_people_acting_at_once_cannot_both_win(settings: Settings, engine: Engine, ctx, session: Session) -> None:
    case = _drive(session, ctx, "reported_back")
    session.close()
    factory = make_session_factory(engine)
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def worker(action: str) -> None:
        with factory() as s:
            # both read the same version first, then act: the read-then-write race a lock table would lose
            seen = get_case(s, case["id"], ctx["settings"])
            barrier.wait()
            try:
                note = "核查" if action == "recheck_fail" else None
                out = transition(
                    s, case["id"], action, ctx["settings"], version=seen["version"], note=note, actor=TESTER
                )
                s.commit()
                outcomes[action] = out
            except Conflict as exc:
                s.rollback()
                outcomes[action] = exc

    threads = [threading.Thread(target=worker, args=(a,)) for a in ("recheck_pass", "recheck_fail")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wins = [a for a, o in outcomes.items() if isinstance(o, dict)]
    losses = [a for a, o in outcomes.items() if isinstance(o, Conflict)]
    assert len(wins) == 1 and len(losses) == 1, outcomes
    with factory() as s:
        final = get_case(s, case["id"], ctx["settings"])
        assert final["version"] == case["version"] + 1
        assert final["events"][-1]["action"] == wins[0]
        assert s.scalar(select(Case.status).where(Case.id == case["id"])) == final["status"]
        events = s.scalars(select(CaseEvent.seq).where(CaseEvent.case_id == case["id"])).all()
        assert sorted(events) == list(range(1, final["version"] + 1))


# -- listing -------------------------------------------------------------------------------------------------------


def test_list_filters_and_paging(session: Session, ctx) -> None:
    a = _open(session, ctx)  # 0102, open
    b = _open(session, ctx, category="0104", lat=LAT + 0.01)
    c = _open(session, ctx, category="BJ0101", lat=LAT + 0.02, source="public")
    session.commit()
    _act(session, ctx, get_case(session, b["id"], ctx["settings"]), "dispatch")
    session.commit()
    s = ctx["settings"]
    ids = lambda body: [i["id"] for i in body["items"]]  # noqa: E731
    assert ids(list_cases(session, {}, s)) == [c["id"], b["id"], a["id"]]
    assert ids(list_cases(session, {"status": "open,dispatched"}, s)) == [b["id"], a["id"]]
    assert ids(list_cases(session, {"category": "01"}, s)) == [b["id"], a["id"]]  # a class includes sub-classes
    assert ids(list_cases(session, {"unit": "U-A", "status": "dispatched"}, s)) == [b["id"]]
    assert ids(list_cases(session, {"unit": str(ctx["units"]["a"])}, s)) == [c["id"], b["id"], a["id"]]
    # Monday 09:00 + 4 working hours = 15:30: overdue by Tuesday
    late = list_cases(session, {"overdue": "true"}, s, now=MONDAY_9 + 30 * H)
    assert ids(late) == [b["id"], a["id"]] and late["items"][0]["progress"]["light"] == "red"
    assert ids(list_cases(session, {"overdue": "true"}, s, now=MONDAY_9 + H)) == []
    page = list_cases(session, {"per_page": "2", "page": "2"}, s)
    assert page["total"] == 3 and page["total_exact"] and ids(page) == [a["id"]]
    first = list_cases(session, {"per_page": "2"}, s)  # keyset paging: each page starts past the last id seen
    assert ids(first) == [c["id"], b["id"]] and first["next_after"] == b["id"]
    rest = list_cases(session, {"per_page": "2", "after": str(first["next_after"])}, s)
    assert ids(rest) == [a["id"]] and rest["next_after"] is None
    oldest = list_cases(session, {"per_page": "2", "sort": "oldest", "after": str(a["id"])}, s)
    assert ids(oldest) == [b["id"], c["id"]] and oldest["next_after"] == c["id"]
    with pytest.raises(InvalidInput):
        list_cases(session, {"sort": "deadline", "after": "1"}, s)
    with pytest.MonkeyPatch.context() as mp:  # a city's millions are counted up to a cap, the page still exact
        mp.setattr("gridmap.cases.queries.COUNT_CAP", 2)
        capped = list_cases(session, {"per_page": "2", "page": "2"}, s)
        assert capped["total"] == 2 and not capped["total_exact"] and ids(capped) == [a["id"]]
    assert ids(list_cases(session, {"sort": "oldest", "from": "2026-03-02T00:00:00"}, s)) == [a["id"], b["id"], c["id"]]
    assert ids(list_cases(session, {"to": "2026-03-01"}, s)) == []
    with pytest.raises(InvalidInput) as err:
        list_cases(session, {"status": "lost", "unit": "nobody", "street": "999", "per_page": "9999"}, s)
    assert {p.field for p in err.value.problems} == {"status", "unit", "street", "per_page"}
