"""A drawn point scored item by item against its type's checklist, on a phone: each item passed or failed, the
points deducted, the place (GPS or pin), photos and a note — the inspections' findings, checked and turned into cases
by the same code (:mod:`gridmap.inspections.findings`). A failed item opens a case routed to its responsible unit
with its category's deadline.

The point's score is then the edition's total less the deductions so far (an item not yet scored deducts nothing),
written into the point's ``score``/``possible``: the score rates (:mod:`~.scoring`) read only those. A point keeps
the checklist edition its first item was scored on (frozen from then); an item of another edition is refused.
All or nothing, like findings. Until the assessment is closed a scored item may be corrected or deleted
(:func:`correct_item`, :func:`delete_item`); the case a failure opened is then voided if it no longer stands.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from gridmap.accounts import audit
from gridmap.accounts.actor import Actor
from gridmap.assessments.drawing import find_assessment, open_assessment, point_dict, street_names
from gridmap.assessments.vocabulary import CHECKLIST_TYPE, type_name
from gridmap.cases.values import now_or
from gridmap.config import Settings
from gridmap.errors import InvalidInput, NotFound, Problem
from gridmap.inspections.findings import (
    items_of,
    open_cases,
    parse_finding,
    replayed,
    shown_fields,
    stored_fields,
    wgs84_of,
    with_item_unit_case,
    withdraw_case,
)
from gridmap.inspections.templates import current_edition, freeze, get_edition
from gridmap.inspections.vocabulary import point_type_name
from gridmap.store.dialect import dialect_of
from gridmap.store.models import (
    Assessment,
    AssessmentItemScore,
    AssessmentPoint,
    Case,
    CaseStatus,
    ChecklistItem,
    ChecklistTemplate,
)

MAX_ITEMS = 100  # one request: a checklist has tens of items


def find_point(session: Session, assessment_id: int, point_id: int, *, lock: bool = False) -> AssessmentPoint:
    """The drawn point (locked: two phones scoring one point take turns, so an item is never stored twice)."""
    find_assessment(session, assessment_id)
    stmt = select(AssessmentPoint).where(AssessmentPoint.id == point_id, AssessmentPoint.assessment_id == assessment_id)
    point = session.scalar(stmt.with_for_update() if lock else stmt)
    if point is None:
        raise NotFound(
            f"no point {point_id} in assessment {assessment_id}", zh=f"测评 {assessment_id} 中没有点位 {point_id}"
        )
    return point


def scored_items(session: Session, point_id: int) -> int:
    """How many items of the point are scored (a point scored item by item takes no whole-point score)."""
    return int(session.scalar(select(func.count()).where(AssessmentItemScore.point_id == point_id)) or 0)


def _edition_of(session: Session, point_id: int) -> int | None:
    return session.scalar(
        select(ChecklistItem.template_id)
        .join(AssessmentItemScore, AssessmentItemScore.item_id == ChecklistItem.id)
        .where(AssessmentItemScore.point_id == point_id)
        .limit(1)
    )


def _checklist_type(point: AssessmentPoint, lang: str) -> str:
    ctype = CHECKLIST_TYPE.get(point.point_type)
    if ctype is None:
        raise InvalidInput(
            Problem(
                f"{type_name(point.point_type, 'en')} have no checklist: score the whole point",
                field="point",
                zh=f"“{type_name(point.point_type, 'zh_CN')}”没有测评细则，请按整个点位评分",
            )
        )
    return ctype


def record_items(
    session: Session,
    assessment_id: int,
    point_id: int,
    items: list[dict[str, Any]],
    settings: Settings,
    *,
    actor: Actor,
    photos: dict[int, list[tuple[str, bytes]]] | None = None,
    now: dt.datetime | None = None,
    lang: str = "zh_CN",
) -> dict[str, Any]:
    """Score items of a drawn point (``photos`` maps an item's index to its files); failed ones open cases. The
    point's score becomes its edition's total less all its deductions. Returns :func:`point_sheet`."""
    now = now_or(now)
    dialect_of(session).take_write_lock(session, "assessment_points", "the assessment")
    open_assessment(session, assessment_id)
    point = find_point(session, assessment_id, point_id, lock=True)
    ctype = _checklist_type(point, lang)
    photos = photos or {}
    if not isinstance(items, list) or not items:
        raise InvalidInput(Problem("send at least one scored item", field="items", zh="须至少有一个评分项目"))
    if len(items) > MAX_ITEMS:
        raise InvalidInput(
            Problem(f"{len(items)} items; at most {MAX_ITEMS} at once", field="items", zh=f"一次最多 {MAX_ITEMS} 项")
        )
    template_id = _edition_of(session, point.id)
    if template_id is None:
        template_id = int(current_edition(session, ctype)["id"])
    edition = session.scalar(select(ChecklistTemplate).where(ChecklistTemplate.id == template_id).with_for_update())
    assert edition is not None  # locked: an edit of the checklist waits, then finds it frozen
    by_id, by_code = items_of(session, template_id)
    where = f"该点位所用的测评细则（{point_type_name(edition.point_type)}第 {edition.edition} 版）"
    problems: list[Problem] = []
    parsed = [
        p
        for n, f in enumerate(items, start=1)
        if (p := parse_finding(f, n, by_id, by_code, where, photos.get(n - 1, []), settings, problems)) is not None
    ]
    again = replayed(session, AssessmentItemScore, [p["client_id"] for p in parsed if p["client_id"]])
    todo = [p for p in parsed if not (p["client_id"] and p["client_id"] in again)]
    done = set(session.scalars(select(AssessmentItemScore.item_id).where(AssessmentItemScore.point_id == point.id)))
    seen: set[int] = set()
    for p in todo:
        item = p["item"]
        if item is None:
            continue
        if item.id in done:
            problems.append(
                Problem(
                    f"item {item.code} of this point is scored already",
                    feature=p["n"],
                    field="item_id",
                    zh=f"本点位的检查项目 {item.code} 已评分",
                )
            )
        elif item.id in seen:
            problems.append(
                Problem(
                    f"item {item.code} sent twice", feature=p["n"], field="item_id", zh=f"检查项目 {item.code} 重复"
                )
            )
        seen.add(item.id)
    if problems:
        raise InvalidInput(problems)
    freeze(session, template_id)
    assessment = session.get(Assessment, assessment_id)
    assert assessment is not None
    failures = [p for p in todo if not p["passed"]]
    _open_cases(session, failures, settings, actor, now, assessment, point)
    rows = [{"point_id": point.id, **stored_fields(p, settings, actor, now)} for p in todo]
    if rows:
        session.execute(insert(AssessmentItemScore), rows)
    before = {"score": point.score, "possible": point.possible}
    score, possible = _rescore(session, point, template_id, actor, now)
    audit.record(
        session,
        actor,
        "assessment.items",
        object_kind="assessment_point",
        object_id=point.id,
        at=now,
        before=before,
        after={
            "assessment": assessment_id,
            "items": len(rows),
            "cases": [p["case_id"] for p in failures],
            "score": score,
            "possible": possible,
        },
    )
    session.expire_all()
    return point_sheet(session, assessment_id, point_id, lang)


def _open_cases(
    session: Session,
    failures: list[dict[str, Any]],
    settings: Settings,
    actor: Actor,
    now: dt.datetime,
    assessment: Assessment,
    point: AssessmentPoint,
) -> None:
    """Open the cases of a point's failed items (:func:`gridmap.inspections.findings.open_cases`), described by the
    assessment, the point, the item and the note, and tied to the assessment and the point."""
    open_cases(
        session,
        failures,
        settings,
        actor=actor,
        now=now,
        describe=lambda p: (
            f"【模拟测评】{assessment.title}·{point.name or point.seq}：{p['item'].name_zh}"
            + (f"：{p['note']}" if p["note"] else "")
        ),
        origin="assessment",
        origin_ids={"assessment_id": assessment.id, "point_id": point.id},
    )


def _rescore(
    session: Session, point: AssessmentPoint, template_id: int | None, actor: Actor, now: dt.datetime
) -> tuple[float | None, float | None]:
    """Write the point's score: its edition's total less all its deductions (unscored again, null, when its last
    item is deleted). Returns (score, possible)."""
    score: float | None = None
    possible: float | None = None
    if template_id is not None:
        possible = float(
            session.scalar(select(func.sum(ChecklistItem.points)).where(ChecklistItem.template_id == template_id))
            or 0.0
        )
        deducted = float(
            session.scalar(
                select(func.coalesce(func.sum(AssessmentItemScore.points_deducted), 0.0)).where(
                    AssessmentItemScore.point_id == point.id
                )
            )
            or 0.0
        )
        score = max(0.0, possible - deducted)
    session.execute(
        update(AssessmentPoint)
        .where(AssessmentPoint.id == point.id)
        .values(score=score, possible=possible, scored_by=actor.name if score is not None else None,
                scored_at=now if score is not None else None)
    )  # fmt: skip
    return score, possible


def _scored_row(session: Session, point: AssessmentPoint, score_id: int) -> AssessmentItemScore:
    row = session.scalar(
        select(AssessmentItemScore)
        .where(AssessmentItemScore.id == score_id, AssessmentItemScore.point_id == point.id)
        .with_for_update()
    )
    if row is None:
        raise NotFound(
            f"no scored item {score_id} at point {point.id}", zh=f"点位 {point.id} 没有编号为 {score_id} 的评分项目"
        )
    return row


def _item_snapshot(row: AssessmentItemScore) -> dict[str, Any]:
    return {"item_id": row.item_id, "passed": row.passed, "points_deducted": row.points_deducted,
            "note": row.note, "case_id": row.case_id}  # fmt: skip


def correct_item(
    session: Session,
    assessment_id: int,
    point_id: int,
    score_id: int,
    data: dict[str, Any],
    settings: Settings,
    *,
    actor: Actor,
    now: dt.datetime | None = None,
    lang: str = "zh_CN",
) -> dict[str, Any]:
    """Correct a scored item before the assessment is closed: passed or not, the points deducted, the note, and
    the place if given (else the one recorded). The point is rescored. A failure corrected to a pass voids the case
    it opened (:func:`~gridmap.inspections.findings.withdraw_case`: the unit must not work on, nor be counted late
    for, a problem that was not there); a pass corrected to a failure opens one, like a new failed item; a failure
    that stays one keeps its case. Audited with the values it replaces. Returns :func:`point_sheet`."""
    now = now_or(now)
    dialect_of(session).take_write_lock(session, "assessment_points", "the assessment")
    assessment = open_assessment(session, assessment_id)
    point = find_point(session, assessment_id, point_id, lock=True)
    row = _scored_row(session, point, score_id)
    item = session.get(ChecklistItem, row.item_id)
    assert item is not None
    if not isinstance(data, dict):
        raise InvalidInput(Problem("must be an object", zh="须为对象（JSON）"))
    sent = {
        "item_id": item.id,
        "passed": data.get("passed"),
        "points_deducted": data.get("points_deducted"),
        "note": data.get("note"),
        "lon": data.get("lon", row.lon),
        "lat": data.get("lat", row.lat),
        "crs": data.get("crs") if "lon" in data else "wgs84",
    }
    problems: list[Problem] = []
    p = parse_finding(sent, 1, {item.id: item}, {item.code: item}, "", [], settings, problems)
    if problems or p is None:
        raise InvalidInput([Problem(e.message, field=e.field, zh=e.zh) for e in problems])
    before = _item_snapshot(row)
    case_status = session.scalar(select(Case.status).where(Case.id == row.case_id)) if row.case_id else None
    lon, lat = wgs84_of(p)
    case_id, unit_id = row.case_id, row.unit_id
    if p["passed"] and row.case_id is not None:
        withdraw_case(session, row.case_id, settings, actor=actor, now=now,
                      note=f"测评项目 {item.code} 更正为合格，撤销立案")  # fmt: skip
    elif not p["passed"] and (row.case_id is None or case_status == CaseStatus.VOID):
        _open_cases(session, [p], settings, actor, now, assessment, point)
        case_id, unit_id, lon, lat = p["case_id"], p["unit_id"], p["lon"], p["lat"]
    session.execute(
        update(AssessmentItemScore)
        .where(AssessmentItemScore.id == row.id)
        .values(passed=bool(p["passed"]), points_deducted=float(p["deducted"]), note=p["note"], lon=lon, lat=lat,
                case_id=case_id, unit_id=unit_id, recorded_at=now, recorded_by=actor.name)
    )  # fmt: skip
    score, _ = _rescore(session, point, item.template_id, actor, now)
    audit.record(
        session, actor, "assessment.item.correct", object_kind="assessment_item", object_id=row.id, at=now,
        before=before,
        after={"assessment": assessment_id, "point": point.id, "passed": bool(p["passed"]),
               "points_deducted": float(p["deducted"]), "note": p["note"], "case_id": case_id, "score": score},
    )  # fmt: skip
    session.expire_all()
    return point_sheet(session, assessment_id, point_id, lang)


def delete_item(
    session: Session,
    assessment_id: int,
    point_id: int,
    score_id: int,
    settings: Settings,
    *,
    actor: Actor,
    now: dt.datetime | None = None,
    lang: str = "zh_CN",
) -> dict[str, Any]:
    """Delete a scored item before the assessment is closed (scored at the wrong point, say): its case, if still
    open, is voided, and the point rescored without it (unscored when it was the last; its checklist edition is
    then free again). Audited with the row it removes. Returns :func:`point_sheet`."""
    now = now_or(now)
    dialect_of(session).take_write_lock(session, "assessment_points", "the assessment")
    open_assessment(session, assessment_id)
    point = find_point(session, assessment_id, point_id, lock=True)
    row = _scored_row(session, point, score_id)
    item = session.get(ChecklistItem, row.item_id)
    assert item is not None
    before = _item_snapshot(row)
    if row.case_id is not None:
        withdraw_case(session, row.case_id, settings, actor=actor, now=now,
                      note=f"测评项目 {item.code} 的评分已删除，撤销立案")  # fmt: skip
    session.execute(delete(AssessmentItemScore).where(AssessmentItemScore.id == row.id))
    left = scored_items(session, point.id)
    score, _ = _rescore(session, point, item.template_id if left else None, actor, now)
    audit.record(session, actor, "assessment.item.delete", object_kind="assessment_item", object_id=row.id, at=now,
                 before=before, after={"assessment": assessment_id, "point": point.id, "score": score})  # fmt: skip
    session.expire_all()
    return point_sheet(session, assessment_id, point_id, lang)


def point_sheet(session: Session, assessment_id: int, point_id: int, lang: str = "zh_CN") -> dict[str, Any]:
    """What the phone page scores a point with: the point, its checklist edition (the one its items were scored on,
    else the current one; none for a type without a checklist) and the items scored so far with their cases."""
    point = find_point(session, assessment_id, point_id)
    ctype = CHECKLIST_TYPE.get(point.point_type)
    template_id = _edition_of(session, point.id)
    checklist: Any = None
    if template_id is not None:
        checklist = get_edition(session, template_id, lang)
    elif ctype is not None:
        try:
            checklist = current_edition(session, ctype, lang)
        except NotFound:
            checklist = None
    scored = session.execute(
        with_item_unit_case(AssessmentItemScore)
        .where(AssessmentItemScore.point_id == point.id)
        .order_by(AssessmentItemScore.id)
    ).all()
    return {
        "point": point_dict(point, street_names(session), lang),
        "checklist": checklist,
        "items": [
            {
                **shown_fields(s, code, unit_name, case_status),
                "item_name": name_en if lang == "en" and name_en else name_zh,
                "recorded_at": s.recorded_at.isoformat() if s.recorded_at else None,
            }
            for s, code, name_zh, name_en, unit_name, case_status in scored
        ],
    }
