"""JSON API of the 门前五包 shops: the registry (list, read, create, change — a move redraws frontages), the
frontages as GeoJSON, a shop's month (each deduction naming its case), the month's ranking and 红黑榜, and scoring
a month."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from gridmap.accounts import roles
from gridmap.errors import NotFound
from gridmap.shops import reads, registry, scoring
from gridmap.web.api.openapi import body_of, operation, query_of
from gridmap.web.api.schemas.shops import (
    MonthQuery,
    ScoreSummary,
    Shop,
    ShopFeatures,
    ShopIn,
    ShopList,
    ShopMonth,
    ShopMonthScoreIn,
    ShopQuery,
    ShopRanking,
)
from gridmap.web.auth import allow, current_actor, signed_in
from gridmap.web.session import db_session, writing
from gridmap.web.state import app_state

bp = Blueprint("shops_api", __name__)

WRITE_ERRORS = (400, 413)


def _lang() -> str:
    return str(g.get("lang", "zh_CN"))


@bp.get("/shops")
@signed_in
@operation("listShops", tags=("shops",), query=ShopQuery, ok={200: ShopList}, errors=(400,))
def list_shops():
    """Shops of the registry, a page at a time (by text, 街道, segment)"""
    filters = query_of(ShopQuery).model_dump(exclude_none=True)
    return jsonify(registry.list_shops(db_session(), filters, current_actor()))


@bp.get("/shops/frontages")
@signed_in
@operation("shopFrontages", tags=("shops",), ok={200: ShopFeatures})
def shop_frontages():
    """Every open shop as a GeoJSON point with its frontage polygon (the map's layer)"""
    return jsonify(registry.frontages_geojson(db_session()))


@bp.post("/shops")
@allow(*roles.EDITS_SHOPS)
@operation("createShop", tags=("shops",), json=ShopIn, ok={201: (Shop, "created")}, errors=WRITE_ERRORS)
def create_shop():
    """Register a shop (name and lon/lat required): its segment, grid, 街道 and frontage are derived"""
    actor = current_actor()
    with writing() as session:
        shop = registry.create_shop(session, body_of(ShopIn).sent(), actor)
        answer = registry.shop_dict(session, shop, actor)
    return jsonify(answer), 201


@bp.get("/shops/<int:shop_id>")
@signed_in
@operation("getShop", tags=("shops",), ok={200: Shop}, errors=(404,))
def get_shop(shop_id: int):
    """A shop with its frontage"""
    session = db_session()
    return jsonify(registry.shop_dict(session, registry.get_shop(session, shop_id), current_actor()))


@bp.patch("/shops/<int:shop_id>")
@allow(*roles.EDITS_SHOPS)
@operation("editShop", tags=("shops",), json=ShopIn, ok={200: (Shop, "changed")}, errors=(*WRITE_ERRORS, 404))
def edit_shop(shop_id: int):
    """Change a shop (only the fields sent); a new position redraws its frontage and its neighbours'"""
    actor = current_actor()
    with writing() as session:
        shop = registry.edit_shop(session, shop_id, body_of(ShopIn).sent(), actor)
        answer = registry.shop_dict(session, shop, actor)
    return jsonify(answer)


@bp.get("/shops/<int:shop_id>/months/<month>")
@signed_in
@operation("getShopMonth", tags=("shops",), ok={200: ShopMonth}, errors=(400, 404))
def shop_month(shop_id: int, month: str):
    """A shop's score for a month: items, each deduction with the case it came from, its flag"""
    session = db_session()
    registry.get_shop(session, shop_id)
    got = reads.shop_month(session, shop_id, month, _lang())
    if got is None:
        raise NotFound(f"shop {shop_id} has no score for {month}", zh=f"该商铺 {month} 尚未评分")
    return jsonify(got)


@bp.get("/shops/ranking")
@signed_in
@operation("shopRanking", tags=("shops",), query=MonthQuery, ok={200: ShopRanking}, errors=(400,))
def ranking():
    """The month's ranking per 街道 (ties share a rank) and its 红黑榜"""
    q = query_of(MonthQuery)
    return jsonify(reads.ranking(db_session(), q.month, _lang(), q.street_id))


@bp.post("/shops/scores")
@allow(*roles.EDITS_SHOPS)
@operation("scoreShops", tags=("shops",), json=ShopMonthScoreIn, ok={200: ScoreSummary}, errors=WRITE_ERRORS)
def score():
    """Score a month (again): 100 minus deductions traced to cases, ranks, flags"""
    month = body_of(ShopMonthScoreIn).sent().get("month")
    with writing() as session:
        answer = scoring.score_month(session, scoring.parse_month(month), app_state().settings.cases.timezone)
    return jsonify(answer)
