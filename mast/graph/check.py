"""Whether a graph server answers as the embedded graph does: `mast graph check-neo4j`.

The reference is a Ladybug graph built, in a scratch folder, from the state store the
target was built from. Both are compared twice: their content (every node and relationship,
by key) and the contract cases (every named query of `mast/cypher/` and `mast/cypher/api/`,
with parameters sampled from the reference). The contract suite in
tests/integration/graph/test_graph.py runs the same cases. A finding names a query, a label
or a relationship type, counts, and the keys (MAST's own ids) of the rows that differ: never
a property's value, which may be a name or a date of birth (RELIABILITY P16).
"""

from __future__ import annotations

import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from mast.core.settings import Settings
from mast.graph.queries import API_DIR, CYPHER_DIR, SCAN_DIR, load_queries, run_named
from mast.graph.store import GraphStore
from mast.loaders.feeds import load_feeds
from mast.schema.graph import NODES, RELS

SHOWN_KEYS = 10
"""Keys listed per finding; the counts say how many there are in all."""
_ALL_ROWS = 100_000_000
_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class Case:
    """One named query with the parameters the check runs it with."""

    folder: Path
    name: str
    params: dict[str, Any]
    compare: tuple[str, ...]
    """The columns compared (the query's `@compare`), or every column if empty."""


@dataclass(frozen=True)
class Finding:
    """Where the target differs from the reference: a query, a label or a type."""

    what: str
    reference: int
    """Rows (or nodes, or relationships) in the reference."""
    target: int
    missing: list[str] = field(default_factory=list)
    """Keys in the reference but not in the target."""
    extra: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    """Keys in both whose other values differ (with the names of the properties)."""

    def describe(self) -> str:
        parts = [f"{self.what}: {self.reference:,} in the embedded graph, {self.target:,} here"]
        for label, keys in (("missing", self.missing), ("extra", self.extra)):
            if keys:
                parts.append(f"{len(keys):,} {label}: {_some(keys)}")
        if self.changed:
            parts.append(f"{len(self.changed):,} differ: {_some(self.changed)}")
        return "; ".join(parts)


@dataclass(frozen=True)
class Check:
    backend: str
    queries: int
    """Contract cases run on both graphs."""
    answered: int
    """Of them, how many had rows in the reference (a comparison of nothing proves little)."""
    content: list[Finding]
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        return not self.content and not self.findings


def _some(keys: list[str]) -> str:
    more = len(keys) - SHOWN_KEYS
    return ", ".join(keys[:SHOWN_KEYS]) + (f" and {more:,} more" if more > 0 else "")


def contract_cases(reference: GraphStore, now: datetime) -> list[Case]:
    """Every named query, with a person who has a relative, the address with most events,
    the year before `now` and a day in it: values taken from the reference graph, so most
    queries have an answer to compare."""
    pair = reference.read(
        "MATCH (a:`Person`)-[:`RELATED`]->(b:`Person`) RETURN a.person_id, b.person_id "
        "ORDER BY a.person_id LIMIT 1",
        {},
    ).rows
    busy = reference.read(
        "MATCH (a:`Address`)<-[:`AT`]-(e:`Event`) RETURN a.address_id, count(e) AS n "
        "ORDER BY n DESC, a.address_id LIMIT 1",
        {},
    ).rows
    person, relative = pair[0] if pair else ("", "")
    address = busy[0][0] if busy else ""
    samples: dict[str, Any] = {
        "person_id": person,
        "from_person": person,
        "to_person": relative,
        "address_id": address,
        "from": now - timedelta(days=367),
        "to": now - timedelta(days=1),
        "day": (now - timedelta(days=154)).date(),
    }
    cases = []
    for folder in (CYPHER_DIR, API_DIR, SCAN_DIR):
        for name, query in load_queries(folder).items():
            given = {p.name: samples[p.name] for p in query.params if p.name in samples}
            if name.endswith("_by_id"):
                given["ids"] = [address if name.startswith("address") else person]
            cases.append(Case(folder, name, given, query.compare))
    return cases


def normal(value: Any) -> Any:
    """A value as comparable across backends: lists sorted (collect() has no order),
    floats rounded (engines sum in different orders)."""
    if isinstance(value, list):
        return sorted((normal(x) for x in value), key=repr)
    if isinstance(value, dict):
        return {k: normal(x) for k, x in sorted(value.items())}
    return round(value, 6) if isinstance(value, float) else value


def normal_rows(rows: Iterable[Mapping[str, Any]], columns: tuple[str, ...]) -> list[str]:
    """Rows as comparable text: only the compared columns, rows sorted (ties under ORDER
    BY may fall either way)."""
    return sorted(
        repr({k: normal(v) for k, v in r.items() if not columns or k in columns}) for r in rows
    )


def compare_rows(
    what: str,
    reference: list[dict[str, Any]],
    target: list[dict[str, Any]],
    columns: tuple[str, ...],
) -> Finding | None:
    """A finding if the two answers differ as multisets of rows; its keys are the rows'
    id columns (`…_id`), so no other value of a differing row is shown."""

    def keyed(rows: list[dict[str, Any]]) -> Counter[str]:
        return Counter(normal_rows(rows, columns))

    ref, got = keyed(reference), keyed(target)
    if ref == got:
        return None
    key_of = {
        text: _row_key(row)
        for rows in (reference, target)
        for row in rows
        for text in normal_rows([row], columns)
    }
    missing = sorted(key_of[t] for t in (ref - got).elements())
    extra = sorted(key_of[t] for t in (got - ref).elements())
    return Finding(what, len(reference), len(target), missing, extra)


def _row_key(row: Mapping[str, Any]) -> str:
    ids = [f"{k}={v}" for k, v in row.items() if k.endswith("_id") and isinstance(v, str | int)]
    return " ".join(ids) or "(a row without an id column)"


def compare_queries(
    reference: GraphStore, target: GraphStore, cases: list[Case], now: datetime
) -> tuple[int, list[Finding]]:
    """Each case on both graphs: how many had an answer in the reference, and where the
    target's answer differs."""
    answered, findings = 0, []
    for case in cases:
        answers = [
            run_named(
                graph,
                case.name,
                case.params,
                now=now,
                folder=case.folder,
                timeout_s=_TIMEOUT_S,
                max_rows=_ALL_ROWS,
            ).records()
            for graph in (reference, target)
        ]
        answered += bool(answers[0])
        label = case.name if case.folder == CYPHER_DIR else f"{case.folder.name}/{case.name}"
        if finding := compare_rows(label, answers[0], answers[1], case.compare):
            findings.append(finding)
    return answered, findings


def _content(graph: GraphStore) -> dict[str, dict[str, list[tuple[Any, ...]]]]:
    """Every node and relationship, by key ("src->dst" for a relationship), with its
    properties in schema order."""
    found: dict[str, dict[str, list[tuple[Any, ...]]]] = {}
    for node in NODES:
        columns = ", ".join(f"n.{p}" for p in node.names)
        rows = graph.read(
            f"MATCH (n:`{node.label}`) RETURN {columns}",
            {},
            max_rows=_ALL_ROWS,
            timeout_s=_TIMEOUT_S,
        ).rows
        keyed: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        key_at = node.names.index(node.key)
        for row in rows:
            keyed[str(row[key_at])].append(tuple(normal(v) for v in row))
        found[node.label] = keyed
    keys = {n.label: n.key for n in NODES}
    for rel in RELS:
        props = "".join(f", x.{p}" for p in rel.names)
        rows = graph.read(
            f"MATCH (a:`{rel.source}`)-[x:`{rel.type}`]->(b:`{rel.target}`) "
            f"RETURN a.{keys[rel.source]}, b.{keys[rel.target]}{props}",
            {},
            max_rows=_ALL_ROWS,
            timeout_s=_TIMEOUT_S,
        ).rows
        keyed = defaultdict(list)
        for row in rows:
            keyed[f"{row[0]}->{row[1]}"].append(tuple(normal(v) for v in row[2:]))
        found[rel.type] = keyed
    return found


def compare_content(reference: GraphStore, target: GraphStore) -> list[Finding]:
    """Per label and relationship type: the keys one graph has and the other lacks, and
    the keys whose properties differ (named, not shown)."""
    names = {n.label: n.names for n in NODES} | {r.type: r.names for r in RELS}
    ref, got = _content(reference), _content(target)
    findings = []
    for what, expected in ref.items():
        actual = got[what]
        missing = sorted(set(expected) - set(actual))
        extra = sorted(set(actual) - set(expected))
        changed = []
        for key in sorted(set(expected) & set(actual)):
            a, b = sorted(expected[key], key=repr), sorted(actual[key], key=repr)
            if a != b:
                changed.append(f"{key} ({_differing(names[what], a, b)})")
        if missing or extra or changed:
            findings.append(
                Finding(
                    what,
                    sum(map(len, expected.values())),
                    sum(map(len, actual.values())),
                    missing,
                    extra,
                    changed,
                )
            )
    return findings


def _differing(names: list[str], a: list[tuple[Any, ...]], b: list[tuple[Any, ...]]) -> str:
    """The names of the properties that differ (rows hold the properties in `names` order)."""
    if len(a) != len(b):
        return f"{len(a)} relationships against {len(b)}"
    differ = {names[i] for x, y in zip(a, b, strict=True) for i in range(len(x)) if x[i] != y[i]}
    return ", ".join(sorted(differ))


def check_graph(
    target: GraphStore, engine: sa.Engine, settings: Settings, *, now: datetime
) -> Check:
    """Build the reference from the state store in a scratch folder and compare `target`
    with it, content and contract cases. The state store is only read."""
    from mast.graph.build import build_graph  # noqa: PLC0415 - the package imports this module
    from mast.graph.ladybug_store import LadybugStore  # noqa: PLC0415 - engine loads on use

    with tempfile.TemporaryDirectory(prefix="mast-check-") as scratch:
        reference = LadybugStore(
            Path(scratch) / "reference.lbug",
            buffer_pool_bytes=settings.graph_buffer_mib * 1024**2,
        )
        try:
            build_graph(
                engine, reference, load_feeds(settings.feeds), Path(scratch) / "snapshot", full=True
            )
            content = compare_content(reference, target)
            cases = contract_cases(reference, now)
            answered, findings = compare_queries(reference, target, cases, now)
        finally:
            reference.close()
    return Check(target.backend, len(cases), answered, content, findings)
