"""Step 1, the district outline: three valley axes (which are also the rivers the bank roads follow) and a central
disc, buffered and unioned, with a wavy edge."""

from __future__ import annotations

import shapely
from shapely.geometry import LineString, Point, Polygon

from .config import rng_for
from .geometry import chaikin, wobble_polygon

# valley axes in local metres from the confluence C = (0, 0)
AXIS_N = chaikin([(0, 0), (-90, 1200), (-180, 2300), (-320, 3350), (-300, 4050)])  # 北川河, upstream
AXIS_E = chaikin([(0, 0), (1350, 250), (2550, 130), (3500, 380)])  # 东川河, upstream
AXIS_SW = chaikin([(0, 0), (-1150, -650), (-2250, -1500), (-3300, -2300)])  # 三川河, downstream
RIVER_ES = LineString(list(AXIS_E.coords)[::-1] + list(AXIS_SW.coords)[1:])  # 东川河 → 三川河


def make_district() -> Polygon:
    rng = rng_for("district")
    arms = [
        shapely.buffer(AXIS_N, 1500, cap_style="flat"),
        shapely.buffer(AXIS_E, 1400, cap_style="flat"),
        shapely.buffer(AXIS_SW, 1500, cap_style="flat"),
        Point(-150, 100).buffer(1950, quad_segs=32),
    ]
    shape = shapely.union_all(arms).buffer(250, quad_segs=8).buffer(-250, quad_segs=8)  # round the corners
    return wobble_polygon(shape, rng, 420.0)
