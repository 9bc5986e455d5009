"""Duplicate links for many new cases at once: what opening them one by one, in id order, would have linked.

The rule is :func:`gridmap.cases.find_duplicate`'s: a new case is a duplicate of the nearest *active* case of the
same category within ``duplicate_radius_m`` whose observation lies within ``duplicate_days`` of its own (a tie in
distance goes to the lower id), and it links to that case's own original when that case is a duplicate itself.
One by one, the cases opened earlier in the same batch are candidates too; here they are, through
:func:`gridmap.geo.nearby.nearest_earlier` with the case id as the order.

A streamed file (parts of :data:`~gridmap.cases.bulk_import.importer.CHUNK_ROWS` rows) keeps its earlier parts'
cases in a temporary table keyed for this search (:class:`EarlierRows`), and each new row asks the database for its
nearest candidates there: memory holds one part and its candidates, whatever the file's size.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmap.cases import ACTIVE
from gridmap.geo.nearby import ellipsoid_distance, nearest_earlier, radii_of_curvature
from gridmap.store.dialect import dialect_of
from gridmap.store.models import Case

_DAY_US = 86_400_000_000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_M_PER_DEG = 110_000.0  # shorter than any degree of latitude (110,574 m at the equator): reaches err wide
_QUERY_ROWS = 20_000  # new rows asked about in one statement (bounded probes and answers)
_SLACK = 1e-3  # relative: the database's flat distance keeps every candidate this close to its nearest


def link_in_bulk(
    session: Session,
    category: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    observed_us: np.ndarray,
    ids: np.ndarray,
    radius_m: float,
    days: float,
    earlier: EarlierRows | None = None,
) -> np.ndarray:
    """``duplicate_of`` for each new case (-1: none). ``ids`` are the new cases' ids, all above the stored ones;
    ``observed_us`` µs since the epoch (UTC). ``earlier``: the cases a streamed load wrote before (its earlier
    parts), searched in the database row by row; the cases stored before the load are read by the batch's box."""
    k = len(ids)
    if k == 0 or radius_m <= 0:
        return np.full(k, -1, dtype=np.int64)
    window = round(days * _DAY_US)
    loaded_from = earlier.first_id if earlier is not None else None
    if earlier is not None and not earlier.active_before():  # nothing active was stored before the load
        stored = _arrays([], [])
        stored["category"] = stored.pop("code").astype(object)
    else:
        stored = _active_near(session, category, lon, lat, observed_us, radius_m, window, loaded_from)
    if earlier is not None and earlier.first_id is not None:
        found = earlier.nearest(category, lon, lat, observed_us)
        stored = {name: np.concatenate([stored[name], found[name]]) for name in stored}
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
    """The active cases stored before the load (below id ``loaded_from``) that could be a candidate: same
    categories, within the batch's bounding box widened by the radius (through the spatial index) and its time
    span widened by the window."""
    dlat = radius_m / 110_000 * 1.2
    dlon = dlat / max(float(np.cos(np.radians(np.abs(lat).max()))), 0.01)
    box = (float(lon.min()) - dlon, float(lat.min()) - dlat, float(lon.max()) + dlon, float(lat.max()) + dlat)
    dialect = dialect_of(session)
    query = select(Case.id, Case.duplicate_of, Case.category, Case.lon, Case.lat, Case.observed_at).where(
        Case.status.in_(sorted(ACTIVE)),
        Case.category.in_(sorted(set(category.tolist()))),
        Case.observed_at.between(_utc(int(observed_us.min()) - window), _utc(int(observed_us.max()) + window)),
    )
    query = query.where(dialect.bbox_filter(Case, box))
    if loaded_from is not None:  # this load's earlier rows are asked about row by row (EarlierRows)
        query = query.where(Case.id < loaded_from)
    queries = [query]
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


class EarlierRows:
    """The active cases a streamed load has written so far, in a temporary table keyed (category, latitude band,
    time bucket, longitude) so that the candidates of a new row are a few short ranges of one B-tree. The bands
    are two reaches high and the buckets two windows long: a row's candidates lie in at most two of each. The new
    rows go in as probes (a second temporary table), one per (band, bucket) they reach, and one join answers."""

    TABLE, PROBES = "import_earlier", "import_probes"

    def __init__(self, session: Session, radius_m: float, days: float) -> None:
        self.conn = session.connection()
        self.db = dialect_of(self.conn)
        self.radius = radius_m
        self.window = round(days * _DAY_US)
        self.reach = radius_m / _M_PER_DEG * 1.01  # degrees of latitude: more than the radius anywhere
        self.band = 2 * self.reach
        self.bucket = max(2 * self.window, _DAY_US)
        self.first_id: int | None = None  # the load's first case id: the stored cases below it are read apart
        self.pending: tuple[np.ndarray, ...] | None = None  # the last part written, not in the table yet
        self.tables = contextlib.ExitStack()  # the temporary tables, made when first needed
        self.made = False
        self._active_before: bool | None = None

    def active_before(self) -> bool:
        """Whether any active case was stored before the load (asked once, by its second part): if
        none, the later parts skip the stored cases' query, which on SpatiaLite reads every point of the box
        through the R*Tree — the load's own too — to keep those below the load's first id."""
        if self.first_id is None:
            return True
        if self._active_before is None:
            older = select(Case.id).where(Case.id < self.first_id, Case.status.in_(sorted(ACTIVE))).limit(1)
            self._active_before = self.conn.execute(older).first() is not None
        return self._active_before

    def wrote(
        self, ids: np.ndarray, category: np.ndarray, lon: np.ndarray, lat: np.ndarray, observed_us: np.ndarray,
        duplicate_of: np.ndarray,
    ) -> None:  # fmt: skip
        """A part is written (every imported case is active: open, or pending verification): its cases join the
        table when the next part asks (a file of one part never makes the table)."""
        if len(ids) and self.radius > 0:
            self.first_id = int(ids[0]) if self.first_id is None else self.first_id
            self._flush()
            self.pending = (ids, category, lon, lat, observed_us, duplicate_of)

    def _flush(self) -> None:
        if self.pending is None:
            return
        if not self.made:
            for name, (columns, key) in _TABLES.items():
                self.tables.enter_context(self.db.scratch_table(self.conn, name, columns, key))
            self.made = True
        ids, category, lon, lat, observed_us, duplicate_of = self.pending
        self.pending = None
        band = np.floor(lat / self.band).astype(np.int64)
        rows = zip(
            category.tolist(), band.tolist(), (observed_us // self.bucket).tolist(), lon.tolist(), ids.tolist(),
            lat.tolist(), observed_us.tolist(), duplicate_of.tolist(), strict=True,
        )  # fmt: skip
        self.db.insert_rows(self.conn, self.TABLE, _EARLIER_COLUMNS, list(rows))
        self.db.scratch_statistics(self.conn, self.TABLE)

    def nearest(
        self, category: np.ndarray, lon: np.ndarray, lat: np.ndarray, observed_us: np.ndarray
    ) -> dict[str, np.ndarray]:
        """The cases of the table nearest to each new row (same category, within the radius and window; a tie
        kept whole): as :func:`_active_near`'s arrays, each case once. Together with the new rows they hold every
        row's nearest earlier case, so :func:`~gridmap.geo.nearby.nearest_earlier` over them answers exactly."""
        self._flush()
        found = [self._nearest(category, lon, lat, observed_us, s) for s in range(0, len(lon), _QUERY_ROWS)]
        out = {name: np.concatenate([f[name] for f in found]) for name in found[0]}
        _, first = np.unique(out["id"], return_index=True)
        return {name: v[first] for name, v in out.items()}

    def _nearest(
        self, category: np.ndarray, lon: np.ndarray, lat: np.ndarray, observed_us: np.ndarray, start: int
    ) -> dict[str, np.ndarray]:
        q = np.arange(start, min(start + _QUERY_ROWS, len(lon)))
        x, y, t, cat = lon[q], lat[q], observed_us[q], category[q]
        phi = np.radians(y)
        n, m = radii_of_curvature(phi)  # metres per degree here, for the database's flat distance
        kx, ky = np.radians(1.0) * n * np.cos(phi), np.radians(1.0) * m
        dlon = self.reach / np.maximum(np.cos(np.radians(np.minimum(np.abs(y) + self.reach, 90.0))), 1e-3)
        band_lo = np.floor((y - self.reach) / self.band).astype(np.int64)
        band_hi = np.floor((y + self.reach) / self.band).astype(np.int64)
        tb_lo, tb_hi = (t - self.window) // self.bucket, (t + self.window) // self.bucket
        probes: list[tuple[Any, ...]] = []
        for db in (0, 1):  # the (band, bucket) pairs a candidate can lie in: one to four per row
            for dt_ in (0, 1):
                use = (band_lo + db <= band_hi) & (tb_lo + dt_ <= tb_hi)
                probes.extend(
                    zip(
                        q[use].tolist(), cat[use].tolist(), (band_lo[use] + db).tolist(), (tb_lo[use] + dt_).tolist(),
                        (x - dlon)[use].tolist(), (x + dlon)[use].tolist(), (y - self.reach)[use].tolist(),
                        (y + self.reach)[use].tolist(), (t - self.window)[use].tolist(),
                        (t + self.window)[use].tolist(), x[use].tolist(), y[use].tolist(), kx[use].tolist(),
                        ky[use].tolist(), strict=True,
                    )
                )  # fmt: skip
        self.conn.exec_driver_sql(f"DELETE FROM {self.PROBES}")
        self.db.insert_rows(self.conn, self.PROBES, _PROBE_COLUMNS, probes)
        self.db.scratch_statistics(self.conn, self.PROBES)
        rows = self.conn.exec_driver_sql(self._sql).all()
        cols = list(zip(*rows, strict=True)) if rows else [()] * 7
        qi = np.asarray(cols[0], dtype=np.int64)
        out = {
            "id": np.asarray(cols[1], dtype=np.int64),
            "lon": np.asarray(cols[2], dtype=float),
            "lat": np.asarray(cols[3], dtype=float),
            "t": np.asarray(cols[4], dtype=np.int64),
            "duplicate_of": np.asarray(cols[5], dtype=np.int64),
            "category": np.asarray(cols[6], dtype=object),
        }
        # the exact distance, as nearest_earlier measures it (from the row to the case): per row, the nearest within
        # the radius, every case at that distance kept (the lower id wins there)
        d = ellipsoid_distance(lon[qi], lat[qi], out["lon"], out["lat"])
        best = np.full(len(lon), np.inf)
        np.minimum.at(best, qi, d)
        keep = (d <= self.radius) & (d == best[qi])
        return {name: v[keep] for name, v in out.items()}

    @property
    def _sql(self) -> str:
        """Per probe, the table's cases in its ranges; per row, those within the radius (by a flat distance in
        metres, slack added) and within the slack of the nearest: one or a few, not every case in reach."""
        flat = "((e.lon - j.x) * j.kx) * ((e.lon - j.x) * j.kx) + ((e.lat - j.y) * j.ky) * ((e.lat - j.y) * j.ky)"
        return (
            "SELECT q, id, lon, lat, t, dup, category FROM ("
            "SELECT p.*, min(p.d2) OVER (PARTITION BY p.q) AS m FROM ("
            f"SELECT j.q, e.id, e.lon, e.lat, e.t, e.dup, e.category, {flat} AS d2 "
            f"FROM {self.PROBES} AS j CROSS JOIN {self.TABLE} AS e "
            "WHERE e.category = j.cat AND e.band = j.band AND e.tb = j.tb AND e.lon BETWEEN j.x0 AND j.x1 "
            "AND e.lat BETWEEN j.y0 AND j.y1 AND e.t BETWEEN j.t0 AND j.t1"
            f") AS p WHERE p.d2 <= {(self.radius * (1 + _SLACK)) ** 2!r}"
            f") AS w WHERE w.d2 <= w.m * {(1 + _SLACK) ** 2!r}"
        )


_EARLIER_COLUMNS = ("category", "band", "tb", "lon", "id", "lat", "t", "dup")
_PROBE_COLUMNS = ("q", "cat", "band", "tb", "x0", "x1", "y0", "y1", "t0", "t1", "x", "y", "kx", "ky")
_TABLES = {
    EarlierRows.TABLE: (
        "category TEXT, band BIGINT, tb BIGINT, lon DOUBLE PRECISION, id BIGINT, lat DOUBLE PRECISION, t BIGINT, "
        "dup BIGINT",
        "category, band, tb, lon, id",
    ),
    EarlierRows.PROBES: (
        "q BIGINT, cat TEXT, band BIGINT, tb BIGINT, x0 DOUBLE PRECISION, x1 DOUBLE PRECISION, "
        "y0 DOUBLE PRECISION, y1 DOUBLE PRECISION, t0 BIGINT, t1 BIGINT, x DOUBLE PRECISION, y DOUBLE PRECISION, "
        "kx DOUBLE PRECISION, ky DOUBLE PRECISION",
        "q, band, tb",
    ),
}


@contextlib.contextmanager
def earlier_rows(session: Session, radius_m: float, days: float) -> Iterator[EarlierRows]:
    """What a streamed load has written, for its duplicate search; the temporary tables go with the load."""
    rows = EarlierRows(session, radius_m, days)
    with rows.tables:
        yield rows
