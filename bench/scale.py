"""Scale: one region's full people run on DuckDB and on Spark local[2], side by side.

    .venv/bin/python bench/scale.py                      # 15,000 and 30,000 people
    .venv/bin/python bench/scale.py --people 1500000     # the 10x region of issue 23
    .venv/bin/python bench/scale.py --engines duckdb     # DuckDB and the graph build only

Needs the spark extra (`pip install -e '.[spark]'`) and Java 17. The model is trained once on
DuckDB; both engines then do a full run with it, on copies of one store. Prints one table,
a row per size and engine — records, the pairs scored, seconds (addresses, people, and the
people run's scoring and clustering steps), peak memory of this process and every process it started
(Spark's JVM and its Python workers, sampled every 0.2 s from /proc) and the pairwise
agreement of the engine's persons with DuckDB's — and replaces this benchmark's section of
RESULTS.md. Each row ends with the machine's load average, since a shared machine's speed
varies by several times. The figures feed the scale model in docs/architecture.md.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import results
import sqlalchemy as sa

from mast.core.db import open_store
from mast.core.settings import BUILTIN_FEEDS, Settings
from mast.demo.generate import generate
from mast.graph.build import refresh
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
    """The seconds at which a full run's people had been scored and clustered, and how many
    pairs the blocking rules offered and Splink scored (its log)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.at: dict[str, float] = {}
        self.pairs = 0

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        for step in ("scored", "clustered"):
            if f" {step} at " in message:
                self.at[step] = float(message.rsplit(" at ", 1)[1].split()[0])
        if " pairs scored at " in message:  # "people: N pairs scored at S s"
            self.pairs = int(message.split(": ", 1)[1].split()[0])


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


def _region(people: int, seed: int, work: Path) -> Settings:
    """A generated region ingested and resolved once (training the model) on DuckDB, then
    copied so each engine's full run starts from the same store."""
    generate(people, seed, work / "extracts", date(2026, 10, 31))
    files = sorted(p for p in (work / "extracts").iterdir() if p.is_file())
    settings = Settings(home=work / "duckdb", feeds=BUILTIN_FEEDS, trust_test_nhs_numbers=True)
    ingest_paths(settings, files, load_feeds(BUILTIN_FEEDS))
    engine = open_store(settings)
    resolve(engine, now=_NOW)  # trains the model both engines then use
    engine.dispose()
    shutil.copytree(work / "duckdb", work / "spark")
    return settings


_NOW = datetime(2026, 11, 1)


def _one_size(size: int, seed: int, master: str, engines: list[str], work: Path) -> None:
    """Print the table's rows for one size as each is measured: DuckDB, the graph build,
    then Spark, so neither of the first two is charged with an idle Spark JVM (which lives
    as long as this process). A run that fails is a row saying so, not a lost table."""
    steps = Steps()
    people_log = logging.getLogger("mast.resolver.people")
    people_log.addHandler(steps)
    people_log.setLevel(logging.INFO)
    try:
        settings = _region(size, seed, work)
        links: dict[str, dict[str, str]] = {}
        for name in ("duckdb", "graph", *(e for e in engines if e != "duckdb")):
            if name == "graph":
                # Built the same whatever the engine: the projection and the Ladybug write.
                home = settings.model_copy(update={"home": work / "duckdb"})
                with PeakMemory() as memory:
                    graph = refresh(open_store(home), home, full=True)
                nodes = sum(graph.counts.values())
                _row(
                    f"| {size:,} | graph build, full ({nodes:,} nodes and relationships) "
                    f"| | | | {graph.seconds:.1f} | | | {memory.peak / 2**20:,.0f} | "
                )
                continue
            engine = open_store(settings.model_copy(update={"home": work / name}))
            steps.at.clear()
            started = time.perf_counter()
            try:
                with PeakMemory() as memory:
                    run = resolve(engine, now=_NOW, full=True, linkage=name, spark_master=master)
            except Exception as e:  # the table says which engine failed, and how
                _row(
                    f"| {size:,} | {name} | | | | failed after "
                    f"{time.perf_counter() - started:.0f} s: {type(e).__name__} | | "
                    f"| {memory.peak / 2**20:,.0f} | "
                )
                continue
            links[name] = _links(engine)
            engine.dispose()
            p = run.people
            scored, clustered = steps.at.get("scored", 0.0), steps.at.get("clustered", 0.0)
            agreement, differing = _agreement(links["duckdb"], links[name])
            _row(
                f"| {size:,} | {name} | {p.records:,} | {steps.pairs:,} "
                f"| {run.addresses.seconds:.1f} | {p.seconds:.1f} | {scored:.1f} "
                f"| {clustered - scored:.1f} | {memory.peak / 2**20:,.0f} "
                f"| {agreement:.6f} ({differing:,} differ) "
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _row(cells: str) -> None:
    """A row to the parent, ending with the machine's load while it ran."""
    print(f"{cells}| {os.getloadavg()[0]:.1f} |", flush=True)


def _run_size(size: int, args: argparse.Namespace, say: Callable[[str], None]) -> None:
    """One size in a fresh process (so one size's Spark JVM is not counted in the next),
    its rows passed on as they come; killed, with its JVM, after --timeout seconds."""
    command = [sys.executable, __file__, "--one", str(size), "--seed", str(args.seed)]
    command += ["--master", args.master, "--engines", *args.engines]
    work = Path(tempfile.mkdtemp(prefix="mast-scale-"))  # removed here: a killed child cannot
    command += ["--work", str(work)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, start_new_session=True)
    timer = threading.Timer(args.timeout, os.killpg, (child.pid, signal.SIGKILL))
    timer.start()
    seen = []
    assert child.stdout is not None
    for line in child.stdout:
        if line.startswith("| "):
            say(line.rstrip())
            seen.append(line.split("|")[2].split()[0])
    returncode = child.wait()
    timer.cancel()
    shutil.rmtree(work, ignore_errors=True)
    if returncode:
        expected = ["duckdb", "graph", *(e for e in args.engines if e != "duckdb")]
        for name in expected[len(seen) :]:
            say(
                f"| {size:,} | {name} | | | | did not finish (exit {returncode}; "
                f"--timeout {args.timeout:.0f} s) | | | | | {os.getloadavg()[0]:.1f} |"
            )
            break


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--people", type=int, nargs="+", default=[15_000, 30_000])
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument(
        "--engines", nargs="+", choices=["duckdb", "spark"], default=["duckdb", "spark"]
    )
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per size")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a size, in its own process
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)  # and its scratch folder
    args = parser.parse_args()
    if args.one:
        _one_size(args.one, args.seed, args.master, args.engines, args.work)
        return
    lines: list[str] = []

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    say(f"Seed {args.seed}; Spark master {args.master}; {os.cpu_count()} cores\n")
    say(
        "| people | engine | records | pairs scored | addresses s | people s (graph: build s) "
        "| read and scored s | clustered s | peak MiB (process tree) "
        "| pairs agreeing with DuckDB | load (1 min) |"
    )
    say("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in args.people:
        _run_size(size, args, say)
    command = " ".join(["bench/scale.py", *sys.argv[1:]])
    note = f"`{command}` ({datetime.now():%Y-%m-%d %H:%M})."
    section = "scale" if "spark" in args.engines else "scale, DuckDB only"
    results.replace_section(results.RESULTS, section, note, ["\n".join(lines)])


if __name__ == "__main__":
    main()
