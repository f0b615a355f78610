"""Resolution accuracy against the demo ground truth: pairwise precision, recall and F1.

    .venv/bin/python bench/accuracy.py                 # default demo size (150,000 people)
    .venv/bin/python bench/accuracy.py --people 30000

Addresses are measured now (target F1 >= 0.97). Person resolution, with its FEBRL 3/4 and
plain-Splink baselines, is added with the person resolver (issue 3, in progress).
"""

from __future__ import annotations

import argparse
import csv
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Hashable, Iterable
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa

from mast.db import open_store
from mast.demo.generate import generate
from mast.loaders.batch import ingest_paths
from mast.loaders.feeds import load_feeds
from mast.resolver.address_store import resolve_all_addresses
from mast.schema.tables import record_addresses, records
from mast.settings import BUILTIN_FEEDS, Settings


def pairwise(predicted: Iterable[Hashable], true: Iterable[Hashable]) -> tuple[float, float, float]:
    """Precision, recall, F1 over all pairs of records, from cluster labels in the same order."""
    pred, truth = list(predicted), list(true)

    def pairs(labels: Counter[Hashable]) -> int:
        return sum(n * (n - 1) // 2 for n in labels.values())

    both = pairs(Counter(zip(pred, truth, strict=True)))
    precision = both / max(1, pairs(Counter(pred)))
    recall = both / max(1, pairs(Counter(truth)))
    return precision, recall, 2 * precision * recall / max(1e-12, precision + recall)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--people", type=int, default=150_000)
    parser.add_argument("--seed", type=int, default=2021)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mast-accuracy-"))
    try:
        result = generate(args.people, args.seed, work / "extracts", date(2026, 10, 31))
        settings = Settings(home=work / "home", feeds=BUILTIN_FEEDS)
        ingest_paths(settings, sorted(result.files.values()), load_feeds(BUILTIN_FEEDS))
        engine = open_store(settings)
        started = time.perf_counter()
        run = resolve_all_addresses(engine, now=datetime(2026, 11, 1))
        seconds = time.perf_counter() - started
        with (work / "extracts" / "truth" / "records.csv").open(encoding="utf-8") as fh:
            truth = {
                f"{r['feed']}:{r['source_record_id']}": r["address_id"] for r in csv.DictReader(fh)
            }
        with engine.connect() as conn:
            linked = dict(
                conn.execute(
                    sa.select(record_addresses.c.record_id, record_addresses.c.address_id)
                ).all()
            )
            ids = list(conn.execute(sa.select(records.c.record_id)).scalars())
        precision, recall, f1 = pairwise((linked.get(i, i) for i in ids), (truth[i] for i in ids))
        print(f"demo: {args.people:,} people, {len(ids):,} records, seed {args.seed}\n")
        print("| entity | method | records | clusters | precision | recall | F1 | seconds |")
        print("|---|---|---:|---:|---:|---:|---:|---:|")
        print(
            f"| address | MAST (UPRN + keys + typo repair) | {len(ids):,} | {run.addresses:,} | "
            f"{precision:.4f} | {recall:.4f} | {f1:.4f} | {seconds:.1f} |"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
