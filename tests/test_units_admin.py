"""The register of units and people: create, edit, retire, merge (history kept), the role/kind rule, imports all or
nothing with row numbers, and the audit trail naming the actor — on SpatiaLite and PostGIS."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmap.accounts.actor import Actor
from gridmap.errors import Conflict, InvalidInput
from gridmap.responsibility import assign
from gridmap.responsibility.assign import Target
from gridmap.store.models import Assignment, AuditEntry, Person, Unit
from gridmap.units import register

TODAY = dt.date.today()
BOSS = Actor(name="boss", role="commander", via="session", account_id=None)
pytestmark = pytest.mark.demo_city


def _audit(session: Session, action: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _some(session: Session, kind: str) -> int:
    from gridmap.store.targets import TARGETS

    return int(session.scalar(select(func.min(TARGETS[kind].model.id))))


def test_create_edit_and_the_audit_names_the_actor(session: Session) -> None:
    unit = register.create_unit(
        session, {"name": "市测试局", "kind": "市直单位", "contact_name": "王五", "contact_phone": "0358-1234567"}, BOSS
    )
    child = register.create_unit(session, {"name": "测试科", "kind": "other", "parent_id": "市测试局"}, BOSS)
    assert (unit.kind, child.kind, child.parent_id) == ("city_office", "other", unit.id)
    register.edit_unit(session, child.id, {"contact_name": "赵六"}, BOSS)
    session.commit()
    created = _audit(session, "unit.create")
    edited = _audit(session, "unit.edit")
    assert [e.actor for e in created[-2:]] == ["boss", "boss"]
    assert edited[-1].actor == "boss" and edited[-1].after == {"contact_name": "赵六"}
    assert edited[-1].before == {"contact_name": None}


def test_bad_input_lists_every_problem_and_writes_nothing(session: Session) -> None:
    before = session.scalar(select(func.count()).select_from(Unit))
    existing = session.scalar(select(Unit.name).limit(1))
    with pytest.raises(InvalidInput) as err:
        register.create_unit(session, {"name": existing, "kind": "政府", "parent_id": "没有这个单位"}, BOSS)
    fields = sorted(p.field or "" for p in err.value.problems)
    assert fields == ["kind", "name", "parent_id"]
    assert err.value.zh and "单位类型" in err.value.zh
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Unit)) == before


def test_a_parent_cannot_be_a_subordinate(session: Session) -> None:
    a = register.create_unit(session, {"name": "甲", "kind": "other"}, BOSS)
    b = register.create_unit(session, {"name": "乙", "kind": "other", "parent_id": a.id}, BOSS)
    with pytest.raises(InvalidInput, match="itself or to one of its own subordinates"):
        register.edit_unit(session, a.id, {"parent_id": b.id}, BOSS)


def test_retire_keeps_history_and_takes_no_new_assignment(session: Session) -> None:
    holder = session.scalar(
        select(Assignment.unit_id).where(Assignment.valid_to.is_(None), Assignment.unit_id.is_not(None)).limit(1)
    )
    with pytest.raises(Conflict, match="still holds"):
        register.retire_unit(session, holder, BOSS)
    unit = register.create_unit(session, {"name": "临时单位", "kind": "enterprise"}, BOSS)
    register.retire_unit(session, unit.id, BOSS)
    session.commit()
    assert session.get(Unit, unit.id).retired_on == TODAY  # the row stays
    with pytest.raises(InvalidInput, match="retired") as err:
        assign.assign(session, [Target("segment", _some(session, "segment"))], unit.id, actor=BOSS)
    assert "已于" in (err.value.zh or "")
    listed = register.list_units(session, {"q": "临时单位"}, BOSS)["items"]
    assert listed == []  # not among the units in service
    assert register.list_units(session, {"q": "临时单位", "retired": "true"}, BOSS)["total"] == 1
    assert _audit(session, "unit.retire")[-1].actor == "boss"


def test_merge_moves_assignments_and_people_keeping_the_history(session: Session) -> None:
    old = session.scalar(
        select(Assignment.unit_id)
        .where(Assignment.valid_to.is_(None), Assignment.unit_id.is_not(None), Assignment.valid_from < TODAY)
        .group_by(Assignment.unit_id)
        .order_by(func.count().desc())
        .limit(1)
    )
    open_before = set(
        session.execute(
            select(Assignment.target_kind, Assignment.target_id, Assignment.role).where(
                Assignment.unit_id == old, Assignment.valid_to.is_(None)
            )
        ).all()
    )
    person = register.create_person(session, {"name": "李四", "phone": "13800000000", "unit_id": old}, BOSS)
    successor = register.create_unit(session, {"name": "合并后单位", "kind": "district_office"}, BOSS)
    answer = register.merge_unit(session, old, successor.id, BOSS)
    session.commit()
    assert answer["assignments_moved"] == len(open_before) > 0
    now_held = set(
        session.execute(
            select(Assignment.target_kind, Assignment.target_id, Assignment.role).where(
                Assignment.unit_id == successor.id, Assignment.valid_to.is_(None)
            )
        ).all()
    )
    assert now_held == open_before
    closed = session.scalar(
        select(func.count()).select_from(Assignment).where(Assignment.unit_id == old, Assignment.valid_to == TODAY)
    )
    assert closed == len(open_before)  # the old unit's periods are kept, ended on the merge day
    merged = session.get(Unit, old)
    assert (merged.retired_on, merged.merged_into_id) == (TODAY, successor.id)
    assert session.get(Person, person.id).unit_id == successor.id
    assert _audit(session, "unit.merge")[-1].actor == "boss"


def test_a_person_in_a_role_the_kind_does_not_take_is_refused(session: Session) -> None:
    unit = register.create_unit(session, {"name": "网格单位", "kind": "community"}, BOSS)
    worker = register.create_person(session, {"name": "网格员甲", "unit_id": unit.id, "roles": "网格员"}, BOSS)
    chief = register.create_person(session, {"name": "巷长乙", "unit_id": unit.id, "roles": ["巷长"]}, BOSS)
    assert [r.role for r in chief.roles] == ["road_chief"]
    session.commit()
    segment = _some(session, "segment")
    with pytest.raises(InvalidInput, match="cannot hold a segment") as err:
        assign.assign(session, [Target("segment", segment)], unit.id, role="road_chief", person_id=worker.id,
                      actor=BOSS)  # fmt: skip
    assert "不能负责路段" in (err.value.zh or "")
    session.rollback()
    answer = assign.assign(session, [Target("segment", segment)], unit.id, role="road_chief", person_id=chief.id,
                           actor=BOSS, take_over=True)  # fmt: skip
    assert answer["assigned"]
    with pytest.raises(InvalidInput, match="not a person's role"):
        register.create_person(session, {"name": "丙", "roles": ["包联单位"]}, BOSS)


def test_people_edit_and_retire(session: Session) -> None:
    p = register.create_person(session, {"name": "张三", "phone": "13900000000", "roles": ["网格员"]}, BOSS)
    register.edit_person(session, p.id, {"phone": "13900000001", "roles": ["网格员", "督查员"]}, BOSS)
    assert sorted(r.role for r in p.roles) == ["grid_worker", "inspector"]
    register.retire_person(session, p.id, BOSS)
    session.commit()
    edit = _audit(session, "person.edit")[-1]
    assert edit.actor == "boss" and edit.after["phone"] == "13900000001"
    with pytest.raises(InvalidInput, match="not a phone number"):
        register.edit_person(session, p.id, {"phone": "call me"}, BOSS)
    viewer = Actor(name="v", role="viewer", via="session")
    shown = register.person_dict(session.get(Person, p.id), viewer)
    assert shown["phone"] is None and shown["name"] == "张三"
