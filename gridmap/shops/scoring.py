"""Monthly 门前五包 scores, rankings and flags.

A month (the city's local calendar month) scores each open shop with a frontage: the full marks of its scheme
(the letter in force on the month's last day, else the current default scheme) minus deductions. Deductions come
from *sources*: :func:`case_deductions` (cases of the scheme's categories observed that month inside the
frontage, not voided, not duplicates) is the first; inspection findings plug in later through
:func:`register_source` with the same :class:`Deduction` shape. An item never loses more than its points; every
deducted point is stored with the case (or finding) it came from.

Then: a rank among the shops of the same 街道 and of the same road (segment name; ties share a rank), the streak
of failing months (score below the pass mark) carried on from the month before, a red flag 流动红旗 to the top N
of each 街道 (passing shops only), and a yellow or black flag at the escalation ladder's step for the streak.
Scoring a month again replaces that month's scores, deductions and flags (one transaction).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from gridmap.cases.values import as_utc
from gridmap.errors import InvalidInput, Problem
from gridmap.geo.frontage import containing
from gridmap.shops import schemes
from gridmap.store.dialect import wkb
from gridmap.store.models import (
    Case,
    CaseStatus,
    Segment,
    Shop,
    ShopDeduction,
    ShopFlag,
    ShopScheme,
    ShopScore,
)


def parse_month(value: object, field: str = "month") -> str:
    """``YYYY-MM`` checked (InvalidInput otherwise)."""
    text = str(value or "").strip()
    try:
        day = dt.date.fromisoformat(text + "-01") if len(text) == 7 else None
    except ValueError:
        day = None
    if day is None:
        raise InvalidInput(Problem(f"{text[:20]!r} is not a month (YYYY-MM, e.g. 2026-11)", field=field,
                                   zh=f"“{text[:20]}”不是月份（年-月，如 2026-11）"))  # fmt: skip
    return text


def month_days(month: str) -> tuple[dt.date, dt.date]:
    """The first day of ``month`` and the first day of the next."""
    first = dt.date.fromisoformat(month + "-01")
    nxt = dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, nxt


def previous_month(month: str) -> str:
    first, _ = month_days(month)
    return (first - dt.timedelta(days=1)).strftime("%Y-%m")


def month_times(month: str, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """The month as UTC instants ``[start, end)``, its days taken in the city's time zone."""
    first, nxt = month_days(month)
    start = dt.datetime.combine(first, dt.time(), tzinfo=tz).astimezone(dt.UTC)
    end = dt.datetime.combine(nxt, dt.time(), tzinfo=tz).astimezone(dt.UTC)
    return start, end


@dataclass(frozen=True)
class Deduction:
    """Points a source wants taken off a shop's month; the scorer caps each item at its points."""

    shop_id: int
    item: str
    points: float
    source: str  # "case", later "inspection"
    source_id: int
    at: dt.datetime
    case_id: int | None = None
    category: str | None = None
    note: str | None = None


@dataclass
class ShopsOfMonth:
    """The shops a month scores, with their frontages (EPSG:4326) and schemes."""

    ids: np.ndarray
    frontages: np.ndarray
    street: list[int | None]
    segment: list[int | None]
    road: list[str]
    scheme_of: dict[int, ShopScheme]
    tz: dt.tzinfo = dt.UTC
    month: str = ""


DeductionSource = Callable[[Session, ShopsOfMonth], list[Deduction]]


def case_deductions(session: Session, shops: ShopsOfMonth) -> list[Deduction]:
    """A deduction per case of a mapped category observed in the month inside a frontage (the lowest shop id
    on a shared edge), not voided and not a duplicate."""
    if len(shops.ids) == 0:
        return []
    start, end = month_times(shops.month, shops.tz)
    x0, y0, x1, y1 = shapely.total_bounds(shops.frontages)
    rows = session.execute(
        select(Case.id, Case.lon, Case.lat, Case.category, Case.observed_at)
        .where(Case.observed_at >= start, Case.observed_at < end, Case.status != CaseStatus.VOID,
               Case.duplicate_of.is_(None), Case.lon >= x0, Case.lon <= x1, Case.lat >= y0, Case.lat <= y1)
        .order_by(Case.observed_at, Case.id)
    ).all()  # fmt: skip
    if not rows:
        return []
    hit = containing(np.array([(r.lon, r.lat) for r in rows], dtype=float), shops.frontages)
    out: list[Deduction] = []
    for r, k in zip(rows, hit, strict=True):
        if k < 0:
            continue
        shop_id = int(shops.ids[k])
        rules = shops.scheme_of[shop_id].rules
        item = schemes.item_of(rules, r.category)
        if item is None:
            continue
        out.append(Deduction(shop_id, item, schemes.per_case(rules, item), "case", r.id, as_utc(r.observed_at),
                             case_id=r.id, category=r.category))  # fmt: skip
    return out


SOURCES: list[DeductionSource] = [case_deductions]


def register_source(source: DeductionSource) -> None:
    """Add a source of deductions (the inspections' findings, when they come): called for every month scored."""
    if source not in SOURCES:
        SOURCES.append(source)


def shops_of_month(session: Session, month: str, tz: dt.tzinfo) -> ShopsOfMonth:
    first, nxt = month_days(month)
    rows = session.execute(
        select(Shop.id, Shop.street_id, Shop.segment_id, Segment.name.label("road"), wkb(Shop.frontage).label("wkb"))
        .outerjoin(Segment, Segment.id == Shop.segment_id)
        .where(Shop.frontage.is_not(None), (Shop.closed_on.is_(None)) | (Shop.closed_on > first))
        .order_by(Shop.id)
    ).all()  # fmt: skip
    ids = np.array([r.id for r in rows], dtype=np.int64)
    default = schemes.current_scheme(session)
    lettered = schemes.letter_schemes(session, [int(i) for i in ids], nxt - dt.timedelta(days=1))
    by_id = {s.id: s for s in session.scalars(select(ShopScheme).where(ShopScheme.id.in_(set(lettered.values()))))}
    scheme_of = {int(i): by_id.get(lettered.get(int(i), -1), default) for i in ids}
    fronts = shapely.from_wkb([bytes(r.wkb) for r in rows]) if rows else np.empty(0, dtype=object)
    return ShopsOfMonth(ids, np.asarray(fronts, dtype=object), [r.street_id for r in rows],
                        [r.segment_id for r in rows],
                        [r.road or f"#{r.segment_id}" for r in rows], scheme_of, tz, month)  # fmt: skip


@dataclass
class MonthResult:
    month: str
    scores: list[dict[str, Any]] = field(default_factory=list)
    deductions: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (shop id, row)
    flags: list[dict[str, Any]] = field(default_factory=list)


def _ranks(points: Sequence[float], groups: Sequence[object]) -> list[int]:
    """Competition ranking (1, 2, 2, 4) of ``points`` (higher first) within each group."""
    by_group: dict[object, list[int]] = defaultdict(list)
    for i, g in enumerate(groups):
        by_group[g].append(i)
    rank = [0] * len(points)
    for members in by_group.values():
        members.sort(key=lambda i: -points[i])
        for pos, i in enumerate(members):
            prev = members[pos - 1] if pos else None
            rank[i] = rank[prev] if prev is not None and points[prev] == points[i] else pos + 1
    return rank


TIE_MONTHS = 3  # equal scores for a red flag: the better average over this many months before decides


def _red_flags(shops: ShopsOfMonth, points: list[float], passed: list[bool], before: dict[int, float]) -> set[int]:
    """The shops (positions) given a red flag: the first ``red_top_n`` passing shops of each 街道 in the order
    points, then the average of the months before, then the shop's id (the earlier registered)."""
    by_street: dict[int, list[int]] = defaultdict(list)
    for k, street in enumerate(shops.street):
        if street is not None and passed[k]:
            by_street[street].append(k)
    chosen: set[int] = set()
    for members in by_street.values():
        members.sort(key=lambda k: (-points[k], -before.get(int(shops.ids[k]), points[k]), int(shops.ids[k])))
        n = int(shops.scheme_of[int(shops.ids[members[0]])].rules["red_top_n"])
        chosen.update(members[:n])
    return chosen


def compute_month(shops: ShopsOfMonth, deductions: list[Deduction], streaks: dict[int, int],
                  now: dt.datetime, before: dict[int, float] | None = None) -> MonthResult:  # fmt: skip
    """Scores, capped deductions, ranks and flags of one month (no database: the rules alone). ``before``: each
    shop's average over the months before (:data:`TIE_MONTHS`), which decides between equal scores for the red
    flag (then the earlier registered shop)."""
    before = before or {}
    result = MonthResult(shops.month)
    per_shop: dict[int, list[Deduction]] = defaultdict(list)
    for d in sorted(deductions, key=lambda d: (d.at, d.source, d.source_id)):
        per_shop[d.shop_id].append(d)
    points: list[float] = []
    for k, sid in enumerate(int(i) for i in shops.ids):
        scheme = shops.scheme_of[sid]
        rules = scheme.rules
        left = {it["code"]: float(it["points"]) for it in rules["items"]}
        for d in per_shop.get(sid, ()):
            take = round(min(d.points, left.get(d.item, 0.0)), 2)
            if take <= 0:
                continue
            left[d.item] -= take
            result.deductions.append((sid, {"item": d.item, "points": take, "source": d.source,
                                            "source_id": d.source_id, "case_id": d.case_id,
                                            "category": d.category, "note": d.note}))  # fmt: skip
        full = schemes.full_marks(rules)
        score = round(sum(left.values()), 2)
        passed = score >= float(rules["pass_mark"])
        streak = 0 if passed else streaks.get(sid, 0) + 1
        points.append(score)
        result.scores.append({"shop_id": sid, "month": shops.month, "scheme_id": scheme.id, "full": full,
                              "points": score, "passed": passed, "fail_streak": streak,
                              "street_id": shops.street[k], "segment_id": shops.segment[k],
                              "computed_at": now})  # fmt: skip
    street_rank = _ranks(points, shops.street)
    road_rank = _ranks(points, shops.road)
    red = _red_flags(shops, points, [r["passed"] for r in result.scores], before)
    for k, row in enumerate(result.scores):
        row["rank_street"], row["rank_road"] = street_rank[k], road_rank[k]
        rules = shops.scheme_of[row["shop_id"]].rules
        if k in red:
            result.flags.append({"shop_id": row["shop_id"], "month": shops.month, "color": "red", "step": None,
                                 "reason": f"街道第 {street_rank[k]} 名", "awarded_at": now})  # fmt: skip
            continue
        step = schemes.ladder_step(rules, row["fail_streak"]) if not row["passed"] else None
        if step is not None:
            result.flags.append({"shop_id": row["shop_id"], "month": shops.month, "color": step["color"],
                                 "step": step["step"], "reason": f"连续 {row['fail_streak']} 个月不达标",
                                 "awarded_at": now})  # fmt: skip
    return result


def previous_average(session: Session, month: str) -> dict[int, float]:
    """Each shop's average score over the :data:`TIE_MONTHS` months before ``month``."""
    months, m = [], month
    for _ in range(TIE_MONTHS):
        m = previous_month(m)
        months.append(m)
    rows = session.execute(
        select(ShopScore.shop_id, func.avg(ShopScore.points).label("avg"))
        .where(ShopScore.month.in_(months))
        .group_by(ShopScore.shop_id)
    )
    return {r.shop_id: float(r.avg) for r in rows}


def previous_streaks(session: Session, month: str) -> dict[int, int]:
    prev = previous_month(month)
    rows = session.execute(select(ShopScore.shop_id, ShopScore.fail_streak).where(ShopScore.month == prev))
    return {r.shop_id: r.fail_streak for r in rows}


def score_month(session: Session, month: str, timezone: str = "Asia/Shanghai",
                now: dt.datetime | None = None) -> dict[str, Any]:  # fmt: skip
    """Score ``month`` (replacing what it held); returns counts: shops, deductions, points deducted, flags."""
    month = parse_month(month)
    now = now or dt.datetime.now(dt.UTC)
    shops = shops_of_month(session, month, ZoneInfo(timezone))
    found: list[Deduction] = []
    for source in SOURCES:
        found.extend(source(session, shops))
    result = compute_month(shops, found, previous_streaks(session, month), now, previous_average(session, month))
    old = select(ShopScore.id).where(ShopScore.month == month).scalar_subquery()
    session.execute(delete(ShopDeduction).where(ShopDeduction.score_id.in_(old)))
    session.execute(delete(ShopScore).where(ShopScore.month == month))
    session.execute(delete(ShopFlag).where(ShopFlag.month == month))
    if result.scores:
        session.execute(insert(ShopScore), result.scores)
    rows = session.execute(select(ShopScore.shop_id, ShopScore.id).where(ShopScore.month == month))
    score_ids = {r.shop_id: r.id for r in rows}
    if result.deductions:
        session.execute(insert(ShopDeduction), [{**row, "score_id": score_ids[sid]} for sid, row in result.deductions])
    if result.flags:
        session.execute(insert(ShopFlag), result.flags)
    colors: dict[str, int] = defaultdict(int)
    for f in result.flags:
        colors[f["color"]] += 1
    return {"month": month, "shops": len(result.scores), "deductions": len(result.deductions),
            "points_deducted": round(sum(r["points"] for _, r in result.deductions), 2),
            "failing": sum(1 for s in result.scores if not s["passed"]),
            "flags": {c: colors.get(c, 0) for c in schemes.COLORS}}  # fmt: skip
