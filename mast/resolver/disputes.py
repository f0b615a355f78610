"""'Not this person': a practitioner's or reviewer's report that a record is someone else's.

The report is stored with who and why and queues a review item at once (`rulings.report_link`);
until a reviewer rules, every page and the API show the record as disputed, so a wrong event
does not sit unflagged on a chronology until the next night's run. A reviewer's unlink keeps
the flag until the next resolve moves the record off the person (the unlink rules it apart
from all of that person's other records, `rulings.unlink_reported`); a link clears it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from mast.core.db import chunks, inserted_key
from mast.resolver.rulings import ReviewError, on_reported_person, report_link, ruling_on
from mast.schema.tables import decisions, disputes, record_persons, review_items

MAX_REASON = 1000


@dataclass(frozen=True)
class Dispute:
    dispute_id: int
    record_id: str
    item_id: int
    reported_by: str
    reason: str
    reported_at: datetime
    state: str  # "open": waiting for a reviewer; "upheld": unlinked, moves at the next run


def report(
    engine: sa.Engine, record_id: str, *, person_id: str, by: str, reason: str, now: datetime
) -> Dispute:
    """Store the report and queue its review item, in one transaction when `engine` is an
    audited change's. ReviewError if the reason is empty or the record is not this person's."""
    reason = " ".join(reason.split())
    if not reason:
        raise ReviewError("say why this record is not this person")
    if len(reason) > MAX_REASON:
        raise ReviewError(f"a reason is at most {MAX_REASON} characters")
    with engine.connect() as conn:
        owner = conn.execute(
            sa.select(record_persons.c.person_id).where(record_persons.c.record_id == record_id)
        ).scalar()
    if owner != person_id:
        raise ReviewError("that record is not linked to this person")
    item = report_link(engine, record_id, now=now)
    with engine.begin() as conn:
        # The reviewer reads who reported it and why with the item (`mast review list`).
        conn.execute(
            review_items.update()
            .where(review_items.c.item_id == item, review_items.c.evidence.is_(None))
            .values(evidence=f"reported by {by}: {reason}")
        )
        key = inserted_key(
            conn,
            disputes,
            record_id=record_id,
            person_id=person_id,
            item_id=item,
            reported_by=by,
            reason=reason,
            reported_at=now,
        )
    return Dispute(key, record_id, item, by, reason, now, "open")


def disputed(conn: sa.Connection, record_ids: list[str]) -> dict[str, Dispute]:
    """The standing dispute of each of these records (the newest report): open while its
    review item is open, upheld once a reviewer unlinked it; a ruling to link ends it."""
    out: dict[str, Dispute] = {}
    for part in chunks(sorted(set(record_ids))):
        rows = conn.execute(
            sa.select(
                disputes,
                review_items.c.status,
                review_items.c.record_a,
                review_items.c.record_b,
            )
            .join(review_items, review_items.c.item_id == disputes.c.item_id)
            .join(record_persons, on_reported_person())
            .where(disputes.c.record_id.in_(part))
            .order_by(disputes.c.dispute_id)
        ).all()
        for r in rows:
            state = "open"
            partner = r.record_a if r.record_b == r.record_id else r.record_b
            if r.status != "open":
                ruling = conn.execute(
                    sa.select(decisions.c.decision)
                    .where(ruling_on(r.record_id, partner), decisions.c.decided_at >= r.reported_at)
                    .order_by(decisions.c.decision_id.desc())
                ).scalar()
                if ruling != "unlink":
                    out.pop(r.record_id, None)
                    continue
                state = "upheld"
            out[r.record_id] = Dispute(
                r.dispute_id, r.record_id, r.item_id, r.reported_by, r.reason, r.reported_at, state
            )
    return out
