"""The bulk replay of case steps (gridmap.cases.replay) ends where taking the same steps one by one through
``transition`` ends: the same statuses, deadlines, counters and events — and refuses what ``transition`` refuses,
writing nothing then."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmap.accounts.actor import Actor
from gridmap.cases import open_report, transition
from gridmap.cases.replay import Step, replay
from gridmap.config import Settings
from gridmap.errors import Conflict, Forbidden, InvalidInput
from gridmap.store.models import Case, CaseEvent
from tests.accounts import TESTER
from tests.case_helpers import LAT, LON, MONDAY_9, FakeRouter, case_settings, counts, report, seed_city

H = dt.timedelta(hours=1)
DISPATCHER = Actor(name="disp", role="dispatcher", via="session")
COMMANDER = Actor(name="boss", role="commander", via="session")
INSPECTOR = Actor(name="insp", role="inspector", via="session")

# One life per case: (source, [(hours after opening, action, who, note, data)]); "clerk" is unit A's clerk.
LIVES: list[tuple[str, list[tuple[float, str, str, str | None, dict | None]]]] = [
    ("patrol", [(1, "dispatch", "disp", None, None), (3, "accept", "clerk", None, None),
                (20, "report_back", "clerk", "已清理", None), (26, "recheck_pass", "insp", None, None)]),
    ("public", [(2, "verify", "disp", None, None), (3, "dispatch", "disp", None, None),
                (5, "accept", "clerk", None, None), (30, "report_back", "clerk", None, None),
                (31, "recheck_fail", "disp", "未清理干净", None), (50, "report_back", "clerk", None, None),
                (52, "recheck_pass", "disp", None, None)]),
    ("patrol", [(1, "dispatch", "disp", None, None), (2, "request_extension", "clerk", "需协调", {"amount": 2}),
                (6, "approve_extension", "boss", None, None), (7, "accept", "clerk", None, None),
                (80, "report_back", "clerk", None, None), (81, "recheck_pass", "disp", None, None)]),
    ("patrol", [(1, "dispatch", "disp", None, None), (2, "accept", "clerk", None, None),
                (3, "request_extension", "clerk", None, {"amount": 1}), (4, "reject_extension", "boss", None, None),
                (100, "supervise", "boss", "督办：请尽快处置", None), (120, "supervise", "boss", "再次督办", None)]),
    ("patrol", [(1, "park", "boss", "等待施工", None), (40, "resume", "boss", None, None),
                (41, "dispatch", "disp", None, None), (42, "send_back", "clerk", "不属本单位", None),
                (43, "dispatch", "disp", None, {"unit_id": "B"})]),
    ("public", [(5, "void", "boss", "重复上报", None)]),
    ("patrol", [(1, "dispatch", "disp", None, None), (2, "accept", "clerk", None, None),
                (3, "park", "boss", "挂账", None), (60, "void", "boss", "无法处置", None)]),
    ("public", [(70, "verify", "disp", None, None), (200, "supervise", "boss", "督办", None)]),
]  # fmt: skip


@pytest.fixture
def ctx(settings: Settings, session: Session, tmp_path):
    units = seed_city(session)
    session.commit()
    clerk = Actor(name="clerk-a", role="unit_clerk", via="session", scope_unit_id=units["a"])
    return {
        "settings": case_settings(settings, tmp_path),
        "units": units,
        "actors": {"disp": DISPATCHER, "boss": COMMANDER, "insp": INSPECTOR, "clerk": clerk},
    }


def _open_all(session: Session, ctx, lat: float) -> list[int]:
    router = FakeRouter(ctx["units"]["a"])
    ids = []
    for i, (source, _life) in enumerate(LIVES):
        body = report(source=source, lon=LON + 0.01 * i, lat=lat, category="0102" if i % 2 else "0504")
        ids.append(open_report(session, body, ctx["settings"], now=MONDAY_9, router=router, actor=TESTER)["id"])
    return ids


def _data(ctx, data: dict | None) -> dict | None:
    return None if data is None else {k: ctx["units"]["b"] if v == "B" else v for k, v in data.items()}


def _state(session: Session, ids: list[int]) -> list[tuple]:
    """Everything the steps changed, per case, with the events (without the case id)."""
    cols = ("status", "version", "updated_at", "unit_id", "verified", "deadline_unit", "limit_seconds", "deadline_at",
            "closed_at", "paused_at", "paused_seconds", "parked_from", "extension_requested_seconds",
            "extension_count", "rework_count", "supervision_level")  # fmt: skip
    out = []
    for cid in ids:
        case = session.get(Case, cid)
        assert case is not None
        events = session.execute(
            select(
                CaseEvent.seq,
                CaseEvent.action,
                CaseEvent.from_status,
                CaseEvent.to_status,
                CaseEvent.actor,
                CaseEvent.at,
                CaseEvent.note,
                CaseEvent.data,
            )
            .where(CaseEvent.case_id == cid, CaseEvent.seq > 1)
            .order_by(CaseEvent.seq)
        ).all()
        out.append((tuple(getattr(case, c) for c in cols), [tuple(e) for e in events]))
    return out


def test_replay_equals_taking_the_steps_one_by_one(session: Session, ctx) -> None:
    one_by_one = _open_all(session, ctx, LAT)
    bulk = _open_all(session, ctx, LAT + 0.01)
    steps = []
    for cid, bid, (_source, life) in zip(one_by_one, bulk, LIVES, strict=True):
        version = 1
        for hours, action, who, note, data in life:
            at = MONDAY_9 + hours * H
            answer = transition(session, cid, action, ctx["settings"], version=version, actor=ctx["actors"][who],
                                note=note, data=_data(ctx, data), now=at)  # fmt: skip
            version = answer["version"]
            steps.append(Step(bid, action, ctx["actors"][who], at, note, _data(ctx, data)))
    steps.sort(key=lambda s: s.at)  # cases interleaved in time: each case's own steps stay in order
    summary = replay(session, steps, ctx["settings"], actor=TESTER, note="test")
    session.flush()
    session.expire_all()
    assert summary.cases == len(LIVES) and summary.events == sum(len(life) for _s, life in LIVES)
    expected, got = _state(session, one_by_one), _state(session, bulk)
    assert got == expected
    statuses = [s[0][0] for s in got]
    assert statuses == ["closed", "closed", "closed", "in_progress", "dispatched", "void", "void", "open"]
    # the rules really ran: the extension moved the deadline, the fail counted a rework, supervision rose twice
    assert got[2][0][13] == 1 and got[1][0][14] == 1 and got[3][0][15] == 2 and got[4][0][3] == ctx["units"]["b"]


def test_replay_refuses_what_a_transition_refuses_and_writes_nothing(session: Session, ctx) -> None:
    ids = _open_all(session, ctx, LAT)
    session.commit()
    before = counts(session)
    clerk_b = Actor(name="clerk-b", role="unit_clerk", via="session", scope_unit_id=ctx["units"]["b"])
    clerk = ctx["actors"]["clerk"]
    at = MONDAY_9 + H
    bad = [
        ([Step(ids[0], "accept", clerk, at)], Conflict),  # not dispatched yet
        ([Step(ids[0], "dispatch", DISPATCHER, at), Step(ids[0], "accept", clerk_b, at + H)], Forbidden),  # scope
        ([Step(ids[0], "dispatch", clerk, at)], Forbidden),  # role
        ([Step(ids[0], "dispatch", DISPATCHER, at), Step(ids[0], "request_extension", COMMANDER, at, None,
                                                         {"amount": 1}),
          Step(ids[0], "approve_extension", COMMANDER, at + H)], Forbidden),  # four eyes
        ([Step(ids[0], "park", COMMANDER, at)], InvalidInput),  # no note
        ([Step(ids[0], "fly", COMMANDER, at)], InvalidInput),
    ]  # fmt: skip
    for steps, error in bad:
        with pytest.raises(error):
            replay(session, steps, ctx["settings"], actor=TESTER)
        session.rollback()
        assert counts(session) == before
    assert session.get(Case, ids[0]).status == "open"  # type: ignore[union-attr]
