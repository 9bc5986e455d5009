"""Problem categories (events 事件, components 部件, 创城 inspection items) and the holiday calendar: seed data and
editing. Use-cases: they take a session and plain data, return plain data, and never commit.

Category codes: events use the 4-digit codes of DOMAIN.md (class 2 digits + sub-class 2 digits, ``99`` = other);
components carry the prefix ``BJ`` (部件) and inspection items ``CC`` (创城), because the three trees reuse the same
class numbers (event ``0101`` 私搭乱建 ≠ component ``BJ0101`` 井盖). A class has a 2-digit code (``01``, ``BJ01``),
a sub-class its class code plus 2 digits. Only sub-classes carry a deadline and are used by cases.

The deadlines seeded here are defaults taken from DOMAIN.md where it gives them (exposed garbage 4 working hours,
accumulated spoil 2 working days, dirty road 2 working hours, missing manhole cover 2 urgent hours) and set to
common practice elsewhere; every city edits them (``gridmap categories set`` or ``POST /api/v1/categories``).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable
from typing import Any, TypedDict

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from gridmap.accounts import audit
from gridmap.accounts.actor import Actor
from gridmap.catalogue.cache import catalogue
from gridmap.catalogue.working_calendar import UNITS, WorkingCalendar
from gridmap.config import CaseSettings
from gridmap.errors import InvalidInput, NotFound, Problem
from gridmap.store.models import Category, CategoryFamily, Holiday, Urgency

UH, WH, WD = "urgent_hours", "work_hours", "work_days"

# (code, name_zh, name_en, amount, unit) — classes have no deadline.
_EVENTS: tuple[tuple, ...] = (
    ("01", "市容环境", "City appearance"),
    ("0101", "私搭乱建", "Illegal structures", 5, WD),
    ("0102", "暴露垃圾", "Exposed garbage", 4, WH),
    ("0103", "积存垃圾渣土", "Accumulated garbage and spoil", 2, WD),
    ("0104", "道路不洁", "Dirty road", 2, WH),
    ("0105", "水域不洁", "Dirty water surface", 1, WD),
    ("0106", "绿地脏乱", "Littered green space", 4, WH),
    ("0107", "废弃车辆", "Abandoned vehicle", 5, WD),
    ("0108", "废弃家具设备", "Discarded furniture or equipment", 1, WD),
    ("0109", "非装饰性树挂", "Non-decorative objects hung on trees", 4, WH),
    ("0199", "其他市容环境问题", "Other city-appearance problem", 1, WD),
    ("02", "宣传广告", "Publicity and advertising"),
    ("0201", "非法小广告", "Illegal small advertisements", 4, WH),
    ("0202", "违章张贴悬挂广告牌匾", "Illegally posted or hung signboards", 2, WD),
    ("0203", "占道广告牌", "Advertising board blocking the road", 1, WD),
    ("0204", "街头散发广告", "Leafleting in the street", 2, WH),
    ("0299", "其他宣传广告问题", "Other advertising problem", 1, WD),
    ("03", "施工管理", "Construction management"),
    ("0301", "施工扰民", "Construction disturbing residents", 4, WH),
    ("0302", "工地扬尘", "Dust from a construction site", 4, WH),
    ("0303", "施工废弃料", "Construction waste", 1, WD),
    ("0304", "施工占道", "Construction occupying the road", 1, WD),
    ("0305", "无证掘路", "Digging up the road without a permit", 4, WH),
    ("0399", "其他施工管理问题", "Other construction problem", 1, WD),
    ("04", "突发事件", "Emergencies"),
    ("0401", "路面塌陷", "Road surface collapse", 2, UH),
    ("0402", "自来水管破裂", "Burst water main", 2, UH),
    ("0403", "燃气管道破裂", "Burst gas pipe", 1, UH),
    ("0404", "下水道堵塞", "Blocked sewer", 4, UH),
    ("0406", "道路积水", "Flooded road", 4, UH),
    ("0407", "积雪结冰", "Snow and ice on the road", 6, UH),
    ("0499", "其他突发事件", "Other emergency", 4, UH),
    ("05", "街面秩序", "Street order"),
    ("0501", "无照经营游商", "Unlicensed street vendor", 2, WH),
    ("0502", "流浪乞讨", "Vagrancy and begging", 2, WH),
    ("0503", "占道废品收购", "Scrap collection occupying the road", 4, WH),
    ("0504", "店外经营", "Trading outside the shop", 2, WH),
    ("0505", "机动车乱停放", "Illegally parked motor vehicle", 2, WH),
    ("0506", "非机动车乱停放", "Illegally parked bicycle or e-bike", 2, WH),
    ("0507", "乱堆物堆料", "Materials piled in public space", 4, WH),
    ("0508", "商业噪音", "Commercial noise", 2, WH),
    ("0509", "黑车拉客", "Unlicensed taxi touting", 2, WH),
    ("0510", "露天烧烤", "Open-air barbecue", 2, WH),
    ("0511", "沿街晾挂", "Laundry hung along the street", 4, WH),
    ("0599", "其他街面秩序问题", "Other street-order problem", 4, WH),
)

_COMPONENTS: tuple[tuple, ...] = (
    ("BJ01", "公用设施", "Public utilities"),
    ("BJ0101", "井盖", "Manhole cover", 2, UH),
    ("BJ0102", "雨水箅子", "Gully grate", 2, UH),
    ("BJ0103", "消防栓", "Fire hydrant", 1, WD),
    ("BJ0104", "路灯", "Street lamp", 2, WD),
    ("BJ0105", "电力设施", "Power facility", 1, WD),
    ("BJ0106", "通信设施", "Telecom facility", 2, WD),
    ("BJ0199", "其他公用设施", "Other public utility", 2, WD),
    ("BJ02", "道路交通", "Roads and traffic"),
    ("BJ0201", "交通信号灯", "Traffic light", 4, UH),
    ("BJ0202", "交通标志牌", "Traffic sign", 2, WD),
    ("BJ0203", "道路护栏", "Road railing", 2, WD),
    ("BJ0204", "公交站亭", "Bus shelter", 2, WD),
    ("BJ0205", "人行道板", "Pavement slabs", 3, WD),
    ("BJ0299", "其他道路交通设施", "Other road facility", 2, WD),
    ("BJ03", "市容环境", "City appearance facilities"),
    ("BJ0301", "公共厕所", "Public toilet", 1, WD),
    ("BJ0302", "果皮箱", "Litter bin", 1, WD),
    ("BJ0303", "垃圾收集点", "Garbage collection point", 1, WD),
    ("BJ0304", "户外广告设施", "Outdoor advertising structure", 3, WD),
    ("BJ0305", "公共座椅", "Public bench", 3, WD),
    ("BJ0399", "其他市容环境设施", "Other appearance facility", 2, WD),
    ("BJ04", "园林绿化", "Parks and greenery"),
    ("BJ0401", "行道树", "Street tree", 3, WD),
    ("BJ0402", "绿地", "Green space", 3, WD),
    ("BJ0403", "花坛花箱", "Flower bed or planter", 3, WD),
    ("BJ0404", "城市雕塑", "Sculpture", 5, WD),
    ("BJ0499", "其他园林绿化设施", "Other greenery facility", 3, WD),
    ("BJ05", "房屋土地", "Buildings and land"),
    ("BJ0501", "宣传栏", "Notice board", 3, WD),
    ("BJ0502", "报刊亭", "Newsstand", 3, WD),
    ("BJ0503", "售货亭", "Kiosk", 3, WD),
    ("BJ0504", "危房", "Dangerous building", 1, WD),
    ("BJ0599", "其他房屋土地部件", "Other building or land component", 3, WD),
    ("BJ06", "其他设施", "Other facilities"),
    ("BJ0601", "监控设施", "Surveillance equipment", 2, WD),
    ("BJ0699", "其他部件", "Other component", 3, WD),
)

_INSPECTION: tuple[tuple, ...] = (
    ("CC01", "公益广告", "Public-service advertising"),
    ("CC0101", "公益广告设置不足", "Too few public-service ads (main road: one per 200 m)", 5, WD),
    ("CC0102", "公益广告破损陈旧", "Damaged or outdated public-service ad", 2, WD),
    ("CC02", "门前三包", "Storefront responsibilities (门前三包/五包)"),
    ("CC0201", "门前卫生", "Storefront cleanliness", 1, WD),
    ("CC0202", "门前绿化", "Storefront greenery", 2, WD),
    ("CC0203", "门前秩序", "Storefront order", 1, WD),
    ("CC0204", "门前亮化", "Storefront lighting (五包)", 2, WD),
    ("CC0205", "门前设施", "Storefront facilities (五包)", 2, WD),
    ("CC03", "农贸市场", "Farmers' market"),
    ("CC0301", "市场环境卫生", "Market cleanliness", 1, WD),
    ("CC0302", "市场经营秩序", "Market trading order", 1, WD),
    ("CC04", "背街小巷", "Back lanes"),
    ("CC0401", "小巷环境卫生", "Back-lane cleanliness", 1, WD),
    ("CC0402", "小巷路面破损", "Damaged back-lane surface", 5, WD),
    ("CC05", "居民小区", "Residential compounds"),
    ("CC0501", "小区环境卫生", "Compound cleanliness", 1, WD),
    ("CC0502", "小区乱堆乱放", "Clutter in the compound", 2, WD),
    ("CC0503", "楼道堆物", "Clutter in stairwells", 2, WD),
    ("CC06", "文明行为", "Civic behaviour"),
    ("CC0601", "文明宣传不到位", "Missing civility notices", 2, WD),
    ("CC0602", "志愿服务站点缺失", "Missing volunteer service post", 5, WD),
)

# 国务院办公厅关于2026年部分节假日安排的通知 (published 2025-11-04, Xinhua): days off and make-up working days.
HOLIDAYS_2026: tuple[tuple[str, str, bool], ...] = (
    *((f"2026-01-0{d}", "元旦", False) for d in (1, 2, 3)),
    ("2026-01-04", "元旦调休上班", True),
    ("2026-02-14", "春节调休上班", True),
    *((f"2026-02-{d}", "春节", False) for d in range(15, 24)),
    ("2026-02-28", "春节调休上班", True),
    *((f"2026-04-0{d}", "清明节", False) for d in (4, 5, 6)),
    *((f"2026-05-0{d}", "劳动节", False) for d in (1, 2, 3, 4, 5)),
    ("2026-05-09", "劳动节调休上班", True),
    *((f"2026-06-{d}", "端午节", False) for d in (19, 20, 21)),
    ("2026-09-20", "国庆节调休上班", True),
    *((f"2026-09-{d}", "中秋节", False) for d in (25, 26, 27)),
    *((f"2026-10-0{d}", "国庆节", False) for d in range(1, 8)),
    ("2026-10-10", "国庆节调休上班", True),
)

_CODE = re.compile(r"^(?P<prefix>[A-Z]{0,4})(?P<cls>\d{2})(?P<sub>\d{2})?$")
_FAMILY_OF_PREFIX = {"": CategoryFamily.EVENT, "BJ": CategoryFamily.COMPONENT, "CC": CategoryFamily.INSPECTION}


def _seed_rows() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for family, table in (
        (CategoryFamily.EVENT, _EVENTS),
        (CategoryFamily.COMPONENT, _COMPONENTS),
        (CategoryFamily.INSPECTION, _INSPECTION),
    ):
        for entry in table:
            code, name_zh, name_en = entry[:3]
            is_class = len(entry) == 3
            amount, unit = (None, None) if is_class else entry[3:5]
            urgent_amount = None if is_class else (amount if unit == UH else amount / 2)
            rows.append(
                {
                    "code": code,
                    "parent_code": None if is_class else code[:-2],
                    "family": str(family),
                    "name_zh": name_zh,
                    "name_en": name_en,
                    "description": None,
                    "deadline_amount": amount,
                    "deadline_unit": unit,
                    "urgent_amount": urgent_amount,
                    "urgent_unit": None if is_class else unit,
                    "default_urgency": str(Urgency.URGENT if unit == UH else Urgency.NORMAL),
                    "active": True,
                }
            )
    return rows


def seed_categories(session: Session) -> int:
    """Insert the seeded categories that are missing (never overwrites a city's edits); returns how many."""
    have = set(session.scalars(select(Category.code)))
    rows = [r for r in _seed_rows() if r["code"] not in have]
    # classes first so every parent exists before its children
    rows.sort(key=lambda r: r["parent_code"] is not None)
    if rows:
        session.connection().execute(insert(Category.__table__), rows)
    return len(rows)


def seed_holidays(session: Session) -> int:
    """Insert the 2026 holidays and make-up working days that are missing; returns how many."""
    have = set(session.scalars(select(Holiday.day)))
    rows = [
        {"day": dt.date.fromisoformat(d), "name": name, "is_workday": workday}
        for d, name, workday in HOLIDAYS_2026
        if dt.date.fromisoformat(d) not in have
    ]
    if rows:
        session.connection().execute(insert(Holiday.__table__), rows)
    return len(rows)


def seed(session: Session) -> dict[str, int]:
    return {"categories": seed_categories(session), "holidays": seed_holidays(session)}


# -- reading ------------------------------------------------------------------------------------------------------


class Deadline(TypedDict):
    amount: float | None
    unit: str


class CategoryDict(TypedDict):
    """A category as the API, the CLI and the pages show it."""

    code: str
    parent_code: str | None
    family: str
    level: str  # "class" | "subclass"
    name_zh: str
    name_en: str | None
    description: str | None
    deadline: Deadline | None
    urgent_deadline: Deadline | None
    default_urgency: str
    active: bool


def category_dict(c: Category) -> CategoryDict:
    return {
        "code": c.code,
        "parent_code": c.parent_code,
        "family": c.family,
        "level": "class" if c.parent_code is None else "subclass",
        "name_zh": c.name_zh,
        "name_en": c.name_en,
        "description": c.description,
        "deadline": None if c.deadline_unit is None else {"amount": c.deadline_amount, "unit": c.deadline_unit},
        "urgent_deadline": None if c.urgent_unit is None else {"amount": c.urgent_amount, "unit": c.urgent_unit},
        "default_urgency": c.default_urgency,
        "active": c.active,
    }


def list_categories(
    session: Session, *, family: str | None = None, active: bool | None = None, parent: str | None = None
) -> list[CategoryDict]:
    stmt = select(Category).order_by(Category.family, Category.code)
    if family:
        if family not in {f.value for f in CategoryFamily}:
            raise InvalidInput(Problem(f"{family!r} is not one of event/component/inspection", field="family"))
        stmt = stmt.where(Category.family == family)
    if active is not None:
        stmt = stmt.where(Category.active.is_(active))
    if parent:
        stmt = stmt.where(Category.parent_code == parent)
    return [category_dict(c) for c in session.scalars(stmt)]


def get_category(session: Session, code: str) -> CategoryDict:
    cat = session.get(Category, code)
    if cat is None:
        raise NotFound(f"no category {code!r}")
    return category_dict(cat)


def unknown_category(code: str, field: str = "category") -> Problem:
    """The one answer to a category code the catalogue does not hold (reports, routing previews)."""
    return Problem(
        f"unknown category {code!r} (GET /api/v1/categories lists them)",
        field=field,
        zh=f"没有类别“{code}”（GET /api/v1/categories 列出全部类别）",
    )


def unknown_categories(session: Session, codes: Iterable[object]) -> set[str]:
    """The codes among ``codes`` (blanks skipped) that name no category of the catalogue, class or sub-class."""
    known = catalogue(session).categories
    return {str(c).strip() for c in codes if c is not None and str(c).strip() and str(c).strip() not in known}


def case_category(session: Session, code: object, field: str = "category") -> Any:
    """The active sub-class a case may be filed under (its columns, read-only); a clear error for anything
    else."""
    if code is None or str(code).strip() == "":
        raise InvalidInput(Problem("a category code is required (e.g. 0102 暴露垃圾)", field=field))
    code = str(code).strip()
    known = catalogue(session).categories.get(code)
    if known is not None and known.parent_code is not None and known.active:
        return known
    cat = session.get(Category, code)
    if cat is None:
        raise InvalidInput(unknown_category(code, field))
    if cat.parent_code is None:
        subs = session.scalars(select(Category.code).where(Category.parent_code == code, Category.active)).all()
        raise InvalidInput(
            Problem(
                f"{code!r} ({cat.name_zh}) is a class: choose one of its sub-classes {', '.join(subs)}", field=field
            )
        )
    if not cat.active:
        raise InvalidInput(Problem(f"category {code!r} ({cat.name_zh}) is no longer in use", field=field))
    return cat


# -- editing ------------------------------------------------------------------------------------------------------


def upsert_category(session: Session, data: dict[str, object], *, actor: Actor) -> tuple[CategoryDict, bool]:
    """Create a category or change an existing one as ``actor`` (the audit trail has before and after); returns
    (category, created). Does not commit.

    Fields: ``code`` (required), ``name_zh`` (required when creating), ``name_en``, ``description``, ``family``
    (classes only; sub-classes inherit it), ``deadline`` {amount, unit} or ``deadline_amount``/``deadline_unit``,
    ``urgent_deadline``, ``default_urgency`` (normal/urgent), ``active``.
    """
    if not isinstance(data, dict):
        raise InvalidInput("send a JSON object")
    problems: list[Problem] = []
    code = str(data.get("code") or "").strip().upper()
    m = _CODE.match(code)
    if not m:
        raise InvalidInput(
            Problem(f"{code!r} is not a category code: 2 digits for a class, 4 for a sub-class, with the "
                    "family prefix (none for events, BJ for components, CC for inspection items)", field="code")
        )  # fmt: skip
    cat = session.get(Category, code)
    created = cat is None
    before = None if cat is None else category_dict(cat)
    is_sub = m.group("sub") is not None
    parent_code = code[:-2] if is_sub else None
    if cat is None:
        cat = Category(code=code, parent_code=parent_code, active=True, default_urgency=str(Urgency.NORMAL))
        if is_sub:
            parent = session.get(Category, parent_code)
            if parent is None:
                raise InvalidInput(Problem(f"its class {parent_code!r} does not exist: create it first", field="code"))
            cat.family = parent.family
        else:
            family = data.get("family") or _FAMILY_OF_PREFIX.get(m.group("prefix"))
            if family not in {f.value for f in CategoryFamily}:
                problems.append(Problem("family must be event, component or inspection", field="family"))
            cat.family = str(family)
    elif data.get("family") not in (None, cat.family):
        problems.append(Problem("the family of an existing category cannot change", field="family"))
    for key in ("name_zh", "name_en", "description"):
        if key in data:
            value = data[key]
            if value is not None and not isinstance(value, str):
                problems.append(Problem("must be text", field=key))
                continue
            setattr(cat, key, (value or "").strip() or None)
    if not cat.name_zh:
        problems.append(Problem("a Chinese name is required", field="name_zh"))
    for prefix, label in (("deadline", "deadline"), ("urgent", "urgent_deadline")):
        amount, unit = _deadline_fields(data, label, prefix, problems, getattr(cat, f"{prefix}_unit"))
        if amount is not None or unit is not None:
            if not is_sub:
                problems.append(Problem("only sub-classes carry a deadline", field=label))
            setattr(cat, f"{prefix}_amount", amount)
            setattr(cat, f"{prefix}_unit", unit)
    if is_sub and cat.deadline_unit is None:
        problems.append(Problem("a sub-class needs a deadline {amount, unit}", field="deadline"))
    if "default_urgency" in data:
        if data["default_urgency"] not in {u.value for u in Urgency}:
            problems.append(Problem("must be normal or urgent", field="default_urgency"))
        else:
            cat.default_urgency = str(data["default_urgency"])
    if "active" in data:
        if not isinstance(data["active"], bool):
            problems.append(Problem("must be true or false", field="active"))
        else:
            cat.active = data["active"]
    if problems:
        if not created:
            session.expire(cat)
        raise InvalidInput(problems)
    if created:
        session.add(cat)
    session.flush()
    after = category_dict(cat)
    audit.record(session, actor, "category.create" if created else "category.change", object_kind="category",
                 object_id=code, before=before, after=after)  # fmt: skip
    return after, created


def _deadline_fields(
    data: dict[str, object], label: str, prefix: str, problems: list[Problem], current_unit: str | None = None
) -> tuple[float | None, str | None]:
    given = data.get(label)
    if isinstance(given, dict):
        raw_amount, unit = given.get("amount"), given.get("unit")
    elif f"{prefix}_amount" in data or f"{prefix}_unit" in data:
        raw_amount, unit = data.get(f"{prefix}_amount"), data.get(f"{prefix}_unit")
    else:
        return None, None
    try:
        amount = float(raw_amount)  # type: ignore[arg-type]  # any input: what float() refuses raises, caught below
    except (TypeError, ValueError):
        problems.append(Problem(f"amount {raw_amount!r} is not a number", field=label))
        return None, None
    if not amount > 0 or amount > 10_000:
        problems.append(Problem("amount must be above 0 (and sensible)", field=label))
    if unit in (None, "") and current_unit:
        unit = current_unit  # changing only the amount keeps the unit
    if unit not in UNITS:
        problems.append(Problem(f"unit {unit!r} is not one of {', '.join(UNITS)}", field=label))
    return amount, str(unit)


# -- holidays -----------------------------------------------------------------------------------------------------


def list_holidays(session: Session, year: int | None = None) -> list[dict[str, object]]:
    stmt = select(Holiday).order_by(Holiday.day)
    if year:
        stmt = stmt.where(Holiday.day >= dt.date(year, 1, 1), Holiday.day < dt.date(year + 1, 1, 1))
    return [{"day": h.day.isoformat(), "is_workday": h.is_workday, "name": h.name} for h in session.scalars(stmt)]


def set_holiday(session: Session, day: dt.date, is_workday: bool, name: str | None = None, *, actor: Actor) -> None:
    """Mark a day off (``is_workday`` false) or a make-up working day, as ``actor`` (audited); does not commit."""
    row = session.get(Holiday, day)
    before = None if row is None else {"is_workday": row.is_workday, "name": row.name}
    if row is None:
        session.add(Holiday(day=day, is_workday=is_workday, name=name))
    else:
        row.is_workday, row.name = is_workday, name or row.name
    session.flush()
    after = {"is_workday": is_workday, "name": name or (before or {}).get("name")}
    audit.record(session, actor, "holiday.set", object_kind="holiday", object_id=day.isoformat(), before=before,
                 after=after)  # fmt: skip


def load_calendar(session: Session, settings: CaseSettings) -> WorkingCalendar:
    """The working calendar from the holidays table and the configured working hours."""
    try:
        return _calendar(catalogue(session).holidays, settings.working_hours, settings.timezone)
    except ValueError as exc:
        raise InvalidInput(f"GRIDMAP_CASE_WORKING_HOURS: {exc}") from exc


@functools.lru_cache(maxsize=8)
def _calendar(holidays: tuple[tuple[dt.date, bool], ...], hours: str, tz: str) -> WorkingCalendar:
    # Cached: the interval table is built once per distinct holiday set, not once per request.
    return WorkingCalendar(dict(holidays), hours, tz=tz)
