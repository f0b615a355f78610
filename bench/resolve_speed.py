"""Resolution speed: a full run of the demo region, then an incremental day of new records.

    .venv/bin/python bench/resolve_speed.py                    # 150,000 people (~400k records)
    .venv/bin/python bench/resolve_speed.py --people 1500000   # 10x

Prints a table: step, records, seconds, peak memory of the process (ru_maxrss). The new
day is the last `--new` rows of each extract, held back from the first load.
"""

from __future__ import annotations

import argparse
import csv
import resource
import shutil
import statistics
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path

import results
from machine import loop_seconds

from mast.core.db import open_store
from mast.core.settings import BUILTIN_FEEDS, Settings
from mast.demo.generate import generate
from mast.loaders.batch import ingest_paths
from mast.loaders.feeds import feed_for, load_feeds
from mast.resolver.service import resolve


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def hold_back(extracts: Path, out: Path, new: int) -> tuple[list[Path], list[Path]]:
    """Split each extract: all but its share of `new` rows now, the rest as tomorrow's file."""
    feeds = load_feeds(BUILTIN_FEEDS)
    files = sorted(p for p in extracts.iterdir() if p.is_file())
    tables = {}
    for path in files:
        feed = feed_for(path.name, feeds)
        with path.open(encoding=feed.encoding, newline="") as fh:
            tables[path] = (feed, list(csv.reader(fh, delimiter=feed.delimiter)))
    total = sum(len(rows) - 1 for _, rows in tables.values())
    today, tomorrow = [], []
    out.mkdir()
    for path, (feed, rows) in tables.items():
        share = round(new * (len(rows) - 1) / total)
        cut = len(rows) - share
        later = path.name.replace("20261031", "20261101").replace("2026-10-31", "2026-11-01")
        for name, part, bucket in ((path.name, rows[1:cut], today), (later, rows[cut:], tomorrow)):
            with (out / name).open("w", encoding=feed.encoding, newline="") as fh:
                csv.writer(fh, delimiter=feed.delimiter).writerows([rows[0], *part])
            bucket.append(out / name)
    return today, tomorrow


def record(lines: list[str]) -> None:
    """Replace this benchmark's section of bench/RESULTS.md with this run's table."""
    command = " ".join(["bench/resolve_speed.py", *sys.argv[1:]])
    note = f"`{command}` ({datetime.now():%Y-%m-%d %H:%M})."
    results.replace_section(results.RESULTS, "resolve_speed", note, ["\n".join(lines)])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--people", type=int, default=150_000)
    parser.add_argument("--new", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="full runs with the kept model; best and median shown (shared machines are noisy)",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mast-speed-"))
    lines: list[str] = []

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    try:
        generate(args.people, args.seed, work / "extracts", date(2026, 10, 31))
        today, tomorrow = hold_back(work / "extracts", work / "files", args.new)
        settings = Settings(home=work / "home", feeds=BUILTIN_FEEDS, trust_test_nhs_numbers=True)
        feeds = load_feeds(BUILTIN_FEEDS)
        ingest_paths(settings, today, feeds)
        engine = open_store(settings)
        now = datetime(2026, 11, 1)
        loop = loop_seconds()
        say(f"{args.people:,} people, seed {args.seed}; 20M-step Python loop {loop:.2f} s\n")
        say("| step | records | addresses s | people s | total s | peak MiB |")
        say("|---|---:|---:|---:|---:|---:|")
        run = resolve(engine, now=now)
        a, p = run.addresses.seconds, run.people.seconds
        say(
            f"| full, training the model | {run.people.records:,} | {a:.1f} | {p:.1f} | {a + p:.1f} | {peak_mib():,.0f} |"
        )
        totals = []
        for attempt in range(args.repeat):
            run = resolve(engine, now=now, full=True)
            a, p = run.addresses.seconds, run.people.seconds
            totals.append(a + p)
            say(
                f"| full, model kept (run {attempt + 1}) | {run.people.records:,} | {a:.1f} | {p:.1f} | {a + p:.1f} | {peak_mib():,.0f} |"
            )
        say(
            f"| full, model kept: best / median | | | | {min(totals):.1f} / {statistics.median(totals):.1f} | |"
        )
        engine.dispose()
        shutil.copytree(work / "home", work / "base")
        increments = []
        for attempt in range(args.repeat):  # each from the same base, with the same new day
            shutil.rmtree(work / "home")
            shutil.copytree(work / "base", work / "home")
            engine = open_store(settings)
            ingest_paths(settings, tomorrow, feeds)
            run = resolve(engine, now=now)
            engine.dispose()
            a, p = run.addresses.seconds, run.people.seconds
            increments.append(a + p)
            say(
                f"| incremental, next day (run {attempt + 1}) | {run.people.records:,} | {a:.1f} | {p:.1f} | {a + p:.1f} | {peak_mib():,.0f} |"
            )
        say(
            f"| incremental: best / median | | | | {min(increments):.1f} / {statistics.median(increments):.1f} | |"
        )
        say(f"\n20M-step Python loop at the end: {loop_seconds():.2f} s")
        record(lines)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
