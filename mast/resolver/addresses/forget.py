"""Forgetting records a purge removes, without a full address run.

A key's state (its record count, UPRNs, town and locality) is a sum over its records, so the
keys of the records that go are worked out again from the records they keep; a key left
with none goes. Only what those keys could have held together can move: the keys within
reach of them as they were (by place, door, name, UPRN and stored link), re-clustered as a
full run would cluster them; a key whose town or locality changed has its links to other
keys scored anew. Addresses that lost records are counted again; one left with none is retired.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from mast.core.db import chunks
from mast.resolver.addresses.cluster import within_reach
from mast.resolver.addresses.keys import AddressInput, Key, KeyState, add_inputs, address_key
from mast.resolver.addresses.learned import key_links
from mast.resolver.addresses.run import Loader, Reach, is_keyed, settle
from mast.resolver.addresses.store import (
    INPUT_COLUMNS,
    SEP,
    in_blocks,
    key_of,
    latest_model,
    records_of,
    waiting_records,
)
from mast.resolver.bookkeeping import get_mark, write_retired
from mast.schema.tables import (
    ADDRESS_MARK,
    address_keys,
    address_waiting,
    addresses,
    record_addresses,
    records,
    resolver_state,
)

log = logging.getLogger(__name__)


def forget_addresses(conn: sa.Connection, record_ids: Sequence[str], *, now: datetime) -> bool:
    """Take these records (still in `records`, about to be deleted in the caller's
    transaction) out of the address keys and addresses, as a full run on the records left
    would. False when the key table cannot be kept up to date this way (no run yet, a
    record changed in place since the last run): the next run is a full one."""
    gone = _folded(conn, record_ids)
    _unlink(conn, record_ids)
    model = latest_model(conn)
    if gone is None or model is None or not is_keyed(conn):
        conn.execute(resolver_state.delete().where(resolver_state.c.key == ADDRESS_MARK))
        return False
    seeds = {key for a in gone if (key := address_key(a)) is not None}
    if not seeds:
        return True
    found = Reach({}, {}, {}, {}, set(), set())
    load = Loader(conn, found, follow_seeds=True)
    for part in chunks(sorted(SEP.join(k) for k in seeds)):
        load(address_keys.c.key.in_(part))
    if not seeds <= found.states.keys():  # a key the table never had: rebuild it
        conn.execute(resolver_state.delete().where(resolver_state.c.key == ADDRESS_MARK))
        return False
    shrunk = frozenset(found.before[k] for k in seeds if k in found.before)
    read = records_of(conn, shrunk)
    kept = _kept_states(conn, seeds, [a for a, _ in read])
    emptied = seeds - kept.keys()
    # A key's learned links depend on its parts and its town and locality alone: a key
    # whose records left it the same town keeps its links; one whose town changed is
    # scored anew against the keys sharing a block with it, as a full run scores every
    # key. Their stored links, and an emptied key's, go (`write_links`).
    rescored = {k for k in kept if kept[k].place != found.states[k].place}
    found.seeds.update(emptied | rescored)
    if rescored:
        candidates = {key_of(t) for t in in_blocks(conn, rescored)} - seeds
        for part in chunks(sorted(SEP.join(k) for k in candidates)):
            load(address_keys.c.key.in_(part))
        scored = {k: found.states[k] for k in candidates if k in found.states}
        scored |= {k: kept[k] for k in seeds & kept.keys()}
        found.links.update(key_links(dict(sorted(scored.items())), model, among=rescored))

    def neighbours(keys: list[Key]) -> list[Key]:
        return [*load.neighbours(keys), *load.linked(keys)]

    # Reached from the seeds as they were (UPRNs they held, stored links), so every key
    # an emptied or shrunk key held in its cluster is re-clustered.
    reach = within_reach(seeds, neighbours)
    found.links.intersection_update(
        (a, b) for a, b in found.links if a in reach - emptied and b in reach - emptied
    )
    for key in set(found.states) - reach:
        del found.states[key]
        found.before.pop(key, None)
    for text in [t for t in found.weights if key_of(t) not in reach]:
        del found.weights[text]
    for key in seeds:
        text = SEP.join(key)
        if key in kept:
            found.states[key] = kept[key]
            if text in found.weights:
                found.weights[text] = kept[key].records  # only records still here vote
        else:
            del found.states[key]
            found.weights.pop(text, None)
    settle(conn, found, [], now=now, shrunk=shrunk, changed=frozenset(seeds), read=read)
    retired = write_retired(conn, addresses, "address", shrunk, now=now)
    log.info(
        "addresses forgot records=%d keys=%d emptied=%d rescored=%d reach=%d retired=%d",
        len(gone),
        len(seeds),
        len(emptied),
        len(rescored),
        len(reach),
        len(retired),
    )
    return True


def _folded(conn: sa.Connection, record_ids: Sequence[str]) -> list[AddressInput] | None:
    """The records among these that the key table holds (read by the last address run);
    None if one it holds was changed in place since, so its old key is unknown."""
    mark = get_mark(conn, ADDRESS_MARK)
    if not mark:
        return None
    folded: list[AddressInput] = []
    placed = sa.select(record_addresses.c.record_id).union(sa.select(address_waiting.c.record_id))
    width = len(INPUT_COLUMNS)
    for part in chunks(sorted(record_ids)):
        query = sa.select(
            *INPUT_COLUMNS, records.c.file_id, records.c.record_id.in_(placed).label("linked")
        )
        for row in conn.execute(query.where(records.c.record_id.in_(part))):
            file_id, linked = row[width], row[width + 1]
            if file_id <= mark:
                folded.append(AddressInput(*row[:width]))
            elif linked:
                return None
    return folded


def _unlink(conn: sa.Connection, record_ids: Sequence[str]) -> None:
    for part in chunks(sorted(record_ids)):
        for table in (record_addresses, address_waiting):
            conn.execute(table.delete().where(table.c.record_id.in_(part)))


def _kept_states(
    conn: sa.Connection, seeds: set[Key], placed: list[AddressInput]
) -> dict[Key, KeyState]:
    """The seeds' states from the records they keep (those gone are unlinked already):
    a placed key's records are its address's (`placed`), a key of no place's wait for it."""
    kept: dict[Key, KeyState] = {}
    remaining = [*placed, *waiting_records(conn, seeds)]
    add_inputs(kept, (a for a in remaining if address_key(a) in seeds))
    return kept
