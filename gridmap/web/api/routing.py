"""Routing API: which unit is responsible for a point, without storing anything.

``GET  /api/v1/snap?lon=&lat=[&crs=gcj02&category=&observed_at=]`` — one point (the one-off path: the database's
spatial index); bad input → 400 naming the field.

``POST /api/v1/snap`` with ``{"points": [{"lon", "lat", "crs"?, "category"?, "observed_at"?, "id"?}, ...]}`` (up to
:data:`MAX_POINTS`; top-level ``crs``/``category``/``observed_at`` are defaults for every point) — the bulk path.
Answers ``{"count", "routed", "bad", "results": [...]}`` with one result per input point, in order: the routing
answer (see :meth:`gridmap.routing.RoutingResult.to_dict`) or ``{"errors": [{"field", "message"}]}``; each carries
its ``index`` and the client's ``id``. A bad point never hides the good ones.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from gridmap.errors import InvalidInput, Problem
from gridmap.routing import RoutingConfig, route_point, route_points
from gridmap.web.session import db_session
from gridmap.web.state import app_state

bp = Blueprint("routing_api", __name__)

MAX_POINTS = 10_000


def _config() -> RoutingConfig:
    return app_state().settings.routing()


@bp.get("/snap")
def snap_one():
    args = request.args
    result = route_point(
        db_session(),
        args.get("lon"),
        args.get("lat"),
        crs=args.get("crs") or "wgs84",
        category=args.get("category") or None,
        observed_at=args.get("observed_at") or None,
        config=_config(),
    )
    return jsonify(result.to_dict())


@bp.post("/snap")
def snap_many():
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("points"), list):
        expected = 'expected a JSON object {"points": [{"lon": …, "lat": …}, …]}'
        raise InvalidInput(Problem(expected, source="request body", field="points"))
    points = body["points"]
    if len(points) > MAX_POINTS:
        raise InvalidInput(
            Problem(f"{len(points)} points: at most {MAX_POINTS} per request", source="request body", field="points")
        )
    rows = [p if isinstance(p, dict) else {} for p in points]

    def column(name: str) -> list[object]:
        default = body.get(name)
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
    results: list[dict[str, object]] = []
    for i, raw in enumerate(points):
        item: dict[str, object] = {"index": i, "id": rows[i].get("id")}
        result = batch.result(i)
        if not isinstance(raw, dict):
            item["errors"] = [{"field": "points", "message": f"point {i} is not an object: {raw!r}"}]
        elif result is None:
            item["errors"] = [{"field": e.field, "message": e.message} for e in batch.error_of(i)]
        else:
            item.update(result.to_dict())
        results.append(item)
    bad = sum(1 for r in results if "errors" in r)
    return jsonify({"count": len(points), "routed": len(points) - bad, "bad": bad, "results": results})
