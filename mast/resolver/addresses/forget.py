"""Forgetting records a purge removes, without a full address run.

A key's state (its record count, UPRNs, town and locality) is a sum over its records, kept
as counts (`counts.py`): the records that go are taken off their keys' counts, without
reading the other records of their addresses; a key left with none goes. Only what those
keys could have held together can move: the keys within reach of them as they were (by
place, door, name, UPRN and stored link), re-clustered as a full run would cluster them; a
key whose town or locality changed has its links to other keys scored anew. An address
that only lost records has the records gone taken off its counts; one whose keys moved is
read whole; one left with none is retired.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa

from mast.core.db import chunks
from mast.resolver.addresses import counts
from mast.resolver.addresses.cluster import within_reach
from mast.resolver.addresses.describe import DESCRIBED, Tally
from mast.resolver.addresses.keys import AddressInput, Key, KeyState, address_key
from mast.resolver.addresses.learned import key_links
from mast.resolver.addresses.run import Loader, Reach, is_keyed, settle
from mast.resolver.addresses.store import (
    INPUT_COLUMNS,
    SEP,
    in_blocks,
    key_of,
    latest_model,
    tallies,
)
from mast.resolver.bookkeeping import get_mark, write_retired
from mast.schema.tables import (
    ADDRESS_MARK,
    address_keys,
    address_tallies,
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
    folded = _folded(conn, record_ids)
    _unlink(conn, record_ids)
    model = latest_model(conn)
    if folded is None or model is None or not is_keyed(conn):
        return _full_next(conn)
    gone = [a for a, _ in folded]
    seeds = {key for a in gone if (key := address_key(a)) is not None}
    if not seeds:
        return True
    found = Reach({}, {}, {}, {}, set(), set())
    load = Loader(conn, found, follow_seeds=True)
    for part in chunks(sorted(SEP.join(k) for k in seeds)):
        load(address_keys.c.key.in_(part))
    if not seeds <= found.states.keys():  # a key the table never had: rebuild it
        return _full_next(conn)
    kept = counts.take_away(conn, gone, {k: found.states[k] for k in seeds})
    if kept is None:  # counts not kept (a store from before they were) or astray
        return _full_next(conn)
    shrunk = frozenset(found.before[k] for k in seeds if k in found.before)
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

    # Clustering reads a key's UPRNs and town and locality, not its records: a key that
    # keeps records, UPRNs and place is where it was, and so is everything around it
    # (only its count changes). The others are reached from as they were (UPRNs they
    # held, stored links), so every key they held in their clusters is re-clustered.
    quiet = {k for k in kept if k not in rescored and kept[k].uprns == found.states[k].uprns}
    reach = within_reach(seeds - quiet, neighbours)
    live = reach - emptied
    found.links.intersection_update((a, b) for a, b in found.links if a in live and b in live)
    still = quiet - reach
    _shrink(found, reach, kept, seeds & reach)
    _recount(conn, {k: kept[k].records for k in still})
    less = _less(conn, shrunk, folded)
    changed = frozenset(seeds - still)
    settle(conn, found, [], now=now, shrunk=shrunk, changed=changed, remaining=less)
    retired = write_retired(conn, addresses, "address", shrunk, now=now)
    log.info(
        "addresses forgot records=%d keys=%d emptied=%d rescored=%d only_counted=%d reach=%d "
        "retired=%d",
        len(gone),
        len(seeds),
        len(emptied),
        len(rescored),
        len(still),
        len(reach),
        len(retired),
    )
    return True


def _shrink(found: Reach, reach: set[Key], kept: dict[Key, KeyState], seeds: set[Key]) -> None:
    """Keep to the keys within reach, the seeds as they are left (an emptied one goes)."""
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


def _recount(conn: sa.Connection, records: dict[Key, int]) -> None:
    """Write these keys' record counts, all else about them as it was."""
    if records:
        update = address_keys.update().where(address_keys.c.key == sa.bindparam("k"))
        rows = [{"k": SEP.join(key), "n": n} for key, n in sorted(records.items())]
        conn.execute(update.values(records=sa.bindparam("n")), rows)


def _full_next(conn: sa.Connection) -> bool:
    """Leave the next address run to be a full one."""
    conn.execute(resolver_state.delete().where(resolver_state.c.key == ADDRESS_MARK))
    return False


def _folded(
    conn: sa.Connection, record_ids: Sequence[str]
) -> list[tuple[AddressInput, str | None]] | None:
    """The records among these that the key table holds (read by the last address run),
    each with the address it is linked to, if any; None if one it holds was changed in
    place since, so its old key is unknown."""
    mark = get_mark(conn, ADDRESS_MARK)
    if not mark:
        return None
    folded: list[tuple[AddressInput, str | None]] = []
    waiting = sa.select(address_waiting.c.record_id)
    width = len(INPUT_COLUMNS)
    joined = records.outerjoin(
        record_addresses, record_addresses.c.record_id == records.c.record_id
    )
    for part in chunks(sorted(record_ids)):
        query = sa.select(
            *INPUT_COLUMNS,
            records.c.file_id,
            record_addresses.c.address_id,
            records.c.record_id.in_(waiting).label("waiting"),
        ).select_from(joined)
        for row in conn.execute(query.where(records.c.record_id.in_(part))):
            file_id, address_id, waits = row[width], row[width + 1], row[width + 2]
            if file_id <= mark:
                folded.append((AddressInput(*row[:width]), address_id))
            elif address_id is not None or waits:
                return None
    return folded


def _unlink(conn: sa.Connection, record_ids: Sequence[str]) -> None:
    for part in chunks(sorted(record_ids)):
        for table in (record_addresses, address_waiting):
            conn.execute(table.delete().where(table.c.record_id.in_(part)))


def _less(
    conn: sa.Connection,
    shrunk: Iterable[str],
    folded: Iterable[tuple[AddressInput, str | None]],
) -> dict[str, tuple[int, Tally]]:
    """Each address that lost records, with records left: its record count and values
    without those gone (unlinked already). Kept counts (an address with many records) less
    the records gone; the rest counted by the database from the records still linked, a
    few dozen at most."""
    ids = sorted(shrunk)
    t = address_tallies.c
    kept: dict[str, tuple[int, Tally]] = {
        aid: (n, json.loads(text))
        for part in chunks(ids)
        for aid, n, text in conn.execute(
            sa.select(t.address_id, t.records, t.counts).where(t.address_id.in_(part))
        )
    }
    went: dict[str, list[AddressInput]] = defaultdict(list)
    for a, aid in folded:
        if aid in kept:
            went[aid].append(a)
    for aid, group in went.items():
        n, tally = kept[aid]
        for a in group:
            for name in DESCRIBED:
                if value := getattr(a, name):
                    left = tally[name][value] - 1
                    if left:
                        tally[name][value] = left
                    else:
                        del tally[name][value]
        kept[aid] = (n - len(group), tally)
    less = tallies(conn, [aid for aid in ids if aid not in kept]) | kept
    return {aid: c for aid, c in less.items() if c[0] > 0}
