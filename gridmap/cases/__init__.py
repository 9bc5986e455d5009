"""The case workflow: a routed report opens a case that lives through the closed loop (闭环) until it is ticked off.

::

    public/Open311 report ─► pending ──verify──► open ──dispatch──► dispatched ──accept──► in_progress
                               │                  ▲  ▲                   │                  │   ▲
                               void               │  └─── send_back ─────┴──────────────────┘   │ recheck_fail (返工)
                                                  │                                   report_back│
                                                  │                                             ▼
                         park/resume (挂账, clock stopped) ◄──────────────────────────── reported_back
                                                                                              │ recheck_pass
                                                                                              ▼
                                                                                   closed (结案 / 销号)

Side paths: ``request_extension`` / ``approve_extension`` / ``reject_extension`` (延期), ``send_back`` (回退, the
commander re-dispatches, possibly to another unit), ``void`` (作废), ``park`` / ``resume`` (挂账), ``supervise``
(督办, raises the supervision level). Every step appends a :class:`~gridmap.store.models.CaseEvent` with the actor,
time, note and photos.

No check-then-act: a transition is one conditional ``UPDATE cases SET …, version = version + 1 WHERE id = :id AND
version = :v AND status = :from``; zero rows means someone else acted first and the caller gets a
:class:`~gridmap.errors.Conflict`. The event's ``seq`` is the new version and ``(case_id, seq)`` is unique, so two
writers can never both append step *n*. Functions here take a session and plain data, return plain data, and never
commit: the caller's unit of work does.

The modules, each using only those listed before it: :mod:`~gridmap.cases.photos` (photos checked by their bytes
and stored), :mod:`~gridmap.cases.states` (statuses, ``ACTIVE`` /
``TERMINAL``, the action table, Chinese labels), :mod:`~gridmap.cases.values` (times, numbers, texts, points,
JSON-safe values), :mod:`~gridmap.cases.deadlines` (limits, deadlines, the traffic light),
:mod:`~gridmap.cases.spatial` (the areas of a point, the duplicate of a new case), :mod:`~gridmap.cases.queries`
(one case, the filters shared with the heatmap, the list), :mod:`~gridmap.cases.queues` (each role's work
queue, 我的待办), :mod:`~gridmap.cases.reports` (opening a case from a report), :mod:`~gridmap.cases.transitions`
(one step of the loop), :mod:`~gridmap.cases.replay` (many planned steps at once, by the same rules, written in
bulk), :mod:`~gridmap.cases.open311` (Open311 GeoReport v2 over cases) and the sub-package
:mod:`~gridmap.cases.bulk_import` (``gridmap cases import``).
"""

from gridmap.cases.deadlines import limit_for, progress_of
from gridmap.cases.queries import CASE_FILTERS, case_conditions, check_photo, get_case, list_cases
from gridmap.cases.reports import Report, open_report, parse_report, report_answer
from gridmap.cases.spatial import find_duplicate, locate_areas
from gridmap.cases.states import ACTIONS, ACTIVE, STATUS_ZH, TERMINAL, Action, allowed_actions
from gridmap.cases.transitions import transition
from gridmap.cases.values import MAX_DESCRIPTION, parse_time, validate_point

__all__ = [
    "ACTIONS",
    "ACTIVE",
    "CASE_FILTERS",
    "MAX_DESCRIPTION",
    "STATUS_ZH",
    "TERMINAL",
    "Action",
    "Report",
    "allowed_actions",
    "case_conditions",
    "check_photo",
    "find_duplicate",
    "get_case",
    "limit_for",
    "list_cases",
    "locate_areas",
    "open_report",
    "parse_report",
    "parse_time",
    "progress_of",
    "report_answer",
    "transition",
    "validate_point",
]
