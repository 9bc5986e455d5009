"""Reading a Mapbox Vector Tile back in tests: the protobuf parsed by vt2pbf's generated classes, the geometry
commands decoded here (MVT 2.1 §4.3), coordinates turned back into longitude/latitude."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

from vt2pbf import parse_from_string


@dataclass
class TileFeature:
    id: int
    type: int  # 1 point, 2 line, 3 polygon
    props: dict[str, Any]
    parts: list[list[tuple[int, int]]]  # rings / lines / points, tile coordinates

    def lonlat(self, z: int, x: int, y: int, extent: int = 4096) -> list[list[tuple[float, float]]]:
        n = 2**z
        out = []
        for part in self.parts:
            pts = []
            for px, py in part:
                lon = (x + px / extent) / n * 360.0 - 180.0
                lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + py / extent) / n))))
                pts.append((lon, lat))
            out.append(pts)
        return out


_VALUE_FIELDS = ("string_value", "float_value", "double_value", "int_value", "uint_value", "sint_value", "bool_value")


def _value(v: Any) -> Any:
    for name in _VALUE_FIELDS:
        if v.HasField(name):
            return getattr(v, name)
    return None


def _zigzag(n: int) -> int:
    return (n >> 1) ^ -(n & 1)


def _parts(geometry: list[int]) -> list[list[tuple[int, int]]]:
    parts: list[list[tuple[int, int]]] = []
    x = y = i = 0
    while i < len(geometry):
        cmd, count = geometry[i] & 7, geometry[i] >> 3
        i += 1
        if cmd == 7:  # ClosePath: repeat the ring's first point
            parts[-1].append(parts[-1][0])
            continue
        for _ in range(count):
            x += _zigzag(geometry[i])
            y += _zigzag(geometry[i + 1])
            i += 2
            if cmd == 1:
                parts.append([(x, y)])
            else:
                parts[-1].append((x, y))
    return parts


def decode(data: bytes) -> dict[str, list[TileFeature]]:
    """{layer name: its features} of an MVT."""
    tile = parse_from_string(data).tile_pbf
    out: dict[str, list[TileFeature]] = {}
    for layer in tile.layers:
        keys, values = list(layer.keys), [_value(v) for v in layer.values]
        feats = []
        for f in layer.features:
            tags = list(f.tags)
            props = {keys[tags[k]]: values[tags[k + 1]] for k in range(0, len(tags), 2)}
            feats.append(TileFeature(int(f.id), int(f.type), props, _parts(list(f.geometry))))
        out[layer.name] = feats
    return out


def ring_area(ring: list[tuple[int, int]]) -> float:
    """The surveyor's area in tile coordinates: positive for an exterior ring (MVT 2.1 §4.3.4.3)."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring)) / 2
