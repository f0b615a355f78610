"""Retention: remove everything older than the window from the state store, and say what went.

A record is kept while its interaction is inside the window, or while its case is
still open: an open case is current safeguarding involvement however old it is.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from mast.schema.tables import (
    ADDRESS_MARK,
    person_pending,
    purges,
    quarantine,
    record_addresses,
    record_persons,
    records,
    resolver_state,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PurgeResult:
    cutoff: datetime
    records_removed: int
    quarantine_removed: int


def purge(engine: sa.Engine, *, now: datetime, retention_days: int) -> PurgeResult:
    cutoff = now - timedelta(days=retention_days)
    # Written without NOT(...): a record with no case has NULL status, and NOT NULL is NULL.
    not_open_case = sa.or_(
        records.c.case_status.is_(None),
        records.c.case_status != "open",
        records.c.case_closed.is_not(None),
    )
    with engine.begin() as conn:
        removed = conn.execute(
            records.delete().where(records.c.occurred_at < cutoff, not_open_case)
        ).rowcount
        if removed:
            # Their links to people and places go with them. The next person run re-clusters
            # the profiles they leave (incrementally); addresses are re-resolved in full,
            # because an address key's counts and UPRNs are sums over its records.
            gone = ~sa.exists().where(records.c.record_id == record_persons.c.record_id)
            left = sa.select(record_persons.c.profile_id).where(gone).distinct()
            pending = sa.select(person_pending.c.profile_id)
            conn.execute(
                person_pending.insert().from_select(
                    ["profile_id"], left.where(record_persons.c.profile_id.not_in(pending))
                )
            )
            for link in (record_addresses, record_persons):
                conn.execute(
                    link.delete().where(~sa.exists().where(records.c.record_id == link.c.record_id))
                )
            conn.execute(resolver_state.delete().where(resolver_state.c.key == ADDRESS_MARK))
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
