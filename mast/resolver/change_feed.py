"""The change feed: what each resolution did to persons, for partner apps to follow.

A partner app keeps its own records of some MAST person ids. It needs to hear when one of
them is merged into another, split, or retired, and when a person gains an event; it does
not need the details, which it reads (audited) like any other page. So each entry is ids
and a kind only, never a name or a date.

Entries are appended in the resolution's own transaction, numbered one more than the last
(not by a database sequence): a run that is killed and replayed leaves the numbers a clean
run leaves, and two runs cannot interleave their entries, since the second's numbers
collide with the first's key. The number is the cursor; the API wraps it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from mast.core.db import chunks, fetch_tuples, insert_tuples
from mast.resolver.bookkeeping import get_mark, set_mark
from mast.schema.tables import person_changes, records

CREATED, SPLIT, MERGED, RETIRED, EVENT = "created", "split", "merged", "retired", "event"
KINDS = (CREATED, SPLIT, MERGED, RETIRED, EVENT)
"""In the order a run's entries are written: an id is introduced (created, or split off)
before anything names it, and merged away before its events are listed under the survivor."""
PRUNED_MARK = "change_feed_pruned"
"""The resolver_state key of the last entry pruned: a cursor before it has lost entries."""


@dataclass(frozen=True)
class Change:
    kind: str
    person_id: str
    into_id: str | None = None
    event_id: str | None = None

    def order(self) -> tuple[int, str, str, str]:
        return (KINDS.index(self.kind), self.person_id, self.into_id or "", self.event_id or "")


@dataclass(frozen=True)
class Entry:
    seq: int
    kind: str
    person_id: str
    into_id: str | None
    event_id: str | None
    at: datetime


def append(conn: sa.Connection, changes: Iterable[Change], *, at: datetime) -> int:
    """Add `changes` after the last entry, in `KINDS` order; how many were added."""
    ordered = sorted(set(changes), key=Change.order)
    if not ordered:
        return 0
    last = conn.execute(sa.select(sa.func.max(person_changes.c.seq))).scalar()
    # After a prune of every entry the table is empty: the count goes on from the mark.
    start = max(last or 0, get_mark(conn, PRUNED_MARK)) + 1
    insert_tuples(
        conn,
        person_changes,
        ["seq", "kind", "person_id", "into_id", "event_id", "at"],
        [
            (seq, c.kind, c.person_id, c.into_id, c.event_id, at)
            for seq, c in enumerate(ordered, start)
        ],
    )
    return len(ordered)


def read(conn: sa.Connection, *, after: int, first: int) -> list[Entry]:
    """Up to `first` entries after entry `after`, in order."""
    c = person_changes.c
    query = (
        sa.select(c.seq, c.kind, c.person_id, c.into_id, c.event_id, c.at)
        .where(c.seq > after)
        .order_by(c.seq)
        .limit(first)
    )
    return [Entry(*row) for row in conn.execute(query)]


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    head: int
    """the newest entry's number (0: none yet)"""
    pruned: int
    """the last entry pruned (0: none)"""


def page(engine: sa.Engine, *, after: int, first: int) -> Page:
    """Up to `first` entries after entry `after`, with the newest and the last pruned.

    Read in that order: PostgreSQL gives each statement its own snapshot, and a prune
    between the reads must show as pruned past `after` (the caller refuses the page)
    rather than as entries silently missing."""
    with engine.connect() as conn:
        entries = read(conn, after=after, first=first)
        pruned = pruned_through(conn)
        head = conn.execute(sa.select(sa.func.max(person_changes.c.seq))).scalar()
    return Page(entries, max(head or 0, pruned, *(e.seq for e in entries[-1:])), pruned)


def pruned_through(conn: sa.Connection) -> int:
    """The last entry pruned (0: none): entries up to it are gone."""
    return get_mark(conn, PRUNED_MARK)


def prune(conn: sa.Connection, *, before: datetime) -> int:
    """Forget entries written before `before` (the retention cut-off); how many went."""
    c = person_changes.c
    last = conn.execute(sa.select(sa.func.max(c.seq)).where(c.at < before)).scalar()
    if last is None:
        return 0
    gone = conn.execute(person_changes.delete().where(c.seq <= last)).rowcount
    set_mark(conn, PRUNED_MARK, max(last, pruned_through(conn)))
    return int(gone)


def event_ids(conn: sa.Connection, record_ids: Iterable[str]) -> dict[str, str]:
    """Each record → the id of the graph's Event it belongs to: its feed and event
    reference, or the record itself (as `graph/projection.py` derives it)."""
    r = records.c
    found: dict[str, str] = {}
    for part in chunks(sorted(set(record_ids))):
        query = sa.select(r.record_id, r.feed, r.event_ref).where(r.record_id.in_(part))
        for rid, feed, ref in fetch_tuples(conn, query):
            found[rid] = f"{feed}:{ref}" if ref is not None else f"{feed}:record:{rid}"
    return found


def person_changes_of(
    conn: sa.Connection,
    *,
    before: set[str],
    after: set[str],
    merged: Mapping[str, str],
    split: Iterable[tuple[str, str]],
    moved: Mapping[str, tuple[str, str | None]],
) -> list[Change]:
    """What a write of persons did, as feed entries.

    `before` are the persons it replaces (as stored), `after` those it writes, `merged`
    and `split` its id events (old → new), and `moved` each record it links to a person
    other than the one it had: record → (person now, person before or None).
    A new id split off another is introduced by its split entry, not also as created; a
    merged-away id is not also retired; a record that followed its person's merge is not
    news, any other is an event of the person it is now linked to."""
    split = list(split)
    split_off = {new for _, new in split}
    changes = [Change(CREATED, p) for p in after - before - split_off]
    changes += [Change(SPLIT, old, new) for old, new in split]
    changes += [Change(MERGED, old, new) for old, new in merged.items()]
    changes += [Change(RETIRED, p) for p in before - after - merged.keys()]
    news = {
        rid: person
        for rid, (person, was) in moved.items()
        if was != person and (was is None or merged.get(was) != person)
    }
    of_event = event_ids(conn, news)
    changes += [
        Change(EVENT, person, event_id=of_event[rid])
        for rid, person in news.items()
        if rid in of_event
    ]
    return changes
