"""The one place the public doors (POST /report, /report/places.json) get their per-address rate limit: the public
budget of :mod:`gridmap.web.limits` (``GRIDMAP_PUBLIC_RATE``, shared with Open311's POST and the receipt-code
look-ups; 429 with Retry-After and a zh/en message — the report page's queue honours Retry-After)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from gridmap.web.limits import public_limit

F = TypeVar("F", bound=Callable[..., Any])
PUBLIC_DOOR = "_gridmap_public_door"


def public_door(view: F) -> F:
    """Put a public view under the per-address public rate limit (below its route decorator)."""
    setattr(view, PUBLIC_DOOR, True)
    return public_limit()(view)
