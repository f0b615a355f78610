"""How fast this machine is at the moment. Shared machines swing by half from minute to
minute, so a bench prints a fixed Python loop's time beside its figures; compare runs by it."""

from __future__ import annotations

import time


def loop_seconds() -> float:
    """Seconds for a 20-million-step empty Python loop."""
    started = time.perf_counter()
    for _ in range(20_000_000):
        pass
    return time.perf_counter() - started
