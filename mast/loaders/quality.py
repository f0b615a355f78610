"""Data quality per feed: what arrived last, what was kept, what was wrong with it, and how
much of it joined people other agencies know. Counts only: no personal data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from mast.schema.tables import files, quarantine, records


@dataclass
class FeedQuality:
    feed: str
    last_file: str | None = None
    last_received: datetime | None = None
    last_status: str | None = None
    last_rows_in: int = 0
    last_quarantined: int = 0
    records: int = 0
    quarantined: int = 0
    top_reasons: list[tuple[str, int]] = field(default_factory=list)
    missing_dob: float = 0.0
    missing_nhs: float = 0.0
    missing_postcode: float = 0.0
    invalid_postcode: float = 0.0
    invalid_nhs: float = 0.0
    match_rate: float = 0.0
    """Share of the feed's records whose person another feed also knows."""


def share(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[float]:
    """The share of rows for which the condition holds."""
    return sa.func.avg(sa.case((condition, 1.0), else_=0.0))


def feed_quality(conn: sa.Connection, match_rates: Mapping[str, float]) -> list[FeedQuality]:
    """Each feed's card. `match_rates` (feed → share of its records whose person another
    feed knows) comes from the resolver, which owns the record links
    (`mast.resolver.match_rates`)."""
    found: dict[str, FeedQuality] = {}
    latest = (
        sa.select(files.c.feed, sa.func.max(files.c.file_id).label("file_id"))
        .group_by(files.c.feed)
        .subquery()
    )
    for row in conn.execute(sa.select(files).join(latest, latest.c.file_id == files.c.file_id)):
        found[row.feed] = FeedQuality(
            row.feed, row.name, row.received_at, row.status, row.rows_in, row.quarantined
        )
    totals = sa.select(
        records.c.feed,
        sa.func.count(),
        share(sa.and_(records.c.dob.is_(None), records.c.dob_earliest.is_(None))),
        share(records.c.nhs_number.is_(None)),
        share(records.c.postcode.is_(None)),
        share(records.c.warnings.like("%postcode_invalid%")),
        share(records.c.warnings.like("%nhs_number_%")),
    ).group_by(records.c.feed)
    for feed, n, dob, nhs, postcode, bad_postcode, bad_nhs in conn.execute(totals):
        quality = found.setdefault(feed, FeedQuality(feed))
        quality.records = int(n)
        quality.missing_dob, quality.missing_nhs = float(dob), float(nhs)
        quality.missing_postcode, quality.invalid_postcode = float(postcode), float(bad_postcode)
        quality.invalid_nhs = float(bad_nhs)
    reasons = (
        sa.select(quarantine.c.feed, quarantine.c.reason_code, sa.func.count().label("n"))
        .group_by(quarantine.c.feed, quarantine.c.reason_code)
        .order_by(sa.desc("n"))
    )
    for feed, code, n in conn.execute(reasons):
        quality = found.setdefault(feed, FeedQuality(feed))
        quality.quarantined += int(n)
        if len(quality.top_reasons) < 3:
            quality.top_reasons.append((str(code), int(n)))
    for feed, rate in match_rates.items():
        found.setdefault(feed, FeedQuality(feed)).match_rate = rate
    return sorted(found.values(), key=lambda q: q.feed)


@dataclass(frozen=True)
class Delivery:
    """One file of a feed, as received and as kept: a point on the feed's trend."""

    file_id: int
    name: str
    received_at: datetime
    status: str
    rows_in: int
    stored: int
    updated: int
    quarantined: int
    duplicates: int
    missing_dob: float
    missing_nhs: float
    missing_postcode: float
    invalid_postcode: float
    invalid_nhs: float


def feed_trend(conn: sa.Connection, feed: str, limit: int = 30) -> list[Delivery]:
    """The feed's last `limit` files, oldest first, with the shares of their kept records."""
    last = conn.execute(
        sa.select(files).where(files.c.feed == feed).order_by(files.c.file_id.desc()).limit(limit)
    ).all()
    ids = [f.file_id for f in last]
    shares = {
        row[0]: row[1:]
        for row in conn.execute(
            sa.select(
                records.c.file_id,
                share(sa.and_(records.c.dob.is_(None), records.c.dob_earliest.is_(None))),
                share(records.c.nhs_number.is_(None)),
                share(records.c.postcode.is_(None)),
                share(records.c.warnings.like("%postcode_invalid%")),
                share(records.c.warnings.like("%nhs_number_%")),
            )
            .where(records.c.file_id.in_(ids))
            .group_by(records.c.file_id)
        )
    }
    return [
        Delivery(
            f.file_id,
            f.name,
            f.received_at,
            f.status,
            f.rows_in,
            f.stored,
            f.updated,
            f.quarantined,
            f.duplicates,
            *(float(v) for v in shares.get(f.file_id, (0.0,) * 5)),
        )
        for f in reversed(last)
    ]
