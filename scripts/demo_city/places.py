"""Field points 考察点位 of the demo city (step 10): markets, parks and squares, construction sites, schools,
commercial streets, hospitals, stations and service halls — invented, placed at random inside each 街道 away from
the compounds; parks and sites are drawn as small polygons, the others as points. Their 街道/社区 are left to the
importer (derived from where they lie), as for any city's own file."""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from shapely.geometry import Point, box

from .config import GRID, rng_for
from .geometry import ll_to_local, local_to_ll

# kind → (names in each 街道 (街道 short name inserted at {s}), footprint in metres (width, height) or None: a point)
PLAN: tuple[tuple[str, tuple[str, ...], tuple[float, float] | None], ...] = (
    ("market", ("{s}农贸市场", "{s}综合市场"), None),
    ("park", ("{s}公园", "{s}文化广场"), (90.0, 70.0)),
    ("site", ("{s}安置房项目工地",), (80.0, 60.0)),
    ("school", ("{s}小学", "{s}中学"), None),
    ("commercial", ("{s}商业街",), None),
    ("hospital", ("{s}社区卫生服务中心",), None),
    ("hall", ("{s}街道便民服务中心",), None),
)
CITY_WIDE = (("station", "离石汽车客运站"), ("station", "城区公交总站"), ("hall", "离石区政务服务中心"))
TRIES = 400  # random positions tried per place before giving up on a 街道 (none has needed more than a few)


def _spot(rng: np.random.Generator, area: Any, taken: Any, size: tuple[float, float] | None) -> Any:
    x0, y0, x1, y1 = area.bounds
    for _ in range(TRIES):
        x, y = float(rng.uniform(x0, x1)), float(rng.uniform(y0, y1))
        shape = Point(x, y) if size is None else box(x - size[0] / 2, y - size[1] / 2, x + size[0] / 2, y + size[1] / 2)
        if area.contains(shape.buffer(20.0)) and not taken.intersects(shape.buffer(15.0)):
            return shape
    raise RuntimeError("no room for a place")


def design_places(
    streets: list[dict[str, Any]], streets_ll: list[Any], compounds_ll: np.ndarray
) -> tuple[list[dict[str, Any]], list[Any]]:
    """Rows (ext_id, name, kind) and EPSG:4326 geometries of the demo's places, deterministic (its own generator)."""
    rng = rng_for("places")
    streets_m = ll_to_local(streets_ll)
    taken = shapely.union_all(ll_to_local(compounds_ll))
    rows: list[dict[str, Any]] = []
    shapes: list[Any] = []
    for k, (street, area) in enumerate(zip(streets, streets_m, strict=True)):
        short = street["name"].removesuffix("街道")
        for kind, names, size in PLAN:
            count = 1 + int(rng.integers(0, len(names))) if len(names) > 1 else 1
            for name in names[:count]:
                shape = _spot(rng, area, taken, size)
                taken = taken.union(shape.buffer(30.0))
                rows.append({"kind": kind, "name": name.format(s=short)})
                shapes.append(shape)
        if k == 0:
            for kind, name in CITY_WIDE:
                shape = _spot(rng, area, taken, None)
                taken = taken.union(shape.buffer(30.0))
                rows.append({"kind": kind, "name": name})
                shapes.append(shape)
    geoms = shapely.set_precision(local_to_ll(shapes), GRID)
    out = [{"ext_id": f"P{i + 1:03d}", "name": r["name"], "type": r["kind"]} for i, r in enumerate(rows)]
    return out, list(geoms)
