"""Who may use the embedded graph at once: many readers, one writer (a second is refused at
once), and nobody while a rebuilt file is swapped in."""

from __future__ import annotations

import threading
import time

import pytest

from mast.core.errors import GraphBusy
from mast.graph.store import Access


def test_a_second_writer_is_refused_at_once() -> None:
    access = Access()
    with access.writing():
        started = time.perf_counter()
        with pytest.raises(GraphBusy, match="already running"), access.writing():
            pass
        assert time.perf_counter() - started < 1
    with access.writing():  # free again afterwards
        pass


def test_readers_run_beside_a_writer_but_not_beside_a_swap() -> None:
    access = Access()
    events: list[str] = []
    reading = threading.Event()
    release = threading.Event()

    def reader() -> None:
        with access.reading():
            events.append("read started")
            reading.set()
            release.wait(5)
            events.append("read ended")

    with access.writing():
        thread = threading.Thread(target=reader)
        thread.start()
        assert reading.wait(5)  # a write does not hold readers back
        swap = threading.Thread(target=lambda: _swap(access, events))
        swap.start()
        time.sleep(0.2)
        assert "swapped" not in events  # the swap waits for the reader
        release.set()
        swap.join(5)
        thread.join(5)
    assert events == ["read started", "read ended", "swapped"]


def _swap(access: Access, events: list[str]) -> None:
    with access.exclusive():
        events.append("swapped")
