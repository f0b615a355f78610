"""Each address key's records counted by UPRN and by town and locality (`address_key_counts`).

A key's state (`KeyState`: its records, UPRNs, town and locality) is a sum over its records;
kept as these counts, a record that leaves takes one off each of its counts, and the key's
state is read from what is left, without reading the other records of its address (a
hospital's thousands, for one purged record). Every run keeps them: a full run counts them
all, a daily run adds its new records', a purge takes its records' away.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import sqlalchemy as sa

from mast.core.db import chunks, fetch_tuples, insert_tuples, sync_rows
from mast.resolver.addresses.keys import AddressInput, Key, KeyState, address_key, area_of, fullest
from mast.resolver.addresses.store import SEP, key_of
from mast.schema.tables import address_key_counts

UPRN, AREA = "u", "p"
COLUMNS = ["key", "kind", "value", "records"]
Counts = dict[str, Counter[tuple[str, str]]]
"""Each key (as text): (kind, value) → records."""


def counted(inputs: Iterable[AddressInput]) -> Counts:
    """These records' counts, by key."""
    counts: Counts = {}
    for a in inputs:
        key = address_key(a)
        if key is None:
            continue
        of_key = counts.setdefault(SEP.join(key), Counter())
        of_key[AREA, SEP.join(area_of(a))] += 1
        if a.uprn:
            of_key[UPRN, a.uprn] += 1
    return counts


def rebuild(conn: sa.Connection, inputs: Iterable[AddressInput]) -> None:
    """Make the stored counts those of these records, all there are (a full run)."""
    rows = [(k, kind, v, n) for k, c in counted(inputs).items() for (kind, v), n in c.items()]
    sync_rows(conn, address_key_counts, COLUMNS, rows)


def read(conn: sa.Connection, keys: Iterable[str]) -> Counts:
    """The stored counts of these keys (a key without any has none here)."""
    t = address_key_counts.c
    counts: Counts = {}
    for part in chunks(sorted(set(keys))):
        query = sa.select(t.key, t.kind, t.value, t.records).where(t.key.in_(part))
        for key, kind, value, n in fetch_tuples(conn, query):
            counts.setdefault(key, Counter())[kind, value] = n
    return counts


def write(conn: sa.Connection, counts: Counts) -> None:
    """Store these keys' counts in place of theirs; a count come to nothing goes."""
    for part in chunks(sorted(counts)):
        conn.execute(address_key_counts.delete().where(address_key_counts.c.key.in_(part)))
    rows = [(k, kind, v, n) for k, c in counts.items() for (kind, v), n in c.items() if n > 0]
    insert_tuples(conn, address_key_counts, COLUMNS, rows)


def add(conn: sa.Connection, inputs: Iterable[AddressInput]) -> None:
    """Add these records (a daily run's new ones) to their keys' counts."""
    new = counted(inputs)
    stored = read(conn, new)
    for key, c in new.items():
        stored.setdefault(key, Counter()).update(c)
    write(conn, stored)


def state_of(counts: Counter[tuple[str, str]]) -> KeyState | None:
    """A key's state from its counts; None when no record is left."""
    areas = [value for (kind, value), n in counts.items() if kind == AREA and n > 0]
    if not areas:
        return None
    return KeyState(
        {value for (kind, value), n in counts.items() if kind == UPRN and n > 0},
        fullest(map(_area, areas)),
        sum(n for (kind, _), n in counts.items() if kind == AREA),
    )


def _area(value: str) -> tuple[str, str]:
    town, locality = value.split(SEP)
    return town, locality


def take_away(
    conn: sa.Connection, gone: Iterable[AddressInput], stored: dict[Key, KeyState]
) -> dict[Key, KeyState] | None:
    """Take these records out of their keys' counts (written) and return the states of the
    keys they leave with records, from the counts alone. None, with nothing written, when a
    key's counts do not add up to its `stored` state (a store from before they were kept):
    then only a full run can say what the key holds."""
    less = counted(gone)
    counts = read(conn, less)
    for text, c in less.items():
        had = counts.get(text)
        key = key_of(text)
        if had is None or key not in stored or state_of(had) != stored[key]:
            return None
        had.subtract(c)
        if any(n < 0 for n in had.values()):
            return None
    write(conn, counts)
    return {key_of(k): s for k, c in counts.items() if (s := state_of(c)) is not None}
