"""Every named query, checked by Neo4j's own Cypher language support (npm
`@neo4j-cypher/language-support`, installed by `make`): no syntax or semantic error, and no
label, relationship type or property outside MAST's graph vocabulary."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from mast.graph.queries import API_DIR, CYPHER_DIR, SCAN_DIR, load_queries
from mast.schema.graph import NODES, RELS

LINT_DIR = Path(__file__).parents[3] / "tools" / "cypher-lint"
SAMPLE = {
    "string": "x",
    "strings": ["x"],
    "int": 1,
    "date": "2026-01-01",
    "datetime": "2026-01-01T00:00:00",
}
ALLOWED_WARNINGS = ("If a part of a query contains multiple disconnected patterns",)


def lint(queries: list[dict[str, object]]) -> dict[str, list[dict[str, object]]]:
    node = shutil.which("node")
    if node is None or not (LINT_DIR / "node_modules").is_dir():
        pytest.fail("Neo4j's Cypher linter is not installed: run `make install` (needs Node.js)")
    schema = {
        "labels": [n.label for n in NODES],
        "relationshipTypes": [r.type for r in RELS],
        "propertyKeys": sorted(
            {p for n in NODES for p in n.names} | {p for r in RELS for p in r.names}
        ),
    }
    done = subprocess.run(
        [node, "lint.mjs"],
        cwd=LINT_DIR,
        input=json.dumps({"schema": schema, "queries": queries}),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return {line["name"]: line["diagnostics"] for line in lines}


def test_every_named_query_passes_neo4js_linter() -> None:
    """The reports, and the API's own reads (`mast/cypher/api/`), which Neo4j runs too."""
    queries = [
        {
            "name": prefix + q.name,
            "text": q.cypher,
            "parameters": {p.name: SAMPLE[p.type] for p in q.params}
            | {name: SAMPLE["datetime"] for name in q.derived},
        }
        for prefix, folder in (("", CYPHER_DIR), ("api/", API_DIR), ("scan/", SCAN_DIR))
        for q in load_queries(folder).values()
    ]
    assert len(queries) >= 30
    found = lint(queries)
    assert set(found) == {q["name"] for q in queries}
    problems = {
        name: [d for d in diagnostics if not str(d["message"]).startswith(ALLOWED_WARNINGS)]
        for name, diagnostics in found.items()
    }
    assert {name: p for name, p in problems.items() if p} == {}


def test_the_linter_catches_what_it_should() -> None:
    """So that a clean result above means something: a write-only typo, a misspelt label,
    a property outside the vocabulary and the embedded engine's own syntax all fail."""
    found = lint(
        [
            {"name": "syntax", "text": "MATCH (p:`Person`) RETURN p ORDER", "parameters": {}},
            {"name": "label", "text": "MATCH (p:`Persn`) RETURN p", "parameters": {}},
            {"name": "property", "text": "MATCH (p:`Person`) RETURN p.shoe_size", "parameters": {}},
            {
                "name": "ladybug",
                "text": "MATCH p = (a:`Person`)-[:`RELATED`* SHORTEST 1..3]-(b) RETURN p",
                "parameters": {},
            },
        ]
    )
    assert all(found[name] for name in ("syntax", "label", "property", "ladybug"))


def test_the_cookbook_documents_every_named_query() -> None:
    cookbook = (Path(__file__).parents[3] / "docs" / "cypher.md").read_text(encoding="utf-8")
    for query in load_queries().values():
        assert f"### `{query.name}`" in cookbook, query.name
        for p in query.params:
            assert f"`{p.name}` {p.type}" in cookbook, (query.name, p.name)
