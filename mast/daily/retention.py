"""The retention purge, with its audit entry (RELIABILITY P12: the purge is audited).

The entry is written first, as for every read: if the audit trail cannot be written, nothing
is removed. A purge killed after its entry is simply done again by the next run.

The window moves a day at a time, so the daily run purges once a day however often it runs
(`purge_due`): on its first run from MAST_DAILY_AT on.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from mast.audit.chain import AuditLog, Entry
from mast.core.settings import Settings
from mast.loaders.purge import PurgeResult, purge
from mast.resolver import change_feed, forget_records
from mast.schema.tables import purges


def purge_due(engine: sa.Engine, settings: Settings, *, now: datetime) -> bool:
    """Whether no purge has run since the latest MAST_DAILY_AT (in MAST_TIMEZONE) at or
    before `now` (naive UTC, as stored)."""
    zone = ZoneInfo(settings.timezone)
    local = now.replace(tzinfo=UTC).astimezone(zone)
    hour, minute = (int(part) for part in settings.daily_at.split(":"))
    since = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if since > local:
        since -= timedelta(days=1)
    with engine.connect() as conn:
        last = conn.execute(sa.select(sa.func.max(purges.c.ran_at))).scalar()
    return last is None or last < since.astimezone(UTC).replace(tzinfo=None)


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
