"""Running `mast run-daily` in a subprocess that can be killed with SIGKILL, and comparing
homes: what the crash test and bench/crash.py share."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from mast.audit.chain import AuditLog
from mast.core.db import open_store
from mast.core.settings import Settings
from mast.daily import ledger
from mast.daily.fingerprint import differences, state_fingerprint
from mast.daily.run import KILL_AT
from mast.graph import open_graph
from mast.schema.tables import files, runs
from tests.support.demo_data import HOME_URLS

AUDIT_KEY = "crash-test-audit-key, 32 bytes or more"


def settings_for(home: Path) -> Settings:
    url = HOME_URLS.get(home)
    return Settings(home=home, workers=1, audit_key=AUDIT_KEY, database_url=url)  # type: ignore[arg-type]


def start(home: Path, as_of: datetime, kill_at: str | None = None) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MAST_HOME": str(home),
        "MAST_WORKERS": "1",
        "MAST_AUDIT_KEY": AUDIT_KEY,
    }
    env.pop("MAST_DATABASE_URL", None)
    if home in HOME_URLS:
        env["MAST_DATABASE_URL"] = HOME_URLS[home]
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
    per_episode: int = 5,
) -> int:
    """`n` SIGKILLs at random moments in `window` (seconds after a run starts), in episodes:
    a fresh home is run and killed, again and again, until a run gets to the end or the
    episode has had `per_episode` kills (then it is run to the end); `check` compares it
    with the clean home, and a new episode starts. Returns episodes.

    The cap is what makes several episodes certain: on a loaded machine a resumed run's
    longest step can outlast every random delay, and an uncapped episode would take all
    `n` kills with one check at the end."""
    episodes = 0
    while len(kills.at_random) < n:
        home, episodes, taken = fresh(), episodes + 1, 0
        while True:
            delay = rng.uniform(*window)
            proc = start(home, as_of)
            try:
                proc.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                proc.communicate()
                kills.at_random.append(round(delay, 2))
                taken += 1
                if len(kills.at_random) < n and taken < per_episode:
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


def steps_of(home: Path) -> list[str]:
    """The steps of the last run in `home`, in order (`pull:police`)."""
    run = ledger.recent(open_store(settings_for(home)), 1)[0]
    return [f"{s.step}:{s.partner}" if s.partner else s.step for s in run.steps]


def boundaries_of(home: Path) -> list[str]:
    """Every step boundary of the last run in `home`, in order."""
    return [f"{edge}:{label}" for label in steps_of(home) for edge in ("before", "after")]


GROUPS = {"police": ("SWP_*",), "health": ("SBUHB_*", "ASC_*"), "others": ("*",)}


def partners(drop: Path) -> str:
    """The partner configuration: three partners, each its own drop folder."""
    lines = ["partners:"]
    for name, patterns in GROUPS.items():
        lines += [
            f"  - name: {name}",
            f"    folder: {drop / name}",
            f"    patterns: {list(patterns)}",
        ]
    return "\n".join(lines) + "\n"


def home_maker(
    root: Path, drop: Path, new_store: Callable[[], str | None] = lambda: None
) -> Callable[[], Path]:
    """Fresh homes, each with a state store of its own: its SQLite file, or the database
    `new_store` makes."""
    made = iter(range(1_000))

    def fresh() -> Path:
        home = root / f"home-{next(made)}"
        home.mkdir(parents=True)
        url = new_store()
        if url:
            HOME_URLS[home] = url
        (home / "partners.yaml").write_text(partners(drop))
        return home

    return fresh


def graph_counts(home: Path) -> dict[str, int]:
    graph = open_graph(settings_for(home))
    try:
        return graph.health().counts
    finally:
        graph.close()


def check_against(clean: Path) -> Callable[[Path], None]:
    expected_graph = graph_counts(clean)

    def check(home: Path) -> None:
        fingerprint, differing = compare(clean, home)
        assert differing == [], {t: fingerprint[t] for t in differing}
        engine = open_store(settings_for(home))
        with engine.connect() as conn:
            loaded = conn.execute(
                sa.select(files.c.sha256).where(files.c.status == "loaded")
            ).scalars()
            digests = list(loaded)
            statuses = set(conn.execute(sa.select(runs.c.status)).scalars())
        assert len(digests) == len(set(digests))  # no file loaded twice
        assert statuses <= {"ok", "interrupted"}
        assert ledger.recent(engine, 1)[0].status == "ok"
        # Against the head sealed outside the store too: a kill between the commit and the
        # head file leaves the file behind, which is not tampering.
        assert AuditLog.open(engine, settings_for(home)).verify().ok
        assert graph_counts(home) == expected_graph

    return check


def deliver_to_folders(world: Path, drop: Path) -> Path:
    """The generated extracts, each in its partner's drop folder."""
    for path in sorted(p for p in world.iterdir() if p.is_file()):
        group = next(
            (g for g, pats in GROUPS.items() if g != "others" and any(path.match(p) for p in pats)),
            "others",
        )
        (drop / group).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, drop / group)
    return drop


def where_killed(home: Path, order: list[str]) -> list[str]:
    """For each interrupted run in `home`, the step it was in when killed: the one after
    the last it recorded, in the clean run's step `order`. (A run killed before it had
    recorded itself is not counted.)"""
    engine = open_store(settings_for(home))
    landed = []
    for run in ledger.recent(engine, 10_000, where=runs.c.status == "interrupted"):
        done = [f"{s.step}:{s.partner}" if s.partner else s.step for s in run.steps]
        landed.append(order[len(done)] if len(done) < len(order) else "finishing")
    engine.dispose()
    return landed
