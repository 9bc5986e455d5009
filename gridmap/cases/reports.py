"""Opening a case from a report: :func:`parse_report` validates it, :func:`open_report` routes it, links a
duplicate, inserts the case and its first event, and answers (:func:`report_answer` for a replayed client id)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from geoalchemy2.elements import WKTElement
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from gridmap.accounts import audit
from gridmap.accounts.actor import PUBLIC, Actor
from gridmap.cases.deadlines import deadline_fields, progress_of
from gridmap.cases.photo_checks import merged_meta, parse_photo_meta, photo_flags
from gridmap.cases.photos import check_photos, store_photos
from gridmap.cases.queries import case_row
from gridmap.cases.spatial import find_duplicate, locate_areas
from gridmap.cases.states import STATUS_ZH, S
from gridmap.cases.values import MAX_DESCRIPTION, jsonable, local_iso, now_or, parse_time, validate_point
from gridmap.catalogue.categories import case_category, load_calendar
from gridmap.catalogue.working_calendar import WorkingCalendar
from gridmap.config import Settings
from gridmap.errors import InvalidInput, Problem
from gridmap.inputs import parse_text
from gridmap.store.dialect import dialect_of
from gridmap.store.models import Case, CaseEvent, CaseSource, Urgency

EARLIEST_OBSERVED = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # older is a typo or a device clock never set


@dataclass
class Report:
    lon: float
    lat: float
    crs: str
    category: Any  # the category's columns, read-only (gridmap.catalogue.cache)
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
        raise InvalidInput(Problem("the report must be a JSON object", zh="上报内容须为 JSON 对象"))
    problems: list[Problem] = []
    point = validate_point(report.get("lon"), report.get("lat"), problems)
    crs = str(report.get("crs") or "wgs84").strip().lower()
    if crs.startswith("bd09"):  # Baidu's own offset on top of GCJ-02: not converted (no public, exact formula)
        problems.append(
            Problem(
                "Baidu (BD-09) coordinates are not accepted: send GPS (WGS-84) or Amap/Tencent (GCJ-02) coordinates",
                field="crs",
                zh="不接受百度地图坐标（BD-09）：请使用 GPS（WGS-84）或高德/腾讯地图（GCJ-02）坐标",
            )
        )
    elif crs not in ("wgs84", "gcj02"):
        problems.append(
            Problem(
                f"unknown coordinate system {crs!r}: send WGS-84 or GCJ-02 coordinates (GPS; Amap/Tencent)",
                field="crs",
                zh="坐标系不支持：请使用 GPS（WGS-84）或高德/腾讯地图（GCJ-02）坐标",
            )
        )
    category = None
    try:
        category = case_category(session, report.get("category"))
    except InvalidInput as exc:
        problems.extend(exc.problems)
    urgency = report.get("urgency") or (category.default_urgency if category else Urgency.NORMAL)
    if not isinstance(urgency, str) or urgency not in {u.value for u in Urgency}:
        problems.append(
            Problem(f"{str(urgency)[:40]!r} is not normal or urgent", field="urgency", zh="紧急程度须为普通或紧急")
        )
    observed = parse_time(report.get("observed_at"), "observed_at", cal.tz, problems) or now
    if observed > now + dt.timedelta(minutes=10):
        problems.append(
            Problem(
                f"{local_iso(observed, cal)} is in the future",
                field="observed_at",
                zh=f"发现时间 {local_iso(observed, cal)} 在将来",
            )
        )
    elif observed < EARLIEST_OBSERVED:
        problems.append(
            Problem(
                f"{observed.date().isoformat()} is before 2000: not a time of observation",
                field="observed_at",
                zh=f"发现时间 {observed.date().isoformat()} 早于 2000 年",
            )
        )
    source = str(report.get("source") or CaseSource.PATROL)
    if source not in {s.value for s in CaseSource}:
        problems.append(
            Problem(
                f"{source!r} is not one of {', '.join(s.value for s in CaseSource)}",
                field="source",
                zh=f"未知的来源“{source[:40]}”",
            )
        )
    description = parse_text(report.get("description"), "description", problems, MAX_DESCRIPTION)
    address = parse_text(report.get("address"), "address", problems, 300)
    client_id = parse_text(report.get("client_id"), "client_id", problems, 100)
    reporter = parse_text(report.get("reporter"), "reporter", problems, 200)
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
    actor: Actor,
    photos: list[tuple[str, bytes]] | None = None,
    now: dt.datetime | None = None,
    router: Callable[..., Any] | None = None,
    event_data: dict[str, Any] | None = None,
) -> dict[str, object]:
    """Route a report and open its case as ``actor`` (public reports wait in ``pending`` for on-site verification).

    The same ``client_id`` twice returns the first case (``created`` false) instead of opening a second one. A
    report of the same category near an active case is stored and linked to it (``duplicate_of``), not lost.
    Raises InvalidInput for bad coordinates, an unknown category, a bad time, photos that are not images…
    ``router`` replaces :func:`gridmap.routing.route_point` (tests of the workflow alone); ``event_data`` is kept
    on the opening event (e.g. an Open311 client's media_url and device id).
    """
    if router is None:
        from gridmap.routing import route_point  # a sibling use-case, loaded when first needed

        router = route_point

    now = now_or(now)
    settings = settings or Settings.from_env()
    dialect_of(session).take_write_lock(session, "cases", "the store")
    rules = settings.cases
    cal = load_calendar(session, rules)
    r = parse_report(session, report, cal, now)
    checked = check_photos(photos or [], rules.photo_max_bytes)
    answer: dict[str, Any] = router(
        session, r.lon, r.lat, category=r.category.code, observed_at=r.observed_at, crs=r.crs
    ).to_dict()
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
    deadline: Mapping[str, object] = {} if public else deadline_fields(cal, r.category, r.urgency, now)
    row = _case_row(r, answer, (lon, lat), (street_id, community_id), duplicate, status, deadline, now)
    metas = merged_meta([data for _, _, data in checked], parse_photo_meta(report.get("photo_meta"), cal.tz),
                        rules.timezone)  # fmt: skip
    row["flags"] = photo_flags(metas, lon, lat, r.observed_at, rules.photo_far_m, rules.photo_old_hours) or None
    if actor.role == PUBLIC:
        row["receipt"] = new_receipt()  # the reporter follows the case by it (no account)
    # A client id sent before is not an error but a replay: the insert does nothing and the first case answers
    # (no read-then-write: two requests racing with one id cannot both insert).
    new_case = dialect_of(session).insert_ignoring_conflict(Case.__table__, "client_id")
    stmt = new_case.values(row).returning(Case.__table__.c.id)
    case_id = session.execute(stmt).scalar()
    if case_id is None:
        existing = session.scalar(select(Case.id).where(Case.client_id == r.client_id))
        assert existing is not None  # the insert did nothing: a case holds this client id
        return {**report_answer(session, existing, settings, now=now), "created": False}
    refs = store_photos(settings.instance_dir, checked) if checked else None
    session.execute(
        insert(CaseEvent.__table__), [_opening_event(case_id, r, answer, row, status, now, refs, event_data, actor)]
    )
    audit.record(session, actor, "case.open", object_kind="case", object_id=case_id, at=now,
                 after={"status": str(status), "category": r.category.code, "source": r.source,
                        "unit_id": row["unit_id"], "duplicate_of": row["duplicate_of"]})  # fmt: skip
    stored = {"deadline_at": None, "deadline_unit": None, "limit_seconds": None, **row, "id": case_id,
              "unit_name": (answer.get("responsible") or {}).get("unit_name"), "paused_at": None,
              "closed_at": None}  # fmt: skip
    return {**_answer(SimpleNamespace(**stored), answer, duplicate, cal, now), "created": True}


RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud over a phone, typed on one
RECEIPT_LENGTH = 10  # 31^10 ≈ 8·10^14: not guessable at any rate the public door allows


def new_receipt() -> str:
    """A receipt code (查询码) for a public report: random, unambiguous, easy to type."""
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))


def normalise_receipt(code: object) -> str:
    """A receipt as people type it: any case, spaces and dashes ignored."""
    return "".join(ch for ch in str(code or "").upper() if ch.isalnum())[:32]


def _case_row(
    r: Report,
    answer: dict[str, Any],
    point: tuple[float, float],
    areas: tuple[int | None, int | None],
    duplicate: dict[str, object] | None,
    status: str,
    deadline: Mapping[str, object],
    now: dt.datetime,
) -> dict[str, Any]:
    """The new case's row: the report, where it is, its routing answer, its deadline and its first version."""
    lon, lat = point
    responsible = answer.get("responsible") or {}
    matched = answer.get("matched") or {}
    return {
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
        "routing": jsonable(answer),
        "street_id": areas[0],
        "community_id": areas[1],
        "paused_seconds": 0.0,
        "extension_count": 0,
        "rework_count": 0,
        "supervision_level": 0,
        "version": 1,
        "duplicate_of": duplicate["id"] if duplicate else None,
        "verified": status != S.PENDING,  # a public report waits for on-site verification
        **deadline,
    }


def _opening_event(
    case_id: int,
    r: Report,
    answer: dict[str, Any],
    row: dict[str, Any],
    status: str,
    now: dt.datetime,
    photos: list[Any] | None,
    event_data: dict[str, Any] | None,
    actor: Actor,
) -> dict[str, Any]:
    """The case's first event (``report``, seq 1): who opened it, the description, the photos, how it was
    routed (the reporter a person named is on the case)."""
    return {
        "case_id": case_id,
        "seq": 1,
        "action": "report",
        "from_status": None,
        "to_status": str(status),
        "actor": actor.name,
        "at": now,
        "note": r.description,
        "photos": photos,
        "data": jsonable(
            {**(event_data or {}), "source": r.source, "rule": answer.get("rule"), "duplicate_of": row["duplicate_of"]}
        ),
    }


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


def report_answer(
    session: Session, case_id: int, settings: Settings, *, now: dt.datetime | None = None
) -> dict[str, object]:
    """The answer to ``POST /reports`` for a stored case (a replayed client id): as first given, read back."""
    row = case_row(session, case_id)
    return _answer(row, row.routing or {}, None, load_calendar(session, settings.cases), now_or(now))


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
        "deadline": local_iso(row.deadline_at, cal),
        "deadline_unit": row.deadline_unit,
        "duplicate_of": row.duplicate_of,
        "duplicate": duplicate,
        "version": row.version,
        "progress": progress_of(row, cal, now),
    }
