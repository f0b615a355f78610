"""The resolver's doors for other rooms' records: forget those a purge removes, and say how
many of a feed's records belong to people other feeds know. The resolver owns the tables
these read and write (record links, pending profiles, its marks); no other room touches them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from mast.core import clock
from mast.core.db import chunks
from mast.resolver.addresses.forget import forget_addresses
from mast.schema.tables import person_pending, record_persons, records


def forget_records(conn: sa.Connection, record_ids: Sequence[str]) -> None:
    """Drop the links of records about to be removed, inside the caller's transaction.

    Their address keys and addresses are worked out again here, from the records they keep
    (`forget_addresses`), so the next run need not re-resolve every address; the next
    person run re-clusters the profiles they leave (a day: their profiles are marked
    pending)."""
    if not record_ids:
        return
    forget_addresses(conn, record_ids, now=clock.now())
    pending = sa.select(person_pending.c.profile_id)
    for part in chunks(sorted(record_ids)):
        left = (
            sa.select(record_persons.c.profile_id)
            .where(record_persons.c.record_id.in_(part))
            .where(record_persons.c.profile_id.not_in(pending))
            .distinct()
        )
        conn.execute(person_pending.insert().from_select(["profile_id"], left))
        conn.execute(record_persons.delete().where(record_persons.c.record_id.in_(part)))


def share(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[float]:
    """The share of rows for which the condition holds."""
    return sa.func.avg(sa.case((condition, 1.0), else_=0.0))


def match_rates(conn: sa.Connection) -> dict[str, float]:
    """Each feed → the share of its records whose person another feed also knows."""
    feeds_per_person = (
        sa.select(
            record_persons.c.person_id,
            sa.func.count(sa.distinct(records.c.feed)).label("feeds"),
        )
        .join(records, records.c.record_id == record_persons.c.record_id)
        .group_by(record_persons.c.person_id)
        .subquery()
    )
    matched = (
        sa.select(records.c.feed, share(feeds_per_person.c.feeds > 1))
        .join(record_persons, record_persons.c.record_id == records.c.record_id)
        .join(feeds_per_person, feeds_per_person.c.person_id == record_persons.c.person_id)
        .group_by(records.c.feed)
    )
    return {str(feed): float(rate) for feed, rate in conn.execute(matched)}
