"""Road segmentation: cut road centre-lines into segments (路段) between intersections.

Responsibility under 路长制 / 包路段 is given per segment, and a segment is what a commander can name aloud:
"和平街（新华街—凤山路）". Raw centre-lines (OSM ways, CAD drawings, survey exports) are split at arbitrary
points and rarely end exactly at junctions, so they are re-cut here:

1. snap endpoints that nearly meet (endpoint to endpoint, then dangling endpoint onto a nearby line) in metres;
2. node everything with one snap-rounded union (1 mm grid) per vertical level (bridges and tunnels apart from
   the ground), which splits at crossings and T-junctions and dissolves duplicated and overlapping line-work,
   so total length is the length of the union; lines of different levels meet only where one ends on a
   vertex of the other (an OSM node they share: a bridge's ramp), never where they merely cross;
3. give every noded piece the name/level of the input line it lies on (STRtree query at its midpoint);
4. join pieces through nodes of degree 2 when name and level agree, so a segment runs from junction to
   junction (degree ≠ 2) or to where the name or level changes;
5. describe each segment by the named cross streets at its two ends.

Everything is array-based (shapely 2 vectorised functions, STRtree, numpy graph bookkeeping); the only Python
loop is over closed loops that need their start moved to a junction, which are rare.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from geopandas.array import GeometryArray
from shapely import STRtree

from gridmap.geo import crs
from gridmap.geo.shapes import linestring_array, point_array

LEVELS: tuple[str, ...] = ("main", "secondary", "back")
"""Road levels, most important first: 主干道, 次干道, 背街小巷."""

UNNAMED_DESCRIPTION = "未命名道路"
"""``description`` of a segment without a name unless two different named roads meet its ends, when it is
``"新华街与凤山路之间"`` (see :func:`unnamed_descriptions`); its ``name`` stays empty, which flags it."""

_GRID_M = 1e-3  # snap-rounding grid of the noding step: 1 mm, far below survey accuracy
_ATTR_TOL_M = 2 * _GRID_M  # a piece's midpoint moves < 0.71 mm from its source line under 1 mm snap rounding

_COLUMNS = ["name", "level", "from_desc", "to_desc", "description", "length_m", "source_index"]


def segment_roads(
    lines: Sequence[Any] | np.ndarray | GeometryArray | gpd.GeoSeries,
    names: Sequence[Any] | np.ndarray | pd.Series,
    levels: Sequence[Any] | np.ndarray | pd.Series,
    *,
    snap_m: float = 0.5,
    metric_epsg: int | None = None,
    layers: Sequence[Any] | np.ndarray | pd.Series | None = None,
) -> gpd.GeoDataFrame:
    """Node road centre-lines and cut them into named segments between intersections.

    Parameters
    ----------
    lines
        LineString / MultiLineString geometries in EPSG:4326 (None and empty geometries are skipped).
    names
        Road name per line; None, NaN or blank means unnamed.
    levels
        ``"main"``, ``"secondary"``, ``"back"`` or None per line.
    snap_m
        Endpoints closer than this (metres) are joined, and a dangling endpoint closer than this to another
        line is moved onto it (undershoots of hand-digitised T-junctions). 0 disables snapping.
    metric_epsg
        Metric CRS for snapping and lengths; default: the UTM zone of the data (:func:`crs.metric_epsg_for`).
    layers
        Vertical level per line (OSM ``layer``: 0 on the ground, 1 a bridge, -1 a tunnel; None/NaN → 0).
        Lines on different levels that cross are not cut there: a bridge over a motorway is no junction.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326 LineStrings with ``name``, ``level``, ``from_desc``, ``to_desc``, ``description``,
        ``length_m`` and ``source_index`` (position of the input line the segment comes from; for segments
        merged from several input lines, the smallest one). Rows are ordered by ``source_index`` and then
        along the source line.

    Notes
    -----
    * Noding is a union: exact duplicates and overlapping stretches are kept once (the overlap goes to the
      input line with the smallest index), so ``length_m.sum()`` equals the length of the union of the
      (snapped) input lines. Zero-length lines and pieces disappear.
    * ``from_desc`` / ``to_desc``: the name of another named segment meeting this one at its start / end
      node whose name differs from its own; among several, the higher level wins (main > secondary >
      back), then the name in code-point order. An end meeting only segments of its own name (a fork, a
      crossing with an unnamed lane) or nothing (a dead end) gets None: "和平街（和平街—…）" tells nobody
      anything. Unnamed segments get their cross streets too.
    * Orientation: a segment runs the way its source line was drawn, except that when only its end has a
      cross street it is reversed, so that a single known cross street is always ``from_desc``.
    * ``description``: ``"和平街（新华街—凤山路）"`` when both ends are known, ``"和平街（新华街—）"``
      when one is, the bare name when none is; for unnamed segments ``"新华街与凤山路之间"`` when two
      different named roads meet its ends, else :data:`UNNAMED_DESCRIPTION` (the name stays None).
    """
    geoms, src_crs = _as_geometry_array(lines)
    n = len(geoms)
    name_arr = _clean_names(names, n)
    level_arr = _clean_levels(levels, n)
    layer_arr = _clean_layers(layers, n)
    if snap_m < 0 or not np.isfinite(snap_m):
        raise ValueError(f"snap_m must be a finite number >= 0, got {snap_m!r}")
    if src_crs is not None:
        geoms = crs.transform(geoms, src_crs, crs.STORAGE_SRID)

    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    type_ids = shapely.get_type_id(geoms[present])
    bad = ~np.isin(type_ids, (1, 2, 5))  # LineString, LinearRing, MultiLineString
    if bad.any():
        kinds = sorted({shapely.get_type_id(g) for g in geoms[present][bad][:5]})
        raise ValueError(f"segment_roads takes LineString/MultiLineString geometries, got type ids {kinds}")
    parts, part_of = shapely.get_parts(geoms[present], return_index=True)
    part_src = np.flatnonzero(present)[part_of]
    if len(parts) == 0:
        return _empty()
    metric, epsg = crs.to_metric(parts, metric_epsg)
    rings = shapely.get_type_id(metric) == 2
    if rings.any():  # LinearRing → LineString, so every piece downstream is a LineString
        metric[rings] = shapely.linestrings(*_coords_and_index(metric[rings]))
    keep = shapely.length(metric) > 0
    metric, part_src = metric[keep], part_src[keep]
    if len(metric) == 0:
        return _empty()

    if snap_m > 0:
        metric = _snap_endpoints(metric, snap_m)
    pieces, piece_line = _node_by_layer(metric, layer_arr[part_src])
    if len(pieces) == 0:
        return _empty()
    piece_src = part_src[piece_line]

    # name/level key per input line; pieces join only when the keys agree
    name_code = pd.factorize(pd.Series(name_arr, dtype=object), use_na_sentinel=False)[0]
    level_code = pd.factorize(pd.Series(level_arr, dtype=object), use_na_sentinel=False)[0]
    key = name_code.astype(np.int64) * (level_code.max() + 1) + level_code
    segs, seg_src, seg_line = _merge_degree2(pieces, key[piece_src], piece_src, piece_line)

    # run the way the source line was drawn (OSM: the traffic direction of one-way streets)
    src_line = metric[seg_line]
    along = shapely.line_locate_point(src_line, shapely.get_point(segs, 0))
    along_end = shapely.line_locate_point(src_line, shapely.get_point(segs, -1))
    backwards = along_end < along
    if backwards.any():
        segs = segs.copy()
        segs[backwards] = shapely.reverse(segs[backwards])
        along = np.where(backwards, along_end, along)

    seg_names = name_arr[seg_src]
    seg_levels = level_arr[seg_src]
    start_node, end_node, _ = _end_nodes(segs)
    from_desc = _cross_names(start_node, end_node, seg_names, seg_levels, at_end=False)
    to_desc = _cross_names(start_node, end_node, seg_names, seg_levels, at_end=True)

    flip = pd.isna(from_desc) & ~pd.isna(to_desc)
    if flip.any():
        segs = segs.copy()
        segs[flip] = shapely.reverse(segs[flip])
        from_desc, to_desc = np.where(flip, to_desc, from_desc), np.where(flip, from_desc, to_desc)

    # stable, readable order: by source line, then along it
    order = np.lexsort((along, seg_src))
    segs, seg_src = segs[order], seg_src[order]
    seg_names, seg_levels = seg_names[order], seg_levels[order]
    from_desc, to_desc = from_desc[order], to_desc[order]

    df = pd.DataFrame(
        {
            "name": pd.Series(seg_names, dtype=object),
            "level": pd.Series(seg_levels, dtype=object),
            "from_desc": pd.Series(from_desc, dtype=object),
            "to_desc": pd.Series(to_desc, dtype=object),
        }
    )
    df["description"] = _describe(df["name"], df["from_desc"], df["to_desc"])
    df["length_m"] = shapely.length(segs).astype(float)
    df["source_index"] = seg_src.astype(np.int64)
    geometry = crs.transform(segs, epsg, crs.STORAGE_SRID)
    return gpd.GeoDataFrame(df, geometry=geometry, crs=crs.STORAGE_SRID)


# ---------------------------------------------------------------------------------------------------------
# input cleaning


def _as_geometry_array(lines: Any) -> tuple[np.ndarray, Any]:
    """Object array of geometries, plus the source CRS when a GeoSeries in another CRS was given."""
    src_crs = None
    if isinstance(lines, gpd.GeoDataFrame):
        lines = lines.geometry
    if isinstance(lines, gpd.GeoSeries):
        if lines.crs is not None and lines.crs.to_epsg() != crs.STORAGE_SRID:
            src_crs = lines.crs
        lines = lines.array
    return np.asarray(lines, dtype=object).ravel(), src_crs


def _clean_names(values: Any, n: int) -> np.ndarray:
    """Names as an object array of stripped str or None (NaN, NA and blank mean unnamed)."""
    s = pd.Series(np.asarray(values, dtype=object).ravel(), dtype=object)
    if len(s) != n:
        raise ValueError(f"names has {len(s)} values for {n} lines")
    missing = s.isna()
    s = s.where(missing, s.astype(str).str.strip())
    s = s.where(~missing & (s != ""), None)
    return s.to_numpy(dtype=object)


def _clean_levels(values: Any, n: int) -> np.ndarray:
    """Levels as an object array of one of :data:`LEVELS` or None; anything else is an error."""
    s = pd.Series(np.asarray(values, dtype=object).ravel(), dtype=object)
    if len(s) != n:
        raise ValueError(f"levels has {len(s)} values for {n} lines")
    missing = s.isna()
    s = s.where(missing, s.astype(str).str.strip().str.lower())
    s = s.where(~missing & (s != ""), None)
    unknown = sorted(set(s.dropna()) - set(LEVELS))
    if unknown:
        raise ValueError(f"unknown road level(s) {unknown[:5]}; expected one of {LEVELS} or None")
    return s.to_numpy(dtype=object)


def _clean_layers(values: Any, n: int) -> np.ndarray:
    """Integer vertical levels; missing or unreadable values (OSM ``layer=1;2``) count as the ground (0)."""
    if values is None:
        return np.zeros(n, dtype=np.int64)
    arr = pd.to_numeric(pd.Series(np.asarray(values, dtype=object).reshape(-1)), errors="coerce")
    if len(arr) != n:
        raise ValueError(f"got {len(arr)} layers for {n} lines")
    return arr.fillna(0).round().astype(np.int64).to_numpy()


def _empty() -> gpd.GeoDataFrame:
    df = pd.DataFrame({c: pd.Series(dtype=object) for c in _COLUMNS})
    df["length_m"] = df["length_m"].astype(float)
    df["source_index"] = df["source_index"].astype(np.int64)
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries([], crs=crs.STORAGE_SRID), crs=crs.STORAGE_SRID)


# ---------------------------------------------------------------------------------------------------------
# graph helpers


def _coords_and_index(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return shapely.get_coordinates(lines, return_index=True)


def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected components of an undirected graph; each label is the smallest node index of its component.

    Vectorised union-find: hook every root onto the smallest label seen across its edges, then compress
    paths by pointer jumping; repeats until both ends of every edge agree (a few rounds in practice).
    """
    labels = np.arange(n)
    if len(a) == 0:
        return labels
    while True:
        la, lb = labels[a], labels[b]
        if np.array_equal(la, lb):
            return labels
        low = np.minimum(la, lb)
        np.minimum.at(labels, la, low)
        np.minimum.at(labels, lb, low)
        while True:
            jumped = labels[labels]
            if np.array_equal(jumped, labels):
                break
            labels = jumped


def _first_per_group(groups: np.ndarray) -> np.ndarray:
    """Mask of the first row of each run in a sorted ``groups`` array."""
    first = np.ones(len(groups), dtype=bool)
    first[1:] = groups[1:] != groups[:-1]
    return first


def _end_nodes(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node ids of start and end points (exact coordinate identity) and the node coordinates."""
    m = len(lines)
    coords, idx = _coords_and_index(lines)
    last = np.cumsum(np.bincount(idx, minlength=m)) - 1
    first = np.concatenate(([0], last[:-1] + 1))
    nodes, inv = _unique_xy(coords[np.concatenate([first, last])])
    return inv[:m], inv[m:], nodes


def _unique_xy(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of an (n, 2) float array and the inverse index (a lexsort; faster than unique(axis=0))."""
    xy = xy + 0.0  # -0.0 → 0.0 so equal points get equal ids
    order = np.lexsort((xy[:, 1], xy[:, 0]))
    s = xy[order]
    new = np.ones(len(s), dtype=bool)
    new[1:] = (s[1:] != s[:-1]).any(axis=1)
    ids = np.cumsum(new) - 1
    inv = np.empty(len(xy), dtype=np.int64)
    inv[order] = ids
    return s[new], inv


# ---------------------------------------------------------------------------------------------------------
# pipeline steps


def _snap_endpoints(lines: np.ndarray, snap_m: float) -> np.ndarray:
    """Join endpoints within ``snap_m`` of each other, then move dangling endpoints onto nearby lines.

    Endpoints are clustered transitively (connected components of the "within snap_m" graph) and every
    cluster takes the coordinate of one of its members (the lowest x, y), so coincident endpoints stay so.
    A dead end (a cluster of one endpoint) that touches no other line but lies within ``snap_m`` of one (an
    undershoot) is moved to the nearest point of the nearest such line; the snap-rounded union nodes it there.
    Endpoints where two or more lines already meet never move onto a line: in OSM they are real junctions,
    and pulling them onto a near-parallel line would fold the two lines together.
    """
    coords, idx = _coords_and_index(lines)
    n = len(lines)
    counts = np.bincount(idx, minlength=n)
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    last = first + counts - 1
    # 1. endpoint ↔ endpoint: work on distinct coordinates only
    nodes_xy, inv = _unique_xy(coords[np.concatenate([first, last])])
    node_pts = point_array(nodes_xy)
    a, b = STRtree(node_pts).query(node_pts, predicate="dwithin", distance=snap_m)
    lower = a < b
    rep = _components(len(nodes_xy), a[lower], b[lower])
    nodes_xy = nodes_xy[rep]

    # 2. dangling endpoint → nearest other line within snap_m (undershoot)
    ids, inv2 = np.unique(rep, return_inverse=True)
    node_of_end = inv2.ravel()[inv]  # per endpoint: index into cluster table
    cluster_xy = nodes_xy[ids]
    cluster_pts = point_array(cluster_xy)
    start_c, end_c = node_of_end[:n], node_of_end[n:]
    c, ln = STRtree(lines).query(cluster_pts, predicate="dwithin", distance=snap_m)
    if len(c):
        own = (start_c[ln] == c) | (end_c[ln] == c)
        dist = shapely.distance(cluster_pts[c], lines[ln])
        touching = np.zeros(len(cluster_xy), dtype=bool)
        touching[c[~own & (dist == 0)]] = True
        dangling = np.bincount(node_of_end, minlength=len(cluster_xy)) == 1  # junctions are not undershoots
        cand = ~own & (dist > 0) & ~touching[c] & dangling[c]
        c, ln, dist = c[cand], ln[cand], dist[cand]
        order = np.lexsort((ln, dist, c))
        c, ln = c[order], ln[order]
        pick = _first_per_group(c)
        c, ln = c[pick], ln[pick]
        target = lines[ln]
        on_line = shapely.line_interpolate_point(target, shapely.line_locate_point(target, cluster_pts[c]))
        cluster_xy = cluster_xy.copy()
        cluster_xy[c] = shapely.get_coordinates(on_line)

    coords = coords.copy()
    coords[first] = cluster_xy[start_c]
    coords[last] = cluster_xy[end_c]
    return linestring_array(coords, idx)


def _node(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Noded, dissolved pieces (LineStrings) and, per piece, the index of the line it comes from.

    A snap-rounded union nodes at every crossing and T-junction, keeps input endpoints as nodes and keeps
    shared stretches once. A piece belongs to the lowest-index line passing within 2 mm of its midpoint
    (the midpoint is interior, away from any node, so crossing lines never qualify).
    """
    noded = shapely.union_all(lines, grid_size=_GRID_M)
    pieces = shapely.get_parts(noded)
    pieces = pieces[(shapely.get_type_id(pieces) == 1) & (shapely.length(pieces) > 0)]
    if len(pieces) == 0:
        return pieces, np.zeros(0, dtype=np.int64)
    mids = shapely.line_interpolate_point(pieces, 0.5, normalized=True)
    tree = STRtree(lines)
    p, ln = tree.query(mids, predicate="dwithin", distance=_ATTR_TOL_M)
    order = np.lexsort((ln, p))
    p, ln = p[order], ln[order]
    pick = _first_per_group(p)
    src = np.full(len(pieces), -1, dtype=np.int64)
    src[p[pick]] = ln[pick]
    lost = np.flatnonzero(src < 0)
    if len(lost):  # should not happen; fall back to the nearest line
        q, ln = tree.query_nearest(mids[lost])
        src[lost[q[::-1]]] = ln[::-1]
    return pieces, src


def _node_by_layer(lines: np.ndarray, layer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_node` per vertical level, so lines of different levels never cut each other where they cross.

    Where a line of one level ends on a vertex of a line of another (the shared OSM node at a bridge's end),
    that line is first cut at the vertex, so the two still meet at a node.
    """
    values = np.unique(layer)
    if len(values) <= 1:
        return _node(lines)
    cut, cut_of = _split_at_endpoints(lines)
    cut_layer = layer[cut_of]
    out_pieces, out_line = [], []
    for v in values:  # a handful of levels (-2..3 in practice): each is one vectorised union
        sel = np.flatnonzero(cut_layer == v)
        p, ln = _node(cut[sel])
        out_pieces.append(p)
        out_line.append(cut_of[sel[ln]])
    return np.concatenate(out_pieces), np.concatenate(out_line)


def _split_at_endpoints(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cut lines at interior vertices that are exactly some line's end point; the parts and their line index."""
    coords, idx = _coords_and_index(lines)
    n = len(lines)
    counts = np.bincount(idx, minlength=n)
    last = np.cumsum(counts) - 1
    first = last - counts + 1
    nodes, inv = _unique_xy(coords)
    is_end = np.zeros(len(nodes), dtype=bool)
    is_end[inv[first]] = True
    is_end[inv[last]] = True
    interior = np.ones(len(coords), dtype=bool)
    interior[first] = False
    interior[last] = False
    cut = interior & is_end[inv]
    if not cut.any():
        return lines, np.arange(n)
    brk = np.zeros(len(coords), dtype=bool)
    brk[first] = True
    brk[1:] |= cut[:-1]
    part_first = np.cumsum(brk) - 1
    rep = np.repeat(np.arange(len(coords)), 1 + cut.astype(np.int64))
    second = np.r_[False, rep[1:] == rep[:-1]]
    part = part_first[rep] + second
    parts = linestring_array(coords[rep], part)
    part_of = np.zeros(len(parts), dtype=np.int64)
    part_of[part] = idx[rep]
    return parts, part_of


def _merge_degree2(
    pieces: np.ndarray, key: np.ndarray, piece_src: np.ndarray, piece_line: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Join pieces through degree-2 nodes whose two pieces share ``key``; return segments and sources.

    Chains become one LineString via ``line_merge`` on one MultiLineString per chain. A chain that closes on
    a junction (a loop hanging off one intersection) comes back as a ring starting anywhere, so its start
    is rotated onto the junction.
    """
    m = len(pieces)
    start, end, nodes = _end_nodes(pieces)
    deg = np.bincount(np.concatenate([start, end]), minlength=len(nodes))
    inc_node = np.concatenate([start, end])
    inc_piece = np.concatenate([np.arange(m), np.arange(m)])
    order = np.argsort(inc_node, kind="stable")
    inc_node, inc_piece = inc_node[order], inc_piece[order]
    two = inc_piece[deg[inc_node] == 2].reshape(-1, 2)
    p, q = two[:, 0], two[:, 1]
    join = (p != q) & (key[p] == key[q])
    comp = _components(m, p[join], q[join])

    order = np.argsort(comp, kind="stable")
    comp_sorted = comp[order]
    groups, group_of = np.unique(comp_sorted, return_inverse=True)
    sizes = np.bincount(group_of)
    single = sizes[group_of] == 1
    # smallest source index per chain; line for ordering = that of the piece carrying it
    src_sorted = piece_src[order]
    chain_src = np.full(len(groups), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(chain_src, group_of, src_sorted)
    line_sorted = piece_line[order]
    chain_line = np.zeros(len(groups), dtype=np.int64)
    carrier = src_sorted == chain_src[group_of]
    chain_line[group_of[carrier]] = line_sorted[carrier]

    merged = np.empty(len(groups), dtype=object)
    merged[group_of[single]] = pieces[order][single]
    multi = ~single
    if multi.any():
        targets, dense = np.unique(group_of[multi], return_inverse=True)
        many = shapely.multilinestrings(pieces[order][multi], indices=dense.ravel())
        merged[targets] = _rotate_loops_to_junctions(shapely.line_merge(many), nodes[deg != 2])

    # line_merge should give one LineString per chain; keep any leftover parts as separate segments
    segs, seg_of = shapely.get_parts(merged, return_index=True)
    keep = (shapely.get_type_id(segs) == 1) & (shapely.length(segs) > 0)
    return segs[keep], chain_src[seg_of[keep]], chain_line[seg_of[keep]]


def _rotate_loops_to_junctions(lines: np.ndarray, junction_xy: np.ndarray) -> np.ndarray:
    """Restart closed merged chains at a junction vertex if they pass through one (rare: loop on a stalk)."""
    closed = (shapely.get_type_id(lines) == 1) & shapely.is_closed(lines)
    if not closed.any() or len(junction_xy) == 0:
        return lines
    lines = lines.copy()
    junctions = {tuple(p) for p in junction_xy.tolist()}
    for i in np.flatnonzero(closed):
        ring = shapely.get_coordinates(lines[i])
        if tuple(ring[0].tolist()) in junctions:
            continue
        hits = [k for k, p in enumerate(ring[:-1].tolist()) if tuple(p) in junctions]
        if hits:
            k = hits[0]
            lines[i] = shapely.linestrings(np.vstack([ring[k:-1], ring[: k + 1]]))
    return lines


_LEVEL_RANK = {"main": 0, "secondary": 1, "back": 2}


def _cross_names(
    start: np.ndarray, end: np.ndarray, names: np.ndarray, levels: np.ndarray, *, at_end: bool
) -> np.ndarray:
    """Per segment, the best other named segment's name at its start (or end) node, else None."""
    k = len(names)
    out = np.full(k, None, dtype=object)
    if k == 0:
        return out
    named = ~pd.isna(names)
    # incidence rows: (node, segment), grouped by node
    inc_node = np.concatenate([start, end])
    inc_seg = np.concatenate([np.arange(k), np.arange(k)])
    order = np.argsort(inc_node, kind="stable")
    inc_node, inc_seg = inc_node[order], inc_seg[order]
    group_start = np.flatnonzero(_first_per_group(inc_node))
    group_size = np.diff(np.append(group_start, len(inc_node)))
    row_group = np.repeat(np.arange(len(group_start)), group_size)
    # the rows asking: one per segment, at its start or end node
    ask_node = end if at_end else start
    ask_row = np.searchsorted(inc_node, ask_node)  # first row of that node's group
    ask_group = row_group[ask_row]
    n_cand = group_size[ask_group]
    asker = np.repeat(np.arange(k), n_cand)
    offset = np.arange(len(asker)) - np.repeat(np.cumsum(n_cand) - n_cand, n_cand)
    other = inc_seg[group_start[ask_group][asker] + offset]
    ok = (other != asker) & named[other]
    asker, other = asker[ok], other[ok]
    if len(asker) == 0:
        return out
    other_names = names[other]
    ok = (other_names != names[asker]) | ~named[asker]  # a same-named neighbour is no cross street
    asker, other, other_names = asker[ok], other[ok], other_names[ok]
    if len(asker) == 0:
        return out
    level_rank = pd.Series(levels[other], dtype=object).map(_LEVEL_RANK).fillna(3).to_numpy()
    _, name_rank = np.unique(other_names.astype(str), return_inverse=True)
    order = np.lexsort((name_rank.ravel(), level_rank, asker))
    asker, other_names = asker[order], other_names[order]
    pick = _first_per_group(asker)
    out[asker[pick]] = other_names[pick]
    return out


def _describe(name: pd.Series, from_desc: pd.Series, to_desc: pd.Series) -> pd.Series:
    """Descriptions: 和平街（新华街—凤山路）, 和平街（新华街—）, 和平街, or for unnamed segments
    :func:`unnamed_descriptions`."""
    has_ends = from_desc.notna() | to_desc.notna()
    text = name.astype(object).where(
        ~has_ends,
        name.astype(str) + "（" + from_desc.fillna("").astype(str) + "—" + to_desc.fillna("").astype(str) + "）",
    )
    return text.where(name.notna(), pd.Series(unnamed_descriptions(from_desc, to_desc), index=name.index)).astype(
        object
    )


def unnamed_descriptions(from_desc: Any, to_desc: Any) -> np.ndarray:
    """What to call unnamed segments: 「新华街与凤山路之间」 between two different named roads, else 「未命名道路」.

    One rule for every importer (OSM, road files, segment files), so an unnamed lane reads the same everywhere.

    >>> unnamed_descriptions(["新华街", "新华街", None], ["凤山路", "新华街", "凤山路"]).tolist()
    ['新华街与凤山路之间', '未命名道路', '未命名道路']
    """
    a = pd.Series(np.asarray(from_desc, dtype=object).reshape(-1), dtype=object).str.strip()
    b = pd.Series(np.asarray(to_desc, dtype=object).reshape(-1), dtype=object).str.strip()
    both = (a.notna() & a.ne("") & b.notna() & b.ne("") & a.ne(b)).to_numpy(dtype=bool)
    out = np.full(len(a), UNNAMED_DESCRIPTION, dtype=object)
    out[both] = (a[both] + "与" + b[both] + "之间").to_numpy()
    return out
