"""Crash and replay (RELIABILITY P1–P4): `mast run-daily` killed with SIGKILL at every step
boundary and at 20 random moments during a multi-file load; after the next run, the store
holds exactly what an uninterrupted run leaves — rows, clusters and per-table checksums —
with no file loaded twice, the graph's counts equal and the audit chain intact.

Each kill is a real SIGKILL of a separate process; nothing is mocked. bench/crash.py runs
the same at ~400k rows."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest

from mast.core.db import open_store
from mast.daily import ledger
from mast.demo.generate import generate
from tests.support.crash_kit import (
    GROUPS,
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

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.usefixtures("state_url")]
"""Every test here runs on SQLite and on PostgreSQL (`state_url`, tests/conftest.py)."""
AS_OF = datetime(2026, 11, 1, 2, 0)


@pytest.fixture(scope="module")
def drop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("crash")
    generate(250, 17, base / "world", date(2026, 10, 31))
    return deliver_to_folders(base / "world", base / "drop")


def test_killed_runs_replay_to_what_a_clean_run_leaves(
    drop: Path, tmp_path: Path, new_store: Callable[[], str | None]
) -> None:
    fresh = home_maker(tmp_path, drop, new_store)
    clean = fresh()
    took = run_to_end(clean, AS_OF)
    engine = open_store(settings_for(clean))
    run = ledger.recent(engine, 1)[0]
    fingerprint = compare(clean, clean)[0]
    assert fingerprint["records"][0] > 500 and fingerprint["person_profiles"][0] > 100
    assert run.counts("pull")["loaded"] == len(list(drop.rglob("*.*")))
    checked = check_against(clean)
    landed: list[str] = []

    def check(home: Path) -> None:
        checked(home)
        landed.extend(where_killed(home, steps_of(clean)))

    kills = Kills()

    # At every step boundary, one after another (each run repeats what the last left undone).
    boundaries = boundaries_of(clean)
    assert len(boundaries) == 2 * (1 + len(GROUPS) + 4)
    crashed = fresh()
    kill_at_boundaries(crashed, AS_OF, boundaries, kills)
    run_to_end(crashed, AS_OF)
    check(crashed)

    # At 20 random moments, between the end of start-up and the end of a clean run, in
    # episodes of at most five kills, each checked against the clean run.
    startup = took - (run.seconds or 0)
    episodes = kill_at_random(
        fresh, check, AS_OF, 20, (startup, took), random.Random(20261126), kills
    )
    print(f"clean run {took:.1f} s (start-up {startup:.1f} s); {episodes} episodes; {kills}")
    print("random kills landed in:", sorted(Counter(landed[len(boundaries) :]).items()))
    assert len(kills.at_random) == 20 and episodes >= 4
    assert kills.at_boundaries == boundaries
