"""Checking what callers pass (coordinates, crs, observation times, categories): values are normalised to arrays
and each bad entry becomes a :class:`PointError` naming the field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TypeAlias
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from gridmap.responsibility.history import as_day
from gridmap.routing.config import CRS_NAMES
from gridmap.routing.results import PointError

Observed: TypeAlias = dt.date | str | pd.Timestamp | np.datetime64 | Iterable[object] | None
"""Observation times: one for every point, or one per point (anything in them that is no time is reported)."""
PerPoint: TypeAlias = str | Iterable[object] | None
"""A text value (a crs, a category) for every point, or one per point."""


def coerce_numbers(values: object, n: int | None, name: str, errors: list[PointError]) -> np.ndarray:
    """Numbers from anything array-like; a PointError for each missing or non-numeric entry."""
    arr = values if isinstance(values, np.ndarray) else _array(values)
    if arr.ndim == 0:
        arr = np.full(n or 1, arr.item(), dtype=object)
    if arr.dtype.kind not in "fiu":
        arr = arr.astype(object)
        if len(arr) <= 16:  # a handful of values: plain Python beats building a pandas Series
            arr = _objects([_number(v) for v in arr])
            if all(isinstance(v, float) for v in arr):
                arr = arr.astype(float)
    if arr.dtype.kind in "fiu":
        out = arr.astype(float)
        for i in np.flatnonzero(~np.isfinite(out)):
            msg = f"{name} is missing" if np.isnan(out[i]) else f"{out[i]} is not a finite number"
            errors.append(PointError(int(i), name, msg))
        return out
    s = pd.Series(arr, dtype=object)
    if not set(map(type, arr)) <= {str}:  # (all text, as from a file: every value is a scalar)
        s = s.where(s.map(lambda v: not isinstance(v, bool | list | tuple | dict | set | np.ndarray)))
    num = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(num)
    for i in np.flatnonzero(bad):
        v = arr[i]
        if v is None or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip()):
            errors.append(PointError(int(i), name, f"{name} is missing"))
        elif isinstance(v, float | int) and not isinstance(v, bool):
            errors.append(PointError(int(i), name, f"{v} is not a finite number"))
        else:
            errors.append(PointError(int(i), name, f"{v!r} is not a number"))
    return num


def _array(values: object) -> np.ndarray:
    """``values`` as an array; entries that are themselves lists (bad input) stay one object each."""
    try:
        arr = np.asarray(values)
    except ValueError:  # ragged nesting
        arr = None
    if arr is None or arr.ndim > 1:
        arr = _objects(list(values))  # type: ignore[call-overload]  # nested input (ragged, or 2+ dims) iterates
    return arr


def _objects(seq: list[object]) -> np.ndarray:
    """A 1-d object array of exactly these entries (``np.array`` would turn nested lists into more dimensions)."""
    arr = np.empty(len(seq), dtype=object)
    for i, v in enumerate(seq):
        arr[i] = v
    return arr


def _number(v: object) -> object:
    """A float when ``v`` reads as one, else ``v`` unchanged (to be reported)."""
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int | float | np.number):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.strip())
        except ValueError:
            return v
    return v


def check_ranges(lon: np.ndarray, lat: np.ndarray, ok: np.ndarray, errors: list[PointError]) -> None:
    bad_lat = ok & (np.abs(lat) > 90)
    bad_lon = ok & (np.abs(lon) > 180)
    for i in np.flatnonzero(bad_lat | bad_lon):
        if bad_lat[i] and abs(lon[i]) <= 90 and abs(lat[i]) <= 180:
            errors.append(
                PointError(
                    int(i),
                    "lat",
                    f"latitude {lat[i]:g} is outside -90..90: longitude and latitude look swapped "
                    f"(did you mean lon={lat[i]:g}, lat={lon[i]:g}?)",
                )
            )
        elif bad_lat[i]:
            errors.append(PointError(int(i), "lat", f"latitude {lat[i]:g} is outside -90..90"))
        else:
            errors.append(PointError(int(i), "lon", f"longitude {lon[i]:g} is outside -180..180"))


def crs_array(crs: PerPoint, n: int, errors: list[PointError]) -> np.ndarray:
    def norm(c: object) -> str:
        if c is None or (isinstance(c, float) and np.isnan(c)) or (isinstance(c, str) and not c.strip()):
            return "wgs84"
        return {"wgs-84": "wgs84", "gcj-02": "gcj02"}.get(str(c).strip().lower(), str(c).strip().lower())

    if crs is None or isinstance(crs, str):
        arr = np.full(n, norm(crs), dtype=object)
    else:
        arr = np.array([norm(c) for c in crs], dtype=object)
        if len(arr) != n:
            raise ValueError("crs has not one entry per point")
    for i in np.flatnonzero(~np.isin(arr, CRS_NAMES)):
        errors.append(PointError(int(i), "crs", f"{arr[i]!r} is not one of {', '.join(CRS_NAMES)}"))
    return arr


def observed_days(observed_at: Observed, n: int, tz: ZoneInfo, errors: list[PointError]) -> np.ndarray:
    """The local date of each observation, as days since 1970 (today when not given). Equal values are parsed
    once (a bulk file holds far fewer distinct times than rows); numpy datetimes (naive: local) need no parsing."""
    today = as_day(dt.datetime.now(tz).date())
    if observed_at is None:
        return np.full(n, today, np.int64)
    if isinstance(observed_at, dt.date | str | pd.Timestamp | np.datetime64):
        day = one_day(observed_at, tz)
        if day is None:
            errors.extend(PointError(j, "observed_at", _bad_time(observed_at)) for j in range(n))
        return np.full(n, today if day is None else day, np.int64)
    arr = observed_at if isinstance(observed_at, np.ndarray) else np.asarray(list(observed_at), dtype=object)
    if len(arr) != n:
        raise ValueError("observed_at has not one entry per point")
    if arr.dtype.kind == "M":
        d = arr.astype("datetime64[D]")
        return np.where(np.isnat(d), today, d.astype(np.int64))
    out = np.full(n, today, np.int64)
    arr = arr.astype(object)
    todo = _naive_iso_days(arr, out)
    for i, v in _unique_values(arr[todo]):
        i = todo[i]
        day = one_day(v, tz)
        if day is None:
            errors.extend(PointError(int(j), "observed_at", _bad_time(v)) for j in i)
        else:
            out[i] = day
    return out


_NAIVE_ISO = r"^\d{4}-\d{2}-\d{2}(?:[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,6})?)?)?$"


_YEAR_0 = as_day(dt.date(1, 1, 1)) - 1


def _naive_iso_days(arr: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Fill ``out`` where a value is a naive ISO-8601 text (its local day is its date part, no parsing needed: a
    bulk file holds as many distinct times as rows); return the indices left for the general parser."""
    if len(arr) <= 16:
        return np.arange(len(arr))
    s = pd.Series(arr, dtype=object)
    if not set(map(type, arr)) <= {str}:  # (all text, as from a file, needs no check per value)
        s = s.where(s.map(lambda v: isinstance(v, str)), "")
    cand = s.astype(str).str.strip()
    naive = cand.str.match(_NAIVE_ISO).to_numpy(dtype=bool)
    days = pd.to_datetime(cand[naive].str[:10], format="%Y-%m-%d", errors="coerce").to_numpy()
    day = np.where(np.isnat(days), _YEAR_0, days.astype("datetime64[D]").astype(np.int64))
    ok = day > _YEAR_0  # (pandas reads year 0, Python's dates start at year 1)
    hit = np.flatnonzero(naive)[ok]
    out[hit] = day[ok]
    done = np.zeros(len(arr), bool)
    done[hit] = True
    return np.flatnonzero(~done)


def _bad_time(v: object) -> str:
    return f"{v!r} is not an ISO-8601 date or date-time within years 1–9999 (不是有效的 ISO-8601 日期或时间)"


def _unique_values(vals: np.ndarray) -> Iterable[tuple[np.ndarray, object]]:
    """Group equal values: ``(indices, value)`` per distinct value."""
    if len(vals) <= 16:
        for i, v in enumerate(vals):
            yield np.array([i]), v
        return
    try:
        codes, _ = pd.factorize(pd.Series(vals, dtype=object), use_na_sentinel=False)
    except TypeError:  # unhashable values (lists from JSON): group by their text
        codes, _ = pd.factorize(pd.Series([repr(v) for v in vals], dtype=object), use_na_sentinel=False)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    for group in np.split(order, bounds):
        if len(group):
            yield group, vals[group[0]]


def one_day(v: object, tz: ZoneInfo) -> int | None:
    if v is None or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip()):
        return as_day(dt.datetime.now(tz).date())
    if v is pd.NaT:
        return as_day(dt.datetime.now(tz).date())
    if isinstance(v, pd.Timestamp | np.datetime64):  # (pandas' types pass for datetimes)
        ts = pd.Timestamp(v)
        return as_day(dt.datetime.now(tz).date()) if ts is pd.NaT else one_day(ts.to_pydatetime(), tz)
    if isinstance(v, dt.datetime):
        try:
            return as_day(v.astimezone(tz).date() if v.tzinfo else v.date())
        except OverflowError:  # at the calendar's limits the local day would be year 0 or 10000: no day at all
            return None
    if isinstance(v, dt.date):
        return as_day(v)
    if isinstance(v, str):
        s = v.strip()
        try:
            parsed = dt.datetime.fromisoformat(s.replace("Z", "+00:00") if s.endswith("Z") else s)
        except ValueError:
            return None
        return one_day(parsed, tz)
    return None


def category_array(categories: PerPoint, n: int) -> np.ndarray | None:
    if categories is None:
        return None
    if isinstance(categories, str):
        return np.full(n, categories.strip(), dtype=object)
    arr = np.asarray(
        ["" if c is None or (isinstance(c, float) and np.isnan(c)) else str(c).strip() for c in categories],
        dtype=object,
    )
    if len(arr) != n:
        raise ValueError("categories has not one entry per point")
    return arr
