"""Gap totals per kind and 社区 for today, maintained instead of recomputed: the whole-city summary reads a few
hundred rows (``gap_totals``) instead of loading, locating and looking up every feature (10 s at 40× the demo city).

How it stays equal to a full recomputation:

* every write to segments, compounds, grids or assignments notes its feature in ``aggregate_dirty`` (database
  triggers, migration 0018: no write path can forget); an edit of the areas notes ``*`` (rebuild all);
* the passing of days: assignment periods and grid versions start and end on dates, so when the stored day is
  behind today the features whose periods begin or end in between are stale too;
* whoever reads first after a change brings the tables up to date in one short write transaction (the row lock of
  ``aggregate_state`` serialises processes): each stale feature's old row is replaced by its state today, and
  the totals are rewritten from the deltas. Sizes are integers (thousandths), so sums never drift.

A reader whose own transaction has written anything (uncommitted) gets a full recomputation and stores
nothing (the change may still be rolled back). Past days (``?at=``) are always recomputed in full.

>>> COLUMNS
('kind', 'community_id', 'features', 'gaps', 'measure_milli', 'gap_milli')
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import and_, case, delete, func, or_, select
from sqlalchemy.orm import Session, aliased

from gridmap.responsibility.history import id_chunks
from gridmap.responsibility.places import Areas, load_areas, load_layer
from gridmap.store import maintained
from gridmap.store.change_counters import counters_now
from gridmap.store.dialect import dialect_of
from gridmap.store.models import AggregateDirty, Area, Assignment, GapFeature, GapTotal, Grid
from gridmap.store.targets import KINDS, TARGETS

NAME = "gaps"  # aggregate_state.name
OUTSIDE = 0  # community_id of a feature outside every community (area ids start at 1)
REBUILD = "*"  # aggregate_dirty.kind: the areas changed, rebuild everything
COLUMNS = ("kind", "community_id", "features", "gaps", "measure_milli", "gap_milli")
SUMS = len(KINDS) * (len(COLUMNS) - 2)  # figures of one place: per kind (KINDS' order) features, gaps, measure, gap
_STATE_COLUMNS = ("kind", "feature_id", "community_id", "measure_milli", "gap")


def feature_states(
    session: Session, kind: str, on: dt.date, areas: Areas, ids: Iterable[int] | None = None
) -> pd.DataFrame:
    """Each feature of ``kind`` existing on ``on`` (of ``ids``, when given): community id, size in thousandths,
    gap (nobody responsible that day)."""
    layer = load_layer(session, kind, on, areas, ids)
    if len(areas.ids):
        community = np.where(layer.community >= 0, areas.ids[np.maximum(layer.community, 0)], OUTSIDE)
    else:  # roads or grids before any boundary was imported: every feature is outside
        community = np.full(len(layer.ids), OUTSIDE, dtype=np.int64)
    return pd.DataFrame(
        {
            "kind": kind,
            "feature_id": layer.ids,
            "community_id": community.astype(np.int64),
            "measure_milli": np.rint(layer.measure * 1000).astype(np.int64),
            "gap": layer.unit < 0,
        },
        columns=list(_STATE_COLUMNS),
    )


def totals_of(states: pd.DataFrame) -> pd.DataFrame:
    """Per-feature states summed per kind and community (:data:`COLUMNS`), sorted."""
    if states.empty:
        return pd.DataFrame({c: pd.Series(dtype=object if c == "kind" else np.int64) for c in COLUMNS})
    df = states.assign(
        features=1, gaps=states["gap"].astype(np.int64), gap_milli=np.where(states["gap"], states["measure_milli"], 0)
    )
    out = df.groupby(["kind", "community_id"], as_index=False)[["features", "gaps", "measure_milli", "gap_milli"]]
    return out.sum().astype({c: np.int64 for c in COLUMNS[1:]}).sort_values(["kind", "community_id"], ignore_index=True)


def recomputed(session: Session, on: dt.date) -> pd.DataFrame:
    """The totals on ``on`` from every feature: the baseline the maintained tables must equal."""
    areas = load_areas(session)
    return totals_of(pd.concat([feature_states(session, k, on, areas) for k in KINDS], ignore_index=True))


def stored(session: Session) -> pd.DataFrame:
    """The maintained totals as they are stored."""
    rows = session.execute(select(*(getattr(GapTotal, c) for c in COLUMNS))).all()
    df = pd.DataFrame([tuple(r) for r in rows], columns=list(COLUMNS))
    return df.astype({c: np.int64 for c in COLUMNS[1:]}).sort_values(["kind", "community_id"], ignore_index=True)


def today_totals(session: Session, today: dt.date | None = None) -> pd.DataFrame:
    """Today's totals: read from the maintained tables, brought up to date first when a write or a midnight has
    passed since (see the module docstring)."""
    today = today or dt.date.today()
    return stored(session) if ensure_current(session, today) else recomputed(session, today)


def version(session: Session, today: dt.date, reader: str = "") -> str:
    """A tag of today's totals as ``session`` reads them for ``reader`` (its scope): the layers' change counter (moved
    by every committed write to segments, compounds, grids, areas, units or assignments, by any process — migration
    0007's triggers) and the day. Equal tags, equal answers: the summary's HTTP ETag, so a page that has today's
    answer gets a 304 instead of 3,360 社区 again."""
    n = counters_now(session).get("layers", 0)
    return hashlib.blake2b(f"{NAME}|{n}|{today.isoformat()}|{reader}".encode(), digest_size=12).hexdigest()


def ensure_current(session: Session, today: dt.date) -> bool:
    """Bring the maintained tables to ``today`` (in a transaction of their own) so that ``session`` reads them;
    False when it cannot (its own uncommitted writes, or a session on one connection): recompute instead."""
    if not maintained.readable(session):
        return False
    if maintained.is_current(session, NAME, AggregateDirty, today):
        return True
    done, _ = maintained.apart(session, lambda writer: refresh(writer, today))
    return done


def refresh(session: Session, today: dt.date) -> pd.DataFrame:
    """Bring the maintained tables to ``today`` in ``session``'s transaction (the caller commits); the totals."""
    state, top, notes = maintained.claim(session, NAME, AggregateDirty)
    if state.day == today and top is None:
        return stored(session)  # another process brought it up to date while we waited
    if state.day is None or state.day > today or any(k == REBUILD for k, _ in notes):
        totals = _rebuild(session, today)
    else:
        stale: dict[str, set[int]] = {k: set() for k in KINDS}
        for kind, target_id in notes:
            if kind in stale:
                stale[kind].add(int(target_id))
        if today > state.day:
            for kind, ids in _changed_between(session, state.day, today).items():
                stale[kind] |= ids
        totals = _update(session, today, stale)
    maintained.settle(session, state, AggregateDirty, top, today)
    return totals


def _rebuild(session: Session, today: dt.date) -> pd.DataFrame:
    areas = load_areas(session)
    states = pd.concat([feature_states(session, k, today, areas) for k in KINDS], ignore_index=True)
    session.execute(delete(GapFeature))
    _insert_states(session, states)
    totals = totals_of(states)
    _store_totals(session, totals)
    return totals


def _update(session: Session, today: dt.date, stale: dict[str, set[int]]) -> pd.DataFrame:
    if not any(stale.values()):
        return stored(session)
    # grids always store their community: the outlines are read only when a segment or compound may need them
    areas = load_areas(session, geometry=bool(stale.get("segment") or stale.get("compound")))
    old_parts, new_parts = [], []
    for kind, ids in stale.items():
        if not ids:
            continue
        for chunk in id_chunks(sorted(ids)):
            where = (GapFeature.kind == kind, GapFeature.feature_id.in_(chunk))
            rows = session.execute(select(*(getattr(GapFeature, c) for c in _STATE_COLUMNS)).where(*where)).all()
            old_parts.append(pd.DataFrame([tuple(r) for r in rows], columns=list(_STATE_COLUMNS)))
            session.execute(delete(GapFeature).where(*where))
        new_parts.append(feature_states(session, kind, today, areas, ids))
    old = pd.concat(old_parts, ignore_index=True).astype({"gap": bool})
    new = pd.concat(new_parts, ignore_index=True)
    _insert_states(session, new)
    delta = pd.concat([totals_of(new), _negated(totals_of(old))], ignore_index=True)
    delta = delta.groupby(["kind", "community_id"], as_index=False)[list(COLUMNS[2:])].sum()
    delta = delta[(delta[list(COLUMNS[2:])] != 0).any(axis=1)]
    for touched_kind, part in delta.groupby("kind"):  # only the rows of the communities touched are rewritten
        communities = [int(c) for c in part["community_id"]]
        where = (GapTotal.kind == str(touched_kind), GapTotal.community_id.in_(communities))
        rows = session.execute(select(*(getattr(GapTotal, c) for c in COLUMNS)).where(*where)).all()
        before = pd.DataFrame([tuple(r) for r in rows], columns=list(COLUMNS))
        session.execute(delete(GapTotal).where(*where))
        _insert_totals(session, totals_of_sums(pd.concat([before, part], ignore_index=True)))
    return stored(session)


def _negated(totals: pd.DataFrame) -> pd.DataFrame:
    out = totals.copy()
    for c in COLUMNS[2:]:
        out[c] = -out[c]
    return out


def totals_of_sums(parts: pd.DataFrame) -> pd.DataFrame:
    """Rows of :data:`COLUMNS` added up per kind and community; communities left with no feature dropped."""
    out = parts.groupby(["kind", "community_id"], as_index=False)[list(COLUMNS[2:])].sum()
    out = out[out["features"] != 0]
    return out.astype({c: np.int64 for c in COLUMNS[1:]}).sort_values(["kind", "community_id"], ignore_index=True)


def _changed_between(session: Session, after: dt.date, upto: dt.date) -> dict[str, set[int]]:
    """Features whose responsibility or existence may differ between day ``after`` and day ``upto``: an assignment
    period or a grid version starting or ending in ``(after, upto]``."""
    out: dict[str, set[int]] = {k: set() for k in KINDS}

    def within(col: Any) -> Any:  # a date column
        return (col > after) & (col <= upto)

    for kind, target_id in session.execute(
        select(Assignment.target_kind, Assignment.target_id).where(
            or_(within(Assignment.valid_from), within(Assignment.valid_to))
        )
    ):
        if kind in out:
            out[kind].add(int(target_id))
    if TARGETS["grid"].versioned:
        out["grid"].update(
            int(i) for i in session.scalars(select(Grid.id).where(or_(within(Grid.valid_from), within(Grid.valid_to))))
        )
    return out


def _insert_states(session: Session, states: pd.DataFrame) -> None:
    if states.empty:
        return
    rows = list(
        zip(
            states["kind"].tolist(),
            states["feature_id"].astype(int).tolist(),
            states["community_id"].astype(int).tolist(),
            states["measure_milli"].astype(int).tolist(),
            states["gap"].astype(bool).tolist(),
            strict=True,
        )
    )
    dialect_of(session).insert_rows(session.connection(), "gap_features", _STATE_COLUMNS, rows)


def _store_totals(session: Session, totals: pd.DataFrame) -> None:
    session.execute(delete(GapTotal))
    _insert_totals(session, totals)


def _insert_totals(session: Session, totals: pd.DataFrame) -> None:
    rows = list(zip(*(totals[c].tolist() for c in COLUMNS), strict=True))
    if rows:
        dialect_of(session).insert_rows(session.connection(), "gap_totals", COLUMNS, rows)


# -- roll-ups read in SQL -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """One 街道 or 社区 of a roll-up and its :data:`SUMS` figures."""

    id: int
    code: str
    name: str
    parent_id: int | None
    sums: tuple[int, ...]


@dataclass(frozen=True)
class RolledUp:
    """The maintained totals summed per 社区, 街道, the whole and outside every 街道 (None: nothing there) — three
    statements, whatever the size of the city."""

    communities: list[Place]  # by code; only those of a 街道
    streets: list[Place]  # by code; with a scope, only those holding a 社区 of it
    whole: tuple[int, ...]
    outside: tuple[int, ...] | None


def _pivot() -> list[Any]:
    """The :data:`SUMS` columns: each figure of :data:`COLUMNS` summed per kind (0 where none)."""
    t = GapTotal
    return [func.sum(case((t.kind == k, getattr(t, c)), else_=0)) for k in KINDS for c in COLUMNS[2:]]


def _ints(row: Sequence[Any]) -> tuple[int, ...]:
    return tuple(map(int, row))  # (PostgreSQL sums bigints as numeric)


def _added(rows: Iterable[tuple[int, ...]]) -> tuple[int, ...]:
    out = [0] * SUMS
    for r in rows:
        out = [a + b for a, b in zip(out, r, strict=True)]
    return tuple(out)


def rolled_up(session: Session, communities: Iterable[int] | None = None) -> RolledUp:
    """The maintained totals (call :func:`ensure_current` first) rolled up per place, of ``communities`` only when
    given (a reader's scope): the 街道 and 社区, the totals grouped per 社区 and grouped per parent — three
    statements none of which joins a grouped result (a planner misjudging the sizes would repeat it per area); the
    whole and the outside are sums of the few parent rows."""
    t = GapTotal
    wanted = None if communities is None else sorted(int(i) for i in communities)
    scoped = [] if wanted is None else [t.community_id.in_(wanted)]
    run = session.connection().execute  # Core rows: the ORM's wrapping of each row costs more than the sums
    places = run(
        select(Area.id, Area.code, Area.name, Area.level, Area.parent_id)
        .where(Area.level.in_(("street", "community")))
        .order_by(Area.code)
    ).all()
    per_community = {
        r[0]: _ints(r[1:]) for r in run(select(t.community_id, *_pivot()).where(*scoped).group_by(t.community_id))
    }
    c = aliased(Area)
    per_parent = {
        r[0]: _ints(r[1:])
        for r in run(
            select(c.parent_id, *_pivot())
            .select_from(t)
            .outerjoin(c, and_(c.id == t.community_id, c.level == "community"))
            .where(*scoped)
            .group_by(c.parent_id)
        )
    }
    street_ids = {r[0] for r in places if r[3] == "street"}
    within = None if wanted is None else set(wanted)
    zero = (0,) * SUMS
    comms = [
        Place(int(r[0]), r[1], r[2], r[4], per_community.get(r[0], zero))
        for r in places
        if r[3] == "community" and r[4] in street_ids and (within is None or r[0] in within)
    ]
    holding = None if wanted is None else {c.parent_id for c in comms}
    outside = [v for k, v in per_parent.items() if k not in street_ids]
    return RolledUp(
        communities=comms,
        streets=[
            Place(int(r[0]), r[1], r[2], None, per_parent.get(r[0], zero))
            for r in places
            if r[3] == "street" and (holding is None or r[0] in holding)
        ],
        whole=_added(per_parent.values()),
        outside=_added(outside) if outside else None,
    )
