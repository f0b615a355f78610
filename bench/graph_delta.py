"""The graph step alone, touched delta against whole diff, on copies of one home.

    PYTHONPATH=$PWD .venv/bin/python bench/graph_delta.py HOME [--runs 2]

HOME is a MAST_HOME whose state store is ahead of its graph, e.g. a next day stopped
before its graph step (`MAST_TEST_KILL_AT=after:resolve mast run-daily --as-of …`). Each
run copies it and times `build_graph` in this process: wall seconds and CPU seconds
(`time.process_time()`, every thread), the steadier figure on a shared machine.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import pandas  # noqa: F401 - a daily run has it loaded (the resolver's); keep it out of the timing

from mast.core.db import open_store
from mast.core.settings import Settings
from mast.graph import open_graph
from mast.graph.build import build_graph
from mast.loaders.feeds import load_feeds


def timed(home: Path, whole: bool) -> tuple[str, int, float, float]:
    """Mode, rows changed, wall and CPU seconds of one build on a copy of `home`."""
    with tempfile.TemporaryDirectory(prefix="mast-graph-delta-") as scratch:
        copy = Path(scratch) / "home"
        shutil.copytree(home, copy)
        settings = Settings(home=copy)
        engine = open_store(settings)
        graph = open_graph(settings)
        try:
            wall, cpu = time.perf_counter(), time.process_time()
            built = build_graph(
                engine, graph, load_feeds(settings.feeds), settings.graph_snapshot, whole=whole
            )
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        finally:
            graph.close()
            engine.dispose()
    return built.mode, built.changed, wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("home", type=Path)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    print("| build | mode | rows changed | wall | CPU |")
    print("|---|---|---:|---:|---:|")
    for _ in range(args.runs):
        for name, whole in (("touched", False), ("whole", True)):
            mode, changed, wall, cpu = timed(args.home, whole)
            print(f"| {name} | {mode} | {changed:,} | {wall:.1f} s | {cpu:.2f} s |", flush=True)


if __name__ == "__main__":
    main()
