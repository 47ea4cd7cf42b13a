"""A pause of the garbage collector ends with the work it covers, however that work ends, and
overlapping pauses end with the last of them."""

from __future__ import annotations

import gc

import pytest

from plans.bulk import collector_paused


def test_it_collects_again_after_work_that_failed() -> None:
    assert gc.isenabled()
    with pytest.raises(ValueError), collector_paused():
        assert not gc.isenabled()
        raise ValueError("boom")
    assert gc.isenabled()


def test_overlapping_pauses_end_with_the_last() -> None:
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_it_leaves_a_collector_switched_off_before_it_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
