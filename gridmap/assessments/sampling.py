"""The stratified random draw, pure numpy: each type's quota allocated across 街道 in proportion to their candidates
(largest remainder, Hamilton's method), then within each (type, 街道) stratum the candidates with the smallest
random keys.

The keys come from one PCG64 stream seeded by the draw's seed, one key per candidate in a fixed order (type, 街道,
source table, id): the same seed over the same candidates picks the same points, on any machine (PCG64's stream of
doubles is part of numpy's stability promise for bit generators; ``Generator`` methods such as ``choice`` are not).

>>> largest_remainder(5, np.array([6, 3, 1]))
array([3, 2, 0])
>>> largest_remainder(0, np.array([4, 4])), largest_remainder(3, np.array([0, 5]))
(array([0, 0]), array([0, 3]))
"""

from __future__ import annotations

import numpy as np

METHOD = "pcg64-keys-v1"
"""Stored with every draw: how its points were picked from its seed (a later method gets a new name)."""


def largest_remainder(n: int, sizes: np.ndarray) -> np.ndarray:
    """``n`` seats allocated in proportion to ``sizes`` (Hamilton): everyone gets the floor of their share, the seats
    left go to the largest remainders (ties: the larger stratum, then the earlier one). Never more than a size when
    ``n <= sizes.sum()``."""
    sizes = np.asarray(sizes, dtype=np.int64)
    total = int(sizes.sum())
    if n <= 0 or total == 0:
        return np.zeros(len(sizes), dtype=np.int64)
    exact = sizes * n  # shares × total, in integers: no rounding drift
    seats = exact // total
    left = n - int(seats.sum())
    if left:
        remainder = exact - seats * total
        order = np.lexsort((np.arange(len(sizes)), -sizes, -remainder))
        seats[order[:left]] += 1
    return seats


def strata_of(types: np.ndarray, streets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Strata of candidates already sorted by (type, street): each stratum's first index, size, and each
    candidate's stratum number."""
    n = len(types)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    new = np.ones(n, dtype=bool)
    new[1:] = (types[1:] != types[:-1]) | (streets[1:] != streets[:-1])
    starts = np.flatnonzero(new)
    sizes = np.diff(np.append(starts, n))
    stratum = np.cumsum(new) - 1
    return starts, sizes, stratum


def allocate(types: np.ndarray, streets: np.ndarray, quotas: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Per stratum (of candidates sorted by type then street): how many to draw. Returns (per-stratum seats,
    each candidate's stratum)."""
    starts, sizes, stratum = strata_of(types, streets)
    seats = np.zeros(len(starts), dtype=np.int64)
    stratum_type = types[starts] if len(starts) else types[:0]
    for code, n in quotas.items():
        mine = np.flatnonzero(stratum_type == code)
        seats[mine] = largest_remainder(n, sizes[mine])
    return seats, stratum


def stratified_draw(types: np.ndarray, streets: np.ndarray, quotas: dict[str, int], seed: int) -> np.ndarray:
    """Indices of the drawn candidates (in candidate order). ``types``/``streets`` must be sorted by (type, street);
    each quota must not exceed its type's candidates (the caller says so in words first).

    >>> t = np.array(["a"] * 6 + ["b"] * 4); s = np.array([1, 1, 1, 1, 2, 2, 1, 1, 2, 2])
    >>> picked = stratified_draw(t, s, {"a": 3, "b": 2}, seed=7)
    >>> sorted(t[picked].tolist()), np.bincount(s[picked][t[picked] == "a"]).tolist()
    (['a', 'a', 'a', 'b', 'b'], [0, 2, 1])
    >>> bool((stratified_draw(t, s, {"a": 3, "b": 2}, seed=7) == picked).all())
    True
    """
    seats, stratum = allocate(types, streets, quotas)
    keys = np.random.Generator(np.random.PCG64(seed)).random(len(types))
    order = np.lexsort((keys, stratum))  # by stratum, then by key
    ranked = np.empty(len(types), dtype=np.int64)
    starts = np.searchsorted(stratum[order], np.arange(len(seats)))
    ranked[order] = np.arange(len(types)) - np.repeat(starts, np.diff(np.append(starts, len(types))))
    return np.flatnonzero(ranked < seats[stratum])


def split_total(n: int, quotas: dict[str, int], available: dict[str, int]) -> dict[str, int]:
    """The quota of every type: those given, and the points left over (``n`` − given) shared among the other types
    in proportion to their candidates (largest remainder). The caller checks that the given ones fit.

    >>> split_total(10, {"market": 2}, {"market": 5, "main_road": 30, "compound": 10})
    {'market': 2, 'main_road': 6, 'compound': 2}
    """
    out = dict(quotas)
    others = [t for t in available if t not in quotas and available[t] > 0]
    left = n - sum(quotas.values())
    if left > 0 and others:
        seats = largest_remainder(left, np.array([available[t] for t in others]))
        out.update({t: int(k) for t, k in zip(others, seats, strict=True) if k})
    return out
