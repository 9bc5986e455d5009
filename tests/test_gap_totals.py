"""Maintained gap totals (issue 16) equal a full recomputation after any edits and the passing of days — on
SpatiaLite and PostGIS."""

from __future__ import annotations

import datetime as dt
import random

import pandas as pd
import pytest
from geoalchemy2 import WKTElement
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gridmap.accounts.scope import Scope
from gridmap.errors import InvalidInput
from gridmap.responsibility import assign, gap_totals, gaps
from gridmap.responsibility.places import load_areas
from gridmap.store.models import (
    AggregateDirty,
    AggregateState,
    Area,
    Assignment,
    Compound,
    GapFeature,
    Grid,
    Segment,
    Unit,
)
from tests.accounts import TESTER

pytestmark = pytest.mark.demo_city


def _check(session: Session, today: dt.date) -> None:
    """The maintained answer for ``today`` is the recomputed one, to the last feature and thousandth."""
    session.commit()
    maintained = gap_totals.today_totals(session, today)
    full = gap_totals.recomputed(session, today)
    pd.testing.assert_frame_equal(maintained, full)
    session.commit()  # (SQLite: a new read transaction sees what the refresh committed)
    assert session.scalar(select(AggregateState.day)) == today
    assert session.scalar(select(func.count()).select_from(AggregateDirty)) == 0
    answer = gaps.summary(session, today=today)
    assert answer == gaps.summary_of(load_areas(session, geometry=False), full, today)
    session.commit()


def _random_ids(session: Session, model: type[Segment] | type[Compound] | type[Grid], rng: random.Random, k: int):
    ids = session.scalars(select(model.id).order_by(model.id)).all()
    return rng.sample(list(ids), k)


def test_maintained_gap_totals_equal_a_full_recomputation_after_random_edits(session: Session) -> None:
    rng = random.Random(16)
    today = dt.date.today()
    _check(session, today)  # the first reading builds the tables
    units = session.scalars(select(Unit.id).order_by(Unit.id)).all()
    kinds = {"segment": Segment, "compound": Compound, "grid": Grid}
    done = set()
    for step in range(12):
        action = (
            ("assign", "end", "import", "day", "assign", "end", "areas")[step % 7]
            if step < 7
            else rng.choice(("assign", "assign", "end", "end", "import", "day"))
        )
        done.add(action)
        if action == "assign":  # some start later and some end soon: the passing of days must show them
            for _attempt in range(10):  # a sample overlapping a period that starts later is refused: draw again
                kind = rng.choice(list(kinds))
                start = today + dt.timedelta(days=rng.choice((0, 0, 1, 2)))
                end = start + dt.timedelta(days=rng.choice((1, 3))) if rng.random() < 0.5 else None
                targets = [{"kind": kind, "id": i} for i in _random_ids(session, kinds[kind], rng, 25)]
                try:
                    assign.assign(
                        session, targets, rng.choice(units), "responsible", start, valid_to=end, actor=TESTER,
                        take_over=True,
                    )  # fmt: skip
                    break
                except InvalidInput:
                    session.rollback()
            else:
                pytest.fail("no assignment could be made")
        elif action == "end":
            open_rows = session.execute(
                select(Assignment.id, Assignment.valid_from)
                .where(Assignment.valid_to.is_(None), Assignment.role == "responsible")
                .order_by(Assignment.id)
            ).all()
            for row in rng.sample(list(open_rows), 10):
                on = max(today, row.valid_from + dt.timedelta(days=1))
                assign.end(session, row.id, on=on, actor=TESTER)
        elif action == "import":  # written by no use case at all: a new road, a compound moved, a grid redrawn
            seg = session.execute(select(Segment.level, func.min(Segment.id)).group_by(Segment.level)).first()
            assert seg is not None
            x, y = 111.13 + rng.random() / 100, 37.52 + rng.random() / 100
            session.add(
                Segment(
                    level=seg[0],
                    length_m=123.456,
                    ext_id=f"new-{step}",
                    geom=WKTElement(f"LINESTRING({x} {y}, {x + 0.001} {y})", srid=4326),
                )
            )
            comms = session.scalars(select(Area.id).where(Area.level == "community").order_by(Area.id)).all()
            moved = _random_ids(session, Compound, rng, 3)
            session.execute(update(Compound).where(Compound.id.in_(moved)).values(community_id=rng.choice(comms)))
            grid_id = _random_ids(session, Grid, rng, 1)[0]
            session.execute(
                update(Grid).where(Grid.id == grid_id).values(valid_to=today + dt.timedelta(days=1))
            )  # the grid ends tomorrow: its area leaves the totals at midnight
            session.flush()
        elif action == "areas":
            first = session.scalar(select(Area).where(Area.level == "community").order_by(Area.id))
            assert first is not None
            first.name = f"{first.name}（改）"
        else:
            today += dt.timedelta(days=rng.choice((1, 2)))
        _check(session, today)
    assert done == {"assign", "end", "import", "day", "areas"}


def test_a_reader_with_uncommitted_edits_sees_them_and_stores_nothing(session: Session) -> None:
    today = dt.date.today()
    before = gap_totals.today_totals(session, today)
    session.commit()
    grid = session.scalar(
        select(GapFeature.feature_id).where(GapFeature.kind == "grid", GapFeature.gap).order_by(GapFeature.feature_id)
    )
    unit = session.scalar(select(Unit.id).order_by(Unit.id))
    assign.assign(session, [{"kind": "grid", "id": grid}], unit, "responsible", today, actor=TESTER)
    mine = gap_totals.today_totals(session, today)
    assert mine["gaps"].sum() == before["gaps"].sum() - 1
    session.rollback()
    pd.testing.assert_frame_equal(gap_totals.today_totals(session, today), before)


def test_past_days_are_recomputed(session: Session) -> None:
    past = dt.date.today() - dt.timedelta(days=400)
    answer = gaps.summary(session, at=past.isoformat())
    full = gap_totals.recomputed(session, past)
    assert answer == gaps.summary_of(load_areas(session, geometry=False), full, past)


def test_a_scoped_summary_from_the_maintained_sums_equals_the_recomputed_one(session: Session) -> None:
    """A 街道's or a 社区's reader gets the totals of their places only, summed in SQL, equal to the recomputation."""
    today = dt.date.today()
    session.commit()
    full = gap_totals.recomputed(session, today)
    areas = load_areas(session, geometry=False)
    street = session.scalar(select(Area).where(Area.level == "street").order_by(Area.code))
    community = session.scalar(select(Area).where(Area.level == "community").order_by(Area.code.desc()))
    assert street is not None and community is not None and community.parent is not None
    street_comms = session.scalars(select(Area.id).where(Area.parent_id == street.id)).all()
    for area, comms, street_code in (
        (street, frozenset(street_comms), street.code),
        (community, frozenset({community.id}), community.parent.code),
    ):
        scope = Scope(area.id, area.name, frozenset(), comms, None, None)
        answer = gaps.summary(session, today=today, scope=scope)
        assert answer == gaps.summary_of(areas, full, today, scope)
        assert [s["code"] for s in answer["streets"]] == [street_code]
        assert {c["id"] for c in answer["streets"][0]["communities"]} == comms
        assert answer["district"] == {k: answer["streets"][0][k] for k in answer["district"]}  # all in one 街道
        session.commit()
