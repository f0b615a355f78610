"""The demo's headline figures, counted by the named queries on the graph and set beside
the generator's ground truth (`truth/figures.json`): the difference is the resolver's
error plus what no partner recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from mast.graph.headlines import HEADLINES, count_headlines
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
    counts = count_headlines(graph, start=start, end=end, now=now)
    found = []
    for what, _name, _params, key in HEADLINES:
        expected = truth.get(key)
        found.append(Headline(what, counts[key], expected if isinstance(expected, int) else None))
    return found
