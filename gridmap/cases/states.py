"""The states of a case and the actions between them: statuses (with their Chinese labels), ``ACTIVE`` and
``TERMINAL``, the :data:`ACTIONS` table and :func:`allowed_actions` — the workflow's vocabulary, free of I/O."""

from __future__ import annotations

from dataclasses import dataclass

from gridmap.store.models import CaseStatus

S = CaseStatus
ACTIVE = frozenset({S.PENDING, S.OPEN, S.DISPATCHED, S.IN_PROGRESS, S.REPORTED_BACK, S.PARKED})
TERMINAL = frozenset({S.CLOSED, S.VOID})
STATUS_ZH = {
    S.PENDING: "待核实",
    S.OPEN: "已立案",
    S.DISPATCHED: "已派遣",
    S.IN_PROGRESS: "处置中",
    S.REPORTED_BACK: "已反馈待核查",
    S.CLOSED: "已结案",
    S.VOID: "已作废",
    S.PARKED: "挂账",
}


@dataclass(frozen=True)
class Action:
    name: str
    label_zh: str
    sources: frozenset[str]
    target: str | None  # None: the status does not change (or is computed, for resume)
    needs_note: bool = False
    extension: str | None = None  # "none": no request may be pending; "pending": one must be


def _a(name, zh, sources, target, **kw) -> Action:
    return Action(name, zh, frozenset(sources), target, **kw)


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        _a("verify", "核实立案", {S.PENDING}, S.OPEN),
        _a("dispatch", "派遣", {S.OPEN}, S.DISPATCHED),
        _a("accept", "签收", {S.DISPATCHED}, S.IN_PROGRESS),
        _a("report_back", "处置反馈", {S.IN_PROGRESS}, S.REPORTED_BACK),
        _a("recheck_pass", "核查通过（结案）", {S.REPORTED_BACK}, S.CLOSED),
        _a("recheck_fail", "核查不通过（返工）", {S.REPORTED_BACK}, S.IN_PROGRESS, needs_note=True),
        _a("send_back", "回退", {S.DISPATCHED, S.IN_PROGRESS}, S.OPEN, needs_note=True),
        _a("request_extension", "申请延期", {S.DISPATCHED, S.IN_PROGRESS}, None, extension="none"),
        _a("approve_extension", "批准延期", {S.DISPATCHED, S.IN_PROGRESS}, None, extension="pending"),
        _a("reject_extension", "驳回延期", {S.DISPATCHED, S.IN_PROGRESS}, None, extension="pending"),
        _a("park", "挂账", {S.OPEN, S.DISPATCHED, S.IN_PROGRESS}, S.PARKED, needs_note=True),
        _a("resume", "恢复（取消挂账）", {S.PARKED}, None),
        _a(
            "supervise", "督办", {S.OPEN, S.DISPATCHED, S.IN_PROGRESS, S.REPORTED_BACK, S.PARKED}, None, needs_note=True
        ),
        _a("void", "作废", ACTIVE, S.VOID, needs_note=True),
    )
}


def allowed_actions(status: str, extension_pending: bool) -> list[str]:
    """The actions possible from ``status`` (and the extension request state), in workflow order."""
    out = []
    for a in ACTIONS.values():
        if status not in a.sources:
            continue
        if a.extension == "none" and extension_pending:
            continue
        if a.extension == "pending" and not extension_pending:
            continue
        out.append(a.name)
    return out
