"""门前三包/五包 schemes as data: the items and their points, which case categories deduct from which item and by
how much, the pass mark, and the flag rules (red flags to the top N of a 街道, yellow/black up an escalation ladder
after failing months in a row). A city changes them by storing a new version; scores keep the version they used.

The default (DOMAIN.md): 卫生, 秩序, 绿化, 整洁, 设施, 20 points each, 100 a month; 5 points per case of a mapped
category inside the frontage, never more than the item's points; pass at 80; a red flag 流动红旗 to the top 3 of
each 街道; after 2 failing months in a row 批评教育 (yellow), 3 限期整改 (yellow), 4 and more 曝光 红黑榜 (black).
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmap.errors import InvalidInput, NotFound, Problem
from gridmap.store.models import ShopLetter, ShopScheme

DEFAULT_CODE = "default"
COLORS = ("red", "yellow", "black")

_CATEGORIES = {  # DOMAIN.md's event sub-classes a shop front answers for, by item; "BJ": every component 部件
    "hygiene": ("0102", "0103", "0104"),  # 暴露垃圾, 积存垃圾渣土, 道路不洁
    "order": ("0501", "0503", "0504", "0505", "0506", "0507", "0508", "0510"),  # 游商, 店外经营, 乱停放, 乱堆物…
    "greenery": ("0106", "0109"),  # 绿地脏乱, 非装饰性树挂
    "tidiness": ("0101", "0108", "0201", "0202", "0203", "0204", "0511"),  # 私搭乱建, 广告, 沿街晾挂…
    "facilities": ("BJ",),
}

DEFAULT_RULES: dict[str, Any] = {
    "items": [
        {"code": "hygiene", "zh": "卫生", "en": "Cleanliness", "points": 20},
        {"code": "order", "zh": "秩序", "en": "Order", "points": 20},
        {"code": "greenery", "zh": "绿化", "en": "Greenery", "points": 20},
        {"code": "tidiness", "zh": "整洁", "en": "Tidiness", "points": 20},
        {"code": "facilities", "zh": "设施", "en": "Facilities", "points": 20},
    ],
    # category code or prefix → item; the longest prefix wins (0102 暴露垃圾 … BJ 部件 → facilities)
    "categories": {code: item for item, codes in _CATEGORIES.items() for code in codes},
    "per_case": 5.0,  # points off per case (an item may say its own "per_case")
    "pass_mark": 80.0,  # a month below this fails
    "red_top_n": 3,  # 流动红旗: the best N shops of each 街道 (at or above the pass mark)
    "ladder": [  # failing months in a row → flag and step; the highest "after" reached applies
        {"after": 2, "color": "yellow", "step": "criticism", "zh": "批评教育", "en": "Talked to"},
        {"after": 3, "color": "yellow", "step": "rectify", "zh": "限期整改", "en": "Rectify by a deadline"},
        {"after": 4, "color": "black", "step": "expose", "zh": "曝光 红黑榜", "en": "Named on the red-black list"},
    ],
}


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def check_rules(rules: object) -> list[Problem]:
    """Every problem of a scheme's rules, each naming the field (empty: the rules are sound)."""
    if not isinstance(rules, dict):
        return [Problem("a scheme's rules are a JSON object", zh="方案规则应为 JSON 对象")]
    problems: list[Problem] = []
    items = rules.get("items")
    codes: set[str] = set()
    if not isinstance(items, list) or not items:
        problems.append(Problem("items: a list of at least one item", field="items", zh="至少需要一个考核项目"))
        items = []
    for i, item in enumerate(items, start=1):
        where = f"items[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("code"), str) or not item.get("code"):
            problems.append(Problem("each item has a code", field=where, zh="每个项目需要代码 code"))
            continue
        if item["code"] in codes:
            problems.append(Problem(f"item {item['code']!r} repeats", field=where, zh=f"项目“{item['code']}”重复"))
        codes.add(item["code"])
        if not isinstance(item.get("zh"), str) or not item["zh"]:
            problems.append(Problem("each item has a Chinese name (zh)", field=where, zh="每个项目需要中文名称 zh"))
        pts = _number(item.get("points"))
        if pts is None or pts <= 0:
            problems.append(Problem("points: a number above 0", field=where, zh="分值应为大于 0 的数"))
        if "per_case" in item and (_number(item["per_case"]) or 0) <= 0:
            problems.append(Problem("per_case: a number above 0", field=where, zh="每件扣分应为大于 0 的数"))
    cats = rules.get("categories")
    if not isinstance(cats, dict):
        problems.append(Problem("categories: an object of category code → item", field="categories",
                                zh="类别映射应为“类别代码 → 项目代码”的对象"))  # fmt: skip
    else:
        for cat, item in cats.items():
            if item not in codes:
                problems.append(Problem(f"category {cat} names no item {item!r}", field="categories",
                                        zh=f"类别 {cat} 对应的项目“{item}”不存在"))  # fmt: skip
    for key, lo in (("per_case", 0.0), ("pass_mark", -1.0)):
        v = _number(rules.get(key))
        if v is None or v <= lo:
            problems.append(Problem(f"{key}: a number above {lo:g}", field=key, zh=f"{key} 应为大于 {lo:g} 的数"))
    n = rules.get("red_top_n")
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        problems.append(Problem("red_top_n: a whole number ≥ 0", field="red_top_n", zh="红旗名额应为不小于 0 的整数"))
    ladder = rules.get("ladder")
    if not isinstance(ladder, list):
        problems.append(Problem("ladder: a list of steps", field="ladder", zh="升级阶梯应为列表"))
        ladder = []
    afters: list[int] = []
    for i, step in enumerate(ladder, start=1):
        where = f"ladder[{i}]"
        ok = isinstance(step, dict)
        after = step.get("after") if ok else None
        if not isinstance(after, int) or isinstance(after, bool) or after < 1:
            problems.append(Problem("after: failing months in a row, ≥ 1", field=where, zh="after 应为连续不达标月数"))
        else:
            afters.append(after)
        if not ok or step.get("color") not in ("yellow", "black"):
            problems.append(Problem("color: yellow or black", field=where, zh="旗色应为 yellow 或 black"))
        if not ok or not step.get("step") or not step.get("zh"):
            problems.append(Problem("each step has a code (step) and a Chinese name (zh)", field=where,
                                    zh="每一级需要代码 step 与中文名称 zh"))  # fmt: skip
    if afters != sorted(set(afters)):
        problems.append(Problem("ladder: steps in rising order of 'after', none repeated", field="ladder",
                                zh="升级阶梯应按 after 递增排列且不重复"))  # fmt: skip
    return problems


def full_marks(rules: dict[str, Any]) -> float:
    return float(sum(item["points"] for item in rules["items"]))


def item_of(rules: dict[str, Any], category: str) -> str | None:
    """The item a case of ``category`` deducts from (the longest mapped prefix), or None: not this scheme's."""
    cats: dict[str, str] = rules["categories"]
    for n in range(len(category), 0, -1):
        hit = cats.get(category[:n])
        if hit is not None:
            return hit
    return None


def per_case(rules: dict[str, Any], item: str) -> float:
    for it in rules["items"]:
        if it["code"] == item:
            return float(it.get("per_case", rules["per_case"]))
    return float(rules["per_case"])


def ladder_step(rules: dict[str, Any], streak: int) -> dict[str, Any] | None:
    """The ladder's step for ``streak`` failing months in a row (the highest reached), or None."""
    reached = [s for s in rules["ladder"] if streak >= s["after"]]
    return reached[-1] if reached else None


def item_name(rules: dict[str, Any], item: str, lang: str) -> str:
    for it in rules["items"]:
        if it["code"] == item:
            return str(it.get("en") or it["code"]) if lang == "en" else str(it["zh"])
    return item


def save_scheme(session: Session, code: str, name: str, rules: object) -> ShopScheme:
    """Store ``rules`` as the next version of scheme ``code`` (InvalidInput naming every problem)."""
    problems = check_rules(rules)
    if not code or len(code) > 32:
        problems.append(Problem("code: 1–32 characters", field="code", zh="方案代码应为 1–32 个字符"))
    if problems:
        raise InvalidInput(problems)
    latest = session.scalar(select(func.max(ShopScheme.version)).where(ShopScheme.code == code)) or 0
    scheme = ShopScheme(code=code, version=latest + 1, name=name or code, rules=copy.deepcopy(rules),
                        created_at=dt.datetime.now(dt.UTC))  # fmt: skip
    session.add(scheme)
    session.flush()
    return scheme


def current_scheme(session: Session, code: str = DEFAULT_CODE) -> ShopScheme:
    """The latest version of scheme ``code``; the default scheme is made at its first use."""
    found = session.scalar(select(ShopScheme).where(ShopScheme.code == code).order_by(ShopScheme.version.desc()))
    if found is not None:
        return found
    if code != DEFAULT_CODE:
        raise NotFound(f"no shop scheme {code!r}", zh=f"没有门前责任方案“{code}”")
    return save_scheme(session, DEFAULT_CODE, "门前五包（默认）", DEFAULT_RULES)


def get_scheme(session: Session, scheme_id: int) -> ShopScheme:
    found = session.get(ShopScheme, scheme_id)
    if found is None:
        raise NotFound(f"no shop scheme {scheme_id}", zh=f"没有编号为 {scheme_id} 的门前责任方案")
    return found


def letter_schemes(session: Session, shop_ids: list[int], day: dt.date) -> dict[int, int]:
    """shop id → the scheme id of its letter in force on ``day`` (the latest signed, where several are)."""
    rows = session.execute(
        select(ShopLetter.shop_id, ShopLetter.scheme_id)
        .where(ShopLetter.valid_from <= day, (ShopLetter.valid_to.is_(None)) | (ShopLetter.valid_to > day))
        .order_by(ShopLetter.signed_on, ShopLetter.id)
    ).all()
    wanted = set(shop_ids)
    return {r.shop_id: r.scheme_id for r in rows if r.shop_id in wanted}
