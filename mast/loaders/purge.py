"""Retention: remove everything older than the window from the state store, and say what went.

A record is kept while its interaction is inside the window, or while its case is
still open: an open case is current safeguarding involvement however old it is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from mast.core.db import chunks
from mast.schema.tables import purges, quarantine, records

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PurgeResult:
    cutoff: datetime
    records_removed: int
    quarantine_removed: int


Forget = Callable[[sa.Connection, Sequence[str]], None]
"""The resolver's door that drops what it keeps of records (`mast.resolver.forget_records`),
handed in by the caller: loaders sit below the resolver and do not import it."""


def purge(engine: sa.Engine, *, now: datetime, retention_days: int, forget: Forget) -> PurgeResult:
    """Remove records and quarantined rows older than the window; `forget` is told which
    records go, in the same transaction, before they do."""
    cutoff = now - timedelta(days=retention_days)
    # Written without NOT(...): a record with no case has NULL status, and NOT NULL is NULL.
    not_open_case = sa.or_(
        records.c.case_status.is_(None),
        records.c.case_status != "open",
        records.c.case_closed.is_not(None),
    )
    with engine.begin() as conn:
        gone = list(
            conn.execute(
                sa.select(records.c.record_id).where(records.c.occurred_at < cutoff, not_open_case)
            ).scalars()
        )
        forget(conn, gone)
        removed = 0
        for part in chunks(sorted(gone)):
            removed += conn.execute(records.delete().where(records.c.record_id.in_(part))).rowcount
        q_removed = conn.execute(
            quarantine.delete().where(quarantine.c.quarantined_at < cutoff)
        ).rowcount
        conn.execute(
            purges.insert().values(
                ran_at=now, cutoff=cutoff, records_removed=removed, quarantine_removed=q_removed
            )
        )
    log.info(
        "purge cutoff=%s records_removed=%d quarantine_removed=%d",
        cutoff.date().isoformat(),
        removed,
        q_removed,
    )
    return PurgeResult(cutoff, removed, q_removed)
