"""What address and person resolution both keep in the state store: high-water marks, the
history of merged and split ids."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

import sqlalchemy as sa

from mast.core.db import chunks
from mast.resolver.stable_ids import IdEvent
from mast.schema.tables import (
    ADDRESS_MARK,
    address_moves,
    decisions,
    id_history,
    person_pending,
    records,
    resolver_state,
)

FILE_MARK, DECISION_MARK = "person_file_id", "person_decision_id"
"""How far the last person run read: records' file ids and reviewers' decisions."""


def get_mark(conn: sa.Connection, key: str) -> int:
    value = conn.execute(
        sa.select(resolver_state.c.value).where(resolver_state.c.key == key)
    ).scalar()
    return int(value) if value is not None else 0


def pending_work(conn: sa.Connection) -> bool:
    """Whether a resolve has anything to do: records or rulings after its marks (or a mark
    cleared), profiles a purge left to re-cluster, records an address run moved. Read from
    a few indexed rows, so a run with nothing new can say so at once."""
    top_file = conn.execute(sa.select(sa.func.max(records.c.file_id))).scalar() or 0
    top_ruling = conn.execute(sa.select(sa.func.max(decisions.c.decision_id))).scalar() or 0
    if top_file > min(get_mark(conn, ADDRESS_MARK), get_mark(conn, FILE_MARK)):
        return True
    if top_ruling > get_mark(conn, DECISION_MARK):
        return True
    return any(
        conn.execute(sa.select(table.c[column]).limit(1)).first() is not None
        for table, column in ((person_pending, "profile_id"), (address_moves, "record_id"))
    )


def set_mark(conn: sa.Connection, key: str, value: int) -> None:
    conn.execute(resolver_state.delete().where(resolver_state.c.key == key))
    conn.execute(resolver_state.insert().values(key=key, value=str(value)))


def id_minter(conn: sa.Connection, table: sa.Table, prefix: str) -> Callable[[], str]:
    """Mints the ids of `table` (persons or addresses) after the newest stored: a prefix and
    eight or more digits, minted in order, so the longest, then the greatest, is the newest,
    found by the database's index rather than every id read into Python."""
    (key,) = table.primary_key.columns
    newest = conn.execute(
        sa.select(key).order_by(sa.func.length(key).desc(), key.desc()).limit(1)
    ).scalar()
    numbers = iter(range(int(newest[len(prefix) :]) + 1 if newest else 1, 1 << 62))
    return lambda: f"{prefix}{next(numbers):08d}"


def write_id_events(
    conn: sa.Connection, table: sa.Table, entity: str, events: list[IdEvent], *, now: datetime
) -> None:
    """Mark each merged-away id `retired_into` its survivor in `table` (persons or
    addresses), and add every merge and split to `id_history`."""
    (key,) = table.primary_key.columns
    merged = {e.old_id: e.new_id for e in events if e.kind == "merge"}
    for part in chunks(sorted(merged)):
        conn.execute(table.delete().where(key.in_(part)))
    if merged:
        conn.execute(
            table.insert(),
            [
                {key.name: old, "retired_into": new, "records": 0, "updated_at": now}
                for old, new in merged.items()
            ],
        )
    if events:
        conn.execute(
            id_history.insert(),
            [
                {
                    "entity": entity,
                    "kind": e.kind,
                    "old_id": e.old_id,
                    "new_id": e.new_id,
                    "at": now,
                }
                for e in events
            ],
        )


RETIRED = "retire"
"""`id_history.kind` of a person or address whose every record left (purged, or moved to
others): its row is gone and it has no survivor, so `new_id` is empty."""


def active_ids(conn: sa.Connection, table: sa.Table) -> set[str]:
    """Every id of `table` (persons or addresses) not merged into another."""
    (key,) = table.primary_key.columns
    return set(conn.execute(sa.select(key).where(table.c.retired_into.is_(None))).scalars())


def write_retired(
    conn: sa.Connection, table: sa.Table, entity: str, were: Iterable[str], *, now: datetime
) -> list[str]:
    """Of these ids, active before a run wrote `table`, those it left with no row (not
    merged, which keeps a row `retired_into` its survivor): each is recorded in `id_history`
    as retired, so the graph and the change feed see it go. Returns them."""
    (key,) = table.primary_key.columns
    candidates = sorted(set(were))
    present = {
        found
        for part in chunks(candidates)
        for found in conn.execute(sa.select(key).where(key.in_(part))).scalars()
    }
    retired = [i for i in candidates if i not in present]
    if retired:
        conn.execute(
            id_history.insert(),
            [
                {"entity": entity, "kind": RETIRED, "old_id": i, "new_id": "", "at": now}
                for i in retired
            ],
        )
    return retired
