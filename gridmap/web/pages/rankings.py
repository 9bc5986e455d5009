"""The rankings page (/rankings: a period's scorecard by peer group, with each subject's trend over the period and
the three before) and a unit's own scorecard (/units/<id>/scorecard: every figure links to the cases it counts)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, g, render_template, request

from gridmap.errors import NotFound
from gridmap.evaluation import SUBJECTS, parse_period, read_scorecard, scheme_for_subject, trends
from gridmap.evaluation.periods import month
from gridmap.gc_pause import paused_gc
from gridmap.web.auth import signed_in
from gridmap.web.i18n import name_in
from gridmap.web.session import db_session
from gridmap.web.state import app_state

bp = Blueprint("rankings", __name__)

WORDS: dict[str, dict[str, str]] = {
    "rankings_page": {"zh_CN": "考核排名", "en": "Rankings"},
    "scorecard_page": {"zh_CN": "考核成绩单", "en": "Scorecard"},
    "period": {"zh_CN": "考核周期", "en": "Period"},
    "subject": {"zh_CN": "考核对象", "en": "Scored"},
    "peer_group": {"zh_CN": "分组", "en": "Peer group"},
    "rank": {"zh_CN": "名次", "en": "Rank"},
    "score": {"zh_CN": "得分", "en": "Score"},
    "grade": {"zh_CN": "等级", "en": "Grade"},
    "trend": {"zh_CN": "近四期走势", "en": "Trend (this period and the three before)"},
    "published_by": {
        "zh_CN": "已发布（{at}，{by}，方案第 {v} 版），结果已冻结",
        "en": "Published ({at}, {by}, scheme version {v}): frozen",
    },
    "not_published": {
        "zh_CN": "未发布：按当前数据实时计算，仍可能变化",
        "en": "Not published: counted now, may change",
    },
    "too_few": {"zh_CN": "样本不足", "en": "Too few cases"},
    "indicator": {"zh_CN": "指标", "en": "Indicator"},
    "value": {"zh_CN": "数值", "en": "Value"},
    "numerator": {"zh_CN": "分子", "en": "Numerator"},
    "denominator": {"zh_CN": "分母", "en": "Denominator"},
    "points": {"zh_CN": "得分", "en": "Points"},
    "base_counts": {"zh_CN": "基础计数（点击查看案件）", "en": "Counts (click for the cases)"},
    "show": {"zh_CN": "查看", "en": "Show"},
    "scheme": {"zh_CN": "考核方案", "en": "Scheme"},
    "my_scorecard": {"zh_CN": "单位成绩单", "en": "Unit scorecard"},
    "no_rows": {"zh_CN": "该周期没有可排名的对象", "en": "Nobody to rank in this period"},
}


def _tz() -> ZoneInfo:
    return ZoneInfo(app_state().settings.cases.timezone)


def _default_period(tz: ZoneInfo) -> str:
    """The last whole month, local time (what a commander publishes and looks at)."""
    today = dt.datetime.now(tz).date()
    return month(today.year, today.month, tz).previous(1)[0].key


@bp.get("/rankings")
@signed_in
def rankings_page():
    # thousands of rows become dicts, then a megabyte of HTML: the cyclic collector, walking the app's whole heap
    # every few hundred allocations, took 40 % of the page at 2,000 units (nothing here forms a cycle)
    with paused_gc():
        return _rankings_page()


def _rankings_page():
    tz = _tz()
    lang = g.get("lang", "zh_CN")
    subject = request.args.get("subject") or "unit"
    period_key = request.args.get("period") or _default_period(tz)
    group = request.args.get("group") or None
    scheme = request.args.get("scheme") or None
    session = db_session()
    now = dt.datetime.now(dt.UTC)
    try:
        # no case links: the table links each unit's own scorecard, whose figures link their cases
        card = read_scorecard(
            session, tz, now, period=period_key, subject=subject, scheme=scheme, group=group, with_links=False
        )
    except NotFound:
        if scheme:  # a scheme asked for by its code: it does not exist
            raise
        return render_template("rankings.html", card=None, next_step="schemes")  # no scheme loaded yet
    trend = trends(session, scheme_for_subject(session, subject, scheme), parse_period(period_key, tz), now)
    if group:
        keep = {r["subject_id"] for r in card["rows"]}
        trend["series"] = [s for s in trend["series"] if s["subject_id"] in keep]
    groups = card["groups"]  # every group of the card, also when one is shown
    names = {gr["key"]: name_in(gr, lang) for gr in card["groups"]}
    sections: dict[str | None, list[dict[str, Any]]] = {}
    shown = [(ind["key"], bool(ind.get("denominator"))) for ind in card["indicators"]]
    for r in card["rows"]:  # rows come ranked within their group; groups in key order, the ungrouped as one
        # each indicator's cell text made here: thousands of rows × a template loop per cell was most of the page
        sections.setdefault(r["group"], []).append({**r, "cells": [_cell(r["values"][k], rate) for k, rate in shown]})
    return render_template(
        "rankings.html",
        card=card,
        sections=[(names.get(k, "") if k is not None else "", rows) for k, rows in sections.items()],
        trend=trend,
        subject=subject,
        subjects=[(k, zh if lang == "zh_CN" else en) for k, (zh, en) in SUBJECTS.items()],
        groups=[(gr["key"], name_in(gr, lang)) for gr in groups],
        group=group or "",
        period=card["period"]["key"],
        lang=lang,
        name_of=lambda d: name_in(d, lang),
        attribution=app_state().attribution,
    )


def _cell(value: float | None, rate: bool) -> str:
    """An indicator's value as the table shows it: a rate in per cent to one decimal, a count whole, – for none."""
    if value is None:
        return "–"
    return f"{value:.1f}%" if rate else str(int(value))


@bp.get("/units/<int:unit_id>/scorecard")
@signed_in
def unit_scorecard(unit_id: int):
    tz = _tz()
    lang = g.get("lang", "zh_CN")
    period_key = request.args.get("period") or _default_period(tz)
    scheme = request.args.get("scheme") or None
    card = read_scorecard(db_session(), tz, dt.datetime.now(dt.UTC), period=period_key, subject="unit", scheme=scheme)
    row = next((r for r in card["rows"] if r["subject_id"] == str(unit_id)), None)
    if row is None:
        raise NotFound(f"unit {unit_id} is not on this scorecard", zh=f"单位 {unit_id} 不在该考核范围内")
    parts = []
    for ind in card["indicators"]:
        parts.append({
            "key": ind["key"], "name": name_in(ind, lang), "value": row["values"].get(ind["key"]),
            "rate": bool(ind.get("denominator")), "points": row["points"].get(ind["key"]),
            "numerator": [_term(t, row, card, lang) for t in ind["numerator"]],
            "denominator": [_term(t, row, card, lang) for t in ind.get("denominator") or []],
        })  # fmt: skip
    return render_template(
        "unit_scorecard.html", card=card, row=row, parts=parts, unit_id=unit_id, lang=lang,
        name_of=lambda d: name_in(d, lang), attribution=app_state().attribution,
    )  # fmt: skip


def _term(term: str, row: dict[str, Any], card: dict[str, Any], lang: str) -> dict[str, Any]:
    """One base count of an indicator: its sign, name, number and the link to its cases."""
    key = term.removeprefix("-")
    names = card["counts"].get(key, {})
    query = row["cases"].get(key)
    return {
        "minus": term.startswith("-"), "key": key, "name": names.get("en" if lang == "en" else "zh", key),
        "n": row["counts"].get(key, 0), "href": f"/heatmap/cases?{query}" if query else None,
    }  # fmt: skip
