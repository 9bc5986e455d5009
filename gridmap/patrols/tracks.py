"""A patrol track as it arrives — a GPX file, a GeoJSON LineString with times (the API), or the phone page's
recording — read into one shape (:class:`Track`), checked, and converted to WGS-84.

Refused, with a sentence in Chinese that says what and where, and nothing stored: a file that is not GPX, a track
with no fixes or a single one, a fix without a time, and fixes outside the city (its extent, with a margin). Times
without a zone are the city's local time for GeoJSON; GPX times are UTC by the format's definition.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from gridmap.errors import InvalidInput, Problem
from gridmap.geo.crs import gcj02_to_wgs84
from gridmap.routing import CRS_NAMES

MAX_FIXES = 100_000  # a whole day at one fix a second is 86,400; more is not one patrol
CITY_MARGIN_DEG = 0.02  # ~2 km: a patrol along the city's edge may step over its boundary
HDOP_METRES = 5.0  # GPX carries HDOP, not metres: accuracy ≈ HDOP × a typical receiver error of 5 m
EARLIEST_S, LATEST_S = 946_684_800.0, 4_102_444_800.0  # 2000-01-01 and 2100-01-01 (UTC): a fix's time is one of ours
_GPX_ROOT = re.compile(r"<(?:\w+:)?gpx[\s>/]")
SOURCES = ("gpx", "geojson", "phone")  # where a track came from (Patrol.source)


@dataclass(frozen=True)
class Track:
    """Fixes in time order: WGS-84 ``lon``/``lat``, ``t`` in seconds since 1970 (UTC), ``accuracy`` in metres (NaN:
    not reported); ``raw`` is the upload unchanged."""

    lon: np.ndarray
    lat: np.ndarray
    t: np.ndarray
    accuracy: np.ndarray
    source: str
    crs: str
    raw: str

    def __len__(self) -> int:
        return len(self.t)

    def time(self, i: int) -> dt.datetime:
        return dt.datetime.fromtimestamp(float(self.t[i]), dt.UTC)


def _refuse(message: str, zh: str, source: str, feature: int | None = None, field: str | None = None) -> InvalidInput:
    return InvalidInput(Problem(message, source=source, feature=feature, field=field, zh=zh))


def read_gpx(text: str, crs: str = "wgs84", name: str = "GPX") -> Track:
    """Every track point of every track and segment of a GPX document (waypoints and routes carry no walk)."""
    import gpxpy
    import gpxpy.gpx

    if not _GPX_ROOT.search(text[:4096]):  # gpxpy reads any XML document as an empty GPX
        raise _refuse("not a GPX file: no <gpx> element", "不是有效的 GPX 文件（没有 <gpx> 根元素）", name)
    try:
        doc = gpxpy.parse(text)
    except (gpxpy.gpx.GPXException, ValueError) as exc:
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise _refuse(f"not a GPX file: {reason}", f"不是有效的 GPX 文件（{reason}）", name) from None
    lon: list[float] = []
    lat: list[float] = []
    t: list[float] = []
    acc: list[float] = []
    for track in doc.tracks:
        for segment in track.segments:
            for p in segment.points:
                if p.time is None:
                    n = len(t) + 1
                    raise _refuse(f"track point {n} has no time", f"第 {n} 个轨迹点没有时间：巡查轨迹须带时间", name)
                when = p.time if p.time.tzinfo is not None else p.time.replace(tzinfo=dt.UTC)
                try:
                    seconds = when.timestamp()
                except (OverflowError, ValueError):
                    seconds = -1.0  # refused below as out of range
                lon.append(float(p.longitude))
                lat.append(float(p.latitude))
                t.append(seconds)
                hdop = p.horizontal_dilution
                acc.append(float(hdop) * HDOP_METRES if hdop is not None else math.nan)
    return _finish(lon, lat, t, acc, "gpx", crs, text, name)


def read_geojson(feature: Any, crs: str, tz: dt.tzinfo, source: str = "geojson", raw: str = "") -> Track:
    """A GeoJSON Feature whose geometry is a LineString (``[lon, lat]`` per fix) and whose ``properties.times`` give
    each fix's time (ISO-8601, or seconds since 1970); ``properties.accuracy`` (metres per fix) is optional."""
    name = "track"
    if not isinstance(feature, dict):
        raise _refuse("must be a GeoJSON Feature", "须为 GeoJSON Feature", name)
    geom = feature.get("geometry") if feature.get("type") == "Feature" else None
    if not isinstance(geom, dict) or geom.get("type") != "LineString":
        raise _refuse("must be a GeoJSON Feature with a LineString geometry", "须为线（LineString）要素", name)
    coords = geom.get("coordinates")
    props = feature.get("properties") or {}
    times = props.get("times") if isinstance(props, dict) else None
    accuracy = props.get("accuracy") if isinstance(props, dict) else None
    if not isinstance(coords, list):
        raise _refuse("coordinates must be a list", "坐标须为列表", name, field="geometry.coordinates")
    if len(coords) > MAX_FIXES:
        raise _refuse(
            f"{len(coords)} fixes: at most {MAX_FIXES}", f"轨迹点过多（{len(coords)} 个，最多 {MAX_FIXES}）", name
        )
    if not isinstance(times, list) or len(times) != len(coords):
        given = len(times) if isinstance(times, list) else 0
        raise _refuse(
            f"properties.times must give one time per fix ({len(coords)} fixes, {given} times)",
            f"须为每个轨迹点给出时间（properties.times：{len(coords)} 个点，{given} 个时间）",
            name,
            field="properties.times",
        )
    if accuracy is not None and (not isinstance(accuracy, list) or len(accuracy) != len(coords)):
        raise _refuse("properties.accuracy must give one number per fix", "精度须每个点一个数字", name,
                      field="properties.accuracy")  # fmt: skip
    lon: list[float] = []
    lat: list[float] = []
    t: list[float] = []
    acc: list[float] = []
    for i, c in enumerate(coords):
        n = i + 1
        ok = isinstance(c, list) and len(c) >= 2 and all(isinstance(v, int | float) and not isinstance(v, bool)
                                                         for v in c[:2])  # fmt: skip
        if not ok or not (-180 <= c[0] <= 180 and -90 <= c[1] <= 90):
            raise _refuse(f"fix {n}: not a [lon, lat] pair on the Earth", f"第 {n} 个点的坐标无效（须为 [经度, 纬度]）",
                          name, field="geometry.coordinates")  # fmt: skip
        lon.append(float(c[0]))
        lat.append(float(c[1]))
        t.append(_seconds(times[i], n, tz, name))
        a = accuracy[i] if accuracy is not None else None
        acc.append(float(a) if isinstance(a, int | float) and not isinstance(a, bool) and a >= 0 else math.nan)
    return _finish(lon, lat, t, acc, source, crs, raw, name)


def _seconds(value: object, n: int, tz: dt.tzinfo, name: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    if value is None or value == "":
        raise _refuse(
            f"fix {n} has no time", f"第 {n} 个轨迹点没有时间：巡查轨迹须带时间", name, field="properties.times"
        )
    try:
        when = dt.datetime.fromisoformat(str(value).strip())
        return (when if when.tzinfo is not None else when.replace(tzinfo=tz)).timestamp()
    except (ValueError, OverflowError):
        raise _refuse(f"fix {n}: {str(value)[:40]!r} is not an ISO-8601 time", f"第 {n} 个点的时间无效"
                      "（例：2026-11-26T09:30:00+08:00）", name, field="properties.times") from None  # fmt: skip


def _finish(
    lon: list[float], lat: list[float], t: list[float], acc: list[float], source: str, crs: str, raw: str, name: str
) -> Track:
    if crs not in CRS_NAMES:
        raise _refuse(f"crs {crs!r} is not one of {CRS_NAMES}", "坐标系须为 wgs84 或 gcj02", name, field="crs")
    if len(t) == 0:
        raise _refuse("the track is empty: no fixes", "轨迹为空：没有任何轨迹点", name)
    if len(t) < 2:
        raise _refuse(
            "the track has a single fix: a patrol needs at least two", "轨迹只有一个点：巡查轨迹至少需要两个点", name
        )
    if len(t) > MAX_FIXES:
        raise _refuse(f"{len(t)} fixes: at most {MAX_FIXES}", f"轨迹点过多（{len(t)} 个，最多 {MAX_FIXES}）", name)
    times = np.asarray(t, dtype=float)
    odd = (times < EARLIEST_S) | (times > LATEST_S)
    if odd.any():
        n = int(np.flatnonzero(odd)[0]) + 1
        zh = f"第 {n} 个点的时间超出范围（2000—2100 年）"
        raise _refuse(f"fix {n}: its time is not between 2000 and 2100", zh, name)
    x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if crs == "gcj02":
        x, y = gcj02_to_wgs84(x, y)
    order = np.argsort(np.asarray(t), kind="stable")  # a phone's queue may send fixes out of order
    return Track(x[order], y[order], np.asarray(t, dtype=float)[order], np.asarray(acc, dtype=float)[order],
                 source, crs, raw)  # fmt: skip


def check_inside(track: Track, extent: tuple[float, float, float, float] | None) -> None:
    """Refuse a track with fixes outside the city's extent (with a margin): they are another city, or (0, 0), or
    GCJ-02 sent as WGS-84 far from here. ``extent`` None: the city has no layers yet, nothing to check against."""
    if extent is None:
        return
    xmin, ymin, xmax, ymax = extent
    m = CITY_MARGIN_DEG
    out = (track.lon < xmin - m) | (track.lon > xmax + m) | (track.lat < ymin - m) | (track.lat > ymax + m)
    if out.any():
        first = int(np.flatnonzero(out)[0])
        k = int(out.sum())
        lon, lat = float(track.lon[first]), float(track.lat[first])
        raise _refuse(
            f"{k} of {len(track)} fixes are outside the city (the first: fix {first + 1} at {lon:.6f}, {lat:.6f})",
            f"有 {k} 个轨迹点在本市范围之外（第一个：第 {first + 1} 个点，经度 {lon:.6f}，纬度 {lat:.6f}）",
            "track",
        )
