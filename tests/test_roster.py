"""The roster (包联台账): the name normaliser, the matcher's confidence levels, ``gridmap roster import|export`` —
preview, all-or-nothing refusal with candidates, one audited change, the export→import round trip — and the time
of matching the demo city's 655 compounds × 4 people."""

from __future__ import annotations

import csv
import datetime as dt
import time
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmap.accounts.actor import cli_actor
from gridmap.cli import main
from gridmap.config import Settings
from gridmap.errors import Conflict, InvalidInput, NotFound
from gridmap.roster import files
from gridmap.roster.match import Feature, Index, Query
from gridmap.roster.names import place_key, plain, road_key
from gridmap.store.models import Area, Assignment, AuditEntry, Compound, Person, Segment, Unit

HEADER = [
    "要素类型",
    "名称",
    "编码",
    "起点",
    "止点",
    "社区",
    "包联单位",
    "角色",
    "姓名",
    "联系电话",
    "起始日期",
    "截止日期",
]


def test_the_normaliser_ignores_width_spaces_suffixes_and_road_words() -> None:
    assert plain("ＡＢＣ　１２３ 号") == "abc123号"  # full-width letters, digits and space → half-width, no spaces
    assert plain("阳光（一期）") == plain("阳光(一期)") == "阳光一期"
    assert place_key("阳光花园小区") == place_key("阳光 小区") == place_key("阳光家属院") == "阳光"
    assert place_key("桥东社区") == place_key("桥东") == "桥东"
    assert place_key("小区") == "小区"  # nothing but a suffix: kept
    assert road_key("迎泽大街") == road_key("迎泽路") == road_key("迎泽 街") == road_key("迎泽巷") == "迎泽路"
    assert road_key("路") == "路"


def _index() -> Index:
    return Index([
        Feature("compound", 1, "阳光花园", "C1", "桥东社区"),
        Feature("compound", 2, "幸福小区", "C2", "桥东社区"),
        Feature("compound", 3, "幸福小区", "C3", "城北社区"),
        Feature("compound", 4, "锦绣华庭东区家园", "C4", "城北社区"),
        Feature("compound", 5, "北川花园", "C5", "城北社区"),
        Feature("compound", 6, "北川小区", "C6", "城北社区"),
        Feature("segment", 10, "迎泽大街", "S10", "", "解放路", "新建路"),
        Feature("segment", 11, "迎泽大街", "S11", "", "新建路", "五一路"),
        Feature("grid", 20, "14110200100101", "14110200100101", "桥东社区"),
    ])  # fmt: skip


def test_matching_levels_ambiguity_and_candidates() -> None:
    ix = _index()
    m = ix.match(Query("compound", "阳光花园"))
    assert (m.status, m.feature and m.feature.id) == ("exact", 1)
    m = ix.match(Query("compound", "阳光花园小区", community="桥东"))
    assert (m.status, m.feature and m.feature.id) == ("normalised", 1)
    m = ix.match(Query("compound", "幸福小区"))  # two 幸福小区: never guessed
    assert m.status == "ambiguous" and {f.id for f, _ in m.candidates} == {2, 3}
    m = ix.match(Query("compound", "幸福", community="城北社区"))
    assert (m.status, m.feature and m.feature.id) == ("normalised", 3)
    m = ix.match(Query("compound", "幸福小区", community="河西社区"))  # the name is there, not in that 社区
    assert m.status == "unmatched" and {f.id for f, _ in m.candidates} == {2, 3}
    m = ix.match(Query("compound", "锦绣华亭东区家园"))  # one character off: a fuzzy match, shown with its score
    assert m.status == "fuzzy" and m.feature and m.feature.id == 4 and 0.7 < m.score < 1 and not m.matched
    m = ix.match(Query("compound", "北川花园小区"))  # extends 北川花园 by a suffix; 北川小区 it does not
    assert (m.status, m.feature and m.feature.id) == ("normalised", 5)
    m = ix.match(Query("compound", "北川"))  # either of them
    assert m.status == "ambiguous" and {f.id for f, _ in m.candidates} == {5, 6}
    m = ix.match(Query("compound", "完全不同"))
    assert m.status == "unmatched" and m.feature is None and m.candidates == []
    m = ix.match(Query("segment", "迎泽路", from_desc="新建街", to_desc="解放路"))  # either direction, 路 ~ 街
    assert (m.status, m.feature and m.feature.id) == ("normalised", 10)
    m = ix.match(Query("segment", "迎泽大街"))
    assert m.status == "ambiguous" and [f.id for f, _ in m.candidates] == [10, 11]
    m = ix.match(Query("segment", "", code="s11"))
    assert (m.status, m.feature and m.feature.id) == ("normalised", 11)
    m = ix.match(Query("grid", "", code="14110200100101"))
    assert (m.status, m.feature and m.feature.id) == ("exact", 20)
    m = ix.match(Query("grid", "", code="14110200100109"))
    assert m.status == "unmatched" and [f.id for f, _ in m.candidates] == [20]


# -- the command, on a copy of the demo city ---------------------------------------------------------------------------


def _cli(settings: Settings, *args: str) -> Result:
    return CliRunner().invoke(main, ["--database-url", settings.database_url, *args])


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    return path


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.demo_city
def test_import_previews_then_writes_one_audited_change(settings: Settings, session: Session, tmp_path: Path) -> None:
    c = session.execute(
        select(Compound.id, Compound.name, Area.name).join(Area, Area.id == Compound.community_id).order_by(Compound.id)
    ).first()
    seg = session.execute(select(Segment.id, Segment.ext_id).order_by(Segment.id)).first()
    unit = session.scalar(select(Unit).where(Unit.retired_on.is_(None)).order_by(Unit.id.desc()))
    assert c and seg and unit
    wide = c[1].translate({ord(ch): ord(ch) + 0xFEE0 for ch in "0123456789"})  # full-width digits if any
    path = _csv(tmp_path / "roster.csv", [
        ["小区", f" {wide} 小区", "", "", "", c[2], unit.name, "包联小区负责人", "赵导入", "13900000001", "2026-06-01",
         ""],
        ["小区", c[1], "", "", "", "", unit.name, "社区联络人", "钱导入", "13900000002", "2026-06-01", ""],
        ["路段", "", seg[1], "", "", "", unit.code or unit.name, "路长", "孙导入", "", "2026-06-01", ""],
    ])  # fmt: skip
    dry = _cli(settings, "roster", "import", str(path), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "第 2 行 row 2: normalised (规范化)" in dry.output and "第 3 行 row 3: exact (精确)" in dry.output
    assert "匹配率 match rate: 100.0% of 3 rows" in dry.output
    session.rollback()
    assert _count(session, Person) == (people := _count(session, Person))
    assignments = _count(session, Assignment)
    result = _cli(settings, "roster", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "新包联 3" in result.output and "新建人员 3" in result.output
    session.rollback()
    assert _count(session, Person) == people + 3
    lead = session.scalar(select(Person).where(Person.name == "赵导入"))
    assert lead and lead.unit_id == unit.id and lead.phone == "13900000001"
    assert [r.role for r in lead.roles] == ["compound_lead"]
    held = session.scalar(select(Assignment).where(
        Assignment.target_kind == "compound", Assignment.target_id == c[0], Assignment.role == "compound_lead",
        Assignment.valid_to.is_(None)))  # fmt: skip
    assert held and held.person_id == lead.id and str(held.valid_from) == "2026-06-01"
    closed = _count(session, Assignment) - assignments  # 3 new rows; the previous holders' rows closed, kept
    assert closed == 3
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action.startswith("roster"))).all()
    assert len(entries) == 1 and entries[0].actor.startswith("cli:")
    assert entries[0].after["assigned"] == 3 and len(entries[0].after["assignments"]) == 3
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "assignment.create", AuditEntry.actor == entries[0].actor)) == 0  # fmt: skip
    previous = {(a["kind"], a["target_id"]): a["previous"] for a in entries[0].after["assignments"]}
    assert f"gridmap roster undo {entries[0].id}" in result.output
    undone = _cli(settings, "roster", "undo", str(entries[0].id))  # the import as a whole, back
    assert undone.exit_code == 0, undone.output
    assert "删除包联 3" in undone.output and "删除人员 3" in undone.output
    session.rollback()
    assert (_count(session, Assignment), _count(session, Person)) == (assignments, people)
    prev = previous[("compound", c[0])]
    if prev:  # the holder before the import holds it again
        back = session.get(Assignment, prev["assignment_id"])
        assert back is not None and back.valid_to is None
    again = _cli(settings, "roster", "undo", str(entries[0].id))
    assert again.exit_code == 1 and "已撤销" in again.output


@pytest.mark.demo_city
def test_an_ambiguous_or_unmatched_row_refuses_the_whole_file(settings: Settings, session: Session,
                                                              tmp_path: Path) -> None:  # fmt: skip
    name = session.scalar(select(Compound.name).order_by(Compound.id))
    unit = session.scalar(select(Unit.name).where(Unit.retired_on.is_(None)).order_by(Unit.id))
    path = _csv(tmp_path / "bad.csv", [
        ["小区", name, "", "", "", "", unit, "包联单位", "", "", "2026-06-01", ""],
        ["小区", "根本不存在的小区", "", "", "", "", unit, "包联单位", "", "", "2026-06-01", ""],
        ["小区", name[:-1] + "囧", "", "", "", "", unit, "包联单位", "", "", "2026-06-01", ""],
        ["网格", "", "99999999999999", "", "", "", "没有这个单位", "网格员", "李四", "", "", ""],
    ])  # fmt: skip
    assignments, audits = _count(session, Assignment), _count(session, AuditEntry)
    result = _cli(settings, "roster", "import", str(path))
    assert result.exit_code == 1
    out = result.output
    assert "未导入任何数据" in out and "第 2 行" not in out
    assert "第 3 行，名称：“根本不存在的小区”未匹配" in out
    assert "第 4 行，名称：" in out and name in out.split("第 4 行")[1]  # the closest candidate named
    assert "第 5 行，包联单位：没有单位“没有这个单位”" in out
    session.rollback()
    assert (_count(session, Assignment), _count(session, AuditEntry)) == (assignments, audits)


@pytest.mark.demo_city
def test_an_exported_roster_imports_as_a_no_op(settings: Settings, session: Session, tmp_path: Path) -> None:
    first = tmp_path / "roster.xlsx"
    result = _cli(settings, "roster", "export", str(first))
    assert result.exit_code == 0, result.output
    rows = list(openpyxl.load_workbook(first).active.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER and len(rows) > 10_000
    assignments, audits = _count(session, Assignment), _count(session, AuditEntry)
    result = _cli(settings, "roster", "import", str(first))
    assert result.exit_code == 0, result.output
    assert f"未变 {len(rows) - 1}" in result.output and "新包联 0" in result.output
    session.rollback()
    assert (_count(session, Assignment), _count(session, AuditEntry)) == (assignments, audits)
    again = tmp_path / "again.csv"
    assert _cli(settings, "roster", "export", str(again)).exit_code == 0
    with again.open(encoding="utf-8-sig") as fh:
        assert [tuple(r) for r in csv.reader(fh)] == [tuple("" if v is None else str(v) for v in r) for r in rows]


@pytest.mark.demo_city
def test_matching_655_compounds_times_4_people(session: Session, tmp_path: Path) -> None:
    compounds = session.execute(
        select(Compound.name, Area.name).join(Area, Area.id == Compound.community_id, isouter=True)
    ).all()
    unit = session.scalar(select(Unit.name).where(Unit.retired_on.is_(None)).order_by(Unit.id))
    roles = ("包联单位责任人", "包联小区负责人", "社区联络人", "创文督导人")
    rows = []
    for n, (name, community) in enumerate(compounds):
        # a third as stored, a third with a suffix added, a third with full-width spaces
        shown = name if n % 3 == 0 else f"{name}小区" if n % 3 == 1 else "　".join(name)
        for k, role in enumerate(roles):
            rows.append(["小区", shown, "", "", "", community or "", unit, role, f"人员{n}-{k}", f"139{n:04d}{k:04d}",
                         "2027-01-01", ""])  # fmt: skip
    path = _csv(tmp_path / "roster.csv", rows)
    started = time.perf_counter()
    preview = files.preview(session, path)
    took = time.perf_counter() - started
    rate = files.match_rate(preview)
    print(f"\nroster: {len(compounds)} compounds × 4 people = {len(preview)} rows matched in {took:.2f} s, "
          f"match rate {rate:.1%}")  # fmt: skip
    assert len(compounds) == 655 and len(preview) == 2620
    assert rate == 1.0, [
        (r.cells["name"], r.match and r.match.status, r.entry()) for r in preview if not (r.match and r.match.matched)
    ][:8]
    started = time.perf_counter()
    answer = files.import_roster(session, path, cli_actor())
    took = time.perf_counter() - started
    print(f"roster: imported {answer} in {took:.2f} s")
    assert answer["assigned"] == 2620 and answer["people_created"] == 2620


@pytest.mark.demo_city
def test_matching_2000_road_segments_by_name_and_ends(session: Session, tmp_path: Path) -> None:
    segments = session.execute(
        select(Segment.name, Segment.from_desc, Segment.to_desc).order_by(Segment.id).limit(2000)
    ).all()
    unit = session.scalar(select(Unit.name).where(Unit.retired_on.is_(None)).order_by(Unit.id))
    rows = []
    for n, (name, a, to) in enumerate(segments):  # every other road written with 路 for 街 (or 街 for 路)
        shown = name[:-1] + {"街": "路", "路": "街"}.get(name[-1], name[-1]) if n % 2 and name[-2] != "大" else name
        rows.append(["路段", shown, "", a or "", to or "", "", unit, "路长", f"路长{n}", "", "2027-01-01", ""])
    path = _csv(tmp_path / "roads.csv", rows)
    started = time.perf_counter()
    preview = files.preview(session, path)
    took = time.perf_counter() - started
    rate = files.match_rate(preview)
    print(f"\nroster: {len(preview)} road segments by name + from/to matched in {took:.2f} s, match rate {rate:.1%}")
    bad = [
        (r.cells["name"], r.cells["from_desc"], r.cells["to_desc"], r.entry()["candidates"][:3])
        for r in preview
        if not (r.match and r.match.matched)
    ]
    assert len(preview) == 2000 and rate > 0.99, bad[:6]
    for r in preview:  # the rest: segments with the same road and the same ends — listed, never guessed
        if not (r.match and r.match.matched):
            assert r.match and r.match.status == "ambiguous" and len(r.match.candidates) >= 2


@pytest.mark.demo_city
def test_the_template_reads_back_with_its_allowed_values(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    assert _cli(settings, "roster", "template", str(path)).exit_code == 0
    book = openpyxl.load_workbook(path)
    assert [c.value for c in book["包联台账"][1]] == HEADER
    allowed = {r[0]: r[1] for r in book["可选值"].iter_rows(values_only=True) if r and r[0] in ("路段", "小区", "网格")}
    assert allowed["路段"] == "包联单位、路长" and "包联小区负责人" in allowed["小区"] and "网格员" in allowed["网格"]
    dry = _cli(settings, "roster", "import", str(path), "--dry-run")  # the example rows: read, matched or not
    assert dry.exit_code == 0, dry.output
    assert "第 4 行 row 4: exact (精确) 14110200100101" in dry.output and "of 3 rows" in dry.output


@pytest.mark.demo_city
def test_an_import_assigned_again_since_cannot_be_undone(session: Session, tmp_path: Path) -> None:
    name = session.scalar(select(Compound.name).order_by(Compound.id))
    first, second = session.scalars(select(Unit).where(Unit.retired_on.is_(None)).order_by(Unit.id).limit(2)).all()
    path = _csv(tmp_path / "one.csv", [["小区", name, "", "", "", "", first.name, "", "", "", "2027-01-01", ""]])
    answer = files.import_roster(session, path, cli_actor())
    assert answer["assigned"] == 1 and answer["change"]
    later = _csv(tmp_path / "two.csv", [["小区", name, "", "", "", "", second.name, "", "", "", "2027-02-01", ""]])
    assert files.import_roster(session, later, cli_actor())["assigned"] == 1
    with pytest.raises(Conflict, match="assigned again since"):
        files.undo(session, answer["change"], cli_actor())
    with pytest.raises(NotFound):
        files.undo(session, 999_999, cli_actor())


@pytest.mark.demo_city
def test_the_bulk_write_keeps_history_and_refuses_bad_rows_by_number(session: Session, tmp_path: Path) -> None:
    a, b, c = session.scalars(select(Compound.name).order_by(Compound.id).limit(3)).all()
    seg = session.scalar(select(Segment.ext_id).where(Segment.ext_id.is_not(None)).order_by(Segment.id))
    first, second = session.scalars(select(Unit).where(Unit.retired_on.is_(None)).order_by(Unit.id).limit(2)).all()
    path = _csv(tmp_path / "one.csv", [
        ["小区", a, "", "", "", "", first.name, "", "", "", "2027-01-01", ""],
        ["路段", "", seg, "", "", "", first.name, "路长", "周路长", "", "2027-01-01", ""],
    ])  # fmt: skip
    answer = files.import_roster(session, path, cli_actor())
    assert answer["assigned"] == 2
    held = session.scalar(select(Assignment).where(Assignment.target_kind == "compound", Assignment.valid_to.is_(None),
                                                   Assignment.unit_id == first.id, Assignment.role == "responsible",
                                                   Assignment.valid_from == dt.date(2027, 1, 1)))  # fmt: skip
    assert held is not None
    before = (_count(session, Assignment), _count(session, AuditEntry), _count(session, Person))
    bad = _csv(tmp_path / "bad.csv", [
        ["小区", b, "", "", "", "", second.name, "", "", "", "2027-03-01", ""],  # fine alone
        ["小区", a, "", "", "", "", second.name, "", "", "", "2026-12-01", ""],  # before the holder's start
        ["小区", c, "", "", "", "", first.name, "", "周路长", "", "2027-03-01", ""],  # a 路长 holding a 小区
    ])  # fmt: skip
    with pytest.raises(InvalidInput) as refused, session.begin_nested():  # the caller's rollback, as the CLI's
        files.import_roster(session, bad, cli_actor())
    said = [p.zh or "" for p in refused.value.problems]
    assert any(s.startswith("第 3 行") and "须晚于现有包联" in s for s in said), said
    assert any(s.startswith("第 4 行") and "不能负责小区" in s for s in said), said
    assert not any(s.startswith("第 2 行") for s in said), said
    assert (_count(session, Assignment), _count(session, AuditEntry), _count(session, Person)) == before
    later = _csv(tmp_path / "two.csv", [["小区", a, "", "", "", "", second.name, "", "", "", "2027-03-01", ""]])
    again = files.import_roster(session, later, cli_actor())
    assert (again["assigned"], again["closed"]) == (1, 1)
    session.refresh(held)
    assert held.valid_to == dt.date(2027, 3, 1)  # the previous holder's period ends at the new start, kept
    entry = session.get(AuditEntry, again["change"])
    assert entry is not None and entry.after["assignments"][0]["previous"]["assignment_id"] == held.id


@pytest.mark.demo_city
def test_the_bulk_write_does_what_the_per_group_write_did(session: Session, tmp_path: Path) -> None:
    """The same roster through both writes (each rolled back): the same periods opened and closed."""
    compounds = session.execute(
        select(Compound.name, Area.name).join(Area, Area.id == Compound.community_id).order_by(Compound.id).limit(60)
    ).all()
    units = session.scalars(select(Unit.name).where(Unit.retired_on.is_(None)).order_by(Unit.id).limit(3)).all()
    roles = ("", "包联小区负责人", "社区联络人")
    rows = [["小区", name, "", "", "", community, units[n % 3], role, f"人员{n}-{k}" if role else "", "",
             "2027-01-01", ""]
            for n, (name, community) in enumerate(compounds) for k, role in enumerate(roles)]  # fmt: skip
    path = _csv(tmp_path / "roster.csv", rows)
    opened = select(Assignment.target_kind, Assignment.target_id, Assignment.unit_id, Assignment.role,
                    Assignment.valid_from, Assignment.valid_to, Person.name).join(
        Person, Person.id == Assignment.person_id, isouter=True)  # fmt: skip
    seen = []
    for per_group in (True, False):
        with session.begin_nested() as nested:
            answer = files.import_roster(session, path, cli_actor(), per_group=per_group)
            state = set(session.execute(opened).all())
            seen.append(({k: answer[k] for k in ("assigned", "unchanged", "closed", "people_created")}, state))
            nested.rollback()
    assert seen[0] == seen[1]
    counts = seen[1][0]
    assert counts["assigned"] + counts["unchanged"] == 180 and counts["assigned"] > 150 and counts["closed"] > 0
