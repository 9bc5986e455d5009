"""The OpenAPI 3 document of the JSON API (``GET /api/v1/openapi.json``), written by hand.

A test derives every ``/api/v1`` rule from the app's URL map and checks it is described here, so a new endpoint
cannot ship undocumented.
"""

from __future__ import annotations

from typing import Any

import gridmap

STATUSES = ["pending", "open", "dispatched", "in_progress", "reported_back", "closed", "void", "parked"]
ACTIONS = [
    "verify",
    "dispatch",
    "accept",
    "report_back",
    "recheck_pass",
    "recheck_fail",
    "send_back",
    "request_extension",
    "approve_extension",
    "reject_extension",
    "park",
    "resume",
    "supervise",
    "void",
]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _q(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _path(name: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema or {"type": "string"}}


ERRORS = {
    "400": {"$ref": "#/components/responses/Invalid"},
    "404": {"$ref": "#/components/responses/NotFound"},
}
NULLABLE_STR = {"type": ["string", "null"]}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "status"],
        "properties": {
            "error": {"type": "string", "description": "what is wrong, for a person to read"},
            "status": {"type": "integer"},
            "details": {"type": "array", "items": {"type": "string"}, "description": "one line per problem"},
        },
    },
    "Report": {
        "type": "object",
        "required": ["lat", "lon", "category"],
        "properties": {
            "lat": {"type": "number", "minimum": -90, "maximum": 90},
            "lon": {"type": "number", "minimum": -180, "maximum": 180},
            "crs": {"type": "string", "enum": ["wgs84", "gcj02"], "default": "wgs84"},
            "category": {"type": "string", "description": "a sub-class code, e.g. 0102 暴露垃圾, BJ0101 井盖"},
            "observed_at": {"type": "string", "format": "date-time", "description": "default: now"},
            "description": {"type": "string", "maxLength": 4000},
            "address": {"type": "string", "maxLength": 300},
            "urgency": {"type": "string", "enum": ["normal", "urgent"], "description": "default: the category's"},
            "client_id": {"type": "string", "maxLength": 100, "description": "idempotency key of the client"},
            "reporter": {"type": "string", "maxLength": 200},
            "source": {
                "type": "string",
                "enum": ["patrol", "inspection", "public", "open311", "import"],
                "default": "patrol",
                "description": "public reports wait for on-site verification",
            },
        },
    },
    "Responsible": {
        "type": ["object", "null"],
        "properties": {"unit_id": {"type": "integer"}, "unit_name": {"type": "string"}},
    },
    "Matched": {
        "type": ["object", "null"],
        "properties": {
            "kind": {"type": "string", "enum": ["compound", "segment", "grid", "community", "street"]},
            "id": {"type": "integer", "description": "the same id the map layers give the feature"},
            "name": NULLABLE_STR,
        },
    },
    "Progress": {
        "type": ["object", "null"],
        "description": "the traffic light: green < 80 % of the limit used, yellow 80–100 %, red overdue",
        "properties": {
            "limit_seconds": {"type": "number"},
            "used_seconds": {"type": "number"},
            "remaining_seconds": {"type": "number"},
            "used_fraction": {"type": "number"},
            "light": {"type": "string", "enum": ["green", "yellow", "red"]},
            "overdue": {"type": "boolean"},
            "frozen": {"type": "boolean", "description": "parked (clock stopped) or finished"},
        },
    },
    "ReportAnswer": {
        "type": "object",
        "required": [
            "id",
            "status",
            "responsible",
            "matched",
            "rule",
            "distance_m",
            "candidates",
            "ambiguous",
            "deadline",
            "duplicate_of",
            "created",
        ],
        "properties": {
            "id": {"type": "integer"},
            "created": {"type": "boolean", "description": "false: the client_id was seen before; the first case"},
            "status": {"type": "string", "enum": STATUSES},
            "responsible": _ref("Responsible"),
            "matched": _ref("Matched"),
            "rule": NULLABLE_STR,
            "distance_m": {"type": ["number", "null"]},
            "candidates": {"type": "array", "items": {"type": "object"}},
            "ambiguous": {"type": "boolean"},
            "explanation": NULLABLE_STR,
            "deadline": {"type": ["string", "null"], "format": "date-time"},
            "deadline_unit": {"type": ["string", "null"], "enum": ["urgent_hours", "work_hours", "work_days", None]},
            "duplicate_of": {"type": ["integer", "null"], "description": "the open case this report duplicates"},
            "version": {"type": "integer"},
            "progress": _ref("Progress"),
        },
    },
    "CaseSummary": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "status": {"type": "string", "enum": STATUSES},
            "status_zh": {"type": "string"},
            "source": {"type": "string"},
            "category": {"type": "string"},
            "category_name": {"type": "string"},
            "urgency": {"type": "string"},
            "lon": {"type": "number"},
            "lat": {"type": "number"},
            "unit": {"type": ["object", "null"]},
            "matched": _ref("Matched"),
            "deadline": {"type": ["string", "null"], "format": "date-time"},
            "duplicate_of": {"type": ["integer", "null"]},
            "version": {"type": "integer", "description": "send it back with the next step (optimistic locking)"},
            "progress": _ref("Progress"),
        },
    },
    "Case": {
        "allOf": [
            _ref("CaseSummary"),
            {
                "type": "object",
                "properties": {
                    "allowed_actions": {"type": "array", "items": {"type": "string", "enum": ACTIONS}},
                    "duplicates": {"type": "array", "items": {"type": "integer"}},
                    "events": {"type": "array", "items": _ref("Event")},
                },
            },
        ]
    },
    "Event": {
        "type": "object",
        "properties": {
            "seq": {"type": "integer"},
            "action": {"type": "string"},
            "from_status": NULLABLE_STR,
            "to_status": {"type": "string"},
            "actor": NULLABLE_STR,
            "at": {"type": "string", "format": "date-time"},
            "note": NULLABLE_STR,
            "photos": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string"},
                        "url": {"type": "string"},
                        "type": {"type": "string"},
                        "bytes": {"type": "integer"},
                    },
                },
            },
            "data": {"type": ["object", "null"]},
        },
    },
    "Step": {
        "type": "object",
        "required": ["action", "version"],
        "properties": {
            "action": {"type": "string", "enum": ACTIONS},
            "version": {"type": "integer", "description": "the version you read; 409 when the case moved on"},
            "actor": {"type": "string"},
            "note": {"type": "string", "description": "required for recheck_fail, send_back, park, supervise, void"},
            "data": {
                "type": "object",
                "properties": {
                    "unit_id": {"type": "integer", "description": "dispatch: another unit than the routed one"},
                    "amount": {"type": "number", "description": "request/approve_extension, in the case's unit"},
                },
            },
        },
    },
    "Category": {
        "type": "object",
        "required": ["code"],
        "properties": {
            "code": {"type": "string", "description": "events 0102; components BJ0101; inspection items CC0201"},
            "parent_code": NULLABLE_STR,
            "family": {"type": "string", "enum": ["event", "component", "inspection"]},
            "name_zh": {"type": "string"},
            "name_en": NULLABLE_STR,
            "deadline": {
                "type": ["object", "null"],
                "properties": {
                    "amount": {"type": "number"},
                    "unit": {"type": "string", "enum": ["urgent_hours", "work_hours", "work_days"]},
                },
            },
            "urgent_deadline": {"type": ["object", "null"]},
            "default_urgency": {"type": "string", "enum": ["normal", "urgent"]},
            "active": {"type": "boolean"},
        },
    },
    "Holiday": {
        "type": "object",
        "required": ["day", "is_workday"],
        "properties": {
            "day": {"type": "string", "format": "date"},
            "is_workday": {"type": "boolean"},
            "name": NULLABLE_STR,
        },
    },
    "RoutingAnswer": {
        "type": "object",
        "properties": {
            "point": {"type": "object"},
            "observed_on": {"type": "string", "format": "date"},
            "category": NULLABLE_STR,
            "responsible": _ref("Responsible"),
            "matched": _ref("Matched"),
            "rule": {"type": ["string", "null"], "enum": ["compound", "segment", "grid", "default", None]},
            "distance_m": {"type": ["number", "null"]},
            "candidates": {"type": "array", "items": {"type": "object"}},
            "ambiguous": {"type": "boolean"},
            "explanation": {"type": "string"},
            "community": {"type": ["object", "null"]},
            "street": {"type": ["object", "null"]},
        },
    },
    "SnapRequest": {
        "type": "object",
        "description": "points to route without storing anything (see the routing module)",
        "properties": {
            "points": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "lon": {"type": "number"},
                        "lat": {"type": "number"},
                        "category": {"type": "string"},
                    },
                },
            },
            "crs": {"type": "string", "enum": ["wgs84", "gcj02"]},
            "observed_at": {"type": "string", "format": "date-time"},
        },
    },
}

PATHS: dict[str, Any] = {
    "/api/v1/health": {
        "get": {
            "summary": "Liveness and what the store holds",
            "tags": ["store"],
            "responses": {"200": _json({"type": "object"}), "503": _json({"type": "object"}, "not initialised")},
        },
    },
    "/api/v1/reports": {
        "post": {
            "summary": "Route a report and open its case (上报立案)",
            "tags": ["cases"],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": _ref("Report")},
                    "multipart/form-data": {
                        "schema": {
                            "allOf": [
                                _ref("Report"),
                                {
                                    "type": "object",
                                    "properties": {
                                        "photos": {"type": "array", "items": {"type": "string", "format": "binary"}}
                                    },
                                },
                            ]
                        }
                    },
                },
            },
            "responses": {
                "201": _json(_ref("ReportAnswer"), "the case was opened"),
                "200": _json(_ref("ReportAnswer"), "this client_id was seen before: the first case"),
                "400": {"$ref": "#/components/responses/Invalid"},
                "413": {"$ref": "#/components/responses/Invalid"},
            },
        },
    },
    "/api/v1/snap": {
        "get": {
            "summary": "The routing answer for one point, nothing stored",
            "tags": ["routing"],
            "parameters": [
                _q("lon", "longitude", {"type": "number"}),
                _q("lat", "latitude", {"type": "number"}),
                _q("crs", "wgs84 (default) or gcj02", {"type": "string", "enum": ["wgs84", "gcj02"]}),
                _q("category", "category code (some categories route in their own rule order)"),
                _q("observed_at", "responsibility as of this time (ISO-8601; default now)"),
            ],
            "responses": {"200": _json(_ref("RoutingAnswer")), "400": {"$ref": "#/components/responses/Invalid"}},
        },
        "post": {
            "summary": "Routing answers for many points, nothing stored",
            "tags": ["routing"],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("SnapRequest")}}},
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "count": {"type": "integer"},
                            "routed": {"type": "integer"},
                            "bad": {"type": "integer"},
                            "results": {
                                "type": "array",
                                "description": "per point, in order: a routing answer or {errors}, with index and id",
                                "items": {"type": "object"},
                            },
                        },
                    }
                ),
                "400": {"$ref": "#/components/responses/Invalid"},
            },
        },
    },
    "/api/v1/cases": {
        "get": {
            "summary": "Cases, filtered and paged",
            "tags": ["cases"],
            "parameters": [
                _q(
                    "status",
                    "comma list of " + ", ".join(STATUSES) + "; or active (every status still in the loop) or all",
                ),
                _q("category", "comma list of codes; a class includes its sub-classes"),
                _q("unit", "comma list of unit ids or codes"),
                _q("street", "街道 code(s)"),
                _q("community", "社区 code(s)"),
                _q("from", "opened at or after (ISO-8601; local time if no offset)"),
                _q("to", "opened before"),
                _q("overdue", "true/false", {"type": "boolean"}),
                _q("duplicate", "true: only reports linked as duplicates", {"type": "boolean"}),
                _q("source", "comma list of sources"),
                _q(
                    "sort",
                    "newest (default), oldest, deadline",
                    {"type": "string", "enum": ["newest", "oldest", "deadline"]},
                ),
                _q("page", "from 1", {"type": "integer", "minimum": 1}),
                _q("per_page", "1–500, default 50", {"type": "integer", "minimum": 1, "maximum": 500}),
            ],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "total": {"type": "integer"},
                            "page": {"type": "integer"},
                            "per_page": {"type": "integer"},
                            "items": {"type": "array", "items": _ref("CaseSummary")},
                        },
                    }
                ),
                "400": ERRORS["400"],
            },
        }
    },
    "/api/v1/cases/{case_id}": {
        "get": {
            "summary": "A case with its traffic light, allowed actions and event history",
            "tags": ["cases"],
            "parameters": [_path("case_id", {"type": "integer"})],
            "responses": {"200": _json(_ref("Case")), **ERRORS},
        }
    },
    "/api/v1/cases/{case_id}/events": {
        "post": {
            "summary": "One step of the closed loop (派遣, 签收, 反馈, 核查, 延期, 回退, 挂账, 督办, 作废…)",
            "tags": ["cases"],
            "parameters": [_path("case_id", {"type": "integer"})],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": _ref("Step")},
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "action": {"type": "string"},
                                "version": {"type": "integer"},
                                "actor": {"type": "string"},
                                "note": {"type": "string"},
                                "data": {"type": "string", "description": "a JSON object"},
                                "photos": {"type": "array", "items": {"type": "string", "format": "binary"}},
                            },
                        }
                    },
                },
            },
            "responses": {
                "201": _json(_ref("Case"), "the step was recorded"),
                **ERRORS,
                "409": {"$ref": "#/components/responses/Conflict"},
            },
        }
    },
    "/api/v1/photos/{file}": {
        "get": {
            "summary": "A stored photo (JPEG, PNG or WebP)",
            "tags": ["cases"],
            "parameters": [_path("file")],
            "responses": {"200": {"description": "the image", "content": {"image/*": {}}}, "404": ERRORS["404"]},
        }
    },
    "/api/v1/categories": {
        "get": {
            "summary": "The category tree (events, components, inspection items) with deadlines",
            "tags": ["categories"],
            "parameters": [
                _q("family", "event, component or inspection"),
                _q("active", "true/false"),
                _q("parent", "class code: its sub-classes"),
            ],
            "responses": {"200": _json({"type": "array", "items": _ref("Category")}), "400": ERRORS["400"]},
        },
        "post": {
            "summary": "Create or change a category (deadline, names, default urgency, active)",
            "tags": ["categories"],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Category")}}},
            "responses": {
                "201": _json(_ref("Category"), "created"),
                "200": _json(_ref("Category"), "changed"),
                "400": ERRORS["400"],
            },
        },
    },
    "/api/v1/categories/{code}": {
        "get": {
            "summary": "One category",
            "tags": ["categories"],
            "parameters": [_path("code")],
            "responses": {"200": _json(_ref("Category")), "404": ERRORS["404"]},
        }
    },
    "/api/v1/holidays": {
        "get": {
            "summary": "Public holidays and make-up working days (调休)",
            "tags": ["categories"],
            "parameters": [_q("year", "e.g. 2026", {"type": "integer"})],
            "responses": {"200": _json({"type": "array", "items": _ref("Holiday")})},
        },
        "post": {
            "summary": "Mark a day off or a make-up working day",
            "tags": ["categories"],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Holiday")}}},
            "responses": {"200": _json(_ref("Holiday")), "400": ERRORS["400"]},
        },
    },
    # -- the map, responsibility and gap endpoints (see their modules: gridmap/web/api/maps.py, api/assignments.py)
    "/api/v1/search": {
        "get": {
            "summary": "Find streets, communities, roads, compounds, grids and units by name or code",
            "tags": ["map"],
            "parameters": [_q("q", "a name or code, or part of one"), _q("at", "as of this date (YYYY-MM-DD)")],
            "responses": {"200": _json({"type": "object", "properties": {"results": {"type": "array"}}})},
        }
    },
    "/api/v1/features/{kind}/{target_id}": {
        "get": {
            "summary": "A segment, compound or grid: who is responsible, the named people, open cases",
            "tags": ["map"],
            "parameters": [
                _path("kind", {"type": "string", "enum": ["segment", "compound", "grid"]}),
                _path("target_id", {"type": "integer"}),
                _q("at", "as of this date (YYYY-MM-DD)"),
            ],
            "responses": {"200": _json({"type": "object"}), **ERRORS},
        }
    },
    "/api/v1/features/{kind}/{target_id}/history": {
        "get": {
            "summary": "Who was responsible for a feature, period by period",
            "tags": ["map"],
            "parameters": [
                _path("kind", {"type": "string", "enum": ["segment", "compound", "grid"]}),
                _path("target_id", {"type": "integer"}),
            ],
            "responses": {"200": _json({"type": "object"}), **ERRORS},
        }
    },
    "/api/v1/units": {
        "get": {
            "summary": "Responsible units (包联单位)",
            "tags": ["responsibility"],
            "parameters": [_q("q", "part of a name or code"), _q("kind", "city_office, district_office, …")],
            "responses": {"200": _json({"type": "object", "properties": {"items": {"type": "array"}}})},
        }
    },
    "/api/v1/units/{unit_id}": {
        "get": {
            "summary": "A unit: what it is responsible for, its people and its cases",
            "tags": ["responsibility"],
            "parameters": [_path("unit_id", {"type": "integer"}), _q("at", "as of this date (YYYY-MM-DD)")],
            "responses": {"200": _json({"type": "object"}), **ERRORS},
        }
    },
    "/api/v1/assignments/preview": {
        "post": {
            "summary": "What a drawn line or polygon catches, and who holds each feature now",
            "tags": ["responsibility"],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["shape"],
                            "properties": {
                                "shape": {"type": "object", "description": "GeoJSON LineString or Polygon (WGS-84)"},
                                "kinds": {"type": "array", "items": {"type": "string"}},
                                "buffer_m": {"type": "number", "default": 15},
                                "at": {"type": "string", "format": "date"},
                                "role": {"type": "string"},
                            },
                        }
                    }
                },
            },
            "responses": {"200": _json({"type": "object"}), "400": ERRORS["400"]},
        }
    },
    "/api/v1/assignments": {
        "post": {
            "summary": "Assign features to a unit (all or nothing; a re-assignment closes the old period)",
            "tags": ["responsibility"],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["targets", "unit_id"],
                            "properties": {
                                "targets": {"type": "array", "items": {"type": "object"}},
                                "unit_id": {"type": "integer"},
                                "role": {"type": "string"},
                                "valid_from": {"type": "string", "format": "date"},
                                "valid_to": {"type": "string", "format": "date"},
                                "by": {"type": "string"},
                                "note": {"type": "string"},
                            },
                        }
                    }
                },
            },
            "responses": {
                "201": _json({"type": "object"}, "assigned"),
                "400": ERRORS["400"],
                "409": {"$ref": "#/components/responses/Conflict"},
            },
        }
    },
    "/api/v1/assignments/{assignment_id}/end": {
        "post": {
            "summary": "End an assignment period (history is kept)",
            "tags": ["responsibility"],
            "parameters": [_path("assignment_id", {"type": "integer"})],
            "requestBody": {
                "required": False,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {"on": {"type": "string", "format": "date"}, "by": {"type": "string"}},
                        }
                    }
                },
            },
            "responses": {
                "200": _json({"type": "object"}),
                **ERRORS,
                "409": {"$ref": "#/components/responses/Conflict"},
            },
        }
    },
    "/api/v1/gaps": {
        "get": {
            "summary": "Segments, compounds and grids nobody is responsible for (now or at a date)",
            "tags": ["responsibility"],
            "parameters": [_q("format", "json (default), csv or geojson"), _q("at", "as of this date (YYYY-MM-DD)")],
            "responses": {"200": _json({"type": "object"}), "400": ERRORS["400"]},
        }
    },
    "/api/v1/gaps/summary": {
        "get": {
            "summary": "Gap totals and coverage rates per 街道 and 社区",
            "tags": ["responsibility"],
            "parameters": [_q("at", "as of this date (YYYY-MM-DD)")],
            "responses": {"200": _json({"type": "object"})},
        }
    },
    "/api/v1/heat": {
        "get": {
            "summary": "Case points, or counts per unit grid / per road km, for the heatmap",
            "tags": ["map"],
            "parameters": [
                _q("mode", "points (default), grids or segments"),
                _q("status", "as in /api/v1/cases"),
                _q("category", "as in /api/v1/cases"),
                _q("unit", "as in /api/v1/cases"),
                _q("from", "as in /api/v1/cases"),
                _q("to", "as in /api/v1/cases"),
            ],
            "responses": {"200": _json({"type": "object"}), "400": ERRORS["400"]},
        }
    },
    "/api/v1/openapi.json": {
        "get": {"summary": "This document", "tags": ["store"], "responses": {"200": _json({"type": "object"})}}
    },
}


def document(server_url: str = "") -> dict[str, Any]:
    """The OpenAPI 3.1 document (the server URL is the one the client used)."""

    def _error_response(description: str) -> dict[str, Any]:
        return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "gridmap API",
            "version": gridmap.__version__,
            "description": "Reports routed to the responsible unit, the closed loop of a case (闭环), categories "
            "and the working calendar. Errors are JSON {error, status, details}; never a traceback. Open311 "
            "GeoReport v2 is served under /open311/v2/ (see http://wiki.open311.org/GeoReport_v2).",
        },
        "servers": [{"url": server_url or "/"}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "responses": {
                "Invalid": _error_response("the input was refused; details name each field and problem"),
                "NotFound": _error_response("no such object"),
                "Conflict": _error_response(
                    "the step is not allowed in the case's current state (the message lists the allowed actions), "
                    "or someone else changed the case since you read its version"
                ),
            },
        },
    }
