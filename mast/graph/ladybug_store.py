"""The embedded backend: Ladybug, one database file under MAST_HOME, owned by one process.

A full build writes a new file beside the live one and swaps it in, so a failed build
leaves the last good graph in place and readers wait only for the swap. Daily deltas scan
their Arrow rows in place (`LOAD FROM rows MERGE … SET`): a parameter list of Python dicts
(`UNWIND $rows`) converted every value and, with a `COPY` per table (~0.2 s each, whatever
its size), took 7.4 s for a 20,000-people day's 17,674 rows against ~1 s so.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import ladybug
import pyarrow as pa

from mast.core.errors import GraphBusy, GraphError, QueryRefused, QueryTimedOut, ResultTooLarge
from mast.graph import writes
from mast.graph.guard import check_read_only
from mast.graph.store import (
    DEFAULT_MAX_ROWS,
    DEFAULT_TIMEOUT_S,
    WATCHDOG_GRACE_S,
    Access,
    Health,
    QueryResult,
    count_all,
    redact,
    timed_out,
    too_large,
    unquote,
)
from mast.graph.values import plain, size
from mast.schema.graph import NODE, NODES, REL, RELS, ladybug_ddl

log = logging.getLogger(__name__)
_BATCH = 5_000


class LadybugStore:
    backend = "ladybug"

    def __init__(self, path: Path, *, buffer_pool_bytes: int = 1024**3) -> None:
        self.path = path
        self.buffer_pool_bytes = buffer_pool_bytes
        self.access = Access()
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            _remove(path)  # files a deleted or never-finished database left behind
        self._db = self._open(path)
        with self._connection() as conn:
            for statement in ladybug_ddl():
                conn.execute(statement)

    def _open(self, path: Path) -> ladybug.Database:
        try:
            return ladybug.Database(str(path), buffer_pool_size=self.buffer_pool_bytes)
        except RuntimeError as e:
            if "lock" in str(e).lower():
                raise GraphBusy(
                    f"the graph at {path} is open in another process (is `mast serve` "
                    "running?); use its API, or stop it first"
                ) from e
            raise GraphError(f"cannot open the graph at {path}: {e}") from e

    @contextlib.contextmanager
    def _connection(self, db: ladybug.Database | None = None) -> Iterator[ladybug.Connection]:
        conn = ladybug.Connection(db or self._db)
        try:
            yield conn
        finally:
            conn.close()

    # --- writes --------------------------------------------------------------------------

    def replace_all(self, nodes: Mapping[str, pa.Table], rels: Mapping[str, pa.Table]) -> None:
        with self.access.writing():
            building = self.path.with_name(self.path.name + _BUILDING)
            _remove(building)
            db = self._open(building)
            try:
                with self._connection(db) as conn:
                    for statement in ladybug_ddl():
                        conn.execute(statement)
                    for node in NODES:
                        _copy(conn, node.label, nodes[node.label])
                    for rel in RELS:
                        _copy(conn, rel.type, rels[rel.type])  # ends: the first two columns
            finally:
                db.close()
            with self.access.exclusive():
                self._db.close()
                _remove(self.path)
                building.replace(self.path)
                self._db = self._open(self.path)

    def upsert_nodes(self, label: str, rows: pa.Table) -> None:
        if rows.num_rows == 0:
            return
        node = NODE[label]
        values = [p for p, _ in node.properties[1:]]
        # A label of its key alone (LocalAuthority) has nothing to set: a bare SET fails.
        changes = " SET " + ", ".join(f"n.{p} = {p}" for p in values) if values else ""
        with self.access.writing(), self._connection() as conn:
            # `LOAD FROM rows` scans the local Arrow table `rows` (Ladybug finds it by name).
            conn.execute(f"LOAD FROM rows MERGE (n:`{label}` {{{node.key}: {node.key}}}){changes}")

    def upsert_rels(self, rel_type: str, rows: pa.Table) -> None:
        if rows.num_rows == 0:
            return
        rel = REL[rel_type]
        keys = ", ".join(f"{k}: {k}" for k in rel.key)
        values = [p for p in rows.schema.names[2:] if p not in rel.key]
        changes = " SET " + ", ".join(f"x.{p} = {p}" for p in values) if values else ""
        with self.access.writing(), self._connection() as conn:
            conn.execute(
                f"LOAD FROM rows {_ends(rel_type)} "
                f"MERGE (a)-[x:`{rel_type}` {{{keys}}}]->(b){changes}"
            )

    def delete_nodes(self, label: str, keys: list[str]) -> None:
        with self.access.writing(), self._connection() as conn:
            for start in range(0, len(keys), _BATCH):
                conn.execute(writes.delete_nodes(label), {"keys": keys[start : start + _BATCH]})

    def delete_rels(self, rel_type: str, rows: pa.Table) -> None:
        if rows.num_rows == 0:
            return
        rel = REL[rel_type]
        same = " WHERE " + " AND ".join(f"x.{k} = {k}" for k in rel.key) if rel.key else ""
        rows = rows.select(writes.rel_identity(rel_type))
        with self.access.writing(), self._connection() as conn:
            conn.execute(
                f"LOAD FROM rows {_ends(rel_type)} MATCH (a)-[x:`{rel_type}`]->(b){same} DELETE x"
            )

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
        deadline = time.monotonic() + timeout_s  # waiting for a build counts too
        with self.access.reading(timeout_s), self._connection() as conn:
            left = deadline - time.monotonic()
            if left <= 0:
                raise QueryTimedOut(timed_out(timeout_s))
            conn.set_query_timeout(max(1, int(left * 1000)))
            # The engine's own guarantee, under the clause check of `guard.py`.
            conn.execute("BEGIN TRANSACTION READ ONLY")
            # The engine checks its timeout only between steps of some operators; the
            # watchdog interrupts it from outside if it has not stopped soon after the limit.
            watched = _WATCHDOG.watch(conn, deadline + WATCHDOG_GRACE_S)
            try:
                result = conn.execute(cypher, dict(params))
                if isinstance(result, list):
                    raise QueryRefused("one statement at a time")
                columns = result.get_column_names()
                rows: list[list[Any]] = []
                held = 0
                while result.has_next() and len(rows) <= max_rows:
                    # Fetching is not under the engine's timeout; a huge result is stopped
                    # here at the limit, and at the byte cap before it is all in memory.
                    if time.monotonic() > deadline:
                        raise QueryTimedOut(timed_out(timeout_s))
                    row = [plain(v) for v in _values(result.get_next())]
                    held += size(row)
                    if max_bytes is not None and held > max_bytes:
                        raise ResultTooLarge(too_large(max_bytes, len(rows)))
                    rows.append(row)
            except RuntimeError as e:
                if "Interrupted" in str(e):
                    raise QueryTimedOut(timed_out(timeout_s)) from e
                raise GraphError(redact(_engine_message(e, timeout_s), params)) from e
            except (ValueError, TypeError) as e:  # the driver could not bind a parameter
                raise QueryRefused(
                    "a parameter's value does not suit the query (check its type)"
                ) from e
            finally:
                _WATCHDOG.done(watched)
                with contextlib.suppress(RuntimeError):
                    conn.execute("ROLLBACK")
        return QueryResult(columns, rows[:max_rows], truncated=len(rows) > max_rows)

    def health(self) -> Health:
        try:
            counts = count_all(lambda cypher: int(self.read(cypher, {}).rows[0][0]))
        except GraphError as e:
            return Health(self.backend, False, str(e))
        return Health(self.backend, True, f"embedded at {self.path}", counts)

    def close(self) -> None:
        self._db.close()


def _interrupt(conn: ladybug.Connection) -> None:
    """Stop the connection's running query; it may have just finished, which is fine."""
    with contextlib.suppress(RuntimeError):
        conn.interrupt()


class _Watchdog:
    """One thread for every read in the process, interrupting any connection still busy
    past its deadline. A timer thread per read cost ~0.9 ms a read (4x a small read)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._due: dict[int, tuple[float, ladybug.Connection]] = {}
        self._last = 0
        self._thread: threading.Thread | None = None

    def watch(self, conn: ladybug.Connection, deadline: float) -> int:
        with self._cond:
            self._last += 1
            self._due[self._last] = (deadline, conn)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="ladybug-watchdog", daemon=True
                )
                self._thread.start()
            self._cond.notify()
            return self._last

    def done(self, key: int) -> None:
        with self._cond:
            self._due.pop(key, None)

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                for key in [k for k, (due, _) in self._due.items() if due <= now]:
                    _interrupt(self._due.pop(key)[1])
                soonest = min((due for due, _ in self._due.values()), default=None)
                self._cond.wait(None if soonest is None else soonest - now)


_WATCHDOG = _Watchdog()


def _copy(conn: ladybug.Connection, table_name: str, rows: pa.Table) -> None:
    if rows.num_rows:
        conn.execute(f"COPY `{table_name}` FROM rows")


def _ends(rel_type: str) -> str:
    """A relationship's two ends, matched by key from a scanned row's `src` and `dst` (one
    at a time: the whole pattern at once scans every target node, `mast.graph.writes`)."""
    rel = REL[rel_type]
    source, target = NODE[rel.source], NODE[rel.target]
    return (
        f"MATCH (a:`{rel.source}` {{{source.key}: src}}) "
        f"MATCH (b:`{rel.target}` {{{target.key}: dst}})"
    )


def _values(row: list[Any] | dict[str, Any]) -> list[Any]:
    return list(row.values()) if isinstance(row, dict) else row


_BUILDING = ".building"


def _remove(path: Path) -> None:
    """A database file and every file Ladybug keeps beside it (write-ahead log, checkpoint
    files and locks): one left over from a killed process makes the next database of that
    name refuse to open ("Database ID … does not match"). A build in progress beside the
    live file is not the live file's."""
    path.unlink(missing_ok=True)
    for leftover in path.parent.glob(f"{path.name}.*"):
        if not leftover.name.startswith(path.name + _BUILDING) or path.name.endswith(_BUILDING):
            leftover.unlink(missing_ok=True)


def _engine_message(error: RuntimeError, timeout_s: float) -> str:
    text = str(error)
    if "Interrupted" in text:
        return timed_out(timeout_s)
    if "read-only" in text.lower():
        return "the query tried to write; analyst queries are read-only"
    # The first line names the query's identifiers; what the engine quotes may be a value.
    # Its echo of the query (`<MATCH … RETRUN>`) can span lines and its list of expected
    # words can pass the cut, so the position is taken from the whole text and kept.
    first = unquote(_ECHO.sub("<…>", text).splitlines()[0][:300])
    if (at := _POSITION.search(text)) and at.group() not in first:
        first = f"{first} {at.group()}"
    return f"the graph refused the query: {first}"


_ECHO = re.compile(r"<[^<>]*>")
_POSITION = re.compile(r"\(line: \d+, offset: \d+\)")
