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
import resource
import shutil
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from mast.core.settings import BUILTIN_FEEDS, Settings
from mast.demo.generate import generate
from mast.loaders.batch import ingest_paths
from mast.loaders.feeds import load_feeds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--people", type=int, default=150_000)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--workers", type=int, nargs="+", default=[os.cpu_count() or 1])
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="ingest runs per worker count; best and median are shown (shared machines are noisy)",
    )
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
            "| step | workers | rows | best s | median s | rows/second (best) | CPU s |",
            "|---|---:|---:|---:|---:|---:|---:|",
            f"| generate {args.people:,} people | 1 | {rows:,} | {gen_s:.1f} | | {rows / gen_s:,.0f} | |",
        ]
        for workers in args.workers:
            runs, cpu = [], []
            for attempt in range(args.repeat):
                home = work / f"home-{workers}-{attempt}"
                settings = Settings(
                    home=home, feeds=BUILTIN_FEEDS, workers=workers, trust_test_nhs_numbers=True
                )
                before = _cpu_seconds()
                started = time.perf_counter()
                results = ingest_paths(settings, paths, feeds)
                runs.append(time.perf_counter() - started)
                cpu.append(_cpu_seconds() - before)
                loaded = sum(r.rows_in for r in results)
                assert loaded == rows and all(r.balanced for r in results), "row accounting failed"
                shutil.rmtree(home, ignore_errors=True)
            best = min(runs)
            lines.append(
                f"| ingest {len(paths)} files | {workers} | {rows:,} | {best:.1f} | "
                f"{statistics.median(runs):.1f} | {rows / best:,.0f} | {statistics.median(cpu):.1f} |"
            )
        print("\n".join(lines))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the ingest workers)."""
    me, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    main()
