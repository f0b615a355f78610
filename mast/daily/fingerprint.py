"""A fingerprint of what MAST holds: rows and a SHA-256 per state-store table, and the
graph's counts. Two homes that hold the same data have the same fingerprint, whatever
happened on the way (a crash and a replay, a backup and a restore).

Left out: logs of what happened rather than what is held (runs, purges, the audit trail,
accounts) and columns that record the wall clock of an action (when a file arrived, when a
row was quarantined), which differ between two loads of the same data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa

from mast.schema.tables import metadata

_LOGS = {
    "runs",
    "run_steps",
    "purges",
    "audit_entries",
    "audit_subjects",
    "audit_head",
    "users",
    "credentials",
    "login_attempts",
}
_WALL_CLOCK = {"files": {"received_at"}, "quarantine": {"quarantined_at", "quarantine_id"}}


_REFERENCES = {
    ("records", "file_id"): "files",
    ("records", "first_file_id"): "files",
    ("quarantine", "file_id"): "files",
}
"""Columns holding another table's generated id: (table, column) → that table."""
_MARKS = {"address_file_id": "files", "person_file_id": "files", "person_decision_id": "decisions"}
"""resolver_state keys whose value is a generated id of that table."""


def state_fingerprint(engine: sa.Engine) -> dict[str, tuple[int, str]]:
    """table → (rows, SHA-256 of its rows in key order)."""
    out = {}
    with engine.connect() as conn:
        ranks = _id_ranks(conn) if conn.dialect.name == "postgresql" else None
        for table in metadata.sorted_tables:
            if table.name in _LOGS:
                continue
            skip = _WALL_CLOCK.get(table.name, set())
            columns = [c for c in table.columns if c.name not in skip]
            order = list(table.primary_key.columns) if table.name not in _WALL_CLOCK else columns
            as_ranks = _ranked(table, [c.name for c in columns], ranks) if ranks else None
            digest = hashlib.sha256()
            rows = 0
            for row in conn.execute(sa.select(*columns).order_by(*order)):
                values = tuple(row) if as_ranks is None else as_ranks(tuple(row))
                digest.update(repr(values).encode())
                rows += 1
            out[table.name] = (rows, digest.hexdigest())
    return out


def _serial_key(table: sa.Table) -> sa.Column[Any] | None:
    """The table's generated integer id, if its key is one."""
    key = list(table.primary_key.columns)
    if len(key) == 1 and key[0].autoincrement is True:
        return key[0]
    return None


def _id_ranks(conn: sa.Connection) -> dict[str, dict[int, int]]:
    """Each generated id as its place among its table's ids (1, 2, 3 …).

    PostgreSQL's sequences are not transactional: an insert rolled back (a killed run, a
    rejected file) still uses up its number, so a replay after a crash holds the same rows
    under later ids than a clean run. Their order is the same, and that is what is compared.
    (SQLite reuses the numbers of rolled-back rows, so its ids are compared as they are.)"""
    ranks = {}
    for table in metadata.sorted_tables:
        key = _serial_key(table)
        if key is not None and table.name not in _LOGS:
            ids = conn.execute(sa.select(key).order_by(key)).scalars()
            ranks[table.name] = {int(i): n for n, i in enumerate(ids, start=1)}
    return ranks


def _ranked(
    table: sa.Table, names: list[str], ranks: dict[str, dict[int, int]]
) -> Callable[[tuple[Any, ...]], tuple[Any, ...]] | None:
    """What turns a row's generated ids (its own and those it refers to) into ranks."""
    key = _serial_key(table)
    maps = {
        i: ranks[target]
        for i, name in enumerate(names)
        if (target := table.name if key is not None and name == key.name else None)
        or (target := _REFERENCES.get((table.name, name)))
    }
    if table.name == "resolver_state":
        return lambda row: (
            row[0],
            str(ranks[_MARKS[row[0]]].get(int(row[1]), row[1])) if row[0] in _MARKS else row[1],
        )
    if not maps:
        return None
    return lambda row: tuple(
        maps[i].get(v, v) if i in maps and v is not None else v for i, v in enumerate(row)
    )


def differences(a: Mapping[str, object], b: Mapping[str, object]) -> list[str]:
    """The keys whose values differ (or that only one side has)."""
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
