"""The graph as a projection of the state store: one Arrow table per label and type.

Everything here is derived; the state store stays the only copy (DESIGN.md), so the graph
can be rebuilt at any time and a daily delta is the difference of two projections
(`build.py`). The derivations:

- Event: records of one feed sharing an event reference (a police occurrence and its
  nominals) are one event; it is AT the address most of its records give.
- LIVED_AT: from feeds whose address is the person's home (`address_is: home`). In date
  order, each such record starts or extends a stay at its address that lasts until the
  person's next record at another address, or, for the latest, until they were last seen
  by any agency; the relationship spans the first to the last day of their stays there.
- RELATED: people who lived at the same residential address in overlapping periods
  (`household`; addresses with more than `HOUSEHOLD_MAX` people are institutions, not
  households), and relationships a feed states (`mother`, `child` …: what the second person
  is to the first), each with its evidence.
- Address.local_authority: the one most records in its postcode sector state; else in its
  postcode district; else (no postcode) the one its own records state. The sector comes
  first because a feed may state the council that recorded the event rather than the one
  the address is in (a council's children's services follow a child who moved next door
  across the boundary): one address's few records can say the wrong council, a sector's
  many records outvote them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from mast.graph import tally
from mast.schema.feed import FeedDefinition
from mast.schema.graph import NODES, RELS, Kind
from mast.schema.tables import (
    addresses,
    decisions,
    person_edges,
    persons,
    record_addresses,
    record_persons,
    records,
)

HOUSEHOLD_MAX = 10
"""More people than this at one address in overlapping periods is a hostel or care home."""

_ARROW: dict[Kind, pa.DataType] = {
    "STRING": pa.string(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
    "BOOL": pa.bool_(),
    "INT64": pa.int64(),
    "DOUBLE": pa.float64(),
    "STRING[]": pa.list_(pa.string()),
}


def arrow_schema(properties: tuple[tuple[str, Kind], ...], *, ends: bool = False) -> pa.Schema:
    """Columns of a bulk load: a relationship's rows start with its two ends' keys."""
    head = [pa.field("src", pa.string()), pa.field("dst", pa.string())] if ends else []
    return pa.schema([*head, *(pa.field(name, _ARROW[kind]) for name, kind in properties)])


NODE_SCHEMAS = {n.label: arrow_schema(n.properties) for n in NODES}
REL_SCHEMAS = {r.type: arrow_schema(r.properties, ends=True) for r in RELS}


@dataclass(frozen=True)
class Projection:
    nodes: dict[str, pa.Table]
    """label → one row per node, key first."""
    rels: dict[str, pa.Table]
    """type → one row per relationship: src key, dst key, properties."""
    votes: pa.Table | None = None
    """address_id, local_authority, n: the records at each address stating each council
    (`_STATED`), kept with the snapshot so a partial build re-counts only changed addresses'."""

    def counts(self) -> dict[str, int]:
        return {**{k: v.num_rows for k, v in self.nodes.items()}, **self.rels_counts()}

    def rels_counts(self) -> dict[str, int]:
        return {k: v.num_rows for k, v in self.rels.items()}


def project(engine: sa.Engine, feeds: Mapping[str, FeedDefinition]) -> Projection:
    """Read the state store and derive every node and relationship of the graph."""
    with projection_engine(engine).connect() as conn:
        frames = read_frames(conn, feeds)
    con = derive(frames, feeds)
    try:
        con.execute("CREATE TEMP VIEW agency_recs AS SELECT agency, agency_kind FROM recs")
        nodes = {label: _arrow(con, sql, NODE_SCHEMAS[label]) for label, sql in _NODE_SQL.items()}
        rels = {kind: _arrow(con, sql, REL_SCHEMAS[kind]) for kind, sql in _REL_SQL.items()}
        votes = _arrow(con, "SELECT * FROM stated", VOTES_SCHEMA)
    finally:
        con.close()
    nodes |= tally.count(nodes, rels)  # tallies: derived from the rows above, not the store
    return Projection(nodes, rels, votes)


VOTES_SCHEMA = pa.schema(
    [("address_id", pa.string()), ("local_authority", pa.string()), ("n", pa.int64())]
)

Scope = Mapping[str, Sequence[str]]
"""What `read_frames` reads of the store when it reads part of it (`mast.graph.touched`):
"records", "persons", "addresses", "profiles" → the keys of those rows (one not named is
read whole)."""


def read_frames(
    conn: sa.Connection, feeds: Mapping[str, FeedDefinition], scope: Scope | None = None
) -> dict[str, pa.Table]:
    """The store's rows the projection derives from: all of them, or, with a scope, those
    of its records, persons, addresses and profiles (read a chunk of keys at a time)."""
    p, a, r = persons.c, addresses.c, records.c
    agencies = {f.agency.id: f.agency.name for f in feeds.values()}
    ruled = sa.union(
        sa.select(decisions.c.record_a.label("record_id")), sa.select(decisions.c.record_b)
    ).subquery()
    people = sa.select(
        *(p[n] for n in ("person_id", "given_name", "family_name", "other_names")),
        *(_text(p[n]) for n in ("dob", "first_seen", "last_seen")),
        *(p[n] for n in ("sex", "nhs_number", "records")),
    ).where(p.retired_into.is_(None))
    links = sa.select(person_edges.c.profile_a, person_edges.c.profile_b, person_edges.c.weight)
    queries: dict[str, tuple[sa.Select[Any], sa.ColumnElement[Any], str]] = {
        "recs": (_records_query(), r.record_id, "records"),
        "people": (people, p.person_id, "persons"),
        "places": (sa.select(addresses).where(a.retired_into.is_(None)), a.address_id, "addresses"),
        "case_recs": (_case_records_query(), r.record_id, "records"),
        "stated_recs": (_stated_query(), r.record_id, "records"),
        "links": (links, person_edges.c.profile_a, "profiles"),
        "ruled": (sa.select(ruled.c.record_id), ruled.c.record_id, "records"),
    }
    frames = {}
    for name, (query, key, part) in queries.items():
        if scope is None or part not in scope:
            frames[name] = _frame(conn, query)
            continue
        frames[name] = _frame(conn, query.where(among(conn, key, scope.get(part, ()))))
    frames["agency_names"] = pa.table(
        {
            "agency_id": pa.array(list(agencies), pa.string()),
            "name": pa.array(list(agencies.values()), pa.string()),
        }
    )
    return frames


def derive(
    frames: Mapping[str, pa.Table], feeds: Mapping[str, FeedDefinition]
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection holding the frames and what is derived from them: the address
    nodes, events, stays (`lived`); the caller reads the nodes and relationships from it
    (`_NODE_SQL`, `_REL_SQL`) and closes it. A frame "votes" (address, local authority,
    records), when given, stands for the votes the records would give (`mast.graph.touched`
    counts them in the store rather than reading every record at an address)."""
    home_feeds = sorted(f.feed for f in feeds.values() if f.address_is == "home")
    con = duckdb.connect()
    try:
        con.execute("SET threads TO 2")
        for name, frame in frames.items():
            con.register(f"{name}_in", frame)
        # Dates arrive as ISO text from either store and are typed once, here.
        con.execute(
            "CREATE TEMP TABLE recs AS SELECT * REPLACE (CAST(occurred_at AS TIMESTAMP) "
            "AS occurred_at, CAST(dob AS DATE) AS dob) FROM recs_in"
        )
        con.execute(
            "CREATE TEMP TABLE people AS SELECT * REPLACE (CAST(dob AS DATE) AS dob, "
            "CAST(first_seen AS TIMESTAMP) AS first_seen, CAST(last_seen AS TIMESTAMP) "
            "AS last_seen) FROM people_in"
        )
        for name in ("places", "case_recs", "stated_recs", "links", "ruled", "agency_names"):
            con.execute(f"CREATE TEMP VIEW {name} AS SELECT * FROM {name}_in")  # noqa: S608
        con.execute(
            "CREATE TEMP TABLE home AS SELECT * FROM recs WHERE list_contains(?, feed) "
            "AND person_id IS NOT NULL AND address_id IS NOT NULL",
            [home_feeds],
        )
        con.execute(
            "CREATE TEMP VIEW stated AS SELECT * FROM votes_in" if "votes" in frames else _STATED
        )
        for statement in (_ADDRESS_NODES, _EVENT_OF, _EVENTS, _SPELLS, _LIVED):
            con.execute(statement)
    except BaseException:
        con.close()
        raise
    return con


def arrow(con: duckdb.DuckDBPyConnection, kind: str) -> pa.Table:
    """One node label's or relationship type's rows from a `derive` connection."""
    if kind in _NODE_SQL:
        return _arrow(con, _NODE_SQL[kind], NODE_SCHEMAS[kind])
    return _arrow(con, _REL_SQL[kind], REL_SCHEMAS[kind])


def among(
    conn: sa.Connection, column: sa.ColumnElement[Any], keys: Iterable[str]
) -> sa.ColumnElement[bool]:
    """`column` is one of `keys`, the keys bound as one value (a JSON array that SQLite's
    json_each reads, a PostgreSQL array): an expanded `IN` needs a statement per 900 keys,
    and compiling those took a second of a 20,000-people day's delta."""
    values = sorted(set(keys))
    if conn.dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, values, type_=postgresql.ARRAY(sa.Text)))
    each = sa.func.json_each(sa.bindparam(None, json.dumps(values), type_=sa.Text))
    return column.in_(sa.select(each.table_valued("value").c.value))


def projection_engine(engine: sa.Engine) -> sa.Engine:
    """On PostgreSQL, read every table from one snapshot: a resolve committing in another
    process between two of the reads would otherwise give a projection of neither state.
    (SQLite's reads here run in one process with the resolver, one after the other.)"""
    if engine.dialect.name != "postgresql":
        return engine
    return engine.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)


def _frame(conn: sa.Connection, query: sa.Select[Any] | sa.CompoundSelect[Any]) -> pa.Table:
    """The rows straight into Arrow, a batch at a time: held as pandas columns of Python
    strings, the 10x region's 3.9M records alone took most of a 14 GB peak."""
    result = conn.execute(query)
    schema = pa.schema(
        [
            (name, _STORE_TYPES.get(type(column.type), pa.string()))
            for name, column in zip(result.keys(), query.selected_columns, strict=True)
        ]
    )
    batches = []
    while rows := result.fetchmany(_BATCH_ROWS):
        columns = list(zip(*rows, strict=True))
        batches.append(
            pa.record_batch(
                [pa.array(c, type=t) for c, t in zip(columns, schema.types, strict=True)],
                schema=schema,
            )
        )
    return pa.Table.from_batches(batches, schema=schema)


_BATCH_ROWS = 100_000
_STORE_TYPES: dict[type[Any], pa.DataType] = {
    sa.Integer: pa.int64(),
    sa.BigInteger: pa.int64(),
    sa.Float: pa.float64(),
    sa.Boolean: pa.bool_(),
    sa.Date: pa.date32(),
    sa.DateTime: pa.timestamp("us"),
}


def _text(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """A date or time read as ISO text: parsing 400k of them into Python objects is most
    of a read's time; DuckDB casts them in bulk. SQLite holds them as that text already
    (its CAST to text is free); PostgreSQL holds real DATE and TIMESTAMP values and writes
    them as ISO text in SQL (the store's sessions use DateStyle ISO, `mast.core.db`)."""
    return sa.cast(column, sa.String).label(column.name)


def _arrow(con: duckdb.DuckDBPyConnection, sql: str, schema: pa.Schema) -> pa.Table:
    """The query's rows in the schema's columns and types, sorted by key, so two
    projections of the same data are equal row for row."""
    sql = sql.replace("$HOUSEHOLD_MAX", str(HOUSEHOLD_MAX))  # read here, so tests may lower it
    columns = ", ".join(f'"{n}"' for n in schema.names)
    keys = ", ".join(f'"{n}"' for n in schema.names[: 3 if schema.names[0] == "src" else 1])
    table = con.sql(f"SELECT {columns} FROM ({sql}) ORDER BY {keys}").arrow()  # noqa: S608
    if isinstance(table, pa.RecordBatchReader):
        table = table.read_all()
    return table.cast(schema)


def _records_query() -> sa.Select[Any]:
    r = records.c
    return sa.select(
        r.record_id,
        r.feed,
        r.agency,
        r.agency_kind,
        r.source_person_id,
        r.given_name,
        r.family_name,
        _text(r.dob),
        r.sex,
        r.address_text,
        r.postcode,
        r.local_authority,
        r.role,
        _text(r.occurred_at),
        r.event_ref,
        r.event_kind,
        r.category,
        record_addresses.c.address_id,
        record_persons.c.person_id,
        record_persons.c.profile_id,
    ).select_from(
        records.outerjoin(record_addresses, record_addresses.c.record_id == r.record_id).outerjoin(
            record_persons, record_persons.c.record_id == r.record_id
        )
    )


def _case_records_query() -> sa.Select[Any]:
    """The case columns, read only for the records that have a case."""
    r = records.c
    return sa.select(
        r.record_id,
        r.case_ref,
        r.case_status,
        _text(r.case_opened),
        _text(r.case_closed),
        r.lead_name,
        r.lead_phone,
        r.lead_email,
        r.team,
    ).where(r.case_ref.is_not(None))


def _stated_query() -> sa.Select[Any]:
    r = records.c
    return sa.select(r.record_id, r.related_source_person_id, r.relationship).where(
        r.related_source_person_id.is_not(None), r.relationship.is_not(None)
    )


_STATED = """
CREATE TEMP VIEW stated AS
SELECT address_id, local_authority, count(*) AS n FROM recs
WHERE address_id IS NOT NULL AND local_authority IS NOT NULL GROUP BY ALL
"""

_ADDRESS_NODES = """
CREATE TEMP TABLE address_nodes AS
WITH own AS (
    SELECT address_id, arg_max(local_authority, (n, local_authority)) AS la FROM stated GROUP BY ALL
), sector_votes AS (
    SELECT left(p.postcode, length(p.postcode) - 2) AS sector, s.local_authority, sum(s.n) AS n
    FROM stated s JOIN places p USING (address_id)
    WHERE p.postcode IS NOT NULL GROUP BY ALL
), sector AS (
    SELECT sector, arg_max(local_authority, (n, local_authority)) AS la
    FROM sector_votes GROUP BY ALL
), district AS (
    SELECT split_part(sector, ' ', 1) AS district,
           arg_max(local_authority, (n, local_authority)) AS la
    FROM (SELECT sector, local_authority, sum(n) AS n FROM sector_votes GROUP BY ALL)
    GROUP BY ALL
)
SELECT p.address_id, p.uprn,
       concat_ws(', ', nullif(concat_ws(' ', 'Flat ' || p.flat, p.building), ''),
                 nullif(concat_ws(' ', p.house_number, p.street), ''), p.locality, p.town,
                 p.postcode) AS line,
       p.postcode, p.town,
       coalesce(sector.la, district.la, own.la) AS local_authority,
       p.premises_type, p.residential
FROM places p
LEFT JOIN own USING (address_id)
LEFT JOIN sector ON sector.sector = left(p.postcode, length(p.postcode) - 2)
LEFT JOIN district ON district.district = split_part(p.postcode, ' ', 1)
"""

_EVENT_OF = """
CREATE TEMP TABLE event_of AS
SELECT record_id, feed || ':' || coalesce(event_ref, 'record:' || record_id) AS event_id FROM recs
"""

_EVENTS = """
CREATE TEMP TABLE events AS
WITH members AS (SELECT * FROM recs JOIN event_of USING (record_id)),
votes AS (
    SELECT event_id, address_id, count(*) AS n FROM members
    WHERE address_id IS NOT NULL GROUP BY ALL
), place AS (
    SELECT event_id, arg_max(address_id, (n, address_id)) AS address_id FROM votes GROUP BY ALL
)
SELECT m.event_id, min(m.agency) AS agency, min(m.feed) AS feed, min(m.event_kind) AS kind,
       min(m.category) AS category, min(m.occurred_at) AS occurred_at,
       CAST(min(m.occurred_at) AS DATE) AS day,
       CAST(date_trunc('week', min(m.occurred_at)) AS DATE) AS week,
       coalesce(min(m.event_ref), min(m.record_id)) AS ref, count(*) AS records,
       min(place.address_id) AS address_id
FROM members m LEFT JOIN place USING (event_id) GROUP BY m.event_id
"""

_PERSONS = """
SELECT *, CASE WHEN month(dob) = 2 AND day(dob) = 29 THEN make_date(year(dob) + 18, 3, 1)
               ELSE make_date(year(dob) + 18, month(dob), day(dob)) END AS adult_on
FROM people
"""

_RECORDS = """
SELECT record_id, feed, source_person_id, given_name, family_name, dob, sex, address_text,
       postcode, role
FROM recs
"""

_CASES = """
SELECT r.feed || ':' || c.case_ref AS case_id,
       min(r.agency) AS agency,
       arg_max(c.case_status, (r.occurred_at, r.record_id)) AS status,
       CAST(min(c.case_opened) AS DATE) AS opened,
       CAST(max(c.case_closed) AS DATE) AS closed,
       arg_max(r.event_kind, (r.occurred_at, r.record_id)) AS kind,
       arg_max(c.lead_name, (r.occurred_at, r.record_id)) AS lead_name,
       arg_max(c.lead_phone, (r.occurred_at, r.record_id)) AS lead_phone,
       arg_max(c.lead_email, (r.occurred_at, r.record_id)) AS lead_email,
       arg_max(c.team, (r.occurred_at, r.record_id)) AS team
FROM case_recs c JOIN recs r USING (record_id) GROUP BY r.feed, c.case_ref
"""

_RESOLVES = """
WITH person_of AS (SELECT DISTINCT profile_id, person_id FROM recs WHERE profile_id IS NOT NULL),
inside AS (
    SELECT l.profile_a, l.profile_b, l.weight FROM links l
    JOIN person_of a ON a.profile_id = l.profile_a JOIN person_of b ON b.profile_id = l.profile_b
    WHERE a.person_id = b.person_id
), scores AS (
    SELECT profile_id, max(weight) AS score FROM (
        SELECT profile_a AS profile_id, weight FROM inside
        UNION ALL SELECT profile_b, weight FROM inside
    ) GROUP BY profile_id
)
SELECT r.record_id AS src, r.person_id AS dst, s.score,
       CASE WHEN r.record_id IN (SELECT record_id FROM ruled) THEN 'reviewer'
            ELSE 'model' END AS decided_by
FROM recs r LEFT JOIN scores s USING (profile_id)
WHERE r.person_id IS NOT NULL
"""

_SPELLS = """
CREATE TEMP TABLE spells AS
WITH ordered AS (
    SELECT person_id, address_id, feed, CAST(occurred_at AS DATE) AS day,
           lead(address_id) OVER w AS next_address,
           lead(CAST(occurred_at AS DATE)) OVER w AS next_day
    FROM home WINDOW w AS (PARTITION BY person_id ORDER BY occurred_at, record_id)
), last_seen AS (
    SELECT person_id, CAST(max(occurred_at) AS DATE) AS day FROM recs
    WHERE person_id IS NOT NULL GROUP BY ALL
)
SELECT o.person_id, o.address_id, o.feed, o.day AS since,
       CASE WHEN o.next_address IS NULL THEN greatest(o.day, l.day)
            WHEN o.next_address <> o.address_id THEN o.next_day
            ELSE o.day END AS until
FROM ordered o JOIN last_seen l USING (person_id)
"""

_LIVED = """
CREATE TEMP TABLE lived AS
SELECT person_id AS src, address_id AS dst, min(since) AS valid_from, max(until) AS valid_to,
       list_sort(list_distinct(list(feed))) AS sources
FROM spells GROUP BY person_id, address_id
"""

_RELATED = """
WITH stays AS (
    -- The stays of LIVED_AT, so a partial build can pass the whole graph's stays at the
    -- addresses it looks at (`mast.graph.touched`) rather than every person's records.
    SELECT src AS person_id, dst AS address_id, valid_from AS since, valid_to AS until,
           array_to_string(sources, ', ') AS feeds
    FROM lived
), households AS (
    SELECT l.* FROM stays l JOIN places p USING (address_id)
    WHERE coalesce(p.residential, true)
      AND address_id IN (
          SELECT address_id FROM stays GROUP BY ALL HAVING count(*) <= $HOUSEHOLD_MAX
      )
), shared AS (
    SELECT a.person_id AS src, b.person_id AS dst, 'household' AS kind,
           greatest(a.since, b.since) AS valid_from, least(a.until, b.until) AS valid_to,
           'both at ' || a.address_id || ' ' || greatest(a.since, b.since) || ' to '
               || least(a.until, b.until) || ' (' || a.feeds || '; ' || b.feeds || ')' AS evidence
    FROM households a JOIN households b
      ON a.address_id = b.address_id AND a.person_id < b.person_id
     AND a.since <= b.until AND b.since <= a.until
), stated_pairs AS (
    SELECT r.person_id AS src, other.person_id AS dst, lower(s.relationship) AS kind,
           CAST(r.occurred_at AS DATE) AS day, r.feed
    FROM stated_recs s JOIN recs r USING (record_id)
    JOIN (SELECT DISTINCT feed, source_person_id, person_id FROM recs
          WHERE person_id IS NOT NULL AND source_person_id IS NOT NULL) other
      ON other.feed = r.feed AND other.source_person_id = s.related_source_person_id
    WHERE r.person_id IS NOT NULL AND other.person_id <> r.person_id
), stated AS (
    SELECT src, dst, kind, min(day) AS valid_from, max(day) AS valid_to,
           'stated in ' || count(*) || ' record(s) of '
               || string_agg(DISTINCT feed, ', ' ORDER BY feed) AS evidence
    FROM stated_pairs GROUP BY src, dst, kind
)
SELECT src, dst, kind, min(valid_from) AS valid_from, max(valid_to) AS valid_to,
       string_agg(evidence, '; ' ORDER BY evidence) AS evidence
FROM (SELECT * FROM shared UNION ALL SELECT * FROM stated) GROUP BY src, dst, kind
"""

_NODE_SQL = {
    "Person": _PERSONS,
    "Address": "SELECT * FROM address_nodes",
    "Event": "SELECT * FROM events",
    "Record": _RECORDS,
    "Case": _CASES,
    "Agency": "SELECT r.agency AS agency_id, coalesce(min(n.name), r.agency) AS name, "
    "min(r.agency_kind) AS kind FROM agency_recs r "
    "LEFT JOIN agency_names n ON n.agency_id = r.agency "
    "GROUP BY r.agency",
    "LocalAuthority": "SELECT DISTINCT local_authority AS name FROM address_nodes "
    "WHERE local_authority IS NOT NULL",
}

_REL_SQL = {
    "IN_EVENT": "SELECT record_id AS src, event_id AS dst FROM event_of",
    "AT": "SELECT event_id AS src, address_id AS dst FROM events WHERE address_id IS NOT NULL",
    "RESOLVES_TO": _RESOLVES,
    "LIVED_AT": "SELECT * FROM lived",
    "RELATED": _RELATED,
    "ABOUT": "SELECT DISTINCT r.feed || ':' || c.case_ref AS src, r.person_id AS dst "
    "FROM case_recs c JOIN recs r USING (record_id) WHERE r.person_id IS NOT NULL",
    "BY": "SELECT event_id AS src, agency AS dst FROM events",
    "IN": "SELECT address_id AS src, local_authority AS dst FROM address_nodes "
    "WHERE local_authority IS NOT NULL",
}
