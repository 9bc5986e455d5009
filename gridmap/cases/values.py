"""Plain values in and out of the workflow: times (aware UTC in, local ISO-8601 out), numbers, texts and points
checked with every problem collected, and values made JSON-safe for storage."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, overload

from gridmap.catalogue.working_calendar import WorkingCalendar
from gridmap.errors import Problem
from gridmap.inputs import parse_number

MAX_DESCRIPTION = 4000


@overload
def as_utc(t: dt.datetime) -> dt.datetime: ...
@overload
def as_utc(t: dt.datetime | None) -> dt.datetime | None: ...
def as_utc(t: dt.datetime | None) -> dt.datetime | None:
    """Aware UTC (SQLite hands back naive datetimes; everything is stored in UTC)."""
    if t is None:
        return None
    return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)


def now_or(now: dt.datetime | None) -> dt.datetime:
    return as_utc(now) if now is not None else dt.datetime.now(dt.UTC)


def local_iso(t: dt.datetime | None, cal: WorkingCalendar) -> str | None:
    return None if t is None else as_utc(t).astimezone(cal.tz).isoformat()


def parse_time(value: object, field: str, tz: dt.tzinfo, problems: list[Problem]) -> dt.datetime | None:
    """ISO-8601 → aware UTC; a time without offset is local time (the city's time zone)."""
    if value is None or value == "":
        return None
    try:
        t = dt.datetime.fromisoformat(str(value).strip())
    except ValueError:
        problems.append(
            Problem(
                f"{value!r} is not an ISO-8601 time (e.g. 2026-11-26T09:30:00+08:00)",
                field=field,
                zh="不是有效的时间（例：2026-11-26T09:30:00+08:00）",
            )
        )
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=tz)
    try:
        return t.astimezone(dt.UTC)
    except OverflowError:  # 0001-01-01 east of UTC, 9999-12-31 west of it
        problems.append(Problem(f"{value!r} is out of the range of times", field=field, zh="时间超出范围"))
        return None


def validate_point(lon_raw: object, lat_raw: object, problems: list[Problem]) -> tuple[float, float] | None:
    lon = parse_number(lon_raw, "lon", problems)
    lat = parse_number(lat_raw, "lat", problems)
    if lon is None or lat is None:
        return None
    bad = False
    if not -90 <= lat <= 90:
        swapped = -90 <= lon <= 90 and -180 <= lat <= 180
        hint, hint_zh = (" — lat and lon look swapped", "，经纬度似乎填反了") if swapped else ("", "")
        problems.append(
            Problem(
                f"latitude {lat} is outside −90…90{hint}", field="lat", zh=f"纬度 {lat} 超出 −90…90 的范围{hint_zh}"
            )
        )
        bad = True
    if not -180 <= lon <= 180:
        problems.append(
            Problem(f"longitude {lon} is outside −180…180", field="lon", zh=f"经度 {lon} 超出 −180…180 的范围")
        )
        bad = True
    return None if bad else (lon, lat)


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value
