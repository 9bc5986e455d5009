"""Roundabouts and dual carriageways, as a commander names them (after :func:`gridmap.geo.roads.segment_roads`).

OSM draws a roundabout as a closed one-way ring and a dual carriageway (迎泽大街 with a median) as two one-way
ways of one name a few metres apart. Segmented as plain lines, both come out unhelpful: an unnamed roundabout's
arcs read as "北川路与东风路之间", the two carriageways give pairs of segments with the same name and ends (a roster
cannot tell them apart), and every cross street is cut into a stub across the median, "解放路（迎泽大街—迎泽大街）".
Here: roundabout arcs (already cut at their entries) are described as 环岛 between their entries; each
carriageway is told by its side (traffic keeps right: an eastbound carriageway is the 南侧 one); the median stubs
are merged into the cross street's next segment, so the two carriageways add no junction of their own."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from gridmap.geo import crs

DUAL_GAP_M = 60.0  # two carriageways of one road lie within this of each other
MEDIAN_STUB_M = 60.0  # a cross street's piece between them is at most this long
ROUNDABOUT = "环岛"


def _headings(metric: np.ndarray) -> np.ndarray:
    """Unit vector from each line's start to its end."""
    start = shapely.get_coordinates(shapely.get_point(metric, 0))
    end = shapely.get_coordinates(shapely.get_point(metric, -1))
    d = end - start
    norm = np.hypot(d[:, 0], d[:, 1])
    return d / np.where(norm > 0, norm, 1.0)[:, None]


def _side(heading: np.ndarray) -> str:
    """The side of the road a carriageway driven on the right lies on, from its heading."""
    dx, dy = heading
    if abs(dx) >= abs(dy):
        return "南侧" if dx > 0 else "北侧"
    return "东侧" if dy > 0 else "西侧"


def carriageway_sides(
    lines: np.ndarray, names: np.ndarray, oneway: np.ndarray, roundabout: np.ndarray | None = None
) -> np.ndarray:
    """Per input line: 东侧/西侧/南侧/北侧 when it is one carriageway of a dual road (one-way, named, with a one-way
    line of the same name running the other way within :data:`DUAL_GAP_M`), else None. A roundabout is none
    (its halves, drawn as two ways, run opposite ways side by side)."""
    out = np.full(len(lines), None, dtype=object)
    ring = np.zeros(len(lines), dtype=bool) if roundabout is None else roundabout.astype(bool)
    cand = np.flatnonzero(
        oneway.astype(bool) & ~ring & np.array([isinstance(n, str) and bool(n) for n in names], dtype=bool)
    )
    if len(cand) < 2:
        return out
    metric, _ = crs.to_metric(np.asarray(lines, dtype=object)[cand])
    heads = _headings(metric)
    tree = shapely.STRtree(metric)
    a, b = tree.query(metric, predicate="dwithin", distance=DUAL_GAP_M)
    pair = (a != b) & (names[cand[a]] == names[cand[b]]) & (np.einsum("ij,ij->i", heads[a], heads[b]) < -0.5)
    for i in np.unique(a[pair]):
        out[cand[i]] = _side(heads[i])
    return out


def _ends(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return (shapely.get_coordinates(shapely.get_point(geoms, 0)), shapely.get_coordinates(shapely.get_point(geoms, -1)))


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.allclose(a, b, rtol=0.0, atol=1e-9))  # one node of the noded network (degrees)


def shape_forms(segs: gpd.GeoDataFrame, sides: np.ndarray, roundabout: np.ndarray) -> gpd.GeoDataFrame:
    """``segs`` (from ``segment_roads``) with the median stubs merged away, carriageway segments described with
    their side and unnamed roundabout arcs as 环岛 between their entries. ``sides`` and ``roundabout`` are per
    input line (``source_index``)."""
    segs = _merge_median_stubs(segs, sides)
    src = segs["source_index"].to_numpy()
    desc = segs["description"].to_numpy(dtype=object).copy()
    for i, (name, side, ring, a, b) in enumerate(
        zip(segs["name"], sides[src], roundabout[src], segs["from_desc"], segs["to_desc"], strict=True)
    ):
        ends = f"（{a or ''}—{b or ''}）" if a or b else ""
        if side and isinstance(name, str):
            desc[i] = f"{name}{side}{ends}"
        elif ring and not isinstance(name, str):
            desc[i] = f"{ROUNDABOUT}{ends}"
    segs = segs.copy()
    segs["description"] = desc
    return segs


def _merge_median_stubs(segs: gpd.GeoDataFrame, sides: np.ndarray) -> gpd.GeoDataFrame:
    """Join each short piece of a cross street lying between two carriageways of one dual road to the next piece
    of that street beyond them (ends as that piece had; the stub's other end is a carriageway)."""
    src = segs["source_index"].to_numpy()
    dual = {n for n, s in zip(segs["name"], sides[src], strict=True) if s}
    if not dual:
        return segs
    geoms = segs.geometry.to_numpy().copy()
    lengths = segs["length_m"].to_numpy(dtype=float).copy()
    names, froms, tos = (segs[c].to_numpy(dtype=object) for c in ("name", "from_desc", "to_desc"))
    is_side = np.array([bool(s) for s in sides[src]], dtype=bool)
    stubs = [i for i in range(len(segs)) if not is_side[i] and froms[i] in dual and froms[i] == tos[i]
             and lengths[i] <= MEDIAN_STUB_M and isinstance(names[i], str)]  # fmt: skip
    starts, ends = _ends(geoms)
    on_side = {tuple(np.round(c, 9)) for c in np.vstack([starts[is_side], ends[is_side]])}
    stubs = [i for i in stubs if {tuple(np.round(starts[i], 9)), tuple(np.round(ends[i], 9))} <= on_side]
    if not stubs:  # (a stub must run from one carriageway to the other, not to where the road becomes one)
        return segs
    drop: set[int] = set()
    for i in stubs:
        for j in range(len(segs)):  # the stub's neighbour of its own name (a cross street's few pieces)
            if j == i or j in drop or names[j] != names[i] or is_side[j]:
                continue
            touch_end = _same(ends[j], starts[i]) or _same(ends[j], ends[i])
            touch_start = _same(starts[j], starts[i]) or _same(starts[j], ends[i])
            if not (touch_start or touch_end):
                continue
            merged = shapely.line_merge(shapely.union(geoms[j], geoms[i]))
            if shapely.get_type_id(merged) != 1:
                continue
            first = shapely.get_coordinates(shapely.get_point(merged, 0))[0]
            last = shapely.get_coordinates(shapely.get_point(merged, -1))[0]
            if (touch_end and not _same(first, starts[j])) or (not touch_end and not _same(last, ends[j])):
                merged = shapely.reverse(merged)
            # both ends of the stub are the dual road: the neighbour's ends and description stay as they were
            geoms[j], lengths[j] = merged, lengths[j] + lengths[i]
            starts[j] = shapely.get_coordinates(shapely.get_point(merged, 0))[0]
            ends[j] = shapely.get_coordinates(shapely.get_point(merged, -1))[0]
            drop.add(i)
            break
    segs = segs.copy()
    segs["length_m"] = lengths
    segs[segs.geometry.name] = gpd.array.from_shapely(geoms, crs=segs.crs)
    return segs.drop(index=segs.index[sorted(drop)]).reset_index(drop=True)


__all__ = ["DUAL_GAP_M", "MEDIAN_STUB_M", "ROUNDABOUT", "carriageway_sides", "shape_forms"]
