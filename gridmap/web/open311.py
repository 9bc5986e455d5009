"""Open311 GeoReport v2 endpoints under ``/open311/v2/``: JSON or XML by the URL's extension, errors in the spec's
``errors``/``error`` shape (404 unknown, 403 api_key, 400 anything else)."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from gridmap.cases import open311
from gridmap.config import Settings
from gridmap.errors import Conflict, Forbidden, GridmapError, InvalidInput, NotFound
from gridmap.web.auth import current_actor, public
from gridmap.web.guards import error_headers, http_message
from gridmap.web.limits import public_limit
from gridmap.web.session import db_session, writing
from gridmap.web.state import app_state

bp = Blueprint("open311", __name__)

FORMATS = ("json", "xml")


def _settings() -> Settings:
    return app_state().settings


def _base_url() -> str:
    return request.host_url.rstrip("/")


def _xml_value(parent: ET.Element, tag: str, value: Any, item_tags: dict[str, str]) -> None:
    el = ET.SubElement(parent, tag)
    if isinstance(value, list):
        for v in value:
            _xml_value(el, item_tags.get(tag, "item"), v, item_tags)
    elif isinstance(value, dict):
        for k, v in value.items():
            _xml_value(el, k, v, item_tags)
    elif isinstance(value, bool):
        el.text = "true" if value else "false"
    elif value is not None:
        el.text = str(value)


def to_xml(root: str, item: str | None, payload: Any) -> bytes:
    """The spec's XML: a root element holding one element per item, field names as child elements."""
    item_tags = {"attributes": "attribute", "values": "value"}
    top = ET.Element(root)
    if item is None:
        for k, v in payload.items():
            _xml_value(top, k, v, item_tags)
    else:
        for entry in payload:
            el = ET.SubElement(top, item)
            for k, v in entry.items():
                _xml_value(el, k, v, item_tags)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="unicode").encode("utf-8")


def _respond(fmt: str, root: str, item: str | None, payload: Any, status: int = 200) -> Response:
    if fmt == "xml":
        return Response(to_xml(root, item, payload), status=status, content_type="text/xml; charset=utf-8")
    resp = jsonify(payload)
    resp.status_code = status
    resp.headers["Content-Type"] = "application/json; charset=utf-8"
    return resp


def _fmt(fmt: str) -> str:
    if fmt not in FORMATS:
        raise NotFound(f"format {fmt!r} is not served: use .json or .xml")
    return fmt


def _errors(status: int, description: str) -> Response:
    fmt = "xml" if request.path.endswith(".xml") else "json"
    return _respond(fmt, "errors", "error", [{"code": status, "description": description}], status)


@bp.errorhandler(GridmapError)
def _gridmap_error(exc: GridmapError):
    if isinstance(exc, Forbidden):
        return _errors(403, str(exc))
    if isinstance(exc, NotFound):
        return _errors(404, str(exc))
    if isinstance(exc, InvalidInput):
        return _errors(400, "; ".join(str(p) for p in exc.problems))
    if isinstance(exc, Conflict):
        return _errors(409, str(exc))
    return _errors(400, str(exc))


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> Response:
    """An HTTP error under /open311 (also a path no route matched, so the app calls it too) in the spec's format,
    with its headers (``Allow`` on a 405, ``Retry-After`` on a 429)."""
    resp = _errors(exc.code or 400, http_message(exc))
    for name, value in error_headers(exc):
        resp.headers[name] = value
    return resp


@bp.get("/services.<fmt>")
@public
def services(fmt: str):
    return _respond(_fmt(fmt), "services", "service", open311.services(db_session()))


@bp.get("/services/<code>.<fmt>")
@public
def service_definition(code: str, fmt: str):
    return _respond(_fmt(fmt), "service_definition", None, open311.service_definition(db_session(), code))


@bp.get("/requests.<fmt>")
@public
def get_requests(fmt: str):
    fmt = _fmt(fmt)
    body = open311.find_requests(db_session(), request.args.to_dict(), _settings(), _base_url())
    return _respond(fmt, "service_requests", "request", body)


@bp.post("/requests.<fmt>")
@public
@public_limit()
def post_request(fmt: str):
    fmt = _fmt(fmt)
    form = request.form.to_dict()
    if "api_key" not in form and "api_key" in request.args:  # clients send it in the query string too
        form["api_key"] = request.args["api_key"]
    with writing() as session:
        body = open311.create_request(session, form, _settings(), actor=current_actor())
    return _respond(fmt, "service_requests", "request", body, 201)


@bp.get("/requests/<request_id>.<fmt>")
@public
def get_request(request_id: str, fmt: str):
    fmt = _fmt(fmt)
    body = open311.get_request(db_session(), request_id, _settings(), _base_url())
    return _respond(fmt, "service_requests", "request", body)


@bp.get("/tokens/<token>.<fmt>")
@public
@public_limit()
def get_token(token: str, fmt: str):
    """The request a POST's token (the reporter's receipt code) stands for."""
    fmt = _fmt(fmt)
    return _respond(fmt, "service_requests", "request", open311.request_by_token(db_session(), token))


@bp.get("/discovery.<fmt>")
@public
def discovery(fmt: str):
    """Service discovery: where this GeoReport v2 endpoint lives and which formats it speaks."""
    fmt = _fmt(fmt)
    body: dict[str, Any] = {
        "changeset": "2026-11-26T00:00:00Z",
        "contact": "gridmap command centre",
        "key_service": "ask the command centre for an api_key" if _settings().cases.open311_api_key else "",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": f"{_base_url()}/open311/v2",
                "changeset": "2026-11-26T00:00:00Z",
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    if fmt == "xml":
        xml_body = dict(body)
        xml_body["endpoints"] = [{**e, "formats": [{"format": f} for f in e["formats"]]} for e in body["endpoints"]]
        return Response(_discovery_xml(xml_body), content_type="text/xml; charset=utf-8")
    return _respond(fmt, "discovery", None, body)


def _discovery_xml(body: dict[str, Any]) -> bytes:
    top = ET.Element("discovery")
    for k in ("changeset", "contact", "key_service"):
        ET.SubElement(top, k).text = str(body[k])
    eps = ET.SubElement(top, "endpoints")
    for e in body["endpoints"]:
        ep = ET.SubElement(eps, "endpoint")
        for k in ("specification", "url", "changeset", "type"):
            ET.SubElement(ep, k).text = str(e[k])
        formats = ET.SubElement(ep, "formats")
        for f in e["formats"]:
            ET.SubElement(formats, "format").text = f["format"]
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="unicode").encode("utf-8")
