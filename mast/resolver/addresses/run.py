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
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa

from mast.core.db import chunks, fetch_tuples, insert_tuples, sync_rows
from mast.resolver.addresses import counts as key_counts
from mast.resolver.addresses.cluster import Link, cluster_keys, within_reach
from mast.resolver.addresses.describe import Tally, describe_tally, tally
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
from mast.resolver.addresses.learned import key_links, model_for
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
    delete_keys,
    in_blocks,
    keep_tallies,
    key_of,
    latest_model,
    linked_to,
    note_moves,
    records_of,
    report,
    save_model,
    tallies,
    waiting_records,
    write_addresses,
    write_keys,
    write_links,
)
from mast.resolver.bookkeeping import (
    active_ids,
    get_mark,
    id_minter,
    set_mark,
    write_id_events,
    write_retired,
)
from mast.resolver.stable_ids import IdEvent, assign_ids
from mast.schema.tables import (
    ADDRESS_MARK,
    address_key_uprns,
    address_keys,
    address_waiting,
    addresses,
    record_addresses,
    records,
)


def resolve_all_addresses(
    engine: sa.Engine, *, now: datetime, full: bool = False, retrain: bool = False
) -> AddressRun:
    """Resolve addresses: only the new records, unless `full` (or `retrain`: learn the model
    again) or no key table or model is stored yet."""
    started = time.perf_counter()
    with engine.connect() as conn:
        mark = get_mark(conn, ADDRESS_MARK)
        top = conn.execute(sa.select(sa.func.max(records.c.file_id))).scalar() or 0
        keyed = is_keyed(conn)
        model = None if retrain else latest_model(conn)
        fresh: list[AddressInput] | None = None
        if not full and mark and keyed and model is not None:
            fresh = [
                AddressInput(*row)
                for row in conn.execute(sa.select(*INPUT_COLUMNS).where(records.c.file_id > mark))
            ]
            if _any_linked(conn, [a.record_id for a in fresh]):
                fresh = None  # a record changed in place: its old key's counts are stale
    if fresh is None or model is None:
        return _full(engine, model, now=now, started=started, mark=top)
    if not fresh:  # no new records: every address stands as it is
        return report("incremental", [], {}, [], set(), [], started, engine)
    return _incremental(engine, fresh, model, now=now, started=started, mark=top)


def is_keyed(conn: sa.Connection) -> bool:
    """Whether the key table is one a daily run can build on: a key table from before keys
    were indexed by place, or held building names, has its keys to write again."""
    stored = conn.execute(
        sa.select(address_keys.c.key).where(address_keys.c.place.is_not(None)).limit(1)
    ).scalar()
    return stored is not None and stored.count(SEP) == KEY_PARTS - 1


def _any_linked(conn: sa.Connection, record_ids: list[str]) -> bool:
    return any(
        conn.execute(
            sa.select(table.c.record_id).where(table.c.record_id.in_(part)).limit(1)
        ).first()
        for table in (record_addresses, address_waiting)
        for part in chunks(record_ids)
    )


def _full(
    engine: sa.Engine, model: dict[str, Any] | None, *, now: datetime, started: float, mark: int
) -> AddressRun:
    with engine.connect() as conn:
        inputs = list(map(AddressInput._make, fetch_tuples(conn, sa.select(*INPUT_COLUMNS))))
        previous = dict(
            fetch_tuples(
                conn, sa.select(record_addresses.c.record_id, record_addresses.c.address_id)
            )
        )
    states: dict[Key, KeyState] = {}
    record_key = add_inputs(states, inputs)
    learned = model is None
    model = model or model_for(states)
    links = key_links(states, model)
    of_key = cluster_keys(states, links)
    waiting = [(rid, SEP.join(key)) for rid, key in record_key.items() if key not in of_key]
    record_key = {rid: key for rid, key in record_key.items() if key in of_key}
    members: dict[int, list[AddressInput]] = defaultdict(list)
    by_id = {a.record_id: a for a in inputs}
    for record_id, key in record_key.items():
        members[of_key[key]].append(by_id[record_id])
    groups = [members[n] for n in sorted(members)]
    with engine.begin() as conn:
        if learned:
            save_model(conn, model, keys=len(states), now=now)
        ids, events = assign_ids(
            [[m.record_id for m in g] for g in groups], previous, id_minter(conn, addresses, "A")
        )
        of_id = dict(zip(ids, groups, strict=True))
        were = active_ids(conn, addresses)
        write_addresses(conn, of_id, now=now)
        many = {aid: (len(g), tally(g)) for aid, g in of_id.items() if len(g) >= KEPT_TALLY}
        keep_tallies(conn, many, replacing=None)
        now_at = {m.record_id: aid for aid, g in zip(ids, groups, strict=True) for m in g}
        sync_rows(conn, record_addresses, ["record_id", "address_id"], list(now_at.items()))
        write_keys(conn, states, {k: ids[n] for k, n in of_key.items()}, every=True)
        key_counts.rebuild(conn, inputs)
        write_links(conn, links, replacing=None)
        sync_rows(conn, address_waiting, ["record_id", "key"], waiting)
        note_moves(conn, [rid for rid, aid in previous.items() if now_at.get(rid) != aid])
        write_id_events(conn, addresses, "address", events, now=now)
        write_retired(conn, addresses, "address", were, now=now)
        set_mark(conn, ADDRESS_MARK, mark)
    return report("full", inputs, record_key, ids, set(previous.values()), events, started, engine)


class Reach(NamedTuple):
    states: dict[Key, KeyState]
    """the keys within reach, stored ones as stored and then with the new records added"""
    before: dict[Key, str]
    """each stored key's address, if it has one"""
    weights: dict[str, int]
    """each stored key's records"""
    record_key: dict[str, Key]
    """each new record's key"""
    links: set[Link]
    """the learned links among the keys within reach, the new records' keys' scored anew"""
    seeds: set[Key]
    """the keys whose links are scored anew: the new records' keys not stored before, or
    whose town or locality the new records changed (the rest keep their stored links)"""


class Loader:
    """Reads stored keys into the states of a reach, each the first time it is met."""

    def __init__(self, conn: sa.Connection, found: Reach, *, follow_seeds: bool = False) -> None:
        self.conn, self.found = conn, found
        self.follow_seeds = follow_seeds
        """Follow the seeds' stored links too (not kept as links: theirs are scored anew), to
        reach every key a seed losing records may have held in its cluster."""

    def __call__(self, where: sa.ColumnElement[bool]) -> list[Key]:
        """The stored keys matching `where`."""
        found, matched = self.found, []
        for text, uprns, town, locality, n, aid in fetch_tuples(
            self.conn, sa.select(*KEY_COLUMNS).where(where)
        ):
            key = key_of(text)
            matched.append(key)
            if key not in found.states:
                uprn_set = set(filter(None, (uprns or "").split(",")))
                found.states[key] = KeyState(uprn_set, (town, locality), n)
                if aid:  # a key of no place has none
                    found.before[key] = aid
                    found.weights[text] = n
        return matched

    def neighbours(self, keys: list[Key]) -> list[Key]:
        """Stored keys sharing a place, door, name or UPRN with these (`within_reach`)."""
        k, u = address_keys.c, address_key_uprns.c
        places = sorted({SEP.join(place_of(key)) for key in keys})
        doors = sorted({SEP.join(d) for key in keys if (d := door_of(key)) is not None})
        reached = [names_reached(key) for key in keys]
        heres = sorted({SEP.join(h) for hs, _ in reached for h in hs})
        names = sorted({SEP.join(n) for _, n in reached if n is not None})
        uprns = sorted({uprn for key in keys for uprn in self.found.states[key].uprns})
        return [
            key
            for where in (
                *(k.place.in_(part) for part in chunks(places)),
                *(k.door.in_(part) for part in chunks(doors)),
                *(k.name_here.in_(part) for part in chunks(heres)),
                *(k.name.in_(part) for part in chunks(names)),
                *(k.key.in_(sa.select(u.key).where(u.uprn.in_(p))) for p in chunks(uprns)),
            )
            for key in self(where)
        ]

    def linked(self, keys: list[Key]) -> list[Key]:
        """Keys linked to these: as stored, but the new records' keys as scored anew."""
        found, out = self.found, []
        for key, other in linked_to(self.conn, [k for k in keys if k not in found.seeds]):
            if other not in found.seeds:
                found.links.add((min(key, other), max(key, other)))
                out.append(other)
        if self.follow_seeds:
            out.extend(o for _, o in linked_to(self.conn, [k for k in keys if k in found.seeds]))
        asked = set(keys)
        for a, b in found.links:  # as yet, only the new records' keys' links
            if a in asked:
                out.append(b)
            if b in asked:
                out.append(a)
        for part in chunks(sorted({SEP.join(k) for k in out})):
            self(address_keys.c.key.in_(part))
        return out


def _within_reach(conn: sa.Connection, fresh: list[AddressInput], model: dict[str, Any]) -> Reach:
    """The keys the new records' keys could join, read from the store by its indexes on
    place, door, name, UPRN and learned links (`within_reach`), with the new records folded
    in: the only keys that can move. Keys not stored yet are all new records' keys, so only
    stored keys need looking up. The new records' keys are scored against the stored keys
    sharing a candidate block with them, as a full run would score them.

    A key's learned links depend on its parts and its town and locality alone (`frame`;
    each pair is scored on its own): a stored key whose town and locality the new records
    left as they were keeps its stored links, and only the others are scored (none, and
    no Splink, on a day whose records all fall on known keys)."""
    seeds = {key for a in fresh if (key := address_key(a)) is not None}
    found = Reach({}, {}, {}, {}, set(), set())
    load = Loader(conn, found)
    for part in chunks(sorted(SEP.join(key) for key in seeds)):
        load(address_keys.c.key.in_(part))
    was = {key: found.states[key].place for key in seeds if key in found.states}
    found.record_key.update(add_inputs(found.states, fresh))
    found.seeds.update(k for k in seeds if was.get(k) != found.states[k].place)
    if found.seeds:
        candidates = {key_of(t) for t in in_blocks(conn, found.seeds)} | found.seeds
        for part in chunks(sorted(SEP.join(k) for k in candidates - found.states.keys())):
            load(address_keys.c.key.in_(part))
        scored = {k: found.states[k] for k in sorted(candidates) if k in found.states}
        found.links.update(key_links(scored, model, among=found.seeds))

    def neighbours(keys: list[Key]) -> list[Key]:
        return [*load.neighbours(keys), *load.linked(keys)]

    reach = within_reach(seeds, neighbours)  # reads every key it reaches, and some more
    found.links.intersection_update((a, b) for a, b in found.links if a in reach and b in reach)
    for table in (found.states, found.before):
        for key in set(table) - reach:
            del table[key]
    for text in [t for t in found.weights if key_of(t) not in reach]:
        del found.weights[text]
    return found


def _incremental(
    engine: sa.Engine,
    fresh: list[AddressInput],
    model: dict[str, Any],
    *,
    now: datetime,
    started: float,
    mark: int,
) -> AddressRun:
    with engine.connect() as conn:
        found = _within_reach(conn, fresh, model)
    with engine.begin() as conn:
        ids, events, placed_key = settle(conn, found, fresh, now=now)
        key_counts.add(conn, fresh)
        set_mark(conn, ADDRESS_MARK, mark)
    return report(
        "incremental", fresh, placed_key, ids, set(found.before.values()), events, started, engine
    )


def settle(
    conn: sa.Connection,
    found: Reach,
    fresh: list[AddressInput],
    *,
    now: datetime,
    shrunk: frozenset[str] = frozenset(),
    changed: frozenset[Key] = frozenset(),
    remaining: Mapping[str, tuple[int, Tally]] = {},
) -> tuple[list[str], list[IdEvent], dict[str, Key]]:
    """Cluster the keys within reach and write what moved: the addresses, their records'
    links, counts and keys. `fresh` are the records that arrived; `shrunk`, addresses that
    lost records (a purge), and `changed` the keys that lost them, written again;
    `remaining`, the record count and values of each of `shrunk` left with records, as
    they are now. Returns the ids, their events and each fresh record's key, where it names a
    place."""
    states, before, weights, record_key, links, seeds = found
    reach = set(states)
    of_key = cluster_keys(states, links)
    placed_key = {rid: key for rid, key in record_key.items() if key in of_key}
    key_groups: dict[int, list[str]] = defaultdict(list)
    for key, n in of_key.items():
        key_groups[n].append(SEP.join(key))
    ids, events = assign_ids(
        [key_groups[n] for n in sorted(key_groups)],
        {SEP.join(k): before[k] for k in before},
        id_minter(conn, addresses, "A"),
        weights=weights,
    )
    after = {k: ids[n] for k, n in of_key.items()}
    moved = {k for k in reach | before.keys() if after.get(k) != before.get(k)}
    touched = moved | set(record_key.values()) | changed
    losing = {before[k] for k in moved if k in before} | shrunk
    affected = losing | {after[k] for k in touched if k in after}
    # Only records of a key that moved can move: the addresses of those keys (and of those
    # left with no place) are read whole. An address that only lost records is counted as
    # `remaining`, and one that only gained some by the database, neither read.
    whole = {before[k] for k in moved if k in before and k in states}
    whole |= shrunk - remaining.keys()
    linked = records_of(conn, whole)
    # Records of a key of no place before, that now has one, wait in address_waiting.
    rising = waiting_records(conn, [k for k in touched if k in after and k not in before])
    everyone = {a.record_id: a for a in [*(a for a, _ in linked), *rising, *fresh]}
    placed = place_records(conn, everyone, after)
    # An address that only gained records that agree with it is described as it was.
    agreed = agreeing(conn, affected - losing, placed)
    counts = tallies(conn, affected - losing - agreed.keys())
    counts.update((aid, c) for aid, c in remaining.items() if aid not in whole)
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
    rows = [address_row(aid, n, describe_tally(c), now) for aid, (n, c) in counts.items()]
    rows += [address_row(aid, n, described, now) for aid, (n, described) in agreed.items()]
    insert_tuples(conn, addresses, ADDRESS_COLUMNS, rows)
    keep_tallies(conn, counts, replacing=affected)
    delete_keys(conn, touched)
    write_keys(conn, {k: states[k] for k in touched if k in states}, after)
    write_links(conn, [(a, b) for a, b in links if a in seeds or b in seeds], replacing=seeds)
    write_id_events(conn, addresses, "address", events, now=now)
    return ids, events, placed_key


def place_records(
    conn: sa.Connection, everyone: dict[str, AddressInput], after: dict[Key, str]
) -> dict[str, list[AddressInput]]:
    """These records by the address their key is in now; the records of a key of no place
    wait for it in address_waiting."""
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
    return placed
