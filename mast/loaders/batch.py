"""Ingesting many files at once: one process per file, results in the order given.

Each worker maps its whole file before it takes SQLite's single write lock, so the
CPU-bound mapping of several files runs on every core while writes stay serial.
"""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path

from mast.core.db import open_store
from mast.core.settings import Settings
from mast.loaders.feeds import feed_for
from mast.loaders.ingest import FileResult, Progress, ingest_file
from mast.schema.feed import FeedDefinition

ProgressFactory = Callable[[str, int], Progress]


def _worker(
    settings: Settings,
    path: Path,
    feeds: dict[str, FeedDefinition],
    feed_name: str | None,
    events: queue.Queue[tuple[str, int]],
) -> FileResult:
    engine = open_store(settings)
    try:
        key = str(path)
        return ingest_file(
            engine,
            settings,
            path,
            feeds,
            feed_name=feed_name,
            progress=lambda done: events.put((key, done)),
        )
    finally:
        engine.dispose()


def ingest_paths(
    engine_settings: Settings,
    paths: list[Path],
    feeds: dict[str, FeedDefinition],
    *,
    feed_name: str | None = None,
    progress_factory: ProgressFactory | None = None,
) -> list[FileResult]:
    """Ingest `paths`, several at a time when there are several and more than one worker."""
    for path in paths:  # fail fast on a file no definition fits, before any work starts
        if feed_name is None:
            feed_for(path.name, feeds)
    bars = (
        {str(p): progress_factory(p.name, p.stat().st_size) for p in paths}
        if progress_factory
        else {}
    )
    workers = min(engine_settings.workers, len(paths))
    if workers <= 1:
        engine = open_store(engine_settings)
        return [
            ingest_file(
                engine, engine_settings, p, feeds, feed_name=feed_name, progress=bars.get(str(p))
            )
            for p in paths
        ]
    open_store(engine_settings).dispose()  # create tables once, before workers race to
    # Largest first, so the longest file does not start last.
    order = sorted(paths, key=lambda p: -p.stat().st_size)
    # Spawned, not forked: a fork would share the caller's heap (copy-on-write pages touched
    # by the collector) and any open database handles.
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(workers, mp_context=context) as pool:
        events: queue.Queue[tuple[str, int]] = manager.Queue()
        futures: dict[Future[FileResult], Path] = {
            pool.submit(_worker, engine_settings, p, feeds, feed_name, events): p for p in order
        }
        pending = set(futures)
        while pending:
            _done, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
            while True:
                try:
                    key, done = events.get_nowait()
                except queue.Empty:
                    break
                if key in bars:
                    bars[key](done)
        by_path = {str(path): future.result() for future, path in futures.items()}
    return [by_path[str(p)] for p in paths]
