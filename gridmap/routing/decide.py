"""The routing decision, :func:`route_block`: the single function both the one-off and the bulk path answer
with, so they cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridmap.geo.shapes import point_array
from gridmap.geo.snapping import Pairs, SnapIndex, best_per_point, containing, flag_rivals
from gridmap.routing.config import ANSWER_RULES, MATCH_KINDS, RULES, RoutingConfig, tolerances
from gridmap.routing.tables import Layers, Table


@dataclass
class Block:
    """Answers for a block of points, as arrays (rows index the layer tables of the block's Layers)."""

    far: np.ndarray
    grid: np.ndarray  # row of the grid covering the point (-1: none)
    rule: np.ndarray  # int8 index into ANSWER_RULES (RULES, then "component"), -1 none
    kind: np.ndarray  # int8 index into MATCH_KINDS, -1 none
    row: np.ndarray
    unit: np.ndarray
    distance: np.ndarray
    ambiguous: np.ndarray
    tolerance: np.ndarray
    community: np.ndarray
    street: np.ndarray
    cand_point: np.ndarray
    cand_kind: np.ndarray
    cand_row: np.ndarray
    cand_unit: np.ndarray
    cand_distance: np.ndarray

    @staticmethod
    def allocate(n: int) -> Block:
        i64 = lambda v: np.full(n, v, dtype=np.int64)  # noqa: E731
        return Block(
            far=np.zeros(n, bool),
            grid=i64(-1),
            rule=np.full(n, -1, np.int8),
            kind=np.full(n, -1, np.int8),
            row=i64(-1),
            unit=i64(-1),
            distance=np.full(n, np.nan),
            ambiguous=np.zeros(n, bool),
            tolerance=np.full(n, np.nan),
            community=i64(-1),
            street=i64(-1),
            cand_point=np.zeros(0, np.int64),
            cand_kind=np.zeros(0, np.int8),
            cand_row=np.zeros(0, np.int64),
            cand_unit=np.zeros(0, np.int64),
            cand_distance=np.zeros(0),
        )


def rule_order(config: RoutingConfig, categories: np.ndarray | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per point, the index of its rule order; and the table of orders (rule codes, -1 padded)."""
    orders = [config.order]
    code = np.zeros(n, dtype=np.int64)
    if categories is not None and config.category_order:
        inv, uniq = pd.factorize(pd.Series(categories, dtype=object).fillna(""))
        which = []
        for c in uniq:  # one entry per distinct category, not per point
            o = config.order_for(c or None)
            if o not in orders:
                orders.append(o)
            which.append(orders.index(o))
        code = np.asarray(which, dtype=np.int64)[inv]
    table = np.full((len(orders), len(RULES)), -1, dtype=np.int8)
    for i, o in enumerate(orders):
        table[i, : len(o)] = [RULES.index(r) for r in o]
    return code, table


def component_classes(categories: np.ndarray | None, n: int) -> np.ndarray:
    """Per point, the component class its category names (``BJ0101`` → ``0101``), "" for any other category.

    >>> component_classes(np.array(["BJ0101", "0101", None, "BJ01"], dtype=object), 4).tolist()
    ['0101', '', '', '']
    """
    if categories is None:
        return np.full(n, "", dtype=object)
    inv, uniq = pd.factorize(pd.Series(categories, dtype=object).fillna(""))
    cls = [c[2:] if len(c) == 6 and c.startswith("BJ") and c[2:].isdigit() else "" for c in uniq]
    return np.asarray(cls, dtype=object)[inv] if len(cls) else np.full(n, "", dtype=object)


def route_block(
    layers: Layers,
    epsg: int,
    lon: np.ndarray,
    lat: np.ndarray,
    days: np.ndarray,
    order_code: np.ndarray,
    order_table: np.ndarray,
    config: RoutingConfig,
    classes: np.ndarray | None = None,
) -> Block:
    """Decide a block of points of one UTM zone: the single decision function of both paths.

    The steps: where each point is (its grid, community and street), whether it is far outside the managed area,
    then, for a component 部件 report (``classes``: :func:`component_classes`), the owner of the nearest component
    of its class within ``component_m``; else the rules in each point's order until one finds a feature with a
    responsible unit; then the candidates.
    """
    n = len(lon)
    out = Block.allocate(n)
    idx = layers.index(epsg, config)
    x, y = idx.project(lon, lat)
    pts = point_array(x, y)
    single_cover = _locate(layers, idx, out, x, y, pts, days)
    if layers.has_areas:
        _mark_far(layers, idx, out, x, y, pts, config)
    decided = out.far.copy()
    if classes is not None and len(layers.tables["component"]):
        _apply_components(layers, idx, epsg, out, classes, x, y, pts, config, decided)
    cands: list[tuple[np.ndarray, int, np.ndarray, np.ndarray, np.ndarray]] = []
    for rank in range(order_table.shape[1]):
        rule_at = order_table[order_code, rank]
        for rule_code in np.unique(rule_at[~decided]):
            if rule_code < 0:
                continue
            sel = np.flatnonzero(~decided & (rule_at == rule_code))
            if RULES[rule_code] == "default":
                _apply_default(layers, out, sel, decided)
            else:
                _apply_rule(
                    layers, idx, out, int(rule_code), sel, x, y, pts, days, single_cover, config, decided, cands
                )
    if cands:
        _keep_candidates(layers, out, cands)
    return out


def _locate(
    layers: Layers, idx: SnapIndex, out: Block, x: np.ndarray, y: np.ndarray, pts: np.ndarray, days: np.ndarray
) -> np.ndarray:
    """Each point's grid in force on its day (lowest code on a shared edge), community (the grid's, else the covering
    polygon) and street (the community's parent, else the covering polygon), into ``out``. Returns where exactly one
    grid covers the point."""
    n = len(x)
    t = layers.tables
    covering_grids = _in_force(idx.covering("grid", x, y, pts), t["grid"], days)
    grid_cover = containing(covering_grids, n, t["grid"].rank)
    single_cover = np.bincount(covering_grids.point, minlength=n) == 1
    comm = np.full(n, -1, np.int64)
    has = grid_cover >= 0
    grid_community = t["grid"].community_id
    assert grid_community is not None  # (the grid table's column)
    if has.any():
        comm[has] = t["community"].rows_for(grid_community[grid_cover[has]])
    _fill_covering(idx, "community", t["community"], comm, x, y, pts)
    street = np.full(n, -1, np.int64)
    has = comm >= 0
    community_street = t["community"].parent_id
    assert community_street is not None  # (the area tables' column)
    if has.any():
        street[has] = t["street"].rows_for(community_street[comm[has]])
    _fill_covering(idx, "street", t["street"], street, x, y, pts)
    out.grid, out.community, out.street = grid_cover, comm, street
    return single_cover


def _mark_far(
    layers: Layers, idx: SnapIndex, out: Block, x: np.ndarray, y: np.ndarray, pts: np.ndarray, config: RoutingConfig
) -> None:
    """Far outside the managed area: covered by nothing and no area within ``far_m`` (``out.far``)."""
    inside = (out.grid >= 0) | (out.community >= 0) | (out.street >= 0)
    if inside.all():
        return
    t = layers.tables
    rest = np.flatnonzero(~inside)
    district = np.full(len(rest), -1, np.int64)
    _fill_covering(idx, "district", t["district"], district, x[rest], y[rest], pts[rest])
    rest = rest[district < 0]
    near = np.zeros(len(rest), bool)
    for name in ("district", "street", "community"):
        todo = rest[~near]
        if len(todo):
            near[~near] = idx.any_within(name, x[todo], y[todo], config.far_m, pts[todo])
    out.far[rest[~near]] = True


def _apply_rule(
    layers: Layers,
    idx: SnapIndex,
    out: Block,
    rule_code: int,
    sel: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    pts: np.ndarray,
    days: np.ndarray,
    single_cover: np.ndarray,
    config: RoutingConfig,
    decided: np.ndarray,
    cands: list[tuple[np.ndarray, int, np.ndarray, np.ndarray, np.ndarray]],
) -> None:
    """One feature rule for the points ``sel``: every feature it finds is a candidate; the best one with a
    responsible unit that day decides the point (nearest; a covering polygon only; ties by area or code)."""
    n = len(x)
    t = layers.tables
    rule = RULES[rule_code]
    if rule == "grid":
        pairs = _grids_near(idx, t["grid"], sel, x, y, pts, days, out.grid, single_cover, config)
    else:
        pairs = idx.near(rule, x[sel], y[sel], pts[sel])  # (segments: within their level's tolerance)
        pairs = Pairs(sel[pairs.point], pairs.feature, pairs.distance)
    if not len(pairs):
        return
    unit = layers.units_of(rule, pairs.feature, days[pairs.point])
    kind_code = MATCH_KINDS.index(rule)
    cands.append((pairs.point, kind_code, pairs.feature, unit, pairs.distance))
    pool = unit >= 0
    if not pool.any():
        return
    p = pairs.take(pool)
    u = unit[pool]
    table = t[rule]
    if rule == "segment":
        not_ok = np.zeros(len(p), np.int8)
        tie = np.zeros(len(p))
    else:  # polygons: only a covering one can match; neighbours within the margin are rivals only
        not_ok = (p.distance > 0).astype(np.int8)
        if rule == "compound":
            assert table.area is not None  # (the compound table's column)
            tie = table.area[p.feature]
        else:
            tie = table.rank[p.feature].astype(float)
    best = best_per_point(n, p.point, not_ok, p.distance, tie, table.ids[p.feature])
    has = best >= 0
    has[has] = not_ok[best[has]] == 0
    best = np.where(has, best, -1)
    amb = flag_rivals(n, p.point, p.distance, u, best, config.ambiguous_m)
    won = np.flatnonzero(has)
    b = best[won]
    out.rule[won] = rule_code
    out.kind[won] = kind_code
    out.row[won] = p.feature[b]
    out.unit[won] = u[b]
    out.distance[won] = p.distance[b]
    out.ambiguous[won] = amb[won]
    if rule == "segment":
        assert table.level is not None  # (the segment table's column)
        out.tolerance[won] = tolerances(config)[table.level[p.feature[b]]]
    decided[won] = True


def _apply_components(
    layers: Layers,
    idx: SnapIndex,
    epsg: int,
    out: Block,
    classes: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    pts: np.ndarray,
    config: RoutingConfig,
    decided: np.ndarray,
) -> None:
    """A component report goes to the owner 权属单位 of the nearest component of its class within ``component_m``
    (one without an owner, or of another class, is ignored; equal distances: the lowest id)."""
    sel = np.flatnonzero(~decided & (classes != ""))
    if not len(sel):
        return
    table = layers.tables["component"]
    assert table.code is not None and table.owner is not None  # (the component table's columns)
    pairs = layers.components(epsg, idx).within(x[sel], y[sel], config.component_m, pts[sel])
    pairs = Pairs(sel[pairs.point], pairs.feature, pairs.distance)
    owner = table.owner[pairs.feature]
    p = pairs.take((table.code[pairs.feature] == classes[pairs.point]) & (owner >= 0))
    if not len(p):
        return
    best = best_per_point(len(x), p.point, p.distance, table.ids[p.feature])
    won = np.flatnonzero(best >= 0)
    b = best[won]
    out.rule[won] = ANSWER_RULES.index("component")
    out.kind[won] = MATCH_KINDS.index("component")
    out.row[won] = p.feature[b]
    out.unit[won] = table.owner[p.feature[b]]
    out.distance[won] = p.distance[b]
    decided[won] = True


def _keep_candidates(
    layers: Layers, out: Block, cands: list[tuple[np.ndarray, int, np.ndarray, np.ndarray, np.ndarray]]
) -> None:
    """The features every tried rule found, but the match and the far points: by point, kind, distance, id."""
    t = layers.tables
    cp = np.concatenate([c[0] for c in cands])
    ck = np.concatenate([np.full(len(c[0]), c[1], np.int8) for c in cands])
    cr = np.concatenate([c[2] for c in cands])
    cu = np.concatenate([c[3] for c in cands])
    cd = np.concatenate([c[4] for c in cands])
    keep = ~((ck == out.kind[cp]) & (cr == out.row[cp])) & ~out.far[cp]
    cp, ck, cr, cu, cd = cp[keep], ck[keep], cr[keep], cu[keep], cd[keep]
    ids = np.zeros(len(cr), np.int64)
    for k in np.unique(ck):
        m = ck == k
        ids[m] = t[MATCH_KINDS[k]].ids[cr[m]]
    o = np.lexsort((ids, cd, ck, cp))
    out.cand_point, out.cand_kind, out.cand_row = cp[o], ck[o], cr[o]
    out.cand_unit, out.cand_distance = cu[o], cd[o]


def _grids_near(
    idx: SnapIndex,
    grids: Table,
    sel: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    pts: np.ndarray,
    days: np.ndarray,
    cover: np.ndarray,
    single: np.ndarray,
    config: RoutingConfig,
) -> Pairs:
    """Grids in force within ``ambiguous_m`` of the points ``sel``. A point inside exactly one grid and farther
    than the margin from its edge has no other grid that near (grids tile without overlapping), so only the
    points near an edge or outside every grid are looked up again."""
    c = cover[sel]
    deep = np.zeros(len(sel), bool)
    inside = np.flatnonzero((c >= 0) & single[sel])
    if len(inside):
        s = sel[inside]
        deep[inside] = idx.boundary_distance("grid", c[inside], x[s], y[s]) > config.ambiguous_m
    rest = sel[~deep]
    near = idx.near("grid", x[rest], y[rest], pts[rest])
    near = _in_force(Pairs(rest[near.point], near.feature, near.distance), grids, days)
    d = sel[deep]
    return Pairs(
        np.concatenate([d, near.point]),
        np.concatenate([c[deep], near.feature]),
        np.concatenate([np.zeros(len(d)), near.distance]),
    )


def _in_force(pairs: Pairs, grids: Table, days: np.ndarray) -> Pairs:
    """Only the grid versions in force on each point's day."""
    if not len(pairs):
        return pairs
    d = days[pairs.point]
    valid_from, valid_to = grids.valid_from, grids.valid_to
    assert valid_from is not None and valid_to is not None  # (the grid table's columns)
    return pairs.take((valid_from[pairs.feature] <= d) & (d < valid_to[pairs.feature]))


def _fill_covering(
    idx: SnapIndex, name: str, table: Table, target: np.ndarray, x: np.ndarray, y: np.ndarray, pts: np.ndarray
) -> None:
    """Fill the -1 entries of ``target`` with the covering polygon of ``name`` (lowest code on a shared edge)."""
    need = np.flatnonzero(target < 0)
    if not len(need) or not len(table):
        return
    pairs = idx.covering(name, x[need], y[need], pts[need])
    target[need] = containing(pairs, len(need), table.rank)


def _apply_default(layers: Layers, out: Block, sel: np.ndarray, decided: np.ndarray) -> None:
    comm, street = out.community[sel], out.street[sel]
    cu = np.where(comm >= 0, layers.community_unit[np.maximum(comm, 0)], -1) if len(layers.community_unit) else -1
    su = np.where(street >= 0, layers.street_unit[np.maximum(street, 0)], -1) if len(layers.street_unit) else -1
    cu = np.broadcast_to(cu, sel.shape)
    su = np.broadcast_to(su, sel.shape)
    use_c = cu >= 0
    use_s = ~use_c & (su >= 0)
    for mask, kind, rows, units in ((use_c, "community", comm, cu), (use_s, "street", street, su)):
        w = sel[mask]
        out.rule[w] = RULES.index("default")
        out.kind[w] = MATCH_KINDS.index(kind)
        out.row[w] = rows[mask]
        out.unit[w] = units[mask]
        out.distance[w] = 0.0
        decided[w] = True
