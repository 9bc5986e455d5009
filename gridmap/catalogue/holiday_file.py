"""A year of holidays from the State Council's notice, as a CSV file, and the warning when next year has none.

Deadlines count working time: without next year's days off, from 1 January the Spring Festival would count as
working time. The file (``date,name,kind``; kind ``holiday`` or ``workday``, 调休上班) replaces one whole year, all or
nothing; from 1 December the health endpoint, the admin pages and ``gridmap serve`` warn while the coming year has
no rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from gridmap.accounts import audit
from gridmap.accounts.actor import Actor
from gridmap.errors import InvalidInput, Problem
from gridmap.store.models import Holiday

KINDS = {"holiday": False, "workday": True, "休": False, "班": True, "假日": False, "上班": True}
HEADERS = {"date": "date", "日期": "date", "name": "name", "名称": "name", "kind": "kind", "类型": "kind"}
WARN_FROM = (12, 1)  # month, day


def _problem(row: int, field: str, en: str, zh: str) -> Problem:
    return Problem(f"row {row}: {en}", field=field, zh=f"第 {row} 行：{zh}")


def parse_holidays(text: str) -> tuple[int, list[dict[str, object]]]:
    """The year and the rows of a holiday CSV; every problem at once (row numbers count the header as row 1)."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    cols = [HEADERS.get((h or "").strip().lower()) for h in header or []]
    if header is None or not {"date", "kind"} <= set(cols):
        raise InvalidInput(
            Problem(
                "the first row must name the columns date, name, kind",
                field="header",
                zh="第 1 行须为列名 date,name,kind（或 日期,名称,类型）",
            )
        )
    problems: list[Problem] = []
    rows: list[dict[str, object]] = []
    seen: dict[dt.date, int] = {}
    for n, raw in enumerate(reader, start=2):
        if not any(c.strip() for c in raw):
            continue
        cell = {c: (raw[i].strip() if i < len(raw) else "") for i, c in enumerate(cols) if c}
        try:
            day = dt.date.fromisoformat(cell["date"])
        except ValueError:
            problems.append(_problem(n, "date", f"{cell['date']!r} is not a date (YYYY-MM-DD)",
                                     f"“{cell['date']}”不是日期（YYYY-MM-DD）"))  # fmt: skip
            day = None
        kind = cell["kind"].lower()
        if kind not in KINDS:
            problems.append(_problem(n, "kind", f"{cell['kind']!r} is neither holiday nor workday",
                                     f"“{cell['kind']}”须为 holiday（放假）或 workday（调休上班）"))  # fmt: skip
        name = cell.get("name") or None
        if name is not None and len(name) > 50:
            problems.append(_problem(n, "name", "the name is longer than 50 characters", "名称超过 50 字"))
        if day is not None:
            if day in seen:
                problems.append(_problem(n, "date", f"{day} is listed twice (row {seen[day]})",
                                         f"{day} 重复（第 {seen[day]} 行）"))  # fmt: skip
            seen[day] = n
            if kind in KINDS:
                rows.append({"day": day, "name": name, "is_workday": KINDS[kind]})
    years = sorted({d.year for d in seen})
    if len(years) > 1:
        listed = ", ".join(map(str, years))
        problems.append(Problem(f"the file spans the years {listed}: one year per file", field="date",
                                zh=f"文件跨越多个年份（{listed}），每个文件只能一年"))  # fmt: skip
    if not problems and not rows:
        problems.append(Problem("the file lists no day", field="date", zh="文件中没有任何日期"))
    if problems:
        raise InvalidInput(problems)
    return years[0], rows


def import_holidays(session: Session, text: str, *, actor: Actor) -> dict[str, int]:
    """Replace the holidays of the file's year with the file's rows, as ``actor`` (audited); does not commit."""
    year, rows = parse_holidays(text)
    return replace_year(session, year, rows, actor=actor, source="file")


def replace_year(
    session: Session, year: int, rows: list[dict[str, object]], *, actor: Actor, source: str
) -> dict[str, int]:
    """Replace ``year``'s holiday rows (``day``, ``name``, ``is_workday``) with ``rows``, audited as
    ``holiday.import`` naming its source (a file, or the chinesecalendar package); does not commit."""
    start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    before = session.scalar(select(func.count()).select_from(Holiday).where(Holiday.day >= start, Holiday.day < end))
    session.execute(delete(Holiday).where(Holiday.day >= start, Holiday.day < end))
    session.execute(insert(Holiday), rows)
    days_off = sum(1 for r in rows if not r["is_workday"])
    summary = {"year": year, "days_off": days_off, "workdays": len(rows) - days_off, "replaced": int(before or 0)}
    audit.record(session, actor, "holiday.import", object_kind="holiday", object_id=str(year),
                 before={"rows": summary["replaced"]}, after={**summary, "source": source})  # fmt: skip
    return summary


def _today() -> dt.date:
    """The server's date (one place, so a test can set the clock to 1 December)."""
    return dt.date.today()


@dataclass(frozen=True)
class HolidayWarning:
    year: int
    zh: str
    en: str


def missing_holidays(session: Session, today: dt.date | None = None) -> HolidayWarning | None:
    """From 1 December, the warning that the coming year has no holiday rows (None: nothing to say)."""
    today = today or _today()
    if (today.month, today.day) < WARN_FROM:
        return None
    year = today.year + 1
    start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    if session.scalar(select(Holiday.day).where(Holiday.day >= start, Holiday.day < end).limit(1)) is not None:
        return None
    return HolidayWarning(
        year,
        zh=f"尚未导入 {year} 年的节假日安排：自 {year} 年 1 月 1 日起，春节等假日将按工作日计算办理时限。"
        f"请用 gridmap categories holiday import 节假日.csv 导入国务院办公厅的放假通知。",
        en=f"The {year} holidays are not loaded: from 1 January {year} the Spring Festival and the other holidays"
        f" would count as working time. Load the State Council's notice with"
        f" `gridmap categories holiday import holidays.csv`.",
    )
