"""The small JSON API behind the map pages' popups and search box."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, jsonify

from gridmap.maps.features import feature_details, feature_history, search, unit_overview
from gridmap.store.targets import KINDS
from gridmap.web.api.openapi import operation, query_of
from gridmap.web.api.schemas.common import DayQuery
from gridmap.web.api.schemas.maps import FeatureDetails, FeatureHistory, SearchAnswer, SearchQuery, UnitOverview
from gridmap.web.auth import current_actor, current_scope, signed_in
from gridmap.web.session import db_session
from gridmap.web.state import app_state

api = Blueprint("maps_api", __name__)

_KIND = {"kind": f"{', '.join(KINDS)} (another kind: 404)"}


@api.get("/search")
@signed_in
@operation("search", tags=("map",), query=SearchQuery, ok={200: SearchAnswer}, errors=(400,))
def search_api():
    """Find units, roads, compounds and grids by name or code, each with the box to zoom to"""
    q = query_of(SearchQuery)
    return jsonify(search(db_session(), q.q or "", on=q.at, scope=current_scope()))


@api.get("/features/<kind>/<int:target_id>")
@signed_in
@operation("getFeature", tags=("map",), query=DayQuery, path=_KIND, ok={200: FeatureDetails}, errors=(400, 404))
def feature_api(kind: str, target_id: int):
    """A segment, compound or grid: who is responsible, the people in its roles, its open cases"""
    at = query_of(DayQuery).at
    return jsonify(feature_details(db_session(), kind, target_id, _tz(), at, actor=current_actor()))


@api.get("/features/<kind>/<int:target_id>/history")
@signed_in
@operation("getFeatureHistory", tags=("map",), path=_KIND, ok={200: FeatureHistory}, errors=(404,))
def feature_history_api(kind: str, target_id: int):
    """Who was responsible for a feature, period by period"""
    return jsonify(feature_history(db_session(), kind, target_id, actor=current_actor()))


@api.get("/units/<int:unit_id>")
@signed_in
@operation("getUnit", tags=("responsibility",), query=DayQuery, ok={200: UnitOverview}, errors=(400, 404))
def unit_api(unit_id: int):
    """A unit: what it is responsible for, its people and its open cases"""
    return jsonify(unit_overview(db_session(), unit_id, _tz(), query_of(DayQuery).at, actor=current_actor()))


def _tz() -> ZoneInfo:
    """The city's time zone: times in answers are local."""
    return ZoneInfo(app_state().settings.cases.timezone)
