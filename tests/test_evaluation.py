"""Scorecards as data: two real schemes reproduced to 0.01 from hand-computed case histories, periods in local
time, a published scorecard frozen against later events, a scheme versioned on every edit and refused when wrong,
and each figure's case list counting the same cases as the figure."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from geoalchemy2 import WKTElement
from sqlalchemy.orm import Session

from gridmap.accounts.actor import Actor
from gridmap.cases.queries import list_cases
from gridmap.catalogue.categories import seed
from gridmap.config import Settings
from gridmap.errors import Conflict, InvalidInput
from gridmap.evaluation import (
    compute,
    ensure_default_schemes,
    latest_scheme,
    parse_period,
    publish,
    save_scheme,
    scorecard,
    trends,
)
from gridmap.store.models import Account, Area, Case, CaseEvent, Unit

TZ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 12, 5, 9, 0, tzinfo=TZ)
ADMIN = Actor(name="admin", role="admin", via="session")
_ids = itertools.count(1)


def t(day: str, hour: int = 10) -> dt.datetime:
    """A local time (+08:00) in 2026: ``t("11-05")`` is 5 November 10:00."""
    m, d = (int(x) for x in day.split("-"))
    return dt.datetime(2026, m, d, hour, tzinfo=TZ)


def add_case(session: Session, unit: int, deadline: dt.datetime, *, status: str = "closed",
             closed: dt.datetime | None = None, reworks: list[dt.datetime] = (), source: str = "patrol",  # type: ignore[assignment]
             street: int | None = None, events: list[tuple[str, str, dt.datetime, str]] = ()) -> int:  # type: ignore[assignment]  # fmt: skip
    """A case of ``unit`` due at ``deadline``, with a recheck_fail event per ``reworks`` time, a recheck_pass at
    ``closed`` and any other ``events`` (action, to_status, at, actor), in that order after its opening."""
    n = next(_ids)
    opened = deadline - dt.timedelta(days=2)
    c = Case(
        source=source, category="0102", urgency="normal", lon=111.14, lat=37.52,
        geom=WKTElement("POINT(111.14 37.52)", srid=4326), observed_at=opened, created_at=opened, updated_at=opened,
        status=status, unit_id=unit, deadline_at=deadline, closed_at=closed, rework_count=len(reworks),
        street_id=street, client_id=f"golden-{n}",
    )  # fmt: skip
    session.add(c)
    session.flush()
    first = "pending" if source == "public" else "open"  # a public report waits for verification on site
    steps = [("report", first, opened, "worker"), *events]
    steps += [("recheck_fail", "in_progress", at, "inspector") for at in reworks]
    if closed is not None:
        steps.append(("recheck_pass", "closed", closed, "inspector"))
    for seq, (action, to, at, actor) in enumerate(steps, start=1):
        session.add(CaseEvent(case_id=c.id, seq=seq, action=action, to_status=to, actor=actor, at=at))
    session.flush()
    return c.id


def golden_city(session: Session) -> dict[str, int]:
    """Units A and B (city offices, one peer group) and C (no cases), with November 2026 histories.

    Unit A — cases due in November (local time), judged on 5 December:
      a1  due 1 Nov 05:00 (+08:00: still 31 Oct in UTC), closed 04:00 on time     → due, closed, on time
      a2…a6  closed on time                                                        → due, closed, on time (5)
      a7  closed late, reworked once (re-check failed 20 Nov)                      → due, closed, reworked
      a8  closed on time, reworked once (re-check failed 12 Nov)                   → due, closed, on time, reworked
      a9  parked (挂账)                                                             → due, parked (excluded)
      a10 still being handled, deadline passed                                     → due, overdue
      a11 voided                                                                   → not due at all
      a12 due 28 Nov, closed 3 Dec (after the period)                              → due, not closed, overdue
      a13 due 1 Dec 03:00 (+08:00: 30 Nov in UTC)                                  → not due in November
    Unit B: b1, b2 closed on time; b3 closed late after three failed re-checks (5, 8, 11 Nov).
    """
    seed(session)
    a, b, c = (Unit(name=n, kind="city_office", code=n) for n in ("单位甲", "单位乙", "单位丙"))
    session.add_all([a, b, c])
    session.flush()
    A, B = a.id, b.id
    add_case(session, A, t("11-01", 5), closed=t("11-01", 4))
    for d in ("11-03", "11-06", "11-10", "11-15", "11-20"):
        add_case(session, A, t(d), closed=t(d, 9))
    add_case(session, A, t("11-18"), closed=t("11-22"), reworks=[t("11-20")])
    add_case(session, A, t("11-14"), closed=t("11-13"), reworks=[t("11-12")])
    add_case(session, A, t("11-16"), status="parked")
    add_case(session, A, t("11-25"), status="in_progress")
    add_case(session, A, t("11-26"), status="void")
    add_case(session, A, t("11-28"), closed=t("12-03"))
    add_case(session, A, t("12-01", 3), closed=t("11-30"))
    add_case(session, B, t("11-04"), closed=t("11-04", 8))
    add_case(session, B, t("11-09"), closed=t("11-09", 8))
    add_case(session, B, t("11-12"), closed=t("11-19"), reworks=[t("11-05"), t("11-08"), t("11-11")])
    return {"a": A, "b": B, "c": c.id}


def _row(card: dict, unit_id: int) -> dict:
    return next(r for r in card["rows"] if r["subject_id"] == str(unit_id))


def test_the_department_composite_matches_the_hand_computation(session: Session) -> None:
    """unit_composite = count tiers ×10 % + closure ×30 % + on-time ×30 % + (1 − rework) ×30 % (DOMAIN.md).

    A: due 11 (a1–a10, a12), parked 1 → denominator 10; closed 8 (a1–a8) → 80 %; on time 7 (a1–a6, a8) → 70 %;
       reworked 2 (a7, a8) → 20 %, so 1 − rework = 80; 10 cases → tier "≥ 10 → 75".
       0.1 × 75 + 0.3 × 80 + 0.3 × 70 + 0.3 × 80 = 7.5 + 24 + 21 + 24 = 76.50 → B.
    B: due 3, closed 3 → 100 %; on time 2 → 66.67 %; reworked 1 → 33.33 %, 1 − rework = 66.67; 3 cases → 60.
       0.1 × 60 + 0.3 × 100 + 0.3 × 66.667 + 0.3 × 66.667 = 6 + 30 + 20 + 20 = 76.00 → B.
    C: nothing due → listed, not graded or ranked. Ranks in the city-office group: A 1, B 2.
    """
    ids = golden_city(session)
    ensure_default_schemes(session, ADMIN, NOW)
    card = compute(session, latest_scheme(session, "unit_composite"), parse_period("2026-11", TZ), NOW)
    a, b, c = (_row(card, ids[k]) for k in "abc")
    assert a["counts"] == {"due": 11, "due_parked": 1, "due_closed": 8, "due_on_time": 7, "due_reworked": 2,
                           "due_extended": 0, "due_overdue": 2}  # fmt: skip
    assert a["values"]["closure"] == pytest.approx(80.0, abs=0.01)
    assert a["values"]["on_time"] == pytest.approx(70.0, abs=0.01)
    assert a["values"]["rework"] == pytest.approx(20.0, abs=0.01)
    assert a["values"]["overdue"] == 2
    assert a["score"] == pytest.approx(76.50, abs=0.01) and a["grade"] == "B" and a["rank"] == 1
    assert b["values"]["on_time"] == pytest.approx(66.67, abs=0.01)
    assert b["score"] == pytest.approx(76.00, abs=0.01) and b["grade"] == "B" and b["rank"] == 2
    assert c["score"] is None and c["grade"] is None and c["rank"] is None
    assert [g["key"] for g in card["groups"]] == ["city_office"] and card["groups"][0]["name_zh"] == "市直单位"


def test_the_threshold_scheme_matches_the_hand_computation(session: Session) -> None:
    """unit_threshold: on-time ≥ 70 % earns 50, −1 per point below; closure ≥ 90 % earns 20, −1 per point below;
    −0.2 per rework (re-check failures in the period); −0.5 per case due that failed the re-check three times.

    A: on time 70 % → 50; closure 80 % → 20 − 10 = 10; reworks 2 (12 and 20 Nov) → −0.4; none thrice.
       50 + 10 − 0.4 = 59.60 of 70 → B (B ≥ 52.5 = 75 % of 70).
    B: on time 66.667 % → 50 − 3.333 = 46.667; closure 100 % → 20; reworks 3 → −0.6; b3 failed thrice → −0.5.
       46.667 + 20 − 0.6 − 0.5 = 65.57 → A (A ≥ 63).
    """
    ids = golden_city(session)
    ensure_default_schemes(session, ADMIN, NOW)
    card = compute(session, latest_scheme(session, "unit_threshold"), parse_period("2026-11", TZ), NOW)
    a, b = _row(card, ids["a"]), _row(card, ids["b"])
    assert a["points"] == pytest.approx({"on_time": 50.0, "closure": 10.0, "reworks": -0.4, "rework3": 0.0})
    assert a["score"] == pytest.approx(59.60, abs=0.01) and a["grade"] == "B"
    assert b["points"]["on_time"] == pytest.approx(46.67, abs=0.01)
    assert b["score"] == pytest.approx(65.57, abs=0.01) and b["grade"] == "A"
    assert (b["rank"], a["rank"]) == (1, 2)


def test_a_published_scorecard_never_changes(session: Session) -> None:
    ids = golden_city(session)
    ensure_default_schemes(session, ADMIN, NOW)
    scheme = latest_scheme(session, "unit_composite")
    nov = parse_period("2026-11", TZ)
    published = publish(session, scheme, nov, ADMIN, NOW)
    assert published["published"]["scheme_version"] == 1
    # later: the stuck case a10 is closed on time after all, and the scheme is edited (weights changed)
    stuck = session.query(Case).filter(Case.unit_id == ids["a"], Case.status == "in_progress").one()
    stuck.status, stuck.closed_at = "closed", t("11-24")
    doc = dict(scheme.document)
    doc["components"] = [{**c, "weight": 0.25} for c in doc["components"]]
    assert save_scheme(session, doc, ADMIN, NOW).version == 2
    session.flush()
    live = scorecard(session, latest_scheme(session, "unit_composite"), nov, NOW, live=True)
    assert _row(live, ids["a"])["counts"]["due_closed"] == 9
    frozen = scorecard(session, latest_scheme(session, "unit_composite"), nov, NOW)
    assert frozen["published"] is not None and frozen["scheme"]["version"] == 1
    assert [(r["subject_id"], r["score"], r["rank"]) for r in frozen["rows"]] == [
        (r["subject_id"], r["score"], r["rank"]) for r in published["rows"]
    ]
    assert _row(frozen, ids["a"])["score"] == pytest.approx(76.50, abs=0.01)
    with pytest.raises(Conflict) as e:
        publish(session, latest_scheme(session, "unit_composite"), nov, ADMIN, NOW)
    assert e.value.zh and "已发布" in e.value.zh


def test_every_figure_links_to_the_cases_it_counts(session: Session, settings: Settings) -> None:
    ids = golden_city(session)
    ensure_default_schemes(session, ADMIN, NOW)
    for code in ("unit_composite", "unit_threshold"):
        card = compute(session, latest_scheme(session, code), parse_period("2026-11", TZ), NOW)
        a = _row(card, ids["a"])
        for key, query in a["cases"].items():
            filters = dict(pair.split("=", 1) for pair in query.split("&"))
            from urllib.parse import unquote

            filters = {k: unquote(v) for k, v in filters.items()}
            assert list_cases(session, filters, settings, now=NOW)["total"] == a["counts"][key], (key, query)


def test_streets_are_scored_by_problems_found_and_the_public_share(session: Session) -> None:
    """street_composite: 立案 − 挂账, and the share of opened cases first reported by the public (漏报)."""
    seed(session)
    unit = Unit(name="单位", kind="city_office")
    street = Area(level="street", code="141102001", name="滨河街道", area_m2=1.0,
                  geom=WKTElement("MULTIPOLYGON(((111 37,112 37,112 38,111 37)))", srid=4326))  # fmt: skip
    session.add_all([unit, street])
    session.flush()
    for k in range(4):  # four cases opened in November, one of them from a public report verified on site
        public = k == 0
        add_case(session, unit.id, t("11-20"), closed=t("11-19"), street=street.id,
                 source="public" if public else "patrol",
                 events=[("verify", "open", t("11-10"), "disp")] if public else [])  # fmt: skip
    ensure_default_schemes(session, ADMIN, NOW)
    card = compute(session, latest_scheme(session, "street_composite"), parse_period("2026-11", TZ), NOW)
    row = card["rows"][0]
    # opened: 3 patrol reports opened directly + 1 verified public report (its pending 'report' is not 立案)
    assert row["name"] == "滨河街道" and row["counts"]["opened"] == 4 and row["counts"]["opened_public"] == 1
    assert row["values"]["public_share"] == pytest.approx(25.0)
    # 0.2 × 100 (≤ 50 problems) + 0.3 × 100 + 0.3 × 100 + 0.2 × 75 = 95
    assert row["score"] == pytest.approx(95.0, abs=0.01) and row["grade"] == "A"


def test_dispatchers_are_scored_by_their_own_steps(session: Session) -> None:
    """dispatcher_post: count tiers ×20 % + on-time dispatch (≤ 30 min after the step before) ×40 % + accurate
    dispatch (dispatched − reworked) ×40 %. disp1 dispatched 3 cases: 10 min, 20 min and 2 h after opening; the
    third was later reworked. Count 3 → below the lowest tier → 0; on time 2/3; accurate 2/3.
    0 + 0.4 × 66.667 + 0.4 × 66.667 = 53.33 → D."""
    seed(session)
    unit = Unit(name="单位", kind="city_office")
    session.add(unit)
    session.add(Account(username="disp1", name="派遣员甲", password="x", fs_uniquifier="u1", role="dispatcher",
                        created_at=NOW))  # fmt: skip
    session.flush()
    for minutes, rework in ((10, False), (20, False), (120, False)):
        opened = t("11-10") - dt.timedelta(days=2)
        events = [("dispatch", "dispatched", opened + dt.timedelta(minutes=minutes), "disp1")]
        add_case(session, unit.id, t("11-10"), closed=t("11-10", 9),
                 reworks=[t("11-09")] if minutes == 120 else [], events=events)  # fmt: skip
        del rework
    ensure_default_schemes(session, ADMIN, NOW)
    card = compute(session, latest_scheme(session, "dispatcher_post"), parse_period("2026-11", TZ), NOW)
    row = next(r for r in card["rows"] if r["subject_id"] == "disp1")
    assert row["counts"] == {"dispatched": 3, "dispatched_on_time": 2, "dispatched_reworked": 1}
    assert row["score"] == pytest.approx(53.33, abs=0.01) and row["grade"] == "D" and row["name"] == "派遣员甲"


def test_periods_are_local_weeks_months_quarters_years_and_ranges() -> None:
    week = parse_period("2026-W48", TZ)
    assert (week.first_day, week.end_day) == (dt.date(2026, 11, 23), dt.date(2026, 11, 30))
    assert [p.key for p in parse_period("2026-Q1", TZ).previous(2)] == ["2025-Q4", "2025-Q3"]
    assert parse_period("2026", TZ).previous(1)[0].key == "2025"
    r = parse_period("2026-11-03..2026-11-09", TZ)
    assert r.end_day == dt.date(2026, 11, 10) and r.previous(1)[0].key == "2026-10-27..2026-11-02"
    assert parse_period("2026-11", TZ).start_utc == dt.datetime(2026, 10, 31, 16, tzinfo=dt.UTC)
    for bad in ("2026-13", "2026-W60", "2026-11-09..2026-11-03", "next month", ""):
        with pytest.raises(InvalidInput) as e:
            parse_period(bad, TZ)
        assert e.value.zh and "请写 2026-11（月）" in e.value.zh


def test_a_scheme_is_versioned_and_a_wrong_one_refused_in_chinese(session: Session) -> None:
    ensure_default_schemes(session, ADMIN, NOW)
    doc = dict(latest_scheme(session, "unit_composite").document)
    bad = {**doc, "indicators": [*doc["indicators"], {"key": "x", "name_zh": "x", "numerator": ["nonsense"]}]}
    with pytest.raises(InvalidInput) as e:
        save_scheme(session, bad, ADMIN, NOW)
    assert "nonsense" in str(e.value) and e.value.zh and "指标“x”的分子：“nonsense”不是基础计数" in e.value.zh
    with pytest.raises(InvalidInput):
        save_scheme(session, {**doc, "subject": "dispatcher"}, ADMIN, NOW)  # due counts cannot score people
    assert latest_scheme(session, "unit_composite").version == 1  # nothing half-stored
    assert save_scheme(session, doc, ADMIN, NOW, note="同上").version == 2


def test_trends_give_this_period_and_the_three_before(session: Session) -> None:
    ids = golden_city(session)
    ensure_default_schemes(session, ADMIN, NOW)
    tr = trends(session, latest_scheme(session, "unit_composite"), parse_period("2026-11", TZ), NOW)
    assert tr["periods"] == ["2026-08", "2026-09", "2026-10", "2026-11"]
    a = next(s for s in tr["series"] if s["subject_id"] == str(ids["a"]))
    assert a["scores"][:3] == [None, None, None] and a["scores"][3] == pytest.approx(76.5, abs=0.01)


def test_the_command_shows_and_publishes_a_month(session: Session, settings: Settings) -> None:
    from click.testing import CliRunner

    from gridmap.cli import main

    golden_city(session)
    session.commit()
    runner = CliRunner()
    url = ["--database-url", settings.database_url]
    assert "0 default schemes" not in runner.invoke(main, [*url, "scorecards", "seed"]).output
    shown = runner.invoke(main, [*url, "scorecards", "compute", "--period", "2026-11"])
    assert shown.exit_code == 0 and "live (not published)" in shown.output and "76.50 B  单位甲" in shown.output
    done = runner.invoke(main, [*url, "scorecards", "publish", "--period", "2026-11"])
    assert done.exit_code == 0 and "published" in done.output
    again = runner.invoke(main, [*url, "scorecards", "publish", "--period", "2026-11"])
    assert again.exit_code != 0 and "already published" in again.output
    bad = runner.invoke(main, [*url, "scorecards", "compute", "--period", "2026-13"])
    assert bad.exit_code != 0 and "no such month" in bad.output
