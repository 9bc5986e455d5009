"""A report's photos checked against the report: a photo whose EXIF position is far from the reported point, or whose
EXIF time is long before the report, is *flagged* for the verifier (an old photo sent again, a photo of elsewhere) —
never refused: a phone's clock or GPS may be wrong, and the verifier goes on site anyway.

A photo's time and position come from its own EXIF when it still has them (Pillow), else from what the client read
before resizing it on the phone (``photo_meta``: the report page reads EXIF with exifr, and a canvas drops it).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from gridmap.geo.nearby import ellipsoid_distance

_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_DATETIME_ORIGINAL, _DATETIME = 36867, 306
MAX_META = 9


@dataclass(frozen=True)
class PhotoMeta:
    """When and where a photo was taken, as far as it says."""

    taken_at: dt.datetime | None = None
    lon: float | None = None
    lat: float | None = None

    def known(self) -> bool:
        return self.taken_at is not None or self.lon is not None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        x = float(value)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def _time(value: Any, tz: dt.tzinfo) -> dt.datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if len(text) >= 19 and text[4] == ":" and text[7] == ":":  # EXIF "2026:03:02 08:41:00"
        text = text[:4] + "-" + text[5:7] + "-" + text[8:]
    try:
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t.replace(tzinfo=tz) if t.tzinfo is None else t


def parse_photo_meta(raw: Any, tz: dt.tzinfo) -> list[PhotoMeta]:
    """What a client read from its photos' EXIF (a JSON list, or its text: ``[{taken_at, lon, lat}, …]``); anything
    unreadable counts as unknown (a check that only flags never refuses a report for it)."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return []
    if not isinstance(raw, list):
        return []
    out = []
    for item in raw[:MAX_META]:
        if not isinstance(item, dict):
            out.append(PhotoMeta())
            continue
        lon, lat = _number(item.get("lon")), _number(item.get("lat"))
        if lon is None or lat is None or not (-180 <= lon <= 180 and -90 <= lat <= 90):
            lon = lat = None
        out.append(PhotoMeta(_time(item.get("taken_at"), tz), lon, lat))
    return out


def _rational(value: Any) -> float:
    return float(value[0]) / float(value[1]) if isinstance(value, tuple) else float(value)


def read_exif(data: bytes, tz: dt.tzinfo) -> PhotoMeta:
    """A photo's EXIF time (local time of the city when it has no offset) and GPS position, read by Pillow."""
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as img:
            exif = img.getexif()
            taken = exif.get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
            gps = exif.get_ifd(_GPS_IFD)
    except Exception:  # not an image Pillow reads, or broken EXIF: nothing known
        return PhotoMeta()
    lon = lat = None
    try:
        if gps.get(2) and gps.get(4):
            lat = sum(_rational(v) / 60**i for i, v in enumerate(gps[2])) * (-1 if gps.get(1) == "S" else 1)
            lon = sum(_rational(v) / 60**i for i, v in enumerate(gps[4])) * (-1 if gps.get(3) == "W" else 1)
    except (TypeError, ValueError, ZeroDivisionError):
        lon = lat = None
    return PhotoMeta(_time(taken, tz) if isinstance(taken, str) else None, lon, lat)


def photo_flags(
    metas: list[PhotoMeta], lon: float, lat: float, observed_at: dt.datetime, far_m: float, old_hours: float
) -> list[dict[str, Any]]:
    """The flags for the verifier: ``photo_far`` (its position more than ``far_m`` from the report) and
    ``photo_old`` (taken more than ``old_hours`` before the report), each with the photo's number (from 1)."""
    flags: list[dict[str, Any]] = []
    for i, m in enumerate(metas, start=1):
        if m.lon is not None and m.lat is not None:
            d = float(ellipsoid_distance(np.asarray(lon), np.asarray(lat), np.asarray(m.lon), np.asarray(m.lat)))
            if d > far_m:
                flags.append({"kind": "photo_far", "photo": i, "distance_m": round(d, 1),
                              "zh": f"第 {i} 张照片的拍摄位置距上报位置约 {d:,.0f} 米"})  # fmt: skip
        if m.taken_at is not None:
            hours = (observed_at - m.taken_at).total_seconds() / 3600
            if hours > old_hours:
                flags.append({"kind": "photo_old", "photo": i, "hours": round(hours, 1),
                              "taken_at": m.taken_at.isoformat(),
                              "zh": f"第 {i} 张照片拍摄于上报前约 {hours:,.0f} 小时"})  # fmt: skip
    return flags


def merged_meta(photos: list[bytes], client: list[PhotoMeta], tz: str) -> list[PhotoMeta]:
    """Each photo's own EXIF when it has any, else what the client read before resizing it."""
    zone = ZoneInfo(tz)
    out = []
    for i in range(max(len(photos), len(client))):
        own = read_exif(photos[i], zone) if i < len(photos) else PhotoMeta()
        out.append(own if own.known() else (client[i] if i < len(client) else PhotoMeta()))
    return out
