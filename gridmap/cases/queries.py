"""Reading cases: one case with its actions and history (:func:`get_case`), the filters shared with the heatmap
(:func:`case_conditions`), the paged list (:func:`list_cases`) and the row-to-answer summary they share."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from sqlalchemy import ColumnElement, Text, and_, bindparam, cast, false, func, or_, select
from sqlalchemy.orm import Session

from gridmap.accounts.actor import Actor
from gridmap.accounts.roles import SEES_PEOPLE, SEES_PHOTOS, sees_contacts
from gridmap.accounts.scope import scope_of
from gridmap.cases.deadlines import progress_of
from gridmap.cases.milestones import DUE_KINDS, EVENT_KINDS, due_in
from gridmap.cases.states import ACTIONS, ACTIVE, STATUS_ZH, S, allowed_actions
from gridmap.cases.values import local_iso, now_or, parse_time
from gridmap.catalogue.categories import load_calendar
from gridmap.catalogue.working_calendar import WorkingCalendar
from gridmap.config import Settings
from gridmap.errors import Forbidden, InvalidInput, NotFound, Problem
from gridmap.inputs import parse_flag, parse_int
from gridmap.store.models import Account, Area, Case, CaseEvent, CaseStatus, Category, Unit

# the steps that are no action of the loop: the first event of a case, and the move of a merged unit's case
_OPENING_ZH = {"report": "上报", "import": "批量导入", "unit_merge": "单位合并移交"}
CONTACT_KEYS = ("email", "phone", "device_id", "account_id")  # a reporter's contacts in an opening event's data
PHOTO_KEYS = ("media_url",)  # an Open311 client's photo link


COUNT_CAP = 10_000  # the list counts this many matches at most (~10 ms): past it, "10,000+" — narrow the filters


@functools.cache
def case_select():
    """A case with its unit's and category's names (built once: statements are immutable, and building one
    costs more than running it)."""
    return (
        select(Case.__table__, Unit.name.label("unit_name"), Category.name_zh.label("category_name"))
        .select_from(Case.__table__)
        .join(Unit, Unit.id == Case.unit_id, isouter=True)
        .join(Category, Category.code == Case.category, isouter=True)
    )


@functools.cache
def _by_id():
    return case_select().where(Case.id == bindparam("case_id"))


@functools.cache
def _history():
    duplicates = select(Case.id).where(Case.duplicate_of == bindparam("case_id")).order_by(Case.id)
    events = select(CaseEvent).where(CaseEvent.case_id == bindparam("case_id")).order_by(CaseEvent.seq)
    return duplicates, events


def case_row(session: Session, case_id: int):
    row = session.execute(_by_id(), {"case_id": case_id}).first()
    if row is None:
        raise NotFound(f"no case {case_id}", zh=f"案件 {case_id} 不存在")
    return row


def summary_of(row: Any, cal: WorkingCalendar, now: dt.datetime) -> dict[str, object]:
    return {
        "id": row.id,
        "client_id": row.client_id,
        "status": row.status,
        "status_zh": STATUS_ZH[S(row.status)],
        "source": row.source,
        "category": row.category,
        "category_name": row.category_name,
        "urgency": row.urgency,
        "description": row.description,
        "address": row.address,
        "lon": row.lon,
        "lat": row.lat,
        "reporter": row.reporter,
        "observed_at": local_iso(row.observed_at, cal),
        "created_at": local_iso(row.created_at, cal),
        "updated_at": local_iso(row.updated_at, cal),
        "unit": {"id": row.unit_id, "name": row.unit_name} if row.unit_id else None,
        "matched": {"kind": row.matched_kind, "id": row.matched_id, "name": row.matched_name}
        if row.matched_kind
        else None,
        "rule": row.rule,
        "distance_m": row.distance_m,
        "ambiguous": row.ambiguous,
        "street_id": row.street_id,
        "community_id": row.community_id,
        "deadline": local_iso(row.deadline_at, cal),
        "deadline_unit": row.deadline_unit,
        "duplicate_of": row.duplicate_of,
        "verified": row.verified,
        "flags": row.flags or [],
        "closed_at": local_iso(row.closed_at, cal),
        "rework_count": row.rework_count,
        "extension_count": row.extension_count,
        "extension_requested_seconds": row.extension_requested_seconds,
        "supervision_level": row.supervision_level,
        "paused_seconds": row.paused_seconds,
        "version": row.version,
        "progress": progress_of(row, cal, now),
    }


def get_case(
    session: Session,
    case_id: int,
    settings: Settings,
    *,
    now: dt.datetime | None = None,
    actor: Actor | None = None,
) -> dict[str, object]:
    """A case with its traffic light, the actions allowed now, its duplicates and its full event history — as
    ``actor`` may see it (None: everything): outside their scope it is Forbidden; the reporter's contacts and the
    photos only for the roles that need them; the allowed actions those of their role."""
    now = now_or(now)
    cal = load_calendar(session, settings.cases)
    row = case_row(session, case_id)
    scope = scope_of(session, actor) if actor is not None else None
    if scope is not None:
        scope.check_case(row.id, row.street_id, row.community_id, row.unit_id, row.withheld)
    body = summary_of(row, cal, now)
    role = None if actor is None or actor.is_system else actor.role
    body["allowed_actions"] = allowed_actions(row.status, row.extension_requested_seconds is not None, role)
    body["routing"] = row.routing
    duplicates, history = _history()
    body["duplicates"] = list(session.scalars(duplicates, {"case_id": case_id}).all())
    events = session.scalars(history, {"case_id": case_id}).all()
    accounts = _accounts(session, {e.actor for e in events})
    body["events"] = [
        {
            "seq": e.seq,
            "action": e.action,
            "action_zh": ACTIONS[e.action].label_zh if e.action in ACTIONS else _OPENING_ZH.get(e.action, e.action),
            "from_status": e.from_status,
            "to_status": e.to_status,
            "actor": e.actor,
            "actor_name": accounts.get(e.actor, (None, None))[0],
            "actor_role": accounts.get(e.actor, (None, None))[1],
            "at": local_iso(e.at, cal),
            "note": e.note,
            "photos": [{**p, "url": f"/api/v1/photos/{p['file']}"} for p in (e.photos or []) if isinstance(p, dict)],
            "data": e.data,
        }
        for e in events
    ]
    return redact(body, actor)


def _accounts(session: Session, usernames: set[str]) -> dict[str, tuple[str, str]]:
    """The accounts among the actors of a history, by username: (display name, role) — one query. Other actors (the
    command line, the public, a client's note from before accounts) are not accounts."""
    if not usernames:
        return {}
    rows = session.execute(
        select(Account.username, Account.name, Account.role).where(Account.username.in_(sorted(usernames)))
    )
    return {u: (n, r) for u, n, r in rows}


def check_photo(session: Session, file: str, actor: Actor) -> None:
    """May ``actor`` see the stored photo ``file``? Only as one of a case they may see: a photo no case refers to is
    NotFound, one of cases all outside their scope is Forbidden (as each case would be)."""
    if not actor.has(*SEES_PHOTOS) and not actor.is_system:
        raise Forbidden("your role does not see case photos", zh="您的角色无权查看案件照片")
    rows = session.execute(
        select(Case.id, Case.street_id, Case.community_id, Case.unit_id, Case.withheld)
        .join(CaseEvent, CaseEvent.case_id == Case.id)
        .where(cast(CaseEvent.photos, Text).like(f'%"{file}"%'))  # a stored name: hex digits and an extension
        .distinct()
    ).all()
    if not rows:
        raise NotFound(f"no photo {file}", zh="照片不存在")
    scope = scope_of(session, actor)
    if scope is None or any(scope.holds_case(r.street_id, r.community_id, r.unit_id, r.withheld) for r in rows):
        return
    scope.check_case(rows[0].id, rows[0].street_id, rows[0].community_id, rows[0].unit_id, rows[0].withheld)


def redact(body: dict[str, Any], actor: Actor | None) -> dict[str, Any]:
    """A case (summary or full) without what ``actor`` may not see: the reporter and their contacts (roles that
    do not see contacts), the photos (roles that do not see photos), who took each step (the public)."""
    if actor is None:
        return body
    contacts = sees_contacts(actor)
    photos = actor.has(*SEES_PHOTOS)
    if not contacts:
        body["reporter"] = None
    hidden = (() if contacts else CONTACT_KEYS) + (() if photos else PHOTO_KEYS)
    people = actor.has(*SEES_PEOPLE)
    for event in body.get("events", ()):
        if not people:  # who took a step: their role, not their name or username
            event["actor"] = event["actor_name"] = None
        if not photos:
            event["photos"] = []
        if hidden and isinstance(event.get("data"), dict):
            event["data"] = {k: v for k, v in event["data"].items() if k not in hidden}
    return body


CASE_FILTERS = (
    "status",
    "category",
    "source",
    "unit",
    "street",
    "community",
    "from",
    "to",
    "overdue",
    "duplicate",
    "event",
    "event_from",
    "event_to",
    "event_by",
    "due",
    "due_from",
    "due_to",
)


def case_conditions(
    session: Session,
    filters: dict[str, Any],
    now: dt.datetime,
    tz: dt.tzinfo,
    problems: list[Problem],
    *,
    actor: Actor | None = None,
) -> list[Any]:
    """SQL conditions for the case filters shared by the case list and the heatmap (one rule for both).

    ``status``: statuses, or ``active`` (every status still in the loop) or ``all``; ``category``: codes (a class
    includes its sub-classes); ``unit``: ids or codes; ``street``/``community``: area codes; ``from``/``to``:
    opening time; ``overdue``/``duplicate``: true/false; ``event`` (a milestone of
    :data:`~gridmap.cases.milestones.EVENT_KINDS`) with ``event_from``/``event_to``/``event_by`` (its time and
    actor): the cases with such a step; ``due`` (one of :data:`~gridmap.cases.milestones.DUE_KINDS`) with
    ``due_from``/``due_to``: the cases due in that period of that kind (the scorecards' figures link here); and
    always ``actor``'s scope. Problems are appended, not raised, so every one can be reported.
    """

    def _list(key: str) -> list[str]:
        raw = filters.get(key)
        if raw in (None, ""):
            return []
        return [s.strip() for s in str(raw).split(",") if s.strip()]

    scope = scope_of(session, actor) if actor is not None else None
    conds: list[Any] = scope.case_filter() if scope is not None else []
    known_status = {x.value for x in CaseStatus}
    wanted: set[str] = set()
    statuses = _list("status")
    for s in statuses:
        if s == "active":
            wanted |= {a.value for a in ACTIVE}
        elif s in known_status:
            wanted.add(s)
        elif s != "all":
            problems.append(
                Problem(
                    f"{s!r} is not active, all or one of {', '.join(sorted(known_status))}",
                    field="status",
                    zh=f"未知的状态“{s[:40]}”",
                )
            )
    if wanted and "all" not in statuses:
        conds.append(Case.status.in_(sorted(wanted)))
    codes = _list("category")
    if codes:
        known = set(session.scalars(select(Category.code).where(Category.code.in_(codes))).all())
        for c in codes:
            if c not in known:
                problems.append(Problem(f"unknown category {c!r}", field="category", zh=f"未知的类别“{c[:40]}”"))
        subs = set(session.scalars(select(Category.code).where(Category.parent_code.in_(codes))).all())
        conds.append(Case.category.in_(sorted(set(codes) | subs)))
    sources = _list("source")
    if sources:
        conds.append(Case.source.in_(sources))
    units = _list("unit")
    if units:
        ids: list[int] = []
        for u in units:
            uid = int(u) if u.isdigit() and len(u) < 10 else session.scalar(select(Unit.id).where(Unit.code == u[:64]))
            if uid is None or session.get(Unit, uid) is None:
                problems.append(
                    Problem(f"no unit {u!r} (give its id or code)", field="unit", zh=f"单位“{u[:40]}”不存在")
                )
            else:
                ids.append(uid)
        conds.append(Case.unit_id.in_(ids))
    for key, column in (("street", Case.street_id), ("community", Case.community_id)):
        wanted_codes = _list(key)
        if wanted_codes:
            found = dict(
                session.execute(select(Area.code, Area.id).where(Area.code.in_(wanted_codes), Area.level == key)).all()
            )
            for code in wanted_codes:
                if code not in found:
                    problems.append(
                        Problem(f"no {key} with code {code!r}", field=key, zh=f"代码为“{code[:40]}”的区域不存在")
                    )
            conds.append(column.in_(list(found.values())))
    start = parse_time(filters.get("from"), "from", tz, problems)
    end = parse_time(filters.get("to"), "to", tz, problems)
    if start and end and end <= start:
        problems.append(
            Problem(
                f"the period ends ({filters.get('to')}) before it starts ({filters.get('from')})",
                field="to",
                zh=f"结束日期（{filters.get('to')}）早于开始日期（{filters.get('from')}）",
            )
        )
    if start:
        conds.append(Case.created_at >= start)
    if end:
        conds.append(Case.created_at < end)
    overdue = parse_flag(filters.get("overdue"), "overdue", problems)
    live = sorted(s.value for s in ACTIVE if s not in (S.PARKED, S.PENDING))
    if wanted and "all" not in statuses:  # only the branches the status filter leaves: an index can serve them
        live = [s for s in live if s in wanted]
    branches = [
        and_(Case.status.in_(live), Case.deadline_at < now) if live else None,
        and_(Case.status == S.PARKED, Case.deadline_at < Case.paused_at)
        if not wanted or "all" in statuses or S.PARKED.value in wanted
        else None,
        # most of the table is closed: no index narrows this branch, and an indexable one makes SQLite gather
        # every closed case's row by index (3 s at 1,000,000 cases) instead of walking the newest ids to the page
        and_(func.coalesce(Case.status, "") == S.CLOSED, Case.deadline_at < Case.closed_at)
        if not wanted or "all" in statuses or S.CLOSED.value in wanted
        else None,
    ]
    kept = [b for b in branches if b is not None]
    is_overdue = or_(*kept) if kept else false()
    if overdue is True:
        conds.append(is_overdue)
    elif overdue is False:
        conds.append(~is_overdue | Case.deadline_at.is_(None))
    duplicate = parse_flag(filters.get("duplicate"), "duplicate", problems)
    if duplicate is not None:
        conds.append(Case.duplicate_of.isnot(None) if duplicate else Case.duplicate_of.is_(None))
    conds.extend(_milestone_conditions(filters, now, tz, problems))
    return conds


def _milestone_conditions(
    filters: dict[str, Any], now: dt.datetime, tz: dt.tzinfo, problems: list[Problem]
) -> list[Any]:
    """``event``/``due`` filters: the cases a scorecard's figure counts (:mod:`gridmap.cases.milestones`)."""
    conds: list[Any] = []
    event_start = parse_time(filters.get("event_from"), "event_from", tz, problems)
    event_end = parse_time(filters.get("event_to"), "event_to", tz, problems)
    kind = filters.get("event")
    by = filters.get("event_by")
    if kind not in (None, "") or by not in (None, ""):
        rule = EVENT_KINDS.get(str(kind or "reported"))
        if rule is None:
            problems.append(Problem(f"{str(kind)[:40]!r} is not one of {', '.join(EVENT_KINDS)}", field="event",
                                    zh=f"未知的环节“{str(kind)[:40]}”"))  # fmt: skip
        else:
            e = CaseEvent.__table__
            where = [e.c.case_id == Case.id, rule[2](e.c, Case)]
            if event_start:
                where.append(e.c.at >= event_start)
            if event_end:
                where.append(e.c.at < event_end)
            if by not in (None, ""):
                where.append(e.c.actor == str(by)[:200])
            conds.append(select(e.c.id).where(*where).exists())
    due = filters.get("due")
    due_start = parse_time(filters.get("due_from"), "due_from", tz, problems)
    due_end = parse_time(filters.get("due_to"), "due_to", tz, problems)
    if due not in (None, ""):
        due_rule = DUE_KINDS.get(str(due))
        if due_rule is None:
            problems.append(Problem(f"{str(due)[:40]!r} is not one of {', '.join(DUE_KINDS)}", field="due",
                                    zh=f"未知的应结案类别“{str(due)[:40]}”"))  # fmt: skip
        elif due_start is None or due_end is None:
            problems.append(Problem("due needs due_from and due_to", field="due", zh="须同时给出 due_from 和 due_to"))
        else:
            conds.extend([due_in(Case, due_start, due_end), due_rule[2](Case, due_end, now)])
    return conds


def list_cases(
    session: Session,
    filters: dict[str, Any],
    settings: Settings,
    *,
    now: dt.datetime | None = None,
    actor: Actor | None = None,
) -> dict[str, Any]:
    """Cases filtered by :func:`case_conditions` (status, category, unit, street/community, period, overdue,
    source, duplicate) within ``actor``'s scope; paged and sorted, as ``actor`` may see them."""
    now = now_or(now)
    cal = load_calendar(session, settings.cases)
    problems: list[Problem] = []
    stmt = case_select()
    conds = case_conditions(session, filters, now, cal.tz, problems, actor=actor)
    page = parse_int(filters.get("page"), "page", problems, lo=1, hi=1_000_000, default=1) or 1
    per_page = parse_int(filters.get("per_page"), "per_page", problems, lo=1, hi=500, default=50) or 50
    sort = filters.get("sort") or "newest"
    if sort not in ("newest", "oldest", "deadline"):
        problems.append(Problem(f"{sort!r} is not newest, oldest or deadline", field="sort", zh="排序方式未知"))
    after = parse_int(filters.get("after"), "after", problems, lo=1, default=None)
    if after is not None and sort == "deadline":
        problems.append(
            Problem("after pages the newest or oldest sort only", field="after", zh="after 仅用于按最新或最早排序翻页")
        )
    if problems:
        raise InvalidInput(problems)
    cases = Case.__table__
    matching = select(cases.c.id).where(*conds)  # the cases table alone: no join before the page is chosen
    total = session.scalar(select(func.count()).select_from(matching.limit(COUNT_CAP + 1).subquery()))
    orders: dict[str, list[ColumnElement[Any]]] = {
        "newest": [Case.id.desc()],
        "oldest": [Case.id.asc()],
        "deadline": [Case.deadline_at.is_(None), Case.deadline_at.asc(), Case.id.asc()],
    }
    order = orders[sort]
    if after is not None:  # keyset: the next page starts past the last id seen, whatever the depth
        chosen = matching.where(cases.c.id < after if sort == "newest" else cases.c.id > after)
        page_ids = chosen.order_by(*order).limit(per_page)
    else:
        page_ids = matching.order_by(*order).limit(per_page).offset((page - 1) * per_page)
    rows = session.execute(stmt.where(Case.id.in_(page_ids.scalar_subquery())).order_by(*order)).all()
    return {
        "total": min(total or 0, COUNT_CAP),
        "total_exact": (total or 0) <= COUNT_CAP,
        "next_after": rows[-1].id if len(rows) == per_page and sort != "deadline" else None,
        "page": page,
        "per_page": per_page,
        "items": [redact(summary_of(r, cal, now), actor) for r in rows],
    }
