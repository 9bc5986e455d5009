"""Pure track geometry: which fixes are believed, and how much of a line a set of intervals covers."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from gridmap.geo.tracks import keep_fixes, union_lengths


def test_a_jump_and_an_inaccurate_fix_are_dropped_and_the_walk_goes_on_from_the_last_kept() -> None:
    x = np.array([0.0, 14.0, 900.0, 28.0, 42.0, 56.0])  # fix 2 jumps 900 m in 10 s
    y = np.zeros(6)
    t = np.arange(6) * 10.0
    acc = np.array([5.0, 5.0, 5.0, 5.0, 80.0, np.nan])  # fix 4 says it is 80 m off; fix 5 says nothing
    assert keep_fixes(x, y, t, acc, 50.0, 12.0).tolist() == [True, True, False, True, False, True]


def test_a_fix_at_the_same_second_as_the_last_kept_is_dropped() -> None:
    keep = keep_fixes(np.array([0.0, 1.0, 2.0]), np.zeros(3), np.array([0.0, 0.0, 1.0]), np.full(3, np.nan), 50, 12)
    assert keep.tolist() == [True, False, True]


def test_overlapping_intervals_count_once_per_group() -> None:
    group = np.array([0, 0, 0, 1, 1])
    start = np.array([0.0, 5.0, 30.0, 10.0, 0.0])
    end = np.array([10.0, 12.0, 20.0, 0.0, 10.0])  # reversed intervals are read as their span
    assert union_lengths(group, start, end, 3).tolist() == [22.0, 10.0, 0.0]


@given(st.lists(st.tuples(st.integers(0, 3), st.floats(0, 100), st.floats(0, 100)), max_size=40))
def test_union_lengths_agree_with_a_fine_ruler(items: list[tuple[int, float, float]]) -> None:
    group = np.array([g for g, _, _ in items], dtype=np.int64)
    start = np.array([a for _, a, _ in items])
    end = np.array([b for _, _, b in items])
    got = union_lengths(group, start, end, 4)
    ruler = np.linspace(0, 100, 20001)[:-1] + 0.0025  # 5 mm marks
    for g in range(4):
        sel = group == g
        covered = np.zeros(len(ruler), dtype=bool)
        for a, b in zip(np.minimum(start[sel], end[sel]), np.maximum(start[sel], end[sel]), strict=True):
            covered |= (ruler >= a) & (ruler <= b)
        assert abs(got[g] - covered.sum() * 0.005) <= 0.01 * (sel.sum() + 1)
