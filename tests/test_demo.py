"""The demo city loads completely on both databases, with the gaps it is meant to have.

The loader itself runs here (with the reports, as ``gridmap demo`` does, and through the command line); the tests
that only look at what it loaded read the session's demo city (the ``demo_city`` mark), which the same loader
built on the same database."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from gridmap.cli import main
from gridmap.config import DEMO_DATA_DIR, Settings
from gridmap.errors import InvalidInput
from gridmap.imports.demo import load_demo
from gridmap.responsibility.overview import store_summary
from gridmap.store.engine import make_engine, make_session_factory, upgrade
from gridmap.store.models import (
    Account,
    Area,
    Assignment,
    Case,
    CaseEvent,
    CaseStatus,
    Component,
    Compound,
    Grid,
    Segment,
    Unit,
)


def test_demo_city_loads_with_gaps(session: Session, tmp_path: Path) -> None:
    counts = load_demo(session, DEMO_DATA_DIR, with_reports=True, hash_password=_fast_hash)
    session.flush()
    assert counts["streets"] == 7 and counts["communities"] == 84
    assert counts["segments"] >= 2000 and counts["compounds"] >= 500
    # the components inventory 部件: a few hundred along the roads, each with its owner 权属单位
    assert 200 <= counts["components"] <= 800
    assert session.scalar(select(func.count(Component.id)).where(Component.owner_unit_id.is_(None))) == 0
    classes = set(session.scalars(select(Component.class_code).distinct()))
    assert {"0101", "0104"} <= classes
    assert session.scalar(select(func.count(Segment.id)).where(Segment.name.is_(None))) == 0
    names = set(session.scalars(select(Segment.name)))
    assert {"和平街", "新华街", "凤山路", "久安路", "长治路", "锦瑞路"} <= names
    streets = set(session.scalars(select(Area.name).where(Area.level == "street")))
    assert streets == {"滨河街道", "凤山街道", "莲花池街道", "城北街道", "田家会街道", "交口街道", "西属巴街道"}

    summary = store_summary(session)
    # Deliberate gaps: some of every layer has no responsible unit today, but most does.
    for layer in ("segments", "compounds", "grids"):
        share = summary[f"{layer}_assigned"] / summary[layer]
        assert 0.8 < share < 1.0, (layer, share)
    assert summary["segments_unassigned_km"] > 0
    # Every 街道/社区 office is linked to its area (the default responsible party).
    linked = session.scalar(select(func.count(Unit.id)).where(Unit.area_id.is_not(None)))
    assert linked == 7 + 84
    # History: some targets had an earlier responsible unit.
    closed = session.scalar(
        select(func.count(Assignment.id)).where(Assignment.role == "responsible", Assignment.valid_to.is_not(None))
    )
    assert closed > 0
    # A year of reports opened as cases, each routed to a responsible unit; class shares as in DOMAIN.md.
    # (and the 门前五包 reports inside the demo shops' frontages, numbered after them)
    assert counts["cases"] == session.scalar(select(func.count(Case.id))) == 3000 + counts["shop_reports"]
    assert 500 < counts["shop_reports"] < 3000 and counts["shops"] == 300 and counts["shop_scores"] >= 300 * 12
    # 在职党员进社区: members of 滨河街道's communities, three posts each, a quarter of services
    assert counts["volunteers"] == 52 and counts["volunteer_posts"] % 3 == 0 and counts["volunteer_shifts"] > 200
    assert session.scalar(select(func.count(Case.id)).where(Case.unit_id.is_(None))) == 0
    own = Case.client_id <= "demo-03000"
    city_appearance = session.scalar(select(func.count(Case.id)).where(own, Case.category.like("01%"))) / 3000
    street_order = session.scalar(select(func.count(Case.id)).where(own, Case.category.like("05%"))) / 3000
    assert 0.55 < city_appearance < 0.75 and 0.15 < street_order < 0.33
    # ... with a year of history that ends at the start of today (the default load day)
    today = dt.datetime.now(AS_OF_TZ).date()  # the city's today
    _check_history(session, today)
    # the same day's load on another database gives the very same history, event for event
    assert _events(session) == _events_of_a_fresh_load(tmp_path, today)


def _fast_hash(password: str) -> str:
    return "not-a-real-hash"  # the loader hashes once and shares it: any string will do here


AS_OF_TZ = dt.timezone(dt.timedelta(hours=8))  # the demo city's zone (Asia/Shanghai, no daylight saving)


def _check_history(session: Session, as_of: dt.date) -> None:
    """Every state present, the loop's side paths in realistic shares, open cases overdue, everything before the
    load day and named after a real account."""
    end = dt.datetime.combine(as_of, dt.time(0), tzinfo=AS_OF_TZ)
    n = session.scalar(select(func.count(Case.id)))
    by_status = dict(session.execute(select(Case.status, func.count()).group_by(Case.status)).all())
    assert set(by_status) == {s.value for s in CaseStatus}, by_status
    assert 0.8 < by_status["closed"] / n < 0.95 and 0.01 < by_status["void"] / n < 0.06

    def share(*where: object) -> float:
        return (session.scalar(select(func.count(Case.id)).where(*where)) or 0) / n

    assert 0.05 < share(Case.rework_count > 0) < 0.15  # re-check failed → rework
    assert 0.03 < share(Case.extension_count > 0) < 0.12  # extension asked and granted
    assert 0.03 < share(Case.supervision_level > 0) < 0.12  # supervised (督办)
    resumed = session.scalar(select(func.count(func.distinct(CaseEvent.case_id))).where(CaseEvent.action == "resume"))
    assert resumed > 5  # parked for a while, then taken up again
    overdue = share(Case.status.in_(["open", "dispatched", "in_progress", "reported_back"]), Case.deadline_at < end)
    assert 0.02 < overdue < 0.08
    late = share(Case.status == "closed", Case.closed_at > Case.deadline_at)
    assert 0.03 < late < 0.3  # some finished late, most in time
    first, last = session.execute(select(func.min(CaseEvent.at), func.max(CaseEvent.at))).one()
    first, last = (t if t.tzinfo else t.replace(tzinfo=dt.UTC) for t in (first, last))
    assert end - dt.timedelta(days=366) <= first and last < end  # a year, ending before the load day
    assert last > end - dt.timedelta(days=4)  # ... right up to it (a weekend at most in between)
    recent = session.scalar(select(func.count(Case.id)).where(Case.closed_at >= end - dt.timedelta(days=30)))
    assert recent > 0.05 * n  # last month's scorecard has cases to count
    actors = set(session.scalars(select(CaseEvent.actor).where(CaseEvent.action != "import").distinct()))
    accounts = dict(session.execute(select(Account.username, Account.active)).all())
    assert actors <= set(accounts), actors - set(accounts)
    clerks = {a for a in actors if a.startswith("demo-clerk-")}
    assert len(clerks) > 20 and not any(accounts[c] for c in clerks)  # the units' clerks: real, disabled accounts
    # each unit's steps are taken by its own clerk
    wrong = session.scalar(
        select(func.count(CaseEvent.id))
        .join(Case, Case.id == CaseEvent.case_id)
        .join(Account, Account.username == CaseEvent.actor)
        .where(CaseEvent.action.in_(["accept", "report_back"]), Account.scope_unit_id != Case.unit_id)
    )
    assert wrong == 0


def _events(session: Session) -> list[tuple]:
    rows = session.execute(
        select(
            Case.client_id,
            CaseEvent.seq,
            CaseEvent.action,
            CaseEvent.from_status,
            CaseEvent.to_status,
            CaseEvent.actor,
            CaseEvent.at,
            CaseEvent.note,
            CaseEvent.data,
        )
        .join(Case, Case.id == CaseEvent.case_id)
        .order_by(Case.client_id, CaseEvent.seq)
    ).all()
    return [(*r[:6], r.at if r.at.tzinfo else r.at.replace(tzinfo=dt.UTC), r.note, r.data) for r in rows]


def _events_of_a_fresh_load(tmp_path: Path, as_of: dt.date) -> list[tuple]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'again.sqlite'}", instance_dir=tmp_path)
    engine = make_engine(settings)
    try:
        upgrade(engine)
        with make_session_factory(engine)() as other:
            load_demo(other, DEMO_DATA_DIR, settings, with_reports=True, hash_password=_fast_hash, as_of=as_of)
            other.flush()
            return _events(other)
    finally:
        engine.dispose()


@pytest.mark.demo_city
def test_demo_geometry_is_consistent_in_the_database(session: Session) -> None:
    # Every grid lies within its community (small tolerance for the 6-decimal rounding of the files).
    outside = session.execute(
        text(
            "SELECT count(*) FROM grids g JOIN areas a ON a.id = g.community_id "
            "WHERE NOT ST_Within(g.geom, ST_Buffer(a.geom, 0.000002))"
        )
    ).scalar()
    assert outside == 0
    grid_m2 = session.scalar(select(func.sum(Grid.area_m2)))
    district_m2 = session.scalar(select(Area.area_m2).where(Area.level == "district"))
    assert grid_m2 == pytest.approx(district_m2, rel=1e-4)
    assert session.scalar(select(func.count(Compound.id)).where(Compound.community_id.is_(None))) == 0


def test_a_broken_demo_table_loads_nothing(session: Session, tmp_path: Path) -> None:
    data = tmp_path / "demo"
    shutil.copytree(DEMO_DATA_DIR, data)
    table = pd.read_csv(data / "assignments.csv", dtype=str, keep_default_na=False)
    first = table.iloc[0].copy()
    first["unit_code"] = "U001"
    first["valid_from"] = "2020-01-01"  # open-ended period, overlapping the row it copies
    first["valid_to"] = ""
    pd.concat([table, first.to_frame().T]).to_csv(data / "assignments.csv", index=False)
    with pytest.raises(InvalidInput, match="overlaps"):
        load_demo(session, data)
    session.rollback()
    assert session.scalar(select(func.count(Segment.id))) == 0


def test_cli_demo_loads_once(settings: Settings, engine: Engine, session: Session) -> None:
    runner = CliRunner()
    url = ["--database-url", settings.database_url]
    first = runner.invoke(main, [*url, "demo", "--if-empty", "--as-of", "2026-06-15"])
    assert first.exit_code == 0, first.output
    assert "demo city loaded" in first.output
    _check_history(session, dt.date(2026, 6, 15))  # another day (a Monday), another year of history
    second = runner.invoke(main, [*url, "demo", "--if-empty"])
    assert second.exit_code == 0 and "already loaded" in second.output


@pytest.mark.demo_city
def test_demo_grids_exist_on_past_days_of_the_assignment_history(session: Session) -> None:
    first_assignment = session.scalar(select(func.min(Assignment.valid_from)))
    assert session.scalar(select(func.count(Grid.id)).where(Grid.valid_from > first_assignment)) == 0
