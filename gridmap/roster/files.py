"""The roster file (包联台账, CSV or XLSX, zh-CN headers): one row per target, role and person.

:func:`preview` matches every row (:mod:`~gridmap.roster.match`) and checks its unit, role and dates;
:func:`import_roster` writes only when every row matched — otherwise nothing, and every bad row is listed with its
row number and the closest candidates. The write is one transaction and one recorded change (``roster.import`` in
the audit trail, listing the assignments it opened and closed and the people it created). :func:`export` writes
the current assignments in the same columns, so an exported file imports again as a no-op."""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from gridmap.accounts import audit
from gridmap.accounts.actor import Actor
from gridmap.errors import Conflict, InvalidInput, NotFound, Problem
from gridmap.inputs import as_id, parse_day
from gridmap.responsibility.assign import Target, assign
from gridmap.responsibility.bulk_assign import Item, assign_many
from gridmap.responsibility.history import id_chunks
from gridmap.roster.match import Index, Match, Query
from gridmap.store.dialect import dialect_of
from gridmap.store.engine import rows_matched
from gridmap.store.models import Assignment, AuditEntry, Person, PersonRole, Role, Unit
from gridmap.store.targets import TARGETS, role_fits, role_label
from gridmap.units.files import Column, columns_of, read_rows, row_problem
from gridmap.units.vocabulary import role_of

COLUMNS = (
    Column("kind", "要素类型", ("类型", "对象类型", "kind", "target_kind"), True, "小区"),
    Column("name", "名称", ("要素名称", "对象名称", "道路名称", "小区名称", "name", "target"), False, "阳光小区"),
    Column("code", "编码", ("编号", "要素编码", "网格编码", "code"), False, ""),
    Column("from_desc", "起点", ("起点描述", "from_desc"), False, ""),
    Column("to_desc", "止点", ("终点", "止点描述", "to_desc"), False, ""),
    Column("community", "社区", ("所属社区", "community"), False, "桥东社区"),
    Column("unit", "包联单位", ("单位", "单位名称", "unit"), True, "市住房和城乡建设局"),
    Column("role", "角色", ("职务", "role"), False, "包联小区负责人"),
    Column("person", "姓名", ("负责人", "人员", "person"), False, "张三"),
    Column("phone", "联系电话", ("电话", "手机", "phone"), False, "13800000000"),
    Column("valid_from", "起始日期", ("开始日期", "valid_from"), False, "2026-01-01"),
    Column("valid_to", "截止日期", ("结束日期", "valid_to"), False, ""),
)
HEADER = [c.zh for c in COLUMNS]
KIND_WORDS = {
    **{k: k for k in TARGETS},
    **{t.label_zh: k for k, t in TARGETS.items()},
    **{t.label_en.lower(): k for k, t in TARGETS.items()},
    "道路": "segment", "街巷": "segment", "单元网格": "grid", "住宅小区": "compound",
}  # fmt: skip
CONFIDENCE_ZH = {"exact": "精确", "normalised": "规范化", "fuzzy": "近似", "ambiguous": "不唯一", "unmatched": "未匹配"}


@dataclass
class Row:
    """One roster row, checked and matched."""

    number: int
    cells: dict[str, str]
    kind: str | None = None
    match: Match | None = None
    unit: Unit | None = None
    role: str = Role.RESPONSIBLE.value
    start: dt.date | None = None
    end: dt.date | None = None
    problems: list[Problem] = field(default_factory=list)

    def entry(self) -> dict[str, Any]:
        """The preview's line for this row."""
        m = self.match
        return {
            "row": self.number,
            "kind": self.kind,
            "status": m.status if m else "invalid",
            "target": {"kind": m.feature.kind, "id": m.feature.id, "label": m.feature.label()}
            if m and m.feature
            else None,
            "score": m.score if m else 0.0,
            "candidates": [{"id": f.id, "label": f.label(), "score": s} for f, s in m.candidates] if m else [],
            "problems": [p.zh or p.message for p in self.problems],
        }


def _units(session: Session) -> tuple[dict[str, list[Unit]], dict[str, Unit]]:
    by_name: dict[str, list[Unit]] = defaultdict(list)
    by_code: dict[str, Unit] = {}
    for u in session.scalars(select(Unit)):
        by_name[u.name.strip()].append(u)
        if u.code:
            by_code[u.code.strip()] = u
    return by_name, by_code


def _check(row: Row, index: Index, units: tuple[dict[str, list[Unit]], dict[str, Unit]], today: dt.date) -> None:
    c = row.cells
    kind = KIND_WORDS.get(c["kind"].strip()) or KIND_WORDS.get(c["kind"].strip().lower())
    if kind is None:
        row.problems.append(Problem(f"要素类型 {c['kind']!r} is not 路段, 小区 or 网格", field="要素类型",
                                    zh=f"要素类型“{c['kind']}”不是路段、小区或网格"))  # fmt: skip
    row.kind = kind
    unit_text = c["unit"].strip()
    by_name, by_code = units
    found = [by_code[unit_text]] if unit_text in by_code else by_name.get(unit_text, [])
    if not unit_text or not found:
        row.problems.append(Problem(f"no unit {unit_text!r}", field="包联单位", zh=f"没有单位“{unit_text}”"))
    elif len(found) > 1:
        row.problems.append(Problem(f"{unit_text!r} names several units; give its code", field="包联单位",
                                    zh=f"“{unit_text}”对应多个单位，请填写单位代码"))  # fmt: skip
    elif found[0].retired_on is not None:
        row.problems.append(Problem(f"unit {unit_text!r} is retired", field="包联单位", zh=f"单位“{unit_text}”已撤销"))
    else:
        row.unit = found[0]
    role_text = c["role"].strip()
    if role_text in ("", Role.RESPONSIBLE.value, role_label(Role.RESPONSIBLE.value)):
        row.role = Role.RESPONSIBLE.value
    else:
        role = role_of(role_text)
        if role is None:
            row.problems.append(Problem(f"{role_text!r} is not a role", field="角色", zh=f"没有“{role_text}”这个角色"))
        else:
            row.role = role
    if kind and not row.problems and not role_fits(kind, row.role):
        row.problems.append(Problem(f"a {kind} cannot take the role {role_label(row.role, 'en')}", field="角色",
                                    zh=f"{TARGETS[kind].label_zh}不适用“{role_label(row.role)}”角色"))  # fmt: skip
    if row.role != Role.RESPONSIBLE.value and not c["person"].strip():
        row.problems.append(Problem("a person's role needs the person's name", field="姓名", zh="该角色须填写姓名"))
    row.start = parse_day(c["valid_from"], "起始日期", row.problems, default=today)
    row.end = parse_day(c["valid_to"], "截止日期", row.problems)
    if row.start and row.end and row.end <= row.start:
        row.problems.append(Problem("ends on or before it starts", field="截止日期", zh="截止日期须晚于起始日期"))
    if kind:
        row.match = index.match(Query(kind, c["name"], c["code"], c["community"], c["from_desc"], c["to_desc"]))


def preview(session: Session, path: Path, sheet: str | None = None, *, index: Index | None = None) -> list[Row]:
    """Every row of the file, checked and matched (nothing written)."""
    header, raw = read_rows(path, sheet)
    found = columns_of(header, COLUMNS)
    if not raw:
        raise InvalidInput(Problem(f"{path.name} has no rows below its header", zh=f"{path.name} 表头下没有数据"))
    index = index or Index.load(session)
    units = _units(session)
    today = dt.date.today()
    rows: list[Row] = []
    for number, cells in raw:
        data = {c.field: "" for c in COLUMNS}
        data.update({c.field: (cells[i].strip() if i < len(cells) else "") for i, c in found.items()})
        row = Row(number, data)
        _check(row, index, units, today)
        rows.append(row)
    seen: dict[tuple[str, int, str], int] = {}
    for row in rows:
        if row.match and row.match.feature:
            key = (row.match.feature.kind, row.match.feature.id, row.role)
            if key in seen:
                row.problems.append(Problem(f"the same target and role as row {seen[key]}", field="名称",
                                            zh=f"与第 {seen[key]} 行的要素和角色相同"))  # fmt: skip
            else:
                seen[key] = row.number
    return rows


def match_rate(rows: list[Row], accept_fuzzy: bool = False) -> float:
    ok = sum(1 for r in rows if r.match and (r.match.matched or (accept_fuzzy and r.match.status == "fuzzy")))
    return ok / len(rows) if rows else 0.0


def _row_problems(rows: list[Row], accept_fuzzy: bool) -> list[Problem]:
    out: list[Problem] = []
    for row in rows:
        out += [row_problem(row.number, p.field, Problem(p.message, zh=p.zh)) for p in row.problems]
        m = row.match
        if m is None or m.matched or (accept_fuzzy and m.status == "fuzzy"):
            continue
        cands = "；".join(f"{f.label()}（{s:.2f}）" for f, s in m.candidates) or "无"
        what = " ".join(v for v in (row.cells["name"], row.cells["code"]) if v)
        zh_status = CONFIDENCE_ZH[m.status]
        out.append(row_problem(row.number, "名称", Problem(
            f"{what!r}: {m.status}" + (f" (score {m.score:.2f}; give --accept-fuzzy to take it)"
                                       if m.status == "fuzzy" else "") + f"; candidates: {cands}",
            zh=f"“{what}”{zh_status}，候选：{cands}")))  # fmt: skip
    return out


def _people(session: Session, rows: list[Row]) -> tuple[dict[int, int], list[dict[str, Any]]]:
    """Each row's person (row number → person id): the unit's person of that name (and phone), created when there
    is none, given the row's role when they lack it — in a few bulk statements. Also the people created."""
    unit_ids = sorted({r.unit.id for r in rows if r.unit is not None and r.cells["person"].strip()})
    known: dict[tuple[int, str], list[tuple[int, str]]] = defaultdict(list)
    held: dict[int, set[str]] = defaultdict(set)
    for chunk in id_chunks(unit_ids):
        stmt = select(Person.id, Person.unit_id, Person.name, Person.phone).where(
            Person.unit_id.in_(chunk), Person.retired_on.is_(None)
        )
        for pid, uid, name, phone in session.execute(stmt.order_by(Person.id)):
            assert uid is not None
            known[(uid, name)].append((pid, phone or ""))
        roles = select(PersonRole.person_id, PersonRole.role).join(Person, Person.id == PersonRole.person_id)
        for pid, role in session.execute(roles.where(Person.unit_id.in_(chunk))):
            held[pid].add(role)
    new: dict[tuple[int, str, str], list[Row]] = defaultdict(list)  # people to create, and their rows
    chosen: dict[int, int] = {}
    for r in rows:
        name, phone = r.cells["person"].strip(), r.cells["phone"].strip()
        if not name or r.unit is None:
            continue
        people = known.get((r.unit.id, name), [])
        pick = next((p for p, ph in people if phone and ph == phone), None)
        pick = pick or next((p for p, ph in people if not phone or not ph), None)
        if pick is None:
            new[(r.unit.id, name, phone)].append(r)
        else:
            chosen[r.number] = pick
    made: list[dict[str, Any]] = []
    if new:
        keys = list(new)
        values = [{"unit_id": u, "name": n, "phone": ph or None} for u, n, ph in keys]
        adding = insert(Person).returning(Person.id, sort_by_parameter_order=True)
        for (uid, name, _), pid in zip(keys, session.execute(adding, values).scalars().all(), strict=True):
            made.append({"id": pid, "name": name, "unit_id": uid})
            for r in new[(uid, name, _)]:
                chosen[r.number] = pid
    grants = sorted({(chosen[r.number], r.role) for r in rows if r.number in chosen} - {
        (pid, role) for pid, roles in held.items() for role in roles})  # fmt: skip
    grants = [(p, role) for p, role in grants if role != Role.RESPONSIBLE.value]
    if grants:
        session.execute(insert(PersonRole), [{"person_id": p, "role": role} for p, role in grants])
    return chosen, made


_Written = tuple[list[dict[str, Any]], int, int]  # the assignments opened (for the audit entry), unchanged, closed


def _assign_bulk(session: Session, rows: list[Row], chosen: dict[int, int], actor: Actor, note: str) -> _Written:
    """Every row's assignment in a few set-based statements (:mod:`~gridmap.responsibility.bulk_assign`)."""
    items = []
    for r in rows:
        assert r.unit is not None and r.start is not None and r.match is not None and r.match.feature is not None
        f = r.match.feature
        items.append(Item(r.number, f.kind, f.id, r.unit.id, chosen.get(r.number), r.role, r.start, r.end))
    try:
        answer = assign_many(session, items, actor=actor, note=note)
    except InvalidInput as exc:
        raise InvalidInput([row_problem(p.feature, None, p) if p.feature else p for p in exc.problems]) from None
    by_ref = {i.ref: i for i in items}
    assigned = [{"assignment_id": e["assignment_id"], "kind": e["kind"], "target_id": e["id"],
                 "unit_id": by_ref[e["ref"]].unit_id, "person_id": by_ref[e["ref"]].person_id,
                 "role": by_ref[e["ref"]].role, "previous": e["previous"]}
                for e in answer["assigned"]]  # fmt: skip
    return assigned, answer["unchanged"], answer["closed"]


def _assign_per_group(session: Session, rows: list[Row], chosen: dict[int, int], actor: Actor, note: str) -> _Written:
    """The former write: one :func:`~gridmap.responsibility.assign.assign` call per (unit, person, role, period)
    — about a dozen queries per group (the benchmark's baseline)."""
    groups: dict[tuple[int, int | None, str, dt.date, dt.date | None], list[Row]] = defaultdict(list)
    for row in rows:
        assert row.unit is not None and row.start is not None
        groups[(row.unit.id, chosen.get(row.number), row.role, row.start, row.end)].append(row)
    assigned: list[dict[str, Any]] = []
    unchanged = closed = 0
    for (unit_id, person_id, role, start, end), group in groups.items():
        targets = [Target(r.match.feature.kind, r.match.feature.id) for r in group if r.match and r.match.feature]
        try:
            answer = assign(session, targets, unit_id, role, start, actor=actor, valid_to=end, person_id=person_id,
                            take_over=True, audit_each=False, note=note)  # fmt: skip
        except InvalidInput as exc:
            where = ", ".join(str(r.number) for r in group[:10])
            raise InvalidInput([Problem(f"rows {where}: {p.message}", zh=f"第 {where} 行：{p.zh or p.message}")
                                for p in exc.problems]) from None  # fmt: skip
        counts = cast("dict[str, int]", answer["counts"])
        closed += counts["closed"]
        unchanged += counts["unchanged"]
        for e in cast("list[dict[str, Any]]", answer["assigned"]):
            assigned.append({"assignment_id": e["assignment_id"], "kind": e["kind"], "target_id": e["id"],
                             "unit_id": unit_id, "person_id": person_id, "role": role,
                             "previous": e["previous"]})  # fmt: skip
    return assigned, unchanged, closed


def import_roster(
    session: Session,
    path: Path,
    actor: Actor,
    sheet: str | None = None,
    *,
    accept_fuzzy: bool = False,
    per_group: bool = False,
) -> dict[str, Any]:
    """Write the roster's assignments (taking targets over from their holders, history kept), all or nothing, in
    the caller's transaction; InvalidInput lists every bad row with its candidates and nothing is written.
    ``per_group``: the former write, one ``assign`` call per (unit, person, role, period) — kept for the benchmark's
    baseline only."""
    rows = preview(session, path, sheet)
    problems = _row_problems(rows, accept_fuzzy)
    if problems:
        raise InvalidInput(problems)
    chosen, made = _people(session, rows)
    write = _assign_per_group if per_group else _assign_bulk
    assigned, unchanged, closed = write(session, rows, chosen, actor, f"roster {path.name}")
    summary = {"file": path.name, "rows": len(rows), "assigned": len(assigned), "unchanged": unchanged,
               "closed": closed, "people_created": len(made)}  # fmt: skip
    summary["change"] = None
    if assigned or made:
        audit.record(session, actor, "roster.import", object_kind="roster", after={
            **summary, "assignments": assigned,
            "people": made})  # fmt: skip
        summary["change"] = session.scalar(
            select(func.max(AuditEntry.id)).where(AuditEntry.action == "roster.import", AuditEntry.actor == actor.name)
        )
    return summary


def undo(session: Session, change: object, actor: Actor) -> dict[str, Any]:
    """Undo a roster import as a whole (its ``roster.import`` audit entry): the assignments it opened are removed,
    the ones it closed reopened, the people it created and nothing else names are removed. Refused (Conflict) when
    any of its targets was assigned again since, or when it was undone already. Audited as ``roster.undo``."""
    cid = as_id(change)
    entry = session.get(AuditEntry, cid) if cid is not None else None
    if entry is None or entry.action != "roster.import" or not entry.after:
        raise NotFound(f"no roster import {change}", zh=f"没有编号为 {change} 的台账导入")
    done = select(AuditEntry.id).where(AuditEntry.action == "roster.undo", AuditEntry.object_id == str(entry.id))
    if session.scalar(done) is not None:
        raise Conflict(f"roster import {entry.id} was undone already", zh=f"台账导入 {entry.id} 已撤销")
    dialect_of(session).take_write_lock(session, "assignments", "the roster's assignments")
    opened: list[dict[str, Any]] = entry.after.get("assignments", [])
    later: list[str] = []
    for a in opened:
        newer = select(Assignment.id).where(
            Assignment.target_kind == a["kind"], Assignment.target_id == a["target_id"],
            Assignment.role == a["role"], Assignment.id > a["assignment_id"]
        ).limit(1)  # fmt: skip
        if session.scalar(newer) is not None:
            later.append(f"{a['kind']} {a['target_id']}")
    if later:
        raise Conflict(
            f"{len(later)} of the import's targets were assigned again since: {', '.join(later[:10])}",
            zh=f"导入后已有 {len(later)} 个要素重新包联，不能整体撤销",
        )
    table = Assignment.__table__
    ids = [int(a["assignment_id"]) for a in opened]
    for chunk in id_chunks(ids):
        session.execute(delete(table).where(table.c.id.in_(chunk)))
    reopened = 0
    for a in opened:
        prev = a.get("previous")
        if prev:
            res = session.execute(update(table).where(table.c.id == prev["assignment_id"]).values(valid_to=None))
            reopened += rows_matched(res)
    removed = 0
    for p in entry.after.get("people", []):
        if session.scalar(select(Assignment.id).where(Assignment.person_id == p["id"]).limit(1)) is None:
            session.execute(delete(PersonRole).where(PersonRole.person_id == p["id"]))
            removed += rows_matched(session.execute(delete(Person).where(Person.id == p["id"])))
    answer = {"change": entry.id, "removed": len(ids), "reopened": reopened, "people_removed": removed}
    audit.record(session, actor, "roster.undo", object_kind="roster", object_id=entry.id, after=answer)
    return answer


def recent_imports(session: Session, limit: int = 10) -> list[dict[str, Any]]:
    """The latest roster imports (newest first): change number, when, who, the file and its counts, and whether it
    was undone — the page's list with its undo buttons."""
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "roster.import").order_by(AuditEntry.id.desc()).limit(limit)
    ).all()
    undone = set(session.scalars(select(AuditEntry.object_id).where(
        AuditEntry.action == "roster.undo", AuditEntry.object_id.in_([str(e.id) for e in entries]))))  # fmt: skip
    return [
        {"change": e.id, "at": e.at, "actor": e.actor, "undone": str(e.id) in undone,
         **{k: (e.after or {}).get(k) for k in ("file", "rows", "assigned", "unchanged", "closed", "people_created")}}
        for e in entries
    ]  # fmt: skip


def export_rows(session: Session) -> list[list[str]]:
    """The open assignments as roster rows (the file's columns, in order), sorted by kind, name and role."""
    index = Index.load(session)
    feats = {(f.kind, f.id): f for ix in index.kinds.values() for fs in ix.by_code.values() for f in fs}
    feats.update({(f.kind, f.id): f for ix in index.kinds.values() for fs in ix.by_name.values() for f in fs})
    out: list[tuple[tuple[Any, ...], list[str]]] = []
    stmt = (
        select(Assignment, Unit, Person)
        .join(Unit, Unit.id == Assignment.unit_id)
        .join(Person, Person.id == Assignment.person_id, isouter=True)
        .where(Assignment.valid_to.is_(None))
    )
    order = {k: i for i, k in enumerate(TARGETS)}
    for a, unit, person in session.execute(stmt):
        f = feats.get((a.target_kind, a.target_id))
        if f is None:
            continue  # a grid of an ended version: not in the current roster
        unit_ref = unit.code or unit.name  # the import reads a code first: names may repeat
        row = [TARGETS[f.kind].label_zh, f.name if f.kind != "grid" else "", f.code, f.from_desc, f.to_desc,
               f.community, unit_ref, role_label(a.role), person.name if person else "",
               (person.phone or "") if person else "", a.valid_from.isoformat(), ""]  # fmt: skip
        out.append(((order[f.kind], f.name, f.code, a.role, row[8]), row))
    return [r for _, r in sorted(out, key=lambda x: x[0])]


def export(session: Session, path: Path) -> int:
    """Write the roster to ``path`` (.xlsx or .csv, zh-CN headers); the number of rows."""
    rows = export_rows(session)
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(HEADER)
            w.writerows(rows)
        return len(rows)
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "包联台账"
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    for col in ("B", "C"):  # codes and names stay text (a code like 0012 must keep its zeros)
        for cell in ws[col]:
            cell.number_format = "@"
    book.save(path)
    return len(rows)


def template(path: Path) -> None:
    """A roster to fill in: the headers, an example row per kind and (XLSX) a sheet of the allowed values."""
    examples = [
        ["小区", "阳光小区", "", "", "", "桥东社区", "市住房和城乡建设局", "包联小区负责人", "张三", "13800000000",
         "2026-01-01", ""],
        ["路段", "迎泽大街", "", "解放路", "新建路", "", "市住房和城乡建设局", "路长", "李四", "13800000001",
         "2026-01-01", ""],
        ["网格", "", "14110200100101", "", "", "", "市住房和城乡建设局", "网格员", "王五", "", "2026-01-01", ""],
    ]  # fmt: skip
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh).writerows([HEADER, *examples])
        return
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "包联台账"
    for r in (HEADER, *examples):
        ws.append(r)
    for i, c in enumerate(COLUMNS, start=1):
        ws.cell(row=1, column=i).font = openpyxl.styles.Font(bold=c.required)
        ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width = max(12, 2 * len(c.zh) + 4)
    values = book.create_sheet("可选值")
    values.append(["要素类型", "角色"])
    for kind, target in TARGETS.items():
        roles = [Role.RESPONSIBLE.value, *(r for r in Role if role_fits(kind, r) and r != Role.RESPONSIBLE)]
        values.append([target.label_zh, "、".join(role_label(r) for r in roles)])
    values.append([])
    values.append(["加粗的列必填。路段：填编码，或名称与起点、止点；小区：名称（与社区）；网格：编码。",
                   "角色留空即“包联单位”；姓名、联系电话：单位中的人员，没有则新建。"])  # fmt: skip
    book.save(path)
