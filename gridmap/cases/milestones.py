"""The milestones of the closed loop that cases are counted by: which case events mean 立案, 派遣, 返工, 结案 …
and which cases of those due in a period were closed, on time, parked, overdue — defined once, as SQL conditions,
for the case list's filters (:func:`gridmap.cases.queries.case_conditions`) and the scorecards' counts
(:mod:`gridmap.evaluation.counts`), so a figure on a scorecard and the list of cases behind it always agree.

Event kinds take the ``case_events`` and ``cases`` tables (or aliases); due kinds take ``cases`` and the period's
end. A case is *due* in a period when its deadline (as extended or moved by parking) falls inside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from gridmap.store.models import CaseSource, CaseStatus

S = CaseStatus
OPENINGS = ("report", "import")  # a case's first event (not an action of the loop)
PUBLIC_SOURCES = (CaseSource.PUBLIC.value, CaseSource.OPEN311.value)

EventRule = Callable[[Any, Any], ColumnElement[bool]]


def _action(*names: str) -> EventRule:
    return lambda e, _c: e.action.in_(names) if len(names) > 1 else e.action == names[0]


def _opened(e: Any, _c: Any) -> ColumnElement[bool]:
    return or_(and_(e.action.in_(OPENINGS), e.to_status == S.OPEN.value), e.action == "verify")


EVENT_KINDS: dict[str, tuple[str, str, EventRule]] = {
    "reported": ("上报", "reported", _action(*OPENINGS)),
    "opened": ("立案", "opened", _opened),
    "opened_public": ("公众举报核实立案", "opened from public reports",
                      lambda e, c: and_(_opened(e, c), c.source.in_(PUBLIC_SOURCES))),
    "voided": ("作废", "voided", _action("void")),
    "dispatched": ("派遣", "dispatched", _action("dispatch")),
    "sent_back": ("回退", "sent back", _action("send_back")),
    "reported_back": ("处置反馈", "reported back", _action("report_back")),
    "rechecked": ("核查", "re-checked", _action("recheck_pass", "recheck_fail")),
    "reworked": ("返工", "reworked", _action("recheck_fail")),
    "closed": ("结案", "closed", _action("recheck_pass")),
    "extended": ("延期", "extended", _action("approve_extension")),
    "parked": ("挂账", "parked", _action("park")),
    "supervised": ("督办", "supervised", _action("supervise")),
}  # fmt: skip
"""Event kind → (Chinese, English, condition on an event and its case)."""

DueRule = Callable[[Any, dt.datetime, dt.datetime], ColumnElement[bool]]


def _closed_by(c: Any, end: dt.datetime) -> ColumnElement[bool]:
    return and_(c.status == S.CLOSED.value, c.closed_at < end)


DUE_KINDS: dict[str, tuple[str, str, DueRule]] = {
    "due": ("应结案", "due", lambda c, end, now: c.status != S.VOID.value),
    "due_closed": ("结案（应结案中）", "closed (of those due)", lambda c, end, now: _closed_by(c, end)),
    "due_on_time": ("按期结案", "closed on time",
                    lambda c, end, now: and_(_closed_by(c, end), c.closed_at <= c.deadline_at)),
    "due_parked": ("缓办/挂账", "parked", lambda c, end, now: c.status == S.PARKED.value),
    "due_overdue": ("超期未结", "overdue, not closed",
                    lambda c, end, now: and_(c.status.notin_((S.VOID.value, S.PARKED.value)),
                                             or_(c.closed_at.is_(None), c.closed_at >= end),
                                             c.deadline_at < now)),
    "due_reworked": ("返工（应结案中）", "reworked (of those due)",
                     lambda c, end, now: and_(c.status != S.VOID.value, c.rework_count > 0)),
    "due_rework3": ("三次核查不通过", "failed the re-check three times",
                    lambda c, end, now: and_(c.status != S.VOID.value, c.rework_count >= 3)),
    "due_extended": ("延期（应结案中）", "extended (of those due)",
                     lambda c, end, now: and_(c.status != S.VOID.value, c.extension_count > 0)),
}  # fmt: skip
"""Due kind → (Chinese, English, condition on a case due in a period ending at ``end``, judged at ``now``)."""


def due_in(c: Any, start: dt.datetime, end: dt.datetime) -> ColumnElement[bool]:
    """The case's deadline falls in ``[start, end)``."""
    return and_(c.deadline_at >= start, c.deadline_at < end)
