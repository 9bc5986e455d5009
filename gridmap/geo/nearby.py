"""The nearest *earlier* neighbour within a radius and a time window, for many points at once (pure: numpy).

Why: a report is linked as a duplicate of the nearest active case of its category within r metres and d days
(``cases.find_duplicate``, one SQL query per report). A bulk import must give what posting its rows one by one
would give, so each row looks only at the rows before it. Doing that with a query per row, or with every pair of
rows, does not scale; here points are hashed into cells at least r wide, so the work is the number of pairs
in neighbouring cells, and points at exactly the same place (a phone's default position, say) count once as a
*site*, so a thousand reports on one spot do not become a million pairs.

Distances are on the WGS-84 ellipsoid (what SpatiaLite's ``ST_Distance(a, b, 1)`` and PostGIS's geography
measure), by the mid-latitude formula with the ellipsoid's radii of curvature: within 4 nm of
``pyproj.Geod.inv`` at 50 m and 0.06 mm at 4 km, and fifty times faster. Points are taken as lon/lat degrees
away from the ±180° meridian.
"""

from __future__ import annotations

import numpy as np

_A = 6_378_137.0
_F = 1 / 298.257223563
_E2 = _F * (2 - _F)
_M_PER_DEG_MIN = np.radians(_A * (1 - _E2))  # 110,574 m: the shortest degree, of latitude at the equator
_HALF_ROWS = 2  # rows half the reach high: a neighbour is at most two rows above or below
_PAIRS_PER_CHUNK = 4_000_000  # candidate pairs held at once (bounded memory, whatever the density)


def radii_of_curvature(phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ellipsoid's prime vertical and meridional radii (metres) at latitudes ``phi`` (radians)."""
    w2 = 1 - _E2 * np.sin(phi) ** 2
    n = _A / np.sqrt(w2)  # prime vertical radius
    return n, n * (1 - _E2) / w2  # and the meridional radius


def ellipsoid_distance(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    """Metres between points a few kilometres apart at most (relative error about (d / 6,400 km)²)."""
    phi = np.radians((np.asarray(lat1) + lat2) / 2)
    n, m = radii_of_curvature(phi)
    dy = np.radians(np.asarray(lat2) - lat1) * m
    dx = np.radians(np.asarray(lon2) - lon1) * n * np.cos(phi)
    return np.hypot(dx, dy)


def nearest_earlier(
    lon: np.ndarray,
    lat: np.ndarray,
    group: np.ndarray,
    t: np.ndarray,
    order: np.ndarray,
    queries: np.ndarray,
    radius_m: float,
    window: int,
) -> tuple[np.ndarray, np.ndarray]:
    """For each point ``queries[k]`` (indices into the arrays): the point j of the same ``group`` with
    ``order[j] < order[q]``, ``|t[j] - t[q]| <= window`` and at most ``radius_m`` away that is nearest, the
    lowest ``order`` winning a tie — as index (-1: none) and distance in metres (NaN: none).

    ``order`` must be unique (case ids); ``t`` and ``window`` integers in one unit (µs); ``group`` integers.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    group = np.asarray(group, dtype=np.int64)
    t = np.asarray(t, dtype=np.int64)
    order = np.asarray(order, dtype=np.int64)
    queries = np.asarray(queries, dtype=np.int64)
    if not len(queries) or radius_m <= 0 or len(lon) < 2:
        return np.full(len(queries), -1, dtype=np.int64), np.full(len(queries), np.nan)

    # -- a plane where a degree is never longer than on the ellipsoid, cut into rows half the reach high; a
    # point's neighbours lie in an x-band of the rows up to two above or below its own: one slice of each row
    # when a row's sites are sorted by x (searched by an integer key: row, then x in steps of 1/64 of the reach)
    scale = max(float(np.cos(np.radians(np.abs(lat).max()))), 0.01)
    x, y = lon * scale, lat
    reach = radius_m / _M_PER_DEG_MIN * 1.001 + 1e-12
    x0, y0, g0 = x.min(), y.min(), group.min()
    ngroups = int(group.max() - g0) + 1
    step, height = reach / 64, reach / _HALF_ROWS
    while True:  # a tiny radius over a wide area: coarser steps (still correct, only more pairs) to fit int64
        pad = int(np.ceil(reach / step)) + 2
        nxq = int((x.max() - x0) // step) + 2 * pad + 1
        nrows = (int((y.max() - y0) // height) + 2 * _HALF_ROWS + 1) * ngroups
        if float(nxq) * nrows < 2**62:
            break
        step, height = step * 2, height * 2
    row = (group - g0) * (nrows // ngroups) + ((y - y0) // height).astype(np.int64) + _HALF_ROWS
    xq = ((x - x0) // step).astype(np.int64) + pad

    # -- sites: the distinct (group, lon, lat), numbered by row then x; their members sorted by time (a sort of
    # one integer key; only the points that share a key, few, are sorted by lon, lat and time)
    key = row * nxq + xq
    by_site = np.argsort(key, kind="stable")
    k_s = key[by_site]
    same = k_s[1:] == k_s[:-1]
    tied = np.flatnonzero(np.r_[same, False] | np.r_[False, same])
    if len(tied):
        sub = by_site[tied]
        by_site[tied] = sub[np.lexsort((t[sub], lat[sub], lon[sub], key[sub]))]
    lon_s, lat_s = lon[by_site], lat[by_site]
    new = np.ones(len(by_site), dtype=bool)
    new[1:] = ~same | (lon_s[1:] != lon_s[:-1]) | (lat_s[1:] != lat_s[:-1])
    first = np.flatnonzero(new)  # where each site's members start in by_site
    size = np.diff(np.append(first, len(by_site)))
    site_of = np.empty(len(lon), dtype=np.int64)
    site_of[by_site] = np.cumsum(new) - 1
    site_key = k_s[first]
    site_lon, site_lat = lon_s[first], lat_s[first]
    site_x, site_y = site_lon * scale, site_lat

    is_query = np.zeros(len(lon), dtype=bool)
    is_query[queries] = True
    q_members = by_site[is_query[by_site]]  # the query members of each site, grouped by site
    q_count = np.bincount(site_of[q_members], minlength=len(first))
    q_start = np.cumsum(q_count) - q_count
    member = by_site[first]  # a site's first member (its only one when size is 1)
    one, s_order, s_t, s_query = size == 1, order[member], t[member], is_query[member]
    crowded = _CrowdedSites(by_site, site_of, size, t, order)

    # -- every unordered pair of sites once: site a with the sites after it in its row's band and in the bands
    # of the rows above (sites are numbered row by row)
    width = int(np.ceil(reach / step)) + 1
    own = np.arange(len(first))
    bands = [(own, np.searchsorted(site_key, site_key + width, side="right"))]
    for dy in range(1, _HALF_ROWS + 1):
        bands.append(
            (
                np.searchsorted(site_key, site_key + dy * nxq - width, side="left"),
                np.searchsorted(site_key, site_key + dy * nxq + width, side="right"),
            )
        )
    slice_lo = np.stack([lo for lo, _ in bands], axis=1)
    slice_n = np.stack([hi - lo for lo, hi in bands], axis=1)
    per_site = slice_n.sum(axis=1)
    ends = np.cumsum(per_site)
    reach2 = reach * reach
    best_pt = np.full(len(lon), -1, dtype=np.int64)  # per point, for the queries: the answer so far
    best_pt_d = np.full(len(lon), np.inf)
    done = 0
    while done < len(first):
        end = max(done + 1, int(np.searchsorted(ends, ends[done] - per_site[done] + _PAIRS_PER_CHUNK, "right")))
        site = np.repeat(np.arange(done, end), _HALF_ROWS + 1)  # the slices are (site, band), site-major
        a, b = _ranges(slice_lo[done:end].ravel(), slice_n[done:end].ravel(), site)
        near = (site_x[b] - site_x[a]) ** 2 + (site_y[b] - site_y[a]) ** 2 <= reach2
        a, b = a[near], b[near]
        q, j, sa, sb = _directed(a, b, one, member, s_order, s_t, s_query, window)
        # pairs that involve a site of several points: each query member of one looks into the other
        multi = ~(one[a] & one[b])
        both = [(a[multi], b[multi]), (b[multi & (a != b)], a[multi & (a != b)])]
        for src, dst in both:
            k, at = _ranges(q_start[src], q_count[src], np.arange(len(src)))
            qm, dst = q_members[at], dst[k]
            jm = np.where(one[dst], member[dst], -1)  # into a one-point site: that point, if in the window
            jm[one[dst] & (np.abs(t[np.maximum(jm, 0)] - t[qm]) > window)] = -1
            several = ~one[dst]
            jm[several] = crowded.earliest(dst[several], t[qm[several]], window)
            ok = (jm >= 0) & (order[np.maximum(jm, 0)] < order[qm])
            q, j, sa, sb = np.r_[q, qm[ok]], np.r_[j, jm[ok]], np.r_[sa, src[k][ok]], np.r_[sb, dst[ok]]
        d = np.where(sa == sb, 0.0, ellipsoid_distance(site_lon[sa], site_lat[sa], site_lon[sb], site_lat[sb]))
        ok = d <= radius_m
        q, j, d = q[ok], j[ok], d[ok]
        # this chunk's answer per query (nearest, then lowest order), merged into the answer so far
        chunk_d = np.full(len(lon), np.inf)
        np.minimum.at(chunk_d, q, d)
        keep = d == chunk_d[q]
        q, j, d = q[keep], j[keep], d[keep]
        chunk_o = np.full(len(lon), np.iinfo(np.int64).max)
        np.minimum.at(chunk_o, q, order[j])
        keep = order[j] == chunk_o[q]
        q, j, d = q[keep], j[keep], d[keep]
        held = best_pt[q]
        held_o = np.where(held >= 0, order[np.maximum(held, 0)], np.iinfo(np.int64).max)
        better = (d < best_pt_d[q]) | ((d == best_pt_d[q]) & (order[j] < held_o))
        best_pt[q[better]], best_pt_d[q[better]] = j[better], d[better]
        done = end
    found = best_pt[queries]
    return found, np.where(found >= 0, best_pt_d[queries], np.nan)


def _ranges(start: np.ndarray, count: np.ndarray, label: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The runs ``start[i] … start[i] + count[i] - 1`` end to end, each value with the ``label[i]`` of its run."""
    return np.repeat(label, count), np.arange(int(count.sum())) + np.repeat(start - (np.cumsum(count) - count), count)


def _directed(
    a: np.ndarray,
    b: np.ndarray,
    one: np.ndarray,
    member: np.ndarray,
    s_order: np.ndarray,
    s_t: np.ndarray,
    s_query: np.ndarray,
    window: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of two one-point sites (``one``; per site its point, order, time, and whether it is a query): the
    later point (by order) takes the earlier one, if it is a query and their times are within the window.
    Returns (query, earlier point, query's site, other site)."""
    keep = one[a] & one[b] & (a != b)
    a, b = a[keep], b[keep]
    keep = np.abs(s_t[a] - s_t[b]) <= window
    a, b = a[keep], b[keep]
    a_later = s_order[a] > s_order[b]
    sq, sj = np.where(a_later, a, b), np.where(a_later, b, a)
    keep = s_query[sq]
    sq, sj = sq[keep], sj[keep]
    return member[sq], member[sj], sq, sj


def _min_table(values: np.ndarray, longest: int) -> list[np.ndarray]:
    """Sparse table for range minimum: level k holds the minimum of each run of 2**k values."""
    table = [values]
    k = 1
    while (1 << k) <= longest:
        prev, half = table[-1], 1 << (k - 1)
        table.append(np.minimum(prev[:-half], prev[half:]))
        k += 1
    return table


class _CrowdedSites:
    """The points of the sites that hold several, by site then time, with a range-minimum table of their order:
    the earliest (lowest order) point of such a site within a time window is one look-up."""

    def __init__(self, by_site: np.ndarray, site_of: np.ndarray, size: np.ndarray, t: np.ndarray, order: np.ndarray):
        self.point = by_site[size[site_of[by_site]] > 1]  # stays by site, then time
        self.times = np.unique(t[self.point])
        self.span = len(self.times) + 1
        self.key = site_of[self.point] * self.span + np.searchsorted(self.times, t[self.point])  # ascending
        values = order[self.point]
        self.table = _min_table(values, int(size.max()))
        self.by_value = np.argsort(values, kind="stable")
        self.sorted_values = values[self.by_value]

    def earliest(self, site: np.ndarray, t: np.ndarray, window: int) -> np.ndarray:
        """Per (site, time): the site's lowest-order point within ``window`` of the time, -1 if none."""
        out = np.full(len(site), -1, dtype=np.int64)
        lo = np.searchsorted(self.key, site * self.span + np.searchsorted(self.times, t - window, side="left"))
        hi = np.searchsorted(self.key, site * self.span + np.searchsorted(self.times, t + window, side="right"))
        rows = np.flatnonzero(hi > lo)
        lo, hi = lo[rows], hi[rows]
        level = np.log2(hi - lo).astype(np.int64)  # floor: 2**level <= hi - lo
        low = np.empty(len(lo), dtype=self.table[0].dtype)
        for k in np.unique(level):
            s = level == k
            low[s] = np.minimum(self.table[k][lo[s]], self.table[k][hi[s] - (1 << k)])
        out[rows] = self.point[self.by_value[np.searchsorted(self.sorted_values, low)]]  # orders are unique
        return out
