"""`mast export links`: every record with its person and address, for partners and audits."""

from __future__ import annotations

import csv
from pathlib import Path

import sqlalchemy as sa

from mast.core.csv_safe import csv_safe
from mast.schema.tables import record_addresses, record_persons, records


def write_links(engine: sa.Engine, out: Path) -> int:
    """feed, record_id, person_id, address_id for every record; returns rows written."""
    query = (
        sa.select(
            records.c.feed,
            records.c.record_id,
            record_persons.c.person_id,
            record_addresses.c.address_id,
        )
        .select_from(
            records.outerjoin(
                record_persons, record_persons.c.record_id == records.c.record_id
            ).outerjoin(record_addresses, record_addresses.c.record_id == records.c.record_id)
        )
        .order_by(records.c.feed, records.c.record_id)
    )
    written = 0
    with engine.connect() as conn, out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["feed", "record_id", "person_id", "address_id"])
        for row in conn.execute(query):
            writer.writerow([csv_safe(v) for v in row])
            written += 1
    return written
