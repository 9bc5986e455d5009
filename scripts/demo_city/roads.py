"""Step 2, the road network (local metres): main roads as long designed lines along and across the valleys, secondary
roads as cross and parallel streets of each valley arm, back streets as a jittered local grid inside each superblock
(some dead ends); lane ends snapped onto nearby junctions, and junctions closer than 12 m merged."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import LineString, Point, Polygon
from shapely.ops import substring

from .config import rng_for
from .district import AXIS_E, AXIS_N, AXIS_SW, RIVER_ES
from .geometry import beyond, chaikin, extend, jitter_line, offset, perpendicular, piece_near


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
