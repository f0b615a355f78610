"""The daily run through its scheduler: a real SFTP server on 127.0.0.1 with several
partners' files and a drop folder, two simulated days on an injected clock (APScheduler's
clock and the run's, never a sleep), the real SQLite store, Splink and the embedded graph."""

from __future__ import annotations

import csv
import re
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import apscheduler.executors.base
import apscheduler.schedulers.base
import httpx
import pytest
import sqlalchemy as sa
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from pydantic import SecretStr

from mast.accounts.accounts import Accounts
from mast.audit.chain import AuditLog
from mast.core.db import open_store
from mast.core.errors import ConfigError
from mast.core.keys import key
from mast.core.settings import BUILTIN_FEEDS, Settings
from mast.daily import ledger
from mast.daily.run import DailyJob
from mast.daily.schedule import DailySchedule
from mast.demo.generate import generate
from mast.loaders.partners import load_partners
from mast.schema.tables import audit_entries, files, pulls, records, runs
from mast.web.app import create_app
from tests.integration.cli.test_purge_and_cli import mast
from tests.support.api_server import PASSWORD, PURPOSE, form_token, running
from tests.support.demo_data import halves
from tests.support.harness import SQLITE_ONLY
from tests.support.sftp_server import SftpServer, serving

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("state_url")]
"""Every test here runs on SQLite and on PostgreSQL (`state_url`, tests/conftest.py)."""
LONDON = ZoneInfo("Europe/London")
END = date(2026, 10, 31)
SFTP_FEEDS = {"police": "SWP_", "health": "SBUHB_", "asc": "ASC_"}


class Clock:
    """The one clock the scheduler and the run read; a test moves it."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def utc(self) -> datetime:
        return self.at.astimezone(UTC).replace(tzinfo=None)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock(datetime(2026, 11, 1, 1, 0, tzinfo=LONDON))

    class Injected(datetime):
        @classmethod
        def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
            return clock.at.astimezone(tz) if tz else clock.at.replace(tzinfo=None)  # type: ignore[arg-type]

    for module in (apscheduler.schedulers.base, apscheduler.executors.base):
        monkeypatch.setattr(module, "datetime", Injected)
    return clock


@dataclass
class World:
    day_one: list[Path]
    day_two: list[Path]
    sftp: SftpServer
    drop: Path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("daily")
    generate(600, 5, base / "extracts", END)
    one, two = halves(base / "extracts", base / "days")
    with serving(base / "sftp") as server:
        yield World(one, two, server, base / "drop")


def deliver(world: World, day: list[Path]) -> None:
    """Each partner drops its file: three over SFTP (each its own folder), the rest in a folder."""
    for path in day:
        partner = next(
            (p for p, prefix in SFTP_FEEDS.items() if path.name.startswith(prefix)), None
        )
        folder = world.sftp.root / partner if partner else world.drop
        folder.mkdir(parents=True, exist_ok=True)
        # As partners are asked to: upload under a temporary name, then rename.
        shutil.copy(path, folder / f"{path.name}.part")
        (folder / f"{path.name}.part").rename(folder / path.name)


def partners_yaml(world: World, home: Path) -> Path:
    sftp = "\n".join(
        f"""  - name: {name}
    patterns: ["{prefix}*"]
    sftp:
      host: 127.0.0.1
      port: {world.sftp.port}
      user: {name}
      key_file: {world.sftp.client_key}
      {"host_key: " + repr(world.sftp.host_key) if name == "asc" else "known_hosts: " + str(world.sftp.known_hosts)}
      remote_dir: /{name}"""
        for name, prefix in SFTP_FEEDS.items()
    )
    path = home / "partners.yaml"
    home.mkdir(parents=True, exist_ok=True)
    path.write_text(f"partners:\n{sftp}\n  - name: others\n    folder: ${{DROP_FOLDER}}\n")
    return path


def folder_partner(tmp_path: Path, files: list[Path]) -> Path:
    """A home whose one partner, "all", drops `files` in the folder `tmp_path`/drop."""
    drop, home = tmp_path / "drop", tmp_path / "home"
    drop.mkdir()
    home.mkdir()
    for path in files:
        shutil.copy(path, drop)
    (home / "partners.yaml").write_text(f"partners:\n  - name: all\n    folder: {drop}\n")
    return home


def settings_for(home: Path) -> Settings:
    return Settings(
        home=home,
        feeds=BUILTIN_FEEDS,
        workers=1,
        retention_days=365,
        daily_at="02:00",
        timezone="Europe/London",
        audit_key=SecretStr("test-audit-key, 32 bytes or more"),
    )


def run_due(schedule: DailySchedule, clock: Clock, at: datetime) -> ledger.Run:
    """Move the clock to `at`, wake the scheduler, and wait for the run it starts."""
    done = threading.Event()
    seen: list[JobExecutionEvent] = []

    def finished(event: JobExecutionEvent) -> None:
        seen.append(event)
        done.set()

    schedule.scheduler.add_listener(finished, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    try:
        clock.at = at
        schedule.scheduler.wakeup()
        assert done.wait(240), "the scheduler did not start the run"
    finally:
        schedule.scheduler.remove_listener(finished)
    assert seen[0].exception is None, seen[0].exception
    assert schedule.last is not None
    return schedule.last


def test_two_days_through_the_scheduler(
    world: World, clock: Clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DROP_FOLDER", str(world.drop))
    # The partners' folders as on day one, whatever an earlier run of this test (the other
    # store's) left in them.
    for folder in (world.drop, *(world.sftp.root / partner for partner in SFTP_FEEDS)):
        shutil.rmtree(folder, ignore_errors=True)
    home = tmp_path / "home"
    partners_yaml(world, home)
    settings = settings_for(home)
    engine = open_store(settings)
    schedule = DailySchedule(DailyJob(settings, engine, clock=clock.utc))
    schedule.start()
    try:
        assert schedule.next_run() == datetime(2026, 11, 1, 2, 0, tzinfo=LONDON)
        deliver(world, world.day_one)
        first = run_due(schedule, clock, datetime(2026, 11, 1, 2, 0, 5, tzinfo=LONDON))
        # A month on, the day-two files arrive (and the retention window has moved).
        deliver(world, world.day_two)
        day_two = datetime(2026, 12, 1, 2, 0, 5, tzinfo=LONDON)
        second = run_due(schedule, clock, day_two)
        assert schedule.next_run() == datetime(2026, 12, 2, 2, 0, tzinfo=LONDON)
    finally:
        schedule.shutdown()

    assert (first.status, second.status) == ("ok", "ok")
    assert (first.trigger, first.as_of) == ("schedule", datetime(2026, 11, 1, 2, 0, 5))
    assert second.as_of == datetime(2026, 12, 1, 2, 0, 5)
    pulled = {s.partner: s.counts for s in second.steps if s.step == "pull"}
    assert set(pulled) == {*SFTP_FEEDS, "others"}
    # Day two loaded day two's files and nothing else: day one's are not taken again.
    with engine.connect() as conn:
        loaded = dict(conn.execute(sa.select(files.c.name, files.c.file_id)).all())
        taken = dict(conn.execute(sa.select(pulls.c.remote_name, pulls.c.pulled_at)).all())
    assert set(loaded) == {p.name for p in world.day_one + world.day_two}
    assert len(loaded) == len(world.day_one) + len(world.day_two)
    day_two_ids = {loaded[p.name] for p in world.day_two}
    assert sorted(i for s in pulled.values() for i in s["file_ids"]) == sorted(day_two_ids)
    assert {n for n, at in taken.items() if at == second.as_of} == {p.name for p in world.day_two}
    assert sum(s["loaded"] for s in pulled.values()) == len(world.day_two)
    # Resolved incrementally, graph updated by a delta.
    resolved = second.counts("resolve")
    assert first.counts("resolve")["people_mode"] == "full"
    assert resolved["people_mode"] == "incremental"
    assert second.counts("graph")["mode"] == "delta"
    # Purged what fell out of the window: nothing older than the cutoff but open cases.
    cutoff = second.as_of - timedelta(days=365)
    assert second.counts("purge")["records_removed"] > 0
    assert first.counts("purge")["records_removed"] < second.counts("purge")["records_removed"]
    with engine.connect() as conn:
        stale = conn.execute(
            sa.select(sa.func.count()).where(
                records.c.occurred_at < cutoff,
                sa.or_(records.c.case_status.is_(None), records.c.case_status != "open"),
            )
        ).scalar_one()
        purges_audited = conn.execute(
            sa.select(sa.func.count()).where(audit_entries.c.operation == "purge")
        ).scalar_one()
    assert stale == 0
    assert purges_audited == 2
    assert AuditLog(engine, key(settings, "audit", settings.audit_key)).verify().ok
    assert [r.run_id for r in ledger.recent(engine)] == [second.run_id, first.run_id]


def test_a_failing_partner_does_not_stop_the_others(world: World, tmp_path: Path) -> None:
    home = tmp_path / "home"
    drop = tmp_path / "drop"
    drop.mkdir()
    shutil.copy(next(p for p in world.day_one if p.name.startswith("WAST")), drop)
    home.mkdir()
    (home / "partners.yaml").write_text(
        f"""partners:
  - name: unreachable
    sftp: {{host: 127.0.0.1, port: 9, user: x, key_file: {world.sftp.client_key},
            known_hosts: {world.sftp.known_hosts}}}
  - name: wrong-host-key
    sftp: {{host: 127.0.0.1, port: {world.sftp.port}, user: police, remote_dir: /police,
            key_file: {world.sftp.client_key}, known_hosts: {world.sftp.wrong_known_hosts}}}
  - name: ambulance
    folder: {drop}
"""
    )
    settings = settings_for(home)
    engine = open_store(settings)
    run = DailyJob(settings, engine).run(now=datetime(2026, 11, 1, 2, 0))
    assert run.status == "partial"
    by_partner = {s.partner: s for s in run.steps if s.step == "pull"}
    assert by_partner["unreachable"].status == "failed"
    assert by_partner["wrong-host-key"].status == "failed"
    assert "host key" in (by_partner["wrong-host-key"].error or "")
    assert by_partner["ambulance"].status == "ok" and by_partner["ambulance"].counts["loaded"] == 1
    assert [s.step for s in run.steps if s.status == "ok"][-4:] == [
        "purge",
        "resolve",
        "graph",
        "figures",
    ]


def test_partner_configuration_errors_are_clear(tmp_path: Path) -> None:
    bad = tmp_path / "partners.yaml"
    bad.write_text("partners:\n  - name: Police Force\n    folder: /x\n")
    with pytest.raises(ConfigError, match=r"partners\.0\.name: .*lower-case"):
        load_partners(bad)
    both = "folder: /x\n    sftp: {host: h, user: u, key_file: /k, known_hosts: /kh}"
    bad.write_text(f"partners:\n  - name: police\n    {both}\n")
    with pytest.raises(ConfigError, match="exactly one of sftp or folder"):
        load_partners(bad)
    unverified = "sftp: {host: h, user: u, key_file: /k}"
    bad.write_text(f"partners:\n  - name: police\n    {unverified}\n")
    with pytest.raises(ConfigError, match="known_hosts or host_key"):
        load_partners(bad)
    bad.write_text("partners:\n  - name: p\n    folder: ${NOT_SET_ANYWHERE}\n")
    with pytest.raises(ConfigError, match="NOT_SET_ANYWHERE"):
        load_partners(bad)


def test_the_server_runs_the_daily_job_and_reports_on_it(world: World, tmp_path: Path) -> None:
    """`mast serve` owns the run: an administrator starts it, search sees the new people at
    once, and /readyz and /metrics report it to operators."""
    home = folder_partner(tmp_path, world.day_one)
    settings = Settings(
        **{**settings_for(home).model_dump(), "cookie_secure": False, "schedule": False}
    )
    engine = open_store(settings)
    accounts = Accounts(engine, settings)
    accounts.add("admin", display_name="Admin", role="admin", agency="t", password=PASSWORD)
    accounts.add(
        "pr", display_name="Practitioner", role="practitioner", agency="t", password=PASSWORD
    )
    practitioner = accounts.get("pr")
    assert practitioner is not None
    token = accounts.issue(practitioner, kind="token", label="tests")
    app = create_app(settings)
    police = next(p for p in world.day_one if p.name.startswith("SWP_"))
    found = re.search(r"\b(SA\d+) \d[A-Z]{2}\b", police.read_text(encoding="utf-8"))
    assert found is not None
    postcode = found.group(1)
    people = {"query": f'{{ searchPeople(postcode: "{postcode}") {{ totalCount }} }}'}
    with running(app) as url, httpx.Client(base_url=url, timeout=60) as web:
        assert web.get("/healthz").json() == {"ok": True}
        ready = web.get("/readyz")
        assert ready.status_code == 200 and ready.json()["daily_run"] == "not run yet"
        bearer = {"Authorization": f"Bearer {token}", "X-MAST-Purpose": PURPOSE}
        before = web.post("/graphql", json=people, headers=bearer).json()
        assert before["data"]["searchPeople"]["totalCount"] == 0
        csrf = form_token(web)
        web.post("/login", data={"username": "admin", "password": PASSWORD, "csrf": csrf})
        web.post("/purpose", data={"purpose": "daily check", "csrf": csrf})
        started = web.post("/quality/run", data={"csrf": csrf})
        assert started.status_code == 303 and started.headers["location"].endswith("started=yes")
        deadline = time.monotonic() + 240
        while web.get("/readyz").json()["last_good_run_hours"] is None:
            assert time.monotonic() < deadline, "the run did not finish"
            time.sleep(0.5)
        after = web.post("/graphql", json=people, headers=bearer).json()
        assert after["data"]["searchPeople"]["totalCount"] > 0  # the index was refreshed
        page = web.get("/quality").text
        assert "Daily runs" in page and ">done<" in page  # the run's state, in words
        title = re.search(r"<title>(.*?)</title>", page, re.DOTALL)
        assert title is not None and title.group(1) == "Feeds and data quality — MAST"
        metrics = web.get("/metrics").text
        assert 'mast_daily_runs{status="ok"} 1.0' in metrics
        assert 'mast_daily_step_seconds{partner="",status="ok",step="resolve"}' in metrics
        assert 'mast_request_seconds_count{method="GET",route="/readyz",status="200"}' in metrics
        # Operators are told when the data goes stale.
        with engine.begin() as conn:
            conn.execute(runs.update().values(finished_at=datetime(2026, 1, 1)))
        stale = web.get("/readyz")
        assert stale.status_code == 503 and stale.json()["daily_run"].startswith("stale")
    audited = [
        r["operation"]
        for r in AuditLog(engine, key(settings, "audit", settings.audit_key)).search()
    ]
    assert "daily-run" in audited and "purge" in audited


def test_the_commands_of_daily_operation(world: World, tmp_path: Path) -> None:
    home = folder_partner(tmp_path, world.day_one)
    listed = mast("partners", "check", home=home)
    assert listed.returncode == 0 and "all" in listed.stdout
    assert str(tmp_path / "drop") in listed.stdout
    assert "No daily runs yet" in mast("runs", home=home).stdout
    ran = mast("run-daily", "--as-of", "2026-11-01T02:00", home=home)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "Run 1 (manual, as of 2026-11-01 02:00): ok" in ran.stdout
    runs_table = mast("runs", home=home).stdout
    assert "2026-11-01T02:00" in runs_table and " ok " in runs_table
    card = tmp_path / "police.csv"
    scored = mast("quality", "police", "--csv", str(card), home=home)
    assert scored.returncode == 0, scored.stdout
    rows = list(csv.reader(card.read_text(encoding="utf-8").splitlines()))
    assert rows[1] == ["feed", "police"]
    assert rows[rows.index([]) + 1][:3] == ["received", "status", "rows in"]
    assert rows[-1][1] == "loaded" and int(rows[-1][2]) > 0
    assert mast("quality", "nonsuch", home=home).returncode == 2
    (home / "partners.yaml").write_text("partners:\n  - name: Bad Name\n    folder: /x\n")
    broken = mast("run-daily", home=home)
    assert broken.returncode == 2 and "lower-case" in broken.stdout
    assert "Traceback" not in broken.stdout + broken.stderr
    assert "running" not in mast("runs", home=home).stdout  # it never started, so no run row


@SQLITE_ONLY  # `mast backup` copies SQLite's file; PostgreSQL is backed up with pg_dump
def test_backup_while_running_and_restore_into_an_empty_home(world: World, tmp_path: Path) -> None:
    home = folder_partner(tmp_path, world.day_one[:4])
    assert mast("run-daily", "--as-of", "2026-11-01T02:00", home=home).returncode == 0
    saved = mast("backup", str(tmp_path / "backup"), home=home)
    assert saved.returncode == 0, saved.stdout
    assert mast("backup", str(tmp_path / "backup"), home=home).returncode == 2  # not over one
    restored = tmp_path / "restored"
    done = mast("restore", str(tmp_path / "backup"), home=restored)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "audit chain" in done.stdout and "graph rebuilt" in done.stdout
    original = mast("fingerprint", home=home).stdout
    assert original == mast("fingerprint", home=restored).stdout and "records" in original
    assert (restored / "partners.yaml").exists() and (restored / "graph" / "mast.lbug").exists()
    again = mast("restore", str(tmp_path / "backup"), home=restored)
    assert again.returncode == 2 and "empty MAST_HOME" in again.stdout
    # A backup that was tampered with is refused.
    tampered = tmp_path / "tampered"
    shutil.copytree(tmp_path / "backup", tampered)
    conn = sqlite3.connect(tampered / "state.sqlite")
    assert conn.execute("UPDATE records SET given_name = 'X' WHERE rowid = 1").rowcount == 1
    conn.commit()
    conn.close()
    refused = mast("restore", str(tampered), home=tmp_path / "elsewhere")
    assert refused.returncode == 2 and "differs from its backup in: records" in refused.stdout


def test_the_documented_example_configuration_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAST_INBOX", "/srv/mast/inbox")
    example = Path(__file__).parents[3] / "docs" / "partners.example.yaml"
    found = load_partners(example)
    assert [p.name for p in found] == ["police", "health", "childrens-services"]
    assert found[1].folder == Path("/srv/mast/inbox/health")


def test_a_graph_that_cannot_be_opened_is_set_aside_and_rebuilt(
    world: World, tmp_path: Path
) -> None:
    home = folder_partner(tmp_path, world.day_one[:3])
    settings = settings_for(home)
    engine = open_store(settings)
    first = DailyJob(settings, engine).run(now=datetime(2026, 11, 1, 2, 0))
    settings.graph_path.write_bytes(b"not a database" * 1000)  # a disk fault, say
    second = DailyJob(settings, engine).run(now=datetime(2026, 11, 2, 2, 0))
    assert second.status == "ok" and second.counts("graph")["mode"] == "full"
    assert second.counts("graph")["Person"] == first.counts("graph")["Person"]
    assert len(list(home.glob("graph.unreadable-*"))) == 1
