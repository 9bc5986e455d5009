"""Members from a file (CSV or XLSX), all or nothing, the way units and people are imported
(:mod:`gridmap.units.files`): every row checked, every problem reported with its spreadsheet row number in Chinese
and English, nothing written unless every row is good. A row names a person of the register by 人员编号, or by
姓名 and 联系电话 (a person not found so is added to the register, with their 所属单位)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmap.accounts import audit
from gridmap.accounts.actor import Actor
from gridmap.errors import InvalidInput, Problem
from gridmap.store.models import Area, AreaLevel, Person, Unit, Volunteer
from gridmap.units.files import Column, columns_of, read_rows, row_problem
from gridmap.volunteers.register import KINDS

MEMBER_COLUMNS = (
    Column("name", "姓名", ("名字", "name"), True, "张三"),
    Column("code", "人员编号", ("编号", "code"), False, ""),
    Column("phone", "联系电话", ("电话", "手机", "手机号", "phone"), False, "13800000000"),
    Column("unit", "所属单位", ("单位", "工作单位", "unit"), False, "市住房和城乡建设局"),
    Column("kind", "类别", ("身份", "kind"), False, "在职党员"),
    Column("party_org", "党组织", ("所在党组织", "党支部", "party_org"), False, "市住建局机关党支部"),
    Column("team", "服务队", ("志愿服务队", "team"), False, ""),
    Column("community", "报到社区", ("社区", "community"), False, "东关社区"),
    Column("joined_on", "报到日期", ("日期", "joined_on"), False, "2026-03-01"),
)
_KIND_WORDS = {"在职党员": "party_member", "党员": "party_member", "志愿者": "volunteer"} | {k: k for k in KINDS}


def import_members(
    session: Session, path: Path, actor: Actor, today: dt.date, sheet: str | None = None
) -> dict[str, Any]:
    """Register a member per row (in the caller's transaction: the caller commits only when this returns)."""
    header, rows = read_rows(path, sheet)
    found = columns_of(header, MEMBER_COLUMNS)
    label = {c.field: header[i] for i, c in found.items()}
    units = {n: i for i, n in session.execute(select(Unit.id, Unit.name))}
    units |= {str(c): i for i, c in session.execute(select(Unit.id, Unit.code).where(Unit.code.is_not(None)))}
    areas: dict[str, int] = {}
    for i, n, c in session.execute(select(Area.id, Area.name, Area.code).where(Area.level == AreaLevel.COMMUNITY)):
        areas[c] = i
        areas.setdefault(n, i)
    members = set(session.scalars(select(Volunteer.person_id)))
    problems: list[Problem] = []
    plans: list[dict[str, Any]] = []
    seen: dict[object, int] = {}

    def bad(number: int, field: str | None, en: str, zh: str) -> None:
        problems.append(row_problem(number, label.get(field or "", field), Problem(en, zh=zh)))

    for number, cells in rows:
        d = {c.field: (cells[i].strip() if i < len(cells) else "") for i, c in found.items()}
        person_id = None
        if d.get("code"):
            person_id = session.scalar(select(Person.id).where(Person.code == d["code"]))
            if person_id is None:
                bad(number, "code", f"no person with code {d['code']!r}", f"人员编号“{d['code']}”不存在")
                continue
        elif d.get("phone"):
            person_id = session.scalar(select(Person.id).where(Person.name == d["name"], Person.phone == d["phone"]))
        kind = _KIND_WORDS.get(d.get("kind") or "在职党员")
        if kind is None:
            bad(number, "kind", "kind: 在职党员 (party_member) or 志愿者 (volunteer)", "类别须为“在职党员”或“志愿者”")
        if kind == "party_member" and not d.get("party_org"):
            bad(number, "party_org", "a party member needs their party organisation", "在职党员须填写党组织")
        unit_id = units.get(d["unit"]) if d.get("unit") else None
        if d.get("unit") and unit_id is None:
            bad(number, "unit", f"no unit {d['unit']!r}", f"单位“{d['unit']}”不存在")
        community_id = areas.get(d["community"]) if d.get("community") else None
        if d.get("community") and community_id is None:
            bad(number, "community", f"no community {d['community']!r}", f"社区“{d['community']}”不存在")
        joined = today
        if d.get("joined_on"):
            try:
                joined = dt.date.fromisoformat(d["joined_on"])
            except ValueError:
                bad(number, "joined_on", "a date as 2026-03-01", "日期格式须为 2026-03-01")
        key: object = person_id if person_id is not None else (d["name"], d.get("phone"))
        if person_id is not None and person_id in members:
            bad(number, None, f"{d['name']} is already registered", f"{d['name']} 已登记，不能重复登记")
        elif key in seen:
            bad(number, None, f"the same person as row {seen[key]}", f"与第 {seen[key]} 行是同一人")
        seen[key] = number
        plans.append({"person_id": person_id, "name": d["name"], "phone": d.get("phone") or None, "unit_id": unit_id,
                      "kind": kind, "party_org": d.get("party_org") or None, "team": d.get("team") or None,
                      "community_id": community_id, "joined_on": joined})  # fmt: skip
    if not rows:
        problems.append(Problem(f"{path.name} has no rows below its header", zh=f"{path.name} 表头下没有数据"))
    if problems:
        raise InvalidInput(problems)
    for p in plans:  # every row is good: write them all
        if p["person_id"] is None:
            person = Person(name=p["name"], phone=p["phone"], unit_id=p["unit_id"])
            session.add(person)
            session.flush()
            p["person_id"] = person.id
        session.add(Volunteer(person_id=p["person_id"], kind=p["kind"], party_org=p["party_org"], team=p["team"],
                              community_id=p["community_id"], joined_on=p["joined_on"]))  # fmt: skip
    session.flush()
    audit.record(session, actor, "volunteers.import", object_kind="volunteer", after={"file": path.name,
                                                                                       "rows": len(plans)})  # fmt: skip
    return {"file": path.name, "created": len(plans)}
