"""Coordinate reference systems: storage CRS, metric CRS choice, GCJ-02 conversion, lengths and areas.

Everything is stored in EPSG:4326 (WGS-84; CGCS2000/EPSG:4490 is treated as equal for this purpose).
Lengths and areas are never computed in degrees: geometries are projected to the local UTM zone first.
Chinese consumer maps (Amap, Tencent) publish GCJ-02 coordinates, offset by hundreds of metres; they are
converted on the way in with :func:`gcj02_to_wgs84`.
"""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import CRS, Transformer

STORAGE_SRID = 4326
CGCS2000_SRID = 4490

_A = 6378245.0  # Krasovsky 1940 semi-major axis, used by the GCJ-02 obfuscation
_EE = 0.00669342162296594323


def utm_epsg_for(lon: float, lat: float) -> int:
    """EPSG code of the WGS-84 UTM zone containing ``(lon, lat)``.

    >>> utm_epsg_for(111.14, 37.52)  # Lishi, Shanxi
    32649
    """
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise ValueError(f"coordinate out of range: lon={lon}, lat={lat}")
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    return (32600 if lat >= 0 else 32700) + zone


def metric_epsg_for(geoms: np.ndarray | shapely.Geometry) -> int:
    """UTM zone EPSG code for the centre of the bounds of ``geoms`` (EPSG:4326)."""
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    if not np.isfinite([xmin, ymin, xmax, ymax]).all():
        raise ValueError("cannot choose a metric CRS for empty geometries")
    return utm_epsg_for((xmin + xmax) / 2.0, (ymin + ymax) / 2.0)


def transformer(src: int | str | CRS, dst: int | str | CRS) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def transform(geoms: np.ndarray, src: int | str | CRS, dst: int | str | CRS) -> np.ndarray:
    """Reproject an array of shapely geometries (vectorised over all coordinates)."""
    t = transformer(src, dst)
    return shapely.transform(
        np.asarray(geoms, dtype=object), lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1]))
    )


def to_metric(geoms: np.ndarray, epsg: int | None = None) -> tuple[np.ndarray, int]:
    """Project EPSG:4326 geometries to a metric CRS (the local UTM zone unless ``epsg`` is given)."""
    geoms = np.asarray(geoms, dtype=object)
    epsg = epsg or metric_epsg_for(geoms)
    return transform(geoms, STORAGE_SRID, epsg), epsg


def lengths_m(geoms: np.ndarray, epsg: int | None = None) -> np.ndarray:
    """Lengths in metres of EPSG:4326 line geometries."""
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return np.zeros(0)
    projected, _ = to_metric(geoms, epsg)
    return shapely.length(projected)


def areas_m2(geoms: np.ndarray, epsg: int | None = None) -> np.ndarray:
    """Areas in square metres of EPSG:4326 polygon geometries."""
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return np.zeros(0)
    projected, _ = to_metric(geoms, epsg)
    return shapely.area(projected)


def _out_of_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _gcj_delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = lon - 105.0
    y = lat - 35.0
    pi = np.pi
    common = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x)) + common
    dlat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x)) + common
    dlon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * pi)
    outside = _out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def wgs84_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 → GCJ-02 (the published forward formula), vectorised."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlon, dlat = _gcj_delta(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: np.ndarray, lat: np.ndarray, tol: float = 1e-9) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → WGS-84 by fixed-point inversion of the forward formula (error < 1e-7°, ~1 cm).

    >>> lon, lat = wgs84_to_gcj02(111.14, 37.52)
    >>> [round(float(v), 7) for v in gcj02_to_wgs84(lon, lat)]
    [111.14, 37.52]
    """
    glon = np.asarray(lon, dtype=float)
    glat = np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(30):
        flon, flat = wgs84_to_gcj02(wlon, wlat)
        elon, elat = flon - glon, flat - glat
        wlon = wlon - elon
        wlat = wlat - elat
        if np.all(np.abs(elon) < tol) and np.all(np.abs(elat) < tol):
            break
    return wlon, wlat


def geoms_gcj02_to_wgs84(geoms: np.ndarray) -> np.ndarray:
    """Convert an array of shapely geometries from GCJ-02 to WGS-84."""

    def _fn(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1]))

    return shapely.transform(np.asarray(geoms, dtype=object), _fn)
