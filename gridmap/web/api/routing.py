"""Routing API: which unit is responsible for a point, without storing anything.

``GET  /api/v1/snap?lon=&lat=[&crs=gcj02&category=&observed_at=]`` — one point (the one-off path: the database's
spatial index); bad input → 400 naming the field.

``POST /api/v1/snap`` with ``{"points": [{"lon", "lat", "crs"?, "category"?, "observed_at"?, "id"?}, ...]}`` (up to
:data:`~gridmap.web.api.schemas.MAX_SNAP_POINTS`; top-level ``crs``/``category``/``observed_at`` are defaults for
every point) — the bulk path. Answers ``{"count", "routed", "bad", "results": [...]}`` with one result per input
point, in order: the routing answer (see :meth:`gridmap.routing.RoutingResult.to_dict`) or ``{"errors": [{"field",
"message"}]}``; each carries its ``index`` and the client's ``id``. A bad point never hides the good ones.
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from gridmap.catalogue.categories import unknown_categories, unknown_category
from gridmap.errors import InvalidInput
from gridmap.routing import RoutingConfig, route_point, route_points
from gridmap.web.api.openapi import body_of, operation, query_of
from gridmap.web.api.schemas.routing import RoutingAnswer, SnapQuery, SnapRequest, SnapResults
from gridmap.web.auth import signed_in
from gridmap.web.session import db_session
from gridmap.web.state import app_state

bp = Blueprint("routing_api", __name__)


def _config() -> RoutingConfig:
    return app_state().settings.routing()


@bp.get("/snap")
@signed_in
@operation("snapPoint", tags=("routing",), query=SnapQuery, ok={200: RoutingAnswer}, errors=(400,))
def snap_one():
    """The routing answer for one point, nothing stored"""
    q = query_of(SnapQuery)
    if q.category and unknown_categories(db_session(), [q.category]):  # refused as POST /api/v1/reports does
        raise InvalidInput(unknown_category(q.category.strip()))
    result = route_point(
        db_session(),
        q.lon,
        q.lat,
        crs=q.crs or "wgs84",
        category=q.category or None,
        observed_at=q.observed_at or None,
        config=_config(),
    )
    return jsonify(result.to_dict())


MAX_CLIENT_ID = 200
BAD_CLIENT_ID = (
    f"须为不超过 {MAX_CLIENT_ID} 字的文本或整数 (must be text of at most {MAX_CLIENT_ID} characters or a whole number)"
)


@bp.post("/snap")
@signed_in
@operation("snapPoints", tags=("routing",), json=SnapRequest, ok={200: SnapResults}, errors=(400, 413))
def snap_many():
    """Routing answers for many points, nothing stored

    A bad point is answered with its errors, in its place; it never hides the good ones.
    """
    body = body_of(SnapRequest)
    points = body.points
    rows: list[dict[str, object]] = [p if isinstance(p, dict) else {} for p in points]

    def column(name: str) -> list[object]:
        default = getattr(body, name)
        return [r.get(name, default) for r in rows]

    batch = route_points(
        db_session(),
        [r.get("lon") for r in rows],
        [r.get("lat") for r in rows],
        crs=column("crs"),
        categories=column("category"),
        observed_at=column("observed_at"),
        config=_config(),
    )
    categories = column("category")
    unknown = unknown_categories(db_session(), categories)
    results: list[dict[str, object]] = []
    for i, raw in enumerate(points):
        client_id = rows[i].get("id")
        good_id = (
            client_id is None
            or (isinstance(client_id, str) and len(client_id) <= MAX_CLIENT_ID)
            or (isinstance(client_id, int) and not isinstance(client_id, bool))
        )
        item: dict[str, object] = {"index": i, "id": client_id if good_id else None}
        result = batch.result(i)
        if not isinstance(raw, dict):
            item["errors"] = [{"field": "points", "message": f"point {i} is not an object: {str(raw)[:40]!r}"}]
        elif not good_id:  # given back as sent, it must be what the answer's document says: text or a whole number
            item["errors"] = [{"field": "id", "message": BAD_CLIENT_ID}]
        elif result is None:
            item["errors"] = [{"field": e.field, "message": e.message} for e in batch.error_of(i)]
        elif unknown and str(categories[i]).strip() in unknown:
            problem = unknown_category(str(categories[i]).strip())
            item["errors"] = [{"field": problem.field, "message": problem.message}]
        else:
            item.update(result.to_dict())
        results.append(item)
    bad = sum(1 for r in results if "errors" in r)
    return jsonify({"count": len(points), "routed": len(points) - bad, "bad": bad, "results": results})
