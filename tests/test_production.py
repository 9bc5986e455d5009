"""Running for real: behind a reverse proxy (forwarded headers believed only from the configured proxies, so the
audit trail records the client's address) and in production mode."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine

from gridmap.config import Settings
from gridmap.errors import InvalidInput
from gridmap.web import create_app
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
