"""What a notice says, built once from the period's published scorecards (never a live one): the summary figures,
each scheme's ranking table per peer group with its first and last named, the cases overdue and reworked in the
period, and — when the period is a month — the shops' flags of that month; each scheme's trend (its peer groups'
average score in this period and the last three). The renderers only lay this out, so the
PDF, the XLSX and the preview always say the same thing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from gridmap.cases.states import STATUS_ZH
from gridmap.errors import NotFound
from gridmap.evaluation import Period, latest_scheme, scorecard, trends
from gridmap.shops import reads as shop_reads
from gridmap.store.models import Case, Category, EvaluationScheme, Scorecard, Unit

LIST_LIMIT = 200  # overdue / rework cases listed by name; the totals count them all


def _aware(t: dt.datetime) -> dt.datetime:
    """A stored time: SQLite gives it back without its zone, and gridmap stores UTC."""
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def published_periods(session: Session) -> list[dict[str, Any]]:
    """Every period with at least one published scorecard (newest first), with its schemes: the notice archive."""
    rows = session.execute(
        select(EvaluationScheme.name_zh, Scorecard.period, Scorecard.published_at, Scorecard.published_by)
        .join(EvaluationScheme, EvaluationScheme.id == Scorecard.scheme_id)
        .order_by(Scorecard.period_start.desc(), Scorecard.period, Scorecard.scheme_code)
    ).all()
    out: dict[str, dict[str, Any]] = {}
    for code, period, at, by in rows:
        entry = out.setdefault(period, {"period": period, "schemes": [], "published_at": at, "published_by": by})
        entry["schemes"].append(code)
        if at > entry["published_at"]:
            entry["published_at"], entry["published_by"] = at, by
    return [{**e, "published_at": _aware(e["published_at"]).isoformat()} for e in out.values()]


def build(session: Session, period: Period, now: dt.datetime) -> dict[str, Any]:
    """The notice of ``period``. NotFound (with a zh sentence) when no scorecard of it is published."""
    heads = session.scalars(
        select(Scorecard).where(Scorecard.period == period.key).order_by(Scorecard.subject, Scorecard.scheme_code)
    ).all()
    if not heads:
        raise NotFound(f"no scorecard of {period.key} is published: a notice is made from a published scorecard",
                       zh=f"{period.label()}尚无已发布的考核结果，通报只能依据已发布的考核结果生成")  # fmt: skip
    sections = []
    for h in heads:
        scheme = latest_scheme(session, h.scheme_code)
        card = scorecard(session, scheme, period, now)
        sections.append({**_section(card), "trend": _trend(card, trends(session, scheme, period, now))})
    overdue, overdue_total = _overdue(session, period, now)
    rework, rework_total = _rework(session, period)
    flags = _flags(session, period)
    scored = [r for s in sections for g in s["groups"] for r in g["rows"]]
    summary = {
        "schemes": len(sections),
        "subjects": sum(s["subjects"] for s in sections),
        "ranked": sum(1 for r in scored if r["rank"] is not None),
        "overdue": overdue_total,
        "rework": rework_total,
        "red_flags": len(flags["red"]),
        "black_flags": len(flags["black"]),
    }
    return {
        "period": {"key": period.key, "kind": period.kind, "label_zh": period.label("zh_CN"),
                   "start": period.start.isoformat(), "end": period.end.isoformat()},
        "title_zh": f"{period.label('zh_CN')}城市管理考核通报",
        "made_at": now.astimezone(period.tz).strftime("%Y-%m-%d %H:%M"),
        "published_at": max(_aware(h.published_at) for h in heads).astimezone(period.tz).strftime("%Y-%m-%d %H:%M"),
        "summary": summary,
        "sections": sections,
        "overdue": overdue,
        "rework": rework,
        "flags": flags,
        "list_limit": LIST_LIMIT,
    }  # fmt: skip


def _section(card: dict[str, Any]) -> dict[str, Any]:
    """One scheme's tables: a table per peer group in rank order (unranked last), first and last named."""
    names = {i["key"]: i["name_zh"] for i in card["indicators"]}
    keys = list(names)
    by_group: dict[str | None, list[dict[str, Any]]] = {}
    for r in card["rows"]:
        by_group.setdefault(r["group"], []).append(r)
    group_names = {g["key"]: g["name_zh"] for g in card["groups"]}
    groups = []
    for key in sorted(by_group, key=lambda k: (k is None, k or "")):
        rows = sorted(by_group[key], key=lambda r: (r["rank"] is None, r["rank"] or 0, r["name"]))
        table = [{"rank": r["rank"], "name": r["name"], "score": r["score"], "grade": r["grade"],
                  "values": [r["values"].get(k) for k in keys]} for r in rows]  # fmt: skip
        ranked = [t for t in table if t["rank"] is not None]
        groups.append({
            "key": key, "name_zh": group_names.get(key, key) if key else "未分组", "rows": table,
            "first": [t["name"] for t in ranked if t["rank"] == ranked[0]["rank"]] if ranked else [],
            "last": [t["name"] for t in ranked if t["rank"] == ranked[-1]["rank"]] if len(ranked) > 1 else [],
        })  # fmt: skip
    scores = [r["score"] for r in card["rows"] if r["score"] is not None]
    return {
        "code": card["scheme"]["code"], "name_zh": card["scheme"]["name_zh"], "version": card["scheme"]["version"],
        "subject": card["scheme"]["subject"], "published": card["published"], "indicators": [names[k] for k in keys],
        "subjects": len(card["rows"]), "average": round(sum(scores) / len(scores), 2) if scores else None,
        "groups": groups,
    }  # fmt: skip


def _trend(card: dict[str, Any], got: dict[str, Any]) -> dict[str, Any]:
    """Each peer group's average score in the three periods before this one and in it (oldest first; None where
    none of its subjects scored): the rankings' trend, this period against the last three."""
    group_names = {g["key"]: g["name_zh"] for g in card["groups"]}
    group_of = {r["subject_id"]: r["group"] for r in card["rows"]}
    series = []
    for key in sorted({g for g in group_of.values()}, key=lambda k: (k is None, k or "")):
        members = [
            s["scores"] for s in got["series"] if s["subject_id"] in group_of and group_of[s["subject_id"]] == key
        ]
        averages: list[float | None] = []
        for i in range(len(got["periods"])):
            scores = [m[i] for m in members if m[i] is not None]
            averages.append(round(sum(scores) / len(scores), 2) if scores else None)
        series.append({"name_zh": group_names.get(key, key) if key else "未分组", "averages": averages})
    return {"labels_zh": got["labels_zh"], "groups": series}


def _case_line(c: Case, unit: str | None, category: str | None, tz: dt.tzinfo) -> dict[str, Any]:
    def local(t: dt.datetime | None) -> str | None:
        if t is None:
            return None
        return (t if t.tzinfo else t.replace(tzinfo=dt.UTC)).astimezone(tz).strftime("%Y-%m-%d %H:%M")

    status = STATUS_ZH.get(c.status, c.status)  # type: ignore[call-overload]  # a stored str keys the StrEnum map
    return {"id": c.id, "category": category or c.category, "address": c.address, "unit": unit, "status": status,
            "deadline": local(c.deadline_at), "closed": local(c.closed_at), "rework": c.rework_count}  # fmt: skip


def _listed(session: Session, cond: Any, order: Any, tz: dt.tzinfo) -> tuple[list[dict[str, Any]], int]:
    total = session.scalar(select(func.count()).select_from(Case).where(cond)) or 0
    rows = session.execute(
        select(Case, Unit.name, Category.name_zh).outerjoin(Unit, Unit.id == Case.unit_id)
        .outerjoin(Category, Category.code == Case.category).where(cond).order_by(*order, Case.id).limit(LIST_LIMIT)
    ).all()  # fmt: skip
    return [_case_line(c, u, k, tz) for c, u, k in rows], total


def _overdue(session: Session, period: Period, now: dt.datetime) -> tuple[list[dict[str, Any]], int]:
    """Cases due in the period and not closed in time: closed after the deadline, or still open past it (voided
    and parked 挂账 cases are not the unit's delay, as in the scorecards)."""
    due = and_(Case.deadline_at >= period.start_utc, Case.deadline_at < period.end_utc, Case.duplicate_of.is_(None),
               Case.status.notin_(("void", "parked")))  # fmt: skip
    late = or_(Case.closed_at > Case.deadline_at, and_(Case.closed_at.is_(None), Case.deadline_at < now))
    return _listed(session, and_(due, late), (Case.deadline_at,), period.tz)


def _rework(session: Session, period: Period) -> tuple[list[dict[str, Any]], int]:
    """Cases reported in the period that were sent back for rework at least once (most reworked first)."""
    cond = and_(Case.created_at >= period.start_utc, Case.created_at < period.end_utc, Case.rework_count > 0)
    return _listed(session, cond, (Case.rework_count.desc(),), period.tz)


def _flags(session: Session, period: Period) -> dict[str, Any]:
    """The month's shop flags (red, yellow/black with the ladder step); none for a week or other period."""
    if period.kind != "month":
        return {"month": None, "red": [], "black": []}
    if period.key not in shop_reads.months_scored(session):
        return {"month": period.key, "red": [], "black": []}
    got = shop_reads.ranking(session, period.key, "zh_CN")

    def line(e: dict[str, Any]) -> dict[str, Any]:
        f = e["flag"] or {}
        return {"name": e["name"], "street": e["street"], "road": e["road"], "points": e["points"],
                "flag": f.get("color_name"), "step": f.get("step_name"), "fail_streak": e["fail_streak"]}  # fmt: skip

    return {"month": period.key, "red": [line(e) for e in got["red"]], "black": [line(e) for e in got["black"]]}
