"""The production backend: Neo4j 5 through the official driver.

Writes are `UNWIND $rows … MERGE` batches in managed write transactions, so a retried
batch does no harm; reads run in READ transactions with a server-side timeout. Neo4j has
no schema to declare beyond key constraints and indexes (`mast.schema.graph.neo4j_ddl`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import neo4j
import pyarrow as pa
from neo4j.exceptions import ClientError, Neo4jError, ServiceUnavailable
from neo4j.graph import Node, Path, Relationship

from mast.core.errors import GraphError, QueryTimedOut, ResultTooLarge
from mast.graph import writes
from mast.graph.guard import check_read_only
from mast.graph.store import (
    DEFAULT_MAX_ROWS,
    DEFAULT_TIMEOUT_S,
    Health,
    QueryResult,
    count_all,
    redact,
    timed_out,
    too_large,
    unquote,
)
from mast.graph.values import plain, size
from mast.schema.graph import NODE, NODES, REL, RELS, neo4j_ddl

_BATCH = 2_000


class Neo4jStore:
    backend = "neo4j"

    def __init__(self, uri: str, user: str, password: str, *, database: str | None) -> None:
        self.uri = uri
        self.database = database
        self._driver = neo4j.GraphDatabase.driver(uri, auth=(user, password))
        self._schema_ready = False

    def _ensure_schema(self) -> None:
        if not self._schema_ready:
            for statement in neo4j_ddl():
                self._write(statement, {})
            self._schema_ready = True

    def _write(self, cypher: str, params: dict[str, Any]) -> None:
        def work(tx: neo4j.ManagedTransaction) -> None:
            tx.run(cypher, params).consume()

        try:
            with self._driver.session(database=self.database) as session:
                session.execute_write(work)
        except (Neo4jError, ServiceUnavailable) as e:
            reason = getattr(e, "code", None) or type(e).__name__
            raise GraphError(f"Neo4j at {self.uri} refused a write: {reason}") from e

    def _batches(self, cypher: str, rows: pa.Table) -> None:
        for batch in rows.to_batches(_BATCH):
            self._write(cypher, {"rows": batch.to_pylist()})

    # --- writes --------------------------------------------------------------------------

    def replace_all(self, nodes: Mapping[str, pa.Table], rels: Mapping[str, pa.Table]) -> None:
        self._ensure_schema()
        for node in NODES:
            while self._count(f"MATCH (n:`{node.label}`) RETURN count(n)"):
                self._write(f"MATCH (n:`{node.label}`) WITH n LIMIT 10000 DETACH DELETE n", {})
        for node in NODES:
            self.upsert_nodes(node.label, nodes[node.label])
        for rel in RELS:
            self.upsert_rels(rel.type, rels[rel.type])

    def upsert_nodes(self, label: str, rows: pa.Table) -> None:
        self._ensure_schema()
        node = NODE[label]
        changes = ", ".join(f"n.{p} = r.{p}" for p in node.names[1:])
        self._batches(
            f"UNWIND $rows AS r MERGE (n:`{label}` {{{node.key}: r.{node.key}}}) SET {changes}",
            rows,
        )

    def upsert_rels(self, rel_type: str, rows: pa.Table) -> None:
        self._ensure_schema()
        rel = REL[rel_type]
        source, target = NODE[rel.source], NODE[rel.target]
        identity = " {" + ", ".join(f"{k}: r.{k}" for k in rel.key) + "}" if rel.key else ""
        changes = ", ".join(f"x.{p} = r.{p}" for p in rel.names if p not in rel.key)
        self._batches(
            f"UNWIND $rows AS r MATCH (a:`{rel.source}` {{{source.key}: r.src}}) "
            f"MATCH (b:`{rel.target}` {{{target.key}: r.dst}}) "
            f"MERGE (a)-[x:`{rel_type}`{identity}]->(b)" + (f" SET {changes}" if changes else ""),
            rows,
        )

    def delete_nodes(self, label: str, keys: list[str]) -> None:
        for start in range(0, len(keys), _BATCH):
            self._write(writes.delete_nodes(label), {"keys": keys[start : start + _BATCH]})

    def delete_rels(self, rel_type: str, rows: pa.Table) -> None:
        self._batches(writes.delete_rels(rel_type), rows.select(writes.rel_identity(rel_type)))

    # --- reads ---------------------------------------------------------------------------

    def read(
        self,
        cypher: str,
        params: Mapping[str, Any],
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_rows: int = DEFAULT_MAX_ROWS,
        max_bytes: int | None = None,
    ) -> QueryResult:
        cypher = check_read_only(cypher)  # named queries too: nothing reads past the guard
        deadline = time.monotonic() + timeout_s

        @neo4j.unit_of_work(timeout=timeout_s)
        def work(tx: neo4j.ManagedTransaction) -> QueryResult:
            result = tx.run(cypher, dict(params))
            rows: list[list[Any]] = []
            held = 0
            for record in result:
                if len(rows) > max_rows:
                    break
                # The server's timeout covers its work, not our fetching: both are limited.
                if time.monotonic() > deadline:
                    raise QueryTimedOut(timed_out(timeout_s))
                row = [_plain(v) for v in record.values()]
                held += size(row)
                if max_bytes is not None and held > max_bytes:
                    raise ResultTooLarge(too_large(max_bytes, len(rows)))
                rows.append(row)
            columns = list(result.keys())
            return QueryResult(columns, rows[:max_rows], truncated=len(rows) > max_rows)

        try:
            with self._driver.session(
                database=self.database, default_access_mode=neo4j.READ_ACCESS
            ) as session:
                return session.execute_read(work)
        except ClientError as e:
            if "TransactionTimedOut" in (e.code or ""):
                raise QueryTimedOut(timed_out(timeout_s)) from e
            raise GraphError(
                redact(f"Neo4j refused the query: {e.code}: {unquote(e.message or '')}", params)
            ) from e
        except (Neo4jError, ServiceUnavailable) as e:
            raise GraphError(f"Neo4j at {self.uri} failed: {e}") from e

    def _count(self, cypher: str) -> int:
        return int(self.read(cypher, {}).rows[0][0])

    def health(self) -> Health:
        try:
            self._driver.verify_connectivity()
            counts = count_all(self._count)
        except (GraphError, Neo4jError, ServiceUnavailable, OSError) as e:
            return Health(self.backend, False, f"Neo4j at {self.uri}: {e}")
        return Health(self.backend, True, f"Neo4j at {self.uri}", counts)

    def close(self) -> None:
        self._driver.close()


def _plain(value: Any) -> Any:
    if isinstance(value, Node):
        return {"label": sorted(value.labels)[0] if value.labels else None} | {
            k: plain(v) for k, v in value.items()
        }
    if isinstance(value, Relationship):
        return {"type": value.type} | {k: plain(v) for k, v in value.items()}
    if isinstance(value, Path):
        return [_plain(n) for n in value.nodes]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return plain(value)
