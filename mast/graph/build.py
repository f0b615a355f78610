"""`mast graph build`: bring the graph in line with the state store.

The projection of the last build is kept as Arrow files beside the graph, with the marks of
where the store stood (`touched.Marks`). A daily build projects only what was touched
since those marks, and what hangs on it (`mast.graph.touched`), and writes the difference
from the snapshot's rows for the same keys: nodes and relationships that are new, changed
or gone. Without marks (a snapshot an older MAST wrote) it projects the whole store and
diffs that (mode "diff"). Every step is idempotent (keyed upserts, deletes by key), and the
snapshot is replaced only after the graph has taken the whole delta, so a build that
fails halfway is finished by the next one. A full build (`--full`, a first build, or a
graph whose counts no longer match the snapshot) replaces the whole graph at once.
`check` compares the snapshot with a full projection (counts and a sample of rows).
"""

from __future__ import annotations

import logging
import random
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import sqlalchemy as sa

from mast.core.settings import Settings
from mast.graph import touched, writes
from mast.graph.projection import NODE_SCHEMAS, REL_SCHEMAS, Projection, project, projection_engine
from mast.graph.store import GraphStore
from mast.loaders.feeds import load_feeds
from mast.schema.feed import FeedDefinition
from mast.schema.graph import NODES, RELS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delta:
    upserts: dict[str, pa.Table] = field(default_factory=dict)
    """label or type → rows new or changed."""
    deletes: dict[str, pa.Table] = field(default_factory=dict)
    """label → keys gone; type → ends (and key properties) gone."""

    def size(self) -> int:
        return sum(t.num_rows for t in (*self.upserts.values(), *self.deletes.values()))


@dataclass(frozen=True)
class GraphBuild:
    mode: str
    """full | delta (what was touched) | diff (the whole store projected and diffed)"""
    counts: dict[str, int]
    changed: int
    """rows written or deleted (every row in a full build)"""
    seconds: float


def refresh(engine: sa.Engine, settings: Settings, *, full: bool = False) -> GraphBuild:
    """Open the configured graph, bring it in line with the state store, close it."""
    from mast.graph import open_graph  # noqa: PLC0415 - the package imports this module

    graph = open_graph(settings)
    try:
        return build_graph(
            engine,
            graph,
            load_feeds(settings.feeds),
            settings.graph_snapshot,
            full=full,
            whole=settings.graph_delta == "whole",
        )
    finally:
        graph.close()


def build_graph(
    engine: sa.Engine,
    graph: GraphStore,
    feeds: Mapping[str, FeedDefinition],
    snapshot_dir: Path,
    *,
    full: bool = False,
    whole: bool = False,
) -> GraphBuild:
    """`full` replaces the graph; `whole` projects the whole store and diffs it (what
    `check` found differing is mended so); else only what was touched since the snapshot."""
    started = time.perf_counter()
    consistent = projection_engine(engine)
    with consistent.connect() as conn:
        # Read first: whatever is written while this build runs is past them, for the next.
        marks = touched.read_marks(conn)
    previous = None if full else load_snapshot(snapshot_dir)
    if previous is not None and not _matches(graph, previous):
        log.warning("graph: its counts differ from the last build's; rebuilding it whole")
        previous = None
    since = None if previous is None or whole else touched.load_marks(snapshot_dir)
    found = None
    if previous is not None and previous.votes is not None and since is not None:
        with consistent.connect() as conn:
            found = touched.delta(conn, previous, since, feeds)
    if found is not None:
        before, after, projection = found
        delta = diff(before, after)
        apply(graph, delta)
        mode, changed = "delta", delta.size()
    else:
        projection = project(engine, feeds)
        log.info("graph: projected in %.1f s", time.perf_counter() - started)
        if previous is None:
            graph.replace_all(projection.nodes, projection.rels)
            mode, changed = "full", sum(projection.counts().values())
        else:
            delta = diff(previous, projection)
            apply(graph, delta)
            mode, changed = "diff", delta.size()
    save_snapshot(projection, snapshot_dir, marks)
    run = GraphBuild(mode, projection.counts(), changed, time.perf_counter() - started)
    log.info("graph built mode=%s changed=%d seconds=%.1f", mode, changed, run.seconds)
    return run


@dataclass(frozen=True)
class GraphCheck:
    differing: dict[str, int]
    """label or type → rows of the snapshot that a full projection does not have, or has
    otherwise, plus the sampled graph rows that differ from it; only those with any"""
    sampled: int
    """nodes read back from the graph and compared"""
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.differing


def check(
    engine: sa.Engine,
    graph: GraphStore,
    feeds: Mapping[str, FeedDefinition],
    snapshot_dir: Path,
    *,
    sample: int = 200,
) -> GraphCheck:
    """The periodic check of the deltas: a full projection against the snapshot (every row)
    and the graph (its counts, and `sample` random nodes of each label read back). Logs
    and returns the kinds that differ and how many rows: counts only, never a value."""
    started = time.perf_counter()
    full = project(engine, feeds)
    snapshot = load_snapshot(snapshot_dir)
    differing: dict[str, int] = {}
    if snapshot is None:
        differing["snapshot"] = 1
    else:
        delta = diff(snapshot, full)
        for kind in (*full.nodes, *full.rels):
            n = delta.upserts[kind].num_rows + delta.deletes[kind].num_rows
            if n:
                differing[kind] = n
    health = graph.health()
    for kind, n in full.counts().items():
        if health.counts.get(kind) != n:
            differing[kind] = differing.get(kind, 0) + abs(health.counts.get(kind, 0) - n)
    sampled = 0
    rng = random.Random()
    for node in NODES:
        table = full.nodes[node.label]
        rows = [table.slice(i, 1).to_pylist()[0] for i in _sample(rng, table.num_rows, sample)]
        if not rows:
            continue
        sampled += len(rows)
        columns = ", ".join(f"n.{p}" for p in node.names)
        found = graph.read(
            f"MATCH (n:`{node.label}`) WHERE n.{node.key} IN $keys RETURN {columns}",
            {"keys": [r[node.key] for r in rows]},
            max_rows=len(rows) + 1,
        )
        got = {_same(row) for row in found.rows}
        wrong = sum(_same(list(r.values())) not in got for r in rows)
        if wrong:
            differing[node.label] = differing.get(node.label, 0) + wrong
    result = GraphCheck(differing, sampled, time.perf_counter() - started)
    if differing:
        log.warning(
            "graph check: differs from a full projection %s",
            " ".join(f"{k}={n}" for k, n in differing.items()),
        )
    else:
        log.info("graph check: as a full projection (%d nodes sampled)", sampled)
    return result


def _sample(rng: random.Random, population: int, k: int) -> list[int]:
    return sorted(rng.sample(range(population), min(k, population)))


def _same(row: list[Any]) -> tuple[Any, ...]:
    """A row as comparable values: floats rounded, lists as tuples (as tests' `digest`)."""
    return tuple(
        round(v, 9) if isinstance(v, float) else tuple(v) if isinstance(v, list) else v for v in row
    )


def diff(old: Projection, new: Projection) -> Delta:
    """What turns `old` into `new`: EXCEPT on whole rows finds the new and the changed;
    EXCEPT on identities finds the gone."""
    con = duckdb.connect()
    delta = Delta()
    try:
        for node in NODES:
            before, after = old.nodes[node.label], new.nodes[node.label]
            delta.upserts[node.label] = _except(con, after, before, after.schema.names)
            delta.deletes[node.label] = _except(con, before, after, [node.key])
        for rel in RELS:
            before, after = old.rels[rel.type], new.rels[rel.type]
            delta.upserts[rel.type] = _except(con, after, before, after.schema.names)
            delta.deletes[rel.type] = _except(con, before, after, writes.rel_identity(rel.type))
    finally:
        con.close()
    return delta


def _except(
    con: duckdb.DuckDBPyConnection, a: pa.Table, b: pa.Table, columns: list[str]
) -> pa.Table:
    con.register("a_rows", a)
    con.register("b_rows", b)
    names = ", ".join(f'"{c}"' for c in columns)
    result = con.sql(f"SELECT {names} FROM a_rows EXCEPT SELECT {names} FROM b_rows").arrow()  # noqa: S608
    if isinstance(result, pa.RecordBatchReader):
        result = result.read_all()
    con.unregister("a_rows")
    con.unregister("b_rows")
    return result.cast(a.select(columns).schema)


def apply(graph: GraphStore, delta: Delta) -> None:
    """Relationships gone, nodes gone, nodes new or changed, relationships new or changed:
    each step keyed, so running a delta twice leaves what running it once does."""
    for rel in RELS:
        gone = delta.deletes[rel.type]
        if gone.num_rows:
            graph.delete_rels(rel.type, gone)
            log.debug("graph: %d %s gone", gone.num_rows, rel.type)
    for node in NODES:
        gone = delta.deletes[node.label]
        if gone.num_rows:
            graph.delete_nodes(node.label, gone.column(node.key).to_pylist())
            log.debug("graph: %d %s gone", gone.num_rows, node.label)
    for node in NODES:
        graph.upsert_nodes(node.label, delta.upserts[node.label])
        log.debug("graph: %d %s written", delta.upserts[node.label].num_rows, node.label)
    for rel in RELS:
        graph.upsert_rels(rel.type, delta.upserts[rel.type])
        log.debug("graph: %d %s written", delta.upserts[rel.type].num_rows, rel.type)


def _matches(graph: GraphStore, snapshot: Projection) -> bool:
    health = graph.health()
    return health.ok and health.counts == snapshot.counts()


SNAPSHOT_SUFFIX = ".arrow"
"""The snapshot's tables are Arrow IPC files, uncompressed: read by mapping them (no
parse, no copy) and written at disk speed; Parquet took 1.5 s to read at 20,000 people,
a third of it importing pyarrow.dataset. A snapshot an older MAST wrote as Parquet is not
found, and the next build is a full one."""


def _write(table: pa.Table, path: Path) -> None:
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def _read(path: Path) -> pa.Table:
    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_file(source).read_all()


def save_snapshot(projection: Projection, folder: Path, marks: touched.Marks | None = None) -> None:
    """Written beside and then swapped in, so a crash leaves the old snapshot whole. A
    snapshot without marks is diffed whole by the next build."""
    fresh = folder.with_name(folder.name + ".new")
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir(parents=True)
    for name, table in (*projection.nodes.items(), *projection.rels.items()):
        _write(table, fresh / f"{name}{SNAPSHOT_SUFFIX}")
    if marks is not None and projection.votes is not None:
        _write(projection.votes, fresh / touched.VOTES_FILE)
        touched.save_marks(marks, fresh)
    old = folder.with_name(folder.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    fresh.rename(folder)
    shutil.rmtree(old, ignore_errors=True)


def load_snapshot(folder: Path) -> Projection | None:
    """The last build's projection; None if there is none, or it predates the vocabulary."""
    try:
        snapshot = Projection(
            {n.label: _read(folder / f"{n.label}{SNAPSHOT_SUFFIX}") for n in NODES},
            {r.type: _read(folder / f"{r.type}{SNAPSHOT_SUFFIX}") for r in RELS},
        )
    except (FileNotFoundError, OSError):
        return None
    current = all(t.schema.equals(NODE_SCHEMAS[k]) for k, t in snapshot.nodes.items()) and all(
        t.schema.equals(REL_SCHEMAS[k]) for k, t in snapshot.rels.items()
    )
    if not current:
        return None
    try:
        votes = _read(folder / touched.VOTES_FILE)
    except (FileNotFoundError, OSError):
        return snapshot  # from a whole projection: the next is diffed whole (no marks either)
    return Projection(snapshot.nodes, snapshot.rels, votes)
