"""Unit grids (单元网格): tile a community into ~10,000 m² cells, and number them.

A unit grid is the smallest management cell of digital urban management (CJ/T 213, the "万米单元网格").
Its rules, as implemented here (pure geometry; :mod:`gridmap.grids.generate` stores the result as a new version):

* grids tile their community exactly: the union is the community, overlaps have zero area, nothing lies
  outside it. All faces come from ONE polygonize of the noded community boundary, roads and cut lines, so
  neighbouring grids share their edges vertex for vertex (``shapely.coverage_is_valid`` holds);
* boundaries follow roads: the community is first cut into road blocks by its boundary and the roads (and any
  ``barriers``: rivers, walls), so blocks split along their internal roads before any straight cut;
* blocks much larger than the target are cut by recursive straight bisection across their long axis, at the
  position that splits the area in proportion to the number of grids wanted on each side;
* a grid never splits a residential compound: a cut that would cross one moves to a free position nearby,
  else to any free position (the grid counts on each side follow), else across the short axis; pieces a
  compound still overlaps (no free position at all, or a road drawn through a compound) are merged;
* slivers (smaller than ``sliver_frac`` × target) are merged into the neighbour sharing the longest edge,
  preferring one in the same road block over one across a road.

Topology is computed in the input CRS (EPSG:4326), so that the result tiles the *given* polygon; areas, edge
lengths and cut geometry are computed in the metric CRS ``metric_epsg``. Writing coordinates with fewer
decimals breaks exactness unless the grids are snap-rounded together first (:func:`snap_coverage`).

Grid codes (:func:`grid_codes`) are the 12-digit community code plus a sequence number running west→east,
then north→south. :func:`tile_community_report` returns the grids with the figures of the quality report
(:class:`Tiling`: areas, blocks, cuts, slivers merged, merges over compounds, compounds behind oversized grids).

The package, one module per step, each using only those listed before it: :mod:`~.parts` (geometry arrays, the
metric projector, union-find), :mod:`~.coverage` (snap-rounding grids together), :mod:`~.cuts` (straight cuts that
avoid compounds), :mod:`~.merge` (slivers and split compounds merged), :mod:`~.codes` (numbering), :mod:`~.tile`
(one community) and :mod:`~.communities` (many communities: checks, the quality report, old → new lineage).
"""

from gridmap.geo.gridding.codes import grid_codes
from gridmap.geo.gridding.communities import (
    GridPlan,
    area_summary,
    check_communities,
    lineage,
    read_wkb,
    tile_communities,
)
from gridmap.geo.gridding.coverage import snap_coverage
from gridmap.geo.gridding.parts import robust_intersection
from gridmap.geo.gridding.tile import Tiling, tile_community, tile_community_report

__all__ = [
    "GridPlan",
    "Tiling",
    "area_summary",
    "check_communities",
    "grid_codes",
    "lineage",
    "read_wkb",
    "robust_intersection",
    "snap_coverage",
    "tile_communities",
    "tile_community",
    "tile_community_report",
]
