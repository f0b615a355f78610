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
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from mast.graph import projection, tally
from mast.graph.projection import Projection
from mast.schema.feed import FeedDefinition
from mast.schema.graph import NODES, RELS
from mast.schema.tables import (
    addresses,
    decisions,
    files,
    person_changes,
    person_profiles,
    persons,
    purges,
    record_addresses,
    record_persons,
    records,
)

log = logging.getLogger(__name__)

MARKS_FILE = "marks.json"
VOTES_FILE = "votes.arrow"


@dataclass(frozen=True)
class Marks:
    """Where the store stood when a build read it: what is past these is new to the graph."""

    file_id: int
    decision_id: int
    purge_id: int
    persons_at: str | None
    addresses_at: str | None
    change_seq: int = 0
    """The change feed's last entry (`person_changes.seq`)."""


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
        change_seq=int(top(person_changes.c.seq) or 0),
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
    voted: set[str] = field(default_factory=set)
    """Addresses whose votes are counted again. Every address is read (a few columns of a
    small table) and every Address node and IN derived again: its council is voted by its
    postcode sector or district, from the snapshot's votes with these re-counted."""
    read: dict[str, set[str]] = field(default_factory=dict)
    """read_frames' scope: the records, persons and profiles to read."""


def delta(
    conn: sa.Connection,
    snapshot: Projection,
    marks: Marks,
    feeds: Mapping[str, FeedDefinition],
) -> tuple[Projection, Projection, Projection] | None:
    """The snapshot's rows for what was touched since `marks`, the projection's rows for
    them, and the snapshot with the one put in place of the other; None if the scope keeps
    growing (the caller then projects the whole store). When an address becomes, or stops
    being, a household (HOUSEHOLD_MAX, or its premises type), the household pairs of the
    people there change though nothing of theirs did: they are derived again from the
    merged stays (`_households_of`), or, if a statement shares their rows, the people are
    added to the scope and it is projected again."""
    extra: set[str] = set()
    for _ in range(_ROUNDS):
        scope = find_scope(conn, snapshot, marks, feeds, extra)
        log.info(
            "graph: %d records, %d persons, %d addresses re-counted in scope",
            len(scope.read["records"]),
            len(scope.persons),
            len(scope.voted),
        )
        before, after, merged = project_scope(conn, snapshot, scope, feeds)
        flipped = _household_flips(snapshot, merged) - scope.persons
        if not flipped:
            return before, after, merged
        households = _households_of(flipped, scope.persons, merged)
        log.info("graph: %d people at an address whose household standing flipped", len(flipped))
        if households is not None:
            return _with_related(before, after, merged, households)
        extra |= flipped
    return None


def _households_of(
    flipped: set[str], done: set[str], merged: Projection
) -> tuple[pa.Table, pa.Table] | None:
    """The household rows of RELATED with an end in `flipped` and none in `done` (those
    were derived with the scope), as they were and as the merged stays make them now.
    Only households change when an address flips, and they hang only on stays and the
    addresses' standing, which the merged snapshot holds: the people at a flipped address
    need no read of the store. None if a statement there says "household" too (its row
    would join a household's), and the scope then takes those people in whole."""
    related = merged.rels["RELATED"]
    theirs = pc.and_(pc.equal(related["kind"], "household"), _either_end(related, flipped, done))
    was = related.filter(theirs)
    if any("stated in" in (e or "") for e in was["evidence"].to_pylist()):
        return None
    stays = merged.rels["LIVED_AT"]
    places = pc.unique(stays.filter(pc.is_in(stays["src"], value_set=_keys(flipped)))["dst"])
    con = duckdb.connect()
    try:
        con.execute("SET threads TO 2")
        con.register("lived_in", stays.filter(pc.is_in(stays["dst"], value_set=places)))
        con.register("places_in", merged.nodes["Address"].select(["address_id", "residential"]))
        con.execute("CREATE TEMP TABLE lived AS SELECT * FROM lived_in")
        con.execute("CREATE TEMP TABLE places AS SELECT * FROM places_in")
        # No statements: the household half of the relationship's SQL alone.
        con.execute(
            "CREATE TEMP TABLE stated_recs (record_id VARCHAR, "
            "related_source_person_id VARCHAR, relationship VARCHAR)"
        )
        con.execute(
            "CREATE TEMP TABLE recs (record_id VARCHAR, person_id VARCHAR, "
            "occurred_at TIMESTAMP, feed VARCHAR, source_person_id VARCHAR)"
        )
        now = projection.arrow(con, "RELATED")
    finally:
        con.close()
    return was, now.filter(_either_end(now, flipped, done))


def _either_end(table: pa.Table, ends: set[str], not_ends: set[str]) -> pa.ChunkedArray:
    inside, outside = _keys(ends), _keys(not_ends)
    return pc.and_(
        pc.or_(pc.is_in(table["src"], value_set=inside), pc.is_in(table["dst"], value_set=inside)),
        pc.invert(
            pc.or_(
                pc.is_in(table["src"], value_set=outside),
                pc.is_in(table["dst"], value_set=outside),
            )
        ),
    )


def _with_related(
    before: Projection, after: Projection, merged: Projection, households: tuple[pa.Table, pa.Table]
) -> tuple[Projection, Projection, Projection]:
    """The three projections with the flipped households' rows put in place."""
    was, now = households
    related = merged.rels["RELATED"]
    # `was` are merged rows (snapshot rows the scope did not own): drop them by identity.
    keep = pc.invert(
        pc.is_in(
            pc.binary_join_element_wise(related["src"], related["dst"], related["kind"], "|"),
            value_set=pc.binary_join_element_wise(was["src"], was["dst"], was["kind"], "|"),
        )
    )

    def with_rels(p: Projection, table: pa.Table) -> Projection:
        return Projection(p.nodes, {**p.rels, "RELATED": table}, p.votes)

    return (
        with_rels(before, pa.concat_tables([before.rels["RELATED"], was])),
        with_rels(after, pa.concat_tables([after.rels["RELATED"], now])),
        with_rels(merged, pa.concat_tables([related.filter(keep), now])),
    )


_ROUNDS = 3


def find_scope(
    conn: sa.Connection,
    snapshot: Projection,
    marks: Marks,
    feeds: Mapping[str, FeedDefinition],
    extra_people: set[str] | None = None,
) -> Scope:
    """The keys a run touched, widened to what hangs on them.

    Over 80 lines: one widening after another, each reading what the last found (changed
    records, then their people, then those people's statements, events, cases and
    households); kept in one place so the order, which is what makes the scope complete,
    reads top to bottom."""
    snap = _Snapshot(snapshot)
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
    a = addresses.c
    written = _rows(
        conn,
        sa.select(a.address_id, a.retired_into),
        None,
        (),
        _at(conn, a.updated_at, marks.addresses_at),
    )
    active = _column(conn, sa.select(a.address_id).where(a.retired_into.is_(None)))
    known = set(snapshot.nodes["Address"]["address_id"].to_pylist())
    gone = known - active
    # Merged away since (the snapshot has them, the store retired them), and where into.
    into = dict(_rows(conn, sa.select(a.address_id, a.retired_into), a.address_id, gone))
    retired = {aid for aid, target in into.items() if target is not None}
    # Places whose records changed hands (merged into, split out, new): their records'
    # events may be voted to another address.
    receiving = (active - known) | {t for t in into.values() if t is not None}
    # Persons the resolver wrote, and those its change feed names since (created, merged
    # into or away, split, retired, given an event): the feed's numbers hold even where
    # two runs share a second.
    written_persons = _column(
        conn,
        sa.select(persons.c.person_id).where(_at(conn, persons.c.updated_at, marks.persons_at)),
    )
    for column in (person_changes.c.person_id, person_changes.c.into_id):
        written_persons |= _column(
            conn, sa.select(column).where(person_changes.c.seq > marks.change_seq)
        )

    # Records that moved to another person are in the feed by their event: the person they
    # left changed too, and a run that shares the last build's second (a rerun of one
    # `--as-of`, a test's fixed clock) stamps it no later than the mark.
    moved_events = _column(
        conn,
        sa.select(person_changes.c.event_id).where(
            person_changes.c.seq > marks.change_seq, person_changes.c.event_id.is_not(None)
        ),
    )
    moved = snap.pick("IN_EVENT", "dst", moved_events, "src")

    # People: those written (the resolver writes a person whose details, records or links
    # changed), and those of changed records, before and now.
    people = (
        written_persons
        | snap.pick("RESOLVES_TO", "src", changed | moved, "dst")
        | _keyed(conn, rp.person_id, rp.record_id, changed)
        | (extra_people or set())
    )

    # Statements between people (RELATED but household): a statement is made in a record
    # of one person and names another by a partner's person id, which any of the other's
    # records may carry. Read: the records of the people either side of every statement a
    # person in scope makes, and of whoever names an id of theirs; and the records
    # that carry the ids their statements name.
    # One read of the people's records gives their ids, statements, events and cases, and
    # profiles (they were five reads of the same ~18,000 rows at 20,000 people).
    known_records = _RecordDetails(conn)
    theirs = _rows(
        conn,
        sa.select(rp.profile_id, *_RecordDetails.COLUMNS).select_from(
            records.join(record_persons, rp.record_id == r.record_id)
        ),
        rp.person_id,
        people,
    )
    known_records.add(row[1:] for row in theirs)
    profiles = {row[0] for row in theirs if row[0] is not None}
    people_records = {row[1] for row in theirs} | snap.pick("RESOLVES_TO", "dst", people, "src")
    their_ids = {
        d.source_person_id for d in known_records.of(people_records) if d.source_person_id
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
    # (Whoever stated something of a person before is among those naming them: the ids
    # their records carried before are the snapshot's.)
    related = people | naming
    related_records = people_records | _keyed(conn, rp.record_id, rp.person_id, related - people)
    named = {
        f"{d.feed}/{d.related_source_person_id}"
        for d in known_records.of(related_records)
        if d.related_source_person_id is not None
    }
    carriers = _keyed(
        conn,
        rp.record_id,
        person_profiles.c.source,
        named,
        sa.select(rp.record_id).select_from(
            person_profiles.join(record_persons, rp.profile_id == person_profiles.c.profile_id)
        ),
    )

    # Records, their events and cases; the records at a place that took others' records,
    # and the events at a place that is gone.
    at_places = _keyed(conn, ra.record_id, ra.address_id, receiving) | snap.pick(
        "IN_EVENT", "dst", snap.pick("AT", "dst", retired | gone, "src"), "src"
    )
    owned_records = changed | people_records | at_places
    owned = known_records.of(owned_records)
    events = snap.pick("IN_EVENT", "src", owned_records, "dst") | {
        f"{d.feed}:{d.event_ref if d.event_ref is not None else 'record:' + d.record_id}"
        for d in owned
    }
    cases = snap.pick("ABOUT", "dst", people, "src") | {
        f"{d.feed}:{d.case_ref}" for d in owned if d.case_ref is not None
    }
    # An event's members now are its members before (the snapshot's) and changed records.
    members = snap.pick("IN_EVENT", "dst", events, "src") | _case_members(conn, cases)

    # Votes change where records came or went (the address was written) or changed.
    voted = {aid for aid, _ in written} | gone | _keyed(conn, ra.address_id, ra.record_id, changed)
    return Scope(
        persons=people,
        resolves=changed | people_records,
        records=owned_records,
        events=events,
        cases=cases,
        voted=voted,
        read={
            "records": owned_records | members | related_records | carriers,
            "persons": people,
            "profiles": profiles,
        },
    )


class _Detail(NamedTuple):
    record_id: str
    feed: str
    source_person_id: str | None
    related_source_person_id: str | None
    event_ref: str | None
    case_ref: str | None


class _RecordDetails:
    """The few columns of records the scope follows, each record read from the store once
    (a record gone from the store has none)."""

    COLUMNS = (
        records.c.record_id,
        records.c.feed,
        records.c.source_person_id,
        records.c.related_source_person_id,
        records.c.event_ref,
        records.c.case_ref,
    )

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self.found: dict[str, _Detail] = {}
        self.tried: set[str] = set()

    def add(self, rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            detail = _Detail(*row)
            self.found[detail.record_id] = detail
            self.tried.add(detail.record_id)

    def of(self, record_ids: set[str]) -> list[_Detail]:
        missing = record_ids - self.tried
        if missing:
            self.add(_rows(self.conn, sa.select(*self.COLUMNS), records.c.record_id, missing))
            self.tried |= missing
        return [self.found[i] for i in record_ids if i in self.found]


def project_scope(
    conn: sa.Connection,
    snapshot: Projection,
    scope: Scope,
    feeds: Mapping[str, FeedDefinition],
) -> tuple[Projection, Projection, Projection]:
    """The snapshot's rows in scope, the projection's rows for them, and the snapshot with
    the one put in place of the other.

    Over 80 lines: every label and type is taken out and put back on one DuckDB connection
    that holds the derived views, then the households and tallies that depend on the merged
    rows; split up, the connection's lifetime would be spread over several functions."""
    frames = projection.read_frames(conn, feeds, {k: sorted(v) for k, v in scope.read.items()})
    assert snapshot.votes is not None  # noqa: S101 - delta() is called with a snapshot's votes
    votes = snapshot.votes
    frames["votes"] = _sorted_by(
        pa.concat_tables(
            [
                votes.filter(
                    pc.invert(pc.is_in(votes["address_id"], value_set=_keys(scope.voted)))
                ),
                _votes(conn, scope.voted),
            ]
        ),
        ["address_id", "local_authority"],
    )
    frames["agency_recs"] = _agency_kinds(conn)
    con = projection.derive(frames, feeds)
    try:
        con.execute("CREATE TEMP VIEW agency_recs AS SELECT * FROM agency_recs_in")
        owners: dict[str, tuple[str, set[str] | None]] = {
            "Person": ("person_id", scope.persons),
            "Address": ("address_id", None),
            "Event": ("event_id", scope.events),
            "Record": ("record_id", scope.records),
            "Case": ("case_id", scope.cases),
            "IN_EVENT": ("src", scope.records),
            "AT": ("src", scope.events),
            "RESOLVES_TO": ("src", scope.resolves),
            "LIVED_AT": ("src", scope.persons),
            "ABOUT": ("src", scope.cases),
            "BY": ("src", scope.events),
            "IN": ("src", None),
            "Agency": ("agency_id", None),
            "LocalAuthority": ("name", None),
        }
        before: dict[str, pa.Table] = {}
        after: dict[str, pa.Table] = {}
        merged: dict[str, pa.Table] = {}
        for kind, (column, keys) in owners.items():
            old = _table(snapshot, kind)
            if keys is None:
                before[kind], after[kind] = old, projection.arrow(con, kind)
                merged[kind] = after[kind]
                continue
            # The snapshot's rows need no order (it is diffed and filtered by key, never
            # compared row for row): sorting every table each day cost a second at 20,000.
            mask = _in(column, keys)(old)
            before[kind], after[kind] = old.filter(mask), _new(con, kind, _in(column, keys))
            merged[kind] = pa.concat_tables([old.filter(_not(mask)), after[kind]])
        # Households from the merged stays at every address a person in scope stays at: a
        # pair's RELATED row joins all the addresses the two shared, and an address's
        # household is all who stayed there.
        stays = merged["LIVED_AT"]
        theirs = pc.is_in(stays["src"], value_set=_keys(scope.persons))
        places = pc.unique(stays.filter(theirs)["dst"])
        con.register("lived_merged", stays.filter(pc.is_in(stays["dst"], value_set=places)))
        con.execute("DROP TABLE lived")
        con.execute("CREATE TEMP TABLE lived AS SELECT * FROM lived_merged")
        old = snapshot.rels["RELATED"]

        def ends(table: pa.Table) -> pa.ChunkedArray:
            keys = _keys(scope.persons)
            return pc.or_(
                pc.is_in(table["src"], value_set=keys), pc.is_in(table["dst"], value_set=keys)
            )

        before["RELATED"], after["RELATED"] = old.filter(ends(old)), _new(con, "RELATED", ends)
        merged["RELATED"] = pa.concat_tables([old.filter(pc.invert(ends(old))), after["RELATED"]])
    finally:
        con.close()
    # The tallies of the addresses and persons the replaced rows reach, counted again from
    # the merged rows (mast/graph/tally.py): not a table of the store, so not an owner above.
    t = tally.update({**snapshot.nodes, **snapshot.rels}, before, after, merged)
    before |= t.before
    after |= t.after
    merged |= t.merged

    def split(tables: dict[str, pa.Table], votes: pa.Table | None = None) -> Projection:
        return Projection(
            {n.label: tables[n.label] for n in NODES},
            {r.type: tables[r.type] for r in RELS},
            votes,
        )

    return split(before), split(after), split(merged, frames["votes"])


def _household_flips(old: Projection, new: Projection) -> set[str]:
    """The people at every address whose household standing (residential, and no more than
    HOUSEHOLD_MAX people) differs between the two."""

    def standing(p: Projection) -> dict[str, bool]:
        stays = p.rels["LIVED_AT"].group_by("dst").aggregate([("src", "count")])
        counts = dict(zip(stays["dst"].to_pylist(), stays["src_count"].to_pylist(), strict=True))
        places = p.nodes["Address"]
        residential = dict(
            zip(places["address_id"].to_pylist(), places["residential"].to_pylist(), strict=True)
        )
        return {
            aid: n <= projection.HOUSEHOLD_MAX and residential.get(aid) is not False
            for aid, n in counts.items()
            if aid in residential
        }

    was, now = standing(old), standing(new)
    flipped = {aid for aid in was.keys() | now.keys() if was.get(aid) != now.get(aid)}
    people: set[str] = set()
    for p in (old, new):
        stays = p.rels["LIVED_AT"]
        people |= set(
            stays.filter(pc.is_in(stays["dst"], value_set=_keys(flipped)))["src"].to_pylist()
        )
    return people


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

    def _column(self, kind: str, key: str, keys: Iterable[str], wanted: str) -> list[Any]:
        table = _table(self.p, kind)
        return list(table.filter(pc.is_in(table[key], value_set=_keys(keys)))[wanted].to_pylist())


def _table(p: Projection, kind: str) -> pa.Table:
    return p.nodes[kind] if kind in p.nodes else p.rels[kind]


def _keys(keys: Iterable[str]) -> pa.Array:
    """A value set for `pc.is_in` (hashed there: no order needed)."""
    return pa.array(keys if isinstance(keys, set) else set(keys), pa.string())


def _in(column: str, keys: set[str]) -> Callable[[pa.Table], pa.ChunkedArray]:
    values = _keys(keys)
    return lambda table: pc.is_in(table[column], value_set=values)


def _not(mask: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.invert(mask)


def _new(con: Any, kind: str, mine: Callable[[pa.Table], pa.ChunkedArray]) -> pa.Table:
    rows = projection.arrow(con, kind)
    return rows.filter(mine(rows))


def _sorted_by(table: pa.Table, keys: list[str]) -> pa.Table:
    return table.sort_by([(k, "ascending") for k in keys])


# --- the store's side ------------------------------------------------------------------


def _column(conn: sa.Connection, query: sa.Select[Any]) -> set[str]:
    return {v for v in conn.execute(query).scalars() if v is not None}


def _rows(
    conn: sa.Connection,
    query: sa.Select[Any],
    key: sa.ColumnElement[Any] | None,
    keys: Iterable[str],
    where: sa.ColumnElement[bool] | None = None,
) -> list[tuple[Any, ...]]:
    """The query's rows whose `key` is one of `keys`; with no key, the
    rows `where` says."""
    if key is None:
        return [
            tuple(row)
            for row in conn.execute(query.where(where if where is not None else sa.true()))
        ]
    return [tuple(row) for row in conn.execute(query.where(projection.among(conn, key, keys)))]


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


def _at(conn: sa.Connection, at: sa.ColumnElement[Any], mark: str | None) -> sa.ColumnElement[bool]:
    """Written in a later second than the mark's. A run stamps what it writes with its own
    time, so everything the last build read carries the mark's second or an earlier one, and
    the next run's writes a later one (runs take more than a second, and hold the daily
    lock); counting the mark's own second too put every row the last run wrote back in scope
    (after a first day, every person). SQLite holds times as text, some written with
    fractions of a second and some without ('… 02:00:00' sorts before '… 02:00:00.000000'),
    so there the first 19 characters are compared."""
    if mark is None:
        return sa.true()
    floor = datetime.fromisoformat(mark).replace(microsecond=0)
    if conn.dialect.name == "sqlite":
        return sa.func.substr(at, 1, 19) > floor.strftime("%Y-%m-%d %H:%M:%S")
    return at >= floor + timedelta(seconds=1)


def _case_members(conn: sa.Connection, cases: set[str]) -> set[str]:
    """The records of these cases (`feed:case_ref`), found by their partial index."""
    r = records.c
    wanted: dict[str, set[str]] = {}
    for case in cases:
        feed, _, ref = case.partition(":")
        wanted.setdefault(ref, set()).add(feed)
    query = sa.select(r.record_id, r.feed, r.case_ref)
    return {
        record_id
        for record_id, feed, ref in _rows(conn, query, r.case_ref, wanted)
        if feed in wanted[ref]
    }


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


__all__: Sequence[str] = ("Marks", "Scope", "delta", "find_scope", "project_scope", "read_marks")
