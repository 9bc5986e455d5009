"""The register of units and people: create, edit, retire, merge (history kept), the role/kind rule, imports all or
nothing with row numbers, and the audit trail naming the actor — on SpatiaLite and PostGIS."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gridmap.accounts.actor import Actor
from gridmap.cli import main
from gridmap.config import Settings
from gridmap.errors import Conflict, InvalidInput
from gridmap.responsibility import assign
from gridmap.responsibility.assign import Target
from gridmap.store.models import (
    Account,
    Area,
    Assignment,
    AuditEntry,
    Case,
    CaseEvent,
    CaseStatus,
    Compound,
    Person,
    Unit,
)
from gridmap.units import register
from gridmap.web import create_app
from tests.accounts import PASSWORD, make_account, signed_in_client

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


def test_a_merged_units_open_cases_and_clerks_move_to_the_successor(session: Session) -> None:
    from geoalchemy2.shape import to_shape

    from gridmap.cases.reports import open_report
    from gridmap.catalogue.categories import seed

    ended = (CaseStatus.CLOSED.value, CaseStatus.VOID.value)
    seed(session)
    started = select(Assignment.unit_id).where(
        Assignment.valid_to.is_(None), Assignment.valid_from >= TODAY, Assignment.unit_id.is_not(None)
    )
    holding = (Assignment.target_kind == "compound", Assignment.valid_to.is_(None), Assignment.unit_id.not_in(started))
    old = session.scalar(
        select(Assignment.unit_id).where(*holding, Assignment.unit_id.is_not(None))
        .group_by(Assignment.unit_id).order_by(func.count().desc(), Assignment.unit_id).limit(1)
    )  # fmt: skip
    held = select(Assignment.target_id).where(*holding, Assignment.unit_id == old)
    for geom in session.scalars(select(Compound.geom).where(Compound.id.in_(held)).limit(4)):
        p = to_shape(geom).representative_point()
        open_report(session, {"lon": p.x, "lat": p.y, "category": "0102", "description": "暴露垃圾"}, actor=BOSS)
    first = session.scalar(select(func.min(Case.id)).where(Case.unit_id == old))
    session.execute(update(Case).where(Case.id == first).values(status=CaseStatus.CLOSED.value))  # handled earlier
    open_cases = dict(session.execute(
        select(Case.id, Case.version).where(Case.unit_id == old, Case.status.not_in(ended))).all())  # fmt: skip
    done_cases = set(session.scalars(select(Case.id).where(Case.unit_id == old, Case.status.in_(ended))))
    clerk = Account(username="clerk-merged", name="联络员", password="x", fs_uniquifier="clerk-merged",
                    role="unit_clerk", scope_unit_id=old, created_at=dt.datetime.now(dt.UTC))  # fmt: skip
    session.add(clerk)
    successor = register.create_unit(session, {"name": "承继单位", "kind": "city_office"}, BOSS)
    answer = register.merge_unit(session, old, successor.id, BOSS)
    session.commit()
    assert answer["cases_moved"] == len(open_cases) > 0 and answer["accounts_moved"] == 1
    moved = dict(session.execute(select(Case.id, Case.version).where(Case.unit_id == successor.id)).all())
    assert moved == {cid: v + 1 for cid, v in open_cases.items()}  # a step racing the merge fails on its version
    assert set(session.scalars(select(Case.id).where(Case.unit_id == old))) == done_cases  # who handled them
    steps = session.execute(
        select(CaseEvent.case_id, CaseEvent.seq, CaseEvent.actor, CaseEvent.data).where(
            CaseEvent.action == "unit_merge"
        )
    ).all()
    assert {(c, q) for c, q, _, _ in steps} == {(cid, v + 1) for cid, v in open_cases.items()}
    assert all(a == "boss" and d == {"from_unit_id": old, "unit_id": successor.id} for _, _, a, d in steps)
    assert session.get(Account, clerk.id).scope_unit_id == successor.id
    entry = _audit(session, "unit.merge")[-1]
    assert entry.before["cases"] == sorted(open_cases) and entry.before["accounts"] == [clerk.id]
    assert (entry.after["cases_moved"], entry.after["accounts_moved"]) == (len(open_cases), 1)


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


# -- files: `gridmap units|people import`, all or nothing --------------------------------------------------------------


def _cli(settings: Settings, *args: str) -> Result:
    return CliRunner().invoke(main, ["--database-url", settings.database_url, *args])


def _xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    for r in rows:
        book.active.append(r)
    book.save(path)
    return path


def test_units_and_people_import_from_xlsx_with_chinese_headers(settings: Settings, session: Session,
                                                                tmp_path: Path) -> None:  # fmt: skip
    community = session.scalar(select(Area.name).where(Area.level == "community").order_by(Area.code))
    units = _xlsx(tmp_path / "units.xlsx", [
        ["单位名称", "类型", "上级单位", "联系人", "联系电话", "辖区"],
        ["市导入测试局", "市直单位", None, "王五", 3581234567, None],
        ["导入测试科", "其他", "市导入测试局", None, None, community],
    ])  # fmt: skip
    result = _cli(settings, "units", "import", str(units))
    assert result.exit_code == 0, result.output
    assert "已导入 2 个单位" in result.output
    session.rollback()  # a new transaction: see what the command committed
    parent = session.scalar(select(Unit).where(Unit.name == "市导入测试局"))
    child = session.scalar(select(Unit).where(Unit.name == "导入测试科"))
    assert (parent.kind, parent.contact_phone) == ("city_office", "3581234567")
    assert (child.kind, child.parent_id) == ("other", parent.id) and child.area_id is not None
    people = tmp_path / "people.csv"
    people.write_text("姓名,联系电话,所属单位,角色\n张三,13800000000,市导入测试局,路长、网格员\n", encoding="utf-8-sig")
    result = _cli(settings, "people", "import", str(people))
    assert result.exit_code == 0, result.output
    session.rollback()
    person = session.scalar(select(Person).where(Person.name == "张三", Person.unit_id == parent.id))
    assert sorted(r.role for r in person.roles) == ["grid_worker", "road_chief"]
    entry = _audit(session, "unit.import")[-1]
    assert entry.actor.startswith("cli:") and entry.after == {"file": "units.xlsx", "rows": 2}


def test_an_import_with_bad_rows_writes_nothing_and_names_each_row(settings: Settings, session: Session,
                                                                  tmp_path: Path) -> None:  # fmt: skip
    before = session.scalar(select(func.count()).select_from(Unit))
    existing = session.scalar(select(Unit.name).order_by(Unit.id).limit(1))
    bad = tmp_path / "units.csv"
    bad.write_text(
        "单位名称,类型,上级单位\n好单位,企业,\n,企业,\n坏类型单位,政府,\n"
        f"{existing},其他,\n孤儿单位,其他,不存在的单位\n",
        encoding="utf-8",
    )
    result = _cli(settings, "units", "import", str(bad))
    assert result.exit_code == 1
    out = result.output
    assert "未导入任何数据（4 处问题）" in out and "nothing was imported" in out
    for line in ("第 3 行，单位名称：必填", "第 4 行，类型：“政府”不是单位类型", "第 5 行，单位名称：已有名为",
                 "第 6 行，上级单位：没有单位“不存在的单位”", "row 4, 类型: '政府' is not a unit kind"):  # fmt: skip
        assert line in out, (line, out)
    assert "第 2 行" not in out  # the good row is fine, and was not written either
    session.rollback()  # a new transaction: see what the command committed
    assert session.scalar(select(func.count()).select_from(Unit)) == before
    unknown = tmp_path / "odd.csv"
    unknown.write_text("名字,颜色\n张三,红\n", encoding="utf-8")
    result = _cli(settings, "people", "import", str(unknown))
    assert result.exit_code == 1 and "第 1 行：无法识别的列“颜色”" in result.output


def test_the_template_imports_as_it_is(settings: Settings, session: Session, tmp_path: Path) -> None:
    for what in ("units", "people"):
        path = tmp_path / f"{what}.xlsx"
        assert _cli(settings, what, "template", str(path)).exit_code == 0
        book = openpyxl.load_workbook(path)
        assert book.sheetnames[1] == "可选值"
        result = _cli(settings, what, "import", str(path))
        assert result.exit_code == 0, result.output
    session.rollback()  # a new transaction: see what the command committed
    assert session.scalar(select(Person.unit_id).where(Person.name == "张三")) == session.scalar(
        select(Unit.id).where(Unit.name == "市住房和城乡建设局")
    )


# -- pages: /admin/units -----------------------------------------------------------------------------------------------


def test_the_units_pages_create_edit_retire_with_the_signed_in_actor(settings: Settings, session: Session) -> None:
    app = create_app(settings)
    username, _ = make_account(app, "commander", password=PASSWORD)
    client = signed_in_client(app, username)
    page = client.get("/admin/units").get_data(as_text=True)
    assert "单位与人员" in page and "新建单位" in page and "Units and people" not in page
    made = client.post("/admin/units", data={"name": "页面单位", "kind": "enterprise", "contact_phone": "0358-7654321"})
    assert made.status_code == 302
    url = made.headers["Location"].split("?")[0]
    unit_id = int(url.rsplit("/", 1)[1])
    assert client.post(url, data={"contact_name": "孙八"}).status_code == 302
    assert (
        client.post(
            f"{url}/people", data={"name": "周九", "phone": "13700000000", "roles": ["grid_worker"]}
        ).status_code
        == 302
    )
    shown = client.get(url).get_data(as_text=True)
    assert "页面单位" in shown and "周九" in shown and "网格员" in shown and "孙八" in shown
    refused = client.post(url, data={"kind": "政府"})
    assert refused.status_code == 400 and "不是单位类型" in refused.get_data(as_text=True)
    assert client.post(f"{url}/retire", data={"on": ""}).status_code == 302
    assert f"{TODAY.isoformat()} 起撤销" in client.get(url).get_data(as_text=True)
    session.rollback()
    actions = session.execute(
        select(AuditEntry.action, AuditEntry.actor).where(
            AuditEntry.object_id == str(unit_id), AuditEntry.object_kind == "unit"
        )
    ).all()
    assert sorted(actions) == [("unit.create", username), ("unit.edit", username), ("unit.retire", username)]
    workbook = client.get("/admin/people/template.xlsx")
    assert workbook.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.data)).active
    assert [c.value for c in sheet[1]][:4] == ["姓名", "人员编号", "联系电话", "所属单位"]
    english = client.get(f"{url}?lang=en").get_data(as_text=True)
    assert "Retired from" in english and "Edit" in english


def test_a_people_file_imported_twice_is_refused_the_second_time(settings: Settings, session: Session,
                                                                 tmp_path: Path) -> None:  # fmt: skip
    people = tmp_path / "people.csv"
    people.write_text("姓名,联系电话,角色\n吴十,13600000000,网格员\n郑一,13600000001,巷长\n", encoding="utf-8")
    assert _cli(settings, "people", "import", str(people)).exit_code == 0
    again = _cli(settings, "people", "import", str(people))
    assert again.exit_code == 1 and "第 2 行，姓名：已有同一单位、同一电话的“吴十”" in again.output
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Person).where(Person.name.in_(["吴十", "郑一"]))) == 2
