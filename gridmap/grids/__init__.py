"""Drawing the management units themselves from the stored city: unit grids 单元网格 by the rules of CJ/T 213
(:mod:`~gridmap.grids.generate`, a new version with lineage) and road segments 路段 cut from centre-lines at
intersections (:mod:`~gridmap.grids.road_segments`). The geometry lives in :mod:`gridmap.geo`; these modules read
the store, call it, and write the result."""
