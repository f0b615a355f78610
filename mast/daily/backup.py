"""Backing up MAST_HOME while MAST runs, and restoring it into an empty home.

What is backed up is what cannot be made again: the state store (SQLite's online backup,
consistent while the server writes), the keys MAST made for itself and the partner
configuration. The graph and its snapshot are a projection of the state store, rebuilt on
restore. Each backup carries its fingerprint (`fingerprint.py`), and a restore is refused
unless the restored store matches it and its audit chain verifies, against the audit head
sealed outside the database too (`secrets/audit.head`): a backup of a wiped trail does not
restore clean.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from mast.audit.head import FILE_NAME as HEAD_FILE
from mast.core.db import open_store
from mast.core.errors import ConfigError, StoreError
from mast.core.settings import Settings
from mast.daily.fingerprint import differences, state_fingerprint

_STATE = "state.sqlite"
_HEAD_LOCK = shutil.ignore_patterns(HEAD_FILE + ".lock", ".audit.head.*")
_FINGERPRINT = "fingerprint.json"


@dataclass(frozen=True)
class Restored:
    tables: int
    rows: int
    audit_entries: int
    graph_mode: str


def _sqlite_path(settings: Settings) -> Path:
    url = sa.engine.make_url(settings.state_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        raise ConfigError(
            "`mast backup` copies the embedded SQLite store; back up PostgreSQL with pg_dump "
            "and copy MAST_HOME/secrets and the partner configuration alongside"
        )
    return Path(url.database)


def backup(settings: Settings, out: Path) -> dict[str, tuple[int, str]]:
    """Write a backup of `settings.home` into the new folder `out`; its fingerprint."""
    source = _sqlite_path(settings)
    if not source.exists():
        raise StoreError(f"no state store at {source} to back up")
    if out.exists() and any(out.iterdir()):
        raise ConfigError(f"{out} is not empty; give a new folder for the backup")
    out.mkdir(parents=True, exist_ok=True)
    # The secrets first: the sealed audit head is written after each commit, so taken before
    # the store it can only lag the copy, which verifies; taken after, it could lead it.
    if settings.secrets_dir.is_dir():
        shutil.copytree(settings.secrets_dir, out / "secrets", ignore=_HEAD_LOCK)
        (out / "secrets").chmod(0o700)
    live, copy = sqlite3.connect(source), sqlite3.connect(out / _STATE)
    try:
        live.backup(copy)
        # One self-contained file: nothing left in a write-ahead log beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        copy.close()
        live.close()
    copy_engine = sa.create_engine(f"sqlite:///{out / _STATE}")
    try:
        fingerprint = state_fingerprint(copy_engine)
    finally:
        copy_engine.dispose()
    if settings.partners_file.exists():
        shutil.copy2(settings.partners_file, out / "partners.yaml")
    (out / _FINGERPRINT).write_text(json.dumps(fingerprint, indent=1, sort_keys=True))
    return fingerprint


def _carry_head(settings: Settings, backup_dir: Path) -> None:
    """Put the backup's sealed audit head in the home, which must not have sealed a later
    one: restoring an older backup over a used home would cut its trail unseen."""
    carried = backup_dir / "secrets" / HEAD_FILE
    if not carried.exists():
        return
    here = settings.secrets_dir / HEAD_FILE
    if here.exists() and _sealed_seq(here) > _sealed_seq(carried):
        raise ConfigError(
            f"{here} has sealed more audit entries than the backup holds: restore into an "
            "empty MAST_HOME (move that file aside only if you mean to drop them)"
        )
    if settings.secrets_dir.exists():  # else the whole secrets folder is copied after
        shutil.copy2(carried, here)


def _sealed_seq(path: Path) -> int:
    """The entry number a head file names (its seal is checked by `verify`); -1 if none."""
    try:
        return int(json.loads(path.read_text(encoding="ascii"))["seq"])
    except (OSError, ValueError, TypeError, KeyError):
        return -1


def restore(settings: Settings, backup_dir: Path) -> Restored:
    """Restore a backup into an empty MAST_HOME, check it, and rebuild the graph from it."""
    from mast.audit.chain import AuditLog  # noqa: PLC0415
    from mast.graph.build import refresh  # noqa: PLC0415 - loads the engines

    target = _sqlite_path(settings)
    if target.exists():
        raise ConfigError(f"{target} exists: restore into an empty MAST_HOME")
    if not (backup_dir / _STATE).exists() or not (backup_dir / _FINGERPRINT).exists():
        raise ConfigError(f"{backup_dir} is not a MAST backup (no {_STATE} and {_FINGERPRINT})")
    _carry_head(settings, backup_dir)  # refuses before anything is copied
    settings.home.mkdir(parents=True, exist_ok=True)
    shutil.copy2(backup_dir / _STATE, target)
    if (backup_dir / "secrets").is_dir() and not settings.secrets_dir.exists():
        shutil.copytree(backup_dir / "secrets", settings.secrets_dir)
    if (backup_dir / "partners.yaml").exists() and not settings.partners_file.exists():
        shutil.copy2(backup_dir / "partners.yaml", settings.partners_file)
    engine = open_store(settings)
    expected = {
        table: (rows, digest)
        for table, (rows, digest) in json.loads((backup_dir / _FINGERPRINT).read_text()).items()
    }
    found = state_fingerprint(engine)
    differing = differences(expected, found)
    if differing:
        raise StoreError(f"the restored store differs from its backup in: {', '.join(differing)}")
    verdict = AuditLog.open(engine, settings).verify()
    if not verdict.ok:
        raise StoreError(
            f"the restored audit trail does not verify ({len(verdict.problems)} problems; "
            f"the first: entry {verdict.problems[0].seq}: {verdict.problems[0].what}): "
            "is MAST_AUDIT_KEY the key it was written with? `mast audit verify` lists them"
        )
    shutil.rmtree(settings.graph_path.parent, ignore_errors=True)
    built = refresh(engine, settings, full=True)
    return Restored(
        len(found), sum(rows for rows, _ in found.values()), verdict.entries, built.mode
    )
