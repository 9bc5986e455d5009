"""One community tiled into unit grids (:func:`tile_community`), with the figures of the quality report
(:class:`Tiling`, :func:`tile_community_report`): road blocks, straight cuts, merges, numbering."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
import shapely.errors
from shapely import STRtree
from shapely.geometry import MultiPolygon, Polygon

from gridmap.geo.gridding.coverage import snap_coverage
from gridmap.geo.gridding.cuts import Cutter
from gridmap.geo.gridding.merge import merge_groups
from gridmap.geo.gridding.parts import Projector, as_geoms, line_parts, polygon_parts, polygon_parts_indexed


@dataclass
class Tiling:
    """The grids of one community and what it took to make them (for the quality report).

    Attributes
    ----------
    grids
        The grid polygons (see :func:`tile_community`).
    area_m2
        Area of each grid in square metres.
    blocks
        Road blocks the community was cut into by its boundary, the roads and the barriers.
    cuts
        Straight cut lines added inside blocks larger than the target.
    slivers_merged
        Pieces smaller than ``sliver_frac × target`` merged into a neighbour.
    compound_joins
        Merges of two pieces that a compound straddled (a road or cut through it).
    forced_compounds
        Indices (into the ``compounds`` given) of compounds whose grid is oversized (more than
        ``oversize_frac × target``) because the compound had to stay whole: it straddled a road or a cut, or
        is itself larger than the target.
    """

    grids: np.ndarray
    area_m2: np.ndarray
    blocks: int = 0
    cuts: int = 0
    slivers_merged: int = 0
    compound_joins: int = 0
    forced_compounds: list[int] = field(default_factory=list)


def tile_community(
    community: Polygon | MultiPolygon,
    roads: Iterable[Any] | np.ndarray,
    compounds: Iterable[Any] | np.ndarray,
    *,
    target_m2: float = 10_000.0,
    metric_epsg: int,
    sliver_frac: float = 0.25,
    grid_size: float | None = None,
    barriers: Iterable[Any] | np.ndarray | None = None,
) -> np.ndarray:
    """Tile a community polygon into unit grids of about ``target_m2``.

    The grids only; :func:`tile_community_report` gives the same grids with the figures of the quality report.

    Parameters
    ----------
    community
        The community (社区) polygon, EPSG:4326, valid.
    roads
        Road centre-lines (LineStrings, EPSG:4326) of any extent: only their parts inside the community cut
        it. A road meant to run along the community boundary should coincide with it (take both from one
        noded network); one drawn a hair beside it leaves thin slivers, which are merged away.
    compounds
        Residential compound polygons (EPSG:4326); none is ever split between two grids.
    target_m2
        Wanted grid area in square metres (万米单元网格: 10,000).
    metric_epsg
        Metric CRS for areas, edge lengths and cut geometry (the local UTM zone).
    sliver_frac
        Pieces smaller than ``sliver_frac * target_m2`` are merged into the neighbour sharing the longest edge.
    grid_size
        If given (degrees, e.g. ``1e-6``), the finished grids are snap-rounded together to this grid
        (:func:`snap_coverage`), so they survive writing with that many decimals unchanged. They then tile
        the community as snap-rounded: a new vertex on its boundary (where a cut meets it) moves by up to
        ``grid_size``. To keep neighbouring communities consistent, tile them with ``grid_size=None`` and
        snap all their grids together in one :func:`snap_coverage` call instead.

    Returns
    -------
    numpy.ndarray
        Polygons that tile ``community``: their union is the community, pairwise intersections have zero
        area, and every compound lies (up to its part outside the community) in exactly one of them.
        Order is by construction, not by code: number them with :func:`grid_codes`.

    Examples
    --------
    >>> from shapely.geometry import LineString, box
    >>> from gridmap.geo.crs import transform
    >>> block = transform([box(512_000, 4_152_500, 512_400, 4_152_700)], 32649, 4326)[0]  # 8 ha in 离石
    >>> road = transform([LineString([(512_200, 4_152_490), (512_200, 4_152_710)])], 32649, 4326)[0]
    >>> grids = tile_community(block, [road], [], target_m2=10_000, metric_epsg=32649)
    >>> len(grids)
    8
    >>> bool(shapely.coverage_is_valid(grids))
    True
    >>> shapely.union_all(grids).symmetric_difference(block).area < 1e-12
    True
    """
    return tile_community_report(
        community,
        roads,
        compounds,
        target_m2=target_m2,
        metric_epsg=metric_epsg,
        sliver_frac=sliver_frac,
        grid_size=grid_size,
        barriers=barriers,
    ).grids


def tile_community_report(
    community: Polygon | MultiPolygon,
    roads: Iterable[Any] | np.ndarray,
    compounds: Iterable[Any] | np.ndarray,
    *,
    target_m2: float = 10_000.0,
    metric_epsg: int,
    sliver_frac: float = 0.25,
    grid_size: float | None = None,
    barriers: Iterable[Any] | np.ndarray | None = None,
    oversize_frac: float = 1.5,
) -> Tiling:
    """:func:`tile_community`, returning a :class:`Tiling` (grids, their areas and how they were made).

    ``barriers``: other lines grid edges must follow, like roads (rivers, walls); polygons (a river's water
    area) contribute their outline. ``oversize_frac``: a grid larger than this many targets counts as
    oversized when a compound explains it (:attr:`Tiling.forced_compounds`).
    """
    if not isinstance(community, (Polygon, MultiPolygon)):
        raise TypeError(f"community must be a Polygon or MultiPolygon, got {type(community).__name__}")
    if community.is_empty:
        raise ValueError("community polygon is empty")
    if not community.is_valid:
        raise ValueError(f"community polygon is invalid: {shapely.is_valid_reason(community)}")
    if not target_m2 > 0:
        raise ValueError(f"target_m2 must be positive, got {target_m2}")
    proj = Projector(metric_epsg)
    roads = line_parts(roads)
    if barriers is not None:
        extra = as_geoms(barriers)
        if extra.size:
            is_poly = np.isin(shapely.get_type_id(extra), (3, 6))
            extra = np.concatenate([line_parts(extra[~is_poly]), line_parts(shapely.boundary(extra[is_poly]))])
            roads = np.concatenate([roads, extra])
    compounds, compound_index = polygon_parts_indexed(compounds)
    shapely.prepare(community)

    # 1. road blocks: the community boundary noded with the roads, faces inside kept. Roads are not clipped
    # first: a clipped end can stop a hair short of the boundary and leave the block uncut.
    if roads.size:
        roads = roads[shapely.intersects(community, roads)]
    linework = shapely.union_all(
        np.concatenate([line_parts(shapely.boundary(np.array([community], dtype=object))), roads])
    )
    blocks = polygon_parts(shapely.polygonize(shapely.get_parts(linework)))
    blocks = blocks[shapely.intersects(community, shapely.point_on_surface(blocks))]
    if blocks.size == 0:
        raise ValueError("community polygon produced no faces")

    # 2. straight cuts through blocks much larger than the target
    if compounds.size:
        inside = shapely.intersects(community, compounds)
        compounds, compound_index = compounds[inside], compound_index[inside]
    compounds_m = proj.to_metric(compounds) if compounds.size else compounds
    cutter = Cutter(proj, compounds, compounds_m)
    block_area = shapely.area(proj.to_metric(blocks))
    for block, area in zip(blocks, block_area, strict=True):
        n = max(1, math.floor(area / target_m2 + 0.5))
        if n > 1:
            cutter.split(block, n)

    # 3. one planar partition of boundary, roads and cut chords: faces share their edges exactly
    if cutter.chords:
        linework = shapely.union_all(np.concatenate([shapely.get_parts(linework), cutter.chords]))
        faces = polygon_parts(shapely.polygonize(shapely.get_parts(linework)))
        faces = faces[shapely.intersects(community, shapely.point_on_surface(faces))]
    else:
        faces = blocks
    fi, bj = STRtree(blocks).query(shapely.point_on_surface(faces), predicate="within")
    block_of = -1 - np.arange(len(faces))  # a face in no single block (a crumb at an overshoot) is its own
    single = np.bincount(fi, minlength=len(faces))[fi] == 1
    block_of[fi[single]] = bj[single]

    # 4. merge faces over compounds, then slivers into neighbours
    faces_m = proj.to_metric(faces)
    counts: dict[str, Any] = {}
    groups = merge_groups(
        faces, faces_m, compounds, compounds_m, target_m2 * sliver_frac, np.arange(len(faces)), block_of, counts
    )

    out = []
    labels, group_of = np.unique(groups, return_inverse=True)
    for label in labels:
        members = faces[groups == label]
        out.append(members[0] if len(members) == 1 else shapely.coverage_union_all(members))
    grids = np.array(out, dtype=object)
    if grid_size:
        grids = snap_coverage(grids, grid_size)
    grid_area = np.bincount(group_of.ravel(), weights=shapely.area(faces_m), minlength=len(labels))

    # compounds behind oversized grids: joined across a road or cut, or larger than the target on their own
    forced: list[int] = []
    if compounds.size:
        oversized = grid_area > oversize_frac * target_m2
        suspects = set(counts.get("joined_compounds", [])) | set(
            np.flatnonzero(shapely.area(compounds_m) > target_m2).tolist()
        )
        if suspects and oversized.any():
            cand = np.array(sorted(suspects))
            ci, gj = STRtree(grids).query(shapely.point_on_surface(compounds[cand]), predicate="intersects")
            hit = oversized[gj]
            forced = sorted({int(compound_index[cand[i]]) for i in ci[hit]})
    return Tiling(
        grids=grids,
        area_m2=grid_area,
        blocks=int(blocks.size),
        cuts=len(cutter.chords),
        slivers_merged=int(counts.get("slivers_merged", 0)),
        compound_joins=int(counts.get("compound_joins", 0)),
        forced_compounds=forced,
    )
