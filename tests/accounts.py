"""Accounts for tests: a test client that acts as a new account of a given role, by an API token (as an API client
does), or signed in through the sign-in page (as a person does).

Accounts made for token use get an unusable password hash ("!" is no argon2 hash: nobody can sign in with it), so
tests do not pay argon2's cost for a password they never type; :func:`signed_in_client` hashes for real.
"""

from __future__ import annotations

import itertools
import re

from flask import Flask
from flask.testing import FlaskClient

from gridmap.accounts import registry
from gridmap.accounts.actor import SYSTEM, Actor, cli_actor
from gridmap.store.engine import session_scope
from gridmap.web.state import app_state

PASSWORD = "test-password-1"
_numbers = itertools.count(1)


def make_account(
    app: Flask,
    role: str,
    *,
    username: str | None = None,
    scope: str | None = None,
    unit: str | None = None,
    person: str | None = None,
    password: str | None = None,
    name: str | None = None,
) -> tuple[str, str]:
    """A new account of ``role`` (scope: an area code; unit: a unit clerk's unit; person: a grid worker's code; name:
    its full name, else the username) and an API token for it: (username, token)."""
    username = username or f"{role}-{next(_numbers)}"
    if password is not None:
        from gridmap.web.auth import password_hasher

        hasher = password_hasher(app_state(app).settings)
    else:
        password, hasher = PASSWORD, (lambda _p: "!")
    with session_scope(app_state(app).session_factory) as session:
        registry.create_account(session, cli_actor(), username=username, name=name or username, role=role,
                                password=password, hash_password=hasher, scope=scope, unit=unit,
                                person=person)  # fmt: skip
        token, _ = registry.create_token(session, cli_actor(), username)
    return username, token


def client_as(app: Flask, role: str = "commander", **account: str | None) -> FlaskClient:
    """A test client sending a new ``role`` account's API token with every request."""
    _, token = make_account(app, role, **account)
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def signed_in_client(app: Flask, username: str, password: str = PASSWORD) -> FlaskClient:
    """A test client signed in through the sign-in page, as a browser is, sending the CSRF header on changes."""
    client = app.test_client()
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True))
    assert csrf, "the sign-in page carries a CSRF token"
    resp = client.post("/login", data={"username": username, "password": password, "csrf_token": csrf.group(1)})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    cookie = client.get_cookie("XSRF-TOKEN")
    if cookie is None:
        client.get("/")
        cookie = client.get_cookie("XSRF-TOKEN")
    assert cookie is not None, "signed in, the app sets the XSRF-TOKEN cookie the page scripts send back"
    client.environ_base["HTTP_X_CSRFTOKEN"] = cookie.value
    return client


TESTER = Actor(name="tester", role=SYSTEM, via="cli")
"""Who acts in tests that call the use-cases directly (as the command line does: may do anything)."""
