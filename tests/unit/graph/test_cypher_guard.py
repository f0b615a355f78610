"""Analyst Cypher is read-only (RELIABILITY P11): a corpus of writes, file and network
access, procedures, multiple statements and evasions is refused, and the graph — and the
disk — are the same afterwards. Reading queries still run."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from mast.core.errors import GraphError, QueryRefused
from mast.graph.guard import check_read_only
from mast.graph.ladybug_store import LadybugStore
from mast.graph.projection import NODE_SCHEMAS, REL_SCHEMAS

OUT = "/tmp/mast-guard-test"


def refused_corpus() -> list[str]:
    """Every query the guard must refuse. Over 80 lines: it is a list of queries, one a line."""
    writes = [
        "CREATE (:Person {person_id: 'X'})",
        "MATCH (p:Person) SET p.given_name = 'X'",
        "MATCH (p:Person) DELETE p",
        "MATCH (p:Person) DETACH DELETE p",
        "MATCH (p:Person) REMOVE p.given_name",
        "MERGE (p:Person {person_id: 'X'})",
        "MATCH (a:Person), (b:Person) CREATE (a)-[:RELATED {kind: 'x'}]->(b)",
        "MATCH (p:Person) WITH p SET p.dob = date('2000-01-01') RETURN p",
        "UNWIND [1, 2] AS x CREATE (:Agency {agency_id: toString(x)})",
        "MATCH (p:Person) FOREACH (x IN [1] | SET p.sex = 'X')",
        "MATCH (p:Person)-[r:RELATED]->() DELETE r",
        "MATCH (p:Person) SET p += {given_name: 'X'}",
        "MATCH (p:Person) SET p:Suspect",
        "OPTIONAL MATCH (p:Person) MERGE (q:Person {person_id: p.person_id})",
        "CREATE NODE TABLE Evil(id STRING PRIMARY KEY)",
        "DROP TABLE Person",
        "ALTER TABLE Person ADD shoe_size INT64",
        "CREATE REL TABLE Evil2(FROM Person TO Person)",
        "TRUNCATE Person",
        "CHECKPOINT",
        "BEGIN TRANSACTION",
        "COMMIT",
        "ROLLBACK",
        "CREATE INDEX evil FOR (p:Person) ON (p.given_name)",
        "CREATE CONSTRAINT evil FOR (p:Person) REQUIRE p.x IS UNIQUE",
        "DROP CONSTRAINT person_key",
        "CREATE USER mallory SET PASSWORD 'x'",
        "GRANT ALL ON DATABASE * TO mallory",
        "CREATE DATABASE evil",
    ]
    files_and_network = [
        f"COPY Person TO '{OUT}/people.csv'",
        f"COPY (MATCH (p:Person) RETURN p.*) TO '{OUT}/people.parquet'",
        "COPY Person FROM '/etc/passwd'",
        f"EXPORT DATABASE '{OUT}/export'",
        f"IMPORT DATABASE '{OUT}/export'",
        "LOAD FROM '/etc/passwd' (file_format='csv') RETURN *",
        "LOAD CSV FROM 'file:///etc/passwd' AS row RETURN row",
        "LOAD CSV WITH HEADERS FROM 'https://example.org/x.csv' AS row RETURN row",
        "INSTALL httpfs",
        "LOAD EXTENSION httpfs",
        "UNINSTALL json",
        f"ATTACH '{OUT}/other.lbug' AS other (dbtype lbug)",
        "DETACH other",
        "USE other",
        "USE system SHOW DATABASES",
    ]
    procedures = [
        "CALL show_tables() RETURN *",
        "CALL table_info('Person') RETURN *",
        "CALL db.labels()",
        "CALL dbms.components()",
        "CALL apoc.load.json('file:///etc/passwd')",
        "MATCH (p:Person) CALL { WITH p SET p.x = 1 } RETURN p",
        "CALL { MATCH (p:Person) RETURN p } RETURN p",
        "RETURN apoc.cypher.runFirstColumnSingle('MATCH (n) DETACH DELETE n', {})",
        "WITH apoc.load.jsonParams('https://example.org', {}, null) AS x RETURN x",
        "RETURN db.nameFromElementId('4:x:1')",
        "SHOW PROCEDURES",
        "SHOW FUNCTIONS",
        "SHOW TRANSACTIONS",
        "TERMINATE TRANSACTIONS 'neo4j-transaction-1'",
        "PROFILE MATCH (p:Person) RETURN p",
        "EXPLAIN MATCH (p:Person) RETURN p",
        "MATCH (p:Person) RETURN p CALL db.awaitIndexes()",
        "USING PERIODIC COMMIT LOAD CSV FROM 'file:///x' AS r RETURN r",
    ]
    statements_and_evasions = [
        "MATCH (p:Person) RETURN p; MATCH (p:Person) DETACH DELETE p",
        "MATCH (p:Person) RETURN p;MATCH (q:Person) RETURN q",
        "RETURN 1; RETURN 2;",
        "match (p:Person) detach delete p",
        "MaTcH (p:Person) DeLeTe p",
        "MATCH (p:Person) /* harmless */ DETACH /* really */ DELETE p",
        "MATCH (p:Person) // a comment\nDELETE p",
        "MATCH (p:Person)\nSET\np.given_name = 'x'",
        "MATCH (p:Person)\tDELETE\tp",
        "MATCH (p:Person) WHERE p.given_name = 'a' DELETE p",
        'MATCH (p:Person) WHERE p.given_name = "it\'s" SET p.x = 1',
        "MATCH (p:Person) WHERE p.given_name = 'it\\'s' DETACH DELETE p",
        "MATCH (p:`Person`) DETACH DELETE p",
        "RETURN 'unterminated",
        "MATCH (`p:Person) RETURN p",
        "",
        "   ",
        "// only a comment",
        "MATCH (p:Person) RETURN p " + "/* padding */ " * 2000,
    ]
    return writes + files_and_network + procedures + statements_and_evasions


READS = [
    "MATCH (p:Person) RETURN p.person_id ORDER BY p.person_id",
    "MATCH (p:`Person`) WHERE p.given_name = 'DELETE me' RETURN count(p)",
    "MATCH (p:Person) WHERE p.given_name CONTAINS 'create' RETURN p.person_id",
    "// who is in the graph\nMATCH (p:Person) RETURN count(*) AS people;",
    "MATCH (a:Person)-[r:RELATED]->(b:Person) RETURN a.person_id, r.kind, b.person_id",
    "MATCH (p:Person) WITH p ORDER BY p.dob DESC LIMIT 1 RETURN p.person_id",
    "UNWIND [1, 2, 3] AS x RETURN sum(x) AS total",
    "MATCH (p:Person) WHERE EXISTS { MATCH (p)-[:RELATED]->() } RETURN p.person_id",
    "MATCH (p:Person) RETURN p.person_id, COUNT { MATCH (p)-[:RELATED]-() } AS links",
    "MATCH (p:Person) WHERE p.dob >= date('2000-01-01') RETURN p.person_id",
    "MATCH (p:Person) RETURN CASE WHEN p.sex = 'F' THEN 'f' ELSE 'm' END AS s",
]


@pytest.fixture
def tiny(tmp_path: Path) -> Iterator[LadybugStore]:
    store = LadybugStore(tmp_path / "graph.lbug", buffer_pool_bytes=256 * 1024**2)
    nodes = {label: schema.empty_table() for label, schema in NODE_SCHEMAS.items()}
    rels = {kind: schema.empty_table() for kind, schema in REL_SCHEMAS.items()}
    nodes["Person"] = _rows(
        NODE_SCHEMAS["Person"],
        [
            {"person_id": "P1", "given_name": "Ann", "dob": date(1990, 4, 2), "sex": "F"},
            {"person_id": "P2", "given_name": "Bob", "dob": date(2015, 1, 9), "sex": "M"},
        ],
    )
    rels["RELATED"] = _rows(
        REL_SCHEMAS["RELATED"],
        [{"src": "P1", "dst": "P2", "kind": "child", "evidence": "stated"}],
    )
    store.replace_all(nodes, rels)
    yield store
    store.close()


def _rows(schema: pa.Schema, rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist([{n: r.get(n) for n in schema.names} for r in rows], schema=schema)


def _digest(store: LadybugStore) -> tuple[Any, ...]:
    people = store.read("MATCH (p:Person) RETURN p.* ORDER BY p.person_id", {}).rows
    links = store.read("MATCH (a)-[r]->(b) RETURN a.person_id, r.kind, b.person_id", {}).rows
    tables = {name for name in ("Evil", "Evil2") if _exists(store, name)}
    return (str(people), str(links), tables, store.health().counts)


def _exists(store: LadybugStore, label: str) -> bool:
    try:
        store.read(f"MATCH (n:`{label}`) RETURN count(n)", {})
    except Exception:
        return False
    return True


def test_the_corpus_is_large_enough() -> None:
    assert len(refused_corpus()) >= 60


@pytest.mark.parametrize("query", refused_corpus())
def test_the_guard_refuses(query: str) -> None:
    with pytest.raises(QueryRefused):
        check_read_only(query)


def test_nothing_in_the_corpus_changes_the_graph_or_the_disk(tiny: LadybugStore) -> None:
    before = _digest(tiny)
    for query in refused_corpus():
        with pytest.raises(QueryRefused):  # the store's own read path guards too
            tiny.read(query, {})
    assert _digest(tiny) == before
    assert not Path(OUT).exists()


@pytest.mark.parametrize("query", READS)
def test_reading_queries_run(tiny: LadybugStore, query: str) -> None:
    assert check_read_only(query)
    result = tiny.read(query, {})
    assert result.columns


def test_keywords_as_names_are_names() -> None:
    for query in (
        "MATCH (p:Person) RETURN p.set, p.`delete` AS d",
        "MATCH (c:`Case`)-[:`IN`]->(x) RETURN c",
    ):
        assert check_read_only(query) == query


def test_the_engine_refuses_writes_even_without_the_guard(tiny: LadybugStore) -> None:
    """The second layer: the backend's read-only transaction."""
    import ladybug  # noqa: PLC0415

    before = _digest(tiny)
    conn = ladybug.Connection(tiny._db)
    try:
        for query in ("CREATE (:Person {person_id: 'X'})", "MATCH (p:Person) DETACH DELETE p"):
            conn.execute("BEGIN TRANSACTION READ ONLY")
            with pytest.raises(RuntimeError, match="read-only"):
                conn.execute(query)
            conn.execute("ROLLBACK")
    finally:
        conn.close()
    assert _digest(tiny) == before


def test_a_row_cap_and_a_time_limit(tiny: LadybugStore) -> None:
    capped = tiny.read("UNWIND range(1, 50) AS x RETURN x", {}, max_rows=10)
    assert len(capped.rows) == 10 and capped.truncated
    from mast.core.errors import GraphError  # noqa: PLC0415

    with pytest.raises(GraphError, match="limit"):
        tiny.read("UNWIND range(1, 300000000) AS x RETURN sum(x)", {}, timeout_s=0.05)


def test_results_carry_no_engine_ids(tiny: LadybugStore) -> None:
    row = tiny.read("MATCH (p:Person)-[r:RELATED]->(q) RETURN p, r", {}).records()[0]
    assert row["p"]["label"] == "Person" and row["p"]["person_id"] == "P1"
    assert row["r"]["type"] == "RELATED" and row["r"]["kind"] == "child"
    assert not any(k.startswith("_") for value in row.values() for k in value)


def test_engine_errors_never_carry_a_bound_value(tiny: LadybugStore) -> None:
    from mast.core.errors import GraphError  # noqa: PLC0415

    with pytest.raises(GraphError) as caught:
        tiny.read("MATCH (p:Person) WHERE p.dob = $born RETURN p", {"born": "Siân Jones"})
    assert "Siân" not in str(caught.value) and "Jones" not in str(caught.value)


def test_engine_errors_never_quote_a_value_from_the_data(tiny: LadybugStore) -> None:
    """The engine quotes the value it failed to convert; from the data, no parameter names it."""
    for query in (
        "MATCH (p:Person) RETURN cast(p.given_name AS INT64)",
        "MATCH (p:Person) RETURN date(p.given_name + '-01')",
    ):
        with pytest.raises(GraphError) as caught:
            tiny.read(query, {})
        message = str(caught.value)
        assert "refused" in message
        assert "Ann" not in message and "Bob" not in message, message


def test_the_time_limit_covers_fetching_and_waiting(tiny: LadybugStore) -> None:
    """The engine's own timeout stops its execution only: a result that takes long to fetch,
    or a wait behind the swap of a rebuilt graph, used to run far past the limit."""
    started = time.monotonic()
    with pytest.raises(GraphError, match="limit"):
        tiny.read("UNWIND range(1, 3000000) AS x RETURN x", {}, timeout_s=0.3, max_rows=10**8)
    assert time.monotonic() - started < 1.0
    held, release = threading.Event(), threading.Event()

    def write() -> None:
        with tiny.access.writing(), tiny.access.exclusive():
            held.set()
            release.wait(5)

    writer = threading.Thread(target=write)
    writer.start()
    held.wait(5)
    threading.Timer(1.0, release.set).start()
    started = time.monotonic()
    with pytest.raises(GraphError, match="limit"):
        tiny.read("MATCH (p:Person) RETURN p.person_id", {}, timeout_s=0.3)
    writer.join()
    assert time.monotonic() - started < 1.5


def test_a_result_is_stopped_at_its_byte_cap_while_it_is_fetched(tiny: LadybugStore) -> None:
    """400 values of 100 kB against a 1 MiB cap: refused after about ten rows, with a clear
    reason, rather than held whole and sent (a 400 MB answer before)."""
    query = "UNWIND range(1, 400) AS i RETURN i, repeat('x', 100000)"
    with pytest.raises(GraphError, match=r"1 MiB limit .* after (\d+) rows") as caught:
        tiny.read(query, {}, max_bytes=2**20)
    assert int(str(caught.value).split(" after ")[1].split()[0]) <= 11
    assert len(tiny.read(query, {}, max_bytes=2**30).rows) == 400


def test_the_watchdog_interrupts_only_what_is_still_running_past_its_deadline() -> None:
    """The engine's own timeout is checked only between some operators' steps; one thread
    interrupts any connection still busy shortly after its limit."""
    from mast.graph.ladybug_store import _WATCHDOG  # noqa: PLC0415

    class Busy:
        def __init__(self) -> None:
            self.interrupted = threading.Event()

        def interrupt(self) -> None:
            self.interrupted.set()

    late, finished = Busy(), Busy()
    _WATCHDOG.watch(late, time.monotonic() + 0.2)  # type: ignore[arg-type]
    _WATCHDOG.done(_WATCHDOG.watch(finished, time.monotonic() + 0.1))  # type: ignore[arg-type]
    assert late.interrupted.wait(2)
    time.sleep(0.2)
    assert not finished.interrupted.is_set()
