"""Who may do what: one role × route matrix over every route of the app, on both databases.

The expectations are written out here (from issue 11's roles), not read from the routes' own rules: a route whose
rule drifts from this table, or a route missing from it, fails. Every route is called as each role (by an API
token) and with no account: a role the table allows gets the route's success status (or, for a change sent with
an empty body, the 400 of its validation — the request got past the door); any other role gets 403; no account
gets 401 (the API, as JSON) or the sign-in page (pages).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
import shapely
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from gridmap.accounts.actor import cli_actor
from gridmap.assessments.drawing import draw, parse_request
from gridmap.cases import open_report
from gridmap.catalogue.categories import seed
from gridmap.config import Settings
from gridmap.inspections import seed_templates
from gridmap.inspections.records import open_inspection
from gridmap.shops.registry import create_shop
from gridmap.shops.scoring import score_month
from gridmap.store.dialect import wkb
from gridmap.store.engine import session_scope
from gridmap.store.models import AccountRole, ApiToken, Assignment, Case, CaseEvent, Person, Segment, Unit
from gridmap.web import create_app
from gridmap.web.state import app_state
from tests.accounts import make_account
from tests.case_helpers import PNG

ROLES = tuple(r.value for r in AccountRole)
EVERYONE = frozenset(ROLES)
PUBLIC = "public"
A, CMD, DSP, CLK, GW, INS, VW = ROLES  # admin, commander, dispatcher, unit_clerk, grid_worker, inspector, viewer
assert (A, CMD, DSP, CLK, GW, INS, VW) == ("admin", "commander", "dispatcher", "unit_clerk", "grid_worker",
                                           "inspector", "viewer")  # fmt: skip
CASE_WORKERS = frozenset({CMD, DSP, CLK, GW, INS})


@dataclass(frozen=True)
class Route:
    """How to call one route, and who may."""

    method: str
    url: str  # with {placeholders} filled from the fixture's ids
    allowed: frozenset[str] | str  # roles, or PUBLIC
    ok: int = 200  # the status an allowed role gets
    body: dict[str, Any] = field(default_factory=dict)  # the request's keyword arguments (json=, data=)
    api: bool = True  # no account: 401 (API) or a redirect to the sign-in page (a page)
    signed_in_ok: int | None = None  # a public route's answer to someone signed in, when it differs


def _r(method: str, url: str, allowed: frozenset[str] | set[str] | str, ok: int = 200, **kw: Any) -> Route:
    api = kw.pop("api", url.startswith(("/api/", "/ogc", "/open311")))
    signed_in_ok = kw.pop("signed_in_ok", None)
    return Route(method, url, allowed if isinstance(allowed, str) else frozenset(allowed), ok, kw, api, signed_in_ok)


# endpoint → the calls that prove its rule. Changes are sent with an empty body: an allowed role gets 400.
MATRIX: dict[str, list[Route]] = {
    # pages
    "pages.index": [_r("GET", "/", EVERYONE, api=False), _r("GET", "/?screen=1", EVERYONE, api=False)],
    "pages.screen": [_r("GET", "/dashboard/screen", EVERYONE, ok=302, api=False)],
    "dashboard_api.dashboard": [_r("GET", "/api/v1/dashboard", EVERYONE)],
    "pages.favicon": [_r("GET", "/favicon.ico", PUBLIC, ok=301)],
    "maps.coverage_map": [_r("GET", "/map", EVERYONE, api=False)],
    "maps.map_script": [_r("GET", "/map-script.js?zoom=13", EVERYONE, api=False)],
    "maps.unit_page": [_r("GET", "/units/{unit}", EVERYONE, api=False)],
    "maps.history_page": [_r("GET", "/features/segment/{segment}/history", EVERYONE, api=False)],
    "command.assign_page": [_r("GET", "/assign", {CMD}, api=False)],
    "command.gaps_page": [_r("GET", "/gaps", EVERYONE, api=False)],
    "command.heatmap_page": [_r("GET", "/heatmap", EVERYONE, api=False)],
    "command.heatmap_cases": [_r("GET", "/heatmap/cases", EVERYONE, api=False)],
    "accounts.my_account": [_r("GET", "/account", EVERYONE, api=False)],
    "accounts.accounts_page": [_r("GET", "/admin/accounts", {A}, api=False)],
    "units_admin.units_page": [_r("GET", "/admin/units?kind=enterprise", {A, CMD}, api=False)],
    "units_admin.create_unit": [_r("POST", "/admin/units", {A, CMD}, ok=400, api=False, data={})],
    "units_admin.unit_page": [_r("GET", "/admin/units/{unit}", {A, CMD}, api=False)],
    "units_admin.edit_unit": [_r("POST", "/admin/units/{unit}", {A, CMD}, ok=400, api=False, data={"kind": "x"})],
    "units_admin.retire_unit": [
        _r("POST", "/admin/units/{unit}/retire", {A, CMD}, ok=400, api=False, data={"on": "x"})
    ],
    "units_admin.merge_unit": [_r("POST", "/admin/units/{unit}/merge", {A, CMD}, ok=400, api=False, data={})],
    "units_admin.create_person": [_r("POST", "/admin/units/{unit}/people", {A, CMD}, ok=400, api=False, data={})],
    "units_admin.retire_person": [
        _r("POST", "/admin/units/{unit}/people/999999/retire", {A, CMD}, ok=400, api=False, data={})
    ],
    "units_admin.template": [
        _r("GET", "/admin/units/template.xlsx", {A, CMD}, api=False),
        _r("GET", "/admin/people/template.xlsx", {A, CMD}, api=False),
    ],
    "roster.roster_page": [_r("GET", "/admin/roster", {A, CMD}, api=False)],
    "roster.preview_upload": [_r("POST", "/admin/roster/preview", {CMD}, ok=400, api=False, data={})],
    "roster.import_upload": [_r("POST", "/admin/roster/import", {CMD}, ok=400, api=False, data={"token": "x"})],
    "roster.undo_import": [_r("POST", "/admin/roster/undo/999999", {CMD}, ok=400, api=False, data={})],
    "roster.download": [
        _r("GET", "/admin/roster/template.xlsx", {A, CMD}, api=False),
        _r("GET", "/admin/roster/roster.csv", {A, CMD}, api=False),
    ],
    "accounts.create_account": [_r("POST", "/admin/accounts", {A}, ok=400, api=False, data={})],
    "accounts.set_active": [_r("POST", "/admin/accounts/{other}/active", {A}, ok=302, api=False, data={"active": "1"})],
    "accounts.create_token": [_r("POST", "/admin/accounts/{other}/tokens", {A}, api=False, data={"days": "x"})],
    "accounts.revoke_token": [_r("POST", "/admin/tokens/999999/revoke", {A}, ok=400, api=False, data={})],
    "accounts.audit_page": [_r("GET", "/audit", {A, CMD}, api=False)],
    # signing in (Flask-Security's views)
    "security.login": [_r("GET", "/login", PUBLIC, api=False, signed_in_ok=302)],  # signed in: sent on
    "security.logout": [_r("POST", "/logout", EVERYONE, ok=302, api=False)],
    "security.change_password": [_r("GET", "/account/password", EVERYONE, api=False)],
    "security.verify": [_r("GET", "/verify", EVERYONE, api=False)],
    "security.static": [_r("GET", "/fs-static/js/webauthn.js", PUBLIC, api=False)],
    "static": [_r("GET", "/static/gridmap.css", PUBLIC)],
    "assets.vendor": [_r("GET", "/vendor/leaflet-draw/leaflet.draw.js", PUBLIC)],
    # the JSON API
    "api.health": [_r("GET", "/api/v1/health", PUBLIC)],
    "api.openapi": [_r("GET", "/api/v1/openapi.json", PUBLIC)],
    "routing_api.snap_one": [_r("GET", "/api/v1/snap?lon=111.14&lat=37.52", EVERYONE)],
    "routing_api.snap_many": [_r("POST", "/api/v1/snap", EVERYONE, ok=400, json={})],
    "cases_api.post_report": [_r("POST", "/api/v1/reports", CASE_WORKERS, ok=400, json={})],
    "cases_api.list_cases": [_r("GET", "/api/v1/cases", EVERYONE)],
    "cases_api.get_case": [_r("GET", "/api/v1/cases/{case}", EVERYONE)],
    "cases_api.post_event": [_r("POST", "/api/v1/cases/{case}/events", CASE_WORKERS, ok=400, json={})],
    "cases_api.get_photo": [_r("GET", "/api/v1/photos/{photo}", CASE_WORKERS)],
    "cases_api.list_categories": [_r("GET", "/api/v1/categories", EVERYONE)],
    "cases_api.get_category": [_r("GET", "/api/v1/categories/0102", EVERYONE)],
    "cases_api.post_category": [_r("POST", "/api/v1/categories", {A}, ok=400, json={})],
    "cases_api.list_holidays": [_r("GET", "/api/v1/holidays", EVERYONE)],
    "cases_api.post_holiday": [_r("POST", "/api/v1/holidays", {A}, ok=400, json={})],
    "maps_api.search_api": [_r("GET", "/api/v1/search?q=%E8%B7%AF", EVERYONE)],
    "maps_api.feature_api": [_r("GET", "/api/v1/features/segment/{segment}", EVERYONE)],
    "maps_api.feature_history_api": [_r("GET", "/api/v1/features/segment/{segment}/history", EVERYONE)],
    "maps_api.unit_api": [_r("GET", "/api/v1/units/{unit}", EVERYONE)],
    "assign_api.get_units": [_r("GET", "/api/v1/units", EVERYONE)],
    "units_api.create_unit": [_r("POST", "/api/v1/units", {A, CMD}, ok=400, json={})],
    "units_api.edit_unit": [_r("PATCH", "/api/v1/units/{unit}", {A, CMD}, ok=400, json={"kind": "nope"})],
    "units_api.retire_unit": [_r("POST", "/api/v1/units/{unit}/retire", {A, CMD}, ok=400, json={"on": "x"})],
    "units_api.merge_unit": [_r("POST", "/api/v1/units/{unit}/merge", {A, CMD}, ok=400, json={})],
    "units_api.list_people": [_r("GET", "/api/v1/people", EVERYONE)],
    "units_api.create_person": [_r("POST", "/api/v1/people", {A, CMD}, ok=400, json={})],
    "units_api.get_person": [_r("GET", "/api/v1/people/{person}", EVERYONE)],
    "units_api.edit_person": [_r("PATCH", "/api/v1/people/{person}", {A, CMD}, ok=400, json={"phone": "no!"})],
    "units_api.retire_person": [_r("POST", "/api/v1/people/{person}/retire", {A, CMD}, ok=400, json={"on": "x"})],
    "assign_api.post_preview": [_r("POST", "/api/v1/assignments/preview", {CMD}, ok=400, json={})],
    "assign_api.post_assignment": [_r("POST", "/api/v1/assignments", {CMD}, ok=400, json={})],
    "assign_api.end_assignment": [
        _r("POST", "/api/v1/assignments/{assignment}/end", {CMD}, ok=400, json={"on": "someday"})
    ],
    "assign_api.get_gaps": [_r("GET", "/api/v1/gaps?kind=grid", EVERYONE)],
    "assign_api.gaps_summary": [_r("GET", "/api/v1/gaps/summary", EVERYONE)],
    "assign_api.get_heat": [_r("GET", "/api/v1/heat", EVERYONE)],
    "audit_api.audit_api": [_r("GET", "/api/v1/audit", {A, CMD})],
    "tasks_api.list_tasks": [_r("GET", "/api/v1/tasks", CASE_WORKERS)],
    "inspections.inspections_page": [_r("GET", "/inspections", EVERYONE, api=False)],
    "inspections.create_inspection": [_r("POST", "/inspections", {INS, CMD}, ok=400, api=False, data={})],
    "inspections.problem_list_page": [_r("GET", "/inspections/{inspection}", EVERYONE, api=False)],
    "inspections.publish_inspection": [
        _r("POST", "/inspections/{inspection}/publish", {CMD}, ok=302, api=False, data={})
    ],
    "inspections.problem_list_xlsx": [_r("GET", "/inspections/{inspection}/problems.xlsx", EVERYONE, api=False)],
    "inspections.record_page": [_r("GET", "/inspections/{inspection}/record", {INS}, api=False)],
    "inspections.lookback_page": [_r("GET", "/inspections/lookback", EVERYONE, api=False)],
    "inspections.checklists_page": [_r("GET", "/admin/checklists", {A}, api=False)],
    "inspections.save_checklist": [_r("POST", "/admin/checklists/main_road", {A}, ok=400, api=False, data={})],
    "inspections_api.list_checklists": [_r("GET", "/api/v1/inspection-templates", EVERYONE)],
    "inspections_api.get_checklist": [_r("GET", "/api/v1/inspection-templates/main_road", EVERYONE)],
    "inspections_api.save_checklist": [_r("PUT", "/api/v1/inspection-templates/main_road", {A}, ok=400, json={})],
    "inspections_api.list_inspections": [_r("GET", "/api/v1/inspections", EVERYONE)],
    "inspections_api.open_inspection": [_r("POST", "/api/v1/inspections", {INS, CMD}, ok=400, json={})],
    "inspections_api.get_inspection": [_r("GET", "/api/v1/inspections/{inspection}", EVERYONE)],
    "inspections_api.record_findings": [
        _r("POST", "/api/v1/inspections/{inspection}/findings", {INS}, ok=400, json={})
    ],
    "inspections_api.publish_inspection": [_r("POST", "/api/v1/inspections/{inspection}/publish", {CMD})],
    "inspections_api.get_problem_list": [_r("GET", "/api/v1/inspections/{inspection}/problems", EVERYONE)],
    "inspections_api.get_look_back": [_r("GET", "/api/v1/inspections/lookback", EVERYONE)],
    "scorecards_api.get_scorecard": [_r("GET", "/api/v1/scorecards?period=2026-11&subject=unit", EVERYONE)],
    "scorecards_api.get_trends": [_r("GET", "/api/v1/scorecards/trends?period=2026-11", EVERYONE)],
    "scorecards_api.publish_scorecard": [_r("POST", "/api/v1/scorecards/publish", {A, CMD}, ok=400, json={})],
    "schemes.schemes_page": [_r("GET", "/admin/schemes", {A, CMD}, api=False)],
    "schemes.scheme_page": [_r("GET", "/admin/schemes/unit_composite", {A, CMD}, api=False)],
    "scorecards_api.get_schemes": [_r("GET", "/api/v1/schemes", EVERYONE)],
    "scorecards_api.post_scheme": [_r("POST", "/api/v1/schemes", {A}, ok=400, json={"document": {}})],
    "rankings.rankings_page": [_r("GET", "/rankings?period=2026-11", EVERYONE, api=False)],
    "rankings.unit_scorecard": [_r("GET", "/units/{unit}/scorecard?period=2026-11", EVERYONE, api=False)],
    # OGC API – Features (the map's layers) and Open311 (the public's door)
    "ogc.landing": [_r("GET", "/ogc", EVERYONE), _r("GET", "/ogc/", EVERYONE)],
    "ogc.conformance": [_r("GET", "/ogc/conformance", EVERYONE)],
    "ogc.collections": [_r("GET", "/ogc/collections", EVERYONE)],
    "ogc.collection_doc": [_r("GET", "/ogc/collections/segments", EVERYONE)],
    "ogc.items": [_r("GET", "/ogc/collections/segments/items?limit=5", EVERYONE)],
    "ogc.item": [_r("GET", "/ogc/collections/segments/items/{segment}", EVERYONE)],
    "ogc.tilesets": [_r("GET", "/ogc/collections/segments/tiles", EVERYONE)],
    "ogc.tileset": [_r("GET", "/ogc/collections/segments/tiles/WebMercatorQuad", EVERYONE)],
    "ogc.tile": [_r("GET", "/ogc/collections/segments/tiles/WebMercatorQuad/14/6346/13250", EVERYONE)],
    "open311.discovery": [_r("GET", "/open311/v2/discovery.json", PUBLIC)],
    "open311.services": [_r("GET", "/open311/v2/services.json", PUBLIC)],
    "open311.service_definition": [_r("GET", "/open311/v2/services/0102.json", PUBLIC)],
    "open311.get_requests": [_r("GET", "/open311/v2/requests.json", PUBLIC)],
    "open311.get_request": [_r("GET", "/open311/v2/requests/{case}.json", PUBLIC)],
    "open311.post_request": [_r("POST", "/open311/v2/requests.json", PUBLIC, ok=400, data={})],
    "open311.get_token": [_r("GET", "/open311/v2/tokens/NO-SUCH-CODE.json", PUBLIC, ok=404)],
    "casework.case_view": [_r("GET", "/cases/{case}", EVERYONE, api=False)],
    "casework.tasks_page": [_r("GET", "/tasks", CASE_WORKERS, api=False)],
    "track.track_page": [_r("GET", "/track", PUBLIC, api=False)],
    "report.report_page": [_r("GET", "/report", PUBLIC, api=False)],
    "report.places": [_r("GET", "/report/places.json", PUBLIC)],
    "report.service_worker": [_r("GET", "/report-sw.js", PUBLIC)],
    "report.manifest": [_r("GET", "/report.webmanifest", PUBLIC)],
    "report.send_report": [_r("POST", "/report", PUBLIC, ok=400, data={})],
    "mygrid.mygrid_page": [_r("GET", "/mygrid", {GW, INS}, api=False)],
    "mygrid.mygrid_data": [_r("GET", "/mygrid/data.json", {GW, INS}, api=False)],
    # the notice 通报 (the demo city has no published scorecard: the notice of a period is a 404 in Chinese)
    "notices.notices_page": [_r("GET", "/notices", {A, CMD, DSP, VW}, api=False)],
    "notices.publish_page": [_r("POST", "/notices/2026-11/publish", {A, CMD}, ok=302, api=False, data={})],
    "notices_api.list_notices": [_r("GET", "/api/v1/notices", {A, CMD, DSP, VW})],
    "notices_api.get_notice": [
        _r("GET", "/api/v1/notices/2026-11.pdf", {A, CMD, DSP, VW}, ok=404),
        _r("GET", "/api/v1/notices/2026-W48.xlsx", {A, CMD, DSP, VW}, ok=404),
    ],
    "notices_api.publish_notice": [_r("POST", "/api/v1/notices/2026-11/publish", {A, CMD}, ok=404, json={})],
    # 门前五包 shops
    "shops.shops_page": [_r("GET", "/shops?q=%E5%BA%97", EVERYONE, api=False)],
    "shops.shop_page": [_r("GET", "/shops/{shop}", EVERYONE, api=False)],
    "shops.ranking_page": [_r("GET", "/shops/ranking", EVERYONE, api=False)],
    "shops.add_letter": [_r("POST", "/shops/{shop}/letters", {A, CMD}, ok=400, api=False, data={})],
    "shops_api.list_shops": [_r("GET", "/api/v1/shops", EVERYONE)],
    "shops_api.shop_frontages": [_r("GET", "/api/v1/shops/frontages", EVERYONE)],
    "shops_api.create_shop": [_r("POST", "/api/v1/shops", {A, CMD}, ok=400, json={})],
    "shops_api.get_shop": [_r("GET", "/api/v1/shops/{shop}", EVERYONE)],
    "shops_api.edit_shop": [_r("PATCH", "/api/v1/shops/{shop}", {A, CMD}, ok=400, json={"lon": "east"})],
    "shops_api.shop_month": [_r("GET", "/api/v1/shops/{shop}/months/{month}", EVERYONE)],
    "shops_api.ranking": [_r("GET", "/api/v1/shops/ranking?month={month}", EVERYONE)],
    "shops_api.score": [_r("POST", "/api/v1/shops/scores", {A, CMD}, ok=400, json={})],
    "assessments.list_page": [_r("GET", "/assessments", EVERYONE, api=False)],
    "assessments.assessment_page": [_r("GET", "/assessments/{assessment}", EVERYONE, api=False)],
    "assessments.point_page": [_r("GET", "/assessments/{assessment}/points/{apoint}/score", EVERYONE, api=False)],
    "assessments_api.list_all": [_r("GET", "/api/v1/assessments", EVERYONE)],
    "assessments_api.draw_one": [_r("POST", "/api/v1/assessments", {CMD, INS}, ok=400, json={})],
    "assessments_api.get_one": [_r("GET", "/api/v1/assessments/{assessment}", EVERYONE)],
    "assessments_api.get_results": [_r("GET", "/api/v1/assessments/{assessment}/results", EVERYONE)],
    "assessments_api.get_items": [_r("GET", "/api/v1/assessments/{assessment}/points/{apoint}/items", EVERYONE)],
    "assessments_api.score_items": [
        _r("POST", "/api/v1/assessments/{assessment}/points/{apoint}/items", {CMD, INS}, ok=400, json={})
    ],
    "assessments_api.score_one": [
        _r("PUT", "/api/v1/assessments/{assessment}/points/{apoint}/score", {CMD, INS}, ok=400, json={})
    ],
    "assessments_api.correct_one": [
        _r("PUT", "/api/v1/assessments/{assessment}/points/{apoint}/items/999999", {CMD, INS}, ok=404, json={})
    ],
    "assessments_api.delete_one": [
        _r("DELETE", "/api/v1/assessments/{assessment}/points/{apoint}/items/999999", {CMD, INS}, ok=404)
    ],
    "assessments_api.close_one": [_r("POST", "/api/v1/assessments/999999/close", {CMD, INS}, ok=404, json={})],
    # road-chief patrols: anyone signed in reads coverage; misses name people; the phone page is the walkers'
    "patrols.patrol_page": [_r("GET", "/patrol", {GW, INS}, api=False)],
    "patrols.coverage_page": [_r("GET", "/patrols", EVERYONE, api=False)],
    "patrols_api.post_patrol": [_r("POST", "/api/v1/patrols", {A, CMD, DSP, GW, INS}, ok=400, json={})],
    "patrols_api.patrol_segments": [_r("GET", "/api/v1/patrols/segments?person={person}", EVERYONE)],
    "patrols_api.patrol_coverage": [_r("GET", "/api/v1/patrols/coverage?days=7", EVERYONE)],
    "patrols_api.patrol_monthly": [_r("GET", "/api/v1/patrols/monthly", EVERYONE)],
    "patrols_api.patrol_layer": [_r("GET", "/api/v1/patrols/layer", EVERYONE)],
    "patrols_api.patrol_misses": [_r("GET", "/api/v1/patrols/misses", {A, CMD, DSP, INS})],
    # 在职党员进社区: a member acts through their own account, whatever its role (being a member is not a role);
    # the community (a commander in scope) publishes posts; commanders and grid workers confirm services
    "volunteers.my_page": [_r("GET", "/volunteers/me", EVERYONE, api=False)],
    "volunteers.community_page": [_r("GET", "/volunteers/community", {CMD, GW}, api=False)],
    "volunteers.ranking_page": [_r("GET", "/volunteers/ranking?period=2026-Q4", EVERYONE, api=False)],
    "volunteers.publish_form": [_r("POST", "/volunteers/community/posts", {CMD}, ok=302, api=False, data={})],
    "volunteers.confirm_form": [
        _r("POST", "/volunteers/community/shifts/999999/confirm", {CMD, GW}, ok=302, api=False, data={})
    ],
    "volunteers.confirm_many_form": [
        _r("POST", "/volunteers/community/shifts/confirm", {CMD, GW}, ok=302, api=False, data={})
    ],
    "volunteers.close_form": [
        _r("POST", "/volunteers/community/posts/999999/close", {CMD}, ok=302, api=False, data={})
    ],
    "volunteers.review_form": [_r("POST", "/volunteers/reviews", EVERYONE, ok=302, api=False, data={})],
    "volunteers_api.close_volunteer_post": [_r("POST", "/api/v1/volunteers/posts/999999/close", {CMD}, ok=404)],
    "volunteers_api.confirm_shifts": [_r("POST", "/api/v1/volunteers/shifts/confirm", {CMD, GW}, ok=400, json={})],
    "volunteers_api.rate_volunteer": [_r("POST", "/api/v1/volunteers/reviews", EVERYONE, ok=400, json={})],
    "volunteers_api.list_volunteer_posts": [_r("GET", "/api/v1/volunteers/posts", EVERYONE)],
    "volunteers_api.publish_volunteer_post": [_r("POST", "/api/v1/volunteers/posts", {CMD}, ok=400, json={})],
    "volunteers_api.sign_up_post": [_r("POST", "/api/v1/volunteers/posts/999999/signups", EVERYONE, ok=404)],
    "volunteers_api.my_service": [_r("GET", "/api/v1/volunteers/me", EVERYONE)],
    "volunteers_api.check_in_route": [
        _r("POST", "/api/v1/volunteers/signups/999999/check-in", EVERYONE, ok=400, json={})
    ],
    "volunteers_api.check_out_route": [
        _r("POST", "/api/v1/volunteers/signups/999999/check-out", EVERYONE, ok=400, json={})
    ],
    "volunteers_api.list_pending": [_r("GET", "/api/v1/volunteers/shifts/pending", {CMD, GW})],
    "volunteers_api.confirm_shift": [_r("POST", "/api/v1/volunteers/shifts/999999/confirm", {CMD, GW}, ok=404)],
    "volunteers_api.volunteer_ranking": [_r("GET", "/api/v1/volunteers/ranking?period=2026-Q4", EVERYONE)],
    "volunteers_api.get_points_scheme": [_r("GET", "/api/v1/volunteers/scheme", EVERYONE)],
    "volunteers_api.save_points_scheme": [_r("PUT", "/api/v1/volunteers/scheme", {A}, ok=400, json={})],
}


@dataclass
class City:
    app: Flask
    ids: dict[str, Any]
    clients: dict[str | None, FlaskClient]


@pytest.fixture
def city(settings: Settings, session) -> City:
    """The demo city with a case (routed to the unit whose clerk is in the matrix) carrying a photo, and a client
    per role (a unit clerk of that unit) and one with no account."""
    seed(session)
    seed_templates(session)
    inspection = open_inspection(session, {"point_type": "main_road"}, actor=cli_actor(), tz=dt.UTC)["id"]
    session.commit()
    app = create_app(settings)
    factory = app_state(app).session_factory
    with session_scope(factory) as s:
        segment, unit_id, raw = s.execute(
            select(Segment.id, Assignment.unit_id, wkb(Segment.geom))
            .join(Assignment, (Assignment.target_id == Segment.id) & (Assignment.target_kind == "segment"))
            .where(Assignment.role == "responsible", Assignment.valid_to.is_(None))
            .order_by(Segment.id)
        ).first()
        mid = shapely.line_interpolate_point(shapely.from_wkb(bytes(raw)), 0.5, normalized=True)
        report = {"lon": mid.x, "lat": mid.y, "category": "0102", "description": "暴露垃圾"}
        opened = open_report(s, report, app_state(app).settings, actor=cli_actor(), photos=[("a.png", PNG)])
    with session_scope(factory) as s:
        case = s.get(Case, opened["id"])
        assert case is not None and case.unit_id == unit_id
        unit_code = s.scalar(select(Unit.code).where(Unit.id == unit_id))
        assignment = s.scalar(select(Assignment.id).where(Assignment.valid_to.is_(None)).order_by(Assignment.id))
        photos = s.scalar(select(CaseEvent.photos).where(CaseEvent.case_id == case.id, CaseEvent.seq == 1))
        person = Person(name="测试人员", phone="13800000000", unit_id=unit_id)  # the unit clerk's unit's
        s.add(person)
        s.flush()
        person_id = person.id
        shop_id = create_shop(s, {"name": "测试商店", "lon": mid.x, "lat": mid.y}, cli_actor()).id
        month = dt.date.today().strftime("%Y-%m")
        score_month(s, month)
        drawn = draw(s, parse_request({"points": 3, "seed": 1}, dt.date(2026, 12, 1)), cli_actor())
    clients: dict[str | None, FlaskClient] = {None: app.test_client()}
    for role in ROLES:
        _, token = make_account(app, role, unit=unit_code if role == CLK else None)
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        clients[role] = client
    other, _ = make_account(app, VW, username="someone-else")
    ids = {"segment": segment, "case": opened["id"], "unit": unit_id, "assignment": assignment,
           "photo": photos[0]["file"], "other": other, "person": person_id, "inspection": inspection,
           "shop": shop_id, "month": month,
           "assessment": drawn["id"], "apoint": drawn["points"][0]["id"]}  # fmt: skip
    return City(app, ids, clients)


def _expected(route: Route, role: str | None) -> int | str:
    if route.allowed == PUBLIC:
        return route.signed_in_ok if role is not None and route.signed_in_ok else route.ok
    if role is None:
        return 401 if route.api else "sign-in"
    return route.ok if role in route.allowed else 403


def _outcome(resp, role: str | None) -> int | str:
    if role is None and resp.status_code == 302 and "/login" in resp.headers.get("Location", ""):
        return "sign-in"
    return resp.status_code


@pytest.mark.demo_city
def test_every_route_answers_each_role_as_the_matrix_says(city: City) -> None:
    served = {rule.endpoint for rule in city.app.url_map.iter_rules()}
    assert served - set(MATRIX) == set(), "routes missing from the matrix: add them with who may use them"
    assert set(MATRIX) - served == set(), "the matrix names routes the app does not serve"
    wrong: list[str] = []
    tried = 0
    for routes in MATRIX.values():
        for route in routes:
            url = route.url.format(**city.ids)
            for role in (None, *ROLES):
                resp = city.clients[role].open(url, method=route.method, **route.body)
                tried += 1
                got, want = _outcome(resp, role), _expected(route, role)
                if got != want:
                    wrong.append(f"{route.method} {url} as {role or 'nobody'}: {got}, expected {want}")
                if role is None and route.api and got == 401:
                    assert resp.is_json and resp.headers.get("WWW-Authenticate", "").startswith("Bearer")
    assert not wrong, f"{len(wrong)} of {tried} calls answered otherwise:\n" + "\n".join(wrong)
    assert tried >= 8 * 60


@pytest.mark.demo_city
def test_a_revoked_or_expired_token_or_a_disabled_account_is_no_account(city: City) -> None:
    from gridmap.accounts import registry

    factory = app_state(city.app).session_factory
    name, token = make_account(city.app, CMD)
    client = city.app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/cases", headers=auth).status_code == 200
    with session_scope(factory) as s:
        registry.set_active(s, cli_actor(), name, False)
    assert client.get("/api/v1/cases", headers=auth).status_code == 401
    with session_scope(factory) as s:
        registry.set_active(s, cli_actor(), name, True)
    assert client.get("/api/v1/cases", headers=auth).status_code == 200
    with session_scope(factory) as s:
        token_id = s.scalar(select(ApiToken.id).where(ApiToken.prefix == token[:10]))
        registry.revoke_token(s, cli_actor(), str(token_id))
    assert client.get("/api/v1/cases", headers=auth).status_code == 401
    _, soon = make_account(city.app, CMD)
    with session_scope(factory) as s:
        row = s.scalar(select(ApiToken).where(ApiToken.prefix == soon[:10]))
        assert row is not None
        row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    assert client.get("/api/v1/cases", headers={"Authorization": f"Bearer {soon}"}).status_code == 401
    for bad in ("gm_not-a-token", "Basic abc", "Bearer ", "Bearer " + "gm_" + "x" * 500):
        header = bad if bad.startswith("B") else f"Bearer {bad}"
        resp = client.get("/api/v1/cases", headers={"Authorization": header})
        assert resp.status_code == 401, bad
