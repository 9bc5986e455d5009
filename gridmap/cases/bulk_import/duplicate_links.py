"""Duplicate links for many new cases at once: what opening them one by one, in id order, would have linked.

The rule is :func:`gridmap.cases.find_duplicate`'s: a new case is a duplicate of the nearest *active* case of the
same category within ``duplicate_radius_m`` whose observation lies within ``duplicate_days`` of its own (a tie in
distance goes to the lower id), and it links to that case's own original when that case is a duplicate itself.
One by one, the cases opened earlier in the same batch are candidates too; here they are, through
:func:`gridmap.geo.nearby.nearest_earlier` with the case id as the order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmap.cases import ACTIVE
from gridmap.geo.nearby import nearest_earlier
from gridmap.store.dialect import dialect_of
from gridmap.store.models import Case

_DAY_US = 86_400_000_000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def link_in_bulk(
    session: Session,
    category: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    observed_us: np.ndarray,
    ids: np.ndarray,
    radius_m: float,
    days: float,
    loaded_from: int | None = None,
) -> np.ndarray:
    """``duplicate_of`` for each new case (-1: none). ``ids`` are the new cases' ids, all above the stored ones;
    ``observed_us`` µs since the epoch (UTC). ``loaded_from``: the first id written by the bulk load under way
    (a streamed file's earlier parts), found by their coordinates where the spatial index has not got them yet."""
    k = len(ids)
    if k == 0 or radius_m <= 0:
        return np.full(k, -1, dtype=np.int64)
    window = round(days * _DAY_US)
    stored = _active_near(session, category, lon, lat, observed_us, radius_m, window, loaded_from)
    e = len(stored["id"])
    codes, _ = pd.factorize(np.concatenate([stored["category"], category.astype(object)]))
    pool_ids = np.concatenate([stored["id"], ids])
    nearest, _dist = nearest_earlier(
        np.concatenate([stored["lon"], lon]),
        np.concatenate([stored["lat"], lat]),
        codes,
        np.concatenate([stored["t"], observed_us]),
        pool_ids,
        np.arange(e, e + k),
        radius_m,
        window,
    )
    # what a later case links to through each case: a stored case's original (or itself), a new one's id
    # unless it is a duplicate itself, then what its nearest links to — followed by pointer jumping
    base = np.concatenate([np.where(stored["duplicate_of"] >= 0, stored["duplicate_of"], stored["id"]), ids])
    ptr = np.arange(e + k)
    has = nearest >= 0
    ptr[e + np.flatnonzero(has)] = nearest[has]
    while True:
        nxt = ptr[ptr]
        if (nxt == ptr).all():
            break
        ptr = nxt
    return np.where(has, base[ptr[np.maximum(nearest, 0)]], -1)


def _active_near(
    session: Session,
    category: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    observed_us: np.ndarray,
    radius_m: float,
    window: int,
    loaded_from: int | None = None,
) -> dict[str, np.ndarray]:
    """The stored active cases that could be a candidate: same categories, within the batch's bounding box
    widened by the radius (through the spatial index) and its time span widened by the window."""
    dlat = radius_m / 110_000 * 1.2
    dlon = dlat / max(float(np.cos(np.radians(np.abs(lat).max()))), 0.01)
    box = (float(lon.min()) - dlon, float(lat.min()) - dlat, float(lon.max()) + dlon, float(lat.max()) + dlat)
    dialect = dialect_of(session)
    query = select(Case.id, Case.duplicate_of, Case.category, Case.lon, Case.lat, Case.observed_at).where(
        Case.status.in_(sorted(ACTIVE)),
        Case.category.in_(sorted(set(category.tolist()))),
        Case.observed_at.between(_utc(int(observed_us.min()) - window), _utc(int(observed_us.max()) + window)),
    )
    queries = [query.where(dialect.bbox_filter(Case, box))]
    if loaded_from is not None and not dialect.spatial_index_in_load:
        # this load's earlier rows: not in the spatial index until the load ends; by their coordinate columns
        queries.append(
            query.where(Case.id >= loaded_from, Case.lon.between(box[0], box[2]), Case.lat.between(box[1], box[3]))
        )
    codes = sorted(set(category.tolist()))
    pieces = [  # read in partitions into arrays (~40 bytes a candidate, not a Python row of objects)
        _arrays(part, codes)
        for q in queries
        for part in session.execute(q.execution_options(yield_per=50_000)).partitions()
    ]
    if not pieces:
        pieces = [_arrays([], codes)]
    out = {name: np.concatenate([p[name] for p in pieces]) for name in pieces[0]}
    out["category"] = np.asarray(codes, dtype=object)[out.pop("code")]
    return out


def _arrays(rows: Sequence[Any], codes: list[str]) -> dict[str, np.ndarray]:
    cols = list(zip(*rows, strict=True)) if rows else [()] * 6
    observed = pd.to_datetime(pd.Series(cols[5], dtype=object), utc=True)  # SQLite hands back naive UTC
    return {
        "id": np.asarray(cols[0], dtype=np.int64),
        "duplicate_of": pd.Series(cols[1], dtype="float64").fillna(-1).to_numpy(dtype=np.int64),
        "code": pd.Categorical(list(cols[2]), categories=codes).codes.astype(np.int16),
        "lon": np.asarray(cols[3], dtype=float),
        "lat": np.asarray(cols[4], dtype=float),
        "t": observed.to_numpy(dtype="datetime64[us]").astype(np.int64) if rows else np.zeros(0, dtype=np.int64),
    }


def _utc(us: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=us)
