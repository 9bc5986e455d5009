"""Map matching a patrol track to the road segments with fastmm (C++ FMM: a hidden Markov model over candidate
roads with precomputed shortest paths), and the rule that says which segments it patrolled.

Steps: drop fixes by reported accuracy and by speed (:func:`gridmap.geo.tracks.keep_fixes`), project to the local
UTM zone, match (fastmm splits the track where it cannot go on and matches the rest), then per segment and local day

* **fixes**: kept fixes whose matched position lies on the segment;
* **covered share**: the union of the matched path's intervals along the segment (linear referencing: metres from
  its start, both directions folded onto one line) divided by its length.

**The rule**: a segment is patrolled on a day when it has at least ``min_fixes`` (2) matched fixes and a covered
share of at least ``min_share`` (50 %) — a walk that crosses a road at an intersection touches it with one fix and a
few metres, and is not a patrol of it (``PatrolSettings``).
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

from gridmap.config import PatrolSettings
from gridmap.geo.crs import transformer
from gridmap.geo.tracks import keep_fixes, union_lengths
from gridmap.patrols.network import RoadNetwork
from gridmap.patrols.tracks import Track

DAY_S = 86_400
MAX_GAP_S = 300.0  # a pause this long (the page closed, a tunnel, lunch) starts a new piece of the track
MAX_STEP_M = 500.0  # so does a step this long between kept fixes (below the network table's reach, 600 m)


def noise_of(accuracy: np.ndarray, rules: PatrolSettings) -> tuple[float, float]:
    """The matcher's GPS error and search radius: the settings', or more when the phone says its fixes are worse
    (the median reported accuracy, up to the accuracy filter's limit)."""
    reported = accuracy[np.isfinite(accuracy)]
    error = rules.gps_error_m
    if len(reported):
        error = min(max(error, float(np.median(reported))), rules.max_accuracy_m)
    return error, max(rules.search_radius_m, 3.0 * error)


def pieces(x: np.ndarray, y: np.ndarray, t: np.ndarray, rules: PatrolSettings) -> list[tuple[int, int]]:
    """``[lo, hi)`` ranges of consecutive kept fixes to match apart: split at long pauses and long steps."""
    if len(t) < 2:
        return [(0, len(t))]
    cut = (np.diff(t) > MAX_GAP_S) | (np.hypot(np.diff(x), np.diff(y)) > MAX_STEP_M)
    starts = np.r_[0, np.flatnonzero(cut) + 1]
    ends = np.r_[starts[1:], len(t)]
    return [(int(a), int(b)) for a, b in zip(starts, ends, strict=True) if b - a >= 2]


@dataclass(frozen=True)
class Matched:
    """What one track covered, one entry per (segment row, local day)."""

    kept: np.ndarray  # mask over the track's fixes
    length_m: float  # of the kept fixes' line
    row: np.ndarray  # network rows
    day: np.ndarray  # local days since 1970
    fixes: np.ndarray
    share: np.ndarray
    first_t: np.ndarray  # seconds since 1970 (UTC)
    last_t: np.ndarray
    patrolled: np.ndarray  # the rule

    def patrolled_rows(self) -> set[int]:
        return {int(r) for r in self.row[self.patrolled]}


def local_days(t: np.ndarray, tz: ZoneInfo, at: float) -> np.ndarray:
    """Local calendar days (since 1970) of times ``t``; the zone's offset is taken at ``at`` (one patrol does not
    span a daylight-saving change in China, which has none)."""
    import datetime as dt

    offset = dt.datetime.fromtimestamp(at, dt.UTC).astimezone(tz).utcoffset()
    seconds = offset.total_seconds() if offset else 0.0
    return np.floor((np.asarray(t) + seconds) / DAY_S).astype(np.int64)


def match_track(network: RoadNetwork, track: Track, rules: PatrolSettings, tz: ZoneInfo) -> Matched:
    """Match ``track`` to ``network`` and apply the rule."""
    import fastmm

    to_metric = transformer(4326, network.epsg if not network.empty else 3857)
    x, y = to_metric.transform(track.lon, track.lat)
    x, y = np.asarray(x), np.asarray(y)
    kept = keep_fixes(x, y, track.t, track.accuracy, rules.max_accuracy_m, rules.max_speed_mps)
    kx, ky, kt = x[kept], y[kept], track.t[kept]
    length = float(np.hypot(np.diff(kx), np.diff(ky)).sum()) if len(kx) > 1 else 0.0
    none = np.zeros(0, dtype=np.int64)
    if network.empty or len(kx) < 2:
        return Matched(kept, length, none, none, none, np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0, bool))
    gps_error, radius = noise_of(track.accuracy[kept], rules)
    parts = []  # matched apart where the walker stopped recording or jumped (fastmm would re-start again and again)
    for lo, hi in pieces(kx, ky, kt, rules):
        traj = fastmm.Trajectory.from_xyt_tuples(np.column_stack([kx[lo:hi], ky[lo:hi], kt[lo:hi]]).tolist())
        result = network.matcher.match(
            traj, max_candidates=8, candidate_search_radius=radius, gps_error=gps_error,
            reverse_tolerance=2.0 * gps_error,  # on foot, a fix may fall behind the last on the same road
        )  # fmt: skip
        parts.append((lo, result))
    fix_idx: list[int] = []  # (fix, edge) pairs: where each fix was matched
    fix_edge: list[int] = []
    iv_edge: list[int] = []  # the matched path as intervals along edges, each with the fix it starts from
    iv_a: list[float] = []
    iv_b: list[float] = []
    iv_fix: list[int] = []
    success = fastmm.MatchErrorCode.SUCCESS
    for lo, result in parts:
        for sub in result.subtrajectories:
            if sub.error_code != success:
                continue
            segs = sub.segments
            if not segs:
                continue
            # A successful part's segments join consecutive fixes (p1 of one is p0 of the next): read each offset
            # once. Reading ``trajectory_index`` costs more than the matching's own work per fix, so it is read only
            # when the count does not tell (a part with a fix left out).
            if len(segs) == sub.end_index - sub.start_index:
                index = list(range(lo + sub.start_index, lo + sub.end_index + 1))
            else:
                index = [lo + g.p0.trajectory_index for g in segs] + [lo + segs[-1].p1.trajectory_index]
            offsets = [g.p0.offset_from_start_of_edge for g in segs]
            offsets.append(segs[-1].p1.offset_from_start_of_edge)
            for k, g in enumerate(segs):
                edges = [e.edge_id for e in g.edges]
                if not edges:
                    continue
                fix_idx.append(index[k])
                fix_edge.append(edges[0])
                if len(edges) == 1:
                    iv_edge.append(edges[0])
                    iv_a.append(offsets[k])
                    iv_b.append(offsets[k + 1])
                    iv_fix.append(index[k])
                else:
                    last = len(edges) - 1
                    for j, edge in enumerate(edges):
                        iv_edge.append(edge)
                        iv_a.append(offsets[k] if j == 0 else 0.0)
                        iv_b.append(offsets[k + 1] if j == last else np.inf)
                        iv_fix.append(index[k])
            last_edges = [e.edge_id for e in segs[-1].edges]
            if last_edges:
                fix_idx.append(index[-1])
                fix_edge.append(last_edges[-1])
    n_kept = len(kt)
    fi = np.asarray(fix_idx, dtype=np.int64)  # 0-based in fastmm 0.3.2 (its docstring says 1-based; tests pin it)
    days_of_fix = local_days(kt, tz, float(kt[0]))
    rows_n = len(network.ids)
    # fixes per (row, day): unique (fix, row) pairs
    f_row = np.asarray(fix_edge, dtype=np.int64) // 2
    pairs = np.unique(np.column_stack([fi, f_row]), axis=0) if len(fi) else np.zeros((0, 2), np.int64)
    f_day = days_of_fix[pairs[:, 0]] if len(pairs) else none
    # intervals along each segment, folded onto its drawing direction
    e = np.asarray(iv_edge, dtype=np.int64)
    row = e // 2
    seg_len = network.lengths[row] if len(row) else np.zeros(0)
    a = np.clip(np.asarray(iv_a, dtype=float), 0.0, seg_len)
    b = np.minimum(np.asarray(iv_b, dtype=float), seg_len)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    back = (e % 2) == 1
    lo, hi = np.where(back, seg_len - hi, lo), np.where(back, seg_len - lo, hi)
    iv_fix_arr = np.asarray(iv_fix, dtype=np.int64)
    iv_day = days_of_fix[np.clip(iv_fix_arr, 0, n_kept - 1)] if len(iv_fix_arr) else none
    # one key per (row, day)
    day0 = int(days_of_fix.min())
    span = int(days_of_fix.max()) - day0 + 1
    key_fix = pairs[:, 1] * span + (f_day - day0) if len(pairs) else none
    key_iv = row * span + (iv_day - day0) if len(row) else none
    keys = np.unique(np.r_[key_fix, key_iv])
    k_fix = np.searchsorted(keys, key_fix)
    k_iv = np.searchsorted(keys, key_iv)
    fixes = np.bincount(k_fix, minlength=len(keys)) if len(keys) else none
    covered = union_lengths(k_iv, lo, hi, len(keys))
    out_row = keys // span
    share = np.clip(covered / np.maximum(network.lengths[out_row], 1e-9), 0.0, 1.0) if len(keys) else np.zeros(0)
    first_t = np.full(len(keys), np.inf)
    last_t = np.full(len(keys), -np.inf)
    if len(pairs):
        np.minimum.at(first_t, k_fix, kt[pairs[:, 0]])
        np.maximum.at(last_t, k_fix, kt[pairs[:, 0]])
    if len(row):
        t_iv = kt[np.clip(iv_fix_arr, 0, n_kept - 1)]
        np.minimum.at(first_t, k_iv, t_iv)
        np.maximum.at(last_t, k_iv, t_iv)
    patrolled = (fixes >= rules.min_fixes) & (share >= rules.min_share)
    assert rows_n == 0 or out_row.max(initial=0) < rows_n
    return Matched(kept, length, out_row, keys % span + day0, fixes, share, first_t, last_t, patrolled)
