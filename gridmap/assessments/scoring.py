"""A drawn point's score, and the score rates 得分率 of an assessment — per point type, per 街道 and overall, each
score ÷ possible summed over the points scored — compared with the previous assessment (the latest drawn before it
with any point scored), as a difference in percentage points.

A rate sums points, not percentages: a point worth 100 counts ten times one worth 10, as the national assessment's
score rate does (observations weigh by their standards' points). A point scored item by item against its checklist
(:mod:`~.items`) has its ``score``/``possible`` written from the items; a point of a type without a checklist is
scored whole here (the older API, still served; refused for a point already scored item by item).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from gridmap.accounts import audit
from gridmap.accounts.actor import Actor
from gridmap.assessments.drawing import find_assessment, get_assessment, open_assessment, point_dict, street_names
from gridmap.assessments.items import scored_items
from gridmap.assessments.vocabulary import ORDER, type_name
from gridmap.cases.values import now_or
from gridmap.errors import InvalidInput, NotFound, Problem
from gridmap.inputs import parse_number, parse_text
from gridmap.store.models import Assessment, AssessmentPoint

MAX_POSSIBLE = 10_000.0  # a point's full marks; more is a typing slip (a checklist totals 100 or so)


def score_point(
    session: Session,
    assessment_id: int,
    point_id: int,
    data: Mapping[str, Any],
    actor: Actor,
    lang: str = "zh_CN",
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Record (or correct) a point's score out of ``possible`` with a note; audited with the value it replaces."""
    problems: list[Problem] = []
    possible = parse_number(data.get("possible"), "possible", problems)
    score = parse_number(data.get("score"), "score", problems)
    note = parse_text(data.get("note"), "note", problems, 2000)
    if possible is not None and not 0 < possible <= MAX_POSSIBLE:
        problems.append(
            Problem(
                f"{possible:g} is not a full mark: give more than 0, at most {MAX_POSSIBLE:g}",
                field="possible",
                zh=f"满分须大于 0 且不超过 {MAX_POSSIBLE:g}",
            )
        )
        possible = None
    if score is not None and score < 0:
        problems.append(Problem(f"{score:g} is below 0", field="score", zh="得分不能为负数"))
    elif score is not None and possible is not None and score > possible:
        problems.append(
            Problem(
                f"{score:g} is more than the full mark {possible:g}",
                field="score",
                zh=f"得分 {score:g} 超过满分 {possible:g}",
            )
        )
    open_assessment(session, assessment_id)
    point = session.scalar(
        select(AssessmentPoint).where(AssessmentPoint.id == point_id, AssessmentPoint.assessment_id == assessment_id)
    )
    if point is None:
        raise NotFound(
            f"no point {point_id} in assessment {assessment_id}", zh=f"测评 {assessment_id} 中没有点位 {point_id}"
        )
    if scored_items(session, point.id):
        problems.append(
            Problem(
                "this point is scored item by item: correct its items, not the whole point",
                field="score",
                zh="该点位已按测评细则逐项评分，不能再整体改分",
            )
        )
    if problems:
        raise InvalidInput(problems)
    before = {"score": point.score, "possible": point.possible, "note": point.note}
    at = now or dt.datetime.now(dt.UTC)
    session.execute(
        update(AssessmentPoint)
        .where(AssessmentPoint.id == point.id)
        .values(score=score, possible=possible, note=note, scored_by=actor.name, scored_at=at)
    )
    session.refresh(point)
    audit.record(
        session,
        actor,
        "assessment.score",
        object_kind="assessment_point",
        object_id=point.id,
        before=before,
        after={"assessment": assessment_id, "score": score, "possible": possible, "note": note},
    )
    return point_dict(point, street_names(session), lang)


def close_assessment(
    session: Session, assessment_id: int, actor: Actor, lang: str = "zh_CN", now: dt.datetime | None = None
) -> dict[str, Any]:
    """Close an assessment: its scores are final — no item scored, corrected or deleted after this, no point
    rescored. Closing twice is refused (it says when and by whom). Audited. Returns :func:`assessment_with_results`."""
    open_assessment(session, assessment_id, lock=True)
    at = now_or(now)
    session.execute(update(Assessment).where(Assessment.id == assessment_id).values(closed_at=at, closed_by=actor.name))
    audit.record(session, actor, "assessment.close", object_kind="assessment", object_id=assessment_id, at=at,
                 before={"closed_at": None}, after={"closed_at": at.isoformat(), "closed_by": actor.name})  # fmt: skip
    session.expire_all()
    return assessment_with_results(session, assessment_id, lang)


def _rates(rows: Iterable[Any], key: str) -> dict[Any, dict[str, Any]]:
    out: dict[Any, dict[str, Any]] = {}
    for r in rows:
        k = getattr(r, key) if key else "all"
        d = out.setdefault(k, {"points": 0, "scored": 0, "score": 0.0, "possible": 0.0})
        d["points"] += 1
        if r.score is not None and r.possible:
            d["scored"] += 1
            d["score"] += r.score
            d["possible"] += r.possible
    for d in out.values():
        d["rate"] = d["score"] / d["possible"] if d["possible"] else None
    return out


def _points(session: Session, assessment_id: int) -> list[Any]:
    return list(
        session.execute(
            select(
                AssessmentPoint.point_type, AssessmentPoint.street_id, AssessmentPoint.score, AssessmentPoint.possible
            ).where(AssessmentPoint.assessment_id == assessment_id)
        )
    )


def previous_of(session: Session, row: Assessment) -> Assessment | None:
    """The latest assessment drawn before ``row`` (same day: made earlier) with any point scored."""
    scored = select(AssessmentPoint.assessment_id).where(AssessmentPoint.score.is_not(None))
    return session.scalar(
        select(Assessment)
        .where(
            or_(Assessment.drawn_on < row.drawn_on, and_(Assessment.drawn_on == row.drawn_on, Assessment.id < row.id)),
            Assessment.id.in_(scored),
        )
        .order_by(Assessment.drawn_on.desc(), Assessment.id.desc())
        .limit(1)
    )


def _delta(now: float | None, then: float | None) -> float | None:
    return None if now is None or then is None else round((now - then) * 100, 1)


def results(session: Session, assessment_id: int, lang: str = "zh_CN") -> dict[str, Any]:
    """Score rates per point type, per 街道 and overall, each with the previous assessment's rate and the change in
    percentage points (null where either has nothing scored)."""
    row = find_assessment(session, assessment_id)
    rows = _points(session, assessment_id)
    prev = previous_of(session, row)
    prev_rows = _points(session, prev.id) if prev else []
    streets = street_names(session)
    by_type, by_street, overall = _rates(rows, "point_type"), _rates(rows, "street_id"), _rates(rows, "")
    p_type, p_street, p_all = _rates(prev_rows, "point_type"), _rates(prev_rows, "street_id"), _rates(prev_rows, "")

    def line(d: dict[str, Any], before: dict[str, Any] | None, **label: Any) -> dict[str, Any]:
        then = before["rate"] if before else None
        return {**label, **d, "previous_rate": then, "change_pp": _delta(d["rate"], then)}

    return {
        "assessment_id": row.id,
        "previous": None
        if prev is None
        else {"id": prev.id, "title": prev.title, "drawn_on": prev.drawn_on.isoformat()},
        "overall": line(
            overall.get("all", {"points": 0, "scored": 0, "score": 0.0, "possible": 0.0, "rate": None}),
            p_all.get("all"),
        ),
        "by_type": [
            line(d, p_type.get(t), type=t, type_name=type_name(t, lang))
            for t, d in sorted(by_type.items(), key=lambda kv: ORDER.get(kv[0], 99))
        ],
        "by_street": [
            line(d, p_street.get(s), street_id=s, street_name=streets.get(s) if s is not None else None)
            for s, d in sorted(by_street.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
        ],
    }


def assessment_with_results(session: Session, assessment_id: int, lang: str = "zh_CN") -> dict[str, Any]:
    """What the assessment page shows: the assessment, its points and its results."""
    return {**get_assessment(session, assessment_id, lang), "results": results(session, assessment_id, lang)}
