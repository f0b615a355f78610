"""Cypher for the keyed writes both backends make, built once from the vocabulary.

Ends are matched by key first and the relationship after: on Ladybug, matching the whole
pattern at once scanned every target node (4.5 s against 0.2 s for 2,000 rows); on Neo4j
the key constraints make both forms index look-ups.
"""

from __future__ import annotations

from mast.schema.graph import NODE, REL


def delete_nodes(label: str) -> str:
    """Removes the nodes whose keys are in `$keys`, with their relationships."""
    key = NODE[label].key
    return f"UNWIND $keys AS k MATCH (n:`{label}` {{{key}: k}}) DETACH DELETE n"


def delete_rels(rel_type: str) -> str:
    """Removes the relationships whose ends (and key properties) are in `$rows`."""
    rel = REL[rel_type]
    source, target = NODE[rel.source], NODE[rel.target]
    same_key = " WHERE " + " AND ".join(f"x.{k} = r.{k}" for k in rel.key) if rel.key else ""
    return (
        f"UNWIND $rows AS r MATCH (a:`{rel.source}` {{{source.key}: r.src}}) "
        f"MATCH (b:`{rel.target}` {{{target.key}: r.dst}}) "
        f"MATCH (a)-[x:`{rel_type}`]->(b){same_key} DELETE x"
    )


def rel_identity(rel_type: str) -> list[str]:
    """The columns that tell one relationship from another: its ends and key properties."""
    return ["src", "dst", *REL[rel_type].key]
