"""The demo's headline figures, counted by the named queries on the graph and set beside
the generator's ground truth (`truth/figures.json`): the difference is the resolver's
error plus what no partner recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from mast.graph.headlines import HEADLINES
from mast.graph.queries import load_queries, run_named
from mast.graph.store import GraphStore


@dataclass(frozen=True)
class Headline:
    what: str
    graph: int
    truth: int | None


def headlines(graph: GraphStore, truth: dict[str, Any], *, now: datetime) -> list[Headline]:
    window = truth.get("window", {})
    start = date.fromisoformat(window["from"]) if "from" in window else now.date()
    end = date.fromisoformat(window["to"]) + timedelta(days=1) if "to" in window else now.date()
    found = []
    for what, name, params, key in HEADLINES:
        takes = {p.name for p in load_queries()[name].params}
        dated = {k: v for k, v in (("from", start), ("to", end)) if k in takes}
        result = run_named(graph, name, {**params, **dated}, now=now, max_rows=10_000_000)
        expected = truth.get(key)
        truth_n = expected if isinstance(expected, int) else None
        found.append(Headline(what, len(result.rows), truth_n))
    return found
