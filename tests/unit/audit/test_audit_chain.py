"""The audit chain (RELIABILITY P7): on a 10,000-entry trail, every edit, deletion, swap,
insertion and truncation is found by `verify`, and an untouched trail verifies clean."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from mast.audit.chain import AuditLog, Entry
from mast.core.db import open_store
from mast.core.settings import Settings
from mast.schema.tables import audit_entries, audit_head, audit_subjects

pytestmark = pytest.mark.usefixtures("state_url")
"""Every test here runs on SQLite and on PostgreSQL (`state_url`, tests/conftest.py)."""


ENTRIES = 10_000
KEY = b"a test audit key of 32 bytes or more"
Tamper = Callable[[sa.Connection, int], None]


@pytest.fixture(scope="module")
def trail(tmp_path_factory: pytest.TempPathFactory) -> AuditLog:
    settings = Settings(home=tmp_path_factory.mktemp("audit"))
    log = AuditLog(open_store(settings), KEY)
    rng = random.Random(7)
    for i in range(ENTRIES):
        ids = [f"P{rng.randrange(10**8):08d}" for _ in range(rng.randrange(3))]
        log.append(
            Entry(f"user{i % 13}", "practitioner", "swansea", "case 1", "graphql", {"i": i}, ids)
        )
    return log


def _set(column: str, value: object) -> Tamper:
    def tamper(conn: sa.Connection, seq: int) -> None:
        conn.execute(
            audit_entries.update().where(audit_entries.c.seq == seq).values({column: value})
        )

    return tamper


def _delete(conn: sa.Connection, seq: int) -> None:
    conn.execute(audit_entries.delete().where(audit_entries.c.seq == seq))


def _swap(conn: sa.Connection, seq: int) -> None:
    """Two neighbours trade places: each keeps its content, takes the other's number."""
    other = seq + 1 if seq < ENTRIES else seq - 1
    conn.execute(audit_entries.update().where(audit_entries.c.seq == seq).values(seq=-1))
    conn.execute(audit_entries.update().where(audit_entries.c.seq == other).values(seq=seq))
    conn.execute(audit_entries.update().where(audit_entries.c.seq == -1).values(seq=other))


def _truncate(conn: sa.Connection, seq: int) -> None:
    conn.execute(audit_entries.delete().where(audit_entries.c.seq >= seq))


def _truncate_and_move_head(conn: sa.Connection, seq: int) -> None:
    """Cut the tail and point the head at the new last entry, as a careful forger would."""
    last = (
        conn.execute(
            sa.select(audit_entries.c.mac).where(audit_entries.c.seq == seq - 1)
        ).scalar_one_or_none()
        or "0" * 64
    )
    _truncate(conn, seq)
    conn.execute(audit_head.update().values(seq=seq - 1, mac=last))


def _insert_copy(conn: sa.Connection, seq: int) -> None:
    row = conn.execute(sa.select(audit_entries).where(audit_entries.c.seq == seq)).one()._asdict()
    conn.execute(
        audit_entries.update()
        .where(audit_entries.c.seq > seq)
        .values(seq=audit_entries.c.seq + ENTRIES)
    )
    conn.execute(audit_entries.insert().values({**row, "seq": seq + 1}))


def _forget_a_subject(conn: sa.Connection, seq: int) -> None:
    ids = json.loads(
        conn.execute(
            sa.select(audit_entries.c.result_ids).where(audit_entries.c.seq == seq)
        ).scalar_one()
    )
    if ids:
        conn.execute(audit_subjects.delete().where(audit_subjects.c.seq == seq))
    else:
        conn.execute(audit_subjects.insert().values(seq=seq, subject_id="P99999999"))


TAMPERS: dict[str, Tamper] = {
    "edit user": _set("username", "someone else"),
    "edit purpose": _set("purpose", "nothing to see"),
    "edit ids": _set("result_ids", '["P00000000"]'),
    "edit params": _set("params", '{"i": -1}'),
    "edit time": _set("at", "2020-01-01T00:00:00.000000+00:00"),
    "edit outcome": _set("outcome", "refused"),
    "delete": _delete,
    "swap": _swap,
    "truncate": _truncate,
    "truncate and move the head": _truncate_and_move_head,
    "insert a copy": _insert_copy,
    "edit the ids index": _forget_a_subject,
}


def test_an_untouched_trail_verifies(trail: AuditLog) -> None:
    verdict = trail.verify()
    assert verdict.ok, verdict.problems[:3]
    assert verdict.entries == ENTRIES


@pytest.mark.parametrize("name", sorted(TAMPERS))
def test_every_tampering_is_found(trail: AuditLog, name: str) -> None:
    rng = random.Random(name)
    positions = {1, ENTRIES, *(rng.randrange(2, ENTRIES) for _ in range(6))}
    for seq in sorted(positions):
        with trail.engine.connect() as conn:
            undo = conn.begin()
            TAMPERS[name](conn, seq)
            verdict = trail.verify(conn)
            undo.rollback()
        assert not verdict.ok, f"{name} at entry {seq} went unnoticed"
    assert trail.verify().ok  # each tampering was rolled back


def test_a_forged_chain_needs_the_key(trail: AuditLog, tmp_path: Path) -> None:
    """Recomputing every mac with another key does not pass: the head is sealed."""
    forger = AuditLog(trail.engine, b"a guess of the key, 32 bytes long")
    assert not forger.verify().ok
