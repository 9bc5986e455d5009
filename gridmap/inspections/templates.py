"""Checklist templates 测评细则 by point type, in editions: an edition an inspection used is frozen, and editing the
point type's checklist then writes the next edition (a past inspection keeps the items it was scored on).

:func:`current_edition` is the public reading other capabilities reuse (mock assessments score points with it);
:func:`save_template` is the admins' edit; :func:`seed_templates` writes the seeded set into an empty city.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypedDict

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from gridmap.accounts import audit
from gridmap.accounts.actor import Actor, cli_actor
from gridmap.catalogue.categories import seed_categories
from gridmap.errors import InvalidInput, NotFound, Problem
from gridmap.inputs import parse_int, parse_number, parse_text
from gridmap.inspections.vocabulary import POINT_TYPES, point_type_name
from gridmap.store.models import Category, ChecklistItem, ChecklistTemplate

MAX_ITEMS = 100  # a checklist read on a phone; the national one has 10–20 items per point type
MAX_POINTS = 100.0  # one item's points: a point type is scored out of 100

# point type → (code, name_zh, name_en, points, observations, category, standard 测评标准)
SEED: dict[str, tuple[tuple[str, str, str, float, int, str, str], ...]] = {
    "main_road": (
        ("ZG01", "道路破损", "Damaged road or pavement", 10, 2, "BJ0205", "路面、人行道平整，无坑洼破损、缺失"),
        ("ZG02", "乱堆乱放", "Materials piled on the road", 10, 2, "0507", "无乱堆物堆料、无乱搭乱建"),
        ("ZG03", "占道经营", "Trading on the pavement", 15, 2, "0504", "无店外经营、无流动摊贩"),
        ("ZG04", "乱停乱放", "Disorderly parking", 15, 3, "0505", "机动车、非机动车停放有序，不占盲道"),
        ("ZG05", "公益广告", "Public-service advertising", 15, 1, "CC0101", "每 200 米至少一处公益广告，内容规范"),
        ("ZG06", "道路保洁", "Road cleanliness", 15, 3, "0104", "路面干净，无暴露垃圾、无积存渣土"),
        ("ZG07", "非法小广告", "Illegal small advertisements", 10, 2, "0201", "无乱贴乱画、无非法小广告"),
        ("ZG08", "设施完好", "Road facilities intact", 10, 1, "BJ0203", "护栏、站亭、标志牌完好整洁"),
    ),
    "back_lane": (
        ("BJ01", "路面破损", "Damaged lane surface", 15, 2, "CC0402", "路面硬化平整，无坑洼积水"),
        ("BJ02", "环境卫生", "Lane cleanliness", 25, 3, "CC0401", "无暴露垃圾、无卫生死角"),
        ("BJ03", "乱堆乱放", "Clutter in the lane", 20, 2, "0507", "无乱堆乱放、无私搭乱建"),
        ("BJ04", "乱贴乱画", "Posters and graffiti", 15, 2, "0201", "墙面整洁，无小广告"),
        ("BJ05", "沿街晾挂", "Laundry hung along the lane", 10, 1, "0511", "无沿街晾晒、乱拉乱挂"),
        ("BJ06", "照明设施", "Lighting", 15, 1, "BJ0104", "路灯完好，夜间照明正常"),
    ),
    "compound": (
        ("XQ01", "环境卫生", "Compound cleanliness", 25, 3, "CC0501", "道路、绿地干净，垃圾日产日清"),
        ("XQ02", "乱堆乱放", "Clutter in the compound", 15, 2, "CC0502", "无乱堆杂物、无私搭乱建"),
        ("XQ03", "楼道堆物", "Clutter in stairwells", 15, 2, "CC0503", "楼道通畅，无堆物、无小广告"),
        ("XQ04", "车辆停放", "Parking in the compound", 15, 2, "0506", "车辆停放有序，电动车不进楼道"),
        ("XQ05", "公益宣传", "Civility notices", 15, 1, "CC0601", "有公益广告、文明宣传栏"),
        ("XQ06", "绿化管护", "Greenery care", 15, 1, "0106", "绿地无黄土裸露、无毁绿种菜"),
    ),
    "market": (
        ("NM01", "市场卫生", "Market cleanliness", 25, 3, "CC0301", "地面干净无积水，垃圾分类收集"),
        ("NM02", "经营秩序", "Trading order", 25, 2, "CC0302", "划行归市，无出店经营"),
        ("NM03", "周边占道", "Trading around the market", 20, 2, "0501", "市场周边无马路市场、流动摊贩"),
        ("NM04", "公益广告", "Public-service advertising", 15, 1, "CC0101", "醒目位置设置公益广告"),
        ("NM05", "设施完好", "Facilities intact", 15, 1, "BJ0303", "垃圾收集点、公厕完好"),
    ),
    "park_square": (
        ("GY01", "环境卫生", "Cleanliness", 25, 3, "0106", "绿地、水面干净，无垃圾"),
        ("GY02", "设施完好", "Facilities intact", 20, 2, "BJ0305", "座椅、健身器材、指示牌完好"),
        ("GY03", "公益广告", "Public-service advertising", 20, 1, "CC0101", "有公益广告、文明提示牌"),
        ("GY04", "游商摊贩", "Street vendors", 20, 2, "0501", "无游商摊贩、无露天烧烤"),
        ("GY05", "志愿服务", "Volunteer service post", 15, 1, "CC0602", "设志愿服务站点并有人值守"),
    ),
    "construction_site": (
        ("GD01", "围挡规范", "Hoarding", 20, 1, "0304", "围挡连续、整洁，不占道"),
        ("GD02", "扬尘控制", "Dust control", 25, 2, "0302", "裸土覆盖、道路硬化、车辆冲洗"),
        ("GD03", "渣土清运", "Spoil removal", 20, 1, "0303", "无抛洒滴漏、无渣土乱倒"),
        ("GD04", "公益广告", "Public-service ads on the hoarding", 20, 1, "CC0101", "围挡设置公益广告"),
        ("GD05", "夜间施工", "Night-time noise", 15, 1, "0301", "无违规夜间施工扰民"),
    ),
    "school_area": (
        ("XX01", "周边秩序", "Order around the school", 25, 2, "0501", "校门口无流动摊贩"),
        ("XX02", "车辆停放", "Parking around the school", 25, 2, "0505", "接送车辆停放有序"),
        ("XX03", "环境卫生", "Cleanliness", 20, 2, "0104", "周边路面干净"),
        ("XX04", "公益宣传", "Civility notices", 15, 1, "CC0601", "有文明宣传、未成年人思想道德建设内容"),
        ("XX05", "非法小广告", "Illegal small advertisements", 15, 1, "0201", "无乱贴乱画"),
    ),
    "shop": (
        ("MQ01", "门前卫生", "Storefront cleanliness", 25, 1, "CC0201", "门前无垃圾、无油污"),
        ("MQ02", "门前秩序", "Storefront order", 25, 1, "CC0203", "无出店经营、无乱摆乱放"),
        ("MQ03", "门前绿化", "Storefront greenery", 15, 1, "CC0202", "门前绿化完好、无损绿"),
        ("MQ04", "门前亮化", "Storefront lighting", 15, 1, "CC0204", "门头、灯箱完好，夜间亮化正常"),
        ("MQ05", "门前设施", "Storefront facilities", 20, 1, "CC0205", "牌匾规范，门前设施完好"),
    ),
}
assert set(SEED) == set(POINT_TYPES)


class Item(TypedDict):
    id: int
    code: str
    name_zh: str
    name_en: str | None
    standard: str | None
    points: float
    observations: int
    category: str
    category_name: str | None


class Edition(TypedDict):
    """One edition of a point type's checklist, as the API, the pages and other capabilities read it."""

    id: int
    point_type: str
    point_type_name: str
    edition: int
    name_zh: str
    name_en: str | None
    frozen: bool
    created_at: dt.datetime
    created_by: str
    total_points: float
    items: list[Item]


def _edition(session: Session, t: ChecklistTemplate, lang: str = "zh_CN") -> Edition:
    rows = session.execute(
        select(ChecklistItem, Category.name_zh)
        .join(Category, Category.code == ChecklistItem.category, isouter=True)
        .where(ChecklistItem.template_id == t.id)
        .order_by(ChecklistItem.position)
    ).all()
    items: list[Item] = [
        {
            "id": i.id,
            "code": i.code,
            "name_zh": i.name_zh,
            "name_en": i.name_en,
            "standard": i.standard,
            "points": i.points,
            "observations": i.observations,
            "category": i.category,
            "category_name": cat,
        }
        for i, cat in rows
    ]
    return {
        "id": t.id,
        "point_type": t.point_type,
        "point_type_name": point_type_name(t.point_type, lang),
        "edition": t.edition,
        "name_zh": t.name_zh,
        "name_en": t.name_en,
        "frozen": t.frozen,
        "created_at": t.created_at,
        "created_by": t.created_by,
        "total_points": sum(i["points"] for i in items),
        "items": items,
    }


def unknown_point_type(point_type: object) -> NotFound:
    known = "、".join(f"{code}（{zh}）" for code, (zh, _) in POINT_TYPES.items())
    return NotFound(
        f"no point type {str(point_type)[:40]!r}: one of {', '.join(POINT_TYPES)}",
        zh=f"没有点位类型“{str(point_type)[:40]}”，可选：{known}",
    )


def _current_row(session: Session, point_type: str, *, lock: bool = False) -> ChecklistTemplate | None:
    stmt = (
        select(ChecklistTemplate)
        .where(ChecklistTemplate.point_type == point_type)
        .order_by(ChecklistTemplate.edition.desc())
        .limit(1)
    )
    return session.scalar(stmt.with_for_update() if lock else stmt)


def current_edition(session: Session, point_type: str, lang: str = "zh_CN") -> Edition:
    """The current (newest) edition of ``point_type``'s checklist with its items, in order.

    The one reading of a checklist other capabilities use (a mock assessment scores a drawn point with it).
    Raises NotFound for a point type that does not exist or has no checklist yet.
    """
    if point_type not in POINT_TYPES:
        raise unknown_point_type(point_type)
    row = _current_row(session, point_type)
    if row is None:
        raise NotFound(
            f"no checklist for {point_type} yet: run `gridmap inspections seed-templates`",
            zh=f"“{point_type_name(point_type)}”尚无测评细则：请先运行 gridmap inspections seed-templates",
        )
    return _edition(session, row, lang)


def get_edition(session: Session, template_id: int, lang: str = "zh_CN") -> Edition:
    row = session.get(ChecklistTemplate, template_id)
    if row is None:
        raise NotFound(f"no checklist edition {template_id}", zh=f"测评细则版本 {template_id} 不存在")
    return _edition(session, row, lang)


def list_templates(session: Session, lang: str = "zh_CN") -> list[Edition]:
    """The current edition of every point type that has a checklist, in the point types' order."""
    newest = (
        select(ChecklistTemplate.point_type, func.max(ChecklistTemplate.edition).label("edition"))
        .group_by(ChecklistTemplate.point_type)
        .subquery()
    )
    rows = session.scalars(
        select(ChecklistTemplate).join(
            newest,
            (newest.c.point_type == ChecklistTemplate.point_type) & (newest.c.edition == ChecklistTemplate.edition),
        )
    ).all()
    order = list(POINT_TYPES)
    rows = sorted(rows, key=lambda t: order.index(t.point_type) if t.point_type in order else len(order))
    return [_edition(session, t, lang) for t in rows]


def freeze(session: Session, template_id: int) -> None:
    """An inspection uses this edition: from now on it never changes (an edit writes the next edition)."""
    session.execute(
        update(ChecklistTemplate)
        .where(ChecklistTemplate.id == template_id, ChecklistTemplate.frozen.is_(False))
        .values(frozen=True)
    )


def _parse_items(session: Session, raw: object) -> list[dict[str, Any]]:
    """The items sent, checked all at once (each problem names the item's number and field)."""
    if not isinstance(raw, list) or not raw:
        raise InvalidInput(Problem("items: send a non-empty list of items", field="items", zh="须至少有一个检查项目"))
    if len(raw) > MAX_ITEMS:
        raise InvalidInput(
            Problem(f"{len(raw)} items; at most {MAX_ITEMS}", field="items", zh=f"检查项目过多（最多 {MAX_ITEMS} 项）")
        )
    cats = {c.code: c.parent_code for c in session.execute(select(Category.code, Category.parent_code))}
    problems: list[Problem] = []
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, item in enumerate(raw, start=1):
        here: list[Problem] = []
        if not isinstance(item, dict):
            problems.append(Problem("must be an object", feature=n, zh="须为对象"))
            continue
        code = parse_text(item.get("code"), "code", here, 16) or f"I{n:02d}"
        name = parse_text(item.get("name_zh"), "name_zh", here, 200)
        if name is None:
            here.append(Problem("is required", field="name_zh", zh="项目名称必填"))
        points = parse_number(item.get("points"), "points", here)
        if points is not None and not 0 < points <= MAX_POINTS:
            here.append(
                Problem(
                    f"{points} is not within 0…{MAX_POINTS:g}",
                    field="points",
                    zh=f"分值 {points:g} 须大于 0 且不超过 {MAX_POINTS:g}",
                )
            )
        observations = parse_int(item.get("observations"), "observations", here, lo=1, hi=100, default=1)
        category = str(item.get("category") or "").strip()
        if category not in cats:
            here.append(
                Problem(f"no category {category[:20]!r}", field="category", zh=f"案件类别“{category[:20]}”不存在")
            )
        elif cats[category] is None:
            here.append(
                Problem(
                    f"{category} is a class: pick one of its sub-classes",
                    field="category",
                    zh=f"“{category}”是大类，请选择小类",
                )
            )
        if code in seen:
            here.append(Problem(f"code {code} appears twice", field="code", zh=f"项目编号 {code} 重复"))
        seen.add(code)
        problems.extend(Problem(p.message, feature=n, field=p.field, zh=p.zh) for p in here)
        items.append(
            {
                "position": n,
                "code": code,
                "name_zh": name,
                "points": points,
                "observations": observations,
                "category": category,
                "name_en": parse_text(item.get("name_en"), "name_en", problems, 200),
                "standard": parse_text(item.get("standard"), "standard", problems, 1000),
            }
        )
    if problems:
        raise InvalidInput(problems)
    return items


def save_template(
    session: Session, point_type: str, data: dict[str, Any], *, actor: Actor, now: dt.datetime | None = None
) -> Edition:
    """Replace ``point_type``'s checklist items: in place while the current edition is unused, else (frozen) as a
    new edition. All or nothing: every bad item is reported and nothing is written."""
    if point_type not in POINT_TYPES:
        raise unknown_point_type(point_type)
    if not isinstance(data, dict):
        raise InvalidInput(Problem("send a JSON object", zh="须为 JSON 对象"))
    items = _parse_items(session, data.get("items"))
    problems: list[Problem] = []
    name_zh = parse_text(data.get("name_zh"), "name_zh", problems, 100)
    name_en = parse_text(data.get("name_en"), "name_en", problems, 200)
    if problems:
        raise InvalidInput(problems)
    now = now or dt.datetime.now(dt.UTC)
    current = _current_row(session, point_type, lock=True)  # an inspection freezing it waits (PostgreSQL)
    before = _edition(session, current) if current is not None else None
    if current is None or current.frozen:
        zh, en = POINT_TYPES[point_type]
        template_id = session.execute(
            insert(ChecklistTemplate)
            .values(
                point_type=point_type,
                edition=(current.edition + 1) if current else 1,
                name_zh=name_zh or (current.name_zh if current else zh),
                name_en=name_en or (current.name_en if current else en),
                frozen=False,
                created_at=now,
                created_by=actor.name,
            )
            .returning(ChecklistTemplate.id)
        ).scalar_one()
    else:
        template_id = current.id
        session.execute(delete(ChecklistItem).where(ChecklistItem.template_id == template_id))
        changes = {k: v for k, v in (("name_zh", name_zh), ("name_en", name_en)) if v}
        if changes:
            session.execute(update(ChecklistTemplate).where(ChecklistTemplate.id == template_id).values(**changes))
    session.execute(insert(ChecklistItem), [{**i, "template_id": template_id} for i in items])
    session.expire_all()
    after = get_edition(session, template_id)
    audit.record(
        session,
        actor,
        "checklist.save",
        object_kind="checklist",
        object_id=template_id,
        at=now,
        before={"edition": before["edition"], "items": [i["code"] for i in before["items"]]} if before else None,
        after={"point_type": point_type, "edition": after["edition"], "items": [i["code"] for i in after["items"]]},
    )
    return after


def seed_templates(session: Session, actor: Actor | None = None) -> int:
    """Write the seeded checklist of every point type that has none yet (never touches a city's own editions);
    the categories they name are seeded first where missing. Returns how many templates were written."""
    seed_categories(session)
    have = set(session.scalars(select(ChecklistTemplate.point_type).distinct()))
    actor = actor or cli_actor()
    now = dt.datetime.now(dt.UTC)
    written = 0
    for point_type, rows in SEED.items():
        if point_type in have:
            continue
        zh, en = POINT_TYPES[point_type]
        template_id = session.execute(
            insert(ChecklistTemplate)
            .values(
                point_type=point_type,
                edition=1,
                name_zh=f"{zh}测评细则",
                name_en=f"{en} checklist",
                frozen=False,
                created_at=now,
                created_by=actor.name,
            )
            .returning(ChecklistTemplate.id)
        ).scalar_one()
        session.execute(
            insert(ChecklistItem),
            [
                {
                    "template_id": template_id,
                    "position": n,
                    "code": code,
                    "name_zh": name,
                    "name_en": name_en,
                    "points": float(points),
                    "observations": obs,
                    "category": cat,
                    "standard": standard,
                }
                for n, (code, name, name_en, points, obs, cat, standard) in enumerate(rows, start=1)
            ],
        )
        written += 1
    return written
