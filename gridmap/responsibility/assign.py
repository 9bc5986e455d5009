"""Assigning responsibility — the write side of the assignment history (包联 / 路长制), plus what the assign page
reads: which features a drawn shape catches and the unit picker (a feature's history: :mod:`gridmap.maps.features`).

Periods are half-open ``[valid_from, valid_to)``; ``valid_to`` NULL means "still in force". A re-assignment closes
the open row (``valid_to`` = the new ``valid_from``) and opens a new one; nothing is ever overwritten, so who was
responsible on any past day stays answerable (:mod:`gridmap.responsibility.history`).

Concurrency (two commanders assigning the same feature at once): never read-then-write. The open row is closed by a
conditional ``UPDATE … WHERE id = :seen AND valid_to IS NULL`` (only the row the client saw, only while still open),
and the new row is guarded by the partial unique index ``uq_assignments_open`` (one open row per target and role).
The loser gets :class:`~gridmap.errors.Conflict`; its whole request is rolled back by the caller.

Use-cases never commit: the caller's unit of work does (all-or-nothing)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Date, bindparam, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridmap.accounts import audit
from gridmap.accounts.actor import Actor
from gridmap.accounts.scope import scope_of
from gridmap.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem
from gridmap.inputs import as_id, parse_day
from gridmap.responsibility.history import holder_dict, id_chunks, open_rows
from gridmap.store.dialect import dialect_of
from gridmap.store.engine import rows_matched
from gridmap.store.models import Assignment, Person, Unit
from gridmap.store.targets import KINDS, TARGETS, parse_role, role_fits, role_label

MAX_TARGETS = 5000


class _Unset:
    def __repr__(self) -> str:
        return "ANY"


ANY = _Unset()  # "expected" not given: close whatever row is open (no check of what the client saw)


@dataclass(frozen=True)
class Target:
    """A feature to assign, and the open assignment the client saw on it (``None``: it saw none; ``ANY``: no check)."""

    kind: str
    id: int
    expected: int | _Unset | None = ANY

    @property
    def label(self) -> str:
        return f"{self.kind} {self.id}"


def parse_targets(raw: object, problems: list[Problem]) -> list[Target]:
    """``[{"kind": "segment", "id": 12, "expected": 345 | null}, …]`` → targets (``expected`` absent: no check)."""
    if not isinstance(raw, list) or not raw:
        problems.append(
            Problem("give a non-empty list of {kind, id} targets", field="targets", zh="请先选择要包联的要素")
        )
        return []
    if len(raw) > MAX_TARGETS:
        problems.append(
            Problem(
                f"{len(raw)} targets (at most {MAX_TARGETS} at once)",
                field="targets",
                zh=f"一次最多 {MAX_TARGETS} 个要素（现有 {len(raw)} 个）",
            )
        )
        return []
    out: list[Target] = []
    seen: set[tuple[str, int]] = set()
    for n, t in enumerate(raw, start=1):
        if not isinstance(t, Mapping):
            problems.append(Problem("is not an object {kind, id}", feature=n, field="targets", zh="不是要素"))
            continue
        kind = str(t.get("kind") or "")
        if kind not in KINDS:
            problems.append(
                Problem(
                    f"kind {kind!r} is not one of {', '.join(KINDS)}",
                    feature=n,
                    field="targets",
                    zh=f"没有“{kind}”这类要素",
                )
            )
            continue
        tid = as_id(t.get("id"))
        if tid is None:
            problems.append(
                Problem(f"id {t.get('id')!r} is not a feature id", feature=n, field="targets", zh="要素编号有误")
            )
            continue
        expected: int | _Unset | None = ANY
        if "expected" in t:
            e = t.get("expected")
            if e is None:
                expected = None
            else:
                expected = as_id(e)
                if expected is None:
                    problems.append(
                        Problem(
                            f"expected {e!r} is not an assignment id", feature=n, field="targets", zh="包联记录编号有误"
                        )
                    )
                    continue
        if (kind, tid) not in seen:
            seen.add((kind, tid))
            out.append(Target(kind, tid, expected))
    return out


def existing_targets(session: Session, targets: Sequence[Target], on: dt.date) -> dict[tuple[str, int], str]:
    """(kind, id) → display name for the targets that exist (a versioned grid: one not ended by ``on``)."""
    found: dict[tuple[str, int], str] = {}
    for kind, target in TARGETS.items():
        ids = sorted({t.id for t in targets if t.kind == kind})
        for chunk in id_chunks(ids):
            stmt = select(target.column("id"), target.column(target.name_column)).where(target.column("id").in_(chunk))
            if target.versioned:
                valid_to = target.column("valid_to")
                stmt = stmt.where(or_(valid_to.is_(None), valid_to > on))
            for i, name in session.execute(stmt):
                found[(kind, i)] = name or f"#{i}"
    return found


def last_ends(session: Session, kind: str, ids: list[int], role: str) -> dict[int, dt.date]:
    """Latest ``valid_to`` of the closed rows per target (for targets with no open row)."""
    out: dict[int, dt.date] = {}
    for chunk in id_chunks(ids):
        stmt = (
            select(Assignment.target_id, func.max(Assignment.valid_to))
            .where(Assignment.target_kind == kind, Assignment.role == role, Assignment.target_id.in_(chunk))
            .group_by(Assignment.target_id)
        )
        for tid, end in session.execute(stmt):
            if end is not None:
                out[tid] = end if isinstance(end, dt.date) else dt.date.fromisoformat(str(end)[:10])
    return out


@dataclass(frozen=True)
class _Request:
    """An assignment request, parsed and checked against the store (the unit and person exist)."""

    targets: list[Target]
    unit: Unit
    person: Person | None
    role: str
    start: dt.date
    end: dt.date | None
    by: str | None
    note: str | None


@dataclass
class _Plan:
    """What assigning will do to each target: close its open row and open a new one, or leave it as it is."""

    to_close: list[int] = field(default_factory=list)  # ids of the open rows to end at the new start
    new_rows: list[dict[str, object]] = field(default_factory=list)
    assigned: list[dict[str, object]] = field(default_factory=list)  # the answer's entry of each new row
    unchanged: list[dict[str, object]] = field(default_factory=list)
    held_by_others: list[dict[str, object]] = field(default_factory=list)  # not taken: no take_over
    conflicts: list[str] = field(default_factory=list)  # the client saw another holder than there is now
    problems: list[Problem] = field(default_factory=list)


def assign(
    session: Session,
    targets: Sequence[Target] | object,
    unit_id: object,
    role: object = None,
    valid_from: object = None,
    *,
    actor: Actor,
    by: str | None = None,
    valid_to: object = None,
    person_id: object = None,
    note: str | None = None,
    take_over: bool = False,
    audit_each: bool = True,
) -> dict[str, object]:
    """Make ``unit_id`` responsible (in ``role``) for ``targets`` from ``valid_from`` (default today), all or nothing,
    as ``actor`` (recorded as ``assigned_by`` and in the audit trail; ``by``, a name the client gave, is kept in
    the note). The targets must lie in the actor's scope (Forbidden).

    For each target the open row is closed at ``valid_from`` and a new row opened. Targets already held by the same
    unit are left as they are (``unchanged``). Targets held by another unit are taken from it only when
    ``take_over`` is true — by default they are left with their holder and listed in ``held_by_others`` (a drawn
    area must never take features silently). A role that does not fit a target's kind (路长 on a 小区) is refused.
    Raises InvalidInput (unknown unit/target/role, a role not fitting a kind, bad or inverted dates, a start not
    after the current holder's start or inside an earlier period), Conflict (a target's open assignment is not the
    one the client saw, or another commander got there first). Does not commit. ``audit_each`` false: the caller
    records the change itself as one entry (a roster import is one recorded change).
    """
    if by and str(by).strip() and str(by).strip() != actor.name:
        note = " ".join(p for p in (note, f"[{str(by).strip()[:100]}]") if p)
    req = _parse_request(session, targets, unit_id, role, valid_from, valid_to, person_id, actor.name, note)
    dialect_of(session).take_write_lock(session, "assignments", "these features' assignments")
    names = existing_targets(session, req.targets, req.start)
    missing = [t for t in req.targets if (t.kind, t.id) not in names]
    if missing:
        raise InvalidInput(
            [
                Problem(f"no {t.kind} {t.id}", field="targets", zh=f"没有编号为 {t.id} 的{TARGETS[t.kind].label_zh}")
                for t in missing[:50]
            ]
            + (
                [Problem(f"… and {len(missing) - 50} more", field="targets", zh=f"……另有 {len(missing) - 50} 个")]
                if len(missing) > 50
                else []
            )
        )
    check_scope(session, actor, req.targets)
    plan = _plan(session, req, names, take_over=take_over is True)
    if plan.conflicts:
        more = f" (and {len(plan.conflicts) - 10} more)" if len(plan.conflicts) > 10 else ""
        raise Conflict(
            "another commander changed these assignments first — nothing was saved; reload and try again: "
            + "; ".join(plan.conflicts[:10])
            + more,
            zh=f"有 {len(plan.conflicts)} 个要素的包联在您查看后已被他人修改，未作任何保存；请刷新后重试",
        )
    if plan.problems:
        raise InvalidInput(plan.problems)
    write_periods(session, {req.start: plan.to_close}, plan.new_rows, plan.assigned)
    for entry in plan.assigned if audit_each else ():
        audit.record(session, actor, "assignment.create", object_kind="assignment",
                     object_id=entry.get("assignment_id"), before=cast("dict[str, Any] | None", entry["previous"]),
                     after={"kind": entry["kind"], "target_id": entry["id"], "name": entry["name"],
                            "unit_id": req.unit.id, "person_id": req.person.id if req.person else None,
                            "role": req.role, "valid_from": req.start, "valid_to": req.end}, note=req.note)  # fmt: skip
    return {
        "unit": {"id": req.unit.id, "name": req.unit.name},
        "role": req.role,
        "valid_from": req.start.isoformat(),
        "valid_to": req.end.isoformat() if req.end else None,
        "assigned": plan.assigned,
        "unchanged": plan.unchanged,
        "held_by_others": plan.held_by_others,
        "counts": {
            "assigned": len(plan.assigned),
            "unchanged": len(plan.unchanged),
            "closed": len(plan.to_close),
            "held_by_others": len(plan.held_by_others),
        },
    }


def check_scope(session: Session, actor: Actor, targets: Sequence[Target]) -> None:
    """Refuse targets outside the actor's scope (a commander of one 街道 assigns in that 街道 only)."""
    scope = scope_of(session, actor)
    if scope is None:
        return
    outside: list[str] = []
    for kind in KINDS:
        ids = sorted({t.id for t in targets if t.kind == kind})
        if not ids:
            continue
        model = TARGETS[kind].model
        inside: set[int] = set()
        for chunk in id_chunks(ids):
            inside |= set(
                session.scalars(select(model.id).where(model.id.in_(chunk), *scope.feature_filter(model, session)))
            )
        outside += [f"{kind} {i}" for i in ids if i not in inside]
    if outside:
        more = f" and {len(outside) - 10} more" if len(outside) > 10 else ""
        raise Forbidden(
            f"outside your scope ({scope.area_name}): {', '.join(outside[:10])}{more}",
            zh=f"有 {len(outside)} 个要素不在您的管辖范围（{scope.area_name}）内",
        )


def _parse_request(
    session: Session,
    targets: Sequence[Target] | object,
    unit_id: object,
    role: object,
    valid_from: object,
    valid_to: object,
    person_id: object,
    by: str | None,
    note: str | None,
) -> _Request:
    """Every input checked at once: the targets' shape, role, dates, unit and person (InvalidInput lists all)."""
    problems: list[Problem] = []
    if not (isinstance(targets, Sequence) and targets and all(isinstance(t, Target) for t in targets)):
        targets = parse_targets(targets, problems)
    role_s = parse_role(role, problems)
    start = parse_day(valid_from, "valid_from", problems, default=dt.date.today())
    end = parse_day(valid_to, "valid_to", problems)
    if start and end and end <= start:
        problems.append(
            Problem(f"ends ({end}) on or before it starts ({start})", field="valid_to",
                    zh=f"截止日期（{end}）须晚于起始日期（{start}）")
        )  # fmt: skip
    if not problems:
        misfit = sorted({t.kind for t in targets if isinstance(t, Target) and not role_fits(t.kind, role_s)})
        for kind in misfit:
            problems.append(
                Problem(f"a {kind} cannot take the role {role_s} ({role_label(role_s, 'en')})", field="role",
                        zh=f"{TARGETS[kind].label_zh}不适用“{role_label(role_s)}”角色")
            )  # fmt: skip
    unit = _lookup_unit(session, unit_id, problems)
    person = None
    if person_id not in (None, ""):
        pid = as_id(person_id)
        person = session.get(Person, pid) if pid is not None else None
        if person is None:
            problems.append(Problem(f"no person {person_id!r}", field="person_id", zh=f"没有编号为 {person_id} 的人员"))
        elif person.retired_on is not None:
            problems.append(Problem(f"{person.name} left on {person.retired_on}", field="person_id",
                                    zh=f"{person.name}已于 {person.retired_on} 离任"))  # fmt: skip
        else:
            _check_person_roles(person, targets, problems)
    if problems:
        raise InvalidInput(problems)
    assert start is not None and unit is not None
    return _Request(list(targets), unit, person, role_s, start, end, (by or "")[:100] or None, note)


def _plan(session: Session, req: _Request, names: dict[tuple[str, int], str], *, take_over: bool) -> _Plan:
    """Decide, target by target, against the open rows as they are now (read under the write lock)."""
    plan = _Plan()
    now = dt.datetime.now(dt.UTC)
    for kind in KINDS:
        group = [t for t in req.targets if t.kind == kind]
        if not group:
            continue
        cur = open_rows(session, kind, (t.id for t in group), req.role)
        ends = last_ends(session, kind, [t.id for t in group if t.id not in cur], req.role)
        for t in group:
            row = cur.get(t.id)
            seen_id = row.id if row is not None else None
            name = names[(kind, t.id)]
            if not isinstance(t.expected, _Unset) and t.expected != seen_id:
                holder = f"{row.unit_name or row.person_name} since {row.valid_from}" if row else "nobody now"
                plan.conflicts.append(f"{kind} {t.id} ({name}) changed since you looked: held by {holder}")
                continue
            if row is not None and row.unit_id != req.unit.id and not take_over:
                plan.held_by_others.append({"kind": kind, "id": t.id, "name": name, "current": holder_dict(row)})
                continue
            if (
                row is not None
                and row.unit_id == req.unit.id
                and (req.person is None or row.person_id == req.person.id)
            ):
                plan.unchanged.append({"kind": kind, "id": t.id, "name": name, "assignment_id": row.id})
                continue
            if row is not None and row.valid_from >= req.start:
                plan.problems.append(
                    Problem(
                        f"{kind} {t.id} ({name}): the new start {req.start} must be after the current assignment's "
                        f"start {row.valid_from} ({row.unit_name or row.person_name})",
                        field="valid_from",
                        zh=f"{TARGETS[kind].label_zh}“{name}”：新的起始日期 {req.start} 须晚于现有包联"
                        f"（{row.unit_name or row.person_name}）的起始日期 {row.valid_from}",
                    )
                )
                continue
            if row is None and t.id in ends and ends[t.id] > req.start:
                plan.problems.append(
                    Problem(
                        f"{kind} {t.id} ({name}): the new start {req.start} falls inside an earlier assignment that "
                        f"ended {ends[t.id]}",
                        field="valid_from",
                        zh=f"{TARGETS[kind].label_zh}“{name}”：起始日期 {req.start} 落在一段 {ends[t.id]} 才结束的"
                        "包联期内，请选择该日或以后的日期",
                    )
                )
                continue
            if row is not None:
                plan.to_close.append(row.id)
            plan.new_rows.append(
                {
                    "target_kind": kind,
                    "target_id": t.id,
                    "unit_id": req.unit.id,
                    "person_id": req.person.id if req.person else None,
                    "role": req.role,
                    "valid_from": req.start,
                    "valid_to": req.end,
                    "assigned_by": req.by,
                    "assigned_at": now,
                    "note": req.note,
                }
            )
            plan.assigned.append({"kind": kind, "id": t.id, "name": name, "previous": holder_dict(row)})
    return plan


def write_periods(
    session: Session,
    closes: dict[dt.date, list[int]],
    new_rows: list[dict[str, object]],
    assigned: list[dict[str, Any]],
) -> None:
    """End the open rows ``closes`` names on their day (only rows still open: a concurrent writer → Conflict) and
    insert ``new_rows`` in one statement; the new ids land in ``assigned`` (one entry per new row, in order).
    Shared by :func:`assign` (one start day) and the roster's bulk write (a day per row)."""
    table = Assignment.__table__
    try:
        for start, ids in closes.items():
            for chunk in id_chunks(sorted(ids)):
                res = session.execute(
                    update(table).where(table.c.id.in_(chunk), table.c.valid_to.is_(None)).values(valid_to=start)
                )
                if rows_matched(res) != len(chunk):
                    raise Conflict(
                        "another commander changed some of these assignments at the same moment — nothing was "
                        "saved; reload and try again",
                        zh="另一位指挥长同时修改了其中部分包联，未作任何保存；请刷新后重试",
                    )
        if new_rows:
            stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
            for entry, new_id in zip(assigned, session.execute(stmt, new_rows).scalars().all(), strict=True):
                entry["assignment_id"] = new_id
        session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "another commander assigned some of these features at the same moment — nothing was saved; reload and "
            "try again",
            zh="另一位指挥长同时包联了其中部分要素，未作任何保存；请刷新后重试",
        ) from exc


def _lookup_unit(session: Session, unit_id: object, problems: list[Problem]) -> Unit | None:
    if unit_id in (None, ""):
        problems.append(Problem("choose a unit", field="unit_id", zh="请选择包联单位"))
        return None
    uid = as_id(unit_id)
    unit = session.get(Unit, uid) if uid is not None else None
    if unit is None and isinstance(unit_id, str):
        unit = session.scalar(select(Unit).where(Unit.code == unit_id[:64]))
    if unit is None:
        problems.append(Problem(f"no unit {unit_id!r}", field="unit_id", zh=f"没有单位“{unit_id}”"))
    elif unit.retired_on is not None:
        problems.append(
            Problem(f"unit {unit.name!r} was retired on {unit.retired_on}; it takes no new assignment",
                    field="unit_id", zh=f"单位“{unit.name}”已于 {unit.retired_on} 撤销，不能再包联")
        )  # fmt: skip
    return unit


def _check_person_roles(person: Person, targets: Sequence[Target] | object, problems: list[Problem]) -> None:
    """A person holds what their roles fit (:func:`~gridmap.store.targets.role_fits`): a 网格员 no road, a 路长 no
    小区. A person without recorded roles is not judged."""
    held = [r.role for r in person.roles]
    if not held or not isinstance(targets, Sequence):
        return
    for kind in sorted({t.kind for t in targets if isinstance(t, Target)}):
        if not any(role_fits(kind, r) for r in held):
            names = "、".join(role_label(r) for r in held)
            problems.append(
                Problem(f"{person.name} ({', '.join(role_label(r, 'en') for r in held)}) cannot hold a {kind}",
                        field="person_id", zh=f"{person.name}（{names}）不能负责{TARGETS[kind].label_zh}")
            )  # fmt: skip


def end(
    session: Session,
    assignment_id: object = None,
    *,
    target: tuple[str, int] | None = None,
    role: object = None,
    on: object = None,
    actor: Actor,
    by: str | None = None,
) -> dict[str, object]:
    """End an open assignment on day ``on`` (default today; the period stays in the history as ``[from, on)``), as
    ``actor`` (in the note and the audit trail; ``by``, a name the client gave, is noted beside it). The target
    must lie in the actor's scope.

    Give the assignment's id, or ``target=(kind, id)`` to end that target's open row for ``role``. Only a row still
    open is closed (a conditional UPDATE): ending what someone else already ended or replaced is a Conflict.
    """
    problems: list[Problem] = []
    day = parse_day(on, "on", problems, default=dt.date.today())
    role_s = parse_role(role, problems)
    if problems:
        raise InvalidInput(problems)
    assert day is not None
    if assignment_id in (None, ""):
        if target is None:
            raise InvalidInput(Problem("give an assignment id or a target", field="assignment_id"))
        kind, tid = target
        if kind not in KINDS:
            raise InvalidInput(Problem(f"{kind!r} is not one of {', '.join(KINDS)}", field="kind"))
        if as_id(tid) is None:
            raise NotFound(f"no {kind} {tid!r}")
        row = open_rows(session, kind, [tid], role_s).get(int(tid))
        if row is None:
            raise NotFound(
                f"{kind} {tid} has no open {role_s} assignment",
                zh=f"该{TARGETS[kind].label_zh}目前没有“{role_label(role_s)}”包联可结束",
            )
        aid = row.id
    else:
        found = as_id(assignment_id)
        if found is None:
            raise NotFound(f"no assignment {assignment_id!r}")
        aid = found
    row = session.execute(
        select(Assignment.id, Assignment.valid_from, Assignment.valid_to, Assignment.target_kind,
               Assignment.target_id, Assignment.unit_id, Assignment.role).where(Assignment.id == aid)
    ).first()  # fmt: skip
    if row is None:
        raise NotFound(f"no assignment {aid}", zh=f"没有编号为 {aid} 的包联记录")
    if row.valid_to is not None:
        raise Conflict(
            f"assignment {aid} already ended on {row.valid_to}: reload to see who holds it now",
            zh=f"该包联已于 {row.valid_to} 结束，请刷新查看现在由谁负责",
        )
    if day <= row.valid_from:
        why = (
            "它今天才开始，最早可在明天结束（结束日期是不再负责的第一天）；若是派错了单位，请直接改派给正确的单位"
            if row.valid_from == day
            else "结束日期是不再负责的第一天，须晚于起始日期"
        )
        raise InvalidInput(
            Problem(
                f"the end {day} must be after the assignment's start {row.valid_from} (the end is the first day it "
                "no longer holds)",
                field="on",
                zh=f"不能在 {day} 结束这段自 {row.valid_from} 起的包联：{why}",
            )
        )
    check_scope(session, actor, [Target(row.target_kind, row.target_id)])
    t = Assignment.__table__
    named = f" ({str(by).strip()[:100]})" if by and str(by).strip() and str(by).strip() != actor.name else ""
    suffix = f"[ended {day} by {actor.name}{named}]"
    res = session.execute(
        update(t)
        .where(t.c.id == aid, t.c.valid_to.is_(None), t.c.valid_from < bindparam("day", type_=Date))
        .values(valid_to=bindparam("day", type_=Date), note=func.coalesce(t.c.note + " ", "") + suffix)
        .execution_options(synchronize_session=False),
        {"day": day},
    )
    if rows_matched(res) != 1:
        raise Conflict(
            f"assignment {aid} was changed by someone else just now: reload and try again",
            zh="该包联刚被他人修改，请刷新后重试",
        )
    session.flush()
    audit.record(session, actor, "assignment.end", object_kind="assignment", object_id=aid,
                 before={"valid_to": None}, after={"kind": row.target_kind, "target_id": row.target_id,
                                                   "unit_id": row.unit_id, "role": row.role, "valid_to": day},
                 note=by)  # fmt: skip
    return {
        "assignment_id": aid,
        "kind": row.target_kind,
        "target_id": row.target_id,
        "unit_id": row.unit_id,
        "role": row.role,
        "valid_from": row.valid_from.isoformat(),
        "valid_to": day.isoformat(),
    }


__all__ = [
    "ANY",
    "KINDS",
    "Target",
    "assign",
    "check_scope",
    "end",
    "existing_targets",
    "last_ends",
    "parse_targets",
    "write_periods",
]
