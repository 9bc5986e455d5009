"""The states of a case and the actions between them: statuses (with their Chinese labels), ``ACTIVE`` and
``TERMINAL``, the :data:`ACTIONS` table and :func:`allowed_actions` — the workflow's vocabulary, free of I/O."""

from __future__ import annotations

from dataclasses import dataclass

from gridmap.store.models import AccountRole, CaseStatus

S = CaseStatus
R = AccountRole
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
    roles: frozenset[str]  # who may take the step (within their scope; a unit clerk: on their unit's cases)
    needs_note: bool = False
    extension: str | None = None  # "none": no request may be pending; "pending": one must be


# Who takes which step (DOMAIN.md's loop, issue 11's roles): the dispatcher verifies, dispatches and re-checks; the
# unit (its clerk) accepts, reports back, sends back, asks for time; grid workers and inspectors re-check on site; the
# commander may do anything in their scope and alone decides extensions, parking, supervision and voiding.
_DESK = (R.COMMANDER, R.DISPATCHER)
_UNIT = (R.COMMANDER, R.UNIT_CLERK)
_RECHECK = (R.COMMANDER, R.DISPATCHER, R.GRID_WORKER, R.INSPECTOR)
_COMMAND = (R.COMMANDER,)


def _a(name, zh, sources, target, roles, **kw) -> Action:
    return Action(name, zh, frozenset(sources), target, frozenset(str(r) for r in roles), **kw)


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        _a("verify", "核实立案", {S.PENDING}, S.OPEN, _DESK),
        _a("dispatch", "派遣", {S.OPEN}, S.DISPATCHED, _DESK),
        _a("accept", "签收", {S.DISPATCHED}, S.IN_PROGRESS, _UNIT),
        _a("report_back", "处置反馈", {S.IN_PROGRESS}, S.REPORTED_BACK, _UNIT),
        _a("recheck_pass", "核查通过（结案）", {S.REPORTED_BACK}, S.CLOSED, _RECHECK),
        _a("recheck_fail", "核查不通过（返工）", {S.REPORTED_BACK}, S.IN_PROGRESS, _RECHECK, needs_note=True),
        _a("send_back", "回退", {S.DISPATCHED, S.IN_PROGRESS}, S.OPEN, _UNIT, needs_note=True),
        _a("request_extension", "申请延期", {S.DISPATCHED, S.IN_PROGRESS}, None, _UNIT, extension="none"),
        _a("approve_extension", "批准延期", {S.DISPATCHED, S.IN_PROGRESS}, None, _COMMAND, extension="pending"),
        _a("reject_extension", "驳回延期", {S.DISPATCHED, S.IN_PROGRESS}, None, _COMMAND, extension="pending"),
        _a("park", "挂账", {S.OPEN, S.DISPATCHED, S.IN_PROGRESS}, S.PARKED, _COMMAND, needs_note=True),
        _a("resume", "恢复（取消挂账）", {S.PARKED}, None, _COMMAND),
        _a(
            "supervise",
            "督办",
            {S.OPEN, S.DISPATCHED, S.IN_PROGRESS, S.REPORTED_BACK, S.PARKED},
            None,
            _COMMAND,
            needs_note=True,
        ),
        _a("void", "作废", ACTIVE, S.VOID, _COMMAND, needs_note=True),
    )
}


def allowed_actions(status: str, extension_pending: bool, role: str | None = None) -> list[str]:
    """The actions possible from ``status`` (and the extension request state), in workflow order; with ``role``,
    only those that role may take."""
    out = []
    for a in ACTIONS.values():
        if role is not None and role not in a.roles:
            continue
        if status not in a.sources:
            continue
        if a.extension == "none" and extension_pending:
            continue
        if a.extension == "pending" and not extension_pending:
            continue
        out.append(a.name)
    return out
