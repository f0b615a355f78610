"""Pausing Python's cyclic garbage collector around batch work that makes millions of
objects and no cyclic garbage worth waiting for."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Run the block with the cyclic collector off.

    The collector runs a full pass each time the heap grows by a quarter, rescanning every
    live object: loading a file or resolving the demo region builds hundreds of thousands of
    tuples, profiles and clusters that are never cyclic garbage, so those passes were pure
    cost (measured: 10 s of a 63 s full resolution; JSON encoding of a file four times
    slower). Objects freed by reference counting still go at once; what a cycle holds waits
    for the collector's next pass after the block, so anything large held in a cycle (a
    DuckDB connection inside Splink) is closed explicitly instead."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
