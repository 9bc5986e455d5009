"""OGC API – Tiles (Part 1: Core) over the map layers: vector tiles (MVT) in the WebMercatorQuad tile matrix set.

``/ogc/collections/{id}/tiles`` (the tilesets), ``/ogc/collections/{id}/tiles/WebMercatorQuad`` (the tileset's
metadata, which is also a TileJSON 3.0 document, so QGIS, GDAL, MapLibre and protomaps read it) and
``/ogc/collections/{id}/tiles/WebMercatorQuad/{z}/{y}/{x}`` (``?at=`` the day of responsibility). A tile carries a
weak ETag from the layers' change counter, the day and the reader's scope (cases: from its content), so a browser
revalidates it with one counter read and gets 304; the same key keeps the rendered tile in the process
(:mod:`gridmap.tiles.cache`); tiles are gzip-compressed with the other API answers when the client accepts it
(:func:`gridmap.web.headers.gzip_response`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from urllib.parse import urlencode

from flask import Response, g, request, url_for

from gridmap.errors import InvalidInput, NotFound, Problem
from gridmap.inputs import parse_day
from gridmap.maps.layers import COLLECTIONS, extent
from gridmap.tiles.cache import TILES
from gridmap.tiles.layers import fields_of, render_tile, tile_layer, version_tag
from gridmap.tiles.quad import MAX_ZOOM, parse_tile
from gridmap.web.auth import current_scope, signed_in
from gridmap.web.ogc import bp, json_response
from gridmap.web.session import db_session

MVT = "application/vnd.mapbox-vector-tile"
TMS = "WebMercatorQuad"
TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
EPSG_3857 = "http://www.opengis.net/def/crs/EPSG/0/3857"


def _day() -> dt.date | None:
    """The request's ``at`` (or ``datetime``): the day of responsibility; None: today."""
    problems: list[Problem] = []
    day = parse_day(request.args.get("at") or request.args.get("datetime"), "at", problems)
    if problems:
        raise InvalidInput(problems)
    return day


def _at_args() -> dict[str, str]:
    """The ``at`` of the request, validated, to carry into the tile URLs."""
    day = _day()
    return {"at": day.isoformat()} if day else {}


def _tile_template(cid: str) -> str:
    base = url_for("ogc.tileset", collection_id=cid, tms=TMS, _external=True)
    query = urlencode(_at_args())
    return base + "/{z}/{y}/{x}" + (f"?{query}" if query else "")


def _check_tms(tms: str) -> None:
    if tms != TMS:
        raise NotFound(f"no tile matrix set {tms!r}: the one offered is {TMS}",
                       zh=f"没有瓦片矩阵集 {tms}（仅有 {TMS}）")  # fmt: skip


@bp.get("/collections/<collection_id>/tiles")
@signed_in
def tilesets(collection_id: str):
    layer = tile_layer(collection_id)
    meta = url_for("ogc.tileset", collection_id=layer.collection, tms=TMS, _external=True)
    title = COLLECTIONS[layer.collection].title_en if g.get("lang") == "en" else COLLECTIONS[layer.collection].title_zh
    return json_response({
        "links": [{"href": request.base_url, "rel": "self", "type": "application/json"}],
        "tilesets": [{
            "title": title, "dataType": "vector", "crs": EPSG_3857, "tileMatrixSetURI": TMS_URI,
            "links": [
                {"href": meta, "rel": "self", "type": "application/json", "title": f"{title} ({TMS})"},
                {"href": TMS_URI, "rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme",
                 "type": "application/json"},
                {"href": _tile_template(layer.collection), "rel": "item", "type": MVT, "templated": True},
            ],
        }],
    })  # fmt: skip


@bp.get("/collections/<collection_id>/tiles/<tms>")
@signed_in
def tileset(collection_id: str, tms: str):
    """The tileset's metadata (OGC API – Tiles) and, in the same document, its TileJSON 3.0."""
    layer = tile_layer(collection_id)
    _check_tms(tms)
    cid = layer.collection
    coll = COLLECTIONS[cid]
    title = coll.title_en if g.get("lang") == "en" else coll.title_zh
    bbox = extent(db_session(), cid) or [-180.0, -85.05, 180.0, 85.05]
    template = _tile_template(cid)
    fields = fields_of(cid)
    geometry = {"line": "lines", "polygon": "polygons", "point": "points"}[coll.geometry]
    return json_response({
        # OGC API – Tiles tileset metadata
        "title": title, "dataType": "vector", "crs": EPSG_3857, "tileMatrixSetURI": TMS_URI,
        "layers": [{"id": cid, "dataType": "vector", "geometryType": geometry, "minTileMatrix": str(layer.min_zoom),
                    "maxTileMatrix": str(MAX_ZOOM),
                    "propertiesSchema": {"type": "object", "properties": {
                        k: {"type": v.split(":")[0].lower(), "description": v} for k, v in fields.items()}}}],
        "links": [
            {"href": request.base_url, "rel": "self", "type": "application/json"},
            {"href": TMS_URI, "rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme",
             "type": "application/json"},
            {"href": template, "rel": "item", "type": MVT, "templated": True},
            {"href": url_for("ogc.collection_doc", collection_id=cid, _external=True), "rel": "collection",
             "type": "application/json"},
        ],
        # TileJSON 3.0.0
        "tilejson": "3.0.0", "name": title, "description": layer.description_en if g.get("lang") == "en"
        else layer.description_zh, "scheme": "xyz", "tiles": [template], "minzoom": layer.min_zoom, "maxzoom": MAX_ZOOM,
        "bounds": bbox, "center": [round((bbox[0] + bbox[2]) / 2, 6), round((bbox[1] + bbox[3]) / 2, 6),
                                   max(layer.min_zoom, 14)],
        "vector_layers": [{"id": cid, "fields": fields, "minzoom": layer.min_zoom, "maxzoom": MAX_ZOOM,
                           "description": layer.description_en}],
    })  # fmt: skip


@bp.get("/collections/<collection_id>/tiles/<tms>/<z>/<y>/<x>")
@signed_in
def tile(collection_id: str, tms: str, z: str, y: str, x: str):
    layer = tile_layer(collection_id)
    _check_tms(tms)
    zi, yi, xi = parse_tile(z, y, x)
    on = _day() or dt.date.today()
    session = db_session()
    scope = current_scope()
    tag = version_tag(session, layer.collection, on, scope)
    etag = f'W/"{tag}"' if tag else None
    if etag and request.if_none_match.contains_weak(tag or ""):
        return _not_modified(etag)
    key = (str(session.get_bind().engine.url), tag, zi, xi, yi) if tag else None  # cases: never kept (no tag)
    data = TILES.get_or_render(key, lambda: render_tile(session, layer.collection, zi, xi, yi, at=on, scope=scope))
    if etag is None:
        etag = f'W/"{hashlib.blake2b(data, digest_size=12).hexdigest()}"'
        if request.if_none_match.contains_weak(etag[3:-1]):
            return _not_modified(etag)
    resp = Response(data, content_type=MVT)  # gzipped with every API answer (gridmap.web.headers.gzip_response)
    resp.headers["Vary"] = "Accept-Encoding, Cookie, Authorization"
    resp.headers["ETag"] = etag
    resp.headers["Cache-Control"] = "private, no-cache"  # kept, but asked again each time (a 304 when unchanged)
    return resp


def _not_modified(etag: str) -> Response:
    resp = Response(status=304)
    resp.headers["ETag"] = etag
    resp.headers["Cache-Control"] = "private, no-cache"
    resp.headers["Vary"] = "Accept-Encoding, Cookie, Authorization"
    return resp
