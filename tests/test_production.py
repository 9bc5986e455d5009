"""Running for real: behind a reverse proxy (forwarded headers believed only from the configured proxies, so the
audit trail records the client's address) and in production mode."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine

from gridmap.config import Settings
from gridmap.errors import InvalidInput
from gridmap.web import create_app
from gridmap.web.auth import rule_of
from gridmap.web.proxy import TrustedProxies
from tests.accounts import client_as

PROXY = "10.0.0.5"
CLIENT = "203.0.113.9"
FORWARDED = {
    "HTTP_X_FORWARDED_FOR": f"198.51.100.1, {CLIENT}",  # the first part is what the client wrote itself
    "HTTP_X_FORWARDED_PROTO": "https",
    "HTTP_X_FORWARDED_HOST": "gridmap.example.cn",
}


def _seen(trusted: tuple[str, ...], remote: str) -> dict[str, Any]:
    """What an app behind the middleware sees of a request from ``remote`` carrying forwarded headers."""
    seen: dict[str, Any] = {}

    def inner(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update(environ)
        start_response("204 No Content", [])
        return []

    environ = {"REMOTE_ADDR": remote, "wsgi.url_scheme": "http", "HTTP_HOST": "127.0.0.1:5000", **FORWARDED}
    TrustedProxies(inner, trusted)(environ, lambda *a: None)
    return seen


def test_forwarded_headers_are_believed_only_from_a_trusted_proxy() -> None:
    fixed = _seen(("10.0.0.0/8", "::1"), PROXY)
    assert fixed["REMOTE_ADDR"] == CLIENT  # the address nginx saw, not the one the client wrote in front of it
    assert fixed["wsgi.url_scheme"] == "https" and fixed["HTTP_HOST"] == "gridmap.example.cn"
    stranger = _seen(("10.0.0.0/8",), "192.0.2.7")
    assert stranger["REMOTE_ADDR"] == "192.0.2.7" and stranger["wsgi.url_scheme"] == "http"
    assert not any(k.startswith("HTTP_X_FORWARDED") for k in stranger)  # stripped: nothing downstream reads them
    nobody = _seen((), PROXY)  # no proxies configured: nobody is believed
    assert nobody["REMOTE_ADDR"] == PROXY and "HTTP_X_FORWARDED_FOR" not in nobody
    assert _seen(("::1",), "::1")["REMOTE_ADDR"] == CLIENT


def test_a_bad_proxy_address_stops_the_app_with_its_name(settings: Settings) -> None:
    with pytest.raises(InvalidInput, match=r"10\.0\.0\.300"):
        create_app(dataclasses.replace(settings, trusted_proxies=("10.0.0.1", "10.0.0.300")))


def _holiday_address(app: Flask, remote: str, day: str) -> str:
    admin = client_as(app, "admin")
    admin.environ_base.update({"REMOTE_ADDR": remote, **FORWARDED})
    assert admin.post("/api/v1/holidays", json={"day": day, "is_workday": False}).status_code == 200
    items = admin.get(f"/api/v1/audit?object_kind=holiday&object_id={day}").get_json()["items"]
    return str(items[0]["address"])


def test_the_audit_trail_records_the_client_behind_a_trusted_proxy(settings: Settings, engine: Engine) -> None:
    app = create_app(dataclasses.replace(settings, trusted_proxies=("10.0.0.0/8",)))
    assert _holiday_address(app, PROXY, "2026-12-30") == CLIENT
    assert _holiday_address(app, "192.0.2.7", "2026-12-31") == "192.0.2.7"  # a stranger's forged header is ignored


# -- production mode ----------------------------------------------------------------------------------------------


def _production(settings: Settings) -> Settings:
    return dataclasses.replace(settings, production=True, secret_key="s" * 40, password_salt="t" * 40)


def _cookies(resp: Any) -> dict[str, str]:
    """Each Set-Cookie header by the cookie's name."""
    return {h.split("=", 1)[0]: h for h in resp.headers.getlist("Set-Cookie")}


def test_production_mode_sends_secure_cookies_hsts_and_https_links(settings: Settings, engine: Engine) -> None:
    app = create_app(_production(settings))
    client = app.test_client()
    page = client.get("/login", base_url="https://gridmap.example.cn")
    assert page.status_code == 200
    cookies = _cookies(page) | _cookies(client.get("/api/v1/health", base_url="https://gridmap.example.cn"))
    assert {"XSRF-TOKEN", "session"} <= set(cookies)
    assert all("; Secure" in c for c in cookies.values()), cookies
    assert "HttpOnly" in cookies["session"] and "HttpOnly" not in cookies["XSRF-TOKEN"]  # the page scripts read it
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert page.headers["Cache-Control"] in ("private, no-store", "no-store, private")
    with app.test_request_context("/"):
        from flask import url_for

        assert url_for("security.login", _external=True).startswith("https://")


def test_development_mode_works_over_plain_http(settings: Settings, engine: Engine) -> None:
    """The demo over http://LAN-address: a Secure XSRF-TOKEN cookie would be dropped and every change refused."""
    client = create_app(settings).test_client()
    page = client.get("/login")
    cookies = _cookies(page) | _cookies(client.get("/api/v1/health"))
    assert {"XSRF-TOKEN", "session"} <= set(cookies) and not any("Secure" in c for c in cookies.values())
    assert "Strict-Transport-Security" not in page.headers


def test_production_refuses_the_development_secret(settings: Settings) -> None:
    with pytest.raises(RuntimeError, match="GRIDMAP_SECRET_KEY"):
        create_app(dataclasses.replace(settings, production=True, password_salt="t" * 40))


@pytest.mark.parametrize("path", ["/login", "/api/v1/health", "/track", "/no-such-page", "/static/gridmap.css"])
def test_every_answer_carries_the_security_headers(settings: Settings, engine: Engine, path: str) -> None:
    resp = create_app(settings).test_client().get(path)
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY" and resp.headers["Referrer-Policy"] == "same-origin"
    if "Cache-Control" in resp.headers:  # valid syntax: directives, not Python's True
        assert "=True" not in resp.headers["Cache-Control"]


# -- the content-security policy ----------------------------------------------------------------------------------

INLINE = re.compile(r"<(script|style)\b([^>]*)>", re.IGNORECASE)


def _pages(app: Flask) -> list[str]:
    """Every page without arguments (not the API, the map layers, Open311 or files)."""
    skip = ("/api/", "/ogc", "/open311", "/vendor", "/static", "/logout", "/verify", "/favicon")
    return sorted(
        r.rule
        for r in app.url_map.iter_rules()
        if "GET" in (r.methods or ()) and not r.arguments and not r.rule.startswith(skip)
    )


def test_every_page_has_a_policy_and_only_nonced_inline_code(settings: Settings, engine: Engine) -> None:
    app = create_app(settings)
    clients = {role: client_as(app, role) for role in ("commander", "admin", "grid_worker")}
    pages = _pages(app)
    assert {"/", "/map", "/assign", "/gaps", "/heatmap", "/login", "/track", "/audit"} <= set(pages)
    endpoint = {r.rule: r.endpoint for r in app.url_map.iter_rules()}
    nonces = set()
    for path in pages:
        rule = rule_of(app, endpoint[path])  # as a role the page admits (the public's pages: as a commander)
        who = next((c for role, c in clients.items() if role in rule), clients["commander"])
        resp = who.get(path)
        assert resp.status_code in (200, 302), path
        csp = resp.headers["Content-Security-Policy"]
        nonce = re.search(r"'nonce-([^']+)'", csp)
        assert nonce and "unsafe-inline" not in csp.replace("style-src-attr 'unsafe-inline'", ""), csp
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp and "base-uri 'self'" in csp
        nonces.add(nonce.group(1))
        for tag, attrs in INLINE.findall(resp.get_data(as_text=True)):
            inline = tag.lower() == "style" or "src=" not in attrs
            if inline and 'type="application/json"' not in attrs:  # data, which no policy runs
                assert f'nonce="{nonce.group(1)}"' in attrs, (path, tag, attrs)
    assert len(nonces) == len(pages)  # a new nonce for every response


def test_the_configured_basemap_is_the_only_image_host(settings: Settings, engine: Engine) -> None:
    app = create_app(dataclasses.replace(settings, basemap_url="https://{s}.tile.example.org/{z}/{x}/{y}.png"))
    csp = client_as(app, "viewer").get("/map").headers["Content-Security-Policy"]
    assert "img-src 'self' data: blob: https://*.tile.example.org;" in csp
