"""Inspections and their findings: open one (明查 or 暗访, on the current edition of a point type's checklist, which
freezes it), record findings (each failed item opens a case through the usual report path, source ``inspection``),
publish it (a covert inspection's cases become visible to unit clerks), read one or the list.

Recording is all or nothing: every finding of a request is checked first (item of this inspection's edition, a
location, points, photos, the finding it re-checks) and every problem is reported with the finding's number; only
then are cases opened and findings written, in the caller's one transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import case as when
from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from gridmap.accounts import audit
from gridmap.accounts.actor import Actor
from gridmap.accounts.scope import scope_of
from gridmap.cases.deadlines import deadline_fields
from gridmap.cases.states import TERMINAL
from gridmap.cases.values import now_or
from gridmap.catalogue.categories import load_calendar
from gridmap.config import Settings
from gridmap.errors import InvalidInput, NotFound, Problem
from gridmap.inputs import parse_day, parse_int, parse_text
from gridmap.inspections.findings import (
    items_of,
    open_cases,
    parse_finding,
    replayed,
    shown_fields,
    stored_fields,
    with_item_unit_case,
)
from gridmap.inspections.templates import current_edition, freeze, get_edition
from gridmap.inspections.vocabulary import POINT_TYPES, kind_name, point_type_name
from gridmap.store.dialect import dialect_of
from gridmap.store.models import (
    AccountRole,
    Area,
    AreaLevel,
    Case,
    Category,
    ChecklistItem,
    ChecklistTemplate,
    Inspection,
    InspectionFinding,
    InspectionKind,
)

MAX_FINDINGS = 500  # one request: a day's walk of a team is tens of findings


def not_found(inspection_id: object) -> NotFound:
    return NotFound(f"no inspection {inspection_id}", zh=f"督查 {str(inspection_id)[:20]} 不存在")


def visible_to(row: Inspection, actor: Actor) -> bool:
    """A covert inspection is hidden from unit clerks until it is published (they see nothing of it, not even
    that it exists)."""
    return not (actor.role == AccountRole.UNIT_CLERK and row.kind == InspectionKind.COVERT and row.published_at is None)


def load(session: Session, inspection_id: int, actor: Actor, *, lock: bool = False) -> Inspection:
    stmt = select(Inspection).where(Inspection.id == inspection_id)
    row = session.scalar(stmt.with_for_update() if lock else stmt)
    if row is None or not visible_to(row, actor):
        raise not_found(inspection_id)
    return row


def _street(session: Session, raw: object, problems: list[Problem]) -> int | None:
    """The inspected area: a 街道 (or any area) by id, code or name; empty → none."""
    if raw is None or raw == "":
        return None
    text = str(raw).strip()[:100]
    cond = [Area.code == text, Area.name == text]
    if text.isdigit() and len(text) < 10:
        cond.append(Area.id == int(text))
    ids = session.scalars(select(Area.id).where(or_(*cond)).order_by(Area.level != AreaLevel.STREET)).all()
    if not ids:
        problems.append(Problem(f"no area {text!r}", field="street", zh=f"找不到区域“{text}”"))
        return None
    return ids[0]


def open_inspection(
    session: Session, data: dict[str, Any], *, actor: Actor, tz: dt.tzinfo, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Open an inspection on the current edition of ``point_type``'s checklist (which is frozen from now on)."""
    if not isinstance(data, dict):
        raise InvalidInput(Problem("send a JSON object", zh="须为 JSON 对象"))
    now = now_or(now)
    problems: list[Problem] = []
    kind = str(data.get("kind") or InspectionKind.OPEN)
    if kind not in {k.value for k in InspectionKind}:
        problems.append(
            Problem(f"{kind[:20]!r} is not open or covert", field="kind", zh="方式须为明查（open）或暗访（covert）")
        )
    point_type = str(data.get("point_type") or "")
    if point_type not in POINT_TYPES:
        known = "、".join(f"{c}（{zh}）" for c, (zh, _) in POINT_TYPES.items())
        problems.append(
            Problem(f"{point_type[:40]!r} is not a point type", field="point_type", zh=f"点位类型须为：{known}")
        )
    title = parse_text(data.get("title"), "title", problems, 200)
    team = parse_text(data.get("team"), "team", problems, 200)
    day = parse_day(data.get("day"), "day", problems, default=now.astimezone(tz).date())
    street_id = _street(session, data.get("street"), problems)
    if problems:
        raise InvalidInput(problems)
    dialect_of(session).take_write_lock(session, "checklist_templates", "the checklist")
    edition = current_edition(session, point_type)
    session.scalar(select(ChecklistTemplate.id).where(ChecklistTemplate.id == edition["id"]).with_for_update())
    freeze(session, edition["id"])
    assert day is not None
    title = title or f"{day.isoformat()} {point_type_name(point_type)}{kind_name(kind)}"
    inspection_id = session.execute(
        insert(Inspection)
        .values(
            kind=kind,
            title=title,
            team=team,
            day=day,
            street_id=street_id,
            template_id=edition["id"],
            created_at=now,
            created_by=actor.name,
        )
        .returning(Inspection.id)
    ).scalar_one()
    audit.record(
        session,
        actor,
        "inspection.open",
        object_kind="inspection",
        object_id=inspection_id,
        at=now,
        after={
            "kind": kind,
            "point_type": point_type,
            "edition": edition["edition"],
            "day": day.isoformat(),
            "street_id": street_id,
            "team": team,
        },
    )
    return get_inspection(session, inspection_id, actor=actor)


def publish(
    session: Session,
    inspection_id: int,
    *,
    actor: Actor,
    settings: Settings | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Publish an inspection: its problem list is handed to the units, and a covert one's cases become visible to
    their unit clerks — with their deadlines started again from now on the working calendar, since a unit cannot
    act on what it could not see. Publishing twice changes nothing."""
    now = now_or(now)
    row = load(session, inspection_id, actor, lock=True)
    if row.published_at is None:
        session.execute(
            update(Inspection)
            .where(Inspection.id == inspection_id, Inspection.published_at.is_(None))
            .values(published_at=now, published_by=actor.name)
        )
        cases = select(InspectionFinding.case_id).where(
            InspectionFinding.inspection_id == inspection_id, InspectionFinding.case_id.is_not(None)
        )
        restarted = _restart_deadlines(session, cases, settings or Settings.from_env(), now)
        session.execute(update(Case).where(Case.id.in_(cases)).values(withheld=False))
        audit.record(
            session,
            actor,
            "inspection.publish",
            object_kind="inspection",
            object_id=inspection_id,
            at=now,
            after={"deadlines_restarted": restarted},
        )
        session.expire_all()
    return get_inspection(session, inspection_id, actor=actor)


def _restart_deadlines(session: Session, case_ids: Any, settings: Settings, now: dt.datetime) -> list[int]:
    """Start the deadlines of the withheld, still active cases among ``case_ids`` again from ``now`` (their
    category's limit for their urgency, on the working calendar); returns the cases changed."""
    rows = session.execute(
        select(Case.id, Case.category, Case.urgency).where(
            Case.id.in_(case_ids),
            Case.withheld.is_(True),
            Case.deadline_at.is_not(None),
            Case.status.not_in([str(s) for s in TERMINAL]),
        )
    ).all()
    if not rows:
        return []
    cal = load_calendar(session, settings.cases)
    categories = {
        c.code: c for c in session.scalars(select(Category).where(Category.code.in_({r.category for r in rows})))
    }
    for r in rows:
        fields = deadline_fields(cal, categories[r.category], r.urgency, now)
        session.execute(update(Case).where(Case.id == r.id).values(**fields))
    return [r.id for r in rows]


def record_findings(
    session: Session,
    inspection_id: int,
    findings: list[dict[str, Any]],
    settings: Settings,
    *,
    actor: Actor,
    photos: dict[int, list[tuple[str, bytes]]] | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Record findings (``photos`` maps a finding's index to its files); each failed one opens a case routed to its
    responsible unit with its category's deadline. Returns the findings as stored. All or nothing."""
    now = now_or(now)
    inspection = load(session, inspection_id, actor)
    photos = photos or {}
    if not isinstance(findings, list) or not findings:
        raise InvalidInput(Problem("send at least one finding", field="findings", zh="须至少有一条检查记录"))
    if len(findings) > MAX_FINDINGS:
        raise InvalidInput(
            Problem(
                f"{len(findings)} findings; at most {MAX_FINDINGS} at once",
                field="findings",
                zh=f"一次最多提交 {MAX_FINDINGS} 条检查记录",
            )
        )
    by_id, by_code = items_of(session, inspection.template_id)
    edition = session.get(ChecklistTemplate, inspection.template_id)
    assert edition is not None
    where = f"本次督查的测评细则（{point_type_name(edition.point_type)}第 {edition.edition} 版）"
    problems: list[Problem] = []
    parsed: list[dict[str, Any]] = []
    rechecks: set[int] = set()
    for n, f in enumerate(findings, start=1):
        p = parse_finding(f, n, by_id, by_code, where, photos.get(n - 1, []), settings, problems)
        if p is None:
            continue
        here: list[Problem] = []
        p["recheck"] = parse_int(f.get("recheck_of"), "recheck_of", here, lo=1)
        problems.extend(Problem(e.message, feature=n, field=e.field, zh=e.zh) for e in here)
        if p["recheck"] is not None:
            rechecks.add(p["recheck"])
        parsed.append(p)
    originals = _originals(session, rechecks)
    for p in parsed:
        if p["recheck"] is None or p["item"] is None:
            continue
        original = originals.get(p["recheck"])
        if original is None or original["passed"]:
            problems.append(
                Problem(
                    f"finding {p['recheck']} is not a failed finding to re-check",
                    feature=p["n"],
                    field="recheck_of",
                    zh=f"第 {p['recheck']} 号检查记录不存在或并非不合格项，无法复查",
                )
            )
        elif original["code"] != p["item"].code:
            problems.append(
                Problem(
                    f"finding {p['recheck']} was item {original['code']}, not {p['item'].code}",
                    feature=p["n"],
                    field="recheck_of",
                    zh=f"复查的项目须与原检查项目一致（原为 {original['code']}）",
                )
            )
    if problems:
        raise InvalidInput(problems)
    existing = replayed(session, InspectionFinding, [p["client_id"] for p in parsed if p["client_id"]])
    withheld = inspection.kind == InspectionKind.COVERT and inspection.published_at is None
    todo = [p for p in parsed if not (p["client_id"] and p["client_id"] in existing)]
    failures = [p for p in todo if not p["passed"]]
    label = kind_name(inspection.kind)
    open_cases(
        session,
        failures,
        settings,
        actor=actor,
        now=now,
        describe=lambda p: f"【{label}】{p['item'].name_zh}" + (f"：{p['note']}" if p["note"] else ""),
        origin="inspection",
        origin_ids={"inspection_id": inspection_id},
    )
    opened = [p["case_id"] for p in failures]
    rows: list[dict[str, Any]] = []
    for p in todo:
        row = {"inspection_id": inspection_id, **stored_fields(p, settings, actor, now)}
        original = originals.get(p["recheck"]) if p["recheck"] else None
        if original is not None and original["unit_id"] is not None:
            row["unit_id"] = original["unit_id"]  # a repeat counts against the unit the first failure went to
        row["recheck_of"] = p["recheck"]
        row["repeat"] = bool(original is not None and not p["passed"])
        rows.append(row)
    if rows:
        session.execute(insert(InspectionFinding), rows)
    if withheld and opened:
        session.execute(update(Case).where(Case.id.in_(opened)).values(withheld=True))
    audit.record(
        session,
        actor,
        "inspection.findings",
        object_kind="inspection",
        object_id=inspection_id,
        at=now,
        after={"findings": len(rows), "failed": len(opened), "cases": opened},
    )
    return get_inspection(session, inspection_id, actor=actor)


def _originals(session: Session, ids: set[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    rows = session.execute(
        select(InspectionFinding.id, InspectionFinding.passed, InspectionFinding.unit_id, ChecklistItem.code)
        .join(ChecklistItem, ChecklistItem.id == InspectionFinding.item_id)
        .where(InspectionFinding.id.in_(sorted(ids)))
    ).all()
    return {r.id: {"passed": r.passed, "unit_id": r.unit_id, "code": r.code} for r in rows}


def _header(session: Session, row: Inspection, lang: str) -> dict[str, Any]:
    edition = session.get(ChecklistTemplate, row.template_id)
    assert edition is not None
    street = session.scalar(select(Area.name).where(Area.id == row.street_id)) if row.street_id else None
    return {
        "id": row.id,
        "kind": row.kind,
        "kind_name": kind_name(row.kind, lang),
        "title": row.title,
        "team": row.team,
        "day": row.day,
        "street_id": row.street_id,
        "street_name": street,
        "template_id": row.template_id,
        "point_type": edition.point_type,
        "point_type_name": point_type_name(edition.point_type, lang),
        "edition": edition.edition,
        "created_at": row.created_at,
        "created_by": row.created_by,
        "published_at": row.published_at,
        "published_by": row.published_by,
    }


def findings_of(session: Session, inspection_id: int, actor: Actor) -> list[dict[str, Any]]:
    """The inspection's findings as ``actor`` may see them (a unit clerk: their unit's only)."""
    stmt = (
        with_item_unit_case(InspectionFinding, ChecklistItem.category)
        .where(InspectionFinding.inspection_id == inspection_id)
        .order_by(InspectionFinding.id)
    )
    scope = scope_of(session, actor)
    if scope is not None and scope.unit_id is not None:
        stmt = stmt.where(InspectionFinding.unit_id == scope.unit_id)
    out = []
    for f, code, name_zh, name_en, category, unit_name, case_status in session.execute(stmt):
        out.append(
            {
                **shown_fields(f, code, unit_name, case_status),
                "item_name": name_zh,
                "item_name_en": name_en,
                "category": category,
                "recheck_of": f.recheck_of,
                "repeat": f.repeat,
                "recorded_at": f.recorded_at,
                "client_id": f.client_id,
            }
        )
    return out


def get_inspection(session: Session, inspection_id: int, *, actor: Actor, lang: str = "zh_CN") -> dict[str, Any]:
    """An inspection with its checklist edition and its findings (a unit clerk: their unit's, once visible)."""
    row = load(session, inspection_id, actor)
    return {
        **_header(session, row, lang),
        "checklist": get_edition(session, row.template_id, lang),
        "findings": findings_of(session, inspection_id, actor),
    }


def list_inspections(session: Session, *, actor: Actor, lang: str = "zh_CN", limit: int = 200) -> list[dict[str, Any]]:
    """The inspections, newest first, each with its counts of findings and failures (what ``actor`` may see)."""
    stmt = select(Inspection).order_by(Inspection.day.desc(), Inspection.id.desc()).limit(limit)
    if actor.role == AccountRole.UNIT_CLERK:
        stmt = stmt.where(or_(Inspection.kind == InspectionKind.OPEN, Inspection.published_at.is_not(None)))
    rows = session.scalars(stmt).all()
    counts = (
        {
            r.inspection_id: (r.n, r.failed)
            for r in session.execute(
                select(
                    InspectionFinding.inspection_id,
                    func.count().label("n"),
                    func.sum(when((InspectionFinding.passed.is_(False), 1), else_=0)).label("failed"),
                )
                .where(InspectionFinding.inspection_id.in_([r.id for r in rows]))
                .group_by(InspectionFinding.inspection_id)
            )
        }
        if rows
        else {}
    )
    return [
        {
            **_header(session, r, lang),
            "findings": counts.get(r.id, (0, 0))[0],
            "failed": int(counts.get(r.id, (0, 0))[1] or 0),
        }
        for r in rows
    ]
