"""The dashboard's figures, read in a few grouped statements, all within the viewer's scope (a unit clerk sees their
unit's cases, a street account its street's). The rates follow the scorecards' rule: of the cases due in a week
(voided and parked ones left out), the share closed, and the share closed by the deadline."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from gridmap.accounts.scope import Scope
from gridmap.cases.states import ACTIVE, S
from gridmap.evaluation import latest_scheme, parse_period, scorecard
from gridmap.responsibility.overview import store_summary
from gridmap.store.models import Area, Case, Scorecard

WEEKS = 8  # the trend's length
HOT_DAYS = 30
HOT_SPOTS = 5
TOP = 3


def _utc(t: dt.datetime) -> dt.datetime:
    return t.astimezone(dt.UTC)


def _aware(t: dt.datetime | None) -> dt.datetime | None:
    return t if t is None or t.tzinfo else t.replace(tzinfo=dt.UTC)


def _n(value: object) -> int:
    return int(value) if isinstance(value, int | float) else 0


def figures(session: Session, scope: Scope | None, now: dt.datetime, tz: dt.tzinfo) -> dict[str, Any]:
    """Everything the dashboard shows, as of ``now`` (aware), days and weeks in ``tz``."""
    local = now.astimezone(tz)
    today = dt.datetime.combine(local.date(), dt.time(0), tzinfo=tz)
    week = today - dt.timedelta(days=local.weekday())
    within = scope.case_filter() if scope is not None else []
    real = [*within, Case.duplicate_of.is_(None)]
    active = [s.value for s in ACTIVE]
    live = [s.value for s in ACTIVE if s not in (S.PARKED, S.PENDING)]
    reports_today, reports_week, open_now, overdue_now, closed_week = session.execute(
        select(
            func.sum(case((Case.created_at >= _utc(today), 1), else_=0)),
            func.sum(case((Case.created_at >= _utc(week), 1), else_=0)),
            func.sum(case((Case.status.in_(active), 1), else_=0)),
            func.sum(case((and_(Case.status.in_(live), Case.deadline_at < _utc(now)), 1), else_=0)),
            func.sum(case((and_(Case.status == S.CLOSED.value, Case.closed_at >= _utc(week)), 1), else_=0)),
        ).where(*real)
    ).one()
    summary = store_summary(session, on=local.date(), scope=scope)
    cover_total = sum(_n(summary[k]) for k in ("grids", "segments", "compounds"))
    cover_done = sum(_n(summary[f"{k}_assigned"]) for k in ("grids", "segments", "compounds"))
    return {
        "as_of": local.strftime("%Y-%m-%d %H:%M"),
        "reports_today": int(reports_today or 0),
        "reports_week": int(reports_week or 0),
        "open": int(open_now or 0),
        "overdue": int(overdue_now or 0),
        "closed_week": int(closed_week or 0),
        "coverage": round(100.0 * cover_done / cover_total, 1) if cover_total else None,
        "trend": _trend(session, real, week, now),
        "ranking": _ranking(session, now, tz),
        "hot_spots": _hot_spots(session, real, now),
    }


def _trend(session: Session, real: list[Any], week: dt.datetime, now: dt.datetime) -> dict[str, Any]:
    """Closure and on-time rates (%) of the cases due in each of the last :data:`WEEKS` weeks (this one last)."""
    starts = [week - dt.timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)]
    rows = session.execute(
        select(Case.deadline_at, Case.closed_at, Case.status).where(
            *real, Case.deadline_at >= _utc(starts[0]), Case.deadline_at < _utc(now),
            Case.status.notin_((S.VOID.value, S.PARKED.value)),
        )
    ).all()  # fmt: skip
    due = [0] * WEEKS
    closed = [0] * WEEKS
    on_time = [0] * WEEKS
    for deadline, closed_at, status in rows:
        d, c = _aware(deadline), _aware(closed_at)
        assert d is not None
        i = min(WEEKS - 1, max(0, (d - starts[0]).days // 7))
        due[i] += 1
        if status == S.CLOSED.value and c is not None:
            closed[i] += 1
            on_time[i] += c <= d

    def rate(n: list[int]) -> list[float | None]:
        return [round(100.0 * n[i] / due[i], 1) if due[i] else None for i in range(WEEKS)]

    iso = [s.isocalendar() for s in starts]
    return {"weeks": [f"{w.year}-W{w.week:02d}" for w in iso], "labels_zh": [f"第{w.week}周" for w in iso],
            "due": due, "closure": rate(closed), "on_time": rate(on_time)}  # fmt: skip


def _ranking(session: Session, now: dt.datetime, tz: dt.tzinfo) -> dict[str, Any] | None:
    """The top and bottom units of the latest published unit scorecard (None: nothing published yet)."""
    head = session.scalars(
        select(Scorecard).where(Scorecard.subject == "unit")
        .order_by(Scorecard.period_start.desc(), Scorecard.published_at.desc()).limit(1)
    ).first()  # fmt: skip
    if head is None:
        return None
    card = scorecard(session, latest_scheme(session, head.scheme_code), parse_period(head.period, tz), now)
    scored = sorted((r for r in card["rows"] if r["score"] is not None), key=lambda r: (-r["score"], r["name"]))
    line = [{"name": r["name"], "score": r["score"], "grade": r["grade"]} for r in scored]
    period, scheme = card["period"], card["scheme"]
    return {"period": period["key"], "label_zh": period["label_zh"], "scheme": scheme["name_zh"],
            "top": line[:TOP], "bottom": line[TOP:][-TOP:][::-1] if len(line) > TOP else []}  # fmt: skip


def _hot_spots(session: Session, real: list[Any], now: dt.datetime) -> list[dict[str, Any]]:
    """The communities with the most reports in the last :data:`HOT_DAYS` days, with their open ones."""
    since = _utc(now - dt.timedelta(days=HOT_DAYS))
    active = [s.value for s in ACTIVE]
    rows = session.execute(
        select(Area.name, func.count(Case.id), func.sum(case((Case.status.in_(active), 1), else_=0)))
        .join(Area, Area.id == Case.community_id)
        .where(*real, Case.created_at >= since)
        .group_by(Area.id, Area.name)
        .order_by(func.count(Case.id).desc(), Area.name)
        .limit(HOT_SPOTS)
    ).all()
    return [{"name": n, "reports": int(c), "open": int(o or 0)} for n, c, o in rows]
