"""Resolving every record's address and keeping Address ids stable in the state store."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from mast.db import bulk_insert, insert_tuples, rewriting
from mast.resolver.addresses import AddressInput, describe, resolve_addresses
from mast.resolver.stable_ids import assign_ids
from mast.schema.tables import addresses, id_history, record_addresses, records

log = logging.getLogger(__name__)
_INPUT_COLUMNS = [records.c[name] for name in AddressInput.__dataclass_fields__]


@dataclass(frozen=True)
class AddressRun:
    records: int
    linked: int
    addresses: int
    new: int
    merges: int
    splits: int
    seconds: float


def _minter(conn: sa.Connection) -> tuple[int, list[str]]:
    ids = conn.execute(sa.select(addresses.c.address_id)).scalars().all()
    highest = max((int(i[1:]) for i in ids), default=0)
    return highest, list(ids)


def resolve_all_addresses(engine: sa.Engine, *, now: datetime) -> AddressRun:
    """A full address resolution; ids carry over from the previous run (see stable_ids)."""
    started = time.perf_counter()
    with engine.connect() as conn:
        inputs = [AddressInput(*row) for row in conn.execute(sa.select(*_INPUT_COLUMNS))]
        previous = dict(
            conn.execute(
                sa.select(record_addresses.c.record_id, record_addresses.c.address_id)
            ).all()
        )
    cluster_of = resolve_addresses(inputs)
    members: dict[int, list[AddressInput]] = defaultdict(list)
    by_id = {a.record_id: a for a in inputs}
    for record_id, cluster in cluster_of.items():
        members[cluster].append(by_id[record_id])
    groups = list(members.values())
    with engine.begin() as conn:
        highest, known = _minter(conn)
        counter = iter(range(highest + 1, highest + 1 + len(groups) + 1))
        ids, events = assign_ids(
            [[m.record_id for m in g] for g in groups], previous, lambda: f"A{next(counter):08d}"
        )
        conn.execute(addresses.delete().where(addresses.c.retired_into.is_(None)))
        bulk_insert(
            conn,
            addresses,
            [
                {
                    "address_id": aid,
                    "records": len(g),
                    "updated_at": now,
                    "retired_into": None,
                    **describe(g),
                }
                for aid, g in zip(ids, groups, strict=True)
            ],
        )
        with rewriting(conn, [record_addresses]):
            insert_tuples(
                conn,
                record_addresses,
                ["record_id", "address_id"],
                [(m.record_id, aid) for aid, g in zip(ids, groups, strict=True) for m in g],
            )
        merged = {e.old_id: e.new_id for e in events if e.kind == "merge"}
        retired = [
            {"address_id": old, "retired_into": new, "records": 0, "updated_at": now}
            for old, new in merged.items()
        ]
        if retired:
            conn.execute(addresses.insert(), retired)
        if events:
            conn.execute(
                id_history.insert(),
                [
                    {
                        "entity": "address",
                        "kind": e.kind,
                        "old_id": e.old_id,
                        "new_id": e.new_id,
                        "at": now,
                    }
                    for e in events
                ],
            )
    new = len(set(ids) - set(known))
    run = AddressRun(
        len(inputs),
        len(cluster_of),
        len(groups),
        new,
        len(merged),
        sum(1 for e in events if e.kind == "split"),
        time.perf_counter() - started,
    )
    log.info(
        "addresses resolved records=%d linked=%d addresses=%d merges=%d splits=%d",
        run.records,
        run.linked,
        run.addresses,
        run.merges,
        run.splits,
    )
    return run
