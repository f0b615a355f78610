"""A fingerprint of what MAST holds: rows and a SHA-256 per state-store table, and the
graph's counts. Two homes that hold the same data have the same fingerprint, whatever
happened on the way (a crash and a replay, a backup and a restore).

Left out: logs of what happened rather than what is held (runs, purges, the audit trail,
accounts) and columns that record the wall clock of an action (when a file arrived, when a
row was quarantined), which differ between two loads of the same data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

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


def state_fingerprint(engine: sa.Engine) -> dict[str, tuple[int, str]]:
    """table → (rows, SHA-256 of its rows in key order)."""
    out = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            if table.name in _LOGS:
                continue
            skip = _WALL_CLOCK.get(table.name, set())
            columns = [c for c in table.columns if c.name not in skip]
            order = list(table.primary_key.columns) if table.name not in _WALL_CLOCK else columns
            digest = hashlib.sha256()
            rows = 0
            for row in conn.execute(sa.select(*columns).order_by(*order)):
                digest.update(repr(tuple(row)).encode())
                rows += 1
            out[table.name] = (rows, digest.hexdigest())
    return out


def differences(a: Mapping[str, object], b: Mapping[str, object]) -> list[str]:
    """The keys whose values differ (or that only one side has)."""
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
