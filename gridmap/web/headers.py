"""Response headers every answer carries: no MIME sniffing, no framing, the referrer kept on the site, and in
production HTTPS only (HSTS). Flask-Security's own pages (sign-in, password) are never stored by a cache."""

from __future__ import annotations

from flask import Flask, Response, request

from gridmap.config import Settings

HSTS = "max-age=31536000; includeSubDomains"  # a year: the browser goes on using HTTPS without asking


def install(app: Flask, settings: Settings) -> None:
    """The headers on every response of ``app``; secure cookies and ``https`` URLs in production."""
    if settings.production:
        app.config.update(PREFERRED_URL_SCHEME="https")

    @app.after_request
    def _security_headers(resp: Response) -> Response:
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        if settings.production:
            resp.headers.setdefault("Strict-Transport-Security", HSTS)
        if request.blueprint == "security":  # sign-in and password pages: a CSRF token, never cached
            resp.cache_control.private = True
            resp.cache_control.no_store = True
        return resp
