"""Bulk import of reports as cases (``gridmap cases import routed.csv``): a month of inspection findings, a
city's backlog, the output of ``gridmap snap``.

Every good row becomes a case with its routing, deadline and one ``import`` event; every bad row goes to the
error file with its row number (the header is row 1, as a spreadsheet shows it), the field and the message, and
never stops the good ones. Rows that already carry routing columns (``gridmap snap`` output: ``unit_id``,
``rule``, ``matched_kind``, ``matched_id``, ``matched_name``, ``distance_m``, ``ambiguous``) are taken as routed;
the others are routed here in one vectorised call (:func:`gridmap.routing.route_points`). A ``client_id`` already
in the store is skipped (listed in the error file as such), so running the same file twice imports it once.

Fast by construction: validation, GCJ-02 conversion, the street/community look-up (shapely STRtree) and the
deadlines (:meth:`WorkingCalendar.deadlines_us`) are vectorised; rows go in with the DBAPI's ``executemany`` in
chunks, the point built in SQL (``MakePoint`` / ``ST_MakePoint``), no ORM objects, all inside the caller's one
transaction (so the import is all-or-nothing for the good rows). Duplicates are linked as opening the rows one by
one in file order would link them (:func:`gridmap.cases.bulk_import.duplicate_links.link_in_bulk`): to stored active
cases and to earlier rows of the file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmap.accounts import audit
from gridmap.accounts.actor import Actor
from gridmap.cases.bulk_import.csv_columns import Columns, ErrorRows, has_offset, isin, numbers, open_chunks, series_us
from gridmap.cases.bulk_import.duplicate_links import EarlierRows, earlier_rows, link_in_bulk
from gridmap.cases.bulk_import.rows import case_load, reserve_ids
from gridmap.cases.reports import EARLIEST_OBSERVED
from gridmap.cases.values import MAX_DESCRIPTION
from gridmap.catalogue.categories import load_calendar
from gridmap.catalogue.working_calendar import WorkingCalendar, to_us
from gridmap.config import CaseSettings, Settings
from gridmap.csv_text import ERROR_COLUMNS, write_atomically
from gridmap.errors import InvalidInput, Problem
from gridmap.routing.config import MATCH_KINDS
from gridmap.store.dialect import dialect_of, wkb
from gridmap.store.models import Area, Case, CaseEvent, CaseSource, Category, Unit, Urgency

# None as a 0-d object array: what np.where and np.equal take for "None here" (numpy's stubs refuse a bare None;
# the results are the same object arrays)
_NONE = np.array(None, dtype=object)
CHUNK_ROWS = 100_000  # rows of the file planned and written at a time (peak memory grows with this, not the file)


@dataclass(frozen=True)
class ImportSummary:
    rows: int
    imported: int
    routed_here: int
    skipped: int
    bad: int
    seconds: float
    errors: Path | None
    phases: dict[str, float] | None = None  # seconds per phase (read, validate, route, prepare, insert)
    duplicates: int = 0  # imported cases linked as duplicates

    def describe(self) -> str:
        rate = self.rows / self.seconds if self.seconds > 0 else float("inf")
        text = (
            f"{self.rows} rows: {self.imported} cases imported ({self.routed_here} routed here, "
            f"{self.duplicates} linked as duplicates), {self.skipped} already imported, {self.bad} bad — "
            f"{self.seconds:.1f} s ({rate:,.0f} rows/s)"
        )
        if self.errors is not None:
            text += f"\n  bad/skipped rows → {self.errors}"
        return text


def locate_areas_bulk(session: Session, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Street and community ids (-1: none) for many points: one STRtree query per level."""
    out = []
    for level in ("street", "community"):
        rows = session.execute(
            select(Area.id, wkb(Area.geom).label("wkb")).where(Area.level == level).order_by(Area.id)
        ).all()
        ids = np.full(len(lon), -1, dtype=np.int64)
        if rows and len(lon):
            geoms = shapely.from_wkb([bytes(r.wkb) for r in rows])
            tree = shapely.STRtree(geoms)
            pts = shapely.points(lon, lat)
            p_idx, g_idx = tree.query(pts, predicate="intersects")
            # the lowest area id wins on a shared edge: reverse so the first (lowest) write is the last
            order = np.lexsort((-g_idx, p_idx))
            ids[p_idx[order]] = np.asarray([r.id for r in rows])[g_idx[order]]
        out.append(ids)
    return out[0], out[1]


class _Rows:
    """The rows of the file while they are checked: their columns, file line numbers, which are still good, and
    the error rows of those set aside."""

    def __init__(self, rows: Columns, lines: np.ndarray, errors: Any) -> None:
        self.columns = rows
        self.n = rows.n
        self.lines = lines
        self.ok = np.ones(rows.n, dtype=bool)
        self.errors = errors

    def bad(self, mask: np.ndarray, field: str, message: str | Callable[[np.ndarray], list[str]]) -> None:
        """Set the rows of ``mask`` (still good) aside; ``message`` may be built per row from their indices."""
        mask = mask & self.ok
        if not mask.any():
            return
        idx = np.flatnonzero(mask)
        self.errors.add(self.lines[idx], field, message if isinstance(message, str) else message(idx))
        self.ok[mask] = False


def import_cases_csv(
    session: Session,
    path: Path,
    settings: Settings,
    *,
    errors_path: Path | None = None,
    source: str = "import",
    actor: Actor,
    note: str | None = None,
    before_writing: Callable[[Session], None] | None = None,
    now: dt.datetime | None = None,
    router: Callable[..., Any] | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    opened_when_observed: bool = False,
    chunk_rows: int = CHUNK_ROWS,
) -> ImportSummary:
    """Import the reports of a CSV file as cases, as ``actor`` (each case's first event and one entry of the audit
    trail, with ``note``); returns the summary. Does not commit (the caller does). ``before_writing(session)`` is
    called once the rows are checked and routed, before anything is written or reserved (it takes the write lock:
    :func:`gridmap.cases.bulk_import.beside_traffic.import_beside_traffic`); client ids stored meanwhile are skipped.

    Columns: ``lon``, ``lat``, ``category`` (required); ``crs`` (wgs84/gcj02), ``observed_at``, ``description``,
    ``address``, ``urgency``, ``client_id``, ``reporter``, ``source``; and, when routed already, the routing
    columns of ``gridmap snap``. The steps (each timed in ``phases``): read, check every column (bad rows set
    aside with their line, field and message), route the rows not routed yet, prepare deadlines and areas, link
    duplicates, insert. ``opened_when_observed``: each case opened (and its deadline counted from) when its report
    was observed, not now — a backlog or history brought in as it happened.

    Streamed: the file is read, checked and written ``chunk_rows`` rows at a time inside the caller's one
    transaction, so memory does not grow with the file. ``before_writing`` runs once the first part is planned;
    the cases of earlier parts are stored by then, so duplicates and repeated client ids are found against them
    in the database (as against any stored case), not in arrays of the whole file.
    """
    started = time.perf_counter()
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    if source not in {s.value for s in CaseSource}:
        raise InvalidInput(Problem(f"{source!r} is not a case source", field="source", zh=f"未知的来源“{source[:40]}”"))
    phase = _Phases(mark=started)
    errors = ErrorRows()
    header, parts, expected = open_chunks(Path(path), chunk_rows, errors)
    for required in ("lon", "lat", "category"):
        if required not in header:
            raise InvalidInput(
                Problem(f"no {required!r} column (columns: {', '.join(header)})", str(path), zh=f"缺少“{required}”列")
            )
    stamp = dialect_of(session).times_text
    now_us = to_us(now)
    job = _Job(
        session=session,
        rules=settings.cases,
        cal=load_calendar(session, settings.cases),
        cats={c.code: c for c in session.scalars(select(Category))},
        source=source,
        router=router,
        now=now,
        now_us=now_us,
        now_s=stamp(np.asarray([now_us]))[0],
        stamp=stamp,
        actor_name=actor.name,
        opened_when_observed=opened_when_observed,
        step=(lambda n, _total: progress(n, None)) if progress else None,
        phase=phase,
    )
    phase("read")
    seen = _Seen()
    write: Callable[..., None] | None = None
    earlier: EarlierRows | None = None
    if progress:
        progress(0, expected)
    with contextlib.ExitStack() as load:
        for columns_read, lines in parts:
            phase("read")
            part = _check_part(job, _Rows(columns_read, lines, errors), seen)
            if write is None:  # the first part is planned: take the lock, then write part by part
                if before_writing is not None:
                    before_writing(session)
                    seen.skipped += _skip_stored_client_ids(part.rows, session, part.texts["client_id"], None)
                    phase("lock")
                write = load.enter_context(case_load(session, expected, phase.times))
                earlier = load.enter_context(
                    earlier_rows(session, job.rules.duplicate_radius_m, job.rules.duplicate_days)
                )
            assert earlier is not None  # made with write
            _write_part(job, part, write, earlier, seen)
            del part  # the part's arrays go before the next part is read
        if write is None and before_writing is not None:  # no row at all: the lock is taken all the same
            before_writing(session)
    phase("insert")
    k, first, last = seen.imported, seen.first_id, seen.last_id
    bad_rows = sorted(errors.rows)
    audit.record(session, actor, "case.import", object_kind="case", object_id=f"{first}-{last}" if k else None,
                 after={"file": Path(path).name, "imported": k, "first_id": first if k else None,
                        "last_id": last if k else None, "bad_rows": len(bad_rows)}, note=note)  # fmt: skip
    written: Path | None = None
    if bad_rows:
        written = errors_path or Path(path).with_name(Path(path).stem + ".errors.csv")
        write_atomically(written, ERROR_COLUMNS, bad_rows)
    return ImportSummary(
        rows=seen.rows + sum(1 for r in errors.rows if r[1] == "row"),
        imported=k,
        routed_here=seen.routed_here,
        duplicates=seen.duplicates,
        skipped=seen.skipped,
        bad=len({r[0] for r in bad_rows}) - seen.skipped,
        seconds=time.perf_counter() - started,
        phases=phase.times,
        errors=written,
    )


@dataclass
class _Phases:
    """Seconds per step of the import (``ImportSummary.phases``), summed over the parts of the file: calling it
    with a step's name charges the time since the previous call to that step."""

    mark: float
    times: dict[str, float] = field(default_factory=dict)

    def __call__(self, name: str) -> None:
        t = time.perf_counter()
        self.times[name] = round(self.times.get(name, 0.0) + t - self.mark, 2)
        self.mark = t


@dataclass(frozen=True)
class _Job:
    """What stays the same over the parts of one import: the store, the rules, the clock and how to report."""

    session: Session
    rules: CaseSettings
    cal: WorkingCalendar
    cats: dict[str, Category]
    source: str  # the cases' source where a row names none
    router: Callable[..., Any] | None
    now: dt.datetime
    now_us: int
    now_s: str  # now as the database reads it (dialect.times_text)
    stamp: Callable[[np.ndarray], np.ndarray]
    actor_name: str
    opened_when_observed: bool
    step: Callable[[int, int | None], None] | None
    phase: _Phases


@dataclass(frozen=True)
class _Checked:
    """One part of the file, checked (bad rows set aside: ``rows.ok``) and routed: one array per column, over all
    the part's rows."""

    rows: _Rows
    lon: np.ndarray
    lat: np.ndarray
    category: np.ndarray
    urgency: np.ndarray
    source: np.ndarray
    texts: dict[str, np.ndarray]
    observed_us: np.ndarray
    routing: dict[str, np.ndarray]


def _check_part(job: _Job, rows: _Rows, seen: _Seen) -> _Checked:
    """Check every column of one part (client ids already stored are skipped) and route the rows not routed yet."""
    seen.rows += rows.n
    lon, lat = _check_coordinates(rows)
    category, urgency, src = _check_categories(rows, job.cats, job.source)
    texts = _check_texts(rows)
    observed_us = _check_observed(rows, job.cal.tz, job.now)
    seen.skipped += _skip_stored_client_ids(rows, job.session, texts["client_id"], seen.first_id)
    job.phase("validate")
    routing, routed_here = _route(rows, job.session, job.router, lon, lat, category, observed_us)
    seen.routed_here += routed_here
    job.phase("route")
    return _Checked(rows, lon, lat, category, urgency, src, texts, observed_us, routing)


def _write_part(job: _Job, part: _Checked, write: Callable[..., None], earlier: EarlierRows, seen: _Seen) -> None:
    """Store the good rows of one checked part as cases: their areas, deadlines, ids and duplicate links (against
    ``earlier``, the import's rows written so far, kept in the database), then the rows themselves (with ``write``,
    :func:`gridmap.cases.bulk_import.rows.case_load`)."""
    session, phase = job.session, job.phase
    keep = np.flatnonzero(part.rows.ok)
    k = len(keep)
    street_id, community_id = locate_areas_bulk(session, part.lon[keep], part.lat[keep])
    public = isin(part.source[keep], job.rules.public_sources)
    start_us = part.observed_us[keep] if job.opened_when_observed else np.full(k, job.now_us, dtype=np.int64)
    units, limit, deadline_us = _deadlines(job.cats, part.category[keep], part.urgency[keep], job.cal, start_us)
    ids = reserve_ids(session, k)
    phase("prepare")
    duplicate_of = link_in_bulk(
        session, part.category[keep], part.lon[keep], part.lat[keep], part.observed_us[keep], ids,
        job.rules.duplicate_radius_m, job.rules.duplicate_days, earlier,
    )  # fmt: skip
    phase("duplicates")
    columns = _Prepared(
        ids=ids,
        texts={name: col[keep] for name, col in part.texts.items()},
        source=part.source[keep],
        category=part.category[keep],
        urgency=part.urgency[keep],
        lon=part.lon[keep],
        lat=part.lat[keep],
        observed=job.stamp(part.observed_us[keep]),
        public=public,
        routing={name: col[keep] for name, col in part.routing.items()},
        street_id=street_id,
        community_id=community_id,
        deadline_unit=units,
        limit_seconds=limit,
        deadline=job.stamp(deadline_us),
        duplicate_of=duplicate_of,
    ).columns(job.now_s)
    phase("columns")
    opened = columns["observed_at"] if job.opened_when_observed else None
    write(columns, part.rows.lines[keep], job.actor_name, job.now_s, job.step, opened)
    earlier.wrote(ids, part.category[keep], part.lon[keep], part.lat[keep], part.observed_us[keep], duplicate_of)
    phase("insert")
    seen.wrote(ids, int((duplicate_of >= 0).sum()))


@dataclass
class _Seen:
    """What the parts of the file added up to so far (the parts themselves are not kept)."""

    rows: int = 0
    imported: int = 0
    routed_here: int = 0
    skipped: int = 0
    duplicates: int = 0
    first_id: int | None = None  # the first case id of this import: a client id stored from it on is the file's
    last_id: int | None = None

    def wrote(self, ids: np.ndarray, duplicates: int) -> None:
        if len(ids):
            self.first_id = int(ids[0]) if self.first_id is None else self.first_id
            self.last_id = int(ids[-1])
        self.imported += len(ids)
        self.duplicates += duplicates


@dataclass(frozen=True)
class _Prepared:
    """The good rows, ready: one array per field, in the order the ids were reserved."""

    ids: np.ndarray
    texts: dict[str, np.ndarray]
    source: np.ndarray
    category: np.ndarray
    urgency: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    observed: np.ndarray  # times as the database reads them (dialect.times_text)
    public: np.ndarray  # waits in pending for on-site verification: no deadline yet
    routing: dict[str, np.ndarray]
    street_id: np.ndarray  # -1: none
    community_id: np.ndarray
    deadline_unit: np.ndarray
    limit_seconds: np.ndarray
    deadline: np.ndarray
    duplicate_of: np.ndarray  # -1: not a duplicate

    def columns(self, now_s: str) -> dict[str, list[object]]:
        """The ``cases`` columns as lists of what the DBAPI binds (Python ints and floats, None for none)."""

        def nz(a: np.ndarray) -> list[object]:
            return np.where(a < 0, _NONE, a.astype(object)).tolist()  # Python ints (what the driver binds) or None

        def opt(a: np.ndarray) -> list[object]:
            return np.where(np.equal(a, _NONE) | np.equal(a, ""), _NONE, a).tolist()

        k, public, routing = len(self.ids), self.public, self.routing
        dist = routing["distance_m"]
        return {
            "id": self.ids.tolist(),
            "client_id": self.texts["client_id"].tolist(),
            "source": self.source.tolist(),
            "reporter": self.texts["reporter"].tolist(),
            "category": self.category.tolist(),
            "description": self.texts["description"].tolist(),
            "address": self.texts["address"].tolist(),
            "urgency": self.urgency.tolist(),
            "lon": self.lon.tolist(),
            "lat": self.lat.tolist(),
            "observed_at": self.observed.tolist(),
            "created_at": [now_s] * k,
            "updated_at": [now_s] * k,
            "status": np.where(public, "pending", "open").tolist(),
            "unit_id": nz(routing["unit_id"]),
            "matched_kind": opt(routing["matched_kind"]),
            "matched_id": nz(routing["matched_id"]),
            "matched_name": opt(routing["matched_name"]),
            "rule": opt(routing["rule"]),
            "distance_m": np.where(np.isfinite(dist), dist.astype(object), _NONE).tolist(),
            "ambiguous": routing["ambiguous"].tolist(),
            "street_id": nz(self.street_id),
            "community_id": nz(self.community_id),
            "deadline_unit": np.where(public, _NONE, self.deadline_unit).tolist(),
            "limit_seconds": np.where(public, _NONE, self.limit_seconds).tolist(),
            "deadline_at": np.where(public, _NONE, self.deadline).tolist(),
            "paused_seconds": [0.0] * k,
            "extension_count": [0] * k,
            "rework_count": [0] * k,
            "supervision_level": [0] * k,
            "version": [1] * k,
            "verified": (~public).tolist(),
            "duplicate_of": nz(self.duplicate_of),
        }


def _check_coordinates(rows: _Rows) -> tuple[np.ndarray, np.ndarray]:
    """lon and lat as numbers in range, GCJ-02 rows (``crs`` column) converted to WGS-84."""
    coords = {}
    for name in ("lon", "lat"):
        raw = rows.columns.get(name)
        assert raw is not None  # a required column (the header was checked)
        values = numbers(raw)
        empty = raw == ""
        rows.bad(empty, name, "is required")
        rows.bad(~empty & ~np.isfinite(values), name, "is not a number")
        coords[name] = values
    lon, lat = coords["lon"], coords["lat"]
    rows.bad(np.abs(lat) > 90, "lat", "is outside −90…90 (lon and lat swapped?)")
    rows.bad(np.abs(lon) > 180, "lon", "is outside −180…180")
    crs = rows.columns.get("crs")
    if crs is not None:
        crs = np.char.lower(crs.astype(str))
        crs[crs == ""] = "wgs84"
        rows.bad(~isin(crs, ["wgs84", "gcj02"]), "crs", "is not wgs84 or gcj02")
        gcj = rows.ok & (crs == "gcj02")
        if gcj.any():
            from gridmap.geo.crs import gcj02_to_wgs84

            lon[gcj], lat[gcj] = gcj02_to_wgs84(lon[gcj], lat[gcj])
    return lon, lat


def _check_categories(rows: _Rows, cats: dict[str, Category], source: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """category (an active sub-class), urgency (else the category's default) and source of every row."""
    n = rows.n
    category = rows.columns.get("category")
    assert category is not None  # a required column (the header was checked)
    leaf = {code for code, c in cats.items() if c.parent_code is not None and c.active}
    rows.bad(category == "", "category", "is required")
    known = isin(category, cats)
    rows.bad(~known, "category", lambda i: [f"unknown category {c!r}" for c in category[i]])
    rows.bad(~isin(category, leaf), "category", "is a class or no longer in use: give an active sub-class")
    urgency = rows.columns.get("urgency")
    by_code = pd.Series(category, dtype=object)
    default_urgency = by_code.map({c: v.default_urgency for c, v in cats.items()}).fillna("normal").to_numpy(object)
    if urgency is None:
        urgency = default_urgency
    else:
        urgency = np.where(urgency == "", default_urgency, urgency)
        rows.bad(~isin(urgency, [u.value for u in Urgency]), "urgency", "is not normal or urgent")
    src = rows.columns.get("source")
    src = np.full(n, source, dtype=object) if src is None else np.where(src == "", source, src)
    rows.bad(~isin(src, [s.value for s in CaseSource]), "source", "is not a case source")
    return category, urgency, src


TEXT_LIMITS = (("description", MAX_DESCRIPTION), ("address", 300), ("client_id", 100), ("reporter", 200))


def _check_texts(rows: _Rows) -> dict[str, np.ndarray]:
    """The free-text columns within their lengths (empty → None)."""
    texts: dict[str, np.ndarray] = {}
    for name, limit in TEXT_LIMITS:
        col = rows.columns.get(name)
        if col is None:
            texts[name] = np.full(rows.n, None, dtype=object)
            continue
        lengths = np.frompyfunc(len, 1, 1)(col).astype(np.int64) if rows.n else np.zeros(0, dtype=np.int64)
        rows.bad(lengths > limit, name, f"is longer than {limit} characters")
        texts[name] = np.where(col == "", _NONE, col)
    return texts


def _check_observed(rows: _Rows, tz: dt.tzinfo, now: dt.datetime) -> np.ndarray:
    """The time each report was observed, µs since the epoch (UTC): ISO-8601 with an offset, or local time
    without one; none given → now; in the future or before 2000 → a bad row."""
    n = rows.n
    observed_us = np.full(n, to_us(now), dtype=np.int64)
    obs = rows.columns.get("observed_at", "observed_time", "time")
    if obs is None:
        return observed_us
    has = obs != ""
    aware = has & has_offset(obs)
    parsed = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    if aware.any():
        t = pd.to_datetime(pd.Series(obs[aware]), format="ISO8601", utc=True, errors="coerce")
        parsed[aware] = series_us(t)
    naive = has & ~aware
    if naive.any():
        t = pd.to_datetime(pd.Series(obs[naive]), format="ISO8601", errors="coerce")
        t = t.dt.tz_localize(str(tz), ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
        parsed[naive] = series_us(t)
    unreadable = has & (parsed == np.iinfo(np.int64).min)
    rows.bad(unreadable, "observed_at", "is not an ISO-8601 time (e.g. 2026-11-26T09:30:00+08:00)")
    rows.bad(has & ~unreadable & (parsed > to_us(now) + 600_000_000), "observed_at", "is in the future")
    too_old = has & ~unreadable & (parsed < to_us(EARLIEST_OBSERVED))
    rows.bad(too_old, "observed_at", "is before 2000: not a time of observation")
    return np.where(has & ~unreadable, parsed, observed_us)


def _skip_stored_client_ids(rows: _Rows, session: Session, cid: np.ndarray, mine: int | None) -> int:
    """A client id twice in the file is an error; one already stored is skipped (so a file imports once).
    Stored from case ``mine`` on (an earlier part of this file) by this import, it is a repeat too, named by the
    row its import event records. Returns how many rows were skipped."""
    present = rows.ok & (cid != None)  # noqa: E711 (element-wise)
    if not present.any():
        return 0
    series = pd.Series(cid[present])
    dup = series.duplicated(keep="first").to_numpy()
    idx = np.flatnonzero(present)
    values = cid[present]
    repeated = ~dup & isin(values, set(values[dup]))  # the first rows of the repeated ids
    first_line = dict(zip(values[repeated], rows.lines[idx[repeated]], strict=True))
    dmask = np.zeros(rows.n, bool)
    dmask[idx[dup]] = True
    rows.bad(dmask, "client_id", lambda i: [f"repeats the client_id of row {first_line.get(c, '?')}" for c in cid[i]])
    stored: dict[str | None, int] = {}  # (the query leaves out NULL)
    asked = rows.ok & present
    held = session.scalar(select(func.count()).select_from(Case).where(Case.client_id.isnot(None))) or 0
    if held <= int(asked.sum()):  # fewer stored ids than asked about: read them all once
        stored.update(session.execute(select(Case.client_id, Case.id).where(Case.client_id.isnot(None))).all())
    else:
        wanted = sorted(set(cid[asked]))
        for s in range(0, len(wanted), 5000):
            part = wanted[s : s + 5000]
            stored.update(session.execute(select(Case.client_id, Case.id).where(Case.client_id.in_(part))).all())
    if not stored:
        return 0
    if mine is not None:
        ours = {i: c for c, i in stored.items() if i >= mine}
        row_of = _import_rows(session, sorted(ours))
        if row_of:
            rmask = rows.ok & isin(cid, {ours[i] for i in row_of})
            by_cid = {ours[i]: row for i, row in row_of.items()}
            rows.bad(rmask, "client_id", lambda i: [f"repeats the client_id of row {by_cid[c]}" for c in cid[i]])
    smask = rows.ok & isin(cid, stored)
    rows.bad(smask, "client_id", lambda i: [f"already imported as case {stored.get(c)}: skipped" for c in cid[i]])
    return int(smask.sum())


def _import_rows(session: Session, case_ids: list[int]) -> dict[int, int]:
    """The file row each of these cases was imported from (its import event), for those imported."""
    out: dict[int, int] = {}
    for s in range(0, len(case_ids), 5000):
        found = session.execute(
            select(CaseEvent.case_id, CaseEvent.data).where(
                CaseEvent.case_id.in_(case_ids[s : s + 5000]), CaseEvent.action == "import"
            )
        ).all()
        for case_id, data in found:
            row = (json.loads(data) if isinstance(data, str) else data or {}).get("row")
            if row is not None:
                out[int(case_id)] = int(row)
    return out


def _route(
    rows: _Rows,
    session: Session,
    router: Callable[..., Any] | None,
    lon: np.ndarray,
    lat: np.ndarray,
    category: np.ndarray,
    observed_us: np.ndarray,
) -> tuple[dict[str, np.ndarray], int]:
    """Routing columns: taken from the file where present, computed here (one bulk call) for the other rows."""
    routing = _routing_from_file(rows.columns, rows.n, session, rows.bad)
    todo = rows.ok & ~routing["routed"]
    if not todo.any():
        return routing, 0
    if router is None:
        from gridmap.routing import route_points

        router = route_points
    t_idx = np.flatnonzero(todo)
    obs_iso = [dt.datetime.fromtimestamp(u / 1e6, dt.UTC).isoformat() for u in observed_us[t_idx]]
    batch = router(session, lon[t_idx], lat[t_idx], categories=list(category[t_idx]), observed_at=obs_iso)
    if batch.errors:
        where = t_idx[np.asarray([e.index for e in batch.errors], dtype=np.int64)]
        rows.errors.rows.extend(
            (int(rows.lines[w]), e.field, e.message) for w, e in zip(where, batch.errors, strict=True) if rows.ok[w]
        )
        rows.ok[where] = False
    good = np.asarray(batch.ok)
    gi = t_idx[good]
    unit = np.asarray(batch.unit_id)[good]
    routing["unit_id"][gi] = np.where(unit >= 0, unit, -1)
    rule_idx = np.asarray(batch.rule)[good]
    from gridmap.routing import ANSWER_RULES

    rule_names = np.asarray([*ANSWER_RULES, ""], dtype=object)
    routing["rule"][gi] = rule_names[np.where(rule_idx >= 0, rule_idx, len(ANSWER_RULES))]
    routing["matched_kind"][gi] = np.asarray(batch.matched_kind, dtype=object)[good]
    routing["matched_id"][gi] = np.asarray(batch.matched_id)[good]
    routing["distance_m"][gi] = np.asarray(batch.distance_m, dtype=float)[good]
    routing["ambiguous"][gi] = np.asarray(batch.ambiguous, dtype=bool)[good]
    _fill_matched_names(session, routing, gi)
    return routing, len(gi)


def _deadlines(
    cats: dict[str, Category], category: np.ndarray, urgency: np.ndarray, cal: WorkingCalendar, start_us: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: the deadline's unit, the limit in seconds and the deadline (µs) from its start — by category and urgency
    (an urgent case uses the category's urgent limit where it has one), against the working calendar."""
    codes = pd.Series(category, dtype=object)
    use_urgent = (urgency == "urgent") & codes.map({c: bool(v.urgent_unit) for c, v in cats.items()}).to_numpy(bool)
    amounts = np.where(
        use_urgent,
        codes.map({c: v.urgent_amount or 0.0 for c, v in cats.items()}).to_numpy(float),
        codes.map({c: v.deadline_amount or 0.0 for c, v in cats.items()}).to_numpy(float),
    )
    units = np.where(
        use_urgent,
        codes.map({c: v.urgent_unit for c, v in cats.items()}).to_numpy(object),
        codes.map({c: v.deadline_unit for c, v in cats.items()}).to_numpy(object),
    )
    limit = np.where(units == "work_days", amounts * cal.day_seconds, amounts * 3600.0)
    deadline_us = cal.deadlines_us(start_us, amounts, units)
    return units, limit, deadline_us


def _routing_from_file(rows: Columns, n: int, session: Session, bad: Callable[..., None]) -> dict[str, np.ndarray]:
    def col(name: str) -> np.ndarray | None:
        return rows.get(f"{name}_routed", name)

    out = {
        "routed": np.zeros(n, bool),
        "unit_id": np.full(n, -1, dtype=np.int64),
        "rule": np.full(n, "", dtype=object),
        "matched_kind": np.full(n, "", dtype=object),
        "matched_id": np.full(n, -1, dtype=np.int64),
        "matched_name": np.full(n, "", dtype=object),
        "distance_m": np.full(n, np.nan),
        "ambiguous": np.zeros(n, bool),
    }
    rule = col("rule")
    if rule is None:
        return out
    routed = rule != ""
    out["routed"] = routed
    out["rule"] = np.where(routed, rule, "")
    for name in ("unit_id", "matched_id"):
        raw = col(name)
        if raw is None:
            continue
        values = numbers(raw)
        bad(routed & (raw != "") & ~(np.isfinite(values) & (values == np.round(values))), name, "is not a whole number")
        out[name] = np.where(np.isfinite(values), values, -1).astype(np.int64)
    known_units = set(session.scalars(select(Unit.id)))
    bad(routed & (out["unit_id"] >= 0) & ~np.isin(out["unit_id"], list(known_units)), "unit_id", "names no unit")
    kind = col("matched_kind")
    if kind is not None:
        out["matched_kind"] = kind
        bad(routed & (kind != "") & ~isin(kind, MATCH_KINDS), "matched_kind", f"is not one of {MATCH_KINDS}")
    names = col("matched_name")
    if names is not None:
        out["matched_name"] = names
    dist = col("distance_m")
    if dist is not None:
        values = numbers(dist)
        bad(routed & (dist != "") & ~np.isfinite(values), "distance_m", "is not a number")
        out["distance_m"] = values
    amb = col("ambiguous")
    if amb is not None:
        low = np.char.lower(amb.astype(str))
        bad(routed & ~np.isin(low, ["", "0", "1", "true", "false"]), "ambiguous", "is not 0/1")
        out["ambiguous"] = np.isin(low, ["1", "true"])
    return out


def _fill_matched_names(session: Session, routing: dict[str, np.ndarray], idx: np.ndarray) -> None:
    from gridmap.store.models import Component, Compound, Grid, Segment

    name_cols = {"segment": Segment.name, "compound": Compound.name, "grid": Grid.code, "community": Area.name,
                 "street": Area.name, "component": Component.code}  # fmt: skip
    for kind, column in name_cols.items():
        sel = idx[routing["matched_kind"][idx] == kind]
        if not len(sel):
            continue
        wanted = sorted(set(routing["matched_id"][sel].tolist()))
        model = column.class_
        names: dict[int, str] = {}
        for s in range(0, len(wanted), 5000):
            names.update(session.execute(select(model.id, column).where(model.id.in_(wanted[s : s + 5000]))).all())
        routing["matched_name"][sel] = [names.get(int(i)) or "" for i in routing["matched_id"][sel]]
