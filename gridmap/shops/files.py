"""Shops from a file (CSV or XLSX), all or nothing: every row is checked (credit code and its check character,
position, phone; a credit code repeated in the file or already registered), every problem is reported with its
row number (the header is row 1) in Chinese and English, and nothing is written unless every row is good. Then
all the new shops are placed on their streets at once (one vectorised pass). :func:`template` writes a file to
fill in."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from geoalchemy2.elements import WKTElement
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from gridmap.accounts import audit
from gridmap.accounts.actor import Actor
from gridmap.errors import InvalidInput, Problem
from gridmap.shops.placement import FrontageRules, place
from gridmap.shops.registry import check_shop
from gridmap.store.models import Shop
from gridmap.units.files import Column, columns_of, read_rows, row_problem, write_template

SHOP_COLUMNS = (
    Column("name", "店名", ("商铺名称", "名称", "门店名称", "name"), True, "老王面馆"),
    Column("credit_code", "统一社会信用代码", ("信用代码", "社会信用代码", "credit_code", "uscc"), False,
           "91330100716105852F"),
    Column("kind", "类型", ("业态", "经营类型", "kind", "type"), False, "餐饮"),
    Column("owner", "负责人", ("经营者", "店主", "法人", "owner"), False, "王五"),
    Column("phone", "联系电话", ("电话", "手机", "phone"), False, "13800000000"),
    Column("address", "地址", ("门牌", "address"), False, "龙凤大街 12 号"),
    Column("lon", "经度", ("lon", "lng", "longitude", "x"), True, "111.1400"),
    Column("lat", "纬度", ("lat", "latitude", "y"), True, "37.5200"),
)  # fmt: skip


def import_shops(session: Session, path: Path, actor: Actor, sheet: str | None = None,
                 rules: FrontageRules | None = None) -> dict[str, Any]:  # fmt: skip
    """Create a shop per row and place them (in the caller's transaction: it commits only when this returns)."""
    header, rows = read_rows(path, sheet)
    found = columns_of(header, SHOP_COLUMNS)
    labels = {c.field: header[i] for i, c in found.items()}
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    good: list[dict[str, Any]] = []
    for number, cells in rows:
        data = {c.field: (cells[i].strip() if i < len(cells) else "") for i, c in found.items()}
        try:
            values = check_shop(session, data, new=True, seen_codes=seen)
        except InvalidInput as exc:
            problems.extend(row_problem(number, labels.get(p.field or "", p.field), p) for p in exc.problems)
            continue
        if values.get("credit_code"):
            seen[values["credit_code"]] = number
        good.append(values)
    if not rows:
        problems.append(Problem(f"{path.name} has no rows below its header", zh=f"{path.name} 表头下没有数据"))
    if problems:
        raise InvalidInput(problems)
    now = dt.datetime.now(dt.UTC)
    new_ids = list(session.scalars(insert(Shop).returning(Shop.id, sort_by_parameter_order=True), [
        {**v, "geom": WKTElement(f"POINT({v['lon']!r} {v['lat']!r})", srid=4326), "updated_at": now} for v in good
    ]))  # fmt: skip
    place(session, new_ids, rules)
    audit.record(session, actor, "shop.import", object_kind="shop", after={"file": path.name, "rows": len(good)})
    on_road = len(session.scalars(select(Shop.id).where(Shop.id.in_(new_ids), Shop.segment_id.is_not(None))).all())
    return {"file": path.name, "created": len(good), "on_a_street": on_road}


def template(path: Path) -> None:
    """A file to fill in: the Chinese headers and an example row (XLSX: bold = required, and a note sheet)."""
    notes = [
        ["加粗的列必填。经纬度为 WGS-84（天地图、GPS）；高德、腾讯地图的坐标（GCJ-02）须先转换。"],
        ["统一社会信用代码 18 位，末位为校验位（GB 32100-2015）；可不填，填写则须正确且不重复。"],
        ["Bold columns are required. lon/lat in WGS-84. The credit code is optional; when given it must "
         "be valid and unique."],
    ]  # fmt: skip
    write_template(path, SHOP_COLUMNS, "商铺", ("说明", notes))
