"""Resolving records' addresses in the state store, with stable Address ids.

A full run reads every record. A daily run reads only records that arrived since the last
run, folds them into the stored key table (`address_keys`: one row per distinct postcode,
premises, flat, street and building name, with its UPRNs, town and record count) and
re-clusters the keys within reach — tens of thousands, not hundreds of thousands of records.
Clustering keys in key order and voting ids by record counts gives exactly the answer a full
run would; only the addresses whose keys moved, or that gained records, are rewritten.
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa

from mast.db import chunks, fetch_tuples, insert_tuples, sync_rows
from mast.resolver.addresses.cluster import cluster_keys, within_reach
from mast.resolver.addresses.describe import describe_tally, tally
from mast.resolver.addresses.keys import (
    AddressInput,
    Key,
    KeyState,
    add_inputs,
    address_key,
    door_of,
    names_reached,
    place_of,
)
from mast.resolver.addresses.store import (
    ADDRESS_COLUMNS,
    INPUT_COLUMNS,
    KEPT_TALLY,
    KEY_COLUMNS,
    KEY_PARTS,
    SEP,
    AddressRun,
    address_row,
    agreeing,
    keep_tallies,
    key_of,
    note_moves,
    records_of,
    report,
    tallies,
    waiting_records,
    write_addresses,
    write_keys,
)
from mast.resolver.bookkeeping import get_mark, id_minter, set_mark, write_id_events
from mast.resolver.stable_ids import assign_ids
from mast.schema.tables import (
    ADDRESS_MARK,
    address_key_uprns,
    address_keys,
    address_waiting,
    addresses,
    record_addresses,
    records,
)


def resolve_all_addresses(engine: sa.Engine, *, now: datetime, full: bool = False) -> AddressRun:
    """Resolve addresses: only the new records, unless `full` or no key table is stored yet."""
    started = time.perf_counter()
    with engine.connect() as conn:
        mark = get_mark(conn, ADDRESS_MARK)
        top = conn.execute(sa.select(sa.func.max(records.c.file_id))).scalar() or 0
        # A key table from before keys were indexed by place, or held building names, has
        # its keys to write again.
        stored = conn.execute(
            sa.select(address_keys.c.key).where(address_keys.c.place.is_not(None)).limit(1)
        ).scalar()
        keyed = stored is not None and stored.count(SEP) == KEY_PARTS - 1
        fresh: list[AddressInput] | None = None
        if not full and mark and keyed:
            fresh = [
                AddressInput(*row)
                for row in conn.execute(sa.select(*INPUT_COLUMNS).where(records.c.file_id > mark))
            ]
            if _any_linked(conn, [a.record_id for a in fresh]):
                fresh = None  # a record changed in place: its old key's counts are stale
    if fresh is None:
        return _full(engine, now=now, started=started, mark=top)
    if not fresh:  # no new records: every address stands as it is
        return report("incremental", [], {}, [], set(), [], started, engine)
    return _incremental(engine, fresh, now=now, started=started, mark=top)


def _any_linked(conn: sa.Connection, record_ids: list[str]) -> bool:
    return any(
        conn.execute(
            sa.select(table.c.record_id).where(table.c.record_id.in_(part)).limit(1)
        ).first()
        for table in (record_addresses, address_waiting)
        for part in chunks(record_ids)
    )


def _full(engine: sa.Engine, *, now: datetime, started: float, mark: int) -> AddressRun:
    with engine.connect() as conn:
        inputs = list(map(AddressInput._make, fetch_tuples(conn, sa.select(*INPUT_COLUMNS))))
        previous = dict(
            fetch_tuples(
                conn, sa.select(record_addresses.c.record_id, record_addresses.c.address_id)
            )
        )
    states: dict[Key, KeyState] = {}
    record_key = add_inputs(states, inputs)
    of_key = cluster_keys(states)
    waiting = [(rid, SEP.join(key)) for rid, key in record_key.items() if key not in of_key]
    record_key = {rid: key for rid, key in record_key.items() if key in of_key}
    members: dict[int, list[AddressInput]] = defaultdict(list)
    by_id = {a.record_id: a for a in inputs}
    for record_id, key in record_key.items():
        members[of_key[key]].append(by_id[record_id])
    groups = [members[n] for n in sorted(members)]
    with engine.begin() as conn:
        ids, events = assign_ids(
            [[m.record_id for m in g] for g in groups], previous, id_minter(conn, addresses, "A")
        )
        of_id = dict(zip(ids, groups, strict=True))
        write_addresses(conn, of_id, now=now)
        many = {aid: (len(g), tally(g)) for aid, g in of_id.items() if len(g) >= KEPT_TALLY}
        keep_tallies(conn, many, replacing=None)
        now_at = {m.record_id: aid for aid, g in zip(ids, groups, strict=True) for m in g}
        sync_rows(conn, record_addresses, ["record_id", "address_id"], list(now_at.items()))
        write_keys(conn, states, {k: ids[n] for k, n in of_key.items()}, every=True)
        sync_rows(conn, address_waiting, ["record_id", "key"], waiting)
        note_moves(conn, [rid for rid, aid in previous.items() if now_at.get(rid) != aid])
        write_id_events(conn, addresses, "address", events, now=now)
        set_mark(conn, ADDRESS_MARK, mark)
    return report("full", inputs, record_key, ids, set(previous.values()), events, started, engine)


class _Reach(NamedTuple):
    states: dict[Key, KeyState]
    """the keys within reach, stored ones as stored and then with the new records added"""
    before: dict[Key, str]
    """each stored key's address, if it has one"""
    weights: dict[str, int]
    """each stored key's records"""
    record_key: dict[str, Key]
    """each new record's key"""


def _within_reach(conn: sa.Connection, fresh: list[AddressInput]) -> _Reach:
    """The keys the new records' keys could join, read from the store by its indexes on
    place, door, name and UPRN (`within_reach`), with the new records folded in: the only keys
    that can move. Keys not stored yet are all new records' keys, so only stored keys need
    looking up."""
    found = _Reach({}, {}, {}, {})
    states = found.states

    def load(where: sa.ColumnElement[bool]) -> list[Key]:
        """The stored keys matching `where`, each one's state kept the first time."""
        matched = []
        for text, uprns, town, locality, n, aid in fetch_tuples(
            conn, sa.select(*KEY_COLUMNS).where(where)
        ):
            key = key_of(text)
            matched.append(key)
            if key not in states:
                uprn_set = set(filter(None, (uprns or "").split(",")))
                states[key] = KeyState(uprn_set, (town, locality), n)
                if aid:  # a key of no place has none
                    found.before[key] = aid
                    found.weights[text] = n
        return matched

    def neighbours(keys: list[Key]) -> list[Key]:
        k, u = address_keys.c, address_key_uprns.c
        places = sorted({SEP.join(place_of(key)) for key in keys})
        doors = sorted({SEP.join(d) for key in keys if (d := door_of(key)) is not None})
        reached = [names_reached(key) for key in keys]
        heres = sorted({SEP.join(h) for hs, _ in reached for h in hs})
        names = sorted({SEP.join(n) for _, n in reached if n is not None})
        uprns = sorted({uprn for key in keys for uprn in states[key].uprns})
        return [
            key
            for where in (
                *(k.place.in_(part) for part in chunks(places)),
                *(k.door.in_(part) for part in chunks(doors)),
                *(k.name_here.in_(part) for part in chunks(heres)),
                *(k.name.in_(part) for part in chunks(names)),
                *(k.key.in_(sa.select(u.key).where(u.uprn.in_(p))) for p in chunks(uprns)),
            )
            for key in load(where)
        ]

    seeds = {key for a in fresh if (key := address_key(a)) is not None}
    for part in chunks(sorted(SEP.join(key) for key in seeds)):
        load(address_keys.c.key.in_(part))
    found.record_key.update(add_inputs(states, fresh))
    within_reach(seeds, neighbours)  # reads every key it reaches, and only those
    return found


def _incremental(
    engine: sa.Engine, fresh: list[AddressInput], *, now: datetime, started: float, mark: int
) -> AddressRun:
    with engine.connect() as conn:
        states, before, weights, record_key = _within_reach(conn, fresh)
    reach = set(states)
    of_key = cluster_keys(states)
    placed_key = {rid: key for rid, key in record_key.items() if key in of_key}
    key_groups: dict[int, list[str]] = defaultdict(list)
    for key, n in of_key.items():
        key_groups[n].append(SEP.join(key))
    with engine.begin() as conn:
        ids, events = assign_ids(
            [key_groups[n] for n in sorted(key_groups)],
            {SEP.join(k): before[k] for k in reach if k in before},
            id_minter(conn, addresses, "A"),
            weights=weights,
        )
        after = {k: ids[n] for k, n in of_key.items()}
        moved = {k for k in reach if after.get(k) != before.get(k)}
        touched = moved | set(record_key.values())
        losing = {before[k] for k in moved if k in before}
        affected = losing | {after[k] for k in touched if k in after}
        # Only records of an address with a key that moved can move: those are read whole;
        # the records of an address that only gained some are counted by the database.
        linked = records_of(conn, losing)
        # Records of a key of no place before, that now has one, wait in address_waiting.
        rising = waiting_records(conn, [k for k in touched if k in after and k not in before])
        everyone = {a.record_id: a for a in [*(a for a, _ in linked), *rising, *fresh]}
        placed: dict[str, list[AddressInput]] = defaultdict(list)
        unplaced: list[tuple[str, str]] = []
        for a in everyone.values():
            where = address_key(a)
            if where is not None and where in after:
                placed[after[where]].append(a)
            elif where is not None:
                unplaced.append((a.record_id, SEP.join(where)))
        for part in chunks(sorted(everyone)):
            conn.execute(address_waiting.delete().where(address_waiting.c.record_id.in_(part)))
        insert_tuples(conn, address_waiting, ["record_id", "key"], unplaced)
        # An address that only gained records that agree with it is described as it was.
        agreed = agreeing(conn, affected - losing, placed)
        counts = tallies(conn, affected - losing - agreed.keys())
        for aid, group in placed.items():
            if aid not in agreed:
                n, counted = counts.get(aid, (0, None))
                counts[aid] = (n + len(group), tally(group, counted))
        was = {a.record_id: aid for a, aid in linked}
        now_at = {a.record_id: aid for aid, group in placed.items() for a in group}
        moves = sorted(rid for rid, aid in was.items() if now_at.get(rid) != aid)
        for part in chunks(moves):
            conn.execute(record_addresses.delete().where(record_addresses.c.record_id.in_(part)))
        note_moves(conn, moves)
        insert_tuples(
            conn,
            record_addresses,
            ["record_id", "address_id"],
            [(rid, aid) for rid, aid in now_at.items() if was.get(rid) != aid],
        )
        for part in chunks(sorted(affected)):
            conn.execute(
                addresses.delete().where(
                    addresses.c.address_id.in_(part), addresses.c.retired_into.is_(None)
                )
            )
        insert_tuples(
            conn,
            addresses,
            ADDRESS_COLUMNS,
            [
                *(address_row(aid, n, describe_tally(c), now) for aid, (n, c) in counts.items()),
                *(address_row(aid, n, described, now) for aid, (n, described) in agreed.items()),
            ],
        )
        keep_tallies(conn, counts, replacing=affected)
        for part in chunks([SEP.join(k) for k in touched]):
            conn.execute(address_keys.delete().where(address_keys.c.key.in_(part)))
            conn.execute(address_key_uprns.delete().where(address_key_uprns.c.key.in_(part)))
        write_keys(conn, {k: states[k] for k in touched}, after)
        write_id_events(conn, addresses, "address", events, now=now)
        set_mark(conn, ADDRESS_MARK, mark)
    return report(
        "incremental", fresh, placed_key, ids, set(before.values()), events, started, engine
    )
