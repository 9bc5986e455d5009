"""Units and people, created, edited, retired and merged — in the caller's transaction, each change audited with
its actor and its before/after. A retired unit or person keeps every row that names it (assignments, cases,
history) and takes no new assignment (:func:`gridmap.responsibility.assign.assign` refuses it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session, selectinload

from gridmap.accounts import audit
from gridmap.accounts.actor import Actor
from gridmap.accounts.roles import sees_contacts
from gridmap.errors import Conflict, InvalidInput, NotFound, Problem
from gridmap.inputs import as_id, parse_day, parse_flag, parse_int, parse_text
from gridmap.store.models import (
    Account,
    AccountRole,
    Area,
    Assignment,
    Case,
    CaseEvent,
    CaseStatus,
    Person,
    PersonRole,
    Unit,
    UnitKind,
)
from gridmap.units.vocabulary import PEOPLE_ROLES, kind_label, kind_of, role_of

UNIT_FIELDS = ("name", "code", "kind", "parent_id", "contact_name", "contact_phone", "area_id")
PERSON_FIELDS = ("name", "code", "phone", "unit_id", "roles")


# -- reading ---------------------------------------------------------------------------------------------------------


def unit_dict(unit: Unit, actor: Actor | None = None, lang: str = "zh_CN") -> dict[str, Any]:
    """A unit as the API shows it; its contact phone only to those who may see contacts."""
    shows = actor is None or sees_contacts(actor, unit.id)
    return {
        "id": unit.id,
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "kind_label": kind_label(unit.kind, lang),
        "parent_id": unit.parent_id,
        "contact_name": unit.contact_name,
        "contact_phone": unit.contact_phone if shows else None,
        "area_id": unit.area_id,
        "retired_on": unit.retired_on.isoformat() if unit.retired_on else None,
        "merged_into_id": unit.merged_into_id,
    }


def person_dict(person: Person, actor: Actor | None = None) -> dict[str, Any]:
    """A person as the API shows them; the phone only to those who may see contacts (a clerk: their unit's)."""
    shows = actor is None or sees_contacts(actor, person.unit_id)
    return {
        "id": person.id,
        "code": person.code,
        "name": person.name,
        "phone": person.phone if shows else None,
        "unit_id": person.unit_id,
        "roles": sorted(r.role for r in person.roles),
        "retired_on": person.retired_on.isoformat() if person.retired_on else None,
    }


def _paging(filters: Mapping[str, Any], problems: list[Problem]) -> tuple[int, int]:
    page = parse_int(filters.get("page"), "page", problems, lo=1, hi=1_000_000, default=1) or 1
    per_page = parse_int(filters.get("per_page"), "per_page", problems, lo=1, hi=10_000, default=1000) or 1000
    return page, per_page


def list_units(session: Session, filters: Mapping[str, Any], actor: Actor, lang: str = "zh_CN") -> dict[str, Any]:
    """Units filtered by ``q`` (part of a name or code), ``kind``, ``parent_id``, ``area_id`` and ``retired``
    (default: only units in service), a page at a time."""
    problems: list[Problem] = []
    conds: list[Any] = []
    q = parse_text(filters.get("q"), "q", problems, 200)
    if q:
        like = f"%{q}%"
        conds.append(or_(Unit.name.like(like), Unit.code.like(like)))
    if filters.get("kind"):
        kind = kind_of(str(filters["kind"]))
        if kind is None:
            problems.append(_bad_kind(filters["kind"]))
        conds.append(Unit.kind == kind)
    for field in ("parent_id", "area_id"):
        if filters.get(field) not in (None, ""):
            value = parse_int(filters.get(field), field, problems, lo=1)
            conds.append(getattr(Unit, field) == value)
    retired = parse_flag(filters.get("retired"), "retired", problems)
    if retired is not None or not filters.get("all"):
        conds.append(Unit.retired_on.is_not(None) if retired else Unit.retired_on.is_(None))
    page, per_page = _paging(filters, problems)
    if problems:
        raise InvalidInput(problems)
    total = session.scalar(select(func.count()).select_from(Unit).where(*conds)) or 0
    rows = session.scalars(
        select(Unit).where(*conds).order_by(Unit.kind, Unit.name, Unit.id).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return {"total": total, "page": page, "per_page": per_page, "items": [unit_dict(u, actor, lang) for u in rows]}


def list_people(session: Session, filters: Mapping[str, Any], actor: Actor) -> dict[str, Any]:
    """People filtered by ``q`` (part of a name or code), ``unit_id``, ``role`` and ``retired`` (default: only
    people in service), a page at a time. A unit clerk sees their own unit's people."""
    problems: list[Problem] = []
    conds: list[Any] = []
    q = parse_text(filters.get("q"), "q", problems, 100)
    if q:
        like = f"%{q}%"
        conds.append(or_(Person.name.like(like), Person.code.like(like)))
    if filters.get("unit_id") not in (None, ""):
        conds.append(Person.unit_id == parse_int(filters.get("unit_id"), "unit_id", problems, lo=1))
    if filters.get("role"):
        role = role_of(str(filters["role"]))
        if role is None:
            problems.append(_bad_role(filters["role"]))
        conds.append(Person.roles.any(PersonRole.role == role))
    retired = parse_flag(filters.get("retired"), "retired", problems)
    if retired is not None or not filters.get("all"):
        conds.append(Person.retired_on.is_not(None) if retired else Person.retired_on.is_(None))
    if actor.role == AccountRole.UNIT_CLERK:
        conds.append(Person.unit_id == actor.scope_unit_id)
    page, per_page = _paging(filters, problems)
    if problems:
        raise InvalidInput(problems)
    total = session.scalar(select(func.count()).select_from(Person).where(*conds)) or 0
    rows = session.scalars(
        select(Person)
        .where(*conds)
        .options(selectinload(Person.roles))  # one query for the page's roles, not one per person
        .order_by(Person.name, Person.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return {"total": total, "page": page, "per_page": per_page, "items": [person_dict(p, actor) for p in rows]}


def get_unit(session: Session, unit_id: object) -> Unit:
    uid = as_id(unit_id)
    unit = session.get(Unit, uid) if uid is not None else None
    if unit is None:
        raise NotFound(f"no unit {unit_id}", zh=f"没有编号为 {unit_id} 的单位")
    return unit


def get_person(session: Session, person_id: object, actor: Actor | None = None) -> Person:
    pid = as_id(person_id)
    person = session.get(Person, pid) if pid is not None else None
    if person is None or (
        actor is not None and actor.role == AccountRole.UNIT_CLERK and person.unit_id != actor.scope_unit_id
    ):
        raise NotFound(f"no person {person_id}", zh=f"没有编号为 {person_id} 的人员")
    return person


# -- checking --------------------------------------------------------------------------------------------------------


def _bad_kind(value: object) -> Problem:
    allowed = ", ".join(k.value for k in UnitKind)
    return Problem(f"{str(value)[:40]!r} is not a unit kind ({allowed})", field="kind",
                   zh=f"“{str(value)[:40]}”不是单位类型（市直单位、区直单位、企业、街道/社区、其他）")  # fmt: skip


def _bad_role(value: object) -> Problem:
    return Problem(f"{str(value)[:40]!r} is not a person's role ({', '.join(PEOPLE_ROLES)})", field="roles",
                   zh=f"“{str(value)[:40]}”不是人员角色（路长/街长/巷长、网格员、督查员、包联单位责任人、包联小区负责人、"
                      "社区联络人、创文督导人）")  # fmt: skip


def _unit_ref(session: Session, value: object, field: str, problems: list[Problem]) -> int | None:
    """A unit named by id, code or name (files name units by name), in service; None when empty."""
    if value is None or value == "":
        return None
    unit = None
    uid = as_id(value)
    if uid is not None:
        unit = session.get(Unit, uid)
    if unit is None and isinstance(value, str):
        text = value.strip()[:200]
        unit = session.scalar(select(Unit).where(or_(Unit.code == text[:64], Unit.name == text)))
    if unit is None:
        problems.append(Problem(f"no unit {str(value)[:60]!r}", field=field, zh=f"没有单位“{str(value)[:60]}”"))
        return None
    if unit.retired_on is not None:
        problems.append(Problem(f"unit {unit.name!r} is retired", field=field, zh=f"单位“{unit.name}”已撤销"))
        return None
    return unit.id


def _area_ref(session: Session, value: object, problems: list[Problem]) -> int | None:
    """The unit's scope: an area (district, 街道, 社区) by id, code or name."""
    if value is None or value == "":
        return None
    area = None
    aid = as_id(value)
    if aid is not None:
        area = session.get(Area, aid)
    if area is None and isinstance(value, str):
        text = value.strip()[:100]
        found = session.scalars(select(Area).where(or_(Area.code == text[:20], Area.name == text)).limit(2)).all()
        if len(found) > 1:
            problems.append(Problem(f"{text!r} names more than one area; give its code", field="area_id",
                                    zh=f"“{text}”对应多个区域，请填写区划代码"))  # fmt: skip
            return None
        area = found[0] if found else None
    if area is None:
        problems.append(Problem(f"no area {str(value)[:60]!r}", field="area_id", zh=f"没有区域“{str(value)[:60]}”"))
        return None
    return area.id


def check_unit(
    session: Session, data: Mapping[str, Any], problems: list[Problem], *, unit: Unit | None = None
) -> dict[str, Any]:
    """The columns ``data`` sets (only those given, for an edit; name and kind required for a new unit), checked."""
    out: dict[str, Any] = {}
    given = {k for k in UNIT_FIELDS if k in data}
    if unit is None:
        for k in ("name", "kind"):
            if data.get(k) in (None, ""):
                problems.append(Problem("is required", field=k, zh="必填"))
    if "name" in given:
        name = parse_text(data["name"], "name", problems, 200)
        if name is None and unit is not None:
            problems.append(Problem("is required", field="name", zh="必填"))
        elif name is not None:
            other = session.scalar(select(Unit.id).where(Unit.name == name))
            if other is not None and (unit is None or other != unit.id):
                problems.append(Problem(f"a unit named {name!r} exists already (id {other})", field="name",
                                        zh=f"已有名为“{name}”的单位（编号 {other}）"))  # fmt: skip
            out["name"] = name
    if "code" in given:
        code = parse_text(data["code"], "code", problems, 64)
        if code is not None:
            other = session.scalar(select(Unit.id).where(Unit.code == code))
            if other is not None and (unit is None or other != unit.id):
                problems.append(Problem(f"the code {code!r} is taken (unit {other})", field="code",
                                        zh=f"代码“{code}”已被单位 {other} 使用"))  # fmt: skip
        out["code"] = code
    if "kind" in given and data["kind"] not in (None, ""):
        kind = kind_of(str(data["kind"])) if isinstance(data["kind"], str) else None
        if kind is None:
            problems.append(_bad_kind(data["kind"]))
        out["kind"] = kind
    if "parent_id" in given:
        parent = _unit_ref(session, data["parent_id"], "parent_id", problems)
        if parent is not None and unit is not None and _reaches(session, parent, unit.id):
            problems.append(Problem("a unit cannot answer to itself or to one of its own subordinates",
                                    field="parent_id", zh="上级单位不能是本单位或其下级单位"))  # fmt: skip
        out["parent_id"] = parent
    for k, n in (("contact_name", 100), ("contact_phone", 32)):
        if k in given:
            out[k] = parse_text(data[k], k, problems, n)
    if "area_id" in given:
        out["area_id"] = _area_ref(session, data["area_id"], problems)
    return out


def _reaches(session: Session, start: int, target: int) -> bool:
    """Does the chain of parents from ``start`` pass through ``target``?"""
    seen: set[int] = set()
    current: int | None = start
    while current is not None and current not in seen:
        if current == target:
            return True
        seen.add(current)
        current = session.scalar(select(Unit.parent_id).where(Unit.id == current))
    return False


def check_person(
    session: Session, data: Mapping[str, Any], problems: list[Problem], *, person: Person | None = None
) -> dict[str, Any]:
    """The columns ``data`` sets (name required for a new person), checked; ``roles`` as a list of role names."""
    out: dict[str, Any] = {}
    if person is None and data.get("name") in (None, ""):
        problems.append(Problem("is required", field="name", zh="必填"))
    if "name" in data:
        name = parse_text(data["name"], "name", problems, 100)
        if name is None and person is not None:
            problems.append(Problem("is required", field="name", zh="必填"))
        elif name is not None:
            out["name"] = name
    if "code" in data:
        code = parse_text(data["code"], "code", problems, 64)
        if code is not None:
            other = session.scalar(select(Person.id).where(Person.code == code))
            if other is not None and (person is None or other != person.id):
                problems.append(Problem(f"the code {code!r} is taken (person {other})", field="code",
                                        zh=f"编号“{code}”已被人员 {other} 使用"))  # fmt: skip
        out["code"] = code
    if "phone" in data:
        phone = parse_text(data["phone"], "phone", problems, 32)
        if phone is not None and not all(c.isdigit() or c in "+-() " for c in phone):
            problems.append(Problem(f"{phone!r} is not a phone number", field="phone", zh=f"“{phone}”不是电话号码"))
        out["phone"] = phone
    if "unit_id" in data:
        out["unit_id"] = _unit_ref(session, data["unit_id"], "unit_id", problems)
    if "roles" in data:
        raw = data["roles"]
        items = raw if isinstance(raw, list | tuple) else [] if raw in (None, "") else None
        if items is None and isinstance(raw, str):
            items = [w for w in raw.replace("，", ",").replace("、", ",").replace(";", ",").split(",") if w.strip()]
        if items is None or not all(isinstance(w, str) for w in items):
            problems.append(Problem("must be a list of role names", field="roles", zh="角色须为角色名称的列表"))
            items = []
        roles: list[str] = []
        for w in items:
            role = role_of(w)
            if role is None:
                problems.append(_bad_role(w))
            elif role not in roles:
                roles.append(role)
        out["roles"] = roles
    if person is None and out.get("name") and not problems:
        _refuse_twin(session, out, problems)
    return out


def _refuse_twin(session: Session, values: Mapping[str, Any], problems: list[Problem]) -> None:
    """A new person just like one in service (same name, unit and phone): a file imported twice, not a new person."""
    unit_id, phone = values.get("unit_id"), values.get("phone")
    same = session.scalar(
        select(Person.id)
        .where(
            Person.name == values["name"],
            Person.unit_id.is_(None) if unit_id is None else Person.unit_id == unit_id,
            Person.phone.is_(None) if phone is None else Person.phone == phone,
            Person.retired_on.is_(None),
        )
        .limit(1)
    )
    if same is not None:
        name = values["name"]
        problems.append(
            Problem(f"{name} of this unit with this phone exists already (person {same})", field="name",
                    zh=f"已有同一单位、同一电话的“{name}”（编号 {same}）")
        )  # fmt: skip


# -- units -----------------------------------------------------------------------------------------------------------


def _snapshot(unit: Unit) -> dict[str, Any]:
    return {k: getattr(unit, k) for k in (*UNIT_FIELDS, "retired_on", "merged_into_id")}


def create_unit(session: Session, data: Mapping[str, Any], actor: Actor) -> Unit:
    """A new unit (name and kind required). Raises InvalidInput listing every problem; nothing is written then."""
    problems: list[Problem] = []
    values = check_unit(session, data, problems)
    if problems:
        raise InvalidInput(problems)
    unit = Unit(**values)
    session.add(unit)
    session.flush()
    audit.record(session, actor, "unit.create", object_kind="unit", object_id=unit.id, after=_snapshot(unit))
    return unit


def edit_unit(session: Session, unit_id: object, data: Mapping[str, Any], actor: Actor) -> Unit:
    """Change the fields ``data`` names. A retired unit can still be corrected (its name, contact…)."""
    unit = get_unit(session, unit_id)
    problems: list[Problem] = []
    values = check_unit(session, data, problems, unit=unit)
    if problems:
        raise InvalidInput(problems)
    before = _snapshot(unit)
    for k, v in values.items():
        setattr(unit, k, v)
    session.flush()
    after = _snapshot(unit)
    if after != before:
        audit.record(session, actor, "unit.edit", object_kind="unit", object_id=unit.id,
                     before={k: v for k, v in before.items() if after[k] != v},
                     after={k: v for k, v in after.items() if before[k] != v})  # fmt: skip
    return unit


def _open_count(session: Session, unit_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Assignment)
            .where(Assignment.unit_id == unit_id, Assignment.valid_to.is_(None))
        )
        or 0
    )


def retire_unit(session: Session, unit_id: object, actor: Actor, on: object = None, note: str | None = None) -> Unit:
    """Retire a unit from ``on`` (default today): it stays in every history and takes no new assignment. A unit still
    holding features is refused (409): reassign them or merge the unit into its successor first."""
    unit = get_unit(session, unit_id)
    problems: list[Problem] = []
    day = parse_day(on, "on", problems, default=dt.date.today())
    if problems:
        raise InvalidInput(problems)
    assert day is not None
    if unit.retired_on is not None:
        raise Conflict(f"unit {unit.id} was retired on {unit.retired_on}", zh=f"该单位已于 {unit.retired_on} 撤销")
    held = _open_count(session, unit.id)
    if held:
        raise Conflict(
            f"unit {unit.id} still holds {held} assignment(s); reassign them or merge the unit into another",
            zh=f"该单位仍有 {held} 项包联，请先移交或将其合并到其他单位",
        )
    unit.retired_on = day
    session.flush()
    audit.record(session, actor, "unit.retire", object_kind="unit", object_id=unit.id,
                 before={"retired_on": None}, after={"retired_on": day}, note=note)  # fmt: skip
    return unit


def merge_unit(
    session: Session, unit_id: object, into: object, actor: Actor, on: object = None, note: str | None = None
) -> dict[str, Any]:
    """Merge a unit into another from ``on`` (default today): its open assignments close the day before and reopen
    with the successor (history kept), its people, its open cases (each with a ``unit_merge`` step in its history)
    and its clerks' accounts move to the successor, and it is retired, pointing at it — one ``unit.merge`` entry in
    the audit trail lists everything moved."""
    unit = get_unit(session, unit_id)
    problems: list[Problem] = []
    day = parse_day(on, "on", problems, default=dt.date.today())
    target_id = _unit_ref(session, into, "into", problems)
    if into in (None, ""):
        problems.append(Problem("name the unit to merge into", field="into", zh="请选择合并到的单位"))
    if target_id == unit.id:
        problems.append(Problem("a unit cannot be merged into itself", field="into", zh="不能合并到本单位"))
    if problems:
        raise InvalidInput(problems)
    assert day is not None and target_id is not None
    if unit.retired_on is not None:
        raise Conflict(f"unit {unit.id} was retired on {unit.retired_on}", zh=f"该单位已于 {unit.retired_on} 撤销")
    rows = session.execute(
        select(Assignment.id, Assignment.target_kind, Assignment.target_id, Assignment.person_id, Assignment.role,
               Assignment.valid_from, Assignment.valid_to, Assignment.note)
        .where(Assignment.unit_id == unit.id, Assignment.valid_to.is_(None))
    ).all()  # fmt: skip
    later = [r.id for r in rows if r.valid_from >= day]
    if later:
        raise Conflict(
            f"{len(later)} of the unit's assignments start on or after {day}; merge from a later day",
            zh=f"该单位有 {len(later)} 项包联于 {day} 或之后才开始，请选择更晚的合并日期",
        )
    now = dt.datetime.now(dt.UTC)
    moved = [r.id for r in rows]
    if moved:
        session.execute(update(Assignment).where(Assignment.id.in_(moved)).values(valid_to=day))
        session.flush()
        session.execute(
            insert(Assignment),
            [{"target_kind": r.target_kind, "target_id": r.target_id, "unit_id": target_id, "person_id": r.person_id,
              "role": r.role, "valid_from": day, "valid_to": None, "assigned_by": actor.name[:100],
              "assigned_at": now, "note": f"merged from unit {unit.id}"} for r in rows],
        )  # fmt: skip
    people = session.scalars(select(Person.id).where(Person.unit_id == unit.id)).all()
    if people:
        session.execute(update(Person).where(Person.id.in_(people)).values(unit_id=target_id))
    cases = _move_open_cases(session, unit.id, target_id, actor, now)
    accounts = session.scalars(select(Account.id).where(Account.scope_unit_id == unit.id)).all()
    if accounts:
        session.execute(update(Account).where(Account.id.in_(accounts)).values(scope_unit_id=target_id))
    unit.retired_on = day
    unit.merged_into_id = target_id
    session.flush()
    answer = {"unit_id": unit.id, "into": target_id, "on": day.isoformat(), "assignments_moved": len(moved),
              "people_moved": len(people), "cases_moved": len(cases), "accounts_moved": len(accounts)}  # fmt: skip
    audit.record(session, actor, "unit.merge", object_kind="unit", object_id=unit.id,
                 before={"retired_on": None, "merged_into_id": None, "assignments": moved, "people": list(people),
                         "cases": cases, "accounts": list(accounts)},
                 after=answer, note=note)  # fmt: skip
    session.expire_all()
    return answer


_CASE_ENDED = (CaseStatus.CLOSED.value, CaseStatus.VOID.value)


def _move_open_cases(session: Session, unit_id: int, into: int, actor: Actor, now: dt.datetime) -> list[int]:
    """The unit's cases not closed or void go to ``into``: one UPDATE that bumps each case's version (a step taken
    at the same moment by someone else then fails on its version, as any two writers do) and a ``unit_merge`` event
    per case at its new version. Closed cases stay with the unit that handled them (the evaluation counts them)."""
    moved = session.execute(
        update(Case)
        .where(Case.unit_id == unit_id, Case.status.not_in(_CASE_ENDED))
        .values(unit_id=into, version=Case.version + 1, updated_at=now)
        .returning(Case.id, Case.version, Case.status)
    ).all()
    if moved:
        session.execute(
            insert(CaseEvent.__table__),
            [{"case_id": cid, "seq": version, "action": "unit_merge", "from_status": status, "to_status": status,
              "actor": actor.name, "at": now, "note": None, "photos": None,
              "data": {"from_unit_id": unit_id, "unit_id": into}} for cid, version, status in moved],
        )  # fmt: skip
    return sorted(cid for cid, _, _ in moved)


# -- people ----------------------------------------------------------------------------------------------------------


def _person_snapshot(person: Person) -> dict[str, Any]:
    return {"name": person.name, "code": person.code, "phone": person.phone, "unit_id": person.unit_id,
            "roles": sorted(r.role for r in person.roles), "retired_on": person.retired_on}  # fmt: skip


def _set_person(person: Person, values: Mapping[str, Any]) -> None:
    for k, v in values.items():
        if k == "roles":
            keep = [r for r in person.roles if r.role in v]
            have = {r.role for r in keep}
            person.roles = keep + [PersonRole(role=r) for r in v if r not in have]
        else:
            setattr(person, k, v)


def create_person(session: Session, data: Mapping[str, Any], actor: Actor) -> Person:
    """A new person (name required; phone, unit, roles)."""
    problems: list[Problem] = []
    values = check_person(session, data, problems)
    if problems:
        raise InvalidInput(problems)
    person = Person()
    _set_person(person, values)
    session.add(person)
    session.flush()
    audit.record(session, actor, "person.create", object_kind="person", object_id=person.id,
                 after=_person_snapshot(person))  # fmt: skip
    return person


def edit_person(session: Session, person_id: object, data: Mapping[str, Any], actor: Actor) -> Person:
    """Change the fields ``data`` names (``roles`` replaces the whole list)."""
    person = get_person(session, person_id)
    problems: list[Problem] = []
    values = check_person(session, data, problems, person=person)
    if problems:
        raise InvalidInput(problems)
    before = _person_snapshot(person)
    _set_person(person, values)
    session.flush()
    after = _person_snapshot(person)
    if after != before:
        audit.record(session, actor, "person.edit", object_kind="person", object_id=person.id,
                     before={k: v for k, v in before.items() if after[k] != v},
                     after={k: v for k, v in after.items() if before[k] != v})  # fmt: skip
    return person


def retire_person(session: Session, person_id: object, actor: Actor, on: object = None) -> Person:
    """A person who left, from ``on`` (default today): kept in every history, takes no new assignment. Refused
    (409) while they still hold an open assignment."""
    person = get_person(session, person_id)
    problems: list[Problem] = []
    day = parse_day(on, "on", problems, default=dt.date.today())
    if problems:
        raise InvalidInput(problems)
    if person.retired_on is not None:
        raise Conflict(f"person {person.id} left on {person.retired_on}", zh=f"该人员已于 {person.retired_on} 离任")
    held = session.scalar(
        select(func.count()).select_from(Assignment)
        .where(Assignment.person_id == person.id, Assignment.valid_to.is_(None))
    ) or 0  # fmt: skip
    if held:
        raise Conflict(f"person {person.id} still holds {held} assignment(s); end or reassign them first",
                       zh=f"该人员仍有 {held} 项包联，请先结束或移交")  # fmt: skip
    person.retired_on = day
    session.flush()
    audit.record(session, actor, "person.retire", object_kind="person", object_id=person.id,
                 before={"retired_on": None}, after={"retired_on": day})  # fmt: skip
    return person
