"""Retention purge, and the `mast` command as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from mast.loaders.purge import purge
from mast.resolver import forget_records
from mast.schema.tables import purges, records
from tests.support.harness import SQLITE_ONLY, Harness, write

pytestmark = pytest.mark.usefixtures("state_url")
"""Every test here runs on SQLite and on PostgreSQL (`state_url`, tests/conftest.py)."""


CASE_FEED_ROWS = "id,when,name,dob\n"


def test_purge_removes_old_records_but_keeps_open_cases(harness: Harness, tmp_path: Path) -> None:
    text = (
        'id,when,name,dob\n1,01/01/2025,"OLD, Record",\n2,01/06/2026,"NEW, Record",\n'
        '3,01/02/2026,"EDGE, Record",\n'
    )
    harness.ingest(write(tmp_path / "test_1.csv", text))
    result = purge(
        harness.engine, now=datetime(2026, 11, 1), retention_days=365, forget=forget_records
    )
    assert result.records_removed == 1
    assert sorted(r.source_record_id for r in harness.rows()) == ["2", "3"]
    assert [r.records_removed for r in harness.rows(purges)] == [1]
    again = purge(
        harness.engine, now=datetime(2026, 11, 1), retention_days=365, forget=forget_records
    )
    assert again.records_removed == 0


def test_purge_tells_the_resolver_which_records_go_while_they_are_still_there(
    harness: Harness, tmp_path: Path
) -> None:
    """The resolver forgets its own links (loaders do not write its tables): it is handed
    exactly the removed records, inside the purge's transaction, before they are deleted."""
    text = 'id,when,name,dob\n1,01/01/2025,"OLD, Record",\n2,01/06/2026,"NEW, Record",\n'
    harness.ingest(write(tmp_path / "test_1.csv", text))
    told: list[tuple[list[str], int]] = []

    def forget(conn: sa.Connection, record_ids: Sequence[str]) -> None:
        still = conn.execute(
            sa.select(sa.func.count()).where(records.c.record_id.in_(record_ids))
        ).scalar_one()
        told.append((list(record_ids), still))

    purge(harness.engine, now=datetime(2026, 11, 1), retention_days=365, forget=forget)
    assert told == [(["test:1"], 1)]


def test_purge_cuts_within_a_minute_of_the_retention_window(
    harness: Harness, tmp_path: Path
) -> None:
    """365 days before 1 Nov 2026 00:00 is 1 Nov 2025 00:00: a record a minute older goes, one
    a minute younger stays (no months of margin for an off-by-one-day to hide in). The
    minute itself is left out: the store keeps times as text without fractions and the
    cutoff is bound with them, so an exactly equal time compares as older."""
    text = (
        'id,when,name,dob\n1,31/10/2025 23:59,"GONE, Record",\n2,01/11/2025 00:01,"KEPT, Record",\n'
    )
    harness.ingest(write(tmp_path / "test_1.csv", text))
    result = purge(
        harness.engine, now=datetime(2026, 11, 1), retention_days=365, forget=forget_records
    )
    assert result.cutoff == datetime(2025, 11, 1)
    assert [r.source_record_id for r in harness.rows()] == ["2"]


def test_open_cases_survive_the_window(make_harness: object, tmp_path: Path) -> None:
    h: Harness = make_harness(shipped=True)  # type: ignore[operator]
    header = (
        "Contact ID|Person ID|Forename|Surname|DOB|Gender|Address|UPRN|Contact Date|Contact Type|Role|"
        "Case Ref|Case Status|Case Opened|Case Closed|Allocated Worker|Worker Phone|Worker Email|Team\n"
    )
    rows = (
        "C1|SW1|Ann|Jones|01/01/2010|Female|1 High Street, Swansea, SA1 1AA||01/01/2024|Referral|Child|"
        "K1|Open|01/01/2024||Lowri Evans|01792 123456|lowri.evans@example.org|Child Protection\n"
        "C2|SW2|Bob|Jones|01/01/2011|Male|1 High Street, Swansea, SA1 1AA||01/01/2024|Referral|Child|"
        "K2|Closed|01/01/2024|01/03/2024|Lowri Evans|01792 123456|lowri.evans@example.org|Child Protection\n"
    )
    result = h.ingest(write(tmp_path / "Swansea_CSC_Contacts_20240101.csv", header + rows))
    assert result.stored == 2
    lead = h.rows()[0]
    assert (lead.lead_name, lead.lead_phone, lead.case_status) == (
        "Lowri Evans",
        "01792 123456",
        "open",
    )
    purge(h.engine, now=datetime(2026, 11, 1), retention_days=365, forget=forget_records)
    assert [r.source_record_id for r in h.rows()] == ["C1"]


def mast(
    *args: str, home: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MAST_HOME": str(home), "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "mast", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )


def test_cli_generate_ingest_replay_quarantine_purge(tmp_path: Path) -> None:
    home, out = tmp_path / "home", tmp_path / "extracts"
    gen = mast(
        "generate",
        "--people",
        "400",
        "--seed",
        "3",
        "--out",
        str(out),
        "--end",
        "2026-10-31",
        home=home,
    )
    assert gen.returncode == 0, gen.stderr
    figures = json.loads((out / "truth" / "figures.json").read_text())
    first = mast("ingest", str(out), home=home)
    assert first.returncode == 0, first.stdout + first.stderr
    total = sum(figures["rows_per_feed"].values())
    assert f"{total:,}" in first.stdout and "NO" not in first.stdout.split("total")[-1]
    second = mast("ingest", str(out), home=home)
    assert second.stdout.count("skipped") == 10
    listing = mast("quarantine", "list", home=home)
    assert listing.returncode == 0
    assert mast("files", home=home).returncode == 0
    purged = mast("purge", "--as-of", "2028-01-01", home=home)
    assert "Purged before 2027-01-01" in purged.stdout


def test_cli_errors_are_clear_not_tracebacks(tmp_path: Path) -> None:
    bad = write(tmp_path / "mystery.csv", "a,b\n1,2\n")
    result = mast("ingest", str(bad), home=tmp_path / "home")
    assert result.returncode == 2
    assert "no feed definition matches" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    broken = write(tmp_path / "broken.yaml", "feed: x\nagency: {id: x, name: X, kind: wizard}\n")
    check = mast("feeds", "check", str(broken), home=tmp_path / "home")
    assert check.returncode == 2 and "kind" in check.stdout


def test_cli_review_lists_the_queue_and_refuses_a_ruling_on_no_item(tmp_path: Path) -> None:
    home = tmp_path / "home"
    listed = mast("review", "list", home=home)
    assert listed.returncode == 0, listed.stderr
    assert "why queued" in listed.stdout  # the queue's table, empty on a new home
    ruled = mast("review", "decide", "7", "link", "--by", "rev", "--reason", "same", home=home)
    assert ruled.returncode == 2
    assert "no review item 7" in ruled.stdout
    assert "Traceback" not in ruled.stdout + ruled.stderr


def test_cli_prints_partner_text_as_text_not_markup(tmp_path: Path) -> None:
    """A name of `[/bold]` used to crash `mast quarantine list --show-values` and `mast
    cypher` (Rich read it as a closing tag), and `[link=…]` was rendered as a link."""
    from tests.support.harness import TEST_FEED  # noqa: PLC0415

    feeds = tmp_path / "feeds"
    feeds.mkdir()
    definition = TEST_FEED.replace("ENCODING", "utf-8").replace("DELIM", ",")
    (feeds / "test.yaml").write_text(textwrap.dedent(definition))
    evil = "[/bold] [link=https://example.invalid]Evil[/link]"
    rows = (
        "id,when,name,dob,nhs,address,postcode,sex\n"
        f'1,01/03/2026,"JONES, Siân",02/04/1990,,"{evil} Street, Swansea",SA2 9AB,F\n'
        f'2,,"{evil}, Ann",02/04/1990,,,,F\n'  # no date: quarantined with its values
    )
    named = write(tmp_path / "test_[bold]1.csv", rows)
    env = {"MAST_FEEDS": str(feeds)}
    home = tmp_path / "home"
    loaded = mast("ingest", str(named), home=home, env=env)
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    assert "test_[bold]1.csv" in loaded.stdout
    listing = mast("quarantine", "list", "--show-values", home=home, env=env)
    assert listing.returncode == 0, listing.stdout + listing.stderr
    assert "[/bold]" in listing.stdout and "[link=https://example.invalid]" in listing.stdout
    asked = mast("cypher", f"RETURN '{evil}' AS x", home=home, env=env)
    assert asked.returncode == 0, asked.stdout + asked.stderr
    assert evil in asked.stdout
    assert "\x1b]8;" not in asked.stdout + listing.stdout  # no terminal hyperlink


def _loose(home: Path) -> list[str]:
    """Everything under `home` (and itself) that its group or others may read or enter."""
    paths = [home, *home.rglob("*")]
    return [f"{p} {p.stat().st_mode & 0o777:o}" for p in paths if p.stat().st_mode & 0o077]


@SQLITE_ONLY  # the mode of SQLite's files in MAST_HOME
def test_mast_home_is_its_owners_alone(tmp_path: Path) -> None:
    """The state store was created 0644 under a 0755 MAST_HOME."""
    from mast.core.db import open_store  # noqa: PLC0415
    from mast.core.settings import Settings  # noqa: PLC0415
    from tests.support.harness import TEST_FEED  # noqa: PLC0415

    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "test.yaml").write_text(
        textwrap.dedent(TEST_FEED.replace("ENCODING", "utf-8").replace("DELIM", ","))
    )
    rows = 'id,when,name,dob\n1,01/03/2026,"JONES, Siân",02/04/1990\n2,,"JONES, Ann",\n'
    env = {"MAST_FEEDS": str(feeds)}
    home = tmp_path / "home"
    previous = os.umask(0o022)  # a usual login's umask: MAST must not rely on it
    try:
        ingested = mast("ingest", str(write(tmp_path / "test_1.csv", rows)), home=home, env=env)
        assert ingested.returncode == 0, ingested.stdout + ingested.stderr
        assert mast("cypher", "RETURN 1", home=home, env=env).returncode == 0  # makes the graph
        assert (home / "state.sqlite").exists() and len(list(home.rglob("*"))) > 2
        assert _loose(home) == []
        # The store opened in-process (the server, the tests) makes its files private too,
        # and tightens an older home made before this rule.
        older = tmp_path / "older"
        older.mkdir(mode=0o755)
        (older / "state.sqlite").touch(mode=0o644)
        open_store(Settings(home=older)).dispose()
        fresh = tmp_path / "fresh" / "home"
        open_store(Settings(home=fresh)).dispose()
        assert _loose(older) == [] and _loose(fresh) == []
    finally:
        os.umask(previous)
