"""The GraphStore protocol and its Ladybug and Neo4j backends; named queries; the guard."""

from __future__ import annotations

from mast.core.settings import Settings
from mast.graph.store import GraphStore


def open_graph(settings: Settings) -> GraphStore:
    """Neo4j when MAST_NEO4J_URI is set, else the embedded graph under MAST_HOME."""
    if settings.neo4j_uri:
        from mast.graph.neo4j_store import Neo4jStore  # noqa: PLC0415 - only when configured

        return Neo4jStore(
            settings.neo4j_uri,
            settings.neo4j_user,
            settings.neo4j_password.get_secret_value(),
            database=settings.neo4j_database,
        )
    from mast.graph.ladybug_store import LadybugStore  # noqa: PLC0415 - engine loads on use

    return LadybugStore(settings.graph_path, buffer_pool_bytes=settings.graph_buffer_mib * 1024**2)
