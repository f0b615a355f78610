"""The workbench's parts without a browser: Ladybug's real errors rewritten into plain words
with a position and no data, parameters bound by a query's header, and saved queries kept
per user and shared with their team only (on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import ladybug
import pytest

from mast.accounts.accounts import Accounts, User
from mast.core.errors import GraphError, QueryRefused
from mast.core.settings import Settings
from mast.graph.ladybug_store import _engine_message
from mast.graph.queries import CYPHER_DIR
from mast.schema.graph import ladybug_ddl
from mast.web import saved_queries
from mast.web.cypher_errors import plain
from mast.web.routes_workbench import _bind, vocabulary
from tests.support.harness import Harness


@pytest.fixture(scope="module")
def conn() -> Iterator[ladybug.Connection]:
    db = ladybug.Database(":memory:")
    connection = ladybug.Connection(db)
    for statement in ladybug_ddl():
        connection.execute(statement)
    connection.execute(
        "CREATE (:`Person` {person_id: 'P00000001', given_name: 'Zebedee', "
        "dob: date('2001-02-03')})"
    )
    yield connection
    connection.close()
    db.close()


def _fails(conn: ladybug.Connection, query: str) -> GraphError:
    """The GraphError the Ladybug store raises for the query (its own wording of it)."""
    try:
        conn.execute(query)
    except RuntimeError as e:
        return GraphError(_engine_message(e, 5))
    raise AssertionError("the query ran")


@pytest.mark.parametrize(
    ("query", "words", "line", "column"),
    [
        ("MATCH (p:`Person` RETURN p", "could not be read at the caret", 1, 19),
        ("MATCH (p:`Person`)\nRETRUN p", "could not be read at the caret", 2, 1),
        ("MATC (p:`Person`) RETURN p", "could not be read at the caret", 1, 1),
        ("MATCH (p:`Person`) RETURN p LIMT 3", "could not be read at the caret", 1, 29),
        ("MATCH (p:`Person`)\nRETURN q", "“q” is not defined", 2, 8),
        ("MATCH (p:`Persn`) RETURN p", "Did you mean “Person”?", 1, 10),
        ("MATCH (p:`Person`)\nRETURN p.famly_name", "Did you mean “family_name”?", 2, 10),
        ("MATCH (p:`Person`) RETURN toString(p.dob)", "not one both graphs have", 1, 27),
    ],
)
def test_ladybug_errors_are_plain_words_with_a_position(
    conn: ladybug.Connection, query: str, words: str, line: int, column: int
) -> None:
    said = plain(query, _fails(conn, query))
    assert words in said.message
    assert (said.line, said.column) == (line, column)
    assert said.line_text == query.splitlines()[line - 1]
    assert "exception" not in said.message.lower()


def test_errors_never_quote_data(conn: ladybug.Connection) -> None:
    """A value the graph holds ("Zebedee") fails to convert: the engine quotes it, the
    words do not; nor do they quote the query's own string values."""
    query = "MATCH (p:`Person`) WHERE p.given_name = 1 OR p.family_name = 'Quentin' RETURN p"
    error = _fails(conn, query)
    said = plain(query, error)
    assert "Zebedee" not in said.message and "Quentin" not in said.message
    assert "wrong type" in said.message
    compared = plain("x", _fails(conn, "MATCH (p:`Person`) WHERE p.dob > 3 RETURN p"))
    assert "DATE" in compared.message and "INT64" in compared.message


def test_neo4j_errors_are_read_too() -> None:
    query = "MATCH (p:`Person`)\nRETURN q"
    neo4j = GraphError(
        "Neo4j refused the query: Neo.ClientError.Statement.SyntaxError: "
        "Variable `q` not defined (line 2, column 8 (offset: 26))"
    )
    said = plain(query, neo4j)
    assert "“q” is not defined" in said.message and (said.line, said.column) == (2, 8)
    syntax = GraphError(
        "Neo4j refused the query: Neo.ClientError.Statement.SyntaxError: Invalid input …: "
        "expected … (line 1, column 19 (offset: 18))"
    )
    assert plain("MATCH (p:`Person` RETURN p", syntax).column == 19
    function = GraphError(
        "Neo4j refused the query: Neo.ClientError.Statement.SyntaxError: Unknown function … "
        "(line 1, column 27 (offset: 26))"
    )
    said = plain("MATCH (p:`Person`) RETURN toStrin(p.dob)", function)
    assert "not one both graphs have" in said.message and said.column == 27


def test_parameters_bind_by_the_header_and_a_missing_one_is_named() -> None:
    query = (
        "// @param from date = 2026-01-01\n// @param kinds strings =\n"
        "MATCH (e:`Event`) WHERE e.day >= $from AND e.kind IN $kinds AND e.records > $n "
        "RETURN e"
    )
    bound = _bind(query, "kinds = police, health\nn = 3\nunused = 1")
    assert bound == {"from": date(2026, 1, 1), "kinds": ["police", "health"], "n": 3}
    assert _bind(query, "from = 01/06/2026\nn = 3")["from"] == date(2026, 6, 1)
    with pytest.raises(QueryRefused, match=r"\$n has no value"):
        _bind(query, "")
    with pytest.raises(QueryRefused, match=r"\$from must be a date"):
        _bind(query, "from = soon\nn = 1")


def test_a_named_report_pasted_in_binds_its_whole_months_from_its_window() -> None:
    report = (CYPHER_DIR / "high_contact_addresses.cypher").read_text(encoding="utf-8")
    bound = _bind(report, "from = 2026-01-15\nto = 2026-04-01")
    assert (bound["whole_from"], bound["whole_to"]) == (datetime(2026, 2, 1), datetime(2026, 4, 1))
    assert _bind(report, "whole_from = 2026-03-01")["whole_from"] == "2026-03-01"  # given wins


def test_the_vocabulary_is_the_schemas() -> None:
    words = vocabulary()
    assert "adult_on" in words["labels"]["Person"]
    assert words["types"]["LIVED_AT"] == {
        "from": "Person",
        "to": "Address",
        "properties": ["valid_from", "valid_to", "sources"],
    }


@pytest.mark.usefixtures("state_url")
def test_saved_queries_are_each_users_and_shared_with_their_team_only(harness: Harness) -> None:
    accounts = Accounts(harness.engine, Settings())
    users: dict[str, User] = {}
    for name, agency in (("ann", "police"), ("bea", "police"), ("cai", "health")):
        accounts.add(name, display_name=name, role="analyst", agency=agency, password="x" * 20)
        found = accounts.get(name)
        assert found is not None
        users[name] = found
    engine = harness.engine
    mine = saved_queries.save(engine, users["ann"], "mine", "RETURN 1", "", shared=False)
    ours = saved_queries.save(engine, users["ann"], "ours", "RETURN 2", "n = 1", shared=True)
    assert mine and ours
    assert [s.name for s in saved_queries.visible(engine, users["ann"])] == ["ours", "mine"]
    assert [s.name for s in saved_queries.visible(engine, users["bea"])] == ["ours"]
    assert saved_queries.visible(engine, users["cai"]) == []
    assert saved_queries.one(engine, users["bea"], mine) is None
    assert saved_queries.one(engine, users["cai"], ours) is None
    opened = saved_queries.one(engine, users["bea"], ours)
    assert opened is not None and opened.params == "n = 1" and not opened.mine(users["bea"])
    assert isinstance(opened.saved_at, datetime)
    # Only its owner deletes a shared query.
    assert not saved_queries.delete(engine, users["bea"], ours)
    assert saved_queries.delete(engine, users["ann"], ours)
    assert [s.name for s in saved_queries.visible(engine, users["bea"])] == []
