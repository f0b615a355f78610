"""Running `mast run-daily` in a subprocess that can be killed with SIGKILL, and comparing
homes: what the crash test and bench/crash.py share."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from mast.daily import ledger
from mast.daily.fingerprint import differences, state_fingerprint
from mast.daily.run import KILL_AT
from mast.db import open_store
from mast.settings import Settings

AUDIT_KEY = "crash-test-audit-key"


def settings_for(home: Path) -> Settings:
    return Settings(home=home, workers=1, audit_key=AUDIT_KEY)  # type: ignore[arg-type]


def start(home: Path, as_of: datetime, kill_at: str | None = None) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MAST_HOME": str(home),
        "MAST_WORKERS": "1",
        "MAST_AUDIT_KEY": AUDIT_KEY,
    }
    env.pop(KILL_AT, None)
    env.pop("MAST_PARTNERS", None)
    if kill_at:
        env[KILL_AT] = kill_at
    return subprocess.Popen(
        [sys.executable, "-m", "mast", "run-daily", "--as-of", as_of.isoformat()],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def run_to_end(home: Path, as_of: datetime) -> float:
    """One uninterrupted run; its wall time."""
    started = time.perf_counter()
    proc = start(home, as_of)
    _, err = proc.communicate(timeout=3600)
    assert proc.returncode == 0, err.decode(errors="replace")[-2000:]
    return time.perf_counter() - started


@dataclass
class Kills:
    at_boundaries: list[str] = field(default_factory=list)
    at_random: list[float] = field(default_factory=list)
    """seconds after its run started, of each random kill"""
    finished_first: int = 0
    """runs that finished before their random kill came"""


def kill_at_boundaries(home: Path, as_of: datetime, boundaries: list[str], kills: Kills) -> None:
    """One run per boundary, each killed there by itself; each run repeats the ones before."""
    for boundary in boundaries:
        proc = start(home, as_of, kill_at=boundary)
        _, err = proc.communicate(timeout=3600)
        assert proc.returncode == -signal.SIGKILL, (boundary, err.decode(errors="replace")[-2000:])
        kills.at_boundaries.append(boundary)


def kill_at_random(
    fresh: Callable[[], Path],
    check: Callable[[Path], None],
    as_of: datetime,
    n: int,
    window: tuple[float, float],
    rng: random.Random,
    kills: Kills,
) -> int:
    """`n` SIGKILLs at random moments in `window` (seconds after a run starts), in episodes:
    a fresh home is run and killed, again and again, until a run gets to the end; then
    `check` compares it with the clean home, and a new episode starts. Returns episodes."""
    episodes = 0
    while len(kills.at_random) < n:
        home, episodes = fresh(), episodes + 1
        while True:
            delay = rng.uniform(*window)
            proc = start(home, as_of)
            try:
                proc.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                proc.communicate()
                kills.at_random.append(round(delay, 2))
                if len(kills.at_random) < n:
                    continue
                run_to_end(home, as_of)
            else:
                kills.finished_first += 1
                _, err = proc.communicate()
                assert proc.returncode == 0, err.decode(errors="replace")[-2000:]
            check(home)
            break
    return episodes


def compare(clean: Path, crashed: Path) -> tuple[dict[str, tuple[int, str]], list[str]]:
    """The clean home's fingerprint, and the tables where the crashed home differs."""
    a = state_fingerprint(open_store(settings_for(clean)))
    b = state_fingerprint(open_store(settings_for(crashed)))
    return a, differences(a, b)


def boundaries_of(home: Path) -> list[str]:
    """Every step boundary of the last run in `home`, in order."""
    run = ledger.recent(open_store(settings_for(home)), 1)[0]
    labels = [f"{s.step}:{s.partner}" if s.partner else s.step for s in run.steps]
    return [f"{edge}:{label}" for label in labels for edge in ("before", "after")]
