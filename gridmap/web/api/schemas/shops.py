"""门前五包 shops: what a client sends to register and change a shop or score a month, and what it reads back (a
shop, its month with each deduction naming its case, the month's ranking and 红黑榜)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from gridmap.web.api.schemas.common import Flag, Geometry, Judged, Model
from gridmap.web.api.schemas.units import Id, Page, PerPage


class Shop(Model):
    """A shop (``phone`` null for those who may not see contacts); ``frontage`` its 门前责任区 as GeoJSON."""

    id: int
    name: str
    credit_code: str | None = Field(description="统一社会信用代码 (GB 32100-2015, check character verified)")
    kind: str | None
    owner: str | None
    phone: str | None
    address: str | None
    lon: float
    lat: float
    segment_id: int | None = Field(description="the nearest road segment within 60 m (derived)")
    segment_name: str | None
    grid_id: int | None = Field(description="the unit grid holding it (derived)")
    street_id: int | None = Field(description="its 街道 (derived)")
    street_name: str | None
    frontage_m2: float | None
    closed_on: dt.date | None
    frontage: Geometry | None = Field(None, description="GeoJSON polygon: shop wall to kerb, to the neighbours")


class ShopIn(Model):
    """A new shop, or the fields to change (a new lon/lat redraws its frontage and its neighbours')."""

    name: Judged[str] = Field(None, description="required for a new shop")
    credit_code: Judged[str | None] = Field(None, description="18 characters, the last a check character")
    kind: Judged[str | None] = None
    owner: Judged[str | None] = None
    phone: Judged[str | None] = None
    address: Judged[str | None] = None
    lon: Judged[float] = Field(None, description="WGS-84; required for a new shop")
    lat: Judged[float] = Field(None, description="WGS-84; required for a new shop")
    closed_on: Judged[dt.date | None] = Field(None, description="closed down from this day: scored no more")


class ShopListItem(Model):
    id: int
    name: str
    credit_code: str | None
    kind: str | None
    owner: str | None
    phone: str | None
    lon: float
    lat: float
    segment_id: int | None
    segment_name: str | None
    street_id: int | None
    street_name: str | None
    frontage_m2: float | None
    closed_on: dt.date | None


class ShopList(Model):
    total: int
    page: int
    per_page: int
    items: list[ShopListItem]


class ShopQuery(Model):
    q: str | None = Field(None, description="part of a name, credit code or owner")
    street_id: Id = None
    segment_id: Id = None
    closed: Flag = Field(None, description="true: closed shops too")
    page: Page = None
    per_page: PerPage = Field(None, description="default 100, at most 10000")


class MonthQuery(Model):
    month: str = Field(description="YYYY-MM, the city's local month", examples=["2026-11"])
    street_id: Id = None


class ShopMonthScoreIn(Model):
    required_in_document = ("month",)

    month: Judged[str] = Field(None, description="YYYY-MM; scoring a month again replaces it")


class ScoreSummary(Model):
    month: str
    shops: int
    deductions: int
    points_deducted: float
    failing: int
    flags: dict[str, int] = Field(description="red / yellow / black: how many")


class FlagOut(Model):
    month: str
    color: str = Field(description="red 流动红旗, yellow, black")
    color_name: str
    step: str | None = Field(description="the escalation ladder's step (yellow/black)")
    step_name: str | None
    reason: str | None


class DeductionOut(Model):
    item: str
    item_name: str
    points: float
    source: str = Field(description="case (now) or inspection (later)")
    source_id: int
    case_id: int | None = Field(description="the case the points were deducted for: /cases/<id>")
    category: str | None
    category_name: str | None
    note: str | None


class ItemScore(Model):
    code: str
    name: str
    points: float
    score: float


class ShopMonth(Model):
    month: str
    points: float
    full: float
    passed: bool
    pass_mark: float
    fail_streak: int
    rank_street: int | None
    rank_road: int | None
    scheme_id: int
    items: list[ItemScore]
    deductions: list[DeductionOut]
    flag: FlagOut | None


class RankedShop(Model):
    shop_id: int
    name: str
    road: str | None
    street: str
    points: float
    passed: bool
    rank_street: int | None
    rank_road: int | None
    fail_streak: int
    flag: FlagOut | None


class StreetRanking(Model):
    street_id: int | None
    street: str
    shops: list[RankedShop]


class ShopRanking(Model):
    month: str
    streets: list[StreetRanking]
    red: list[RankedShop] = Field(description="红榜: the month's red flags")
    black: list[RankedShop] = Field(description="黑榜: yellow and black flags, longest failing first")
    months: list[str] = Field(description="every month scored, newest first")


class ShopFeatureProperties(Model):
    id: int
    name: str
    frontage: Geometry | None = Field(description="GeoJSON polygon of its 门前责任区 (null: on no street)")


class ShopFeature(Model):
    type: Literal["Feature"]
    id: int
    geometry: Geometry = Field(description="GeoJSON point: the shop")
    properties: ShopFeatureProperties


class ShopFeatures(Model):
    """GeoJSON FeatureCollection of the open shops."""

    type: Literal["FeatureCollection"]
    features: list[ShopFeature]
