"""The address tables of the state store: keys, links, descriptions and counts.

Storage only; `run.py` decides what to write.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from mast.core.db import chunks, fetch_tuples, insert_tuples, sync_rows
from mast.resolver.addresses.describe import (
    DESCRIBED,
    Tally,
    count_values,
    describe,
    describe_grown,
)
from mast.resolver.addresses.keys import (
    AddressInput,
    Key,
    KeyState,
    door_of,
    name_here,
    name_of,
    place_of,
)
from mast.resolver.addresses.learned import blocks_of
from mast.resolver.stable_ids import IdEvent
from mast.schema.tables import (
    address_key_blocks,
    address_key_links,
    address_key_uprns,
    address_keys,
    address_models,
    address_moves,
    address_tallies,
    address_waiting,
    addresses,
    record_addresses,
    records,
)

log = logging.getLogger(__name__)
INPUT_COLUMNS = [records.c[name] for name in AddressInput._fields]
KEY_NAMES = ["key", "uprns", "town", "locality", "records", "address_id"]
"""What a daily run reads of a key; a key's row also holds its place, door and name, to
search."""
KEY_COLUMNS = [address_keys.c[name] for name in KEY_NAMES]
SEP = "\x1f"
KEY_PARTS = 5
"""Postcode, premises, flat, street and building name (`Key`)."""


@dataclass(frozen=True)
class AddressRun:
    mode: str  # full | incremental
    records: int  # records read in this run
    linked: int  # of those, records that name a place
    addresses: int  # active addresses in the store afterwards
    new: int
    merges: int
    splits: int
    seconds: float


def key_of(text: str) -> Key:
    postcode, premises, flat, street, name = text.split(SEP)
    return postcode, premises, flat, street, name


def waiting_records(conn: sa.Connection, keys: Iterable[Key]) -> list[AddressInput]:
    """The records waiting for these keys to name a place."""
    joined = records.join(address_waiting, address_waiting.c.record_id == records.c.record_id)
    return [
        AddressInput(*row)
        for part in chunks(sorted(SEP.join(k) for k in keys))
        for row in fetch_tuples(
            conn,
            sa.select(*INPUT_COLUMNS).select_from(joined).where(address_waiting.c.key.in_(part)),
        )
    ]


def records_of(conn: sa.Connection, address_ids: Iterable[str]) -> list[tuple[AddressInput, str]]:
    """The records now linked to these addresses, each with the address it is linked to."""
    joined = records.join(record_addresses, record_addresses.c.record_id == records.c.record_id)
    width = len(INPUT_COLUMNS)
    return [
        (AddressInput(*row[:width]), row[width])
        for part in chunks(sorted(address_ids))
        for row in fetch_tuples(
            conn,
            sa.select(*INPUT_COLUMNS, record_addresses.c.address_id)
            .select_from(joined)
            .where(record_addresses.c.address_id.in_(part)),
        )
    ]


KEPT_TALLY = 100
"""Addresses with at least this many records keep their counts (`address_tallies`); the
database counts fewer about as quickly as their counts could be read."""


def tallies(conn: sa.Connection, address_ids: Iterable[str]) -> dict[str, tuple[int, Tally]]:
    """Each address's record count and its records' values: kept counts where there are
    some, else counted by the database, where a few dozen records come back as a few rows."""
    ids = sorted(address_ids)
    t = address_tallies.c
    counts: dict[str, tuple[int, Tally]] = {
        aid: (n, json.loads(text))
        for part in chunks(ids)
        for aid, n, text in fetch_tuples(
            conn, sa.select(t.address_id, t.records, t.counts).where(t.address_id.in_(part))
        )
    }
    fields = [records.c[name] for name in DESCRIBED]
    link = record_addresses.c.address_id
    joined = records.join(record_addresses, record_addresses.c.record_id == records.c.record_id)
    for part in chunks([aid for aid in ids if aid not in counts]):
        query = (
            sa.select(link, *fields, sa.func.count())
            .select_from(joined)
            .where(link.in_(part))
            .group_by(link, *fields)
        )
        for aid, *values, n in fetch_tuples(conn, query):
            total, counted = counts.get(aid) or (0, {name: {} for name in DESCRIBED})
            count_values(counted, values, n)
            counts[aid] = (total + n, counted)
    return counts


def agreeing(
    conn: sa.Connection, address_ids: Iterable[str], placed: Mapping[str, list[AddressInput]]
) -> dict[str, tuple[int, dict[str, str | bool | None]]]:
    """Addresses that gain the records `placed` in them, each agreeing with how the address
    is described (`describe_grown`), and stay below KEPT_TALLY records: each one's record
    count and description, worked out without counting its records again."""
    c = addresses.c
    found: dict[str, tuple[int, dict[str, str | bool | None]]] = {}
    for part in chunks(sorted(address_ids)):
        query = sa.select(c.address_id, c.records, *(c[name] for name in DESCRIBED))
        for aid, n, *values in fetch_tuples(conn, query.where(c.address_id.in_(part))):
            group = placed.get(aid, [])
            described = describe_grown(dict(zip(DESCRIBED, values, strict=True)), group)
            if described is not None and n + len(group) < KEPT_TALLY:
                found[aid] = (n + len(group), described)
    return found


def keep_tallies(
    conn: sa.Connection, counts: dict[str, tuple[int, Tally]], *, replacing: Iterable[str] | None
) -> None:
    """Keep the counts of these addresses that have many records, in place of those kept
    for the addresses `replacing`; `replacing=None` (a full run) makes them all there are."""
    rows = [
        (aid, n, json.dumps(counted, sort_keys=True))
        for aid, (n, counted) in counts.items()
        if n >= KEPT_TALLY
    ]
    names = ["address_id", "records", "counts"]
    if replacing is None:
        sync_rows(conn, address_tallies, names, rows)
        return
    for part in chunks(sorted(replacing)):
        conn.execute(address_tallies.delete().where(address_tallies.c.address_id.in_(part)))
    insert_tuples(conn, address_tallies, names, rows)


def note_moves(conn: sa.Connection, record_ids: list[str]) -> None:
    """Leave records now at another address (or none) for the next person run."""
    known = {
        rid
        for part in chunks(sorted(record_ids))
        for rid in conn.execute(
            sa.select(address_moves.c.record_id).where(address_moves.c.record_id.in_(part))
        ).scalars()
    }
    insert_tuples(
        conn, address_moves, ["record_id"], [(r,) for r in sorted(set(record_ids) - known)]
    )


DESCRIPTION = [*DESCRIBED, "residential"]
ADDRESS_COLUMNS = ["address_id", "records", "updated_at", "retired_into", *DESCRIPTION]


def address_row(
    aid: str, records: int, described: dict[str, str | bool | None], now: datetime
) -> tuple[object, ...]:
    return (aid, records, now, None, *(described[n] for n in DESCRIPTION))


def write_addresses(
    conn: sa.Connection, groups: dict[str, list[AddressInput]], *, now: datetime
) -> None:
    """Make these all the active addresses there are (a full run), writing only those that
    changed: the rest keep their `updated_at`."""
    sync_rows(
        conn,
        addresses,
        ADDRESS_COLUMNS,
        [address_row(aid, len(g), describe(g), now) for aid, g in groups.items()],
        where=addresses.c.retired_into.is_(None),
        compare=[n for n in ADDRESS_COLUMNS if n != "updated_at"],
    )


def write_keys(
    conn: sa.Connection, states: dict[Key, KeyState], ids: dict[Key, str], *, every: bool = False
) -> None:
    """Insert these keys' rows; or, `every`, make them all the keys there are. A key of no
    place (`cluster_keys`) is kept, without an address, for the days that may place it."""
    names = [*KEY_NAMES, "place", "door", "name", "name_here"]
    rows = [
        (
            SEP.join(k),
            ",".join(sorted(s.uprns)) or None,
            *s.place,
            s.records,
            ids.get(k, ""),
            SEP.join(place_of(k)),
            SEP.join(door) if (door := door_of(k)) is not None else None,
            SEP.join(name) if (name := name_of(k)) is not None else None,
            SEP.join(here) if (here := name_here(k)) is not None else None,
        )
        for k, s in states.items()
    ]
    uprn_rows = [(uprn, SEP.join(k)) for k, s in states.items() for uprn in s.uprns]
    block_rows = [(b, SEP.join(k)) for k in states for b in blocks_of(k)]
    if every:
        sync_rows(conn, address_keys, names, rows)
        sync_rows(conn, address_key_uprns, ["uprn", "key"], uprn_rows)
        sync_rows(conn, address_key_blocks, ["block", "key"], block_rows)
    else:
        insert_tuples(conn, address_keys, names, rows)
        insert_tuples(conn, address_key_uprns, ["uprn", "key"], uprn_rows)
        insert_tuples(conn, address_key_blocks, ["block", "key"], block_rows)


def delete_keys(conn: sa.Connection, keys: Iterable[Key]) -> None:
    """Delete these keys' rows, to write them again (`write_keys`)."""
    for part in chunks([SEP.join(k) for k in keys]):
        for table in (address_keys, address_key_uprns, address_key_blocks):
            conn.execute(table.delete().where(table.c.key.in_(part)))


def write_links(
    conn: sa.Connection, links: Iterable[tuple[Key, Key]], *, replacing: Iterable[Key] | None
) -> None:
    """Store these learned links, each way round, in place of those of the keys `replacing`
    (their scores are new); `replacing=None` (a full run) makes them all there are."""
    rows = sorted({(SEP.join(a), SEP.join(b)) for x, y in links for a, b in ((x, y), (y, x))})
    if replacing is None:
        sync_rows(conn, address_key_links, ["key", "other"], rows)
        return
    links_c = address_key_links.c
    for part in chunks(sorted(SEP.join(k) for k in replacing)):
        conn.execute(
            address_key_links.delete().where(links_c.key.in_(part) | links_c.other.in_(part))
        )
    insert_tuples(conn, address_key_links, ["key", "other"], rows)


def linked_to(conn: sa.Connection, keys: Iterable[Key]) -> list[tuple[Key, Key]]:
    """The stored links of these keys, each as (key, other)."""
    links_c = address_key_links.c
    return [
        (key_of(a), key_of(b))
        for part in chunks(sorted(SEP.join(k) for k in keys))
        for a, b in fetch_tuples(
            conn, sa.select(links_c.key, links_c.other).where(links_c.key.in_(part))
        )
    ]


def in_blocks(conn: sa.Connection, keys: Iterable[Key]) -> list[str]:
    """The stored keys (as text) sharing a candidate block with any of these."""
    b = address_key_blocks.c
    blocks = sorted({block for k in keys for block in blocks_of(k)})
    return sorted(
        {
            key
            for part in chunks(blocks)
            for (key,) in fetch_tuples(conn, sa.select(b.key).where(b.block.in_(part)))
        }
    )


def latest_model(conn: sa.Connection) -> dict[str, Any] | None:
    """The address model kept, if any."""
    m = address_models.c
    row = conn.execute(sa.select(m.settings).order_by(m.model_id.desc()).limit(1)).scalar()
    return json.loads(row) if row else None


def save_model(conn: sa.Connection, model: dict[str, Any], *, keys: int, now: datetime) -> None:
    conn.execute(
        address_models.insert().values(trained_at=now, keys=keys, settings=json.dumps(model))
    )


def report(  # noqa: PLR0917 - the figures of one run
    mode: str,
    inputs: list[AddressInput],
    record_key: dict[str, Key],
    ids: list[str],
    old_ids: set[str],  # ids the run started from: the rest were minted
    events: list[IdEvent],
    started: float,
    engine: sa.Engine,
) -> AddressRun:
    with engine.connect() as conn:
        total = conn.execute(
            sa.select(sa.func.count()).where(addresses.c.retired_into.is_(None))
        ).scalar_one()
    run = AddressRun(
        mode,
        len(inputs),
        len(record_key),
        total,
        len(set(ids) - old_ids),
        sum(1 for e in events if e.kind == "merge"),
        sum(1 for e in events if e.kind == "split"),
        time.perf_counter() - started,
    )
    log.info(
        "addresses resolved mode=%s records=%d linked=%d addresses=%d merges=%d splits=%d",
        run.mode,
        run.records,
        run.linked,
        run.addresses,
        run.merges,
        run.splits,
    )
    return run
