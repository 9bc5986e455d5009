"""The one place the public doors (POST /report, /report/places.json) get their per-address rate limit.

TODO(limits): Flask-Limiter arrives in gridmap/web/limits.py (another branch); when it is on main, make
:func:`public_door` apply its per-address limit (429 with Retry-After and a zh message — the report page's queue
honours Retry-After). Until then it marks the view and lets every request through.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
PUBLIC_DOOR = "_gridmap_public_door"


def public_door(view: F) -> F:
    """Mark a public view that must be rate-limited per address (see the module's TODO)."""
    setattr(view, PUBLIC_DOOR, True)
    return view
