"""Heat counts per grid / road segment / 街道, maintained instead of recomputed: ``/api/v1/heat?mode=grids`` read
every open case and located it in the grids on each request (4.4 s at 40× the demo city); now it sums a few
thousand rows of ``heat_totals``.

How it stays equal to a full recomputation (the way :mod:`gridmap.responsibility.gap_totals` does):

* every case written (opened, status, category or place changed, bulk-imported, voided, deleted) is noted in
  ``heat_dirty`` by database triggers (migration 0021): no write path can forget; a write to grids or segments notes
  ``*`` (rebuild all);
* the passing of days: grid versions start and end on dates, so a day with a grid starting or ending since the
  stored day rebuilds;
* whoever reads first after a change brings the tables up to date in one short write transaction: each noted case's
  old row in ``heat_places`` is replaced by its place today and the totals are rewritten from the deltas.

A case's grid is the grid in force containing it (a point on a shared edge: the lowest code); its segment the
nearest within :data:`SNAP_M` in the local metric CRS; its 街道 its own ``street_id``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.orm import Session

from gridmap.geo.crs import transform, utm_epsg_for
from gridmap.store import maintained
from gridmap.store.dialect import dialect_of, wkb
from gridmap.store.models import AggregateState, Case, Grid, HeatDirty, HeatPlace, HeatTotal, Segment, in_force

NAME = "heat"  # aggregate_state.name
KINDS = ("grid", "segment", "street")
SNAP_M = 30.0
PLACE_COLUMNS = ("case_id", "grid_id", "segment_id", "street_id", "status", "category")
COLUMNS = ("kind", "target_id", "status", "category", "n")
CHUNK = 20_000  # case ids per query
REBUILD_SHARE = 0.3  # more noted cases than this share of all: rebuild at once


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield list(ids[i : i + CHUNK])


def places(session: Session, on: dt.date, ids: Sequence[int] | None = None) -> pd.DataFrame:
    """Each case (of ``ids``, when given) placed on day ``on``: :data:`PLACE_COLUMNS`."""
    stmt = select(Case.id, Case.lon, Case.lat, Case.street_id, Case.status, Case.category)
    if ids is None:
        rows = session.connection().execute(stmt).all()
    else:
        rows = [
            r for chunk in _chunks(sorted(ids)) for r in session.connection().execute(stmt.where(Case.id.in_(chunk)))
        ]
    n = len(rows)
    lon = np.fromiter((r[1] for r in rows), float, n)
    lat = np.fromiter((r[2] for r in rows), float, n)
    grid = np.zeros(n, np.int64)
    seg = np.zeros(n, np.int64)
    if n:
        box = (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))
        grid = _grid_of(session, lon, lat, on, box)
        seg = _segment_of(session, lon, lat, box)
    return pd.DataFrame(
        {
            "case_id": np.fromiter((r[0] for r in rows), np.int64, n),
            "grid_id": grid,
            "segment_id": seg,
            "street_id": np.fromiter((r[3] or 0 for r in rows), np.int64, n),
            "status": [r[4] for r in rows],
            "category": [r[5] for r in rows],
        },
        columns=list(PLACE_COLUMNS),
    )


def _grid_of(session: Session, lon: np.ndarray, lat: np.ndarray, on: dt.date, box) -> np.ndarray:
    stmt = select(Grid.id, wkb(Grid.geom)).where(in_force(Grid, on), dialect_of(session).bbox_filter(Grid, box))
    grids = session.execute(stmt.order_by(Grid.code, Grid.id)).all()
    out = np.zeros(len(lon), np.int64)
    if not grids:
        return out
    ids = np.array([g[0] for g in grids], np.int64)
    pi, gi = shapely.STRtree(shapely.from_wkb([bytes(g[1]) for g in grids])).query(
        shapely.points(lon, lat), predicate="intersects"
    )
    if len(pi):
        order = np.lexsort((gi, pi))  # the lowest code first for each point
        pi, gi = pi[order], gi[order]
        first = np.r_[True, pi[1:] != pi[:-1]]
        out[pi[first]] = ids[gi[first]]
    return out


def _segment_of(session: Session, lon: np.ndarray, lat: np.ndarray, box) -> np.ndarray:
    pad = SNAP_M / 90_000 * 2
    padded = (box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad)
    segs = session.execute(
        select(Segment.id, wkb(Segment.geom))
        .where(dialect_of(session).bbox_filter(Segment, padded))
        .order_by(Segment.id)
    ).all()
    out = np.zeros(len(lon), np.int64)
    if not segs:
        return out
    epsg = utm_epsg_for(float(lon.mean()), float(lat.mean()))  # (a UTM zone is 6° wide: ample for one city)
    seg_m = transform(shapely.from_wkb([bytes(s[1]) for s in segs]), 4326, epsg)
    pts_m = transform(np.asarray(shapely.points(lon, lat)), 4326, epsg)
    pi, si = shapely.STRtree(seg_m).query_nearest(pts_m, max_distance=SNAP_M, all_matches=True)
    if len(pi):
        order = np.lexsort((si, pi))  # ties: the lowest id, whichever subset was loaded
        pi, si = pi[order], si[order]
        first = np.r_[True, pi[1:] != pi[:-1]]
        ids = np.array([s[0] for s in segs], np.int64)
        out[pi[first]] = ids[si[first]]
    return out


def totals_of(states: pd.DataFrame) -> pd.DataFrame:
    """Places counted per kind, target, status and category (:data:`COLUMNS`; no-place targets left out), sorted."""
    parts = []
    for kind in KINDS:
        col = f"{kind}_id"
        part = states[states[col] != 0].groupby([col, "status", "category"], as_index=False).size()
        parts.append(part.rename(columns={col: "target_id", "size": "n"}).assign(kind=kind))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(COLUMNS))
    return _tidy(out)


def _tidy(df: pd.DataFrame) -> pd.DataFrame:
    df = df[list(COLUMNS)]
    df = df[df["n"] != 0].astype({"target_id": np.int64, "n": np.int64, "kind": object, "status": object})
    return df.sort_values(["kind", "target_id", "status", "category"], ignore_index=True)


def recomputed(session: Session, on: dt.date) -> pd.DataFrame:
    """The totals on ``on`` from every case: the baseline the maintained table must equal."""
    return totals_of(places(session, on))


def stored(session: Session) -> pd.DataFrame:
    rows = session.execute(select(*(getattr(HeatTotal, c) for c in COLUMNS))).all()
    return _tidy(pd.DataFrame([tuple(r) for r in rows], columns=list(COLUMNS)))


def ensure_current(session: Session, today: dt.date) -> bool:
    """Bring the maintained tables to ``today`` (in a transaction of their own); False when they cannot be read by
    this session (its own uncommitted writes, or a session on one connection): recompute instead.

    The first build places every case before taking the write lock, in this session's
    read: at 40× the demo city that is most of a minute no writer should wait for. Under the lock only the rows are
    written, and the changes noted meanwhile applied on top (see :func:`refresh`)."""
    if not maintained.readable(session):
        return False
    if maintained.is_current(session, NAME, HeatDirty, today):
        return True
    ahead = place_ahead(session, today)
    done, _ = maintained.apart(session, lambda writer: refresh(writer, today, ahead))
    return done


@dataclass(frozen=True)
class Ahead:
    """A first build placed outside the lock: the note ids it saw, and every case's place."""

    seen: set[int]
    states: pd.DataFrame


def place_ahead(session: Session, today: dt.date) -> Ahead | None:
    """Place every case now, without the lock, when the tables were never built (None otherwise). The notes are
    read before the cases: a case written in between is in the places and noted too (applied again, harmlessly).
    Only the first build: a refresh deletes the notes it took and SQLite reuses their ids, so only "the day is still
    unset" proves that nobody refreshed between this reading and the lock."""
    if session.scalar(select(AggregateState.day).where(AggregateState.name == NAME)) is not None:
        return None  # built once: later rebuilds (a grid redrawn) stay under the lock, see refresh
    seen = {int(i) for i in session.scalars(select(HeatDirty.id))}
    return Ahead(seen, places(session, today))


def _rebuild_due(session: Session, day: dt.date | None, notes: list[tuple[str, int]], today: dt.date) -> bool:
    """Must the tables be rebuilt rather than updated case by case: never built, a day back, grids or segments
    written, a grid starting or ending since, or too many cases noted."""
    if day is None or day > today or any(k == "*" for k, _ in notes):
        return True
    if today > day and session.scalar(
        select(Grid.id)
        .where(
            ((Grid.valid_from > day) & (Grid.valid_from <= today)) | ((Grid.valid_to > day) & (Grid.valid_to <= today))
        )
        .limit(1)
    ):
        return True
    stale = {t for k, t in notes if k == "case"}
    return bool(stale) and len(stale) > REBUILD_SHARE * (
        session.scalar(select(func.count()).select_from(HeatPlace)) or 0
    )


def refresh(session: Session, today: dt.date, ahead: Ahead | None = None) -> None:
    """Bring the maintained tables to ``today`` in ``session``'s transaction (the caller commits). ``ahead``: a
    first build placed before the lock — used when nobody refreshed since it was read (the day still unset, every
    note it saw still there); the notes it did not see are then applied as usual."""
    state, top, notes = maintained.claim(session, NAME, HeatDirty)
    if state.day == today and top is None:
        return
    if ahead is not None and state.day is None:  # still never built: nobody refreshed since ``ahead`` was read
        ids = session.execute(
            select(HeatDirty.id, HeatDirty.kind, HeatDirty.target_id).where(HeatDirty.id <= (top or 0))
        )
        rows = [(int(i), str(k), int(t)) for i, k, t in ids]
        if ahead.seen <= {i for i, _, _ in rows}:
            unseen = [(k, t) for i, k, t in rows if i not in ahead.seen]
            if any(k == "*" for k, _ in unseen):  # grids or segments written meanwhile: the places are stale
                _rebuild(session, today)
            else:
                _write(session, ahead.states)
                if unseen:
                    _update(session, today, sorted({t for k, t in unseen if k == "case"}))
            maintained.settle(session, state, HeatDirty, top, today)
            return
    stale = {int(t) for k, t in notes if k == "case"}
    if _rebuild_due(session, state.day, notes, today):
        _rebuild(session, today)
    elif stale:
        _update(session, today, sorted(stale))
    maintained.settle(session, state, HeatDirty, top, today)


def _rebuild(session: Session, today: dt.date) -> None:
    _write(session, places(session, today))


def _write(session: Session, states: pd.DataFrame) -> None:
    """Replace both tables by these places and their totals."""
    session.execute(delete(HeatPlace))
    session.execute(delete(HeatTotal))
    _insert(session, "heat_places", PLACE_COLUMNS, states)
    _insert(session, "heat_totals", COLUMNS, totals_of(states))


def _update(session: Session, today: dt.date, ids: list[int]) -> None:
    old_parts = []
    for chunk in _chunks(ids):
        rows = session.execute(
            select(*(getattr(HeatPlace, c) for c in PLACE_COLUMNS)).where(HeatPlace.case_id.in_(chunk))
        ).all()
        old_parts.append(pd.DataFrame([tuple(r) for r in rows], columns=list(PLACE_COLUMNS)))
        session.execute(delete(HeatPlace).where(HeatPlace.case_id.in_(chunk)))
    old = pd.concat(old_parts, ignore_index=True)
    new = places(session, today, ids)  # a deleted case is simply absent
    _insert(session, "heat_places", PLACE_COLUMNS, new)
    minus = totals_of(old) if len(old) else pd.DataFrame(columns=list(COLUMNS))
    delta = pd.concat([totals_of(new), minus.assign(n=-minus["n"])], ignore_index=True)
    summed = delta.groupby(["kind", "target_id", "status", "category"], as_index=False)[["n"]].sum()
    delta = summed[summed["n"] != 0]
    if delta.empty:
        return
    keys = list(zip(delta["kind"], delta["target_id"].astype(int), delta["status"], delta["category"], strict=True))
    key_cols = (HeatTotal.kind, HeatTotal.target_id, HeatTotal.status, HeatTotal.category)
    before = []
    for i in range(0, len(keys), 500):
        part = keys[i : i + 500]
        before += [tuple(r) for r in session.execute(select(*key_cols, HeatTotal.n).where(tuple_(*key_cols).in_(part)))]
        session.execute(delete(HeatTotal).where(tuple_(*key_cols).in_(part)))
    merged = pd.concat([pd.DataFrame(before, columns=list(COLUMNS)), delta], ignore_index=True)
    _insert(session, "heat_totals", COLUMNS, _tidy(merged.groupby(list(COLUMNS[:4]), as_index=False)[["n"]].sum()))


def _insert(session: Session, table: str, columns: Sequence[str], df: pd.DataFrame) -> None:
    if df.empty:
        return
    cols = [df[c].tolist() for c in columns]
    rows = [tuple(int(v) if isinstance(v, np.integer) else v for v in row) for row in zip(*cols, strict=True)]
    dialect_of(session).insert_rows(session.connection(), table, tuple(columns), rows)


def counts(
    session: Session,
    kind: str,
    statuses: Sequence[str] | None,
    categories: Sequence[str] | None,
    targets: Any = None,
) -> dict[int, int]:
    """Maintained counts per target of ``kind`` for the statuses and categories (None: all), of the ``targets`` (a
    subquery of ids; None: all); call :func:`ensure_current` first."""
    stmt = select(HeatTotal.target_id, func.sum(HeatTotal.n)).where(HeatTotal.kind == kind)
    if targets is not None:
        stmt = stmt.where(HeatTotal.target_id.in_(targets))
    if statuses is not None:
        stmt = stmt.where(HeatTotal.status.in_(sorted(statuses)))
    if categories is not None:
        stmt = stmt.where(HeatTotal.category.in_(sorted(categories)))
    return {int(t): int(n) for t, n in session.execute(stmt.group_by(HeatTotal.target_id)) if n}
