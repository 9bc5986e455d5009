"""The WebMercatorQuad tile matrix set (OGC 17-083r4, the one every web map uses): tile bounds and checks.

>>> [round(v) for v in tile_bounds_3857(1, 0, 0)]
[-20037508, 0, 0, 20037508]
>>> [round(v, 4) for v in tile_bounds_lonlat(12, 3300, 1550)]
[110.0391, 37.4399, 110.127, 37.5097]
"""

from __future__ import annotations

import math
import re

from gridmap.errors import InvalidInput, Problem

WORLD_M = 20_037_508.342789244  # half the Web-Mercator world's width, metres (π × 6,378,137)
MAX_ZOOM = 22  # deeper than any street map needs (a z22 tile is ~10 m wide)
TILE_PX = 256  # the screen size of a tile; MVT coordinates run 0..extent within it
Box = tuple[float, float, float, float]


def tile_bounds_3857(z: int, x: int, y: int) -> Box:
    """(xmin, ymin, xmax, ymax) of tile ``z/x/y`` in EPSG:3857 metres (y counted from the north)."""
    size = 2 * WORLD_M / 2**z
    return (-WORLD_M + x * size, WORLD_M - (y + 1) * size, -WORLD_M + (x + 1) * size, WORLD_M - y * size)


def _lat(y_m: float) -> float:
    return math.degrees(2 * math.atan(math.exp(y_m / 6_378_137.0)) - math.pi / 2)


def tile_bounds_lonlat(z: int, x: int, y: int, margin: float = 0.0) -> Box:
    """The tile's bounds in longitude/latitude, widened by ``margin`` (a fraction of its size) on each side."""
    x0, y0, x1, y1 = tile_bounds_3857(z, x, y)
    pad = (x1 - x0) * margin
    x0, y0, x1, y1 = max(x0 - pad, -WORLD_M), max(y0 - pad, -WORLD_M), min(x1 + pad, WORLD_M), min(y1 + pad, WORLD_M)
    return (x0 / WORLD_M * 180.0, _lat(y0), x1 / WORLD_M * 180.0, _lat(y1))


def metres_per_pixel(z: int) -> float:
    """A screen pixel's size at zoom ``z`` in Web-Mercator metres (at the equator; shapes are cut in these)."""
    return 2 * WORLD_M / TILE_PX / 2**z


def parse_tile(z: str, y: str, x: str) -> tuple[int, int, int]:
    """``z/y/x`` from a URL as whole numbers inside the matrix set, or :class:`InvalidInput` naming each bad one."""
    problems: list[Problem] = []

    def whole(raw: str, name: str) -> int | None:
        if re.fullmatch(r"-?[0-9]{1,9}", raw):
            return int(raw)
        problems.append(Problem(f"{raw!r} is not a whole number", field=name, zh=f"瓦片坐标 {name} 应为整数：{raw}"))
        return None

    zi, yi, xi = whole(z, "z"), whole(y, "y"), whole(x, "x")
    if zi is not None and not 0 <= zi <= MAX_ZOOM:
        problems.append(Problem(f"zoom {zi} must lie within 0..{MAX_ZOOM}", field="z",
                                zh=f"缩放级别 z={zi} 超出范围（0–{MAX_ZOOM}）"))  # fmt: skip
    elif zi is not None:
        n = 2**zi
        for v, name in ((yi, "y"), (xi, "x")):
            if v is not None and not 0 <= v < n:
                zh = f"瓦片{'行' if name == 'y' else '列'}号 {name}={v} 超出范围（缩放级别 {zi} 时为 0–{n - 1}）"
                problems.append(Problem(f"{name}={v} must lie within 0..{n - 1} at zoom {zi}", field=name, zh=zh))
    if problems:
        raise InvalidInput(problems)
    assert zi is not None and yi is not None and xi is not None
    return zi, yi, xi


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """(x, y) of the tile holding a point at zoom ``z``."""
    n = 2**z
    lat = max(min(lat, 85.05112878), -85.05112878)
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)
