"""What the pages and the API read: a shop's month (score, each deduction with its case, flag), its flag and
score history, a month's ranking per 街道 and per road, and the month's 红黑榜 (red flags, yellow/black flags)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmap.shops import schemes
from gridmap.shops.scoring import parse_month
from gridmap.store.models import Area, Category, Segment, Shop, ShopDeduction, ShopFlag, ShopScheme, ShopScore

FLAG_NAMES = {"red": ("流动红旗", "Red flag"), "yellow": ("黄旗", "Yellow flag"), "black": ("黑旗", "Black flag")}


def flag_name(color: str, lang: str) -> str:
    zh, en = FLAG_NAMES.get(color, (color, color))
    return en if lang == "en" else zh


def _step_name(rules: dict[str, Any], step: str | None, lang: str) -> str | None:
    for s in rules.get("ladder", []):
        if s["step"] == step:
            return str(s.get("en") or s["step"]) if lang == "en" else str(s["zh"])
    return step


def _flag_dict(f: ShopFlag, rules: dict[str, Any], lang: str) -> dict[str, Any]:
    return {"month": f.month, "color": f.color, "color_name": flag_name(f.color, lang), "step": f.step,
            "step_name": _step_name(rules, f.step, lang), "reason": f.reason}  # fmt: skip


def shop_month(session: Session, shop_id: int, month: str, lang: str = "zh_CN") -> dict[str, Any] | None:
    """A shop's score for ``month`` with its deductions (item, points, case) and flag; None: not scored."""
    month = parse_month(month)
    score = session.scalar(select(ShopScore).where(ShopScore.shop_id == shop_id, ShopScore.month == month))
    if score is None:
        return None
    scheme = session.get(ShopScheme, score.scheme_id)
    rules = scheme.rules if scheme is not None else schemes.DEFAULT_RULES
    rows = session.execute(
        select(ShopDeduction, Category.name_zh, Category.name_en)
        .outerjoin(Category, Category.code == ShopDeduction.category)
        .where(ShopDeduction.score_id == score.id)
        .order_by(ShopDeduction.id)
    ).all()
    deductions: list[dict[str, Any]] = [
        {"item": d.item, "item_name": schemes.item_name(rules, d.item, lang), "points": d.points,
         "source": d.source, "source_id": d.source_id, "case_id": d.case_id, "category": d.category,
         "category_name": (en or zh) if lang == "en" else zh, "note": d.note}
        for d, zh, en in rows
    ]  # fmt: skip
    items = []
    for it in rules["items"]:
        lost = sum(float(d["points"]) for d in deductions if d["item"] == it["code"])
        items.append({"code": it["code"], "name": schemes.item_name(rules, it["code"], lang),
                      "points": float(it["points"]), "score": round(float(it["points"]) - lost, 2)})  # fmt: skip
    flag = session.scalar(select(ShopFlag).where(ShopFlag.shop_id == shop_id, ShopFlag.month == month))
    return {
        "month": month, "points": score.points, "full": score.full, "passed": score.passed,
        "pass_mark": float(rules["pass_mark"]), "fail_streak": score.fail_streak, "rank_street": score.rank_street,
        "rank_road": score.rank_road, "scheme_id": score.scheme_id, "items": items, "deductions": deductions,
        "flag": _flag_dict(flag, rules, lang) if flag is not None else None,
    }  # fmt: skip


def shop_history(session: Session, shop_id: int, lang: str = "zh_CN") -> dict[str, Any]:
    """Every month scored for the shop (newest first) and its flag history."""
    scores = session.execute(
        select(ShopScore.month, ShopScore.points, ShopScore.passed, ShopScore.rank_street)
        .where(ShopScore.shop_id == shop_id)
        .order_by(ShopScore.month.desc())
    ).all()
    rules = schemes.current_scheme(session).rules
    flags = session.scalars(select(ShopFlag).where(ShopFlag.shop_id == shop_id).order_by(ShopFlag.month.desc()))
    return {
        "scores": [{"month": s.month, "points": s.points, "passed": s.passed, "rank_street": s.rank_street}
                   for s in scores],
        "flags": [_flag_dict(f, rules, lang) for f in flags],
    }  # fmt: skip


def months_scored(session: Session) -> list[str]:
    return list(session.scalars(select(ShopScore.month).distinct().order_by(ShopScore.month.desc())))


def ranking(session: Session, month: str, lang: str = "zh_CN", street_id: int | None = None) -> dict[str, Any]:
    """The month's ranking, grouped by 街道 (best first), each shop with its road rank and flag; and the 红黑榜:
    the red flags, and the yellow/black flags with their ladder step."""
    month = parse_month(month)
    stmt = (
        select(ShopScore, Shop.name, Segment.name.label("road"), Area.name.label("street"))
        .join(Shop, Shop.id == ShopScore.shop_id)
        .outerjoin(Segment, Segment.id == ShopScore.segment_id)
        .outerjoin(Area, Area.id == ShopScore.street_id)
        .where(ShopScore.month == month)
    )
    if street_id is not None:
        stmt = stmt.where(ShopScore.street_id == street_id)
    rows = session.execute(stmt.order_by(Area.name, ShopScore.rank_street, ShopScore.shop_id)).all()
    rules = schemes.current_scheme(session).rules
    flags = {f.shop_id: f for f in session.scalars(select(ShopFlag).where(ShopFlag.month == month))}
    streets: dict[str, dict[str, Any]] = {}
    red: list[dict[str, Any]] = []
    black: list[dict[str, Any]] = []
    for score, name, road, street in rows:
        key = street or ("未划入街道" if lang != "en" else "No 街道")
        group = streets.setdefault(key, {"street_id": score.street_id, "street": key, "shops": []})
        f = flags.get(score.shop_id)
        entry = {"shop_id": score.shop_id, "name": name, "road": road, "points": score.points,
                 "passed": score.passed, "rank_street": score.rank_street, "rank_road": score.rank_road,
                 "fail_streak": score.fail_streak,
                 "flag": _flag_dict(f, rules, lang) if f is not None else None, "street": key}  # fmt: skip
        group["shops"].append(entry)
        if f is not None:
            (red if f.color == "red" else black).append(entry)
    black.sort(key=lambda e: (-e["fail_streak"], e["points"], e["shop_id"]))
    return {"month": month, "streets": list(streets.values()), "red": red, "black": black,
            "months": months_scored(session)}  # fmt: skip
