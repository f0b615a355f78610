"""The GraphStore protocol every backend implements, and what its reads return.

Domain code talks to this protocol only; it never imports `ladybug` or `neo4j`. Writes take
whole Arrow tables in the column order of `mast.schema.graph` (a node's key first; a
relationship's `src` and `dst` keys first), so a backend can bulk-load them as they are.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import pyarrow as pa

from mast.core.errors import GraphBusy, QueryTimedOut
from mast.schema.graph import NODES, RELS

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_ROWS = 10_000
WATCHDOG_GRACE_S = 0.2
"""How long past its limit a query may run before the store interrupts it from outside."""


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[list[Any]]
    truncated: bool = False
    """True when the row cap cut the result short."""

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass(frozen=True)
class Health:
    backend: str
    ok: bool
    detail: str
    counts: dict[str, int] = field(default_factory=dict)


def redact(message: str, params: Mapping[str, Any]) -> str:
    """An engine's message with any bound value taken out: engines quote the values they
    fail to convert, and a value may be a name (RELIABILITY P16)."""
    values = [params[k] for k in params]
    texts = {str(x) for v in values for x in (v if isinstance(v, list | tuple) else [v])}
    for text in sorted(texts, key=len, reverse=True):
        if len(text) > 1:
            message = message.replace(text, "…")
    return message


_QUOTED = re.compile(r'"[^"]*"|\'[^\']*\'')


def unquote(message: str) -> str:
    """An engine's message without anything it quoted: engines quote the value they failed
    to convert (`Could not convert "Yuri" to INT64`), and that value may come from the data
    rather than the query, where `redact` cannot know it (RELIABILITY P16)."""
    return _QUOTED.sub("…", message)


def timed_out(timeout_s: float) -> str:
    return f"the query ran past its {timeout_s:g} s limit and was stopped"


def too_large(max_bytes: int, rows: int) -> str:
    return (
        f"the result passed the {max_bytes / 2**20:g} MiB limit (MAST_QUERY_MAX_BYTES) after "
        f"{rows} rows and was stopped; return fewer or shorter values"
    )


def count_all(count: Callable[[str], int]) -> dict[str, int]:
    """Nodes per label and relationships per type, by one counting query each."""
    return {
        **{n.label: count(f"MATCH (n:`{n.label}`) RETURN count(n)") for n in NODES},
        **{r.type: count(f"MATCH ()-[x:`{r.type}`]->() RETURN count(x)") for r in RELS},
    }


class GraphStore(Protocol):
    backend: str
    """"ladybug" or "neo4j": picks a named query's `.ladybug.cypher` form where it has one."""

    def replace_all(self, nodes: Mapping[str, pa.Table], rels: Mapping[str, pa.Table]) -> None:
        """Make the graph exactly these nodes and relationships (a full build)."""

    def upsert_nodes(self, label: str, rows: pa.Table) -> None:
        """Create nodes with new keys; set every property of those whose key exists."""

    def upsert_rels(self, rel_type: str, rows: pa.Table) -> None:
        """Create these relationships, replacing any with the same ends (and key)."""

    def delete_nodes(self, label: str, keys: list[str]) -> None:
        """Remove these nodes with their relationships."""

    def delete_rels(self, rel_type: str, rows: pa.Table) -> None:
        """Remove the relationships with these ends (and key properties)."""

    def read(
        self,
        cypher: str,
        params: Mapping[str, Any],
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_rows: int = DEFAULT_MAX_ROWS,
        max_bytes: int | None = None,
    ) -> QueryResult:
        """Run one query in a read-only transaction, within a time limit (waiting and
        fetching included), a row cap and, when given, a cap on the result's size counted
        as rows arrive (GraphError when passed, so a huge result is never held whole)."""

    def health(self) -> Health: ...

    def close(self) -> None: ...


class Access:
    """Who may use an embedded database at once: many readers; one writer, whom a second
    is refused at once (writes are serialised and fail fast rather than queue
    behind a rebuild); and, only to swap in a rebuilt file, nobody else at all."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._closed = False
        self._writer = threading.Lock()

    @contextmanager
    def reading(self, timeout_s: float | None = None) -> Iterator[None]:
        """Read, once no swap holds readers back; GraphError if that takes past timeout_s."""
        with self._cond:
            if not self._cond.wait_for(lambda: not self._closed, timeout=timeout_s):
                raise QueryTimedOut(timed_out(timeout_s or 0))
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        if not self._writer.acquire(blocking=False):
            raise GraphBusy("a graph write is already running; try again when it ends")
        try:
            yield
        finally:
            self._writer.release()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Within `writing`: wait for the readers to finish and hold new ones back."""
        with self._cond:
            self._closed = True
            self._cond.wait_for(lambda: self._readers == 0)
        try:
            yield
        finally:
            with self._cond:
                self._closed = False
                self._cond.notify_all()
