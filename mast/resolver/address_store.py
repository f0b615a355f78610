"""Resolving records' addresses in the state store, with stable Address ids.

A full run reads every record. A daily run reads only records that arrived since the last
run, folds them into the stored key table (`address_keys`: one row per distinct postcode,
premises, flat, street and building name, with its UPRNs, town and record count) and
re-clusters the keys — tens of thousands, not hundreds of thousands of records. Clustering
keys in key order and voting ids by record counts gives exactly the answer a full run
would; only the addresses whose keys moved, or that gained records, are rewritten.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa

from mast.core.db import chunks, fetch_tuples, insert_tuples, sync_rows
from mast.resolver.addresses import (
    DESCRIBED,
    AddressInput,
    Key,
    KeyState,
    Tally,
    add_inputs,
    address_key,
    cluster_keys,
    count_values,
    describe,
    describe_grown,
    describe_tally,
    door_of,
    name_here,
    name_of,
    names_reached,
    place_of,
    tally,
    within_reach,
)
from mast.resolver.bookkeeping import get_mark, id_minter, set_mark, write_id_events
from mast.resolver.stable_ids import IdEvent, assign_ids
from mast.schema.tables import (
    ADDRESS_MARK,
    address_key_uprns,
    address_keys,
    address_moves,
    address_tallies,
    address_waiting,
    addresses,
    record_addresses,
    records,
)

log = logging.getLogger(__name__)
_INPUT_COLUMNS = [records.c[name] for name in AddressInput._fields]
_KEY_NAMES = ["key", "uprns", "town", "locality", "records", "address_id"]
"""What a daily run reads of a key; a key's row also holds its place, door and name, to
search."""
_KEY_COLUMNS = [address_keys.c[name] for name in _KEY_NAMES]
_SEP = "\x1f"
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
        keyed = stored is not None and stored.count(_SEP) == KEY_PARTS - 1
        fresh: list[AddressInput] | None = None
        if not full and mark and keyed:
            fresh = [
                AddressInput(*row)
                for row in conn.execute(sa.select(*_INPUT_COLUMNS).where(records.c.file_id > mark))
            ]
            if _any_linked(conn, [a.record_id for a in fresh]):
                fresh = None  # a record changed in place: its old key's counts are stale
    if fresh is None:
        return _full(engine, now=now, started=started, mark=top)
    if not fresh:  # no new records: every address stands as it is
        return _report("incremental", [], {}, [], set(), [], started, engine)
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
        inputs = list(map(AddressInput._make, fetch_tuples(conn, sa.select(*_INPUT_COLUMNS))))
        previous = dict(
            fetch_tuples(
                conn, sa.select(record_addresses.c.record_id, record_addresses.c.address_id)
            )
        )
    states: dict[Key, KeyState] = {}
    record_key = add_inputs(states, inputs)
    of_key = cluster_keys(states)
    waiting = [(rid, _SEP.join(key)) for rid, key in record_key.items() if key not in of_key]
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
        _write_addresses(conn, of_id, now=now)
        many = {aid: (len(g), tally(g)) for aid, g in of_id.items() if len(g) >= KEPT_TALLY}
        _keep_tallies(conn, many, replacing=None)
        now_at = {m.record_id: aid for aid, g in zip(ids, groups, strict=True) for m in g}
        sync_rows(conn, record_addresses, ["record_id", "address_id"], list(now_at.items()))
        _write_keys(conn, states, {k: ids[n] for k, n in of_key.items()}, every=True)
        sync_rows(conn, address_waiting, ["record_id", "key"], waiting)
        _note_moves(conn, [rid for rid, aid in previous.items() if now_at.get(rid) != aid])
        write_id_events(conn, addresses, "address", events, now=now)
        set_mark(conn, ADDRESS_MARK, mark)
    return _report("full", inputs, record_key, ids, set(previous.values()), events, started, engine)


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
            conn, sa.select(*_KEY_COLUMNS).where(where)
        ):
            key = _key(text)
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
        places = sorted({_SEP.join(place_of(key)) for key in keys})
        doors = sorted({_SEP.join(d) for key in keys if (d := door_of(key)) is not None})
        reached = [names_reached(key) for key in keys]
        heres = sorted({_SEP.join(h) for hs, _ in reached for h in hs})
        names = sorted({_SEP.join(n) for _, n in reached if n is not None})
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
    for part in chunks(sorted(_SEP.join(key) for key in seeds)):
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
        key_groups[n].append(_SEP.join(key))
    with engine.begin() as conn:
        ids, events = assign_ids(
            [key_groups[n] for n in sorted(key_groups)],
            {_SEP.join(k): before[k] for k in reach if k in before},
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
        linked = _records_of(conn, losing)
        # Records of a key of no place before, that now has one, wait in address_waiting.
        rising = _waiting_records(conn, [k for k in touched if k in after and k not in before])
        everyone = {a.record_id: a for a in [*(a for a, _ in linked), *rising, *fresh]}
        placed: dict[str, list[AddressInput]] = defaultdict(list)
        unplaced: list[tuple[str, str]] = []
        for a in everyone.values():
            where = address_key(a)
            if where is not None and where in after:
                placed[after[where]].append(a)
            elif where is not None:
                unplaced.append((a.record_id, _SEP.join(where)))
        for part in chunks(sorted(everyone)):
            conn.execute(address_waiting.delete().where(address_waiting.c.record_id.in_(part)))
        insert_tuples(conn, address_waiting, ["record_id", "key"], unplaced)
        # An address that only gained records that agree with it is described as it was.
        agreed = _agreeing(conn, affected - losing, placed)
        counts = _tallies(conn, affected - losing - agreed.keys())
        for aid, group in placed.items():
            if aid not in agreed:
                n, counted = counts.get(aid, (0, None))
                counts[aid] = (n + len(group), tally(group, counted))
        was = {a.record_id: aid for a, aid in linked}
        now_at = {a.record_id: aid for aid, group in placed.items() for a in group}
        moves = sorted(rid for rid, aid in was.items() if now_at.get(rid) != aid)
        for part in chunks(moves):
            conn.execute(record_addresses.delete().where(record_addresses.c.record_id.in_(part)))
        _note_moves(conn, moves)
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
            _ADDRESS_COLUMNS,
            [
                *(_address_row(aid, n, describe_tally(c), now) for aid, (n, c) in counts.items()),
                *(_address_row(aid, n, described, now) for aid, (n, described) in agreed.items()),
            ],
        )
        _keep_tallies(conn, counts, replacing=affected)
        for part in chunks([_SEP.join(k) for k in touched]):
            conn.execute(address_keys.delete().where(address_keys.c.key.in_(part)))
            conn.execute(address_key_uprns.delete().where(address_key_uprns.c.key.in_(part)))
        _write_keys(conn, {k: states[k] for k in touched}, after)
        write_id_events(conn, addresses, "address", events, now=now)
        set_mark(conn, ADDRESS_MARK, mark)
    return _report(
        "incremental", fresh, placed_key, ids, set(before.values()), events, started, engine
    )


def _key(text: str) -> Key:
    postcode, premises, flat, street, name = text.split(_SEP)
    return postcode, premises, flat, street, name


def _waiting_records(conn: sa.Connection, keys: Iterable[Key]) -> list[AddressInput]:
    """The records waiting for these keys to name a place."""
    joined = records.join(address_waiting, address_waiting.c.record_id == records.c.record_id)
    return [
        AddressInput(*row)
        for part in chunks(sorted(_SEP.join(k) for k in keys))
        for row in fetch_tuples(
            conn,
            sa.select(*_INPUT_COLUMNS).select_from(joined).where(address_waiting.c.key.in_(part)),
        )
    ]


def _records_of(conn: sa.Connection, address_ids: Iterable[str]) -> list[tuple[AddressInput, str]]:
    """The records now linked to these addresses, each with the address it is linked to."""
    joined = records.join(record_addresses, record_addresses.c.record_id == records.c.record_id)
    width = len(_INPUT_COLUMNS)
    return [
        (AddressInput(*row[:width]), row[width])
        for part in chunks(sorted(address_ids))
        for row in fetch_tuples(
            conn,
            sa.select(*_INPUT_COLUMNS, record_addresses.c.address_id)
            .select_from(joined)
            .where(record_addresses.c.address_id.in_(part)),
        )
    ]


KEPT_TALLY = 100
"""Addresses with at least this many records keep their counts (`address_tallies`); the
database counts fewer about as quickly as their counts could be read."""


def _tallies(conn: sa.Connection, address_ids: Iterable[str]) -> dict[str, tuple[int, Tally]]:
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


def _agreeing(
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


def _keep_tallies(
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


def _note_moves(conn: sa.Connection, record_ids: list[str]) -> None:
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


_DESCRIPTION = [*DESCRIBED, "residential"]
_ADDRESS_COLUMNS = ["address_id", "records", "updated_at", "retired_into", *_DESCRIPTION]


def _address_row(
    aid: str, records: int, described: dict[str, str | bool | None], now: datetime
) -> tuple[object, ...]:
    return (aid, records, now, None, *(described[n] for n in _DESCRIPTION))


def _write_addresses(
    conn: sa.Connection, groups: dict[str, list[AddressInput]], *, now: datetime
) -> None:
    """Make these all the active addresses there are (a full run), writing only those that
    changed: the rest keep their `updated_at`."""
    sync_rows(
        conn,
        addresses,
        _ADDRESS_COLUMNS,
        [_address_row(aid, len(g), describe(g), now) for aid, g in groups.items()],
        where=addresses.c.retired_into.is_(None),
        compare=[n for n in _ADDRESS_COLUMNS if n != "updated_at"],
    )


def _write_keys(
    conn: sa.Connection, states: dict[Key, KeyState], ids: dict[Key, str], *, every: bool = False
) -> None:
    """Insert these keys' rows; or, `every`, make them all the keys there are. A key of no
    place (`cluster_keys`) is kept, without an address, for the days that may place it."""
    names = [*_KEY_NAMES, "place", "door", "name", "name_here"]
    rows = [
        (
            _SEP.join(k),
            ",".join(sorted(s.uprns)) or None,
            *s.place,
            s.records,
            ids.get(k, ""),
            _SEP.join(place_of(k)),
            _SEP.join(door) if (door := door_of(k)) is not None else None,
            _SEP.join(name) if (name := name_of(k)) is not None else None,
            _SEP.join(here) if (here := name_here(k)) is not None else None,
        )
        for k, s in states.items()
    ]
    uprn_rows = [(uprn, _SEP.join(k)) for k, s in states.items() for uprn in s.uprns]
    if every:
        sync_rows(conn, address_keys, names, rows)
        sync_rows(conn, address_key_uprns, ["uprn", "key"], uprn_rows)
    else:
        insert_tuples(conn, address_keys, names, rows)
        insert_tuples(conn, address_key_uprns, ["uprn", "key"], uprn_rows)


def _report(  # noqa: PLR0917 - the figures of one run
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
