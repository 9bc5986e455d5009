"""Answers made JSON-ready in the city's time: shared by the inspections' and the mock assessments' API and pages."""

from __future__ import annotations

import datetime as dt
from typing import Any


def out(value: Any, tz: dt.tzinfo) -> Any:
    """JSON-ready: times as local ISO-8601 with their offset (SQLite hands back naive UTC), days as ISO dates."""
    if isinstance(value, dict):
        return {k: out(v, tz) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [out(v, tz) for v in value]
    if isinstance(value, dt.datetime):
        utc = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return utc.astimezone(tz).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
