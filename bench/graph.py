"""Graph build time and memory, and the latency of the named queries on the embedded graph.

    .venv/bin/python bench/graph.py                      # generate, load, resolve 150,000 people
    .venv/bin/python bench/graph.py --home .mast-demo    # a home `make demo` already resolved
    .venv/bin/python bench/graph.py --people 1500000     # 10x

Prints two tables: the build (full, then a delta with nothing new), and per query the
median and p95 over `--samples` random people or addresses (reports run `--repeat` times).
Targets (issue 4): chronology, household and network p95 <= 50 ms; every report <= 2 s.
The reports that read tallies are timed a second time in their form that walks every
event (`mast/cypher/scan/`), for the difference the tallies make.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

from mast.core.db import open_store
from mast.core.settings import BUILTIN_FEEDS, Settings
from mast.demo.generate import generate
from mast.graph import open_graph
from mast.graph.build import refresh
from mast.graph.queries import CYPHER_DIR, SCAN_DIR, load_queries, run_named
from mast.loaders.batch import ingest_paths
from mast.loaders.feeds import load_feeds
from mast.resolver.service import resolve

PER_ENTITY = {
    "person_chronology": "person_id",
    "household_on": "person_id",
    "household_history": "person_id",
    "network": "person_id",
    "open_cases": "person_id",
    "address_chronology": "address_id",
}
NOW = datetime(2026, 11, 1)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prepare(args: argparse.Namespace, work: Path) -> Settings:
    if args.home:
        return Settings(home=Path(args.home), feeds=BUILTIN_FEEDS)
    generate(args.people, args.seed, work / "extracts", date(2026, 10, 31))
    settings = Settings(home=work / "home", feeds=BUILTIN_FEEDS, trust_test_nhs_numbers=True)
    files = sorted(p for p in (work / "extracts").iterdir() if p.is_file())
    ingest_paths(settings, files, load_feeds(BUILTIN_FEEDS))
    resolve(open_store(settings), now=NOW)
    return settings


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--home", help="an existing, resolved MAST_HOME (skips generation)")
    parser.add_argument("--people", type=int, default=150_000)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each report")
    parser.add_argument(
        "--latency-only", action="store_true", help="query the graph as built, no builds"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mast-graph-"))
    try:
        settings = prepare(args, work)
        engine = open_store(settings)
        print("| build | nodes + relationships | written | seconds | peak MiB |")
        print("|---|---:|---:|---:|---:|")
        builds = () if args.latency_only else (("full", True), ("delta, nothing new", False))
        for label, full in builds:
            run = refresh(engine, settings, full=full)
            print(
                f"| {label} | {sum(run.counts.values()):,} | {run.changed:,} | {run.seconds:.1f} | {peak_mib():,.0f} |"
            )
        graph = open_graph(settings)
        try:
            latency(graph, args)
        finally:
            graph.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def latency(graph: Any, args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    people = [
        r[0] for r in graph.read("MATCH (p:`Person`) RETURN p.person_id", {}, max_rows=10**8).rows
    ]
    places = [
        r[0] for r in graph.read("MATCH (a:`Address`) RETURN a.address_id", {}, max_rows=10**8).rows
    ]
    pool = {"person_id": people, "address_id": places}
    print(f"\n{len(people):,} people, {len(places):,} addresses in the graph\n")
    print("| query | runs | median ms | p95 ms | rows (median) | target |")
    print("|---|---:|---:|---:|---:|---|")
    # The reports that read tallies are also timed as they were, walking every event.
    every = [(n, CYPHER_DIR) for n in load_queries()] + [
        (n, SCAN_DIR) for n in load_queries(SCAN_DIR)
    ]
    for name, folder in every:
        key = PER_ENTITY.get(name)
        runs = args.samples if key else args.repeat
        if name == "shortest_connection":
            key, runs = "pair", args.samples // 4
        times, sizes = [], []
        for _ in range(runs):
            if key == "pair":
                given: dict[str, Any] = {
                    "from_person": rng.choice(people),
                    "to_person": rng.choice(people),
                }
            elif key:
                given = {key: rng.choice(pool[key])}
            else:
                given = {}
            started = time.perf_counter()
            result = run_named(graph, name, given, now=NOW, max_rows=10**8, folder=folder)
            times.append((time.perf_counter() - started) * 1000)
            sizes.append(len(result.rows))
        target = "p95 <= 50 ms" if key in {"person_id", "address_id"} else "<= 2,000 ms"
        if name in {"open_cases", "shortest_connection"}:
            target = "(none set)"
        label = name if folder == CYPHER_DIR else f"{name} (walking every event)"
        print(
            f"| {label} | {runs} | {statistics.median(times):,.1f} | {percentile(times, 0.95):,.1f} "
            f"| {statistics.median(sizes):,.0f} | {target} |"
        )


if __name__ == "__main__":
    main()
