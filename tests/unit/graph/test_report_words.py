"""What the report pages say a report shows is written for the people who read it: no
parameter names, backticks, graph types or engine names, which the query's own header
names for analysts (the workbench shows that one)."""

from __future__ import annotations

import re

import pytest

from mast.graph.queries import load_queries
from mast.schema.graph import RELS

_TYPES = "|".join(r.type for r in RELS)
INTERNALS = re.compile(rf"\$|`|\b(?:{_TYPES})\b|\bNeo4j\b|\bLadybug\b|\b[a-z]+_[a-z_]+\b")


@pytest.mark.parametrize("name", sorted(load_queries()))
def test_a_report_is_described_in_words_its_readers_use(name: str) -> None:
    said = load_queries()[name].for_people
    assert said and not INTERNALS.search(said), (name, INTERNALS.findall(said))


def test_a_summary_is_read_from_its_own_lines_and_the_description_stays_whole() -> None:
    query = load_queries()["shortest_connection"]
    assert query.summary.startswith("The shortest connection between two people")
    assert "@summary" not in query.description and "RELATED" in query.description
