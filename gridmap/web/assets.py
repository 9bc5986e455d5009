"""Front-end assets installed from the npm registry (``package.json`` + ``package-lock.json``, ``npm ci``), served
from ``node_modules`` through a whitelist: only the ``dist`` folders of the packages below, never a CDN.
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, abort, request, send_from_directory

from gridmap.config import PROJECT_ROOT
from gridmap.web.auth import public

NODE_MODULES = PROJECT_ROOT / "node_modules"
# package → the folder inside it that may be served
VENDOR: dict[str, str] = {
    "leaflet": "dist",
    "leaflet-draw": "dist",
    "leaflet.heat": "dist",
    "leaflet.markercluster": "dist",
    "protomaps-leaflet": "dist",  # the map's vector-tile layers (dist/protomaps-leaflet.js: the browser bundle)
    "exifr": "dist",  # the report page reads a photo's EXIF time and position before resizing it
    "idb-keyval": "dist",  # the report page's queue of reports waiting for the network
    "echarts": "dist",  # the rankings' trend chart (dist/echarts.min.js, a classic script: the global `echarts`)
    "workbox-sw": "build",  # the report page's service worker and the modules it loads (never from Google's CDN)
    "workbox-core": "build",
    "workbox-routing": "build",
    "workbox-strategies": "build",
}

bp = Blueprint("assets", __name__)


def vendor_url(package: str, path: str) -> str:
    """The local URL of a vendored file (what folium and templates link to)."""
    if package not in VENDOR:
        raise KeyError(f"{package!r} is not a vendored package")
    return f"/vendor/{package}/{path}"


def vendor_root(package: str) -> Path:
    return NODE_MODULES / package / VENDOR[package]


@bp.get("/vendor/<package>/<path:path>")
@public
def vendor(package: str, path: str):
    if package not in VENDOR:
        abort(404, description=f"{package!r} is not a vendored package")
    root = vendor_root(package)
    if not root.is_dir():
        abort(404, description=f"{package} is not installed: run `make install` (npm ci)")
    # send_from_directory refuses paths that leave the folder.
    resp = send_from_directory(root, path, max_age=7 * 24 * 3600)
    if (
        resp.status_code == 200
        and path.endswith((".js", ".css"))
        and "gzip" in request.headers.get("Accept-Encoding", "")
    ):
        data = _gzipped(root / path)
        resp.direct_passthrough = False
        resp.set_data(data)
        resp.headers["Content-Encoding"] = "gzip"
        resp.headers["Vary"] = "Accept-Encoding"
    return resp


@lru_cache(maxsize=64)
def _gzipped_cached(path: Path, mtime: float) -> bytes:
    return gzip.compress(path.read_bytes(), compresslevel=9)


def _gzipped(path: Path) -> bytes:
    return _gzipped_cached(path, path.stat().st_mtime)
