"""A graph delta from what a run touched, rather than from a projection of the whole store.

The state store says what changed since the last build without being read whole: records
from files loaded since (`records.file_id` past the last build's mark; a correction is a
record's new version from a new file), reviewers' rulings since, purges since (whose
records were in the snapshot's events older than the cutoff), and the persons and
addresses the resolver wrote since (`updated_at`: it writes only those whose details,
records or links changed, and marks a merged-away id `retired_into` with the run's time).
The marks are kept beside the snapshot and replaced with it.

From those keys the scope widens to everything a derived row hangs on, so that every row
this module owns comes out as a full projection would give it (`Scope`); the rows are
projected with projection.py's own SQL from those keys' store rows, diffed against the
snapshot's rows for the same keys, and merged into the snapshot.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from mast.core.db import chunks
from mast.graph import projection
from mast.graph.projection import NODE_SCHEMAS, REL_SCHEMAS, Projection
from mast.schema.feed import FeedDefinition
from mast.schema.graph import NODES, RELS
from mast.schema.tables import (
    addresses,
    decisions,
    files,
    persons,
    purges,
    record_addresses,
    record_persons,
    records,
)

log = logging.getLogger(__name__)

MARKS_FILE = "marks.json"


@dataclass(frozen=True)
class Marks:
    """Where the store stood when a build read it: what is past these is new to the graph."""

    file_id: int
    decision_id: int
    purge_id: int
    persons_at: str | None
    addresses_at: str | None


def read_marks(conn: sa.Connection) -> Marks:
    """Read before the projection, so that anything written while it runs is past them."""

    def top(column: sa.ColumnElement[Any]) -> Any:
        return conn.execute(sa.select(sa.func.max(column))).scalar()

    def at(column: sa.ColumnElement[Any]) -> str | None:
        value = top(column)
        return None if value is None else _as_datetime(value).isoformat()

    return Marks(
        file_id=int(top(files.c.file_id) or 0),
        decision_id=int(top(decisions.c.decision_id) or 0),
        purge_id=int(top(purges.c.purge_id) or 0),
        persons_at=at(persons.c.updated_at),
        addresses_at=at(addresses.c.updated_at),
    )


def save_marks(marks: Marks, folder: Path) -> None:
    (folder / MARKS_FILE).write_text(json.dumps(asdict(marks)))


def load_marks(folder: Path) -> Marks | None:
    try:
        return Marks(**json.loads((folder / MARKS_FILE).read_text()))
    except (FileNotFoundError, OSError, ValueError, TypeError):
        return None


def _as_datetime(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


@dataclass
class Scope:
    """What a partial projection reads, and which of its rows it owns (replaces in the
    snapshot): a row is owned only if every store row it is derived from is read."""

    persons: set[str] = field(default_factory=set)
    """Person nodes, their LIVED_AT and RELATED (either end): every record of theirs is read,
    and every stay at any address they stayed at (from the merged snapshot)."""
    resolves: set[str] = field(default_factory=set)
    """Records whose RESOLVES_TO is owned: the records of `persons` and the changed ones."""
    records: set[str] = field(default_factory=set)
    """Record nodes and IN_EVENT: a record's own row."""
    events: set[str] = field(default_factory=set)
    """Event nodes, AT and BY: every member record is read."""
    cases: set[str] = field(default_factory=set)
    """Case nodes and ABOUT: every record of the case is read."""
    addresses: set[str] = field(default_factory=set)
    """Address nodes and IN: every vote in the address's postcode district is counted."""
    read: dict[str, set[str]] = field(default_factory=dict)
    """read_frames' scope: the records, persons, addresses and profiles to read."""

    def size(self) -> int:
        return len(self.read.get("records", ()))


def find_scope(
    conn: sa.Connection,
    snapshot: Projection,
    marks: Marks,
    feeds: Mapping[str, FeedDefinition],
) -> Scope:
    """The keys a run touched, widened to what hangs on them."""
    snap = _Snapshot(snapshot)
    home_feeds = sorted(f.feed for f in feeds.values() if f.address_is == "home")
    r, ra, rp = records.c, record_addresses.c, record_persons.c

    # What changed: records loaded or ruled on, records purged, persons and addresses written.
    changed = _column(conn, sa.select(r.record_id).where(r.file_id > marks.file_id))
    for side in (decisions.c.record_a, decisions.c.record_b):
        changed |= _column(conn, sa.select(side).where(decisions.c.decision_id > marks.decision_id))
    cutoff = conn.execute(
        sa.select(sa.func.max(purges.c.cutoff)).where(purges.c.purge_id > marks.purge_id)
    ).scalar()
    if cutoff is not None:
        # A purge removes records older than its cutoff, whose events began before it.
        old = snap.events_before(_as_datetime(cutoff))
        candidates = snap.pick("IN_EVENT", "dst", old, "src")
        changed |= candidates - _keyed(conn, r.record_id, r.record_id, candidates)
    written_addresses = _since(
        conn, addresses.c.address_id, addresses.c.updated_at, marks.addresses_at
    )
    written_persons = _since(conn, persons.c.person_id, persons.c.updated_at, marks.persons_at)

    # People: those written, those of changed records (before and now), and — since a
    # household is everyone who stayed at an address (and more than HOUSEHOLD_MAX is no
    # household at all) — everyone who stayed where any of them stays or stayed, or at an
    # address that changed.
    touched_people = (
        written_persons
        | snap.pick("RESOLVES_TO", "src", changed, "dst")
        | _keyed(conn, rp.person_id, rp.record_id, changed)
    )
    moved_places = (
        written_addresses
        | _keyed(conn, ra.address_id, ra.record_id, changed)
        | snap.pick("AT", "src", snap.pick("IN_EVENT", "src", changed, "dst"), "dst")
    )
    homes_of = (
        sa.select(ra.address_id, rp.person_id)
        .select_from(records.join(record_addresses, ra.record_id == r.record_id))
        .join(record_persons, rp.record_id == r.record_id)
        .where(r.feed.in_(home_feeds))
    )
    stayed = (
        snap.pick("LIVED_AT", "src", touched_people, "dst")
        | _pairs(conn, homes_of, rp.person_id, touched_people, 0)
        | moved_places
    )
    people = (
        touched_people
        | snap.pick("LIVED_AT", "dst", stayed, "src")
        | _pairs(conn, homes_of, ra.address_id, stayed, 1)
    )

    # Statements between people (RELATED but household): a statement is made in a record
    # of one person and names another by a partner's person id, which any of the other's
    # records may carry. Read: the records of the people either side of every relationship
    # a person in scope has or had, and of whoever names them; and the records that carry
    # the ids their statements name.
    people_records = _keyed(conn, rp.record_id, rp.person_id, people) | snap.pick(
        "RESOLVES_TO", "dst", people, "src"
    )
    their_ids = {
        row[0]
        for row in _rows(conn, sa.select(r.source_person_id), r.record_id, people_records)
        if row[0] is not None
    } | snap.source_ids(people_records)
    naming = _keyed(
        conn,
        rp.person_id,
        r.related_source_person_id,
        their_ids,
        sa.select(rp.person_id).select_from(
            records.join(record_persons, rp.record_id == r.record_id)
        ),
    )
    related = (
        people
        | snap.pick("RELATED", "src", people, "dst")
        | snap.pick("RELATED", "dst", people, "src")
        | naming
    )
    related_records = people_records | _keyed(conn, rp.record_id, rp.person_id, related - people)
    named = {
        row[0]
        for row in _rows(conn, sa.select(r.related_source_person_id), r.record_id, related_records)
        if row[0] is not None
    }
    carriers = _keyed(conn, r.record_id, r.source_person_id, named)

    # Records, their events and cases; the records at a changed address (their events'
    # place is voted among their records).
    at_places = _keyed(conn, ra.record_id, ra.address_id, moved_places) | snap.pick(
        "IN_EVENT", "dst", snap.pick("AT", "dst", moved_places, "src"), "src"
    )
    owned_records = changed | people_records | at_places
    rows = _rows(
        conn, sa.select(r.record_id, r.feed, r.event_ref, r.case_ref), r.record_id, owned_records
    )
    events = snap.pick("IN_EVENT", "src", owned_records, "dst") | {
        f"{feed}:{ref if ref is not None else 'record:' + rid}" for rid, feed, ref, _ in rows
    }
    cases = snap.pick("ABOUT", "dst", people, "src") | {
        f"{feed}:{case}" for _, feed, _, case in rows if case is not None
    }
    members = _members(conn, events, r.event_ref) | _members(conn, cases, r.case_ref)

    # Addresses: an address's council is voted by every record in its postcode sector, or
    # failing that its district, so a vote that moved re-decides its whole district.
    districts = {
        _district(p)
        for p in snap.postcodes(moved_places)
        | {
            row[0]
            for row in _rows(
                conn, sa.select(addresses.c.postcode), addresses.c.address_id, moved_places
            )
        }
        if p
    }
    places = moved_places | snap.addresses_in(districts) | _addresses_in(conn, districts)

    read_records = owned_records | members | related_records | carriers
    profiles = _keyed(conn, rp.profile_id, rp.person_id, people)
    return Scope(
        persons=people,
        resolves=changed | people_records,
        records=owned_records,
        events=events,
        cases=cases,
        addresses=places,
        read={
            "records": read_records,
            "persons": people,
            "addresses": places,
            "profiles": profiles,
        },
    )


def project_scope(
    conn: sa.Connection,
    snapshot: Projection,
    scope: Scope,
    feeds: Mapping[str, FeedDefinition],
) -> tuple[Projection, Projection, Projection]:
    """The snapshot's rows in scope, the projection's rows for them, and the snapshot with
    the one put in place of the other."""
    frames = projection.read_frames(conn, feeds, {k: sorted(v) for k, v in scope.read.items()})
    frames["votes"] = _votes(conn, scope.addresses)
    frames["agency_recs"] = _agency_kinds(conn)
    con = projection.derive(frames, feeds)
    try:
        con.execute("CREATE TEMP VIEW agency_recs AS SELECT * FROM agency_recs_in")
        owners: dict[str, tuple[str, set[str]]] = {
            "Person": ("person_id", scope.persons),
            "Address": ("address_id", scope.addresses),
            "Event": ("event_id", scope.events),
            "Record": ("record_id", scope.records),
            "Case": ("case_id", scope.cases),
            "IN_EVENT": ("src", scope.records),
            "AT": ("src", scope.events),
            "RESOLVES_TO": ("src", scope.resolves),
            "LIVED_AT": ("src", scope.persons),
            "ABOUT": ("src", scope.cases),
            "BY": ("src", scope.events),
            "IN": ("src", scope.addresses),
        }
        before: dict[str, pa.Table] = {}
        after: dict[str, pa.Table] = {}
        merged: dict[str, pa.Table] = {}
        for kind, (column, keys) in owners.items():
            old = _table(snapshot, kind)
            mine = _in(column, keys)
            before[kind], after[kind] = old.filter(mine(old)), _new(con, kind, mine)
            merged[kind] = _sorted(pa.concat_tables([old.filter(_not(mine(old))), after[kind]]))
        # Whole-graph tables, small: every agency and council there is.
        con.register("address_nodes_merged", merged["Address"])
        con.execute("DROP TABLE address_nodes")
        con.execute("CREATE TEMP TABLE address_nodes AS SELECT * FROM address_nodes_merged")
        for kind in ("Agency", "LocalAuthority"):
            before[kind] = _table(snapshot, kind)
            after[kind] = merged[kind] = projection.arrow(con, kind)
        # Households from the merged stays at every address a person in scope stays at: a
        # pair's RELATED row joins all the addresses the two shared, and an address's
        # household is all who stayed there.
        stays = merged["LIVED_AT"]
        theirs = pc.is_in(stays["src"], value_set=_keys(scope.persons))
        places = pc.unique(stays.filter(theirs)["dst"])
        con.register("lived_merged", stays.filter(pc.is_in(stays["dst"], value_set=places)))
        con.register("places_merged", merged["Address"].select(["address_id", "residential"]))
        con.execute("DROP TABLE lived")
        con.execute("CREATE TEMP TABLE lived AS SELECT * FROM lived_merged")
        con.execute("DROP VIEW places")
        con.execute("CREATE TEMP VIEW places AS SELECT * FROM places_merged")
        old = snapshot.rels["RELATED"]

        def ends(table: pa.Table) -> pa.ChunkedArray:
            keys = _keys(scope.persons)
            return pc.or_(
                pc.is_in(table["src"], value_set=keys), pc.is_in(table["dst"], value_set=keys)
            )

        before["RELATED"], after["RELATED"] = old.filter(ends(old)), _new(con, "RELATED", ends)
        merged["RELATED"] = _sorted(
            pa.concat_tables([old.filter(pc.invert(ends(old))), after["RELATED"]])
        )
    finally:
        con.close()

    def split(tables: dict[str, pa.Table]) -> Projection:
        return Projection(
            {n.label: tables[n.label] for n in NODES}, {r.type: tables[r.type] for r in RELS}
        )

    return split(before), split(after), split(merged)


# --- the snapshot's side ---------------------------------------------------------------


class _Snapshot:
    def __init__(self, snapshot: Projection) -> None:
        self.p = snapshot

    def pick(self, kind: str, column: str, keys: Iterable[str], wanted: str) -> set[str]:
        table = _table(self.p, kind)
        found = table.filter(pc.is_in(table[column], value_set=_keys(keys)))[wanted]
        return {v for v in found.to_pylist() if v is not None}

    def events_before(self, cutoff: datetime) -> set[str]:
        events = self.p.nodes["Event"]
        early = pc.less(
            events["occurred_at"], pa.scalar(cutoff, events.schema.field("occurred_at").type)
        )
        return set(events.filter(early)["event_id"].to_pylist())

    def source_ids(self, record_ids: Iterable[str]) -> set[str]:
        return {v for v in self._column("Record", "record_id", record_ids, "source_person_id") if v}

    def postcodes(self, address_ids: Iterable[str]) -> set[str]:
        return {v for v in self._column("Address", "address_id", address_ids, "postcode") if v}

    def addresses_in(self, districts: set[str]) -> set[str]:
        table = self.p.nodes["Address"]
        found = table.filter(pc.is_in(_districts(table["postcode"]), value_set=_keys(districts)))
        return set(found["address_id"].to_pylist())

    def _column(self, kind: str, key: str, keys: Iterable[str], wanted: str) -> list[Any]:
        table = _table(self.p, kind)
        return list(table.filter(pc.is_in(table[key], value_set=_keys(keys)))[wanted].to_pylist())


def _table(p: Projection, kind: str) -> pa.Table:
    return p.nodes[kind] if kind in p.nodes else p.rels[kind]


def _keys(keys: Iterable[str]) -> pa.Array:
    return pa.array(sorted(set(keys)), pa.string())


def _in(column: str, keys: set[str]) -> Callable[[pa.Table], pa.ChunkedArray]:
    values = _keys(keys)
    return lambda table: pc.is_in(table[column], value_set=values)


def _not(mask: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.invert(mask)


def _new(con: Any, kind: str, mine: Callable[[pa.Table], pa.ChunkedArray]) -> pa.Table:
    rows = projection.arrow(con, kind)
    return rows.filter(mine(rows))


def _sorted(table: pa.Table) -> pa.Table:
    """In projection._arrow's order: by key, or by a relationship's ends and first property."""
    names = table.schema.names
    keys = names[: 3 if names[0] == "src" else 1]
    return table.sort_by([(k, "ascending") for k in keys])


def _district(postcode: str) -> str:
    return postcode.split(" ", maxsplit=1)[0]


def _districts(postcodes: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.list_element(pc.split_pattern(postcodes, " "), 0)


# --- the store's side ------------------------------------------------------------------


def _column(conn: sa.Connection, query: sa.Select[Any]) -> set[str]:
    return {v for v in conn.execute(query).scalars() if v is not None}


def _rows(
    conn: sa.Connection, query: sa.Select[Any], key: sa.ColumnElement[Any], keys: Iterable[str]
) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = []
    for part in chunks(sorted(set(keys))):
        found.extend(tuple(row) for row in conn.execute(query.where(key.in_(part))))
    return found


def _keyed(
    conn: sa.Connection,
    wanted: sa.ColumnElement[Any],
    key: sa.ColumnElement[Any],
    keys: Iterable[str],
    query: sa.Select[Any] | None = None,
) -> set[str]:
    """`wanted` of the rows whose `key` is one of `keys`."""
    base = query if query is not None else sa.select(wanted)
    return {row[0] for row in _rows(conn, base, key, keys) if row[0] is not None}


def _pairs(
    conn: sa.Connection,
    query: sa.Select[Any],
    key: sa.ColumnElement[Any],
    keys: Iterable[str],
    wanted: int,
) -> set[str]:
    return {row[wanted] for row in _rows(conn, query, key, keys) if row[wanted] is not None}


def _since(
    conn: sa.Connection, key: sa.ColumnElement[Any], at: sa.ColumnElement[Any], mark: str | None
) -> set[str]:
    query = sa.select(key)
    if mark is not None:
        # At or after: two runs may share a time (a test's, or one clock tick).
        query = query.where(at >= datetime.fromisoformat(mark))
    return _column(conn, query)


def _members(conn: sa.Connection, groups: set[str], ref: sa.ColumnElement[Any]) -> set[str]:
    """The records of these events (or cases): `feed:ref`, or an event of one record
    `feed:record:<record id>`."""
    r = records.c
    wanted: dict[str, set[str]] = {}
    found: set[str] = set()
    for group in groups:
        feed, _, rest = group.partition(":")
        if ref is r.event_ref and rest.startswith("record:"):
            found.add(rest.removeprefix("record:"))
        else:
            wanted.setdefault(rest, set()).add(feed)
    for record_id, feed, value in _rows(conn, sa.select(r.record_id, r.feed, ref), ref, wanted):
        if feed in wanted[value]:
            found.add(record_id)
    return found


def _addresses_in(conn: sa.Connection, districts: set[str]) -> set[str]:
    a = addresses.c
    found: set[str] = set()
    for part in chunks(sorted(districts), 100):
        query = sa.select(a.address_id).where(
            a.retired_into.is_(None), sa.or_(*(a.postcode.like(f"{d} %") for d in part))
        )
        found |= _column(conn, query)
    return found


def _votes(conn: sa.Connection, address_ids: set[str]) -> pa.Table:
    """Each address's records by the council they state: projection._STATED's rows,
    counted in the store rather than read record by record."""
    r, ra = records.c, record_addresses.c
    n = sa.func.count().label("n")
    query = (
        sa.select(ra.address_id, r.local_authority, n)
        .select_from(records.join(record_addresses, ra.record_id == r.record_id))
        .where(r.local_authority.is_not(None))
        .group_by(ra.address_id, r.local_authority)
    )
    rows = _rows(conn, query, ra.address_id, address_ids)
    return pa.table(
        {
            "address_id": pa.array([x[0] for x in rows], pa.string()),
            "local_authority": pa.array([x[1] for x in rows], pa.string()),
            "n": pa.array([x[2] for x in rows], pa.int64()),
        }
    )


def _agency_kinds(conn: sa.Connection) -> pa.Table:
    r = records.c
    rows = conn.execute(sa.select(r.agency, r.agency_kind).distinct()).all()
    return pa.table(
        {
            "agency": pa.array([x[0] for x in rows], pa.string()),
            "agency_kind": pa.array([x[1] for x in rows], pa.string()),
        }
    )


def same_schemas(p: Projection) -> bool:
    return all(t.schema.equals(NODE_SCHEMAS[k]) for k, t in p.nodes.items()) and all(
        t.schema.equals(REL_SCHEMAS[k]) for k, t in p.rels.items()
    )


__all__: Sequence[str] = ("Marks", "Scope", "find_scope", "project_scope", "read_marks")
