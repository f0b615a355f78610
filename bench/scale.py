"""Scale: one region's full people run on DuckDB and on Spark local[2], side by side.

    .venv/bin/python bench/scale.py                     # 15,000 people (a tenth of the demo)
    .venv/bin/python bench/scale.py --people 1500000    # the 10x region of issue 23

Needs the spark extra (`pip install -e '.[spark]'`) and Java 17. The model is trained once on
DuckDB; both engines then do a full run with it, on copies of one store. Prints a table —
engine, records, people seconds, peak memory of this process and every process it started
(Spark's JVM and its Python workers, sampled every 0.2 s from /proc) — and the pairwise
agreement of the two runs' persons, and replaces this benchmark's section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import threading
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

import results
import sqlalchemy as sa

from mast.core.db import open_store
from mast.core.settings import BUILTIN_FEEDS, Settings
from mast.demo.generate import generate
from mast.loaders.batch import ingest_paths
from mast.loaders.feeds import load_feeds
from mast.resolver.service import resolve
from mast.schema.tables import record_persons

_PAGE = os.sysconf("SC_PAGE_SIZE")


def _tree_rss(root: int) -> int:
    """Resident bytes of `root` and all its descendants, from /proc."""
    children: dict[int, list[int]] = defaultdict(list)
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            statm = (entry / "statm").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children[parent].append(int(entry.name))
        rss[int(entry.name)] = int(statm.split()[1]) * _PAGE
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, ()))
    return total


class Steps(logging.Handler):
    """The seconds at which a full run's people had been scored and clustered (its log)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.at: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        for step in ("scored", "clustered"):
            if f" {step} at " in message:
                self.at[step] = float(message.rsplit(" at ", 1)[1].split()[0])


class PeakMemory:
    """The largest resident size of this process tree while the block ran."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()

    def __enter__(self) -> PeakMemory:
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, _tree_rss(os.getpid()))

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _tree_rss(os.getpid()))


def _links(engine: sa.Engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(record_persons.c.record_id, record_persons.c.person_id))
        return {str(r): str(p) for r, p in rows}


def _agreement(x: dict[str, str], y: dict[str, str]) -> tuple[float, int]:
    """Pairwise agreement of two clusterings of the same records, and the pairs that differ."""
    pairs: dict[tuple[str, str], int] = defaultdict(int)
    for rid, label in x.items():
        pairs[(label, y[rid])] += 1
    both = sum(n * (n - 1) // 2 for n in pairs.values())

    def within(labels: dict[str, str]) -> int:
        sizes: dict[str, int] = defaultdict(int)
        for label in labels.values():
            sizes[label] += 1
        return sum(n * (n - 1) // 2 for n in sizes.values())

    differing = within(x) + within(y) - 2 * both
    n = len(x)
    return 1 - differing / max(1, n * (n - 1) // 2), differing


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--people", type=int, default=15_000)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--master", default="local[2]")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mast-scale-"))
    lines: list[str] = []

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    try:
        generate(args.people, args.seed, work / "extracts", date(2026, 10, 31))
        files = sorted(p for p in (work / "extracts").iterdir() if p.is_file())
        settings = Settings(home=work / "duckdb", feeds=BUILTIN_FEEDS, trust_test_nhs_numbers=True)
        ingest_paths(settings, files, load_feeds(BUILTIN_FEEDS))
        now = datetime(2026, 11, 1)
        engine = open_store(settings)
        resolve(engine, now=now)  # trains the model both engines then use
        engine.dispose()
        shutil.copytree(work / "duckdb", work / "spark")
        say(f"{args.people:,} people, seed {args.seed}; Spark master {args.master}\n")
        say(
            "| engine | records | people s | read and scored s | clustered s "
            "| peak MiB (process tree) |"
        )
        say("|---|---:|---:|---:|---:|---:|")
        steps = Steps()
        people_log = logging.getLogger("mast.resolver.people")
        people_log.addHandler(steps)
        people_log.setLevel(logging.INFO)
        links = {}
        for name in ("duckdb", "spark"):
            engine = open_store(settings.model_copy(update={"home": work / name}))
            with PeakMemory() as memory:
                run = resolve(engine, now=now, full=True, linkage=name, spark_master=args.master)
            links[name] = _links(engine)
            engine.dispose()
            p = run.people
            scored, clustered = steps.at.get("scored", 0.0), steps.at.get("clustered", 0.0)
            say(
                f"| {name} | {p.records:,} | {p.seconds:.1f} | {scored:.1f} "
                f"| {clustered - scored:.1f} | {memory.peak / 2**20:,.0f} |"
            )
        agreement, differing = _agreement(links["duckdb"], links["spark"])
        say(f"\nPairwise agreement of the persons: {agreement:.6f} ({differing:,} pairs differ)")
        command = " ".join(["bench/scale.py", *sys.argv[1:]])
        note = f"`{command}` ({datetime.now():%Y-%m-%d %H:%M})."
        results.replace_section(results.RESULTS, "scale", note, ["\n".join(lines)])
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
