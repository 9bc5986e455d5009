"""A finding on a checklist item — pass/fail, points deducted, place, photos, note — checked, and a failed one
turned into a case of the closed loop. Shared by inspections (:mod:`~.records`) and mock assessments
(:mod:`gridmap.assessments.items`), so a failed item is routed, timed and described the same way wherever it was
seen.

Two steps so that a request is all or nothing: :func:`parse_finding` checks one finding without writing (its
problems carry the finding's number); :func:`open_cases` then opens a case for every failure, in the caller's
transaction (an error there names the finding, and the caller's rollback keeps nothing).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from gridmap.accounts.actor import SYSTEM, Actor
from gridmap.cases.photos import check_photos, store_photos
from gridmap.cases.reports import open_report
from gridmap.cases.states import ACTIVE
from gridmap.cases.transitions import transition
from gridmap.cases.values import MAX_DESCRIPTION, validate_point
from gridmap.config import Settings
from gridmap.errors import InvalidInput, Problem
from gridmap.inputs import parse_flag, parse_number, parse_text
from gridmap.store.models import AssessmentItemScore, Case, ChecklistItem, InspectionFinding, Unit

MAX_PHOTOS = 3  # per finding, as on the report page
Finding = type[InspectionFinding] | type[AssessmentItemScore]  # where a checked item is stored
BULK_ROUTING_FROM = 20  # failed findings in one request: fewer are routed one by one (no loaded layers needed)


def find_item(
    f: dict[str, Any],
    by_id: dict[int, ChecklistItem],
    by_code: dict[str, ChecklistItem],
    where: str,
    problems: list[Problem],
) -> ChecklistItem | None:
    """The finding's item, by id (``item_id``) or code (``item``), which must be of the edition in use (``where``
    names it in the message)."""
    raw = f.get("item_id", f.get("item"))
    if raw is None or raw == "":
        problems.append(Problem("name the checklist item (item_id or item code)", field="item_id", zh="须选择检查项目"))
        return None
    text = str(raw).strip()[:40]
    item = by_code.get(text)
    if item is None and text.isdigit() and len(text) < 12:
        item = by_id.get(int(text))
    if item is None:
        problems.append(
            Problem(
                f"item {text!r} is not an item of the checklist in use",
                field="item_id",
                zh=f"检查项目“{text}”不属于{where}",
            )
        )
    return item


def parse_finding(
    f: Any,
    n: int,
    by_id: dict[int, ChecklistItem],
    by_code: dict[str, ChecklistItem],
    where: str,
    files: list[tuple[str, bytes]],
    settings: Settings,
    problems: list[Problem],
) -> dict[str, Any] | None:
    """Finding number ``n`` checked: item of the edition, passed, a location (GPS or pin), points within the item's,
    note, client id, at most :data:`MAX_PHOTOS` photos that are images. Problems go to ``problems`` with ``n``."""
    here: list[Problem] = []
    if not isinstance(f, dict):
        problems.append(Problem("must be an object", feature=n, zh="须为对象"))
        return None
    item = find_item(f, by_id, by_code, where, here)
    passed = parse_flag(f.get("passed"), "passed", here)
    if passed is None and not here:
        here.append(Problem("say whether the item passed (true/false)", field="passed", zh="须填写是否合格"))
    point: tuple[float, float] | None
    if f.get("lon") in (None, "") or f.get("lat") in (None, ""):
        here.append(
            Problem(
                "a finding needs its location: GPS or a pin on the map",
                field="location",
                zh="缺少位置：请定位（GPS）或在地图上选点",
            )
        )
        point = None
    else:
        point = validate_point(f.get("lon"), f.get("lat"), here)
    crs = str(f.get("crs") or "wgs84").lower()
    if crs not in ("wgs84", "gcj02"):
        here.append(Problem(f"{crs[:20]!r} is not wgs84 or gcj02", field="crs", zh="坐标系须为 wgs84 或 gcj02"))
    deducted = parse_number(f.get("points_deducted"), "points_deducted", here, required=False)
    if item is not None and passed is False and deducted is None:
        deducted = item.points
    if deducted is not None and item is not None and not 0 <= deducted <= item.points:
        here.append(
            Problem(
                f"{deducted:g} is not within 0…{item.points:g}",
                field="points_deducted",
                zh=f"扣分 {deducted:g} 须在 0 到 {item.points:g} 之间",
            )
        )
    if passed and deducted:
        here.append(Problem("a passed item deducts no points", field="points_deducted", zh="合格项目不扣分"))
    note = parse_text(f.get("note"), "note", here, MAX_DESCRIPTION)
    client_id = parse_text(f.get("client_id"), "client_id", here, 80)
    if len(files) > MAX_PHOTOS:
        here.append(
            Problem(f"{len(files)} photos; at most {MAX_PHOTOS}", field="photos", zh=f"照片最多 {MAX_PHOTOS} 张")
        )
    try:
        checked = check_photos(files, settings.cases.photo_max_bytes) if files else []
    except InvalidInput as exc:
        here.extend(exc.problems)
        checked = []
    problems.extend(Problem(p.message, feature=n, field=p.field, zh=p.zh) for p in here)
    return {
        "n": n,
        "raw": f,
        "item": item,
        "passed": passed,
        "point": point,
        "crs": crs,
        "deducted": deducted or 0.0,
        "note": note,
        "client_id": client_id,
        "files": files,
        "checked": checked,
    }


def open_cases(
    session: Session,
    failures: list[dict[str, Any]],
    settings: Settings,
    *,
    actor: Actor,
    now: dt.datetime,
    describe: Callable[[dict[str, Any]], str],
    origin: str,
    origin_ids: dict[str, int],
) -> None:
    """Open a case for every failed finding (source ``inspection``), routed by the usual rules to the responsible
    unit with its category's deadline; writes ``case_id``, ``unit_id`` and the routed WGS-84 ``lon``/``lat`` into
    each finding. Many failures are routed at once over the loaded layers — the same decision either way.

    Provenance, the same for inspections and mock assessments: the case's source is ``inspection``, its opening
    event carries ``origin`` (``inspection`` | ``assessment``), the ``origin_ids`` (``inspection_id``, or
    ``assessment_id`` and ``point_id``) and the item's code, and a client's retry id is prefixed with ``origin``."""
    routed = _route_failures(session, failures, now)
    for p in failures:
        chosen: ChecklistItem = p["item"]
        lon, lat = p["point"]
        report = {
            "lon": lon,
            "lat": lat,
            "crs": p["crs"],
            "category": chosen.category,
            "source": "inspection",
            "description": describe(p),
            "observed_at": now.isoformat(),
            "client_id": f"{origin}:{p['client_id']}" if p["client_id"] else None,
        }
        known = routed.get(id(p))
        try:
            answer = open_report(
                session,
                report,
                settings,
                actor=actor,
                photos=p["files"],
                now=now,
                router=(lambda *_a, _r=known, **_k: _r) if known is not None else None,
                event_data={"origin": origin, **origin_ids, "item": chosen.code},
            )
        except InvalidInput as exc:  # say which finding (a point far outside the city…); the caller keeps nothing
            raise InvalidInput(
                [Problem(e.message, feature=p["n"], field=e.field, zh=e.zh) for e in exc.problems]
            ) from exc
        responsible: Any = answer.get("responsible") or {}
        p["case_id"] = int(answer["id"])  # type: ignore[call-overload]  # the answer's id is the case's
        p["lon"], p["lat"] = float(answer["lon"]), float(answer["lat"])  # type: ignore[arg-type]  # as routed
        p["unit_id"] = responsible.get("unit_id")


def withdraw_case(
    session: Session, case_id: int, settings: Settings, *, actor: Actor, note: str, now: dt.datetime
) -> None:
    """Void (作废) the case a finding opened, when the finding is corrected to a pass or deleted: the problem was
    never there, so the unit must not keep working on it nor count it late. Taken by whoever corrects the finding
    (its author or a commander) on the finding's authority, hence as the system; the case's history names them and
    ``note`` says why. A case already closed or voided stays as it is (its history is the record)."""
    row = session.get(Case, case_id)
    if row is not None and row.status in ACTIVE:
        transition(session, case_id, "void", settings, version=row.version, actor=replace(actor, role=SYSTEM),
                   note=note, now=now)  # fmt: skip


def wgs84_of(p: dict[str, Any]) -> tuple[float, float]:
    """A finding's place in WGS-84 (a GCJ-02 pin converted), for findings that opened no case."""
    lon, lat = p["point"]
    if p["crs"] != "gcj02":
        return lon, lat
    import numpy as np

    from gridmap.geo.crs import gcj02_to_wgs84

    x, y = gcj02_to_wgs84(np.asarray([lon]), np.asarray([lat]))
    return float(x[0]), float(y[0])


def _route_failures(session: Session, failures: list[dict[str, Any]], now: dt.datetime) -> dict[int, Any]:
    """The routing answers of many failed findings at once (the bulk router's vectorised path, over the layers it
    keeps loaded), keyed by the finding's ``id()``; a few findings, or a point it cannot answer, take the one-off
    path inside :func:`open_report` — the same decision either way."""
    if len(failures) < BULK_ROUTING_FROM:
        return {}
    from gridmap.routing import route_points

    batch = route_points(
        session,
        [p["point"][0] for p in failures],
        [p["point"][1] for p in failures],
        crs=[p["crs"] for p in failures],
        categories=[p["item"].category for p in failures],
        observed_at=now,
    )
    out = {}
    for i, p in enumerate(failures):
        result = batch.result(i)
        if result is not None:
            out[id(p)] = result
    return out


def items_of(session: Session, template_id: int) -> tuple[dict[int, ChecklistItem], dict[str, ChecklistItem]]:
    """A checklist edition's items by id and by code (what :func:`parse_finding` finds a finding's item in)."""
    items = session.scalars(select(ChecklistItem).where(ChecklistItem.template_id == template_id)).all()
    return {i.id: i for i in items}, {i.code: i for i in items}


def replayed(session: Session, model: Finding, client_ids: list[str]) -> set[str]:
    """The client ids among ``client_ids`` stored already (a phone sending again what went through: skipped)."""
    if not client_ids:
        return set()
    return set(session.scalars(select(model.client_id).where(model.client_id.in_(client_ids))))


def stored_fields(p: dict[str, Any], settings: Settings, actor: Actor, now: dt.datetime) -> dict[str, Any]:
    """The columns a checked finding (:func:`parse_finding`, its case opened by :func:`open_cases`) is stored with,
    besides what it belongs to: an inspection's finding and an assessment's scored item alike."""
    lon, lat = (p["lon"], p["lat"]) if "case_id" in p else wgs84_of(p)
    return {
        "item_id": p["item"].id,
        "passed": bool(p["passed"]),
        "points_deducted": float(p["deducted"]),
        "lon": lon,
        "lat": lat,
        "note": p["note"],
        "photos": store_photos(settings.instance_dir, p["checked"]) if p["checked"] else None,
        "case_id": p.get("case_id"),
        "unit_id": p.get("unit_id"),
        "recorded_at": now,
        "recorded_by": actor.name,
        "client_id": p["client_id"],
    }


def with_item_unit_case(model: Finding, *extra: Any) -> Select[Any]:
    """Stored findings with their item's code and names, ``extra`` columns, their unit's name and their case's
    status (``unit_name``, ``case_status``): the caller adds its ``where`` and ``order_by``."""
    return (
        select(
            model,
            ChecklistItem.code,
            ChecklistItem.name_zh,
            ChecklistItem.name_en,
            *extra,
            Unit.name.label("unit_name"),
            Case.status.label("case_status"),
        )
        .join(ChecklistItem, ChecklistItem.id == model.item_id)
        .join(Unit, Unit.id == model.unit_id, isouter=True)
        .join(Case, Case.id == model.case_id, isouter=True)
    )


def shown_fields(
    f: InspectionFinding | AssessmentItemScore, code: str, unit_name: str | None, case_status: str | None
) -> dict[str, Any]:
    """What a stored finding shows of itself, its item's code, its unit and its case (an inspection's and an
    assessment's alike; each adds its own)."""
    return {
        "id": f.id,
        "item_id": f.item_id,
        "item_code": code,
        "passed": f.passed,
        "points_deducted": f.points_deducted,
        "lon": f.lon,
        "lat": f.lat,
        "note": f.note,
        "photos": [ph["file"] for ph in (f.photos or [])],
        "case_id": f.case_id,
        "case_status": case_status,
        "unit_id": f.unit_id,
        "unit_name": unit_name,
        "recorded_by": f.recorded_by,
    }
