"""OGC API – Features (Part 1: Core, GeoJSON) over the map layers, so GDAL/QGIS read what the map shows.

``/ogc`` landing page, ``/ogc/conformance``, ``/ogc/collections``, ``/ogc/collections/{id}``,
``/ogc/collections/{id}/items`` (``bbox``, ``limit``, ``cursor`` — keyset paging: the ``next`` link carries it —
or ``offset``, plus ``at``/``datetime`` = the day of
responsibility, ``zoom`` = simplify for that Web-Mercator zoom, ``unit_id``, ``status`` for cases) and
``/ogc/collections/{id}/items/{featureId}``. Feature ids are database ids (routing answers with the same).
Large responses are gzip-compressed when the client accepts it.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, g, request, url_for

from gridmap.catalogue.categories import load_calendar
from gridmap.catalogue.working_calendar import WorkingCalendar
from gridmap.maps.layers import COLLECTIONS, MAX_LIMIT, extent, get_item, parse_items_query, query_items
from gridmap.tiles.layers import TILE_LAYERS
from gridmap.web.auth import current_scope, signed_in
from gridmap.web.session import db_session
from gridmap.web.state import app_state

bp = Blueprint("ogc", __name__)

GEOJSON = "application/geo+json"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    # OGC API – Tiles, served by gridmap.web.ogc_tiles
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def _json(body: Any, content_type: str = "application/json", max_age: int = 0, raw: bytes | None = None) -> Response:
    if raw is None:
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    resp = Response(raw, content_type=f"{content_type}; charset=utf-8")
    if len(raw) > 2048 and "gzip" in request.headers.get("Accept-Encoding", ""):
        resp.set_data(gzip.compress(raw, compresslevel=4))
        resp.headers["Content-Encoding"] = "gzip"
        resp.headers["Vary"] = "Accept-Encoding"
    if max_age:
        resp.headers["Cache-Control"] = f"max-age={max_age}"
    return resp


json_response = _json  # what the tiles routes (gridmap.web.ogc_tiles) answer with too


def _title(coll) -> str:
    return coll.title_en if g.get("lang") == "en" else coll.title_zh


def _collection_doc(cid: str) -> dict[str, Any]:
    coll = COLLECTIONS[cid]
    bbox = extent(db_session(), cid)
    items = url_for("ogc.items", collection_id=cid, _external=True)
    doc: dict[str, Any] = {
        "id": cid,
        "title": _title(coll),
        "description": f"{coll.title_zh} / {coll.title_en}",
        "itemType": "feature",
        "crs": [CRS84],
        "links": [
            {"href": url_for("ogc.collection_doc", collection_id=cid, _external=True), "rel": "self",
             "type": "application/json", "title": "this collection"},
            {"href": items, "rel": "items", "type": GEOJSON, "title": "features"},
        ],
    }  # fmt: skip
    if cid in TILE_LAYERS:
        doc["links"].append({"href": url_for("ogc.tilesets", collection_id=cid, _external=True),
                             "rel": "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector",
                             "type": "application/json", "title": "vector tiles"})  # fmt: skip
    if bbox:
        doc["extent"] = {"spatial": {"bbox": [bbox], "crs": CRS84}}
    return doc


@bp.get("/")
@signed_in
@bp.get("")
@signed_in
def landing():
    return _json(
        {
            "title": "gridmap OGC API – Features",
            "description": "街道/社区, unit grids, road segments, compounds and cases with their responsible units",
            "links": [
                {"href": url_for("ogc.landing", _external=True), "rel": "self", "type": "application/json"},
                {"href": url_for("ogc.conformance", _external=True), "rel": "conformance",
                 "type": "application/json"},
                {"href": url_for("ogc.collections", _external=True), "rel": "data", "type": "application/json"},
            ],
        }
    )  # fmt: skip


@bp.get("/conformance")
@signed_in
def conformance():
    return _json({"conformsTo": CONFORMANCE})


@bp.get("/collections")
@signed_in
def collections():
    return _json(
        {
            "links": [{"href": url_for("ogc.collections", _external=True), "rel": "self", "type": "application/json"}],
            "collections": [_collection_doc(cid) for cid in COLLECTIONS],
        }
    )


@bp.get("/collections/<collection_id>")
@signed_in
def collection_doc(collection_id: str):
    from gridmap.maps.layers import collection

    collection(collection_id)  # NotFound → 404
    return _json(_collection_doc(collection_id))


def _page_link(collection_id: str, rel: str, limit: int, **page: int | None) -> dict[str, str]:
    """A link to a page: ``page`` is ``cursor=`` (keyset, the next page) or ``offset=`` (the request's own)."""
    args = {k: v for k, v in request.args.items() if k not in ("offset", "cursor", "limit", "f")}
    args.update({k: str(v) for k, v in page.items() if v}, limit=str(limit))
    href = url_for("ogc.items", collection_id=collection_id, _external=True) + "?" + urlencode(args)
    return {"href": href, "rel": rel, "type": GEOJSON}


def _calendar(collection_id: str) -> WorkingCalendar | None:
    """The working calendar, for the cases' traffic light (the other collections need none)."""
    if collection_id != "cases":
        return None
    return load_calendar(db_session(), app_state().settings.cases)


@bp.get("/collections/<collection_id>/items")
@signed_in
def items(collection_id: str):
    from gridmap.maps.layers import collection

    coll = collection(collection_id)
    q = replace(parse_items_query(request.args, coll.properties), scope=current_scope(), calendar=_calendar(coll.id))
    page = query_items(db_session(), collection_id, q)
    links = [_page_link(collection_id, "self", q.limit, cursor=q.cursor, offset=q.offset)]
    if page.next_cursor is not None:
        links.append(_page_link(collection_id, "next", q.limit, cursor=page.next_cursor))
    head: dict[str, Any] = {"type": "FeatureCollection"}
    if page.number_matched is not None:  # only when this page is the whole answer: never a count per page
        head["numberMatched"] = page.number_matched
    head.update(numberReturned=page.number_returned, at=page.at.isoformat(), links=links)
    # The geometries arrive as GeoJSON text from shapely: splice them in rather than parse and re-encode.
    text = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1]
    raw = (text + ',"features":[' + ",".join(page.items.json_parts()) + "]}").encode("utf-8")
    return _json(None, GEOJSON, raw=raw)


@bp.get("/collections/<collection_id>/items/<feature_id>")
@signed_in
def item(collection_id: str, feature_id: str):
    q = parse_items_query({k: v for k, v in request.args.items() if k in ("at", "datetime", "zoom")})
    q = replace(q, calendar=_calendar(collection_id))
    feature = get_item(db_session(), collection_id, feature_id, q, scope=current_scope())
    feature["links"] = [
        {"href": request.base_url, "rel": "self", "type": GEOJSON},
        {"href": url_for("ogc.collection_doc", collection_id=collection_id, _external=True), "rel": "collection",
         "type": "application/json"},
    ]  # fmt: skip
    return _json(feature, GEOJSON)


__all__ = ["MAX_LIMIT", "bp"]
