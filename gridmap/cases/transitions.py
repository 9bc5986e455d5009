"""One step of the closed loop: :func:`transition` checks the action against the case's state and version and
applies it as one conditional UPDATE plus its event.

The rules are pure pieces, shared with the bulk replay of many steps (:mod:`gridmap.cases.replay`):
:func:`check_actor` (role, scope, four eyes), :func:`check_allowed` (version and state) and :func:`plan_step`
(what the action changes, given the catalogue through a :class:`Lookup`)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from gridmap.accounts import audit
from gridmap.accounts.actor import Actor
from gridmap.accounts.roles import role_name
from gridmap.accounts.scope import Scope, scope_of
from gridmap.cases.deadlines import deadline_fields
from gridmap.cases.photos import check_photos, store_photos
from gridmap.cases.queries import case_row, get_case
from gridmap.cases.states import ACTIONS, STATUS_ZH, Action, S, allowed_actions
from gridmap.cases.values import MAX_DESCRIPTION, as_utc, jsonable, local_iso, now_or
from gridmap.catalogue.categories import load_calendar
from gridmap.catalogue.working_calendar import URGENT_HOURS, WorkingCalendar
from gridmap.config import Settings
from gridmap.errors import Conflict, Forbidden, InvalidInput, Problem
from gridmap.inputs import as_id, parse_number, parse_text
from gridmap.store.dialect import dialect_of
from gridmap.store.engine import rows_matched
from gridmap.store.models import Case, CaseEvent, Category, Unit


def transition(
    session: Session,
    case_id: int,
    action: str,
    settings: Settings,
    *,
    version: object,
    actor: Actor,
    actor_note: str | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    photos: list[tuple[str, bytes]] | None = None,
    now: dt.datetime | None = None,
) -> dict[str, object]:
    """Apply one step of the closed loop to a case as ``actor`` (the event's and the audit trail's who), holding
    ``version``; returns the updated case. ``actor_note``: a name the client gave (kept as a note, never as who).

    Raises InvalidInput (unknown action, missing note/version, bad data or photos), NotFound (no such case),
    Forbidden (the actor's role may not take this step, the case is outside their scope, or they would approve
    their own extension request) or Conflict (the action is not allowed in the current state, or the case changed
    since ``version`` was read).
    """
    now = now_or(now)
    problems: list[Problem] = []
    spec = ACTIONS.get(str(action))
    if spec is None:
        problems.append(
            Problem(
                f"unknown action {action!r}: one of {', '.join(ACTIONS)}",
                field="action",
                zh=f"未知的操作“{str(action)[:40]}”",
            )
        )
    if version is None or version == "":
        problems.append(
            Problem(
                "the case version you read is required (optimistic locking)",
                field="version",
                zh="缺少所读案件的版本号，请刷新后重试",
            )
        )
        v = 0
    else:
        try:
            v = int(str(version))
        except ValueError:
            problems.append(Problem(f"{version!r} is not a whole number", field="version", zh="版本号须为整数"))
            v = 0
    actor_note = parse_text(actor_note, "actor", problems, 200)
    note = parse_text(note, "note", problems, MAX_DESCRIPTION)
    data = data or {}
    if not isinstance(data, dict):
        problems.append(Problem("must be an object", field="data", zh="须为对象（JSON）"))
        data = {}
    if spec and spec.needs_note and not note:
        problems.append(
            Problem(
                f"{spec.name} ({spec.label_zh}) needs a note giving the reason",
                field="note",
                zh=f"“{spec.label_zh}”须填写说明理由",
            )
        )
    if problems:
        raise InvalidInput(problems)
    assert spec is not None
    checked = check_photos(photos or [], settings.cases.photo_max_bytes)
    dialect_of(session).take_write_lock(session, "cases", f"case {case_id}")
    row = case_row(session, case_id)
    check_step(session, actor, spec, row)
    check_allowed(spec, row, v)
    cal = load_calendar(session, settings.cases)
    changes, target, event_data = plan_step(spec, row, data, cal, now, _SessionLookup(session))
    if actor_note:
        event_data["actor_note"] = actor_note
    stmt = (
        update(Case.__table__)
        .where(Case.id == case_id, Case.version == v, Case.status == row.status)
        .values(**changes, status=str(target), version=Case.version + 1, updated_at=now)
    )
    try:
        result = session.execute(stmt)
    except OperationalError as exc:  # SQLite: another writer holds the lock / our snapshot is stale
        if "locked" in str(exc).lower() or "busy" in str(exc).lower():
            raise Conflict(
                f"case {case_id} is being changed by someone else right now: reload it",
                zh=f"案件 {case_id} 正由他人修改，请刷新后重试",
            ) from exc
        raise
    if rows_matched(result) != 1:
        raise Conflict(
            f"case {case_id} was changed by someone else at the same moment: reload it and try again",
            zh=f"案件 {case_id} 刚被他人修改，请刷新后重试",
        )
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
                    "actor": actor.name,
                    "at": now,
                    "note": note,
                    "photos": refs,
                    "data": jsonable(event_data) or None,
                }
            ],
        )
    except IntegrityError as exc:
        raise Conflict(
            f"case {case_id} was changed by someone else at the same moment: reload it",
            zh=f"案件 {case_id} 刚被他人修改，请刷新后重试",
        ) from exc
    before = {"status": row.status, "version": v, "unit_id": row.unit_id,
              "deadline_at": row.deadline_at, "supervision_level": row.supervision_level}  # fmt: skip
    audit.record(session, actor, f"case.{spec.name}", object_kind="case", object_id=case_id, at=now, before=before,
                 after={**before, **changes, "status": str(target), "version": v + 1}, note=note)  # fmt: skip
    return get_case(session, case_id, settings, now=now, actor=actor)


def steps_open_to(actor: Actor, case: dict[str, Any]) -> list[Action]:
    """The steps ``actor`` may take on ``case`` now (a case as :func:`~gridmap.cases.queries.get_case` gives it to
    them, so within their scope): those its status and extension request allow, of the actor's role, less deciding
    an extension they asked for themselves (four eyes) — the buttons of the case page, in workflow order. Pure: what
    :func:`transition` would refuse anyway is not offered."""
    pending = case.get("extension_requested_seconds") is not None
    role = None if actor.is_system else actor.role
    asked_by = next(
        (e.get("actor") for e in reversed(case.get("events") or []) if e.get("action") == "request_extension"), None
    )
    out = []
    for name in allowed_actions(str(case["status"]), pending, role):
        spec = ACTIONS[name]
        if spec.extension == "pending" and not actor.is_system and asked_by == actor.name:
            continue
        out.append(spec)
    return out


def check_step(session: Session, actor: Actor, spec: Action, row: Any) -> None:
    """:func:`check_actor` with the actor's scope and the asker of a pending extension read from the database."""
    asked_by = None
    if spec.extension == "pending" and not actor.is_system:
        asked_by = session.scalar(
            select(CaseEvent.actor)
            .where(CaseEvent.case_id == row.id, CaseEvent.action == "request_extension")
            .order_by(CaseEvent.seq.desc())
            .limit(1)
        )
    check_actor(actor, spec, row, scope_of(session, actor), asked_by)


def check_actor(actor: Actor, spec: Action, row: Any, scope: Scope | None, asked_by: str | None) -> None:
    """May ``actor`` take step ``spec`` on the case ``row``? Their role, their ``scope`` (a unit clerk: their unit's
    cases), and four eyes: an extension is decided by someone other than whoever asked for it (``asked_by``)."""
    if not actor.has(*spec.roles):
        who = ", ".join(role_name(r, "zh_CN") for r in sorted(spec.roles))
        raise Forbidden(
            f"{spec.name} ({spec.label_zh}) is for: {who}; you are {role_name(actor.role, 'zh_CN')}",
            zh=f"“{spec.label_zh}”仅限{who}操作，您是{role_name(actor.role, 'zh_CN')}",
        )
    if scope is not None:
        scope.check_case(row.id, row.street_id, row.community_id, row.unit_id, row.withheld)
    if spec.extension == "pending" and not actor.is_system and asked_by == actor.name:
        raise Forbidden(
            "you asked for this extension yourself: someone else decides it (four eyes)",
            zh="延期由您本人申请，须由他人审批（双人原则）",
        )


def check_allowed(spec: Action, row: Any, version: int) -> None:
    """Is the case still at ``version``, and is ``spec`` allowed in its state (and extension request state)?
    Raises Conflict when not."""
    case_id = row.id
    pending_ext = row.extension_requested_seconds is not None
    if row.version != version:
        raise Conflict(
            f"case {case_id} has changed since you read it (it is at version {row.version}, you sent {version}): "
            f"reload it; it is now {row.status} ({STATUS_ZH[S(row.status)]})",
            zh=f"案件 {case_id} 在您读取后已被修改，现为“{STATUS_ZH[S(row.status)]}”，请刷新后重试",
        )
    if spec.name not in allowed_actions(row.status, pending_ext):
        allowed = allowed_actions(row.status, pending_ext)
        why = why_zh = ""
        if spec.extension == "none" and pending_ext:
            why, why_zh = " (an extension request is already waiting for a decision)", "（已有延期申请待审批）"
        elif spec.extension == "pending" and not pending_ext:
            why, why_zh = " (no extension request is waiting)", "（没有待审批的延期申请）"
        allowed_zh = "、".join(ACTIONS[a].label_zh for a in allowed) or "无（已办结）"
        raise Conflict(
            f"cannot {spec.name} ({spec.label_zh}) case {case_id}: it is {row.status} "
            f"({STATUS_ZH[S(row.status)]}){why}; allowed now: {', '.join(allowed) or 'nothing (it is finished)'}",
            zh=f"案件 {case_id} 现为“{STATUS_ZH[S(row.status)]}”{why_zh}，不能“{spec.label_zh}”；现可：{allowed_zh}",
        )


class Lookup(Protocol):
    """The catalogue a step reads: a category (for the deadline of ``verify``) and a unit's name (``dispatch``)."""

    def category(self, code: str) -> Category | None: ...

    def unit_name(self, unit_id: int) -> str | None: ...


class _SessionLookup:
    def __init__(self, session: Session) -> None:
        self.session = session

    def category(self, code: str) -> Category | None:
        return self.session.get(Category, code)

    def unit_name(self, unit_id: int) -> str | None:
        unit = self.session.get(Unit, unit_id)
        return None if unit is None else unit.name


def plan_step(
    spec: Action, row: Any, data: dict[str, Any], cal: WorkingCalendar, now: dt.datetime, lookup: Lookup
) -> tuple[dict[str, object], str, dict[str, object]]:
    """The column changes, the new status and the event data of one allowed action at ``now`` (no I/O but
    ``lookup``). Raises InvalidInput for bad ``data`` (a dispatch to no unit, an extension amount)."""
    changes: dict[str, object] = {}
    info: dict[str, object] = {}
    target = spec.target or row.status
    name = spec.name
    if name == "verify":
        category = lookup.category(row.category)
        assert category is not None
        deadline = deadline_fields(cal, category, row.urgency, now)
        changes.update(deadline, verified=True)
        info["deadline"] = local_iso(deadline["deadline_at"], cal)
    elif name == "dispatch":
        raw = data.get("unit_id", row.unit_id)
        if raw in (None, ""):
            raise InvalidInput(
                Problem(
                    "routing found no responsible unit: choose one (unit_id)",
                    field="unit_id",
                    zh="未找到责任单位，请选择一个单位",
                )
            )
        unit_id = as_id(raw)
        if unit_id is None:
            raise InvalidInput(
                Problem(f"{str(raw)[:40]!r} is not a unit id", field="unit_id", zh="须为单位编号（数字）")
            )
        unit_name = lookup.unit_name(unit_id)
        if unit_name is None:
            raise InvalidInput(Problem(f"no unit {unit_id}", field="unit_id", zh=f"单位 {unit_id} 不存在"))
        changes["unit_id"] = unit_id
        info.update(unit_id=unit_id, unit_name=unit_name)
        if row.unit_id is not None and row.unit_id != unit_id:
            info["routed_unit_id"] = row.unit_id
    elif name == "send_back":
        info["unit_id"] = row.unit_id
    elif name in ("recheck_pass", "void"):
        changes["closed_at"] = now
        if row.status == S.PARKED and row.paused_at is not None:  # the clock stays stopped where it was
            changes["paused_seconds"] = row.paused_seconds + (now - as_utc(row.paused_at)).total_seconds()
    elif name == "recheck_fail":
        changes["rework_count"] = row.rework_count + 1
    elif name == "request_extension":
        amount = _extension_amount(data, row.deadline_unit)
        seconds = cal.budget_seconds(amount, row.deadline_unit)
        changes["extension_requested_seconds"] = seconds
        info.update(amount=amount, unit=row.deadline_unit)
    elif name == "approve_extension":
        seconds = row.extension_requested_seconds
        if data.get("amount") not in (None, ""):  # the approver grants another amount than was asked
            seconds = cal.budget_seconds(_extension_amount(data, row.deadline_unit), row.deadline_unit)
        new_deadline = cal.add(as_utc(row.deadline_at), seconds, row.deadline_unit)
        changes.update(
            extension_requested_seconds=None,
            extension_count=row.extension_count + 1,
            limit_seconds=row.limit_seconds + seconds,
            deadline_at=new_deadline.astimezone(dt.UTC),
        )
        info.update(
            seconds=seconds, old_deadline=local_iso(row.deadline_at, cal), deadline=local_iso(new_deadline, cal)
        )
    elif name == "reject_extension":
        changes["extension_requested_seconds"] = None
    elif name == "park":
        changes.update(parked_from=row.status, paused_at=now)
    elif name == "resume":
        target = row.parked_from or S.OPEN
        paused_at = as_utc(row.paused_at) or now
        changes.update(
            parked_from=None, paused_at=None, paused_seconds=row.paused_seconds + (now - paused_at).total_seconds()
        )
        if row.deadline_at is not None:
            remaining = cal.elapsed(paused_at, as_utc(row.deadline_at), row.deadline_unit)
            if remaining > 0:
                new_deadline = cal.add(now, remaining, row.deadline_unit)
            elif row.deadline_unit == URGENT_HOURS:
                new_deadline = now + dt.timedelta(seconds=remaining)
            else:  # overdue before it was parked: the deadline stays in the past
                new_deadline = as_utc(row.deadline_at)
            changes["deadline_at"] = new_deadline.astimezone(dt.UTC)
            info.update(old_deadline=local_iso(row.deadline_at, cal), deadline=local_iso(new_deadline, cal))
        info["paused_seconds"] = round((now - paused_at).total_seconds(), 3)
    elif name == "supervise":
        changes["supervision_level"] = row.supervision_level + 1
        info["level"] = row.supervision_level + 1
    return changes, str(target), info


def _extension_amount(data: dict[str, Any], unit: str | None) -> float:
    """``data.amount`` of an extension, in the case's deadline unit: above 0 and at most 1000."""
    amount = parse_number(data.get("amount"), "amount", problems := [])
    if amount is not None and not 0 < amount <= 1000:
        problems.append(
            Problem(f"{amount!r}: must be above 0 and at most 1000", field="amount", zh="须大于 0 且不超过 1000")
        )
    if amount is None or problems:
        raise InvalidInput(
            [
                *problems,
                Problem(
                    f"give data.amount in the case's unit ({unit})",
                    field="amount",
                    zh="请填写延期时长（按案件的时限单位）",
                ),
            ]
        )
    return amount
