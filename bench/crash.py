"""Crash and replay at scale: `mast run-daily` killed with SIGKILL at every step boundary and
at random moments while it loads ~400k rows from three partners' drop folders.

    .venv/bin/python bench/crash.py                    # 150,000 people, ~390k rows, 20 kills
    .venv/bin/python bench/crash.py --people 20000 --kills 5

After each replay the home is compared with an uninterrupted run's, table by table
(rows and SHA-256, mast/daily/fingerprint.py), with the graph's counts, no file loaded
twice, and the audit chain verified. Prints the kills survived and the tables compared.
The same protocol runs small in `make test` (tests/integration/daily/test_crash.py).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.support

from mast.core.db import open_store
from mast.daily import ledger
from mast.demo.generate import generate
from tests.support.crash_kit import (
    Kills,
    boundaries_of,
    check_against,
    compare,
    deliver_to_folders,
    home_maker,
    kill_at_boundaries,
    kill_at_random,
    run_to_end,
    settings_for,
    steps_of,
    where_killed,
)

AS_OF = datetime(2026, 11, 1, 2, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=150_000)
    parser.add_argument("--kills", type=int, default=20, help="random kills")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--work", type=Path, help="folder to work in (a temporary one if unset)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="mast-crash-"))
    started = time.perf_counter()
    generate(args.people, args.seed, work / "world", date(2026, 10, 31))
    drop = deliver_to_folders(work / "world", work / "drop")
    fresh = home_maker(work / "homes", drop)

    clean = fresh()
    took = run_to_end(clean, AS_OF)
    run = ledger.recent(open_store(settings_for(clean)), 1)[0]
    pulled = run.counts("pull")
    fingerprint = compare(clean, clean)[0]
    print(
        f"clean run: {took:.1f} s, {pulled['files']} files, {pulled['rows_in']:,} rows in, "
        f"{pulled['stored']:,} stored; steps: "
        + ", ".join(
            f"{s.step}{':' + s.partner if s.partner else ''} {s.seconds:.1f}s" for s in run.steps
        )
    )
    check = check_against(clean)
    checks = 0

    landed: list[str] = []

    def counted(home: Path) -> None:
        nonlocal checks
        check(home)
        checks += 1
        landed.extend(where_killed(home, steps_of(clean)))

    kills = Kills()
    boundaries = boundaries_of(clean)
    crashed = fresh()
    kill_at_boundaries(crashed, AS_OF, boundaries, kills)
    run_to_end(crashed, AS_OF)
    counted(crashed)
    startup = took - (run.seconds or 0)
    episodes = kill_at_random(
        fresh, counted, AS_OF, args.kills, (startup, took), random.Random(args.seed), kills
    )
    rows = sum(n for n, _ in fingerprint.values())
    print()
    print("| measure | value |")
    print("|---|---:|")
    print(f"| people generated | {args.people:,} |")
    print(f"| rows delivered (3 partners, {pulled['files']} files) | {pulled['rows_in']:,} |")
    print(f"| clean run (wall, incl. start-up {startup:.1f} s) | {took:.1f} s |")
    print(f"| kills at step boundaries survived | {len(kills.at_boundaries)} |")
    print(f"| kills at random moments survived | {len(kills.at_random)} |")
    print(f"| runs that finished before their kill | {kills.finished_first} |")
    print(f"| replays compared with the clean run ({episodes} random episodes) | {checks} |")
    print(f"| tables compared (rows and SHA-256) each time | {len(fingerprint)} ({rows:,} rows) |")
    print("| differences found | 0 |")
    print(f"| total time | {time.perf_counter() - started:,.0f} s |")
    print(f"\nrandom kill moments (s after start): {sorted(kills.at_random)}")
    random_landed = Counter(landed[len(boundaries) :])
    print("random kills by the step they landed in:", dict(sorted(random_landed.items())))


if __name__ == "__main__":
    main()
