"""The daily run at demo size: a first day that loads the region, then an ordinary next day.

    .venv/bin/python bench/daily.py                    # 150,000 people (~395k rows)
    .venv/bin/python bench/daily.py --people 20000

Day one takes the demo extracts (all but `--new` rows) from a drop folder; day two, a day
later, takes the held-back rows as each partner's next file, purges the day that left the
window, resolves incrementally and updates the graph; a quarter of an hour later a run finds
no new files. Each is one `mast run-daily` in a subprocess; the tables are its steps from the
run ledger, with the process's peak memory. The next day also runs on a copy of the first
day's home with `MAST_GRAPH_DELTA=whole` (the whole store projected and diffed), to compare
its graph step with the touched delta's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from resolve_speed import hold_back

from mast.core.db import open_store
from mast.core.settings import Settings
from mast.daily import ledger
from mast.demo.generate import generate


def run_daily(home: Path, as_of: str, **extra: str) -> tuple[float, float]:
    """Wall seconds and peak MiB (the process's own, from /usr/bin/time) of one run."""
    env = {**os.environ, "MAST_HOME": str(home), "MAST_TRUST_TEST_NHS_NUMBERS": "true", **extra}
    peak = home / "peak.txt"
    started = time.perf_counter()
    command = [sys.executable, "-m", "mast", "run-daily", "--as-of", as_of]
    subprocess.run(
        ["/usr/bin/time", "-f", "%M", "-o", str(peak), *command],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    took = time.perf_counter() - started
    return took, int(peak.read_text().split()[-1]) / 1024


def show(run: ledger.Run, wall: float, peak: float) -> None:
    print(f"\n{run.as_of:%Y-%m-%d}: {run.status}, {wall:.1f} s wall, peak {peak:,.0f} MiB")
    print("| step | seconds | what it did |")
    print("|---|---:|---|")
    for s in run.steps:
        if s.step == "figures" and s.status == "ok":
            print(f"| figures | {s.seconds:.1f} | {len(s.counts)} headline figures counted |")
            continue
        did = ", ".join(
            f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}"
            for k, v in s.counts.items()
            if not isinstance(v, list | dict) and not k[0].isupper()
        )
        label = f"{s.step} {s.partner}" if s.partner else s.step
        print(f"| {label} | {s.seconds:.1f} | {did} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=150_000)
    parser.add_argument("--new", type=int, default=2_000, help="rows in the second day")
    parser.add_argument("--seed", type=int, default=2021)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mast-daily-"))
    try:
        generate(args.people, args.seed, work / "extracts", date(2026, 10, 31))
        today, tomorrow = hold_back(work / "extracts", work / "files", args.new)
        drop, home = work / "drop", work / "home"
        drop.mkdir()
        home.mkdir()
        (home / "partners.yaml").write_text(f"partners:\n  - name: all\n    folder: {drop}\n")
        for path in today:
            shutil.copy(path, drop)
        first = run_daily(home, "2026-11-01T02:00")
        # The same next day on a copy, its graph step a whole diff.
        whole_drop, whole_home = work / "drop-whole", work / "home-whole"
        shutil.copytree(drop, whole_drop)
        shutil.copytree(home, whole_home)
        (whole_home / "partners.yaml").write_text(
            f"partners:\n  - name: all\n    folder: {whole_drop}\n"
        )
        for path in tomorrow:
            shutil.copy(path, drop)
            shutil.copy(path, whole_drop)
        second = run_daily(home, "2026-11-02T02:00")
        run_daily(whole_home, "2026-11-02T02:00", MAST_GRAPH_DELTA="whole")
        (whole,) = ledger.recent(open_store(Settings(home=whole_home)), 1)
        # A quarter of an hour on, nothing new (MAST_SCHEDULE=every 15 minutes).
        idle = run_daily(home, "2026-11-02T02:15")
        three, two, one = ledger.recent(open_store(Settings(home=home)), 3)
        show(one, *first)
        show(two, *second)
        show(three, *idle)
        print(f"no new files: {three.seconds:.2f} s in the run (the rest is start-up)")
        print("\nnext day's graph step, on the same home:")
        for run, name in ((two, "touched (default)"), (whole, "whole diff")):
            step = next(s for s in run.steps if s.step == "graph")
            print(
                f"  {name}: {step.seconds:.1f} s, mode {step.counts.get('mode')}, "
                f"{step.counts.get('changed', 0):,} rows changed"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
