"""GPS tracks, pure geometry: which fixes to believe, and how much of a line a matched path covers.

A phone's fix can be far off (indoors, a cold start) or jump (a reflected signal). Two filters drop such fixes
before map matching: a reported accuracy worse than a limit, and a speed from the last kept fix that nobody on foot,
bicycle or scooter reaches. What a patrol covered of a road is measured by linear referencing: the matched path is a
set of intervals ``[a, b]`` (metres from the line's start) per line; their union over the line's length is its
covered share.

>>> import numpy as np
>>> union_lengths(np.array([0, 0, 1]), np.array([0.0, 5.0, 2.0]), np.array([10.0, 12.0, 3.0]), 2).tolist()
[12.0, 1.0]
"""

from __future__ import annotations

import numpy as np


def keep_fixes(
    x: np.ndarray, y: np.ndarray, t: np.ndarray, accuracy: np.ndarray, max_accuracy_m: float, max_speed_mps: float
) -> np.ndarray:
    """Mask of the fixes to keep: metric ``x``/``y`` (metres), ``t`` in seconds (ascending), ``accuracy`` in metres
    (NaN: not reported, kept). A fix is dropped when its accuracy is worse than ``max_accuracy_m`` or reaching it
    from the last kept fix needs more than ``max_speed_mps`` (a jump); a fix at the same second as the last kept one
    is dropped too (no speed can be known)."""
    n = len(x)
    ok = ~(np.asarray(accuracy, dtype=float) > max_accuracy_m)
    keep = np.zeros(n, dtype=bool)
    last = -1
    xs, ys, ts = x.tolist(), y.tolist(), t.tolist()
    for i in np.flatnonzero(ok).tolist():
        if last >= 0:
            dt = ts[i] - ts[last]
            if dt <= 0:
                continue
            dx, dy = xs[i] - xs[last], ys[i] - ys[last]
            if dx * dx + dy * dy > (max_speed_mps * dt) ** 2:
                continue
        keep[i] = True
        last = i
    return keep


def union_lengths(group: np.ndarray, start: np.ndarray, end: np.ndarray, n_groups: int) -> np.ndarray:
    """Length of the union of intervals ``[start, end]`` per group (``group`` in ``0..n_groups-1``), vectorised:
    sort by group and start, merge each run of overlapping intervals, add the runs' lengths."""
    out = np.zeros(n_groups)
    if len(group) == 0:
        return out
    group = np.asarray(group, dtype=np.int64)
    lo = np.minimum(start, end).astype(float)
    hi = np.maximum(start, end).astype(float)
    order = np.lexsort((lo, group))
    g, lo, hi = group[order], lo[order], hi[order]
    span = float(max(hi.max() - lo.min(), 1.0)) * 4.0
    shifted = hi + g * span  # a running maximum that never carries over from one group to the next
    reach = np.maximum.accumulate(shifted) - g * span
    new_run = np.ones(len(g), dtype=bool)
    new_run[1:] = (g[1:] != g[:-1]) | (lo[1:] > reach[:-1])
    run = np.cumsum(new_run) - 1
    run_lo = lo[new_run]
    run_hi = np.zeros(len(run_lo))
    np.maximum.at(run_hi, run, reach)
    np.add.at(out, g[new_run], run_hi - run_lo)
    return out
