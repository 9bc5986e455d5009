"""A shape drawn on the assign page, checked before anything is computed from it: a GeoJSON LineString or Polygon
in EPSG:4326, few enough vertices to be hand-drawn, in range, simple (a crossing is reported with where it is)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import shapely
from shapely.geometry import shape as geojson_shape
from shapely.geometry.base import BaseGeometry

from gridmap.errors import InvalidInput, Problem

MAX_VERTICES = 2000  # a hand-drawn shape; more is a pasted boundary → use an import


def vertex_count(geom: shapely.Geometry) -> int:
    return int(shapely.get_num_coordinates(geom))


def parse_shape(raw: object) -> BaseGeometry:
    """A drawn shape (GeoJSON geometry or Feature: LineString or Polygon, EPSG:4326) → shapely, or InvalidInput.

    Refused: other types, out-of-range or non-finite coordinates, more than MAX_VERTICES vertices, a line or polygon
    that crosses itself, an empty or degenerate shape.
    """
    if isinstance(raw, Mapping) and raw.get("type") == "Feature":
        raw = raw.get("geometry")
    if not isinstance(raw, Mapping) or "type" not in raw:
        raise InvalidInput(
            Problem("send a GeoJSON geometry (LineString or Polygon)", field="shape", zh="请在地图上画线或画多边形")
        )
    gtype = raw.get("type")
    if gtype not in ("LineString", "Polygon"):
        raise InvalidInput(
            Problem(
                f"{gtype!r} cannot be drawn: use a LineString, Polygon or rectangle",
                field="shape",
                zh="只能画线、多边形或矩形",
            )
        )
    coords = raw.get("coordinates")
    flat = _flatten(coords)
    if flat is None:
        raise InvalidInput(Problem("coordinates are not a list of [lon, lat] pairs", field="shape", zh="坐标格式有误"))
    if len(flat) > MAX_VERTICES:
        raise InvalidInput(
            Problem(
                f"the drawn shape has {len(flat)} vertices (at most {MAX_VERTICES}): draw a simpler shape, or import "
                "a boundary file instead",
                field="shape",
                zh=f"所画图形有 {len(flat)} 个顶点（最多 {MAX_VERTICES} 个）：请画简单些，或改为导入边界文件",
            )
        )
    for lon, lat in flat:
        if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
            raise InvalidInput(Problem(f"coordinate ({lon}, {lat}) is out of range", field="shape", zh="坐标超出范围"))
    try:
        geom = geojson_shape(dict(raw))  # (shape() reads any mapping; typed for a dict)
    except Exception as exc:  # shapely's own message says what is wrong
        raise InvalidInput(Problem(f"not a valid {gtype}: {exc}", field="shape", zh="所画图形无效，请重画")) from None
    if geom.is_empty:
        raise InvalidInput(Problem("the drawn shape is empty", field="shape", zh="所画图形为空"))
    if gtype == "LineString":
        if geom.length == 0:
            raise InvalidInput(Problem("the drawn line has no length", field="shape", zh="所画的线长度为零"))
        if not geom.is_simple:
            where = _crossing_point(geom)
            raise InvalidInput(
                Problem(
                    f"the drawn line crosses itself{where}: draw it again", field="shape", zh="所画的线自相交，请重画"
                )
            )
    else:
        if not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            where = _where(reason)
            what = "crosses itself" if "Self-intersection" in reason or "Ring" in reason else f"is invalid ({reason})"
            raise InvalidInput(
                Problem(
                    f"the drawn polygon {what}{where}: draw it again",
                    field="shape",
                    zh="所画的多边形自相交或无效，请重画",
                )
            )
        if geom.area == 0:
            raise InvalidInput(Problem("the drawn polygon has no area", field="shape", zh="所画的多边形面积为零"))
    return geom


def _flatten(coords: object) -> list[tuple[float, float]] | None:
    out: list[tuple[float, float]] = []

    def walk(c: object, depth: int) -> bool:
        if depth > 3 or not isinstance(c, list | tuple):
            return False
        if c and all(isinstance(v, int | float) and not isinstance(v, bool) for v in c):
            if len(c) < 2:
                return False
            out.append((float(c[0]), float(c[1])))
            return True
        return all(walk(v, depth + 1) for v in c) and len(c) > 0

    return out if walk(coords, 0) else None


def _where(reason: str) -> str:
    if "[" in reason:
        try:
            x, y = reason[reason.index("[") + 1 : reason.index("]")].split()[:2]
            return f" near ({float(x):.6f}, {float(y):.6f})"
        except ValueError:
            return ""
    return ""


def _crossing_point(line: shapely.Geometry) -> str:
    noded = shapely.node(line)
    pts = shapely.get_coordinates(noded)
    uniq, counts = np.unique(np.round(pts, 9), axis=0, return_counts=True)
    inner = uniq[counts > 2] if len(uniq) else uniq
    if len(inner):
        return f" near ({inner[0][0]:.6f}, {inner[0][1]:.6f})"
    return ""
