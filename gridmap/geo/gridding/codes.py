"""Grid codes: the 12-digit community code and a sequence number running west→east, then north→south (CJ/T 213)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
import shapely.errors


def grid_codes(community_code: str, grids: Sequence[Any] | np.ndarray, seq_width: int = 2) -> list[str]:
    """Codes for the grids of one community, numbered west→east, then north→south.

    Code = 12-digit community code (district 6 + street 3 + community 3) + a ``seq_width``-digit sequence
    starting at 1 (CJ/T 213: 2 digits → 14-digit codes; Beijing uses 3 → 15 digits).

    Row-banding rule: grids are taken by centroid latitude, north first; a grid opens a new row when its
    centroid lies more than half the median grid height (north–south extent of the bounding box) below the
    centroid of the first grid of the current row; otherwise it joins that row. Rows are numbered north to
    south, and inside a row grids run by centroid longitude, west to east (ties: the more northern first).

    Parameters
    ----------
    community_code
        The 12-digit community code.
    grids
        The community's grid polygons (any CRS with x east and y north, e.g. EPSG:4326).
    seq_width
        Digits of the sequence number.

    Returns
    -------
    list of str
        One code per grid, in the order of ``grids``.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> grid_codes("141102001001", [box(1, 0, 2, 1), box(0, 0, 1, 1), box(0, 1, 2, 2)])
    ['14110200100103', '14110200100102', '14110200100101']
    """
    if not (isinstance(community_code, str) and len(community_code) == 12 and community_code.isdigit()):
        raise ValueError(f"community_code must be 12 digits, got {community_code!r}")
    if seq_width < 1:
        raise ValueError(f"seq_width must be at least 1, got {seq_width}")
    geoms = np.asarray(list(grids) if not isinstance(grids, np.ndarray) else grids, dtype=object).ravel()
    n = len(geoms)
    if n == 0:
        return []
    if n > 10**seq_width - 1:
        raise ValueError(f"{n} grids do not fit in a {seq_width}-digit sequence (max {10**seq_width - 1})")
    if shapely.is_missing(geoms).any() or shapely.is_empty(geoms).any():
        raise ValueError("grids contain missing or empty geometries")
    centroids = shapely.centroid(geoms)
    x, y = shapely.get_x(centroids), shapely.get_y(centroids)
    bounds = shapely.bounds(geoms)
    band = 0.5 * float(np.median(bounds[:, 3] - bounds[:, 1]))
    row = np.empty(n, dtype=np.int64)
    current, top = -1, math.inf
    for i in np.lexsort((x, -y)):  # north first, then west
        if current < 0 or top - y[i] > band:
            current += 1
            top = y[i]
        row[i] = current
    order = np.lexsort((-y, x, row))
    seq = np.empty(n, dtype=np.int64)
    seq[order] = np.arange(1, n + 1)
    return [f"{community_code}{s:0{seq_width}d}" for s in seq]
