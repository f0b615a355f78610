"""Ingest benchmark: generate the default demo region, then ingest it, and print rows/second.

    make bench                       # default: 150,000 people (~400k rows), all cores
    .venv/bin/python bench/ingest.py --people 20000 --workers 1 2

Each ingest runs into a fresh MAST_HOME. Nothing here is asserted: timings on a shared
2-core machine are noisy, so the figures are reported, and the tests check correctness.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

from mast.demo.generate import generate
from mast.loaders.batch import ingest_paths
from mast.loaders.feeds import load_feeds
from mast.settings import BUILTIN_FEEDS, Settings


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--people", type=int, default=150_000)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--workers", type=int, nargs="+", default=[os.cpu_count() or 1])
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="mast-bench-"))
    try:
        started = time.perf_counter()
        result = generate(args.people, args.seed, work / "extracts", date(2026, 10, 31))
        gen_s = time.perf_counter() - started
        rows = result.total_rows
        paths = sorted(result.files.values())
        feeds = load_feeds(BUILTIN_FEEDS)
        lines = [
            f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}",
            "",
            "| step | workers | rows | seconds | rows/second |",
            "|---|---:|---:|---:|---:|",
            f"| generate {args.people:,} people | 1 | {rows:,} | {gen_s:.1f} | {rows / gen_s:,.0f} |",
        ]
        for workers in args.workers:
            home = work / f"home-{workers}"
            settings = Settings(home=home, feeds=BUILTIN_FEEDS, workers=workers)
            started = time.perf_counter()
            results = ingest_paths(settings, paths, feeds)
            seconds = time.perf_counter() - started
            loaded = sum(r.rows_in for r in results)
            assert all(r.balanced for r in results), "row accounting failed"
            lines.append(
                f"| ingest {len(paths)} files | {workers} | {loaded:,} | {seconds:.1f} | {loaded / seconds:,.0f} |"
            )
        print("\n".join(lines))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
