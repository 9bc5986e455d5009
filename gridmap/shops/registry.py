"""The shop registry 一户一档: create, change (the position too: the frontage follows), close down, read. Every
change is checked whole before anything is written, placed (:mod:`gridmap.shops.placement`) and audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import shapely
from geoalchemy2.elements import WKTElement
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from gridmap.accounts import audit
from gridmap.accounts.actor import Actor
from gridmap.accounts.roles import sees_contacts
from gridmap.cases.values import validate_point
from gridmap.errors import InvalidInput, NotFound, Problem
from gridmap.inputs import as_id, parse_day, parse_int, parse_text
from gridmap.shops import credit_code
from gridmap.shops.placement import FrontageRules, place
from gridmap.store.dialect import wkb
from gridmap.store.models import Area, Segment, Shop

SHOP_FIELDS = ("name", "credit_code", "kind", "owner", "phone", "address", "lon", "lat")
_TEXT = {"name": 200, "kind": 50, "owner": 100, "phone": 32, "address": 300}


def check_shop(session: Session, data: Mapping[str, Any], *, new: bool, shop_id: int | None = None,
               seen_codes: dict[str, int] | None = None) -> dict[str, Any]:  # fmt: skip
    """The values of ``data`` (only the fields sent, all required ones for a new shop), checked: InvalidInput
    naming every problem. ``seen_codes``: credit codes taken by earlier rows of the same import."""
    problems: list[Problem] = []
    out: dict[str, Any] = {}
    for key, n in _TEXT.items():
        if key in data:
            out[key] = parse_text(data[key], key, problems, n)
    if new and not out.get("name"):
        problems.append(Problem("a shop needs its name", field="name", zh="缺少店名"))
    elif "name" in data and not out.get("name"):
        problems.append(Problem("the name cannot be emptied", field="name", zh="店名不能为空"))
    phone = out.get("phone")
    if phone is not None and not all(c.isdigit() or c in "+-() " for c in phone):
        problems.append(Problem(f"{phone!r} is not a phone number", field="phone", zh=f"“{phone}”不是电话号码"))
    if "credit_code" in data:
        raw = parse_text(data["credit_code"], "credit_code", problems, 40)
        code = credit_code.normalise(raw) if raw else None
        if code:
            trouble = credit_code.problem(code)
            if trouble is not None:
                problems.append(trouble)
            else:
                taken = session.scalar(select(Shop.id).where(Shop.credit_code == code))
                if taken is not None and taken != shop_id:
                    problems.append(Problem(f"{code} is the credit code of shop {taken} already", field="credit_code",
                                            zh=f"统一社会信用代码 {code} 已登记在 {taken} 号商铺"))  # fmt: skip
                elif seen_codes is not None and code in seen_codes:
                    problems.append(Problem(f"{code} repeats row {seen_codes[code]}", field="credit_code",
                                            zh=f"统一社会信用代码 {code} 与第 {seen_codes[code]} 行重复"))  # fmt: skip
        out["credit_code"] = code
    if new or "lon" in data or "lat" in data:
        point = validate_point(data.get("lon"), data.get("lat"), problems)
        if point is not None:
            out["lon"], out["lat"] = point
    if "closed_on" in data:
        out["closed_on"] = parse_day(data["closed_on"], "closed_on", problems)
    if problems:
        raise InvalidInput(problems)
    return out


def _snapshot(shop: Shop) -> dict[str, Any]:
    return {k: getattr(shop, k) for k in (*SHOP_FIELDS, "segment_id", "grid_id", "street_id", "closed_on")}


def _set(shop: Shop, values: Mapping[str, Any]) -> None:
    for key, value in values.items():
        setattr(shop, key, value)
    if "lon" in values or "lat" in values:
        shop.geom = WKTElement(f"POINT({shop.lon!r} {shop.lat!r})", srid=4326)


def create_shop(session: Session, data: Mapping[str, Any], actor: Actor, *, rules: FrontageRules | None = None,
                placed: bool = True) -> Shop:  # fmt: skip
    """A new shop (name and position required); placed on its street unless ``placed`` is false (an import
    places all its shops at once)."""
    values = check_shop(session, data, new=True)
    shop = Shop(updated_at=dt.datetime.now(dt.UTC))
    _set(shop, values)
    session.add(shop)
    session.flush()
    if placed:
        place(session, [shop.id], rules)
        session.refresh(shop)
    audit.record(session, actor, "shop.create", object_kind="shop", object_id=shop.id, after=_snapshot(shop))
    return shop


def get_shop(session: Session, shop_id: object) -> Shop:
    sid = as_id(shop_id)
    shop = session.get(Shop, sid) if sid is not None else None
    if shop is None:
        raise NotFound(f"no shop {shop_id}", zh=f"没有编号为 {shop_id} 的商铺")
    return shop


def edit_shop(session: Session, shop_id: object, data: Mapping[str, Any], actor: Actor,
              rules: FrontageRules | None = None) -> Shop:  # fmt: skip
    """Change the fields sent; a new position (or closing down) redraws its frontage and its neighbours'."""
    shop = get_shop(session, shop_id)
    values = check_shop(session, data, new=False, shop_id=shop.id)
    before = _snapshot(shop)
    moved = ("lon" in values and values["lon"] != shop.lon) or ("lat" in values and values["lat"] != shop.lat)
    closing = "closed_on" in values and values["closed_on"] != shop.closed_on
    _set(shop, values)
    shop.updated_at = dt.datetime.now(dt.UTC)
    session.flush()
    if moved or closing:
        old_segment = shop.segment_id
        if shop.closed_on is not None:
            shop.frontage, shop.frontage_m2 = None, None
            session.flush()
            neighbours = session.scalars(select(Shop.id).where(Shop.segment_id == old_segment, Shop.id != shop.id,
                                                               Shop.closed_on.is_(None))).all()  # fmt: skip
            place(session, neighbours, rules)
        else:
            place(session, [shop.id], rules)
        session.refresh(shop)
    audit.record(session, actor, "shop.edit", object_kind="shop", object_id=shop.id, before=before,
                 after=_snapshot(shop))  # fmt: skip
    return shop


def shop_dict(session: Session, shop: Shop, actor: Actor | None = None, *, geometry: bool = True) -> dict[str, Any]:
    """A shop as the API shows it: the owner's phone only to those who may see contacts; the frontage as GeoJSON."""
    names = _names(session, [shop.segment_id], [shop.street_id])
    out: dict[str, Any] = {
        "id": shop.id,
        "name": shop.name,
        "credit_code": shop.credit_code,
        "kind": shop.kind,
        "owner": shop.owner,
        "phone": shop.phone if actor is None or sees_contacts(actor) else None,
        "address": shop.address,
        "lon": shop.lon,
        "lat": shop.lat,
        "segment_id": shop.segment_id,
        "segment_name": names[0].get(shop.segment_id),
        "grid_id": shop.grid_id,
        "street_id": shop.street_id,
        "street_name": names[1].get(shop.street_id),
        "frontage_m2": shop.frontage_m2,
        "closed_on": shop.closed_on,
    }
    if geometry:
        raw = session.scalar(select(wkb(Shop.frontage)).where(Shop.id == shop.id))
        out["frontage"] = shapely.geometry.mapping(shapely.from_wkb(bytes(raw))) if raw is not None else None
    return out


def _names(session: Session, segment_ids: list[int | None], street_ids: list[int | None]) -> tuple[
    dict[int | None, str | None], dict[int | None, str | None]
]:  # fmt: skip
    segs = {i for i in segment_ids if i is not None}
    streets = {i for i in street_ids if i is not None}
    seg_names = {r.id: r.name for r in session.execute(select(Segment.id, Segment.name).where(Segment.id.in_(segs)))}
    street_names = {r.id: r.name for r in session.execute(select(Area.id, Area.name).where(Area.id.in_(streets)))}
    return seg_names, street_names


def list_shops(session: Session, filters: Mapping[str, Any], actor: Actor | None = None) -> dict[str, Any]:
    """Shops a page at a time, filtered by text (name, credit code, owner), 街道, segment; closed ones on asking."""
    problems: list[Problem] = []
    page = parse_int(filters.get("page"), "page", problems, lo=1, hi=1_000_000, default=1) or 1
    per_page = parse_int(filters.get("per_page"), "per_page", problems, lo=1, hi=10_000, default=100) or 100
    street = parse_int(filters.get("street_id"), "street_id", problems, lo=1, default=None)
    segment = parse_int(filters.get("segment_id"), "segment_id", problems, lo=1, default=None)
    q = parse_text(filters.get("q"), "q", problems, 100)
    if problems:
        raise InvalidInput(problems)
    stmt = select(Shop)
    if not filters.get("closed"):
        stmt = stmt.where(Shop.closed_on.is_(None))
    if street is not None:
        stmt = stmt.where(Shop.street_id == street)
    if segment is not None:
        stmt = stmt.where(Shop.segment_id == segment)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(Shop.name.like(like), Shop.credit_code.like(like.upper()), Shop.owner.like(like)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    shops = session.scalars(stmt.order_by(Shop.id).offset((page - 1) * per_page).limit(per_page)).all()
    names = _names(session, [s.segment_id for s in shops], [s.street_id for s in shops])
    shows = actor is None or sees_contacts(actor)
    items = [
        {"id": s.id, "name": s.name, "credit_code": s.credit_code, "kind": s.kind, "owner": s.owner,
         "phone": s.phone if shows else None, "lon": s.lon, "lat": s.lat, "segment_id": s.segment_id,
         "segment_name": names[0].get(s.segment_id), "street_id": s.street_id,
         "street_name": names[1].get(s.street_id), "frontage_m2": s.frontage_m2, "closed_on": s.closed_on}
        for s in shops
    ]  # fmt: skip
    return {"total": total, "page": page, "per_page": per_page, "items": items}


def frontages_geojson(session: Session, box: tuple[float, float, float, float] | None = None) -> dict[str, Any]:
    """Every open shop as a point feature with its frontage polygon (for the map page)."""
    stmt = select(Shop.id, Shop.name, Shop.lon, Shop.lat, wkb(Shop.frontage).label("wkb")).where(
        Shop.closed_on.is_(None)
    )
    if box is not None:
        x0, y0, x1, y1 = box
        stmt = stmt.where(Shop.lon >= x0, Shop.lon <= x1, Shop.lat >= y0, Shop.lat <= y1)
    features = []
    for r in session.execute(stmt.order_by(Shop.id)):
        front = shapely.geometry.mapping(shapely.from_wkb(bytes(r.wkb))) if r.wkb is not None else None
        features.append({"type": "Feature", "id": r.id, "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
                         "properties": {"id": r.id, "name": r.name, "frontage": front}})  # fmt: skip
    return {"type": "FeatureCollection", "features": features}
