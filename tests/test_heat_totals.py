"""Maintained heat counts (issue 16) equal a full recomputation after random case writes — reports, closes, bulk
imports, voids, deletes, a grid redrawn, days passing — and ``/api/v1/heat?mode=grids`` answers from them; on
SpatiaLite and PostGIS."""

from __future__ import annotations

import datetime as dt
import random

import pandas as pd
import pytest
import shapely.geometry
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from gridmap.catalogue.categories import seed
from gridmap.errors import InvalidInput
from gridmap.maps import heat, heat_totals
from gridmap.store.models import AggregateState, Area, Case, Grid, HeatDirty

pytestmark = pytest.mark.demo_city

NOW = dt.datetime.now(dt.UTC)


def _check(session: Session, today: dt.date) -> None:
    session.commit()
    assert heat_totals.ensure_current(session, today)
    maintained = heat_totals.stored(session)
    full = heat_totals.recomputed(session, today)
    pd.testing.assert_frame_equal(maintained, full)
    session.commit()
    assert session.scalar(select(AggregateState.day).where(AggregateState.name == "heat")) == today
    assert session.scalar(select(func.count()).select_from(HeatDirty)) == 0


def _cases(session: Session, rng: random.Random, n: int, box: tuple[float, float, float, float]) -> list[Case]:
    streets = session.scalars(select(Area.id).where(Area.level == "street").order_by(Area.id)).all()
    out = []
    for _ in range(n):
        lon, lat = rng.uniform(box[0], box[2]), rng.uniform(box[1], box[3])
        at = NOW - dt.timedelta(days=rng.randint(0, 30))
        out.append(
            Case(
                source="patrol", category=rng.choice(("0102", "0501")), urgency="normal", lon=lon, lat=lat,
                geom=f"SRID=4326;POINT({lon} {lat})", observed_at=at, created_at=at, updated_at=NOW,
                status=rng.choice(("open", "dispatched", "in_progress")),
                street_id=rng.choice([*streets, None]),
            )
        )  # fmt: skip
    session.add_all(out)
    session.flush()
    return out


def test_maintained_heat_counts_equal_a_full_recomputation_after_random_edits(session: Session) -> None:
    seed(session)
    rng = random.Random(16)
    today = dt.date.today()
    grid_ids = session.scalars(select(Grid.id).order_by(Grid.id)).all()
    box = (111.12, 37.50, 111.18, 37.56)
    _cases(session, rng, 300, box)
    _check(session, today)  # the first reading builds the tables
    done = set()
    for step in range(10):
        action = ("report", "close", "import", "void", "delete", "grid", "day")[step % 7]
        done.add(action)
        ids = session.scalars(select(Case.id).order_by(Case.id)).all()
        if action == "report":
            _cases(session, rng, rng.randint(1, 5), box)
        elif action == "close":
            session.execute(update(Case).where(Case.id.in_(rng.sample(list(ids), 20))).values(status="closed"))
        elif action == "import":
            _cases(session, rng, 200, box)
        elif action == "void":
            picked = rng.sample(list(ids), 10)
            session.execute(update(Case).where(Case.id.in_(picked)).values(status="void", category="0501"))
        elif action == "delete":
            session.execute(delete(Case).where(Case.id.in_(rng.sample(list(ids), 5))))
        elif action == "grid":  # a grid ends tomorrow: its cases leave it at midnight
            gid = rng.choice(list(grid_ids))
            session.execute(update(Grid).where(Grid.id == gid).values(valid_to=today + dt.timedelta(days=1)))
        else:
            today += dt.timedelta(days=1)
        _check(session, today)
    assert done == {"report", "close", "import", "void", "delete", "grid", "day"}


def test_heat_grids_answer_from_the_maintained_counts(session: Session) -> None:
    seed(session)
    rng = random.Random(7)
    _cases(session, rng, 120, (111.12, 37.50, 111.18, 37.56))
    session.commit()
    now = NOW
    fast = heat.heat(session, {"mode": "grids", "status": "all"}, now=now)
    session.commit()
    slow = heat.heat(session, {"mode": "grids", "status": "all", "from": "2000-01-01"}, now=now)  # recomputed
    assert fast["maintained"] and not slow.get("maintained")
    assert fast["counted"] == slow["counted"] > 0 and fast["max"] == slow["max"]

    def by_id(answer):
        return {f["id"]: f["properties"]["count"] for f in answer["features"]["features"]}

    assert by_id(fast) == by_id(slow)
    slow_shapes = {f["id"]: shapely.geometry.shape(f["geometry"]) for f in slow["features"]["features"]}
    for f in fast["features"]["features"]:  # the geometries built in bulk are the grids' own, to 6 decimals
        assert shapely.geometry.shape(f["geometry"]).equals_exact(slow_shapes[f["id"]], 1e-6)
    active = heat.heat(session, {"mode": "grids"}, now=now)
    assert active["counted"] == fast["counted"]  # every case made is open
    session.execute(update(Case).values(status="closed"))
    session.commit()
    assert heat.heat(session, {"mode": "grids"}, now=now)["counted"] == 0  # the close is seen at once
    seg_fast = heat.heat(session, {"mode": "segments", "status": "all"}, now=now)
    seg_slow = heat.heat(session, {"mode": "segments", "status": "all", "from": "2000-01-01"}, now=now)
    assert by_id(seg_fast) == by_id(seg_slow)


def test_heat_grids_in_a_box_count_the_grids_it_touches(session: Session) -> None:
    seed(session)
    _cases(session, random.Random(3), 150, (111.12, 37.50, 111.18, 37.56))
    session.commit()
    whole = heat.heat(session, {"mode": "grids", "status": "all"}, now=NOW)
    box = (111.13, 37.51, 111.15, 37.53)
    part = heat.heat(session, {"mode": "grids", "status": "all", "bbox": ",".join(map(str, box))}, now=NOW)
    assert part["maintained"] and 0 < part["counted"] < whole["counted"]
    counts = {f["id"]: f["properties"]["count"] for f in whole["features"]["features"]}
    for f in part["features"]["features"]:  # each grid in the box with all its cases, as in the whole city
        assert f["properties"]["count"] == counts[f["id"]]
        assert shapely.geometry.shape(f["geometry"]).intersects(shapely.geometry.box(*box))


def test_a_rebuild_placed_before_the_lock_takes_the_writes_made_meanwhile(session: Session) -> None:
    """The first build places every case outside the write lock; cases written between that reading and the lock
    are applied on top — and when another reader built the tables meanwhile, the early placing is thrown away."""
    from gridmap.store import maintained
    from gridmap.store.engine import make_session_factory

    seed(session)
    rng = random.Random(5)
    today = dt.date.today()
    box = (111.12, 37.50, 111.18, 37.56)
    _cases(session, rng, 200, box)
    session.commit()
    other = make_session_factory(session.get_bind())
    for refreshed_meanwhile in (False, True):
        if refreshed_meanwhile:  # never built again, as far as the state row says
            session.execute(delete(AggregateState).where(AggregateState.name == "heat"))
            session.commit()
        ahead = heat_totals.place_ahead(session, today)
        assert ahead is not None and len(ahead.states) == session.scalar(select(func.count()).select_from(Case))
        session.commit()
        with other() as w:  # written after the placing, before the lock
            ids = w.scalars(select(Case.id).order_by(Case.id)).all()
            w.execute(update(Case).where(Case.id.in_(rng.sample(list(ids), 15))).values(status="closed"))
            w.execute(delete(Case).where(Case.id == ids[-1]))
            _cases(w, rng, 7, box)
            w.commit()
        if refreshed_meanwhile:
            assert heat_totals.ensure_current(session, today)  # another reader brings the tables up to date
            with other() as w:
                _cases(w, rng, 3, box)
                w.commit()
            session.commit()
        done, _ = maintained.apart(session, lambda writer, a=ahead: heat_totals.refresh(writer, today, a))
        assert done
        _check(session, today)


def test_heat_below_the_minimum_zoom_is_counted_per_street(session: Session) -> None:
    """A zoomed-out screen gets the cases per 街道 it touches (not thousands of grids): the maintained counts equal a
    count of the cases themselves, and a box keeps the 街道 it touches, each with all its cases."""
    seed(session)
    made = _cases(session, random.Random(5), 160, (111.12, 37.50, 111.18, 37.56))
    session.commit()
    per_street: dict[int, int] = {}
    for c in made:
        if c.street_id is not None:
            per_street[c.street_id] = per_street.get(c.street_id, 0) + 1

    def by_id(answer):
        return {f["id"]: f["properties"]["count"] for f in answer["features"]["features"]}

    fast = heat.heat(session, {"mode": "grids", "status": "all", "zoom": "12"}, now=NOW)
    session.commit()
    slow = heat.heat(session, {"mode": "grids", "status": "all", "zoom": "12", "from": "2000-01-01"}, now=NOW)
    assert fast["level"] == slow["level"] == "street" and fast["maintained"] and not slow["maintained"]
    assert by_id(fast) == by_id(slow) == per_street
    assert fast["count"] == sum(per_street.values()) and fast["max"] == max(per_street.values())
    segments = heat.heat(session, {"mode": "segments", "status": "all", "zoom": "12"}, now=NOW)
    assert by_id(segments) == per_street  # segments below z13: the same per-街道 answer
    assert "level" not in heat.heat(session, {"mode": "grids", "status": "all", "zoom": "14"}, now=NOW)
    assert "level" not in heat.heat(session, {"mode": "segments", "status": "all", "zoom": "13"}, now=NOW)
    box = (111.13, 37.51, 111.15, 37.53)
    part = heat.heat(
        session, {"mode": "grids", "status": "all", "zoom": "11", "bbox": ",".join(map(str, box))}, now=NOW
    )
    outlines = dict(session.execute(select(Area.id, Area.name).where(Area.level == "street")).all())
    assert 0 < len(part["features"]["features"]) < len(per_street)
    for f in part["features"]["features"]:
        assert f["properties"]["count"] == per_street[f["id"]] and f["properties"]["name"] == outlines[f["id"]]
        assert shapely.geometry.shape(f["geometry"]).envelope.intersects(shapely.geometry.box(*box).buffer(1e-3))
    for bad in ("-1", "23", "12.5", "ten"):
        with pytest.raises(InvalidInput) as caught:
            heat.heat(session, {"mode": "grids", "zoom": bad}, now=NOW)
        assert caught.value.problems[0].field == "zoom"


def test_heat_top_keeps_the_grids_with_the_most_cases(session: Session) -> None:
    """The dashboard's hot spots ask for the N hottest grids only: the same counts as the whole answer's N highest,
    from the maintained counts and from a recomputation alike."""
    seed(session)
    _cases(session, random.Random(11), 200, (111.12, 37.50, 111.18, 37.56))
    session.commit()
    whole = heat.heat(session, {"mode": "grids", "status": "all"}, now=NOW)
    ranked = sorted((-f["properties"]["count"], f["id"]) for f in whole["features"]["features"])[:5]
    session.commit()
    for extra in ({}, {"from": "2000-01-01"}):  # maintained, then recomputed
        hot = heat.heat(session, {"mode": "grids", "status": "all", "top": "5", **extra}, now=NOW)
        assert hot.get("maintained", False) is not bool(extra)
        assert sorted((-f["properties"]["count"], f["id"]) for f in hot["features"]["features"]) == ranked
        assert hot["counted"] == whole["counted"] and hot["max"] == whole["max"]
        session.commit()
    with pytest.raises(InvalidInput) as caught:
        heat.heat(session, {"mode": "grids", "top": "0"}, now=NOW)
    assert caught.value.problems[0].field == "top"
