"""The demo city loads completely on both databases, with the gaps it is meant to have.

The loader itself runs here (with the reports, as ``gridmap demo`` does, and through the command line); the tests
that only look at what it loaded read the session's demo city (the ``demo_city`` mark), which the same loader
built on the same database."""

from __future__ import annotations

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
from gridmap.store.models import Area, Assignment, Case, Compound, Grid, Segment, Unit


def test_demo_city_loads_with_gaps(session: Session) -> None:
    counts = load_demo(session, DEMO_DATA_DIR, with_reports=True)
    session.flush()
    assert counts["streets"] == 7 and counts["communities"] == 84
    assert counts["segments"] >= 2000 and counts["compounds"] >= 500
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
    # Three months of reports opened as cases, each routed to a responsible unit; class shares as in DOMAIN.md.
    assert counts["cases"] == session.scalar(select(func.count(Case.id))) == 3000
    assert session.scalar(select(func.count(Case.id)).where(Case.unit_id.is_(None))) == 0
    city_appearance = session.scalar(select(func.count(Case.id)).where(Case.category.like("01%"))) / 3000
    street_order = session.scalar(select(func.count(Case.id)).where(Case.category.like("05%"))) / 3000
    assert 0.55 < city_appearance < 0.75 and 0.15 < street_order < 0.33


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


def test_cli_demo_loads_once(settings: Settings, engine: Engine) -> None:
    runner = CliRunner()
    url = ["--database-url", settings.database_url]
    first = runner.invoke(main, [*url, "demo", "--if-empty"])
    assert first.exit_code == 0, first.output
    assert "demo city loaded" in first.output
    second = runner.invoke(main, [*url, "demo", "--if-empty"])
    assert second.exit_code == 0 and "already loaded" in second.output


@pytest.mark.demo_city
def test_demo_grids_exist_on_past_days_of_the_assignment_history(session: Session) -> None:
    first_assignment = session.scalar(select(func.min(Assignment.valid_from)))
    assert session.scalar(select(func.count(Grid.id)).where(Grid.valid_from > first_assignment)) == 0
