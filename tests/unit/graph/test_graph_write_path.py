"""The graph stores' write path — a whole load, then a day's upserts and deletions — checked
against answers written out here, not against another store.

The Neo4j leg runs wherever MAST_NEO4J_URI (and MAST_NEO4J_USER, _PASSWORD, _DATABASE) names
a Neo4j 5 server it may empty; without one it is skipped, and docs/architecture.md says
which Neo4j code has and has not been run against a server.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from mast.core.settings import Settings
from mast.graph import open_graph
from mast.graph.projection import NODE_SCHEMAS, REL_SCHEMAS
from mast.graph.store import GraphStore
from mast.schema.graph import NODES, RELS

NEO4J = os.environ.get("MAST_NEO4J_URI")


def _nodes(label: str, rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=NODE_SCHEMAS[label])


def _rels(rel_type: str, pairs: list[tuple[str, str]]) -> pa.Table:
    return pa.Table.from_pylist(
        [{"src": s, "dst": d} for s, d in pairs], schema=REL_SCHEMAS[rel_type]
    )


@pytest.fixture(
    params=[
        "ladybug",
        pytest.param(
            "neo4j",
            marks=pytest.mark.skipif(
                not NEO4J, reason="no Neo4j server: set MAST_NEO4J_URI to one this test may empty"
            ),
        ),
    ]
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    # Settings read MAST_NEO4J_URI and its credentials from the environment, as the server
    # does; the Ladybug leg is told to ignore them.
    settings = Settings(home=tmp_path / "home", graph_buffer_mib=64)
    if request.param == "ladybug":
        settings = settings.model_copy(update={"neo4j_uri": None})
    opened = open_graph(settings)
    assert opened.backend == request.param
    try:
        yield opened
    finally:
        opened.close()


def _read(store: GraphStore, cypher: str) -> list[tuple[Any, ...]]:
    return sorted(tuple(row) for row in store.read(cypher, {}).rows)


def test_a_whole_load_then_a_days_writes_leave_exactly_what_they_should(store: GraphStore) -> None:
    nodes = {n.label: _nodes(n.label, []) for n in NODES}
    rels = {r.type: _rels(r.type, []) for r in RELS}
    nodes["LocalAuthority"] = _nodes("LocalAuthority", [{"name": "Swansea"}, {"name": "Neath"}])
    nodes["Address"] = _nodes("Address", [{"address_id": a} for a in ("A1", "A2", "A3")])
    nodes["Agency"] = _nodes(
        "Agency", [{"agency_id": "police", "name": "Police", "kind": "police"}]
    )
    rels["IN"] = _rels("IN", [("A1", "Swansea"), ("A2", "Swansea"), ("A3", "Neath")])
    store.replace_all(nodes, rels)
    # A day: one agency renamed and one added, an address moves council, one address goes.
    store.upsert_nodes(
        "Agency",
        _nodes(
            "Agency",
            [
                {"agency_id": "police", "name": "South Wales Police", "kind": "police"},
                {"agency_id": "fire", "name": "Fire", "kind": "fire"},
            ],
        ),
    )
    # A council new to the graph: a label of its key alone has nothing else to set.
    store.upsert_nodes("LocalAuthority", _nodes("LocalAuthority", [{"name": "Bridgend"}]))
    store.upsert_rels("IN", _rels("IN", [("A3", "Swansea")]))
    store.delete_rels("IN", _rels("IN", [("A3", "Neath")]))
    store.delete_nodes("Address", ["A2"])

    assert _read(store, "MATCH (g:`Agency`) RETURN g.agency_id, g.name") == [
        ("fire", "Fire"),
        ("police", "South Wales Police"),
    ]
    assert _read(
        store, "MATCH (a:`Address`)-[:`IN`]->(l:`LocalAuthority`) RETURN a.address_id, l.name"
    ) == [("A1", "Swansea"), ("A3", "Swansea")]
    assert _read(store, "MATCH (a:`Address`) RETURN a.address_id") == [("A1",), ("A3",)]
    assert ("Bridgend",) in _read(store, "MATCH (l:`LocalAuthority`) RETURN l.name")
    # A second whole load replaces everything: nothing of the day survives it.
    store.replace_all({**nodes, "Agency": _nodes("Agency", [])}, rels)
    assert _read(store, "MATCH (g:`Agency`) RETURN g.agency_id") == []
    assert len(_read(store, "MATCH (a:`Address`)-[:`IN`]->(l) RETURN a.address_id")) == 3
