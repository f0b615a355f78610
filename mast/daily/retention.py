"""The retention purge, with its audit entry (RELIABILITY P12: the purge is audited).

The entry is written first, as for every read: if the audit trail cannot be written, nothing
is removed. A purge killed after its entry is simply done again by the next run.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from mast.audit.chain import AuditLog, Entry
from mast.core.settings import Settings
from mast.loaders.purge import PurgeResult, purge
from mast.resolver import change_feed, forget_records


def audited_purge(engine: sa.Engine, settings: Settings, *, now: datetime, by: str) -> PurgeResult:
    audit = AuditLog.open(engine, settings)
    cutoff = now - timedelta(days=settings.retention_days)
    audit.append(
        Entry(
            username=by,
            role="system",
            agency="mast",
            purpose="retention",
            operation="purge",
            params={"cutoff": cutoff.isoformat(), "retention_days": settings.retention_days},
        )
    )
    done = purge(engine, now=now, retention_days=settings.retention_days, forget=forget_records)
    # The change feed keeps the same window: an app that has not read it for longer must
    # read the people it follows afresh anyway (the API says so: CURSOR_EXPIRED).
    with engine.begin() as conn:
        change_feed.prune(conn, before=cutoff)
    return done
