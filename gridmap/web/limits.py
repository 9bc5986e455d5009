"""The rate limit of the public endpoints (no account: Open311's POST, following a report by its receipt code): one
budget per client address, ``Settings.public_rate`` (``GRIDMAP_PUBLIC_RATE``, "10/minute" by default), shared by
every public endpoint so that guessing receipt codes or flooding reports gets the same answer: 429 with
``Retry-After`` and a message in the user's language. Signed-in accounts (session or token) are not counted: the
limit is for those without one.

Mark a view with :func:`public_limit` (below its route decorator, so the registered view carries the mark); the app
factory calls :func:`install` once every blueprint is registered. The counters live in the process's memory (one
waitress process serves the city); the address is ``request.remote_addr``, which the reverse-proxy fix in front of
the app sets from ``X-Forwarded-For`` of trusted proxies only.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user

from gridmap.config import Settings

MARK = "_gridmap_public_limit"
SCOPE = "public"

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class PublicLimit:
    """Which requests of a view count: its ``methods`` (None: all) unless ``exempt_when()`` says not this one."""

    methods: tuple[str, ...] | None = None
    exempt_when: Callable[[], bool] | None = None


def public_limit(
    *, methods: tuple[str, ...] | None = None, exempt_when: Callable[[], bool] | None = None
) -> Callable[[F], F]:
    """Put a public view under the public rate limit (e.g. ``@public_limit(methods=("POST",))``)."""

    def mark(view: F) -> F:
        setattr(view, MARK, PublicLimit(tuple(m.upper() for m in methods) if methods else None, exempt_when))
        return view

    return mark


def install(app: Flask, settings: Settings) -> Limiter:
    """A limiter of this app's own (its counters are not shared with another app of the same process) applied to
    every marked view."""
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri="memory://",
        strategy="fixed-window",
        headers_enabled=True,
        default_limits=[],
    )
    app.extensions["gridmap_limiter"] = limiter
    for endpoint, view in list(app.view_functions.items()):
        rule: PublicLimit | None = getattr(view, MARK, None)
        if rule is None:
            continue
        limited: Callable[..., Any] = limiter.shared_limit(
            settings.public_rate,
            scope=SCOPE,
            methods=list(rule.methods) if rule.methods else None,
            exempt_when=_exemption(rule.exempt_when),
        )(view)
        app.view_functions[endpoint] = limited
    return limiter


def _exemption(also: Callable[[], bool] | None) -> Callable[[], bool]:
    def exempt() -> bool:
        return bool(getattr(current_user, "is_authenticated", False)) or (also is not None and also())

    return exempt


def retry_after() -> int:
    """Seconds until the limit just hit lets this client in again (at least 1)."""
    limiter: Limiter | None = current_app.extensions.get("gridmap_limiter")
    limit = limiter.current_limit if limiter is not None else None
    if limit is None:
        return 60
    return max(1, math.ceil(limit.reset_at - time.time()))


def no_code() -> bool:
    """A request without ``?code=`` (the empty look-up form) does not count."""
    return not request.args.get("code")
