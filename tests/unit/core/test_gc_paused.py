"""The collector pause used by resolution and file loading gives the collector back as it found it."""

from __future__ import annotations

import gc

import pytest

from mast.core.gc_paused import gc_paused


def test_the_collector_is_off_inside_and_back_on_after_even_on_error() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError), gc_paused():
        1 / 0  # noqa: B018 - the error is the point
    assert gc.isenabled()


def test_a_pause_inside_a_pause_or_with_the_collector_off_leaves_it_off() -> None:
    with gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # someone else turned it off; not ours to turn on
    finally:
        gc.enable()
