"""The audit head sealed outside the database (issue 19): a wiped, dropped or replaced trail
is tampering, not a fresh start; a crash between the commit and the head file is not; short
keys are refused; backup and restore carry the sealed head."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from mast.audit.chain import AuditLog, Entry
from mast.audit.head import FILE_NAME
from mast.core.db import open_store
from mast.core.errors import AuditUnavailable, ConfigError
from mast.core.keys import audit_key
from mast.core.settings import Settings
from mast.schema.tables import audit_entries, audit_head, audit_subjects
from tests.integration.cli.test_purge_and_cli import mast
from tests.support.harness import SQLITE_ONLY

pytestmark = pytest.mark.usefixtures("state_url")
"""Every test here runs on SQLite and on PostgreSQL (`state_url`, tests/conftest.py)."""


def _entry(i: int) -> Entry:
    return Entry("cli:test", "admin", "-", "testing", "users-add", {"i": i}, [f"P{i:08d}"])


def used_home(home: Path, entries: int = 5) -> tuple[Settings, AuditLog]:
    settings = Settings(home=home)
    log = AuditLog.open(open_store(settings), settings)
    for i in range(entries):
        log.append(_entry(i))
    return settings, log


def _sql(settings: Settings, *statements: str) -> None:
    engine = open_store(settings)
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    engine.dispose()


def test_the_head_file_is_sealed_private_and_follows_the_chain(tmp_path: Path) -> None:
    settings, log = used_home(tmp_path / "home")
    head = settings.secrets_dir / FILE_NAME
    assert stat.S_IMODE(head.stat().st_mode) == 0o600
    assert log.head_file is not None and log.head_file.read() is not None
    assert log.head_file.read().seq == 5  # type: ignore[union-attr]
    assert log.verify().ok
    verified = mast("audit", "verify", home=settings.home)
    assert verified.returncode == 0 and "intact: 5 entries" in verified.stdout


@pytest.mark.parametrize(
    "wipe",
    [
        ("DELETE FROM audit_subjects", "DELETE FROM audit_entries"),
        (
            "DELETE FROM audit_subjects",
            "DELETE FROM audit_entries",
            "UPDATE audit_head SET seq = 0, mac = '" + "0" * 64 + "'",
        ),
        ("DROP TABLE audit_subjects", "DROP TABLE audit_entries", "DROP TABLE audit_head"),
    ],
    ids=["delete", "delete-and-reset-head", "drop"],
)
def test_a_wiped_trail_is_tampering(tmp_path: Path, wipe: tuple[str, ...]) -> None:
    settings, log = used_home(tmp_path / "home")
    log.engine.dispose()
    _sql(settings, *wipe)
    verified = mast("audit", "verify", home=settings.home)
    assert verified.returncode == 1, verified.stdout
    assert "tampered" in verified.stdout and "were sealed outside the database" in verified.stdout
    if "audit_head" in " ".join(wipe):  # the database's head was reset: no fresh chain
        again = AuditLog.open(open_store(settings), settings)
        with pytest.raises(AuditUnavailable, match="wiped or replaced"):
            again.append(_entry(99))


@SQLITE_ONLY  # swaps the store's file for another home's
def test_a_short_trail_and_a_replaced_one_are_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAST_AUDIT_KEY", "one key for both homes, 32 bytes or more")
    settings, log = used_home(tmp_path / "home")
    with log.engine.connect() as conn:
        undo = conn.begin()
        # Cut the last two entries and re-seal the database's head with the key: the
        # database alone is consistent again, the head outside it is not.
        last = conn.execute(sa.select(audit_entries.c.mac).where(audit_entries.c.seq == 3))
        mac = last.scalar_one()
        conn.execute(audit_subjects.delete().where(audit_subjects.c.seq > 3))
        conn.execute(audit_entries.delete().where(audit_entries.c.seq > 3))
        conn.execute(audit_head.update().values(seq=3, mac=mac, seal=log._seal(3, mac)))
        problems = log.verify(conn).problems
        undo.rollback()
    assert [p.what for p in problems] == [
        f"the trail ends at entry 3 but 5 were sealed outside the database ({FILE_NAME}): "
        "entries were deleted"
    ]
    # Another home's trail of the same length, with the same key, put in its place.
    other, other_log = used_home(tmp_path / "other", entries=5)
    other_log.engine.dispose()
    log.engine.dispose()
    for side in ("", "-wal", "-shm"):
        (settings.home / f"state.sqlite{side}").unlink(missing_ok=True)
    shutil.copy(other.home / "state.sqlite", settings.home / "state.sqlite")
    verified = mast("audit", "verify", home=settings.home)
    assert verified.returncode == 1 and "differs from the head sealed outside" in verified.stdout


def test_a_crash_before_the_head_file_is_written_is_not_tampering(tmp_path: Path) -> None:
    """The file is written after the commit: it may lag the database, and a later append
    catches it up; a database chain extending it verifies."""
    settings, log = used_home(tmp_path / "home", entries=3)
    head = settings.secrets_dir / FILE_NAME
    behind = head.read_bytes()
    log.append(_entry(3))
    head.write_bytes(behind)  # as if the process died between the commit and the file
    assert log.verify().ok
    assert AuditLog.open(log.engine, settings).verify().ok
    log.append(_entry(4))
    assert log.head_file is not None and log.head_file.read().seq == 5  # type: ignore[union-attr]


def test_an_edited_or_emptied_head_file_is_tampering(tmp_path: Path) -> None:
    settings, log = used_home(tmp_path / "home")
    head = settings.secrets_dir / FILE_NAME
    head.write_text(head.read_text().replace('"seq": 5', '"seq": 4'))
    assert any("seal is wrong" in p.what for p in log.verify().problems)
    head.write_bytes(b"")
    assert any("unreadable" in p.what for p in log.verify().problems)


@pytest.mark.parametrize("configured", ["x", "a" * 31])
def test_a_short_configured_key_is_refused(tmp_path: Path, configured: str) -> None:
    settings = Settings(home=tmp_path, audit_key=SecretStr(configured))
    with pytest.raises(ConfigError, match=r"MAST_AUDIT_KEY is \d+ bytes; at least 32") as e:
        audit_key(settings)
    assert "token_hex(32)" in str(e.value)
    assert "x" * 2 not in str(e.value) and configured not in str(e.value).split()


def test_an_empty_key_file_is_refused(tmp_path: Path) -> None:
    settings, log = used_home(tmp_path / "home")
    (settings.secrets_dir / "audit.key").write_bytes(b"")
    with pytest.raises(ConfigError, match=r"audit\.key is 0 bytes; at least 32"):
        AuditLog.open(log.engine, settings)
    verified = mast("audit", "verify", home=settings.home)
    assert verified.returncode == 2 and "token_hex" in verified.stdout
    with pytest.raises(ConfigError, match="at least 32"):
        AuditLog(log.engine, b"short")


@SQLITE_ONLY  # `mast backup` copies SQLite's file; PostgreSQL is backed up with pg_dump
def test_backup_and_restore_carry_the_sealed_head(tmp_path: Path) -> None:
    settings, log = used_home(tmp_path / "home")
    log.engine.dispose()
    _sql(settings, "DROP TABLE audit_subjects", "DROP TABLE audit_entries")
    _sql(settings, "DROP TABLE audit_head")
    assert mast("backup", str(tmp_path / "backup"), home=settings.home).returncode == 0
    assert (tmp_path / "backup" / "secrets" / FILE_NAME).exists()
    restored = mast("restore", str(tmp_path / "backup"), home=tmp_path / "restored")
    assert restored.returncode != 0
    assert "audit trail does not verify" in restored.stdout
    assert "were sealed outside the database" in restored.stdout


def test_cli_reports_and_cypher_are_audited_with_everyone_they_show(tmp_path: Path) -> None:
    """`mast report` and `mast cypher` (and their CSV exports) record every person shown or
    asked about, as the API does; the oracle is the CSV the command wrote."""
    import csv  # noqa: PLC0415
    import json  # noqa: PLC0415
    from datetime import date, datetime  # noqa: PLC0415

    from mast.demo.generate import generate  # noqa: PLC0415
    from mast.graph import open_graph  # noqa: PLC0415
    from mast.graph.build import refresh  # noqa: PLC0415
    from mast.resolver.service import resolve  # noqa: PLC0415
    from tests.support.demo_data import extracts, ingest  # noqa: PLC0415

    home = tmp_path / "home"
    generate(1500, 11, tmp_path / "world", date(2026, 10, 31))  # as tests/support/api_server.py
    engine = ingest(home, extracts(tmp_path / "world"))
    resolve(engine, now=datetime(2026, 11, 2))
    settings = Settings(home=home)
    refresh(engine, settings, full=True)
    graph = open_graph(settings)
    try:
        related = graph.read(
            "MATCH (p:`Person`)-[:`RELATED`]->(:`Person`) RETURN p.person_id "
            "ORDER BY p.person_id LIMIT 1",
            {},
            timeout_s=60,
            max_rows=1,
        ).rows[0][0]
    finally:
        graph.close()

    def last_entry() -> dict[str, object]:
        with engine.connect() as conn:
            row = conn.execute(
                sa.select(audit_entries).order_by(audit_entries.c.seq.desc()).limit(1)
            ).one()
        return row._asdict()

    out = tmp_path / "household.csv"
    ran = mast(
        "report", "household_history", "-p", f"person_id={related}", "--csv", str(out),
        "--purpose", "SAR-7", home=home,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    with out.open(encoding="utf-8") as fh:
        shown = {v for row in csv.DictReader(fh) for v in (row["person"], row["other"])}
    entry = last_entry()
    assert entry["operation"] == "report" and entry["purpose"] == "SAR-7"
    assert len(shown) >= 2 and shown <= set(json.loads(str(entry["result_ids"])))
    counted = mast(
        "cypher", "MATCH (p:`Person` {person_id: $who}) RETURN count(*)", "-p", f"who={related}",
        home=home,
    )  # fmt: skip
    assert counted.returncode == 0, counted.stdout + counted.stderr
    entry = last_entry()
    assert entry["operation"] == "cypher" and related in json.loads(str(entry["result_ids"]))
    assert AuditLog.open(engine, Settings(home=home)).verify().ok
