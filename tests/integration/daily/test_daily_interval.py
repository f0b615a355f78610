"""The daily run every few minutes (MAST_SCHEDULE=every 15 minutes): a run with nothing new
resolves, projects and counts nothing, and the purge runs once a day, on the first run from
MAST_DAILY_AT. Runs on SQLite and PostgreSQL (`state_url`); each run is given its moment,
never a sleep."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from pydantic import SecretStr, ValidationError

from mast.core.db import open_store
from mast.core.settings import BUILTIN_FEEDS, Settings
from mast.daily import ledger
from mast.daily.run import DailyJob
from mast.daily.schedule import daily_trigger
from mast.demo.generate import generate
from mast.schema.tables import audit_entries, purges, runs
from tests.support.demo_data import halves

LATER = ("resolve", "graph", "figures")


def _settings(home: Path, schedule: str = "every 15 minutes") -> Settings:
    return Settings(
        home=home,
        feeds=BUILTIN_FEEDS,
        workers=1,
        daily_at="02:00",
        timezone="Europe/London",
        schedule=schedule,  # type: ignore[arg-type] - parsed from its text, as from the environment
        audit_key=SecretStr("test-audit-key, 32 bytes or more"),
    )


def test_the_schedule_is_a_daily_time_or_an_interval_and_nothing_else(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    every = _settings(tmp_path, "Every 15 minutes")
    assert every.schedule and every.schedule.every_minutes == 15
    trigger = daily_trigger(every)
    assert isinstance(trigger, IntervalTrigger) and trigger.interval == timedelta(minutes=15)
    assert _settings(tmp_path, "every 2 hours").schedule.every_minutes == 120
    assert isinstance(daily_trigger(_settings(tmp_path, "true")), CronTrigger)
    assert not _settings(tmp_path, "false").schedule
    monkeypatch.setenv("MAST_SCHEDULE", "every 5 minutes")
    assert Settings(home=tmp_path).schedule.every_minutes == 5
    for wrong in ("15m", "every 0 minutes", "every 25 hours", "hourly"):
        monkeypatch.setenv("MAST_SCHEDULE", wrong)
        with pytest.raises(ValidationError, match="'every 15 minutes' or 'every 2 hours'"):
            Settings(home=tmp_path)


def _statuses(run: ledger.Run) -> dict[str, str]:
    return {s.step: s.status for s in run.steps if s.step in ("purge", *LATER)}


@pytest.mark.integration
@pytest.mark.usefixtures("state_url")
def test_runs_every_few_minutes_do_nothing_without_files_and_purge_once_a_day(
    tmp_path: Path,
) -> None:
    generate(200, 9, tmp_path / "extracts", date(2026, 10, 31))
    day_one, day_two = halves(tmp_path / "extracts", tmp_path / "days")
    drop, home = tmp_path / "drop", tmp_path / "home"
    drop.mkdir()
    home.mkdir()
    (home / "partners.yaml").write_text(f"partners:\n  - name: all\n    folder: {drop}\n")
    settings = _settings(home)
    engine = open_store(settings)
    job = DailyJob(settings, engine)

    def run(at: datetime, files: tuple[Path, ...] = ()) -> ledger.Run:
        for path in files:
            shutil.copy(path, drop)
        done = job.run(trigger="schedule", now=at)
        assert done.status == "ok", done.steps
        return done

    everything = dict.fromkeys(("purge", *LATER), "ok")
    quiet = dict.fromkeys(("purge", *LATER), "skipped")
    first = run(datetime(2026, 11, 1, 2, 5), tuple(day_one))
    assert _statuses(first) == everything
    # A quarter of an hour on, nothing has arrived: no purge (done today), no resolve.
    idle = run(datetime(2026, 11, 1, 2, 20))
    assert _statuses(idle) == quiet
    assert idle.counts("resolve") == {"reason": "nothing new"}
    assert idle.counts("purge") == {"reason": "purged today"}
    # Files arrive: resolved at once, but the purge waits for tomorrow.
    arrived = run(datetime(2026, 11, 1, 2, 35), tuple(day_two))
    assert _statuses(arrived) == {**everything, "purge": "skipped"}
    assert arrived.counts("resolve")["people_mode"] == "incremental"
    # Late at night and just before MAST_DAILY_AT: still today's purge.
    for at in (datetime(2026, 11, 1, 23, 50), datetime(2026, 11, 2, 1, 59)):
        assert _statuses(run(at)) == quiet
    # The first run from 02:00 purges, and does the rest with it.
    assert _statuses(run(datetime(2026, 11, 2, 2, 5))) == everything
    last = run(datetime(2026, 11, 2, 2, 20))
    assert _statuses(last) == quiet
    # A run that did not finish (killed) leaves the next one to finish its work.
    with engine.begin() as conn:
        conn.execute(runs.update().where(runs.c.run_id == last.run_id).values(status="failed"))
    assert _statuses(run(datetime(2026, 11, 2, 2, 35))) == {**everything, "purge": "skipped"}
    with engine.connect() as conn:
        purged = conn.execute(sa.select(purges.c.ran_at).order_by(purges.c.ran_at)).scalars()
        assert list(purged) == [datetime(2026, 11, 1, 2, 5), datetime(2026, 11, 2, 2, 5)]
        audited = conn.execute(
            sa.select(sa.func.count()).where(audit_entries.c.operation == "purge")
        ).scalar_one()
    assert audited == 2
