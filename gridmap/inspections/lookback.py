"""回头看, the weekly look-back: last week's failed points (the failed findings of inspections held Monday–Sunday of the
week before), each with the state of its case and its re-inspection so far. A re-inspection is a finding recorded
with ``recheck_of`` (:func:`gridmap.inspections.records.record_findings`); failing again marks it a repeat 反弹
against the unit the first failure went to."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from gridmap.accounts.actor import Actor
from gridmap.accounts.scope import scope_of
from gridmap.inspections.vocabulary import point_type_name
from gridmap.store.models import (
    AccountRole,
    Case,
    ChecklistItem,
    ChecklistTemplate,
    Inspection,
    InspectionFinding,
    InspectionKind,
    Unit,
)


def week_before(day: dt.date) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of the week before the one holding ``day``."""
    monday = day - dt.timedelta(days=day.weekday())
    return monday - dt.timedelta(days=7), monday - dt.timedelta(days=1)


def look_back(session: Session, day: dt.date, *, actor: Actor, lang: str = "zh_CN") -> dict[str, Any]:
    """The points to re-inspect this week (the failures of the week before ``day``'s week) and the repeats per unit."""
    start, end = week_before(day)
    recheck = aliased(InspectionFinding)
    latest = (
        select(recheck.recheck_of, func.max(recheck.id).label("id"))
        .where(recheck.recheck_of.is_not(None))
        .group_by(recheck.recheck_of)
        .subquery()
    )
    again = aliased(InspectionFinding)
    stmt = (
        select(
            InspectionFinding.id,
            InspectionFinding.lon,
            InspectionFinding.lat,
            InspectionFinding.note,
            InspectionFinding.unit_id,
            InspectionFinding.case_id,
            Inspection.id.label("inspection_id"),
            Inspection.title,
            Inspection.day,
            ChecklistItem.code,
            ChecklistItem.name_zh,
            ChecklistTemplate.point_type,
            Unit.name.label("unit_name"),
            Case.status.label("case_status"),
            again.id.label("recheck_id"),
            again.passed.label("recheck_passed"),
            again.recorded_at.label("rechecked_at"),
        )
        .join(Inspection, Inspection.id == InspectionFinding.inspection_id)
        .join(ChecklistItem, ChecklistItem.id == InspectionFinding.item_id)
        .join(ChecklistTemplate, ChecklistTemplate.id == ChecklistItem.template_id)
        .join(Unit, Unit.id == InspectionFinding.unit_id, isouter=True)
        .join(Case, Case.id == InspectionFinding.case_id, isouter=True)
        .join(latest, latest.c.recheck_of == InspectionFinding.id, isouter=True)
        .join(again, again.id == latest.c.id, isouter=True)
        .where(InspectionFinding.passed.is_(False), Inspection.day >= start, Inspection.day <= end)
        .order_by(ChecklistTemplate.point_type, Inspection.day, InspectionFinding.id)
    )
    stmt = _visible(session, stmt, actor)
    points = [
        {
            **r._asdict(),
            "point_type_name": point_type_name(r.point_type, lang),
            "recheck": None if r.recheck_id is None else ("passed" if r.recheck_passed else "repeat"),
        }
        for r in session.execute(stmt)
    ]
    return {
        "week_start": start,
        "week_end": end,
        "points": points,
        "rechecked": sum(p["recheck"] is not None for p in points),
        "repeats": repeats_by_unit(session, actor=actor),
    }


def _visible(session: Session, stmt: Any, actor: Actor) -> Any:
    if actor.role != AccountRole.UNIT_CLERK:
        return stmt
    scope = scope_of(session, actor)
    published = (Inspection.kind == InspectionKind.OPEN) | Inspection.published_at.is_not(None)
    return stmt.where(published, InspectionFinding.unit_id == (scope.unit_id if scope else None))


def repeats_by_unit(session: Session, *, actor: Actor, since: dt.date | None = None) -> list[dict[str, Any]]:
    """Repeats 反弹 per unit (most first): re-inspected points that failed again, counted against their unit."""
    stmt = (
        select(InspectionFinding.unit_id, Unit.name, func.count().label("repeats"))
        .join(Inspection, Inspection.id == InspectionFinding.inspection_id)
        .join(Unit, Unit.id == InspectionFinding.unit_id, isouter=True)
        .where(InspectionFinding.repeat.is_(True))
        .group_by(InspectionFinding.unit_id, Unit.name)
        .order_by(func.count().desc(), Unit.name)
    )
    if since is not None:
        stmt = stmt.where(Inspection.day >= since)
    stmt = _visible(session, stmt, actor)
    return [{"unit_id": r.unit_id, "unit_name": r.name, "repeats": r.repeats} for r in session.execute(stmt)]


def recheck_target(session: Session, finding_id: int) -> dict[str, Any] | None:
    """Where and what a re-inspection of failed finding ``finding_id`` looks at (None: no such failed finding)."""
    row = session.execute(
        select(
            InspectionFinding.id,
            InspectionFinding.lon,
            InspectionFinding.lat,
            ChecklistItem.code,
            ChecklistTemplate.point_type,
        )
        .join(ChecklistItem, ChecklistItem.id == InspectionFinding.item_id)
        .join(ChecklistTemplate, ChecklistTemplate.id == ChecklistItem.template_id)
        .where(InspectionFinding.id == finding_id, InspectionFinding.passed.is_(False))
    ).first()
    if row is None:
        return None
    return {"id": row.id, "item": row.code, "lon": row.lon, "lat": row.lat, "point_type": row.point_type}
