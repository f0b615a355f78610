"""The graph vocabulary: labels, relationship types and their typed properties.

Analysts' Cypher and partner apps are written against these names, so they
change only by adding. Each backend derives its DDL from here: Ladybug's node and
relationship tables (`ladybug_ddl`) and Neo4j's key constraints and indexes (`neo4j_ddl`).
Values the portable Cypher subset cannot compute (a week, an 18th birthday) are stored as
properties when the graph is built. `Case` and `IN` are keywords to Ladybug's parser, so
queries write every label and type in backticks (`` :`Case` ``), which both engines read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["STRING", "DATE", "TIMESTAMP", "BOOL", "INT64", "DOUBLE", "STRING[]"]


@dataclass(frozen=True)
class Node:
    label: str
    key: str
    properties: tuple[tuple[str, Kind], ...]
    """Every property, the key first, in the column order of a bulk load."""
    indexed: tuple[str, ...] = ()
    """Properties looked up by value in named queries (Neo4j indexes them)."""

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.properties]


@dataclass(frozen=True)
class Rel:
    type: str
    source: str
    target: str
    properties: tuple[tuple[str, Kind], ...] = ()
    key: tuple[str, ...] = ()
    """Properties that tell apart two relationships between the same two nodes."""

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.properties]


NODES: tuple[Node, ...] = (
    Node(
        "Person",
        "person_id",
        (
            ("person_id", "STRING"),
            ("given_name", "STRING"),
            ("family_name", "STRING"),
            ("other_names", "STRING"),
            ("dob", "DATE"),
            ("adult_on", "DATE"),  # 18th birthday: transitions to adult services
            ("sex", "STRING"),
            ("nhs_number", "STRING"),
            ("first_seen", "TIMESTAMP"),
            ("last_seen", "TIMESTAMP"),
            ("records", "INT64"),
        ),
        indexed=("family_name", "nhs_number", "dob"),
    ),
    Node(
        "Address",
        "address_id",
        (
            ("address_id", "STRING"),
            ("uprn", "STRING"),
            ("line", "STRING"),
            ("postcode", "STRING"),
            ("town", "STRING"),
            ("local_authority", "STRING"),
            ("premises_type", "STRING"),
            ("residential", "BOOL"),
        ),
        indexed=("postcode", "uprn"),
    ),
    Node(
        "Event",
        "event_id",
        (
            ("event_id", "STRING"),
            ("agency", "STRING"),
            ("feed", "STRING"),
            ("kind", "STRING"),
            ("category", "STRING"),
            ("occurred_at", "TIMESTAMP"),
            ("day", "DATE"),  # the date alone, to compare with dates such as adult_on
            ("week", "DATE"),  # Monday of the week it occurred: peaks and troughs
            ("ref", "STRING"),
            ("records", "INT64"),  # records in it: a busy event is a hub, not a connection
        ),
        indexed=("occurred_at", "agency"),
    ),
    Node(
        "Record",
        "record_id",
        (
            ("record_id", "STRING"),
            ("feed", "STRING"),
            ("source_person_id", "STRING"),
            ("given_name", "STRING"),
            ("family_name", "STRING"),
            ("dob", "DATE"),
            ("sex", "STRING"),
            ("address_text", "STRING"),
            ("postcode", "STRING"),
            ("role", "STRING"),
        ),
        indexed=("source_person_id",),
    ),
    Node(
        "Case",
        "case_id",
        (
            ("case_id", "STRING"),
            ("agency", "STRING"),
            ("status", "STRING"),
            ("opened", "DATE"),
            ("closed", "DATE"),
            ("kind", "STRING"),
            ("lead_name", "STRING"),
            ("lead_phone", "STRING"),
            ("lead_email", "STRING"),
            ("team", "STRING"),
        ),
        indexed=("status",),
    ),
    Node("Agency", "agency_id", (("agency_id", "STRING"), ("name", "STRING"), ("kind", "STRING"))),
    Node("LocalAuthority", "name", (("name", "STRING"),)),
    # Tallies (mast/graph/tally.py): events per address or person, agency kind and calendar
    # month, kept by the graph build so region-wide reports add up months, not events.
    Node(
        "AddressTally",
        "tally_id",
        (
            ("tally_id", "STRING"),
            ("address_id", "STRING"),
            ("agency_kind", "STRING"),
            ("category", "STRING"),
            ("month", "TIMESTAMP"),  # midnight on the 1st: compares with report windows
            ("events", "INT64"),
            ("residential", "BOOL"),  # the address's: hotspots read only the others
        ),
    ),
    Node(
        "PersonTally",
        "tally_id",
        (
            ("tally_id", "STRING"),
            ("person_id", "STRING"),
            ("agency_kind", "STRING"),
            ("month", "TIMESTAMP"),
            ("adult", "BOOL"),  # the events on or after the 18th birthday (null: no birthday)
            ("events", "INT64"),  # distinct events: two records of one event count once
            ("first_day", "DATE"),  # of those events, the earliest
        ),
    ),
)

RELS: tuple[Rel, ...] = (
    Rel("IN_EVENT", "Record", "Event"),
    Rel("AT", "Event", "Address"),
    Rel("RESOLVES_TO", "Record", "Person", (("score", "DOUBLE"), ("decided_by", "STRING"))),
    Rel(
        "LIVED_AT",
        "Person",
        "Address",
        (("valid_from", "DATE"), ("valid_to", "DATE"), ("sources", "STRING[]")),
    ),
    Rel(
        "RELATED",
        "Person",
        "Person",
        (
            ("kind", "STRING"),
            ("valid_from", "DATE"),
            ("valid_to", "DATE"),
            ("evidence", "STRING"),
        ),
        key=("kind",),
    ),
    Rel("ABOUT", "Case", "Person"),
    Rel("BY", "Event", "Agency"),
    Rel("IN", "Address", "LocalAuthority"),
)

NODE = {n.label: n for n in NODES}
REL = {r.type: r for r in RELS}


def ladybug_ddl() -> list[str]:
    """CREATE statements for Ladybug's schema-first tables."""
    statements = []
    for node in NODES:
        columns = ", ".join(f"{name} {kind}" for name, kind in node.properties)
        statements.append(
            f"CREATE NODE TABLE IF NOT EXISTS `{node.label}`({columns}, PRIMARY KEY ({node.key}))"
        )
    for rel in RELS:
        columns = "".join(f", {name} {kind}" for name, kind in rel.properties)
        statements.append(
            f"CREATE REL TABLE IF NOT EXISTS `{rel.type}`"
            f"(FROM `{rel.source}` TO `{rel.target}`{columns})"
        )
    return statements


def neo4j_ddl() -> list[str]:
    """Key constraints (which index the key) and lookup indexes for Neo4j 5."""
    statements = []
    for node in NODES:
        statements.append(
            f"CREATE CONSTRAINT {node.label.lower()}_key IF NOT EXISTS "
            f"FOR (n:`{node.label}`) REQUIRE n.{node.key} IS UNIQUE"
        )
        statements.extend(
            f"CREATE INDEX {node.label.lower()}_{name} IF NOT EXISTS "
            f"FOR (n:`{node.label}`) ON (n.{name})"
            for name in node.indexed
        )
    return statements
