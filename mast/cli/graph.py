"""The graph's commands: `mast graph build|check|health`, `mast report`, `mast cypher`."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from mast.cli.common import console, errors, settings
from mast.core import clock
from mast.core.db import open_store
from mast.core.errors import ConfigError, GraphError, QueryRefused
from mast.graph.store import QueryResult

graph_app = typer.Typer(help="The graph of people, addresses and events that MAST queries.")
_SHOWN = 50


@graph_app.command("build")
def graph_build(
    full: Annotated[bool, typer.Option("--full", help="rebuild the whole graph")] = False,
) -> None:
    """Bring the graph in line with the state store: only what changed, unless --full."""
    from mast.graph.build import refresh  # noqa: PLC0415 - loads the engines

    with errors():
        cfg = settings()
        run = refresh(open_store(cfg), cfg, full=full)
    console.print(
        f"Graph ({run.mode}): {run.changed:,} rows written or removed in {run.seconds:.1f} s; "
        + ", ".join(f"{n:,} {k}" for k, n in run.counts.items())
    )


@graph_app.command("check")
def graph_check(
    sample: Annotated[int, typer.Option(help="nodes of each label read back")] = 200,
) -> None:
    """Compare the graph and its snapshot with a full projection of the state store (the
    daily run does this on Sundays); exit 1, naming the kinds that differ, if they do."""
    from mast.graph import open_graph  # noqa: PLC0415
    from mast.graph.build import check  # noqa: PLC0415
    from mast.loaders.feeds import load_feeds  # noqa: PLC0415

    with errors():
        cfg = settings()
        graph = open_graph(cfg)
        try:
            found = check(
                open_store(cfg), graph, load_feeds(cfg.feeds), cfg.graph_snapshot, sample=sample
            )
        finally:
            graph.close()
    if found.ok:
        console.print(f"The graph is as a full projection ({found.sampled:,} nodes sampled).")
        return
    console.print(
        "The graph differs from a full projection: "
        + ", ".join(f"{k} {n:,} rows" for k, n in found.differing.items())
        + ". `mast graph build --full` rebuilds it."
    )
    raise typer.Exit(1)


@graph_app.command("health")
def graph_health() -> None:
    """Whether the graph answers, and how many nodes and relationships of each kind it has."""
    from mast.graph import open_graph  # noqa: PLC0415

    with errors():
        graph = open_graph(settings())
        try:
            health = graph.health()
        finally:
            graph.close()
    console.print(f"{health.backend}: {'ok' if health.ok else 'FAILING'} — {health.detail}")
    for kind, n in health.counts.items():
        console.print(f"  {kind:16s} {n:>12,}")
    if not health.ok:
        raise typer.Exit(1)


@graph_app.command("check-neo4j")
def graph_check_neo4j() -> None:
    """Compare the Neo4j server of MAST_NEO4J_URI with an embedded graph built from the same
    state store: every node and relationship by key, and every named query's answer. Prints
    query names, counts and keys only; exits 1 if anything differs."""
    from mast.graph.check import check_graph  # noqa: PLC0415 - loads the engines
    from mast.graph.neo4j_store import Neo4jStore  # noqa: PLC0415

    with errors():
        cfg = settings()
        if not cfg.neo4j_uri:
            raise ConfigError(
                "MAST_NEO4J_URI is not set: give the Neo4j server to check "
                "(and MAST_NEO4J_USER, MAST_NEO4J_PASSWORD, MAST_NEO4J_DATABASE)"
            )
        target = Neo4jStore(
            cfg.neo4j_uri,
            cfg.neo4j_user,
            cfg.neo4j_password.get_secret_value(),
            database=cfg.neo4j_database,
        )
        try:
            health = target.health()
            if not health.ok:
                raise GraphError(f"cannot check: {health.detail}")
            result = check_graph(target, open_store(cfg), cfg, now=clock.now())
        finally:
            target.close()
    for title, findings in (("content", result.content), ("named queries", result.findings)):
        console.print(f"{title}: {'the same' if not findings else f'{len(findings)} differ'}")
        for finding in findings:
            console.print(f"  {finding.describe()}")
    console.print(
        f"{result.queries} named queries run on both ({result.answered} with rows): "
        + ("Neo4j answers as the embedded graph does." if result.ok else "DIFFERENCES FOUND.")
    )
    if not result.ok:
        raise typer.Exit(1)


def report(
    name: Annotated[str | None, typer.Argument(help="a named query; --list shows them")] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="NAME=VALUE, repeatable")
    ] = None,
    out: Annotated[Path | None, typer.Option("--csv", help="write every row to this CSV")] = None,
    list_all: Annotated[bool, typer.Option("--list", help="list the named queries")] = False,
    purpose: Annotated[str, typer.Option(help="the case or request this answers")] = "",
) -> None:
    """Run a named query (mast/cypher/NAME.cypher) with its parameters."""
    from mast.graph import open_graph  # noqa: PLC0415
    from mast.graph.queries import load_queries, run_named  # noqa: PLC0415

    if list_all or name is None:
        table = Table("query", "parameters", "what it answers")
        for q in load_queries().values():
            params = ", ".join(
                f"{p.name} ({p.type}{'' if p.default is None else ' = ' + p.default})"
                for p in q.params
            )
            table.add_row(q.name, params, q.description)
        console.print(table)
        return
    with errors():
        given = _params(param or [])
        cfg = settings()
        graph = open_graph(cfg)
        try:
            result = run_named(
                graph,
                name,
                given,
                now=clock.now(),
                timeout_s=cfg.query_timeout_s,
                max_rows=cfg.query_max_rows,
                max_bytes=cfg.query_max_bytes,
            )
        finally:
            graph.close()
        _audited("report", {"name": name, "params": given}, result, purpose)
    _show(result, out)


def cypher(
    query: Annotated[str, typer.Argument(help="one read-only Cypher query")],
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="NAME=VALUE, as text")
    ] = None,
    out: Annotated[Path | None, typer.Option("--csv", help="write every row to this CSV")] = None,
    purpose: Annotated[str, typer.Option(help="the case or request this answers")] = "",
) -> None:
    """Run analyst Cypher, read-only, with a time limit and a row cap."""
    from mast.graph import open_graph  # noqa: PLC0415
    from mast.graph.guard import check_read_only  # noqa: PLC0415

    with errors():
        checked = check_read_only(query)
        cfg = settings()
        graph = open_graph(cfg)
        try:
            result = graph.read(
                checked,
                _params(param or []),
                timeout_s=cfg.query_timeout_s,
                max_rows=cfg.query_max_rows,
                max_bytes=cfg.query_max_bytes,
            )
        finally:
            graph.close()
        given = _params(param or [])
        _audited("cypher", {"cypher": query, "params": given}, result, purpose)
    _show(result, out)


def _audited(operation: str, params: dict[str, Any], result: QueryResult, purpose: str) -> None:
    """Commit the audit entry, every person shown or asked about in it, before anything is
    printed or written (as the API does): in the name of the operating-system user."""
    from mast.api.subjects import ids_in  # noqa: PLC0415
    from mast.cli.api import record_read  # noqa: PLC0415

    record_read(operation, params, ids_in(result.columns, result.rows, params), purpose)


def _params(pairs: list[str]) -> dict[str, Any]:
    given: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise QueryRefused(f"--param takes NAME=VALUE, not {key.strip() or '='!r}")
        given[key.strip()] = value
    return given


def _show(result: QueryResult, out: Path | None) -> None:
    from mast.core.csv_safe import csv_safe  # noqa: PLC0415

    if out is not None:
        with out.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(result.columns)
            for row in result.rows:
                writer.writerow([csv_safe(_text(v)) for v in row])
        console.print(f"{len(result.rows):,} rows written to {out}")
    else:
        table = Table(*result.columns)
        for row in result.rows[:_SHOWN]:
            table.add_row(*(_text(v) for v in row))
        console.print(table)
        if len(result.rows) > _SHOWN:
            console.print(f"… {len(result.rows) - _SHOWN:,} more rows; --csv FILE writes them all")
    if result.truncated:
        console.print(
            f"Only the first {len(result.rows):,} rows (MAST_QUERY_MAX_ROWS).", style="yellow"
        )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(_text(v) for v in value)
    if isinstance(value, dict):
        key = next((k for k in value if k.endswith("_id") or k == "name"), None)
        return str(value[key]) if key else str(value)
    return str(value)
