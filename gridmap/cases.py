"""The case workflow: a routed report opens a case that lives through the closed loop (闭环) until it is ticked off.

::

    public/Open311 report ─► pending ──verify──► open ──dispatch──► dispatched ──accept──► in_progress
                               │                  ▲  ▲                   │                  │   ▲
                               void               │  └─── send_back ─────┴──────────────────┘   │ recheck_fail (返工)
                                                  │                                   report_back│
                                                  │                                             ▼
                         park/resume (挂账, clock stopped) ◄──────────────────────────── reported_back
                                                                                              │ recheck_pass
                                                                                              ▼
                                                                                   closed (结案 / 销号)

Side paths: ``request_extension`` / ``approve_extension`` / ``reject_extension`` (延期), ``send_back`` (回退, the
commander re-dispatches, possibly to another unit), ``void`` (作废), ``park`` / ``resume`` (挂账), ``supervise``
(督办, raises the supervision level). Every step appends a :class:`~gridmap.models.CaseEvent` with the actor,
time, note and photos.

No check-then-act: a transition is one conditional ``UPDATE cases SET …, version = version + 1 WHERE id = :id AND
version = :v AND status = :from``; zero rows means someone else acted first and the caller gets a
:class:`~gridmap.errors.Conflict`. The event's ``seq`` is the new version and ``(case_id, seq)`` is unique, so two
writers can never both append step *n*. Functions here take a session and plain data, return plain data, and never
commit: the caller's unit of work does.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from geoalchemy2.elements import WKTElement
from sqlalchemy import and_, func, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from gridmap.categories import case_category, load_calendar
from gridmap.config import Settings
from gridmap.errors import Conflict, InvalidInput, NotFound, Problem
from gridmap.models import Area, Case, CaseEvent, CaseSource, CaseStatus, Category, Unit, Urgency
from gridmap.photos import check_photos, store_photos
from gridmap.spatial_sql import insert_ignoring_conflict, take_write_lock
from gridmap.workcalendar import URGENT_HOURS, WorkingCalendar

S = CaseStatus
ACTIVE = frozenset({S.PENDING, S.OPEN, S.DISPATCHED, S.IN_PROGRESS, S.REPORTED_BACK, S.PARKED})
TERMINAL = frozenset({S.CLOSED, S.VOID})
STATUS_ZH = {
    S.PENDING: "待核实",
    S.OPEN: "已立案",
    S.DISPATCHED: "已派遣",
    S.IN_PROGRESS: "处置中",
    S.REPORTED_BACK: "已反馈待核查",
    S.CLOSED: "已结案",
    S.VOID: "已作废",
    S.PARKED: "挂账",
}
MAX_DESCRIPTION = 4000


@dataclass(frozen=True)
class Action:
    name: str
    label_zh: str
    sources: frozenset[str]
    target: str | None  # None: the status does not change (or is computed, for resume)
    needs_note: bool = False
    extension: str | None = None  # "none": no request may be pending; "pending": one must be


def _a(name, zh, sources, target, **kw) -> Action:
    return Action(name, zh, frozenset(sources), target, **kw)


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        _a("verify", "核实立案", {S.PENDING}, S.OPEN),
        _a("dispatch", "派遣", {S.OPEN}, S.DISPATCHED),
        _a("accept", "签收", {S.DISPATCHED}, S.IN_PROGRESS),
        _a("report_back", "处置反馈", {S.IN_PROGRESS}, S.REPORTED_BACK),
        _a("recheck_pass", "核查通过（结案）", {S.REPORTED_BACK}, S.CLOSED),
        _a("recheck_fail", "核查不通过（返工）", {S.REPORTED_BACK}, S.IN_PROGRESS, needs_note=True),
        _a("send_back", "回退", {S.DISPATCHED, S.IN_PROGRESS}, S.OPEN, needs_note=True),
        _a("request_extension", "申请延期", {S.DISPATCHED, S.IN_PROGRESS}, None, extension="none"),
        _a("approve_extension", "批准延期", {S.DISPATCHED, S.IN_PROGRESS}, None, extension="pending"),
        _a("reject_extension", "驳回延期", {S.DISPATCHED, S.IN_PROGRESS}, None, extension="pending"),
        _a("park", "挂账", {S.OPEN, S.DISPATCHED, S.IN_PROGRESS}, S.PARKED, needs_note=True),
        _a("resume", "恢复（取消挂账）", {S.PARKED}, None),
        _a(
            "supervise", "督办", {S.OPEN, S.DISPATCHED, S.IN_PROGRESS, S.REPORTED_BACK, S.PARKED}, None, needs_note=True
        ),
        _a("void", "作废", ACTIVE, S.VOID, needs_note=True),
    )
}


def allowed_actions(status: str, extension_pending: bool) -> list[str]:
    """The actions possible from ``status`` (and the extension request state), in workflow order."""
    out = []
    for a in ACTIONS.values():
        if status not in a.sources:
            continue
        if a.extension == "none" and extension_pending:
            continue
        if a.extension == "pending" and not extension_pending:
            continue
        out.append(a.name)
    return out


# -- small helpers ---------------------------------------------------------------------------------------------------


def _utc(t: dt.datetime | None) -> dt.datetime | None:
    """Aware UTC (SQLite hands back naive datetimes; everything is stored in UTC)."""
    if t is None:
        return None
    return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)


def _now(now: dt.datetime | None) -> dt.datetime:
    return _utc(now) if now is not None else dt.datetime.now(dt.UTC)  # type: ignore[return-value]


def _iso(t: dt.datetime | None, cal: WorkingCalendar) -> str | None:
    return None if t is None else _utc(t).astimezone(cal.tz).isoformat()  # type: ignore[union-attr]


def _number(value: object, field: str, problems: list[Problem]) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        problems.append(Problem("is required", field=field))
        return None
    if isinstance(value, bool):
        problems.append(Problem(f"{value!r} is not a number", field=field))
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        problems.append(Problem(f"{value!r} is not a number", field=field))
        return None
    if not math.isfinite(number):
        problems.append(Problem(f"{value!r} is not a finite number", field=field))
        return None
    return number


def _text(value: object, field: str, problems: list[Problem], max_len: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        problems.append(Problem("must be text", field=field))
        return None
    s = str(value).strip()
    if len(s) > max_len:
        problems.append(Problem(f"is {len(s)} characters long; at most {max_len}", field=field))
        return None
    return s or None


def parse_time(value: object, field: str, tz: dt.tzinfo, problems: list[Problem]) -> dt.datetime | None:
    """ISO-8601 → aware UTC; a time without offset is local time (the city's time zone)."""
    if value is None or value == "":
        return None
    try:
        t = dt.datetime.fromisoformat(str(value).strip())
    except ValueError:
        problems.append(Problem(f"{value!r} is not an ISO-8601 time (e.g. 2026-11-26T09:30:00+08:00)", field=field))
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=tz)
    return t.astimezone(dt.UTC)


def validate_point(lon_raw: object, lat_raw: object, problems: list[Problem]) -> tuple[float, float] | None:
    lon = _number(lon_raw, "lon", problems)
    lat = _number(lat_raw, "lat", problems)
    if lon is None or lat is None:
        return None
    bad = False
    if not -90 <= lat <= 90:
        hint = " — lat and lon look swapped" if -90 <= lon <= 90 and -180 <= lat <= 180 else ""
        problems.append(Problem(f"latitude {lat} is outside −90…90{hint}", field="lat"))
        bad = True
    if not -180 <= lon <= 180:
        problems.append(Problem(f"longitude {lon} is outside −180…180", field="lon"))
        bad = True
    return None if bad else (lon, lat)


# -- deadlines -------------------------------------------------------------------------------------------------------


def limit_for(category: Category, urgency: str) -> tuple[float, str]:
    """(amount, unit) of the category's limit for this urgency (the urgent limit falls back to the normal one)."""
    if urgency == Urgency.URGENT and category.urgent_unit:
        return float(category.urgent_amount or 0), category.urgent_unit
    return float(category.deadline_amount or 0), str(category.deadline_unit)


def _deadline(cal: WorkingCalendar, category: Category, urgency: str, start: dt.datetime) -> dict[str, object]:
    amount, unit = limit_for(category, urgency)
    limit = cal.budget_seconds(amount, unit)
    return {
        "deadline_unit": unit,
        "limit_seconds": limit,
        "deadline_at": cal.add(start, limit, unit).astimezone(dt.UTC),
    }


def progress_of(row: Any, cal: WorkingCalendar, now: dt.datetime) -> dict[str, object] | None:
    """The traffic light of a case: live for active cases, frozen when parked, final when closed or void."""
    if row.deadline_at is None or not row.limit_seconds:
        return None
    at = now
    if row.status == S.PARKED and row.paused_at is not None:
        at = _utc(row.paused_at)
    elif row.status in TERMINAL and row.closed_at is not None:
        at = _utc(row.closed_at)
    p = cal.progress(_utc(row.deadline_at), row.limit_seconds, row.deadline_unit, at).to_dict()  # type: ignore[arg-type]
    p["frozen"] = row.status in TERMINAL or row.status == S.PARKED
    return p


# -- spatial look-ups ------------------------------------------------------------------------------------------------


def _point_sql(dialect: str) -> str:
    return "MakePoint(:lon, :lat, 4326)" if dialect == "sqlite" else "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"


def locate_areas(session: Session, lon: float, lat: float) -> tuple[int | None, int | None]:
    """(street_id, community_id) of the areas containing the point, if any."""
    dialect = session.get_bind().dialect.name
    pt = _point_sql(dialect)
    if dialect == "sqlite":
        index = (
            "id IN (SELECT pkid FROM idx_areas_geom WHERE xmin <= :lon AND xmax >= :lon "
            "AND ymin <= :lat AND ymax >= :lat) AND "
        )
    else:
        index = ""
    rows = session.execute(
        text(f"SELECT id, level, parent_id FROM areas WHERE {index}level IN ('street', 'community') "
             f"AND ST_Contains(geom, {pt}) ORDER BY id"),
        {"lon": lon, "lat": lat},
    ).all()  # fmt: skip
    community = next((r for r in rows if r.level == "community"), None)
    street = next((r for r in rows if r.level == "street"), None)
    street_id = street.id if street else (community.parent_id if community else None)
    return street_id, community.id if community else None


def find_duplicate(
    session: Session,
    category: str,
    lon: float,
    lat: float,
    observed_at: dt.datetime,
    radius_m: float,
    days: float,
    exclude_id: int | None = None,
) -> dict[str, object] | None:
    """The nearest active case of the same category within ``radius_m`` observed at most ``days`` before."""
    if radius_m <= 0:
        return None
    dialect = session.get_bind().dialect.name
    pt = _point_sql(dialect)
    dlat = radius_m / 111_000 * 1.2
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    params = {
        "lon": lon,
        "lat": lat,
        "cat": category,
        "since": observed_at - dt.timedelta(days=days),
        "until": observed_at + dt.timedelta(days=days),
        "r": radius_m,
        "minx": lon - dlon,
        "maxx": lon + dlon,
        "miny": lat - dlat,
        "maxy": lat + dlat,
        "exclude": exclude_id or -1,
    }
    statuses = ", ".join(f"'{s}'" for s in sorted(ACTIVE))
    if dialect == "sqlite":
        params["since"] = params["since"].strftime("%Y-%m-%d %H:%M:%S.%f")  # type: ignore[union-attr]
        params["until"] = params["until"].strftime("%Y-%m-%d %H:%M:%S.%f")  # type: ignore[union-attr]
        dist = f"ST_Distance(geom, {pt}, 1)"
        where = (
            "id IN (SELECT pkid FROM idx_cases_geom WHERE xmin <= :maxx AND xmax >= :minx "
            "AND ymin <= :maxy AND ymax >= :miny)"
        )
    else:
        dist = f"ST_Distance(geom::geography, {pt}::geography)"
        where = "geom && ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, 4326)"
    row = session.execute(
        text(
            f"SELECT id, duplicate_of, {dist} AS d FROM cases WHERE {where} AND category = :cat "
            f"AND status IN ({statuses}) AND observed_at >= :since AND observed_at <= :until AND id <> :exclude "
            f"AND {dist} <= :r ORDER BY d, id LIMIT 1"
        ),
        params,
    ).first()
    if row is None:
        return None
    return {"id": row.duplicate_of or row.id, "nearest_id": row.id, "distance_m": round(float(row.d), 1)}


# -- opening a case from a report ------------------------------------------------------------------------------------


@dataclass
class Report:
    lon: float
    lat: float
    crs: str
    category: Category
    urgency: str
    observed_at: dt.datetime
    description: str | None
    address: str | None
    client_id: str | None
    reporter: str | None
    source: str


def parse_report(session: Session, report: dict[str, Any], cal: WorkingCalendar, now: dt.datetime) -> Report:
    """Validate a report (every problem at once) — coordinates, category, time, texts."""
    if not isinstance(report, dict):
        raise InvalidInput("the report must be a JSON object")
    problems: list[Problem] = []
    point = validate_point(report.get("lon"), report.get("lat"), problems)
    crs = str(report.get("crs") or "wgs84").strip().lower()
    if crs not in ("wgs84", "gcj02"):
        problems.append(Problem(f"{crs!r} is not wgs84 or gcj02", field="crs"))
    category = None
    try:
        category = case_category(session, report.get("category"))
    except InvalidInput as exc:
        problems.extend(exc.problems)
    urgency = report.get("urgency") or (category.default_urgency if category else Urgency.NORMAL)
    if urgency not in {u.value for u in Urgency}:
        problems.append(Problem(f"{urgency!r} is not normal or urgent", field="urgency"))
    observed = parse_time(report.get("observed_at"), "observed_at", cal.tz, problems) or now
    if observed > now + dt.timedelta(minutes=10):
        problems.append(Problem(f"{_iso(observed, cal)} is in the future", field="observed_at"))
    source = str(report.get("source") or CaseSource.PATROL)
    if source not in {s.value for s in CaseSource}:
        problems.append(Problem(f"{source!r} is not one of {', '.join(s.value for s in CaseSource)}", field="source"))
    description = _text(report.get("description"), "description", problems, MAX_DESCRIPTION)
    address = _text(report.get("address"), "address", problems, 300)
    client_id = _text(report.get("client_id"), "client_id", problems, 100)
    reporter = _text(report.get("reporter"), "reporter", problems, 200)
    if problems:
        raise InvalidInput(problems)
    assert point is not None and category is not None
    return Report(
        point[0], point[1], crs, category, str(urgency), observed, description, address, client_id, reporter, source
    )


def open_report(
    session: Session,
    report: dict[str, Any],
    settings: Settings | None = None,
    *,
    photos: list[tuple[str, bytes]] | None = None,
    now: dt.datetime | None = None,
    router: Callable[..., Any] | None = None,
    event_data: dict[str, Any] | None = None,
) -> dict[str, object]:
    """Route a report and open its case (public reports wait in ``pending`` for on-site verification).

    The same ``client_id`` twice returns the first case (``created`` false) instead of opening a second one. A
    report of the same category near an active case is stored and linked to it (``duplicate_of``), not lost.
    Raises InvalidInput for bad coordinates, an unknown category, a bad time, photos that are not images…
    ``router`` replaces :func:`gridmap.routing.route_point` (tests of the workflow alone); ``event_data`` is kept
    on the opening event (e.g. an Open311 client's media_url and device id).
    """
    if router is None:
        from gridmap.routing import route_point as router  # a sibling use-case, loaded when first needed

    now = _now(now)
    settings = settings or Settings.from_env()
    take_write_lock(session, "cases", "the store")
    rules = settings.cases
    cal = load_calendar(session, rules)
    r = parse_report(session, report, cal, now)
    checked = check_photos(photos or [], rules.photo_max_bytes)
    answer = router(session, r.lon, r.lat, category=r.category.code, observed_at=r.observed_at, crs=r.crs).to_dict()
    lon, lat = _wgs84(answer, r)
    duplicate = find_duplicate(
        session, r.category.code, lon, lat, r.observed_at, rules.duplicate_radius_m, rules.duplicate_days
    )
    if "community" in answer or "street" in answer:  # routing located the point in the hierarchy already
        street_id = (answer.get("street") or {}).get("id")
        community_id = (answer.get("community") or {}).get("id")
    else:
        street_id, community_id = locate_areas(session, lon, lat)
    public = r.source in rules.public_sources
    status = S.PENDING if public else S.OPEN
    deadline = {} if public else _deadline(cal, r.category, r.urgency, now)
    responsible = answer.get("responsible") or {}
    matched = answer.get("matched") or {}
    row = {
        "client_id": r.client_id,
        "source": r.source,
        "reporter": r.reporter,
        "category": r.category.code,
        "description": r.description,
        "address": r.address,
        "urgency": r.urgency,
        "lon": lon,
        "lat": lat,
        "geom": WKTElement(f"POINT({lon!r} {lat!r})", srid=4326),
        "observed_at": r.observed_at,
        "created_at": now,
        "updated_at": now,
        "status": str(status),
        "unit_id": responsible.get("unit_id"),
        "matched_kind": matched.get("kind"),
        "matched_id": matched.get("id"),
        "matched_name": matched.get("name"),
        "rule": answer.get("rule"),
        "distance_m": answer.get("distance_m"),
        "ambiguous": bool(answer.get("ambiguous")),
        "routing": _jsonable(answer),
        "street_id": street_id,
        "community_id": community_id,
        "paused_seconds": 0.0,
        "extension_count": 0,
        "rework_count": 0,
        "supervision_level": 0,
        "version": 1,
        "duplicate_of": duplicate["id"] if duplicate else None,
        "verified": not public,
        **deadline,
    }
    # A client id sent before is not an error but a replay: the insert does nothing and the first case answers
    # (no read-then-write: two requests racing with one id cannot both insert).
    stmt = insert_ignoring_conflict(session, Case.__table__, "client_id").values(row).returning(Case.__table__.c.id)
    case_id = session.execute(stmt).scalar()
    if case_id is None:
        existing = session.scalar(select(Case.id).where(Case.client_id == r.client_id))
        return {**report_answer(session, existing, settings, now=now), "created": False}
    refs = store_photos(settings.instance_dir, checked) if checked else None
    session.execute(
        insert(CaseEvent.__table__),
        [
            {
                "case_id": case_id,
                "seq": 1,
                "action": "report",
                "from_status": None,
                "to_status": str(status),
                "actor": r.reporter,
                "at": now,
                "note": r.description,
                "photos": refs,
                "data": _jsonable(
                    {
                        **(event_data or {}),
                        "source": r.source,
                        "rule": answer.get("rule"),
                        "duplicate_of": row["duplicate_of"],
                    }
                ),
            }
        ],
    )
    stored = {"deadline_at": None, "deadline_unit": None, "limit_seconds": None, **row, "id": case_id,
              "unit_name": responsible.get("unit_name"), "paused_at": None, "closed_at": None}  # fmt: skip
    return {**_answer(SimpleNamespace(**stored), answer, duplicate, cal, now), "created": True}


def _wgs84(answer: dict[str, Any], r: Report) -> tuple[float, float]:
    """The WGS-84 point: as routing converted it, else converted here (GCJ-02 clients)."""
    wgs = (answer.get("point") or {}).get("wgs84")
    if wgs and wgs.get("lon") is not None:
        return float(wgs["lon"]), float(wgs["lat"])
    if r.crs == "gcj02":
        import numpy as np

        from gridmap.geo.crs import gcj02_to_wgs84

        x, y = gcj02_to_wgs84(np.asarray([r.lon]), np.asarray([r.lat]))
        return float(x[0]), float(y[0])
    return r.lon, r.lat


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def report_answer(
    session: Session, case_id: int, settings: Settings, *, now: dt.datetime | None = None
) -> dict[str, object]:
    """The answer to ``POST /reports`` for a stored case (a replayed client id): as first given, read back."""
    row = _case_row(session, case_id)
    return _answer(row, row.routing or {}, None, load_calendar(session, settings.cases), _now(now))


def _answer(
    row: Any, routing: dict[str, Any], duplicate: dict[str, object] | None, cal: WorkingCalendar, now: dt.datetime
) -> dict[str, object]:
    """The answer from a case row — as read back, or as just inserted (no second read)."""
    return {
        "id": row.id,
        "client_id": row.client_id,
        "status": row.status,
        "status_zh": STATUS_ZH[S(row.status)],
        "category": row.category,
        "urgency": row.urgency,
        "lon": row.lon,
        "lat": row.lat,
        "responsible": {"unit_id": row.unit_id, "unit_name": row.unit_name} if row.unit_id else None,
        "matched": routing.get("matched"),
        "rule": row.rule,
        "distance_m": row.distance_m,
        "candidates": routing.get("candidates", []),
        "ambiguous": row.ambiguous,
        "explanation": routing.get("explanation"),
        "deadline": _iso(row.deadline_at, cal),
        "deadline_unit": row.deadline_unit,
        "duplicate_of": row.duplicate_of,
        "duplicate": duplicate,
        "version": row.version,
        "progress": progress_of(row, cal, now),
    }


# -- reading cases ---------------------------------------------------------------------------------------------------


def _case_select():
    return (
        select(Case.__table__, Unit.name.label("unit_name"), Category.name_zh.label("category_name"))
        .select_from(Case.__table__)
        .join(Unit, Unit.id == Case.unit_id, isouter=True)
        .join(Category, Category.code == Case.category, isouter=True)
    )


def _case_row(session: Session, case_id: int):
    row = session.execute(_case_select().where(Case.id == case_id)).first()
    if row is None:
        raise NotFound(f"no case {case_id}")
    return row


def _summary(row: Any, cal: WorkingCalendar, now: dt.datetime) -> dict[str, object]:
    return {
        "id": row.id,
        "client_id": row.client_id,
        "status": row.status,
        "status_zh": STATUS_ZH[S(row.status)],
        "source": row.source,
        "category": row.category,
        "category_name": row.category_name,
        "urgency": row.urgency,
        "description": row.description,
        "address": row.address,
        "lon": row.lon,
        "lat": row.lat,
        "reporter": row.reporter,
        "observed_at": _iso(row.observed_at, cal),
        "created_at": _iso(row.created_at, cal),
        "updated_at": _iso(row.updated_at, cal),
        "unit": {"id": row.unit_id, "name": row.unit_name} if row.unit_id else None,
        "matched": {"kind": row.matched_kind, "id": row.matched_id, "name": row.matched_name}
        if row.matched_kind
        else None,
        "rule": row.rule,
        "distance_m": row.distance_m,
        "ambiguous": row.ambiguous,
        "street_id": row.street_id,
        "community_id": row.community_id,
        "deadline": _iso(row.deadline_at, cal),
        "deadline_unit": row.deadline_unit,
        "duplicate_of": row.duplicate_of,
        "verified": row.verified,
        "closed_at": _iso(row.closed_at, cal),
        "rework_count": row.rework_count,
        "extension_count": row.extension_count,
        "extension_requested_seconds": row.extension_requested_seconds,
        "supervision_level": row.supervision_level,
        "paused_seconds": row.paused_seconds,
        "version": row.version,
        "progress": progress_of(row, cal, now),
    }


def get_case(
    session: Session, case_id: int, settings: Settings, *, now: dt.datetime | None = None
) -> dict[str, object]:
    """A case with its traffic light, the actions allowed now, its duplicates and its full event history."""
    now = _now(now)
    cal = load_calendar(session, settings.cases)
    row = _case_row(session, case_id)
    body = _summary(row, cal, now)
    body["allowed_actions"] = allowed_actions(row.status, row.extension_requested_seconds is not None)
    body["routing"] = row.routing
    body["duplicates"] = list(
        session.scalars(select(Case.id).where(Case.duplicate_of == case_id).order_by(Case.id)).all()
    )
    events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)).all()
    body["events"] = [
        {
            "seq": e.seq,
            "action": e.action,
            "action_zh": ACTIONS[e.action].label_zh if e.action in ACTIONS else "上报",
            "from_status": e.from_status,
            "to_status": e.to_status,
            "actor": e.actor,
            "at": _iso(e.at, cal),
            "note": e.note,
            "photos": [{**p, "url": f"/api/v1/photos/{p['file']}"} for p in (e.photos or []) if isinstance(p, dict)],
            "data": e.data,
        }
        for e in events
    ]
    return body


def _flag(value: object, field: str, problems: list[Problem]) -> bool | None:
    if value in (None, ""):
        return None
    s = str(value).strip().lower()
    if s in ("1", "true", "yes"):
        return True
    if s in ("0", "false", "no"):
        return False
    problems.append(Problem(f"{value!r} is not true or false", field=field))
    return None


CASE_FILTERS = ("status", "category", "source", "unit", "street", "community", "from", "to", "overdue", "duplicate")


def case_conditions(
    session: Session, filters: dict[str, Any], now: dt.datetime, tz: dt.tzinfo, problems: list[Problem]
) -> list[Any]:
    """SQL conditions for the case filters shared by the case list and the heatmap (one rule for both).

    ``status``: statuses, or ``active`` (every status still in the loop) or ``all``; ``category``: codes (a class
    includes its sub-classes); ``unit``: ids or codes; ``street``/``community``: area codes; ``from``/``to``:
    opening time; ``overdue``/``duplicate``: true/false. Problems are appended, not raised,
    so every one can be reported.
    """

    def _list(key: str) -> list[str]:
        raw = filters.get(key)
        if raw in (None, ""):
            return []
        return [s.strip() for s in str(raw).split(",") if s.strip()]

    conds: list[Any] = []
    known_status = {x.value for x in CaseStatus}
    wanted: set[str] = set()
    statuses = _list("status")
    for s in statuses:
        if s == "active":
            wanted |= {a.value for a in ACTIVE}
        elif s in known_status:
            wanted.add(s)
        elif s != "all":
            problems.append(
                Problem(f"{s!r} is not open, all or one of {', '.join(sorted(known_status))}", field="status")
            )
    if wanted and "all" not in statuses:
        conds.append(Case.status.in_(sorted(wanted)))
    codes = _list("category")
    if codes:
        known = set(session.scalars(select(Category.code).where(Category.code.in_(codes))).all())
        for c in codes:
            if c not in known:
                problems.append(Problem(f"unknown category {c!r}", field="category"))
        subs = set(session.scalars(select(Category.code).where(Category.parent_code.in_(codes))).all())
        conds.append(Case.category.in_(sorted(set(codes) | subs)))
    sources = _list("source")
    if sources:
        conds.append(Case.source.in_(sources))
    units = _list("unit")
    if units:
        ids: list[int] = []
        for u in units:
            uid = int(u) if u.isdigit() and len(u) < 10 else session.scalar(select(Unit.id).where(Unit.code == u[:64]))
            if uid is None or session.get(Unit, uid) is None:
                problems.append(Problem(f"no unit {u!r} (give its id or code)", field="unit"))
            else:
                ids.append(uid)
        conds.append(Case.unit_id.in_(ids))
    for key, column in (("street", Case.street_id), ("community", Case.community_id)):
        wanted_codes = _list(key)
        if wanted_codes:
            found = dict(
                session.execute(select(Area.code, Area.id).where(Area.code.in_(wanted_codes), Area.level == key)).all()
            )
            for code in wanted_codes:
                if code not in found:
                    problems.append(Problem(f"no {key} with code {code!r}", field=key))
            conds.append(column.in_(list(found.values())))
    start = parse_time(filters.get("from"), "from", tz, problems)
    end = parse_time(filters.get("to"), "to", tz, problems)
    if start and end and end <= start:
        problems.append(
            Problem(f"the period ends ({filters.get('to')}) before it starts ({filters.get('from')})", field="to")
        )
    if start:
        conds.append(Case.created_at >= start)
    if end:
        conds.append(Case.created_at < end)
    overdue = _flag(filters.get("overdue"), "overdue", problems)
    live = [s.value for s in ACTIVE if s not in (S.PARKED, S.PENDING)]
    is_overdue = or_(
        and_(Case.status.in_(live), Case.deadline_at < now),
        and_(Case.status == S.PARKED, Case.deadline_at < Case.paused_at),
        and_(Case.status == S.CLOSED, Case.deadline_at < Case.closed_at),
    )
    if overdue is True:
        conds.append(is_overdue)
    elif overdue is False:
        conds.append(~is_overdue | Case.deadline_at.is_(None))
    duplicate = _flag(filters.get("duplicate"), "duplicate", problems)
    if duplicate is not None:
        conds.append(Case.duplicate_of.isnot(None) if duplicate else Case.duplicate_of.is_(None))
    return conds


def list_cases(
    session: Session, filters: dict[str, Any], settings: Settings, *, now: dt.datetime | None = None
) -> dict[str, object]:
    """Cases filtered by :func:`case_conditions` (status, category, unit, street/community, period, overdue,
    source, duplicate); paged and sorted."""
    now = _now(now)
    cal = load_calendar(session, settings.cases)
    problems: list[Problem] = []
    stmt = _case_select()
    conds = case_conditions(session, filters, now, cal.tz, problems)
    page = _int_param(filters.get("page"), "page", 1, 1, 1_000_000, problems)
    per_page = _int_param(filters.get("per_page"), "per_page", 50, 1, 500, problems)
    sort = filters.get("sort") or "newest"
    if sort not in ("newest", "oldest", "deadline"):
        problems.append(Problem(f"{sort!r} is not newest, oldest or deadline", field="sort"))
    if problems:
        raise InvalidInput(problems)
    if conds:
        stmt = stmt.where(and_(*conds))
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    order = {
        "newest": [Case.id.desc()],
        "oldest": [Case.id.asc()],
        "deadline": [Case.deadline_at.is_(None), Case.deadline_at.asc(), Case.id.asc()],
    }[sort]
    rows = session.execute(stmt.order_by(*order).limit(per_page).offset((page - 1) * per_page)).all()
    return {
        "total": total,
        "page": page,
        "per_page": per_page,
        "items": [_summary(r, cal, now) for r in rows],
    }


def _int_param(raw: object, field: str, default: int, lo: int, hi: int, problems: list[Problem]) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(str(raw))
    except ValueError:
        problems.append(Problem(f"{raw!r} is not a whole number", field=field))
        return default
    if not lo <= value <= hi:
        problems.append(Problem(f"must be between {lo} and {hi}", field=field))
        return default
    return value


# -- transitions -----------------------------------------------------------------------------------------------------


def transition(
    session: Session,
    case_id: int,
    action: str,
    settings: Settings,
    *,
    version: object,
    actor: str | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    photos: list[tuple[str, bytes]] | None = None,
    now: dt.datetime | None = None,
) -> dict[str, object]:
    """Apply one step of the closed loop to a case, as the holder of ``version``; returns the updated case.

    Raises InvalidInput (unknown action, missing note/version, bad data or photos), NotFound (no such case) or
    Conflict (the action is not allowed in the current state, or the case changed since ``version`` was read).
    """
    now = _now(now)
    problems: list[Problem] = []
    spec = ACTIONS.get(str(action))
    if spec is None:
        problems.append(Problem(f"unknown action {action!r}: one of {', '.join(ACTIONS)}", field="action"))
    if version is None or version == "":
        problems.append(Problem("the case version you read is required (optimistic locking)", field="version"))
        v = 0
    else:
        try:
            v = int(str(version))
        except ValueError:
            problems.append(Problem(f"{version!r} is not a whole number", field="version"))
            v = 0
    actor = _text(actor, "actor", problems, 200)
    note = _text(note, "note", problems, MAX_DESCRIPTION)
    data = data or {}
    if not isinstance(data, dict):
        problems.append(Problem("must be an object", field="data"))
        data = {}
    if spec and spec.needs_note and not note:
        problems.append(Problem(f"{spec.name} ({spec.label_zh}) needs a note giving the reason", field="note"))
    if problems:
        raise InvalidInput(problems)
    assert spec is not None
    checked = check_photos(photos or [], settings.cases.photo_max_bytes)
    take_write_lock(session, "cases", f"case {case_id}")
    row = _case_row(session, case_id)
    pending_ext = row.extension_requested_seconds is not None
    if row.version != v:
        raise Conflict(
            f"case {case_id} has changed since you read it (it is at version {row.version}, you sent {v}): "
            f"reload it; it is now {row.status} ({STATUS_ZH[S(row.status)]})"
        )
    if spec.name not in allowed_actions(row.status, pending_ext):
        allowed = allowed_actions(row.status, pending_ext)
        why = ""
        if spec.extension == "none" and pending_ext:
            why = " (an extension request is already waiting for a decision)"
        elif spec.extension == "pending" and not pending_ext:
            why = " (no extension request is waiting)"
        raise Conflict(
            f"cannot {spec.name} ({spec.label_zh}) case {case_id}: it is {row.status} "
            f"({STATUS_ZH[S(row.status)]}){why}; allowed now: {', '.join(allowed) or 'nothing (it is finished)'}"
        )
    cal = load_calendar(session, settings.cases)
    changes, target, event_data = _apply(session, spec, row, data, cal, now)
    stmt = (
        update(Case.__table__)
        .where(Case.id == case_id, Case.version == v, Case.status == row.status)
        .values(**changes, status=str(target), version=Case.version + 1, updated_at=now)
    )
    try:
        result = session.execute(stmt)
    except OperationalError as exc:  # SQLite: another writer holds the lock / our snapshot is stale
        if "locked" in str(exc).lower() or "busy" in str(exc).lower():
            raise Conflict(f"case {case_id} is being changed by someone else right now: reload it") from exc
        raise
    if result.rowcount != 1:
        raise Conflict(f"case {case_id} was changed by someone else at the same moment: reload it and try again")
    refs = store_photos(settings.instance_dir, checked) if checked else None
    try:
        session.execute(
            insert(CaseEvent.__table__),
            [
                {
                    "case_id": case_id,
                    "seq": v + 1,
                    "action": spec.name,
                    "from_status": row.status,
                    "to_status": str(target),
                    "actor": actor,
                    "at": now,
                    "note": note,
                    "photos": refs,
                    "data": _jsonable(event_data) or None,
                }
            ],
        )
    except IntegrityError as exc:
        raise Conflict(f"case {case_id} was changed by someone else at the same moment: reload it") from exc
    return get_case(session, case_id, settings, now=now)


def _apply(
    session: Session, spec: Action, row: Any, data: dict[str, Any], cal: WorkingCalendar, now: dt.datetime
) -> tuple[dict[str, object], str, dict[str, object]]:
    """The column changes, the new status and the event data of one allowed action."""
    changes: dict[str, object] = {}
    info: dict[str, object] = {}
    target = spec.target or row.status
    name = spec.name
    if name == "verify":
        category = session.get(Category, row.category)
        assert category is not None
        changes.update(_deadline(cal, category, row.urgency, now), verified=True)
        info["deadline"] = _iso(changes["deadline_at"], cal)  # type: ignore[arg-type]
    elif name == "dispatch":
        unit_id = data.get("unit_id", row.unit_id)
        try:
            unit_id = int(unit_id) if unit_id not in (None, "") else None
        except (TypeError, ValueError):
            raise InvalidInput(Problem(f"{unit_id!r} is not a unit id", field="unit_id")) from None
        if unit_id is None:
            raise InvalidInput(Problem("routing found no responsible unit: choose one (unit_id)", field="unit_id"))
        unit = session.get(Unit, unit_id)
        if unit is None:
            raise InvalidInput(Problem(f"no unit {unit_id}", field="unit_id"))
        changes["unit_id"] = unit_id
        info.update(unit_id=unit_id, unit_name=unit.name)
        if row.unit_id is not None and row.unit_id != unit_id:
            info["routed_unit_id"] = row.unit_id
    elif name == "send_back":
        info["unit_id"] = row.unit_id
    elif name in ("recheck_pass", "void"):
        changes["closed_at"] = now
        if row.status == S.PARKED and row.paused_at is not None:  # the clock stays stopped where it was
            changes["paused_seconds"] = row.paused_seconds + (now - _utc(row.paused_at)).total_seconds()
    elif name == "recheck_fail":
        changes["rework_count"] = row.rework_count + 1
    elif name == "request_extension":
        amount = _number(data.get("amount"), "amount", problems := [])
        if amount is not None and not 0 < amount <= 1000:
            problems.append(Problem("must be above 0", field="amount"))
        if problems:
            raise InvalidInput(
                [*problems, Problem(f"give data.amount in the case's unit ({row.deadline_unit})", field="amount")]
            )
        seconds = cal.budget_seconds(amount, row.deadline_unit)  # type: ignore[arg-type]
        changes["extension_requested_seconds"] = seconds
        info.update(amount=amount, unit=row.deadline_unit)
    elif name == "approve_extension":
        seconds = row.extension_requested_seconds
        if data.get("amount") not in (None, ""):
            amount = _number(data.get("amount"), "amount", problems := [])
            if problems or amount is None or amount <= 0:
                raise InvalidInput(problems or [Problem("must be above 0", field="amount")])
            seconds = cal.budget_seconds(amount, row.deadline_unit)
        new_deadline = cal.add(_utc(row.deadline_at), seconds, row.deadline_unit)  # type: ignore[arg-type]
        changes.update(
            extension_requested_seconds=None,
            extension_count=row.extension_count + 1,
            limit_seconds=row.limit_seconds + seconds,
            deadline_at=new_deadline.astimezone(dt.UTC),
        )
        info.update(seconds=seconds, old_deadline=_iso(row.deadline_at, cal), deadline=_iso(new_deadline, cal))
    elif name == "reject_extension":
        changes["extension_requested_seconds"] = None
    elif name == "park":
        changes.update(parked_from=row.status, paused_at=now)
    elif name == "resume":
        target = row.parked_from or S.OPEN
        paused_at = _utc(row.paused_at) or now
        changes.update(
            parked_from=None, paused_at=None, paused_seconds=row.paused_seconds + (now - paused_at).total_seconds()
        )
        if row.deadline_at is not None:
            remaining = cal.elapsed(paused_at, _utc(row.deadline_at), row.deadline_unit)  # type: ignore[arg-type]
            if remaining > 0:
                new_deadline = cal.add(now, remaining, row.deadline_unit)
            elif row.deadline_unit == URGENT_HOURS:
                new_deadline = now + dt.timedelta(seconds=remaining)
            else:  # overdue before it was parked: the deadline stays in the past
                new_deadline = _utc(row.deadline_at)  # type: ignore[assignment]
            changes["deadline_at"] = new_deadline.astimezone(dt.UTC)
            info.update(old_deadline=_iso(row.deadline_at, cal), deadline=_iso(new_deadline, cal))
        info["paused_seconds"] = round((now - paused_at).total_seconds(), 3)
    elif name == "supervise":
        changes["supervision_level"] = row.supervision_level + 1
        info["level"] = row.supervision_level + 1
    return changes, str(target), info
