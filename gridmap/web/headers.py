"""Response headers every answer carries: a content-security policy, no MIME sniffing, no framing, the referrer
kept on the site, and in production HTTPS only (HSTS). Flask-Security's own pages (sign-in, password) are never
stored by a cache.

The policy allows scripts and style sheets from the app itself and, inline, only those carrying the response's
nonce (folium's map script and styles: ``csp_nonce()`` in a template); the page scripts are module files
(``static/js/pages``). Style *attributes* stay allowed: Leaflet positions every tile, marker and popup with them.
"""

from __future__ import annotations

import gzip
import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, g, request
from markupsafe import Markup

from gridmap.config import Settings
from gridmap.web.foliummap import add_nonce

HSTS = "max-age=31536000; includeSubDomains"  # a year: the browser goes on using HTTPS without asking
COMPRESSED_TYPES = frozenset(
    {
        "application/json",
        "application/geo+json",
        "application/problem+json",
        "application/vnd.oai.openapi+json",
        "application/vnd.mapbox-vector-tile",  # vector tiles: protobuf of coordinates and repeated keys, ~3× smaller
        "text/csv",
    }
)
"""What is gzipped for a client that accepts it: the API's answers (a city's heat grid was 35 MB of JSON, ~4 MB
gzipped). Images and archives are compressed already; HTML pages are small."""
MIN_GZIP_BYTES = 1024  # below this the header and the CPU cost more than the bytes saved
FAST_GZIP_BYTES = 4 << 20  # above this, level 1: ~5× faster than 6 and still ~80 % of its saving on JSON


def accepts_gzip(header: str) -> bool:
    """Whether an ``Accept-Encoding`` header takes gzip (``gzip;q=0`` refuses it; ``*`` takes anything)."""
    weights: dict[str, float] = {}
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if name:
            weights[name.strip().lower()] = q
    return weights.get("gzip", weights.get("*", 0.0)) > 0


def gzip_response(resp: Response, accept_encoding: str) -> Response:
    """``resp`` gzipped when the client accepts it and its type is worth it (:data:`COMPRESSED_TYPES`); streamed
    and file answers are left alone. The ETag becomes weak: the bytes differ from the identity encoding's."""
    resp.vary.add("Accept-Encoding")
    if (
        resp.direct_passthrough
        or resp.is_streamed
        or resp.mimetype not in COMPRESSED_TYPES
        or "Content-Encoding" in resp.headers
        or not 200 <= resp.status_code < 300
        or not accepts_gzip(accept_encoding)
    ):
        return resp
    data = resp.get_data()
    if len(data) < MIN_GZIP_BYTES:
        return resp
    resp.set_data(gzip.compress(data, compresslevel=1 if len(data) > FAST_GZIP_BYTES else 6, mtime=0))
    resp.headers["Content-Encoding"] = "gzip"
    etag, weak = resp.get_etag()
    if etag and not weak:
        resp.set_etag(etag, weak=True)
    return resp


def csp_nonce() -> str:
    """This response's nonce (made at its first use): the one inline script or style a page may carry."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    nonce: str = g.csp_nonce
    return nonce


def policy(nonce: str, basemap_url: str = "") -> str:
    """The Content-Security-Policy header; the basemap's tiles (``GRIDMAP_BASEMAP_URL``) are the only images from
    elsewhere."""
    img = "'self' data: blob:"
    parts = urlsplit(basemap_url)
    if parts.scheme in ("http", "https") and parts.netloc:
        labels = parts.netloc.split(".")
        if "{" in labels[0]:  # {s}.tile.example.org, t{s}.tianditu.gov.cn: any subdomain
            labels[0] = "*"
        img += f" {parts.scheme}://{'.'.join(labels)}"
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            f"style-src 'self' 'nonce-{nonce}'",
            "style-src-attr 'unsafe-inline'",
            f"img-src {img}",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def install(app: Flask, settings: Settings) -> None:
    """The headers on every response of ``app``; secure cookies and ``https`` URLs in production."""
    if settings.production:
        app.config.update(PREFERRED_URL_SCHEME="https")
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.jinja_env.filters["nonced"] = lambda html: Markup(add_nonce(str(html), csp_nonce()))

    @app.after_request
    def _security_headers(resp: Response) -> Response:
        resp.headers.setdefault("Content-Security-Policy", policy(csp_nonce(), settings.basemap_url))
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        if settings.production:
            resp.headers.setdefault("Strict-Transport-Security", HSTS)
        if request.blueprint == "security":  # sign-in and password pages: a CSRF token, never cached
            resp.cache_control.private = True
            resp.cache_control.no_store = True
        return gzip_response(resp, request.headers.get("Accept-Encoding", ""))
