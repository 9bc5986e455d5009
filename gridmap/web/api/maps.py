"""The small JSON API behind the map pages' popups and search box."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from gridmap.maps.features import feature_details, feature_history, search, unit_overview
from gridmap.web.query_args import at_arg
from gridmap.web.session import db_session

api = Blueprint("maps_api", __name__)


@api.get("/search")
def search_api():
    return jsonify(search(db_session(), request.args.get("q", ""), on=at_arg()))


@api.get("/features/<kind>/<int:target_id>")
def feature_api(kind: str, target_id: int):
    return jsonify(feature_details(db_session(), kind, target_id, at_arg()))


@api.get("/features/<kind>/<int:target_id>/history")
def feature_history_api(kind: str, target_id: int):
    return jsonify(feature_history(db_session(), kind, target_id))


@api.get("/units/<int:unit_id>")
def unit_api(unit_id: int):
    return jsonify(unit_overview(db_session(), unit_id, at_arg()))
