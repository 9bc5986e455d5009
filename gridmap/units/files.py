"""Units and people from a file (CSV or XLSX), all or nothing: every row is checked (a unit may name as its parent
one made by an earlier row), every problem is reported with its row number — the spreadsheet's own, the header
being row 1 — in Chinese and English, and nothing is written unless every row is good. Headers may be Chinese
(单位名称, 类型, 上级单位, 联系人, 联系电话…) or the API's field names. :func:`template` writes a file to fill in."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from gridmap.accounts import audit
from gridmap.accounts.actor import Actor
from gridmap.csv_text import decode
from gridmap.errors import InvalidInput, Problem
from gridmap.store.targets import ROLE_LABELS
from gridmap.units import register
from gridmap.units.vocabulary import KIND_LABELS, PEOPLE_ROLES

MAX_ROWS = 100_000


@dataclass(frozen=True)
class Column:
    field: str  # the register's field
    zh: str  # the template's header
    words: tuple[str, ...]  # other headers taken for it
    required: bool = False
    example: str = ""


UNIT_COLUMNS = (
    Column("name", "单位名称", ("名称", "单位", "name"), True, "市住房和城乡建设局"),
    Column("code", "单位代码", ("代码", "编码", "code"), False, "ZJJ"),
    Column("kind", "类型", ("单位类型", "kind"), True, "市直单位"),
    Column("parent_id", "上级单位", ("上级", "主管单位", "parent", "parent_id"), False, ""),
    Column("contact_name", "联系人", ("contact", "contact_name"), False, "王五"),
    Column("contact_phone", "联系电话", ("电话", "contact_phone", "phone"), False, "0358-1234567"),
    Column("area_id", "辖区", ("所属区域", "服务区域", "区域", "scope", "area", "area_id"), False, ""),
)
PERSON_COLUMNS = (
    Column("name", "姓名", ("名字", "name"), True, "张三"),
    Column("code", "人员编号", ("编号", "code"), False, ""),
    Column("phone", "联系电话", ("电话", "手机", "手机号", "phone"), False, "13800000000"),
    Column("unit_id", "所属单位", ("单位", "单位名称", "unit", "unit_id"), False, "市住房和城乡建设局"),
    Column("roles", "角色", ("职务", "roles", "role"), False, "路长、网格员"),
)


def _norm(text: str) -> str:
    return "".join(str(text).split()).lower().lstrip("*")


def row_problem(row: int, column: str | None, p: Problem) -> Problem:
    where_en = f"row {row}" + (f", {column}" if column else "")
    where_zh = f"第 {row} 行" + (f"，{column}" if column else "")
    return Problem(f"{where_en}: {p.message}", zh=f"{where_zh}：{p.zh or p.message}")


def read_rows(path: Path, sheet: str | None = None) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the non-empty rows (each with its row number) of a CSV or XLSX file, cells as text."""
    source = path.name
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl

        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # not a workbook at all: openpyxl raises many kinds
            raise InvalidInput(Problem(f"{source} is not an Excel workbook (.xlsx): {exc}",
                                       zh=f"{source} 不是 Excel 工作簿（.xlsx）")) from None  # fmt: skip
        if sheet is not None and sheet not in book.sheetnames:
            raise InvalidInput(Problem(f"{source} has no sheet {sheet!r} (it has {', '.join(book.sheetnames)})",
                                       zh=f"{source} 中没有工作表“{sheet}”"))  # fmt: skip
        ws = book[sheet] if sheet else book.worksheets[0]
        table = [["" if v is None else _cell(v) for v in r] for r in ws.iter_rows(values_only=True)]
        book.close()
    elif path.suffix.lower() in (".csv", ".txt"):
        _, text = decode(path.read_bytes(), source)
        table = list(csv.reader(io.StringIO(text)))
    else:
        raise InvalidInput(Problem(f"{source}: give a .csv or .xlsx file", zh=f"{source}：请使用 .csv 或 .xlsx 文件"))
    if not table or not any(c.strip() for c in table[0]):
        raise InvalidInput(Problem(f"{source} has no header row", zh=f"{source} 第 1 行没有表头"))
    header = [c.strip() for c in table[0]]
    rows = [(i, r) for i, r in enumerate(table[1:], start=2) if any(c.strip() for c in r)]
    if len(rows) > MAX_ROWS:
        raise InvalidInput(Problem(f"{source} has {len(rows)} rows; at most {MAX_ROWS}",
                                   zh=f"{source} 有 {len(rows)} 行，最多 {MAX_ROWS} 行"))  # fmt: skip
    return header, rows


def _cell(value: object) -> str:
    """A cell as its text: a whole float (Excel stores phone numbers typed as numbers so) without ``.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())[:10]  # a date or time cell
    return str(value).strip()


def columns_of(header: list[str], columns: tuple[Column, ...]) -> dict[int, Column]:
    """Which file column is which field; InvalidInput (row 1) for unknown, repeated or missing columns."""
    by_word = {_norm(w): c for c in columns for w in (c.zh, c.field, *c.words)}
    found: dict[int, Column] = {}
    problems: list[Problem] = []
    for i, name in enumerate(header):
        if not name:
            continue
        col = by_word.get(_norm(name))
        if col is None:
            known = "、".join(c.zh for c in columns)
            problems.append(Problem(f"row 1: unknown column {name!r} (known: {', '.join(c.field for c in columns)})",
                                    zh=f"第 1 行：无法识别的列“{name}”（可用：{known}）"))  # fmt: skip
        elif col in found.values():
            problems.append(Problem(f"row 1: column {name!r} repeats {col.field}", zh=f"第 1 行：列“{name}”重复"))
        else:
            found[i] = col
    for c in columns:
        if c.required and c not in found.values():
            problems.append(Problem(f"row 1: the column {c.zh} ({c.field}) is missing", zh=f"第 1 行：缺少“{c.zh}”列"))
    if problems:
        raise InvalidInput(problems)
    return found


def _import(
    session: Session,
    path: Path,
    actor: Actor,
    columns: tuple[Column, ...],
    create: Callable[[Session, Mapping[str, Any], Actor], object],
    what: str,
    sheet: str | None,
) -> dict[str, Any]:
    header, rows = read_rows(path, sheet)
    found = columns_of(header, columns)
    problems: list[Problem] = []
    made = 0
    for number, cells in rows:
        data = {c.field: (cells[i].strip() if i < len(cells) else "") for i, c in found.items()}
        try:
            create(session, data, actor)  # checks everything before it writes: a bad row leaves nothing behind
            made += 1
        except InvalidInput as exc:
            labels = {c.field: header[i] for i, c in found.items()}
            problems.extend(row_problem(number, labels.get(p.field or "", p.field), p) for p in exc.problems)
    if not rows:
        problems.append(Problem(f"{path.name} has no rows below its header", zh=f"{path.name} 表头下没有数据"))
    if problems:
        raise InvalidInput(problems)
    audit.record(session, actor, f"{what}.import", object_kind=what, after={"file": path.name, "rows": made})
    return {"file": path.name, "created": made}


def import_units(session: Session, path: Path, actor: Actor, sheet: str | None = None) -> dict[str, Any]:
    """Create a unit per row (in the caller's transaction: the caller commits only when this returns)."""
    return _import(session, path, actor, UNIT_COLUMNS, register.create_unit, "unit", sheet)


def import_people(session: Session, path: Path, actor: Actor, sheet: str | None = None) -> dict[str, Any]:
    """Create a person per row (in the caller's transaction: the caller commits only when this returns)."""
    return _import(session, path, actor, PERSON_COLUMNS, register.create_person, "person", sheet)


def report(problems: list[Problem]) -> list[str]:
    """The error report: one line per problem, Chinese then English."""
    return [f"{p.zh or p.message}  |  {p}" for p in problems]


def write_template(path: Path, columns: tuple[Column, ...], title: str, extra: tuple[str, list[list[str]]]) -> None:
    """A file to fill in: the Chinese headers and an example row; an XLSX marks the required columns bold and adds
    ``extra`` (a sheet name and its rows: allowed values, notes). Shared by every importer that offers a template."""
    header = [c.zh for c in columns]
    example = [c.example for c in columns]
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerow(example)
        return
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = title
    ws.append(header)
    ws.append(example)
    for i, c in enumerate(columns, start=1):
        ws.cell(row=1, column=i).font = openpyxl.styles.Font(bold=c.required)
        ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width = max(12, 2 * len(c.zh) + 4)
    sheet_name, rows = extra
    sheet = book.create_sheet(sheet_name)
    for row in rows:
        sheet.append(row)
    book.save(path)


def template(path: Path, what: str) -> None:
    """The units' or people's file to fill in (``what``: units or people), with a sheet of the allowed values."""
    if what == "units":
        values = [["类型", "kind"], *([zh, str(kind)] for kind, (zh, _) in KIND_LABELS.items())]
    else:
        values = [["角色", "role"], *([ROLE_LABELS[role][0], role] for role in PEOPLE_ROLES)]
        values.append(["街长 / 巷长", "road_chief"])
    values += [[], ["加粗的列必填；多个角色用顿号或逗号分隔。", "Bold columns are required."]]
    columns = UNIT_COLUMNS if what == "units" else PERSON_COLUMNS
    write_template(path, columns, "单位" if what == "units" else "人员", ("可选值", values))
