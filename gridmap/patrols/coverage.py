"""What the patrols covered: per segment for one person, coverage per road chief, unit and 街道 over the last N
days, the "each assigned segment at least M times a month" rule by road level, and days since the last patrol.

A patrol counts for a segment on a day when the segment was patrolled that day (the rule of
:mod:`~gridmap.patrols.matching`) by the person who was its road chief (``road_chief`` assignment) on that day:
responsibility as of the patrol's day, from the assignment history. Patrolled times are counted in days (two walks
of one road on one day are one patrol of it). A segment's unit is its responsible unit (包联单位) and its 街道 the
one its midpoint lies in, both as of the last day of the period.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmap.config import Settings
from gridmap.errors import InvalidInput, Problem
from gridmap.patrols.network import RoadNetwork, road_network
from gridmap.responsibility.history import History, as_day, raw_rows, responsible_at
from gridmap.store.change_counters import CountedCopy
from gridmap.store.dialect import dialect_of, wkb
from gridmap.store.models import Area, AreaLevel, PatrolVisit, Person, Role, Segment, TargetKind

EPOCH = dt.date(1970, 1, 1)
NEVER = -1
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2100, 12, 31)  # patrols are of our time (as tracks' fixes)


def check_period(start: dt.date, end: dt.date, field: str = "from") -> None:
    """Refuse a period outside 2000–2100 or ending before it starts (the API's 400, in Chinese too)."""
    if not (FIRST_DAY <= start <= LAST_DAY and FIRST_DAY <= end <= LAST_DAY):
        raise InvalidInput(Problem(f"{start}..{end}: days between 2000 and 2100", field=field,
                                   zh="日期须在 2000—2100 年之间"))  # fmt: skip
    if start > end:
        raise InvalidInput(Problem("`from` is after `to`", field=field, zh="起始日期晚于截止日期"))


def segments_of_person(session: Session, person_id: int, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Each segment ``person_id`` patrolled between ``start`` and ``end`` (local days, both included)."""
    v = PatrolVisit
    rows = session.execute(
        select(v.segment_id, Segment.name, func.count(func.distinct(v.day)), func.max(v.last_at),
               func.max(v.covered_share))
        .join(Segment, Segment.id == v.segment_id)
        .where(v.person_id == person_id, v.patrolled.is_(True), v.day >= start, v.day <= end)
        .group_by(v.segment_id, Segment.name)
        .order_by(v.segment_id)
    ).all()  # fmt: skip
    return [
        {"segment_id": sid, "name": name, "patrolled_times": int(n),
         "last_patrolled": utc_of(last).isoformat(), "covered_share": round(float(share), 3)}
        for sid, name, n, last, share in rows
    ]  # fmt: skip


def utc_of(t: dt.datetime) -> dt.datetime:
    return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)


@dataclass(frozen=True)
class Places:
    """The 街道 of each network row (its midpoint's), -1 outside every street."""

    street_row: np.ndarray
    street_ids: np.ndarray
    street_names: list[str]


def _places(session: Session) -> Places:
    network = road_network(session)
    rows = session.execute(
        select(Area.id, Area.name, wkb(Area.geom)).where(Area.level == AreaLevel.STREET).order_by(Area.id)
    ).all()
    out = np.full(len(network.ids), -1, dtype=np.int64)
    if rows and len(network.ids):
        polys = shapely.from_wkb([bytes(r[2]) for r in rows])
        mids = shapely.line_interpolate_point(network.wgs84, 0.5, normalized=True)
        seg, poly = shapely.STRtree(polys).query(mids, predicate="intersects")
        out[seg[::-1]] = poly[::-1]  # a point on a shared edge: the first street by id
    return Places(out, np.array([r.id for r in rows], dtype=np.int64), [r.name for r in rows])


_PLACES: CountedCopy[Places] = CountedCopy("layers", _places)


def _days(values: list[Any]) -> np.ndarray:
    """Days since 1970 of dates as the driver gives them (``date`` objects, or ISO text from SQLite)."""
    return np.asarray(values, dtype="datetime64[D]").astype(np.int64) if values else np.zeros(0, np.int64)


def chief_history(session: Session, network: RoadNetwork) -> History:
    """Every road-chief period of a segment held by a person, over network rows (the holder is the person). Read
    through the driver's cursor: building ORM rows and dates cost more than the rest of a coverage answer."""
    ph = dialect_of(session).placeholder
    recs = raw_rows(
        session,
        "SELECT target_id, valid_from, valid_to, person_id FROM assignments"
        f" WHERE target_kind = {ph} AND role = {ph} AND person_id IS NOT NULL",
        (TargetKind.SEGMENT.value, Role.ROAD_CHIEF.value),
    )
    recs = [r for r in recs if r[0] in network.row_of]
    rows = np.fromiter((network.row_of[r[0]] for r in recs), np.int64, len(recs))
    open_end = np.iinfo(np.int64).max // 4
    start = _days([r[1] for r in recs])
    ends = [r[2] for r in recs]
    end = _days([e if e is not None else "1970-01-01" for e in ends])
    end[np.array([e is None for e in ends], dtype=bool)] = open_end
    people = np.fromiter((r[3] for r in recs), np.int64, len(recs))
    return History.build(rows, start, end, people)


@dataclass(frozen=True)
class Credited:
    """Patrolled visits that count: the walker was the segment's road chief that day."""

    row: np.ndarray
    day: np.ndarray
    person: np.ndarray


def credited_visits(session: Session, network: RoadNetwork, chiefs: History, start: dt.date, end: dt.date) -> Credited:
    d = dialect_of(session)
    ph = d.placeholder
    recs = raw_rows(
        session,
        f"SELECT segment_id, day, person_id FROM patrol_visits WHERE patrolled AND day >= {ph} AND day <= {ph}",
        (d.day_param(start), d.day_param(end)),
    )
    recs = [r for r in recs if r[0] in network.row_of]
    row = np.fromiter((network.row_of[r[0]] for r in recs), np.int64, len(recs))
    day = _days([r[1] for r in recs])
    person = np.fromiter((r[2] for r in recs), np.int64, len(recs))
    ok = chiefs.unit_at(row, day) == person
    return Credited(row[ok], day[ok], person[ok])


def _names(session: Session, model: Any, ids: set[int]) -> dict[int, str]:
    ids = {int(i) for i in ids if i >= 0}
    if not ids:
        return {}
    return dict(session.execute(select(model.id, model.name).where(model.id.in_(sorted(ids)))).all())


def _group(key: np.ndarray, km: np.ndarray, done: np.ndarray, names: dict[int, str], id_name: str,
           none_label: str) -> list[dict[str, Any]]:  # fmt: skip
    out = []
    for k in np.unique(key).tolist():
        sel = key == k
        assigned, patrolled = float(km[sel].sum()), float(km[sel & done].sum())
        out.append({
            id_name: None if k < 0 else int(k), "name": names.get(k, none_label),
            "segments": int(sel.sum()), "patrolled_segments": int((sel & done).sum()),
            "assigned_km": round(assigned, 3), "patrolled_km": round(patrolled, 3),
            "share": round(patrolled / assigned, 4) if assigned > 0 else None,
        })  # fmt: skip
    out.sort(key=lambda r: (r["share"] if r["share"] is not None else 2.0, r["name"]))
    return out


def coverage(session: Session, settings: Settings, as_of: dt.date, days: int | None = None) -> dict[str, Any]:
    """Share of assigned road km patrolled in the ``days`` days ending ``as_of``, per road chief (as of ``as_of``),
    unit and 街道, worst first; a segment counts as assigned when it has a road chief on ``as_of``."""
    days = days or settings.patrols.coverage_days
    network = road_network(session)
    start = as_of - dt.timedelta(days=days - 1)
    chiefs = chief_history(session, network)
    credited = credited_visits(session, network, chiefs, start, as_of)
    n = len(network.ids)
    rows = np.arange(n)
    chief_now = chiefs.unit_at(rows, as_day(as_of))
    assigned = chief_now >= 0
    done = np.zeros(n, dtype=bool)
    done[credited.row] = True
    held = responsible_at(session, TargetKind.SEGMENT, None, as_of)  # one date: straight from SQL
    units = np.fromiter((held.get(int(i), (-1, ""))[0] for i in network.ids.tolist()), np.int64, n)
    unit_names = {u: name for u, name in held.values()}
    places = _PLACES.get(session)
    street = np.full(len(places.street_row), -1, dtype=np.int64)  # no 街道 imported yet: every segment outside
    if len(places.street_ids):
        street = np.where(places.street_row >= 0, places.street_ids[np.maximum(places.street_row, 0)], -1)
    km = network.lengths / 1000.0
    a = assigned
    total_km = float(km[a].sum())
    return {
        "as_of": as_of.isoformat(), "days": days, "from": start.isoformat(),
        "total": {"segments": int(a.sum()), "patrolled_segments": int((a & done).sum()),
                  "assigned_km": round(total_km, 3), "patrolled_km": round(float(km[a & done].sum()), 3),
                  "share": round(float(km[a & done].sum()) / total_km, 4) if total_km else None},
        "by_chief": _group(chief_now[a], km[a], done[a], _names(session, Person, set(chief_now[a].tolist())),
                           "person_id", "—"),
        "by_unit": _group(units[a], km[a], done[a], unit_names, "unit_id", "无包联单位"),
        "by_street": _group(street[a], km[a], done[a], dict(zip(places.street_ids.tolist(), places.street_names,
                                                                 strict=True)), "street_id", "街道以外"),
    }  # fmt: skip


def month_bounds(month: str | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """``YYYY-MM`` (default this month) → its first and last day (refused outside 2000–2100)."""
    if month:
        year, mon = (int(p) for p in month.split("-"))
    else:
        year, mon = today.year, today.month
    if not FIRST_DAY.year <= year <= LAST_DAY.year or not 1 <= mon <= 12:
        raise InvalidInput(Problem(f"{month!r}: a month YYYY-MM between 2000 and 2100", field="month",
                                   zh="月份须为 2000—2100 年间的 YYYY-MM"))  # fmt: skip
    first = dt.date(year, mon, 1)
    return first, dt.date(year, mon, calendar.monthrange(year, mon)[1])


def monthly_rule(session: Session, settings: Settings, first: dt.date, last: dt.date) -> dict[str, Any]:
    """ "Each assigned segment at least M times a month" (M per road level, ``PatrolSettings.per_month``): each
    segment with a road chief on the month's last day (or today, for the running month), how many days its chief
    patrolled it, and the segments that missed it."""
    network = road_network(session)
    chiefs = chief_history(session, network)
    credited = credited_visits(session, network, chiefs, first, last)
    n = len(network.ids)
    rows = np.arange(n)
    chief = chiefs.unit_at(rows, as_day(last))
    key = np.unique(credited.row * 100_000 + (credited.day - as_day(first)))  # one per (segment, day)
    times = np.bincount(key // 100_000, minlength=n) if len(key) else np.zeros(n, np.int64)
    per_month = settings.patrols.per_month
    need = np.array([per_month.get(str(lv), 0) for lv in network.levels.tolist()], dtype=np.int64)
    assigned = chief >= 0
    missed = assigned & (times < need)
    people = _names(session, Person, set(chief[missed].tolist()))
    return {
        "from": first.isoformat(), "to": last.isoformat(), "per_month": dict(per_month),
        "segments": int(assigned.sum()), "met": int((assigned & ~missed).sum()), "missed_count": int(missed.sum()),
        "missed": [
            {"segment_id": int(network.ids[r]), "name": network.names[r], "level": str(network.levels[r]),
             "person_id": int(chief[r]), "person_name": people.get(int(chief[r])), "patrolled_times": int(times[r]),
             "required": int(need[r])}
            for r in np.flatnonzero(missed).tolist()
        ],
    }  # fmt: skip


def days_since_layer(session: Session, as_of: dt.date) -> dict[str, Any]:
    """Every segment as GeoJSON with the days since anyone last patrolled it (``days`` null: never) and whether it
    has a road chief today: the map colours by it."""
    network = road_network(session)
    v = PatrolVisit
    last = dict(
        session.execute(
            select(v.segment_id, func.max(v.day)).where(v.patrolled.is_(True), v.day <= as_of).group_by(v.segment_id)
        ).all()
    )
    chiefs = chief_history(session, network).unit_at(np.arange(len(network.ids)), as_day(as_of))
    features = []
    for r, (sid, geom) in enumerate(zip(network.ids.tolist(), network.wgs84.tolist(), strict=True)):
        seen = last.get(sid)
        coords = np.round(shapely.get_coordinates(geom), 6).tolist()
        features.append({
            "type": "Feature", "id": sid, "geometry": {"type": "LineString", "coordinates": coords},
            "properties": {"id": sid, "name": network.names[r], "level": str(network.levels[r]),
                           "days": None if seen is None else (as_of - seen).days,
                           "last_patrolled": None if seen is None else seen.isoformat(),
                           "has_chief": bool(chiefs[r] >= 0)},
        })  # fmt: skip
    return {"type": "FeatureCollection", "as_of": as_of.isoformat(), "features": features}
