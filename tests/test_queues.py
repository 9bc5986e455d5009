"""Work queues (我的待办) on both databases: each role's groups hold the cases waiting for what that role does
next, counted, nearest deadline first, within the person's scope."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from gridmap.accounts.actor import Actor
from gridmap.cases import open_report, transition
from gridmap.cases.queues import QUEUES, open_count, queue_counts, work_queue
from gridmap.errors import InvalidInput
from tests.accounts import TESTER
from tests.case_helpers import MONDAY_9, FakeRouter, case_settings, report, seed_city


@pytest.fixture
def city(settings, session: Session, tmp_path):
    units = seed_city(session)
    session.commit()
    return {"units": units, "settings": case_settings(settings, tmp_path), "session": session}


def _open(city, unit: str, **kw) -> dict:
    router = FakeRouter(city["units"][unit])
    return open_report(city["session"], report(**kw), city["settings"], actor=TESTER, router=router, now=MONDAY_9)


def _step(city, case: dict, action: str, **kw) -> dict:
    return transition(city["session"], case["id"], action, city["settings"], version=case["version"], actor=TESTER,
                      now=MONDAY_9, **kw)  # fmt: skip


def _groups(body: dict) -> dict[str, list[int]]:
    return {g["key"]: [c["id"] for c in g["items"]] for g in body["groups"]}


def test_each_role_sees_what_it_does_next(city) -> None:
    s = city["session"]
    a1 = _open(city, "a", client_id="a1")  # open: to dispatch
    a2 = _step(city, _open(city, "a", client_id="a2"), "dispatch")  # dispatched to unit a
    b1 = _step(city, _open(city, "b", client_id="b1"), "dispatch")  # dispatched to unit b
    a3 = _step(city, _step(city, _step(city, _open(city, "a", client_id="a3"), "dispatch"), "accept"), "report_back")
    a4 = _step(city, _step(city, _step(city, a3_copy := _open(city, "a", client_id="a4"), "dispatch"), "accept"),
               "request_extension", data={"amount": 2})  # fmt: skip
    del a3_copy
    s.commit()
    later = MONDAY_9 + dt.timedelta(days=30)  # everything live is overdue by then
    dispatcher = Actor(name="d", role="dispatcher", via="token")
    clerk_a = Actor(name="c", role="unit_clerk", via="token", scope_unit_id=city["units"]["a"])
    commander = Actor(name="m", role="commander", via="token")
    got = _groups(work_queue(s, dispatcher, city["settings"], now=MONDAY_9))
    assert got["to_dispatch"] == [a1["id"]] and got["to_recheck"] == [a3["id"]] and got["pending"] == []
    clerk = work_queue(s, clerk_a, city["settings"], now=later)
    got = _groups(clerk)
    assert got["dispatched"] == [a2["id"]] and all(b1["id"] not in ids for ids in got.values())  # only unit a's
    assert got["in_progress"] == [a4["id"]] and set(got["overdue"]) == {a2["id"], a4["id"]}
    assert all(c["progress"]["light"] == "red" for c in clerk["groups"][3]["items"])
    got = _groups(work_queue(s, commander, city["settings"], now=MONDAY_9))
    assert got["extension"] == [a4["id"]]
    assert queue_counts(s, dispatcher, MONDAY_9) == 2 and queue_counts(s, clerk_a, later) == 2
    # one group, paged
    one = work_queue(s, dispatcher, city["settings"], group="to_dispatch", per_page=1, now=MONDAY_9)
    assert [len(g["items"]) for g in one["groups"]] == [0, 1, 0] and one["groups"][1]["count"] == 1
    with pytest.raises(InvalidInput, match="group"):
        work_queue(s, dispatcher, city["settings"], group="nope")
    assert work_queue(s, Actor(name="v", role="viewer", via="token"), city["settings"])["groups"] == []
    assert set(QUEUES) == {"dispatcher", "unit_clerk", "grid_worker", "inspector", "commander"}
    # the menu's badge stops counting at its cap: exact below it, the cap above (a case in two groups counted once)
    for who, when in ((commander, later), (clerk_a, later), (dispatcher, MONDAY_9)):
        exact = open_count(s, who, None, now=when)
        assert exact >= 2, (who.role, exact)
        for cap in (1, exact - 1, exact, exact + 1, 100):
            assert open_count(s, who, None, now=when, cap=cap) == min(cap, exact), (who.role, cap)


def test_my_reports_and_rework(city) -> None:
    s = city["session"]
    worker = Actor(name="gw", role="grid_worker", via="token")
    mine = open_report(s, report(client_id="m1"), city["settings"], actor=worker, router=FakeRouter(city["units"]["a"]),
                       now=MONDAY_9)  # fmt: skip
    _open(city, "a", client_id="other")
    case = _step(city, _step(city, _step(city, mine, "dispatch"), "accept"), "report_back")
    s.commit()
    got = _groups(work_queue(s, worker, city["settings"], now=MONDAY_9))
    assert got["mine"] == [mine["id"]] and got["to_recheck"] == [mine["id"]]
    _step(city, case, "recheck_fail", note="垃圾未清")
    s.commit()
    clerk = Actor(name="c", role="unit_clerk", via="token", scope_unit_id=city["units"]["a"])
    assert _groups(work_queue(s, clerk, city["settings"], now=MONDAY_9))["rework"] == [mine["id"]]
