"""The problem list 问题清单 of an inspection: its failed findings grouped by the unit each was routed to, with the
state of every case, and the 销号 tally per unit and per list — total, rectified (closed after re-check), overdue
(past its deadline, or closed late), rework (sent back at least once), repeats (反弹). A list is ticked off (已销号)
when every case it opened is closed (a voided case no longer counts). Also as an XLSX workbook."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmap.accounts.actor import Actor
from gridmap.cases.deadlines import progress_of
from gridmap.cases.states import S
from gridmap.cases.values import local_iso, now_or
from gridmap.catalogue.categories import load_calendar
from gridmap.config import Settings
from gridmap.inspections.records import get_inspection, load
from gridmap.store.models import Case

NO_UNIT = "未找到责任单位"  # a failure routing found nobody for (shown, never dropped)

COUNTS = ("total", "rectified", "overdue", "rework", "repeats")


def _tally(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {
        "total": len(rows),
        "rectified": sum(r["case_status"] == S.CLOSED for r in rows),
        "overdue": sum(bool(r["overdue"]) for r in rows),
        "rework": sum(r["rework_count"] > 0 for r in rows),
        "repeats": sum(bool(r["repeat"]) for r in rows),
        "void": sum(r["case_status"] == S.VOID for r in rows),
    }


def _ticked(t: dict[str, int]) -> bool:
    return t["total"] > 0 and t["rectified"] + t["void"] == t["total"] and t["rectified"] > 0


def problem_list(
    session: Session, inspection_id: int, settings: Settings, *, actor: Actor, now: dt.datetime | None = None
) -> dict[str, Any]:
    """The inspection's problem list, grouped by unit (a unit clerk: their unit's group only)."""
    now = now_or(now)
    inspection = get_inspection(session, inspection_id, actor=actor)
    failed = [f for f in inspection["findings"] if not f["passed"]]
    cal = load_calendar(session, settings.cases)
    cases = {
        c.id: c
        for c in session.execute(
            select(Case.__table__).where(Case.id.in_([f["case_id"] for f in failed if f["case_id"]]))
        )
    }
    groups: dict[int | None, dict[str, Any]] = {}
    for f in failed:
        c = cases.get(f["case_id"])
        progress = progress_of(c, cal, now) if c is not None else None
        row = {
            **f,
            "case_status": c.status if c is not None else None,
            "deadline": local_iso(c.deadline_at, cal) if c is not None else None,
            "closed_at": local_iso(c.closed_at, cal) if c is not None else None,
            "overdue": bool(progress and progress["overdue"]),
            "light": progress["light"] if progress else None,
            "rework_count": c.rework_count if c is not None else 0,
        }
        group = groups.setdefault(
            f["unit_id"], {"unit_id": f["unit_id"], "unit_name": f["unit_name"] or NO_UNIT, "problems": []}
        )
        group["problems"].append(row)
    units = sorted(groups.values(), key=lambda g: (g["unit_id"] is None, g["unit_name"]))
    for g in units:
        g.update(_tally(g["problems"]))
        g["ticked_off"] = _ticked(g)
    every = [r for g in units for r in g["problems"]]
    totals = _tally(every)
    header = {k: v for k, v in inspection.items() if k not in ("findings", "checklist")}
    return {
        "inspection": header,
        "findings": len(inspection["findings"]),
        "passed": sum(f["passed"] for f in inspection["findings"]),
        "points_deducted": sum(f["points_deducted"] for f in inspection["findings"]),
        "total_points": inspection["checklist"]["total_points"],
        "units": units,
        "totals": totals,
        "ticked_off": _ticked(totals),
        "as_of": local_iso(now, cal),
    }


def tally(session: Session, inspection_id: int, settings: Settings, *, actor: Actor) -> dict[str, Any]:
    """Only the counts of a problem list (the inspections' index page)."""
    load(session, inspection_id, actor)
    pl = problem_list(session, inspection_id, settings, actor=actor)
    return {**pl["totals"], "ticked_off": pl["ticked_off"]}


XLSX_HEADERS = (
    "责任单位", "序号", "检查项目", "扣分", "位置（经度）", "位置（纬度）", "说明", "案件编号", "案件状态",
    "整改期限", "是否超期", "返工", "反弹",
)  # fmt: skip


def problem_list_xlsx(pl: dict[str, Any]) -> bytes:
    """The problem list as a workbook: a summary sheet per unit and one row per problem, grouped by unit."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from gridmap.cases.states import STATUS_ZH

    head = pl["inspection"]
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "问题清单"
    ws.append([f"{head['title']}（{head['kind_name']}，{head['point_type_name']}第 {head['edition']} 版）"])
    ws.append(["日期", str(head["day"]), "检查组", head["team"] or "", "区域", head["street_name"] or ""])
    ws.append([])
    ws.append(list(XLSX_HEADERS))
    for cell in ws[4]:
        cell.font = Font(bold=True)
    for g in pl["units"]:
        for n, r in enumerate(g["problems"], start=1):
            status = STATUS_ZH.get(S(r["case_status"]), r["case_status"]) if r["case_status"] else ""
            ws.append([
                g["unit_name"], n, f"{r['item_code']} {r['item_name']}", r["points_deducted"], r["lon"], r["lat"],
                r["note"] or "", r["case_id"], status, r["deadline"] or "", "是" if r["overdue"] else "",
                r["rework_count"] or "", "反弹" if r["repeat"] else "",
            ])  # fmt: skip
    summary = wb.create_sheet("销号统计")
    summary.append(["责任单位", "问题总数", "已整改", "超期", "返工", "反弹", "销号"])
    for cell in summary[1]:
        cell.font = Font(bold=True)
    for g in pl["units"]:
        summary.append([g["unit_name"], *(g[k] for k in COUNTS), "已销号" if g["ticked_off"] else "未销号"])
    t = pl["totals"]
    summary.append(["合计", *(t[k] for k in COUNTS), "已销号" if pl["ticked_off"] else "未销号"])
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["C"].width = 24
    summary.column_dimensions["A"].width = 24
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
