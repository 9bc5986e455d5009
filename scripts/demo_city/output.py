"""Writers of the committed files: GeoJSON (RFC 7946, one feature per line, at most 6 decimals, counter-clockwise
exterior rings; the text is composed here so that the bytes depend on nothing but the geometry) and CSV; and the
reading order used to number features."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import shapely


def _num(v: float) -> str:
    s = f"{v:.6f}".rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def _ring(coords: np.ndarray) -> str:
    return "[" + ",".join(f"[{_num(x)},{_num(y)}]" for x, y in coords) + "]"


def geometry_json(g: Any) -> str:
    t = g.geom_type
    if t == "Polygon":
        rings = [g.exterior, *g.interiors]
        return '{"type":"Polygon","coordinates":[' + ",".join(_ring(np.asarray(r.coords)) for r in rings) + "]}"
    if t == "MultiPolygon":
        polys = []
        for p in g.geoms:
            polys.append("[" + ",".join(_ring(np.asarray(r.coords)) for r in [p.exterior, *p.interiors]) + "]")
        return '{"type":"MultiPolygon","coordinates":[' + ",".join(polys) + "]}"
    if t == "Point":
        return '{"type":"Point","coordinates":[' + f"{_num(g.x)},{_num(g.y)}" + "]}"
    if t == "LineString":
        return '{"type":"LineString","coordinates":' + _ring(np.asarray(g.coords)) + "}"
    raise TypeError(f"unexpected geometry type {t}")


def write_geojson(path: Path, name: str, props: list[dict[str, Any]], geoms: np.ndarray) -> None:
    """RFC 7946 GeoJSON, one feature per line, 6 decimals, counter-clockwise exterior rings."""
    geoms = shapely.orient_polygons(np.asarray(geoms, dtype=object), exterior_cw=False)
    lines = []
    for p, g in zip(props, geoms, strict=True):
        pj = json.dumps(p, ensure_ascii=False, separators=(",", ":"))
        lines.append(f'{{"type":"Feature","properties":{pj},"geometry":{geometry_json(g)}}}')
    text = f'{{"type":"FeatureCollection","name":"{name}","features":[\n' + ",\n".join(lines) + "\n]}\n"
    path.write_text(text, encoding="utf-8")


def write_csv(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def reading_order(geoms: np.ndarray) -> np.ndarray:
    """Indices north→south in 300 m bands, west→east inside a band (centroids, EPSG:4326)."""
    c = shapely.centroid(geoms)
    x, y = shapely.get_x(c), shapely.get_y(c)
    band = np.floor(-y / 0.0027)  # ~300 m of latitude
    return np.lexsort((x, band))
