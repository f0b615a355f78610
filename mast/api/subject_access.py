"""Subject access (RELIABILITY P14): everything MAST holds about one person, across agencies,
from the state store (the source of truth), including who has viewed them."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from mast.audit.chain import AuditLog
from mast.core.errors import ConfigError
from mast.schema.tables import (
    addresses,
    decisions,
    id_history,
    person_profiles,
    persons,
    record_addresses,
    record_persons,
    records,
)


def gather(engine: sa.Engine, audit: AuditLog, person_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        person = conn.execute(sa.select(persons).where(persons.c.person_id == person_id)).first()
        if person is None:
            raise ConfigError("no person with that id (a merged id names the person it joined)")
        ids = [person_id, *_former_ids(conn, person_id)]
        held = (
            sa.select(records, record_addresses.c.address_id)
            .join(record_persons, record_persons.c.record_id == records.c.record_id)
            .outerjoin(record_addresses, record_addresses.c.record_id == records.c.record_id)
            .where(record_persons.c.person_id == person_id)
            .order_by(records.c.occurred_at, records.c.record_id)
        )
        rows = [_plain(r._asdict()) for r in conn.execute(held)]
        for row in rows:
            row["raw"] = json.loads(row["raw"])
        record_ids = [r["record_id"] for r in rows]
        places = sorted({r["address_id"] for r in rows if r["address_id"]})
        out = {
            "person": _plain(person._asdict()),
            "former_ids": ids[1:],
            "records": rows,
            "addresses": [
                _plain(r._asdict())
                for r in conn.execute(
                    sa.select(addresses).where(addresses.c.address_id.in_(places))
                )
            ],
            "ways_written": [
                _plain(r._asdict())
                for r in conn.execute(
                    sa.select(person_profiles).where(person_profiles.c.person_id == person_id)
                )
            ],
            "rulings": [
                _plain(r._asdict())
                for r in conn.execute(
                    sa.select(decisions).where(
                        sa.or_(
                            decisions.c.record_a.in_(record_ids),
                            decisions.c.record_b.in_(record_ids),
                        )
                    )
                )
            ],
        }
    out["viewed_by"] = [e for i in ids for e in audit.search(subject=i, limit=100_000)]
    return out


def _former_ids(conn: sa.Connection, person_id: str) -> list[str]:
    """Ids merged into this one, transitively."""
    found: list[str] = []
    frontier = [person_id]
    while frontier:
        rows = conn.execute(
            sa.select(id_history.c.old_id).where(
                id_history.c.entity == "person",
                id_history.c.kind == "merge",
                id_history.c.new_id.in_(frontier),
            )
        ).scalars()
        frontier = [r for r in rows if r not in found and r != person_id]
        found.extend(frontier)
    return found


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date | datetime) else v for k, v in row.items()}


def write(data: dict[str, Any], out: Path) -> None:
    out.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
