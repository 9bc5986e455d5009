"""Many assignments at once — each its own target, unit, person, role and period (a roster of thousands of rows).

:func:`~gridmap.responsibility.assign.assign` decides for one unit, person, role and period; a roster has a group of
those per row, and calling it per group costs a dozen queries each (4,280 rows: about a minute). Here the same rules
— targets exist and lie in the actor's scope, the role fits the kind and the person's roles, a take-over closes the
open row at the new start, a start not after the holder's or inside an ended period is refused, the same holder is
left unchanged — are decided for every item from a few set-based reads, and written with one UPDATE per start day
and one multi-row INSERT. Taking over is implied (a roster says who holds what). Nothing is committed."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmap.accounts.actor import Actor
from gridmap.errors import InvalidInput, Problem
from gridmap.responsibility.assign import Target, check_scope, existing_targets, last_ends, write_periods
from gridmap.responsibility.history import holder_dict, id_chunks, open_rows
from gridmap.store.dialect import dialect_of
from gridmap.store.models import Person, PersonRole, Unit
from gridmap.store.targets import TARGETS, role_fits, role_label


@dataclass(frozen=True)
class Item:
    """One assignment to make; ``ref`` is the caller's name for it (a roster's row number), put in its problems'
    ``feature``."""

    ref: int
    kind: str
    id: int
    unit_id: int
    person_id: int | None
    role: str
    start: dt.date
    end: dt.date | None = None


def _problem(item: Item, message: str, zh: str, field: str = "valid_from") -> Problem:
    return Problem(message, feature=item.ref, field=field, zh=zh)


def _check_holders(session: Session, items: Sequence[Item]) -> list[Problem]:
    """Units and people exist and serve; a person's recorded roles fit the target's kind (as ``assign`` checks)."""
    problems: list[Problem] = []
    unit_ids = sorted({i.unit_id for i in items})
    units: dict[int, tuple[str, dt.date | None]] = {}
    for chunk in id_chunks(unit_ids):
        units.update({u: (n, r) for u, n, r in session.execute(
            select(Unit.id, Unit.name, Unit.retired_on).where(Unit.id.in_(chunk)))})  # fmt: skip
    person_ids = sorted({i.person_id for i in items if i.person_id is not None})
    people: dict[int, tuple[str, dt.date | None]] = {}
    held: dict[int, set[str]] = defaultdict(set)
    for chunk in id_chunks(person_ids):
        people.update({p: (n, r) for p, n, r in session.execute(
            select(Person.id, Person.name, Person.retired_on).where(Person.id.in_(chunk)))})  # fmt: skip
        for pid, role in session.execute(select(PersonRole.person_id, PersonRole.role).where(
                PersonRole.person_id.in_(chunk))):  # fmt: skip
            held[pid].add(role)
    for i in items:
        if i.unit_id not in units:
            problems.append(_problem(i, f"no unit {i.unit_id}", f"没有编号为 {i.unit_id} 的单位", "unit_id"))
        elif units[i.unit_id][1] is not None:
            name = units[i.unit_id][0]
            problems.append(_problem(i, f"unit {name!r} is retired", f"单位“{name}”已撤销", "unit_id"))
        if not role_fits(i.kind, i.role):
            zh = f"{TARGETS[i.kind].label_zh}不适用“{role_label(i.role)}”角色"
            problems.append(_problem(i, f"a {i.kind} cannot take the role {role_label(i.role, 'en')}", zh, "role"))
        if i.end is not None and i.end <= i.start:
            problems.append(_problem(i, f"ends ({i.end}) on or before it starts ({i.start})",
                                     f"截止日期（{i.end}）须晚于起始日期（{i.start}）", "valid_to"))  # fmt: skip
        if i.person_id is None:
            continue
        if i.person_id not in people:
            problems.append(_problem(i, f"no person {i.person_id}", f"没有编号为 {i.person_id} 的人员", "person_id"))
            continue
        name, left = people[i.person_id]
        roles = held.get(i.person_id, set())
        if left is not None:
            problems.append(_problem(i, f"{name} left on {left}", f"{name}已于 {left} 离任", "person_id"))
        elif roles and not any(role_fits(i.kind, r) for r in roles):
            problems.append(_problem(i, f"{name} ({', '.join(sorted(role_label(r, 'en') for r in roles))}) cannot "
                                     f"hold a {i.kind}", f"{name}（{'、'.join(sorted(role_label(r) for r in roles))}）"
                                     f"不能负责{TARGETS[i.kind].label_zh}", "person_id"))  # fmt: skip
    return problems


def assign_many(session: Session, items: Sequence[Item], *, actor: Actor, note: str | None = None) -> dict[str, Any]:
    """Make every item's unit (and person) hold its target in its role from its start, all or nothing: InvalidInput
    lists every item refused (``feature`` = its ``ref``), Forbidden a target outside the actor's scope, Conflict a
    concurrent writer. Answers ``assigned`` (ref, kind, id, assignment_id, previous holder), ``unchanged`` and
    ``closed`` counts. Not audited here: the caller records the whole as one change."""
    seen: dict[tuple[str, int, str], int] = {}
    problems: list[Problem] = []
    for i in items:
        key = (i.kind, i.id, i.role)
        if key in seen:
            problems.append(_problem(i, f"the same target and role as {seen[key]}", f"与 {seen[key]} 的要素和角色相同",
                                     "targets"))  # fmt: skip
        seen.setdefault(key, i.ref)
    problems += _check_holders(session, items)
    dialect_of(session).take_write_lock(session, "assignments", "these features' assignments")
    by_start: dict[dt.date, list[Item]] = defaultdict(list)
    for i in items:
        by_start[i.start].append(i)
    names: dict[tuple[str, int], str] = {}
    for start, group in by_start.items():  # a versioned grid exists when it has not ended by the start
        found = existing_targets(session, [Target(i.kind, i.id) for i in group], start)
        names.update(found)
        problems += [_problem(i, f"no {i.kind} {i.id}", f"没有编号为 {i.id} 的{TARGETS[i.kind].label_zh}", "targets")
                     for i in group if (i.kind, i.id) not in found]  # fmt: skip
    check_scope(session, actor, [Target(k, i) for k, i in names])
    return _apply(session, [i for i in items if (i.kind, i.id) in names], names, actor, note, problems)


def _apply(
    session: Session,
    items: Sequence[Item],
    names: dict[tuple[str, int], str],
    actor: Actor,
    note: str | None,
    problems: list[Problem],
) -> dict[str, Any]:
    """Decide every item against the open rows as they are now (read under the write lock) and write, or raise
    InvalidInput with ``problems`` and every item refused here — all listed at once."""
    by_kind_role: dict[tuple[str, str], list[Item]] = defaultdict(list)
    for i in items:
        by_kind_role[(i.kind, i.role)].append(i)
    now = dt.datetime.now(dt.UTC)
    closes: dict[dt.date, list[int]] = defaultdict(list)
    new_rows: list[dict[str, object]] = []
    assigned: list[dict[str, Any]] = []
    unchanged = 0
    for (kind, role), group in by_kind_role.items():
        cur = open_rows(session, kind, (i.id for i in group), role)
        ends = last_ends(session, kind, sorted({i.id for i in group if i.id not in cur}), role)
        for i in group:
            row, name, label = cur.get(i.id), names[(kind, i.id)], TARGETS[kind].label_zh
            if row is not None and row.unit_id == i.unit_id and (i.person_id is None or row.person_id == i.person_id):
                unchanged += 1
                continue
            if row is not None and row.valid_from >= i.start:
                who = row.unit_name or row.person_name
                problems.append(_problem(
                    i, f"{kind} {i.id} ({name}): the new start {i.start} must be after the current assignment's "
                    f"start {row.valid_from} ({who})",
                    f"{label}“{name}”：新的起始日期 {i.start} 须晚于现有包联（{who}）"
                    f"的起始日期 {row.valid_from}"))  # fmt: skip
                continue
            if row is None and i.id in ends and ends[i.id] > i.start:
                problems.append(_problem(
                    i, f"{kind} {i.id} ({name}): the new start {i.start} falls inside an earlier assignment that "
                    f"ended {ends[i.id]}", f"{label}“{name}”：起始日期 {i.start} 落在一段 {ends[i.id]} "
                    "才结束的包联期内，请选择该日或以后的日期"))  # fmt: skip
                continue
            if row is not None:
                closes[i.start].append(row.id)
            new_rows.append({"target_kind": kind, "target_id": i.id, "unit_id": i.unit_id, "person_id": i.person_id,
                             "role": role, "valid_from": i.start, "valid_to": i.end, "assigned_by": actor.name[:100],
                             "assigned_at": now, "note": note})  # fmt: skip
            assigned.append({"ref": i.ref, "kind": kind, "id": i.id, "name": name, "previous": holder_dict(row)})
    if problems:
        raise InvalidInput(problems)
    write_periods(session, closes, new_rows, assigned)
    return {"assigned": assigned, "unchanged": unchanged, "closed": sum(len(v) for v in closes.values())}


__all__ = ["Item", "assign_many"]
