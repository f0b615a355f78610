"""Tallies: events per address and per person, by agency kind and calendar month.

The region-wide reports (high-contact addresses and people, known to one kind of agency
but not another, non-residential hotspots) and the daily headline figures count events
over a window of about a year. Counting them means walking every event and its agency;
a tally node holds the count for one address (with the category) or one person, one
agency kind and one month, so a report adds up the months that lie wholly inside its
window and walks only the events of the part-months at either end (`whole_months`).

Tallies are derived from the projection's own tables (never from the store), so they
equal whatever the events say: `count` derives them all, in a full projection; `update`
derives again only those of the addresses and persons a delta touched. An address tally
counts paths as `(Address)<-[:AT]-(Event)-[:BY]->(Agency)` does; a person tally counts
distinct events, as `count(DISTINCT e)` over the person's records does, apart for the
events before and after their 18th birthday (with the earliest day of each), so that
transitions to adult services read them too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from mast.schema.graph import NODE, Kind

LABELS = ("AddressTally", "PersonTally")
"""The tally labels; everything else in a projection is what they are derived from."""

_ARROW: dict[Kind, pa.DataType] = {
    "STRING": pa.string(),
    "TIMESTAMP": pa.timestamp("us"),
    "INT64": pa.int64(),
    "BOOL": pa.bool_(),
    "DATE": pa.date32(),
}
SCHEMAS = {
    label: pa.schema([pa.field(n, _ARROW[k]) for n, k in NODE[label].properties])
    for label in LABELS
}

# Events with no time or no agency kind are in no window and of no kind: never counted.
_ADDRESS = """
SELECT x.dst AS address_id, g.kind AS agency_kind, e.category,
       CAST(date_trunc('month', e.occurred_at) AS TIMESTAMP) AS month, count(*) AS events,
       a.residential
FROM at_rows x
JOIN event_rows e ON e.event_id = x.src
JOIN by_rows b ON b.src = e.event_id
JOIN agency_rows g ON g.agency_id = b.dst
LEFT JOIN address_rows a ON a.address_id = x.dst
WHERE e.occurred_at IS NOT NULL AND g.kind IS NOT NULL $only(x.dst)
GROUP BY ALL
"""
# Each person's distinct events first: count(DISTINCT …) in the grouping is ~2× slower.
_PERSON = """
WITH theirs AS (
    SELECT DISTINCT r.dst AS person_id, i.dst AS event_id
    FROM resolves_rows r JOIN in_event_rows i ON i.src = r.src
    WHERE true $only(r.dst)
)
SELECT x.person_id, g.kind AS agency_kind,
       CAST(date_trunc('month', e.occurred_at) AS TIMESTAMP) AS month,
       e.day >= p.adult_on AS adult, count(*) AS events, min(e.day) AS first_day
FROM theirs x
JOIN event_rows e ON e.event_id = x.event_id
JOIN by_rows b ON b.src = e.event_id
JOIN agency_rows g ON g.agency_id = b.dst
LEFT JOIN person_rows p ON p.person_id = x.person_id
WHERE e.occurred_at IS NOT NULL AND g.kind IS NOT NULL
GROUP BY ALL
"""
# The key: whose, which kind, which month, then the category (which may hold anything,
# so it comes last; '-' for none, '=' before one, so that no category reads as none).
_KEYS = {
    "AddressTally": "address_id || '|' || agency_kind || '|' || strftime(month, '%Y-%m') "
    "|| '|' || coalesce('=' || category, '-')",
    "PersonTally": "person_id || '|' || agency_kind || '|' || strftime(month, '%Y-%m') "
    "|| '|' || CASE WHEN adult THEN 'adult' WHEN NOT adult THEN 'child' ELSE '-' END",
}
_OWNER = {"AddressTally": "address_id", "PersonTally": "person_id"}
_ONLY = re.compile(r"\$only\(([\w.]+)\)")
"""Where the given addresses or persons are the only ones to derive."""


def count(
    nodes: Mapping[str, pa.Table],
    rels: Mapping[str, pa.Table],
    *,
    addresses: pa.Array | None = None,
    persons: pa.Array | None = None,
) -> dict[str, pa.Table]:
    """The tally tables of the given addresses and persons (all, if None) from a
    projection's Event, Agency, Person and Address nodes and AT, BY, IN_EVENT and
    RESOLVES_TO rows."""
    con = duckdb.connect()
    try:
        con.execute("SET threads TO 2")
        con.execute("SET enable_progress_bar = false")
        for name, table in (
            ("event_rows", nodes["Event"]),
            ("agency_rows", nodes["Agency"]),
            ("person_rows", nodes["Person"].select(["person_id", "adult_on"])),
            ("address_rows", nodes["Address"].select(["address_id", "residential"])),
            ("at_rows", rels["AT"]),
            ("by_rows", rels["BY"]),
            ("in_event_rows", rels["IN_EVENT"]),
            ("resolves_rows", rels["RESOLVES_TO"]),
        ):
            con.register(name, table)
        out = {}
        for label, template, keys in (
            ("AddressTally", _ADDRESS, addresses),
            ("PersonTally", _PERSON, persons),
        ):
            if keys is None:  # every one: no filter (a semi-join with all of them costs)
                sql = _ONLY.sub("", template)
            else:
                con.register("wanted", pa.table({"k": keys.cast(pa.string())}))
                sql = _ONLY.sub(r"AND \1 IN (SELECT k FROM wanted)", template)
            columns = ", ".join(SCHEMAS[label].names[1:])
            result = con.sql(
                f"SELECT {_KEYS[label]} AS tally_id, {columns} FROM ({sql}) ORDER BY tally_id"  # noqa: S608
            ).arrow()
            if isinstance(result, pa.RecordBatchReader):
                result = result.read_all()
            out[label] = result.cast(SCHEMAS[label])
    finally:
        con.close()
    return out


SOURCES = ("Event", "Agency", "Person", "Address", "AT", "BY", "IN_EVENT", "RESOLVES_TO")
"""What tallies are derived from: a change in any other table leaves them as they are."""


@dataclass(frozen=True)
class TallyDelta:
    """label → rows: the tallies a delta replaces, those it puts in their place (as
    projection tables, for build.diff), and the whole tally tables after it."""

    before: dict[str, pa.Table]
    after: dict[str, pa.Table]
    merged: dict[str, pa.Table]


def update(
    old: Mapping[str, pa.Table],
    before: Mapping[str, pa.Table],
    after: Mapping[str, pa.Table],
    new: Mapping[str, pa.Table],
) -> TallyDelta:
    """The tallies of `new` from those of `old`, deriving again only the tallies of the
    addresses and persons the changed rows reach. Each mapping is label or type → table:
    `old` and `new` whole projections (old with its tallies); `before` and `after` the rows
    of SOURCES a delta replaced and the rows it put in their place (rows that did not
    change may be among them: only the rows that differ are followed). An agency that
    changed kind changes every tally: then every tally is derived again."""
    changed = _changed(before, after)
    if changed["Agency"].num_rows:
        places, people = _column(old, "AddressTally"), _column(old, "PersonTally")
        fresh = count(new, new)
    else:
        places, people = _reach(old, changed, new)
        fresh = count(new, new, addresses=places, persons=people)
    delta = TallyDelta({}, fresh, {})
    for label, keys in (("AddressTally", places), ("PersonTally", people)):
        mine = pc.is_in(old[label][_OWNER[label]], keys)
        delta.before[label] = old[label].filter(mine)
        merged = pa.concat_tables([old[label].filter(pc.invert(mine)), fresh[label]])
        delta.merged[label] = merged.take(pc.sort_indices(merged, [("tally_id", "ascending")]))
    return delta


def _reach(
    old: Mapping[str, pa.Table], changed: Mapping[str, pa.Table], new: Mapping[str, pa.Table]
) -> tuple[pa.Array, pa.Array]:
    """The addresses and persons whose tallies the changed rows can change: those of the
    changed events (their address, the persons of all their records, before and after),
    of the records whose event or person changed, and the changed persons and addresses."""
    events = _union(changed["Event"]["event_id"], changed["AT"]["src"], changed["BY"]["src"])
    events = _union(events, changed["IN_EVENT"]["dst"])
    records = _union(changed["RESOLVES_TO"]["src"], changed["IN_EVENT"]["src"])
    for side in (old, new):
        in_event = side["IN_EVENT"]
        records = _union(records, in_event.filter(pc.is_in(in_event["dst"], events))["src"])
    places = _union(changed["Address"]["address_id"])
    people = _union(changed["RESOLVES_TO"]["dst"], changed["Person"]["person_id"])
    for side in (old, new):
        at, resolves = side["AT"], side["RESOLVES_TO"]
        places = _union(places, at.filter(pc.is_in(at["src"], events))["dst"])
        people = _union(people, resolves.filter(pc.is_in(resolves["src"], records))["dst"])
    return places, people


def _changed(before: Mapping[str, pa.Table], after: Mapping[str, pa.Table]) -> dict[str, pa.Table]:
    """Of each source, the rows only one side has (both sides' such rows, concatenated)."""
    con = duckdb.connect()
    try:
        out = {}
        for kind in SOURCES:
            con.register("one", before[kind])
            con.register("other", after[kind].select(before[kind].schema.names))
            found = con.sql(
                "(SELECT * FROM one EXCEPT ALL SELECT * FROM other) UNION ALL "
                "(SELECT * FROM other EXCEPT ALL SELECT * FROM one)"
            ).arrow()
            found = found.read_all() if isinstance(found, pa.RecordBatchReader) else found
            out[kind] = found.cast(before[kind].schema)
    finally:
        con.close()
    return out


def _column(tables: Mapping[str, pa.Table], label: str) -> pa.Array:
    return _union(tables[label][_OWNER[label]])


def _union(*columns: pa.Array | pa.ChunkedArray) -> pa.Array:
    parts = [c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c for c in columns]
    return pc.unique(pa.concat_arrays([p.cast(pa.string()) for p in parts]))


def whole_months(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The whole calendar months inside [start, end), as [first, last): a report adds up
    their tallies and counts the events of [start, first) and [last, end) itself. An
    empty span (first == last) where no whole month fits, so every event is counted."""
    first = start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if first < start:
        try:
            first = (first + timedelta(days=32)).replace(day=1)
        except OverflowError:  # December 9999: no month follows, so none is whole
            return (start, start)
    last = end.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (first, max(first, last))
