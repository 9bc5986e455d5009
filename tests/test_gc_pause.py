"""The garbage collector paused for bulk runs comes back on afterwards (also when the run fails) and is not
turned on by a run that found it off."""

from __future__ import annotations

import gc

import pytest

from gridmap.gc_pause import paused_gc


def test_the_collector_is_back_on_after_a_run_even_when_it_fails() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError), paused_gc():
        1 / 0  # noqa: B018
    assert gc.isenabled()


def test_a_run_that_found_it_off_leaves_it_off() -> None:
    gc.disable()
    try:
        with paused_gc(), paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
