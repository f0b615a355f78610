"""The graph end to end on the embedded engine: generated partner files, real SQLite,
DuckDB, Splink and Ladybug. A daily delta must leave the graph a full build would; the
named queries must agree with the state store they are projected from."""

from __future__ import annotations

import os
import random
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
import sqlalchemy as sa

from mast.core.errors import ConfigError, GraphError, QueryRefused
from mast.core.settings import BUILTIN_FEEDS
from mast.demo.generate import generate
from mast.graph import open_graph, projection
from mast.graph.build import build_graph, load_snapshot, refresh
from mast.graph.check import check_graph, compare_queries, contract_cases
from mast.graph.headlines import count_headlines
from mast.graph.ladybug_store import LadybugStore
from mast.graph.queries import API_DIR, CYPHER_DIR, SCAN_DIR, _parse, load_queries, run_named
from mast.graph.store import GraphStore
from mast.loaders.feeds import load_feeds
from mast.resolver.service import resolve
from mast.schema.graph import NODES, RELS
from mast.schema.tables import addresses, record_addresses, record_persons, records
from tests.support.demo_data import HOME_URLS, copy_home, halves, ingest, settings_for

pytestmark = pytest.mark.integration
"""The tests of the region built once (`built`) run on SQLite and on PostgreSQL."""
NOW = datetime(2026, 11, 2)
FEEDS = load_feeds(BUILTIN_FEEDS)
START, END = datetime(2025, 10, 31), datetime(2026, 11, 1)


def digest(graph: GraphStore) -> dict[str, list[tuple[Any, ...]]]:
    """Every node and relationship with every property, in key order."""
    found = {}
    for node in NODES:
        columns = ", ".join(f"n.{p}" for p in node.names)
        result = graph.read(
            f"MATCH (n:`{node.label}`) RETURN {columns} ORDER BY n.{node.key}",
            {},
            max_rows=10_000_000,
        )
        found[node.label] = [tuple(_hashable(v) for v in row) for row in result.rows]
    for rel in RELS:
        source, target = (
            n for label in (rel.source, rel.target) for n in NODES if n.label == label
        )
        props = "".join(f", x.{p}" for p in rel.names)
        result = graph.read(
            f"MATCH (a:`{rel.source}`)-[x:`{rel.type}`]->(b:`{rel.target}`) "
            f"RETURN a.{source.key}, b.{target.key}{props}",
            {},
            max_rows=10_000_000,
        )
        found[rel.type] = sorted(tuple(_hashable(v) for v in row) for row in result.rows)
    return found


def _hashable(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 9)
    return tuple(value) if isinstance(value, list) else value


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("graph-demo")
    generate(1500, 11, out, date(2026, 10, 31))
    return out


@pytest.fixture(scope="module")
def built(world: Path, tmp_path_factory: pytest.TempPathFactory, module_store: str | None) -> Path:
    """A home loaded in two days: day one resolved and built in full, day two resolved and
    applied as a delta; once on each store."""
    home = tmp_path_factory.mktemp("graph-home")
    if module_store:
        HOME_URLS[home] = module_store
    day_one, day_two = halves(world, tmp_path_factory.mktemp("graph-files") / "files")
    settings = settings_for(home)
    engine = ingest(home, day_one)
    resolve(engine, now=NOW)
    first = refresh(engine, settings)
    assert first.mode == "full"
    ingest(home, day_two)
    resolve(engine, now=NOW)
    second = refresh(engine, settings)
    assert second.mode == "delta" and 0 < second.changed < sum(second.counts.values())
    return home


@pytest.fixture(scope="module")
def graph(built: Path) -> Any:
    store = open_graph(settings_for(built))
    yield store
    store.close()


def test_a_delta_leaves_the_graph_a_full_build_makes(
    built: Path, graph: GraphStore, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    copy_home(built, copy, "graph")
    settings = settings_for(copy)
    engine = sa.create_engine(settings.state_url)
    full = LadybugStore(settings.graph_path)
    try:
        run = build_graph(engine, full, FEEDS, settings.graph_snapshot)
        assert run.mode == "full"
        fresh = digest(full)
    finally:
        full.close()
    assert digest(graph) == fresh
    health = graph.health()
    assert health.ok and health.counts == {k: len(v) for k, v in fresh.items()}


def test_a_second_build_with_nothing_new_changes_nothing(built: Path, graph: GraphStore) -> None:
    settings = settings_for(built)
    engine = sa.create_engine(settings.state_url)
    again = build_graph(engine, graph, FEEDS, settings.graph_snapshot)
    assert (again.mode, again.changed) == ("delta", 0)


def test_the_projection_does_not_hang_on_the_order_the_store_returns_rows(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store returns rows in whatever order its pages hold them (PostgreSQL's change with
    every update), so every tie in the projection must be broken by a key, not by arrival."""
    engine = sa.create_engine(settings_for(built).state_url)
    as_stored = projection.project(engine, FEEDS)
    read = projection._frame
    rng = random.Random(7)

    def shuffled(conn: sa.Connection, query: Any) -> pa.Table:
        table = read(conn, query)
        order = list(range(table.num_rows))
        rng.shuffle(order)
        return table.take(pa.array(order, pa.int64()))

    monkeypatch.setattr(projection, "_frame", shuffled)
    for _ in range(3):
        again = projection.project(engine, FEEDS)
        for label, table in as_stored.nodes.items():
            assert again.nodes[label].equals(table), label
        for kind, table in as_stored.rels.items():
            assert again.rels[kind].equals(table), kind


def test_a_graph_that_lost_its_file_is_rebuilt_whole(built: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    # Everything but the graph file, which the snapshot still describes. (Reading the live
    # file from this process would also drop its lock: POSIX locks go with any close.)
    copy_home(built, copy, "*.lbug*")
    settings = settings_for(copy)
    run = refresh(sa.create_engine(settings.state_url), settings)
    assert run.mode == "full"
    assert load_snapshot(settings.graph_snapshot) is not None


def test_every_record_person_and_address_is_in_the_graph(built: Path, graph: GraphStore) -> None:
    engine = sa.create_engine(settings_for(built).state_url)
    with engine.connect() as conn:
        n_records = conn.execute(sa.select(sa.func.count()).select_from(records)).scalar_one()
        resolved = conn.execute(sa.select(sa.func.count()).select_from(record_persons)).scalar_one()
        persons = conn.execute(
            sa.select(sa.func.count(sa.distinct(record_persons.c.person_id)))
        ).scalar_one()
    counts = graph.health().counts
    assert counts["Record"] == counts["IN_EVENT"] == n_records
    assert counts["RESOLVES_TO"] == resolved
    assert counts["Person"] == persons
    assert counts["Event"] == counts["BY"] <= n_records


def _store_rows(built: Path) -> list[dict[str, Any]]:
    engine = sa.create_engine(settings_for(built).state_url)
    r = records.c
    query = sa.select(
        r.record_id,
        r.feed,
        r.agency_kind,
        r.event_ref,
        r.occurred_at,
        r.case_ref,
        r.case_status,
        record_persons.c.person_id,
        record_addresses.c.address_id,
    ).select_from(
        records.outerjoin(record_persons, record_persons.c.record_id == r.record_id).outerjoin(
            record_addresses, record_addresses.c.record_id == r.record_id
        )
    )
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def _event(row: dict[str, Any]) -> str:
    return f"{row['feed']}:{row['event_ref'] or 'record:' + row['record_id']}"


def test_person_chronology_is_every_record_of_the_person(
    built: Path, each_backend: GraphStore
) -> None:
    rows = _store_rows(built)
    of_person: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row["person_id"] and START <= row["occurred_at"] < END:
            of_person[row["person_id"]].append(row)
    busiest = sorted(of_person, key=lambda p: (-len(of_person[p]), p))[:5]
    for person in busiest:
        result = run_named(
            each_backend,
            "person_chronology",
            {"person_id": person, "from": START, "to": END},
            now=NOW,
        )
        got = result.records()
        assert sorted(g["record_id"] for g in got) == sorted(
            r["record_id"] for r in of_person[person]
        )
        times = [g["occurred_at"] for g in got]
        assert times == sorted(times)


def test_high_contact_addresses_count_events_as_the_store_does(
    built: Path, each_backend: GraphStore
) -> None:
    events_at: dict[str, set[str]] = defaultdict(set)
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for row in _store_rows(built):
        if (
            row["agency_kind"] == "police"
            and START <= row["occurred_at"] < END
            and row["address_id"]
        ):
            votes[_event(row)][row["address_id"]] += 1
    for event, counter in votes.items():
        top = max(counter.items(), key=lambda kv: (kv[1], kv[0]))[0]
        events_at[top].add(event)
    expected = {a: len(e) for a, e in events_at.items() if 3 <= len(e) <= 8}
    assert expected  # the generated region has such addresses
    result = run_named(
        each_backend,
        "high_contact_addresses",
        {"agency_kind": "police", "from": START, "to": END, "min": 3, "max": 8},
        now=NOW,
    )
    assert {r["address_id"]: r["events"] for r in result.records()} == expected


def test_known_to_not_matches_each_persons_agencies(built: Path, each_backend: GraphStore) -> None:
    kinds: dict[str, set[str]] = defaultdict(set)
    for row in _store_rows(built):
        if row["person_id"] and START <= row["occurred_at"] < END:
            kinds[row["person_id"]].add(row["agency_kind"])
    expected = sorted(
        p
        for p, k in kinds.items()
        if {"childrens_social_care", "health"} <= k and "police" not in k
    )
    assert expected
    result = run_named(each_backend, "known_to_not", {"from": START, "to": END}, now=NOW)
    assert [r["person_id"] for r in result.records()] == expected


def test_open_cases_are_the_persons_cases_whose_latest_status_is_open(
    built: Path, each_backend: GraphStore
) -> None:
    latest: dict[str, tuple[datetime, str]] = {}
    people_of: dict[str, set[str]] = defaultdict(set)
    for row in _store_rows(built):
        if row["case_ref"] and row["person_id"]:
            case = f"{row['feed']}:{row['case_ref']}"
            people_of[case].add(row["person_id"])
            if case not in latest or row["occurred_at"] > latest[case][0]:
                latest[case] = (row["occurred_at"], row["case_status"])
    person = next(
        p for case, (_, s) in sorted(latest.items()) if s == "open" for p in sorted(people_of[case])
    )
    expected = sorted(c for c, (_, s) in latest.items() if s == "open" and person in people_of[c])
    result = run_named(each_backend, "open_cases", {"person_id": person}, now=NOW)
    assert sorted(r["case_id"] for r in result.records()) == expected
    assert all(r["lead_name"] and r["lead_email"] for r in result.records())


def test_family_and_household_queries_agree_with_each_other(graph: GraphStore) -> None:
    pairs = graph.read(
        "MATCH (a:`Person`)-[r:`RELATED`]->(b:`Person`) WHERE r.kind = 'household' "
        "RETURN a.person_id, b.person_id, r.valid_from ORDER BY a.person_id LIMIT 20",
        {},
    ).rows
    assert pairs
    for a, b, since in pairs:
        history = run_named(graph, "household_history", {"person_id": a}, now=NOW).records()
        assert any(h["other"] == b and h["kind"] == "household" for h in history)
        home = run_named(graph, "household_on", {"person_id": a, "day": since}, now=NOW)
        assert {a, b} <= {r["person_id"] for r in home.records()}
        link = run_named(
            graph, "shortest_connection", {"from_person": a, "to_person": b}, now=NOW
        ).records()
        assert link and link[0]["hops"] == 1
        assert [n["person_id"] for n in (link[0]["path"][0], link[0]["path"][-1])] == [a, b]
        near = run_named(graph, "network", {"person_id": a}, now=NOW).records()
        assert any(n["person_id"] == b and n["via"] == "related" and n["hops"] == 1 for n in near)


def test_every_named_query_runs_with_its_defaults(graph: GraphStore) -> None:
    person = graph.read(
        "MATCH (p:`Person`) RETURN p.person_id ORDER BY p.person_id LIMIT 1", {}
    ).rows[0][0]
    address = graph.read("MATCH (a:`Address`) RETURN a.address_id LIMIT 1", {}).rows[0][0]
    samples = {
        "person_id": person,
        "address_id": address,
        "from_person": person,
        "to_person": person,
    }
    for folder, name, query in _every_query():
        given = {p.name: samples[p.name] for p in query.params if p.name in samples}
        if name.endswith("_by_id"):
            given["ids"] = [address if name.startswith("address") else person]
        result = run_named(graph, name, given, now=NOW, folder=folder, max_rows=1_000_000)
        assert result.columns, name


def _every_query() -> list[tuple[Path, str, Any]]:
    """The reports and the API's own reads, with the folder each comes from."""
    return [
        (folder, name, query)
        for folder in (CYPHER_DIR, API_DIR, SCAN_DIR)
        for name, query in load_queries(folder).items()
    ]


def test_parameters_are_checked_before_anything_runs(graph: GraphStore) -> None:
    with pytest.raises(QueryRefused, match="needs the parameter person_id"):
        run_named(graph, "person_chronology", {}, now=NOW)
    with pytest.raises(QueryRefused, match="has no parameter shoe_size"):
        run_named(graph, "open_cases", {"person_id": "P1", "shoe_size": "9"}, now=NOW)
    with pytest.raises(QueryRefused, match="min must be a int"):
        run_named(graph, "high_contact_people", {"min": "many"}, now=NOW)
    with pytest.raises(QueryRefused, match="no named query"):
        run_named(graph, "everything", {}, now=NOW)
    with pytest.raises(ConfigError, match="declares"):
        _parse(
            "bad", "// @param a string\n// @roles analyst\nMATCH (n) WHERE n.x = $b RETURN n", None
        )
    with pytest.raises(ConfigError, match="@roles"):
        _parse("bad", "// @param a string\nMATCH (n) WHERE n.x = $a RETURN n", None)


def test_relative_dates_in_parameters(graph: GraphStore) -> None:
    person = graph.read(
        "MATCH (p:`Person`)<-[:`RESOLVES_TO`]-(:`Record`) RETURN p.person_id, count(*) AS n "
        "ORDER BY n DESC, p.person_id LIMIT 1",
        {},
    ).rows[0][0]
    everything = run_named(
        graph,
        "person_chronology",
        {"person_id": person, "from": "2000-01-01", "to": "now"},
        now=NOW,
    )
    last_week = run_named(
        graph, "person_chronology", {"person_id": person, "from": "-7d", "to": "now"}, now=NOW
    )
    since = NOW - timedelta(days=7)
    assert [r for r in everything.records() if r["occurred_at"] >= since] == last_week.records()


def test_a_second_process_cannot_open_the_embedded_graph(built: Path, graph: GraphStore) -> None:
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    script = (
        "import sys\nfrom pathlib import Path\nfrom mast.core.errors import GraphBusy\n"
        "from mast.graph.ladybug_store import LadybugStore\n"
        "try:\n    LadybugStore(Path(sys.argv[1]))\nexcept GraphBusy as e:\n"
        "    print('busy:', e)\n    sys.exit(3)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(settings_for(built).graph_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 3 and "mast serve" in done.stdout


def _backends() -> list[str]:
    return ["ladybug", *(["neo4j"] if os.environ.get("MAST_NEO4J_URI") else [])]


@pytest.fixture(scope="module", params=_backends())
def each_backend(request: pytest.FixtureRequest, built: Path, graph: GraphStore) -> Any:
    """Each reachable backend holding the region: the home's own Ladybug graph (built in
    full, then by a delta); Neo4j (when MAST_NEO4J_URI is set) loaded with the same
    snapshot. The report tests check each against answers computed from the state store."""
    if request.param == "ladybug":
        yield graph
        return
    from mast.graph.neo4j_store import Neo4jStore  # noqa: PLC0415

    store = Neo4jStore(
        os.environ["MAST_NEO4J_URI"],
        os.environ.get("MAST_NEO4J_USER", "neo4j"),
        os.environ.get("MAST_NEO4J_PASSWORD", ""),
        database=os.environ.get("MAST_NEO4J_DATABASE"),
    )
    snapshot = load_snapshot(settings_for(built).graph_snapshot)
    assert snapshot is not None
    store.replace_all(snapshot.nodes, snapshot.rels)
    yield store
    store.close()


def test_every_backend_holds_the_records_events_and_people_of_the_store(
    built: Path, each_backend: GraphStore
) -> None:
    """The contract suite's first half: the graph's skeleton, by key, against what the
    state store says in plain Python — every record, the person it resolves to, the event
    it is part of (a feed's records sharing an event reference), and that event's address
    (the one most of its records give, ties to the greater id)."""
    rows = _store_rows(built)
    events = _store_events(built)
    expected: dict[str, set[tuple[Any, ...]]] = {
        "Record": {(r["record_id"],) for r in rows},
        "Person": {(r["person_id"],) for r in rows if r["person_id"]},
        "RESOLVES_TO": {(r["record_id"], r["person_id"]) for r in rows if r["person_id"]},
        "IN_EVENT": {(r["record_id"], _event(r)) for r in rows},
        "AT": {(e, event["address_id"]) for e, event in events.items() if event["address_id"]},
    }
    reads = {
        "Record": "MATCH (r:`Record`) RETURN r.record_id",
        "Person": "MATCH (p:`Person`) RETURN p.person_id",
        "RESOLVES_TO": "MATCH (r:`Record`)-[:`RESOLVES_TO`]->(p:`Person`) "
        "RETURN r.record_id, p.person_id",
        "IN_EVENT": "MATCH (r:`Record`)-[:`IN_EVENT`]->(e:`Event`) RETURN r.record_id, e.event_id",
        "AT": "MATCH (e:`Event`)-[:`AT`]->(a:`Address`) RETURN e.event_id, a.address_id",
    }
    for what, cypher in reads.items():
        got = each_backend.read(cypher, {}, max_rows=10_000_000).rows
        assert len(got) == len(expected[what]), what  # no duplicates either
        assert {tuple(row) for row in got} == expected[what], what


def test_named_queries_answer_alike_on_every_backend(
    built: Path, each_backend: GraphStore, tmp_path: Path
) -> None:
    """The contract suite's second half: every named query (the cases `mast graph
    check-neo4j` runs, `mast.graph.check.contract_cases`) answers on each backend as on a
    Ladybug graph loaded whole from the state store's projection. The reports with an
    answer computed from the state store are checked against it on each backend by the
    report tests above (each_backend); this covers the rest. Never a graph against itself:
    on Ladybug it compares the home's graph, built by a delta, with a whole load."""
    reference = LadybugStore(tmp_path / "whole.lbug", buffer_pool_bytes=256 * 1024**2)
    assert reference is not each_backend
    snapshot = load_snapshot(settings_for(built).graph_snapshot)
    assert snapshot is not None
    reference.replace_all(snapshot.nodes, snapshot.rels)
    try:
        cases = contract_cases(reference, NOW)
        answered, findings = compare_queries(reference, each_backend, cases, NOW)
    finally:
        reference.close()
    assert [f.describe() for f in findings] == []
    assert len(cases) == len(_every_query())
    assert answered >= 12  # most queries have an answer on this data, so the comparison bites


def test_check_neo4j_finds_nothing_when_the_graphs_agree(built: Path, graph: GraphStore) -> None:
    """`mast graph check-neo4j`'s logic with Ladybug on both sides: the home's graph, built
    by a delta, against a reference the check builds from the state store itself."""
    settings = settings_for(built)
    engine = sa.create_engine(settings.state_url)
    try:
        result = check_graph(graph, engine, settings, now=NOW)
    finally:
        engine.dispose()
    assert result.ok, [f.describe() for f in result.content + result.findings]
    assert result.queries == len(_every_query()) and result.answered >= 12


def test_check_neo4j_names_the_keys_that_differ_and_never_a_value(
    built: Path, tmp_path: Path
) -> None:
    """A target that lost a person and has another first line for an address: the check
    names the labels, the keys and the property, and the queries that answer differently;
    no value of the data is in what it prints."""
    settings = settings_for(built)
    snapshot = load_snapshot(settings.graph_snapshot)
    assert snapshot is not None
    target = LadybugStore(tmp_path / "target.lbug", buffer_pool_bytes=256 * 1024**2)
    engine = sa.create_engine(settings.state_url)
    try:
        target.replace_all(snapshot.nodes, snapshot.rels)
        # The person and the address the contract cases ask about, so queries differ too.
        asked = {k: v for c in contract_cases(target, NOW) for k, v in c.params.items()}
        person, address = asked["person_id"], asked["address_id"]
        places = snapshot.nodes["Address"]
        place = places.filter(pc.equal(places.column("address_id"), address))
        line = place.column("line")[0].as_py()
        at = place.schema.get_field_index("line")
        target.upsert_nodes("Address", place.set_column(at, "line", pa.array(["1 Secret Row"])))
        gone = target.read("MATCH (p:`Person` {person_id: $p}) RETURN p", {"p": person}).rows
        target.delete_nodes("Person", [person])
        result = check_graph(target, engine, settings, now=NOW)
    finally:
        target.close()
        engine.dispose()
    assert not result.ok
    found = {f.what: f for f in result.content}
    assert found["Person"].missing == [person] and not found["Person"].changed
    assert found["Person"].reference == found["Person"].target + 1
    assert found["Address"].changed == [f"{address} (line)"]
    assert not found["Address"].missing and not found["Address"].extra
    assert any(k.endswith(f"->{person}") for k in found["RESOLVES_TO"].missing)
    differ = {f.what for f in result.findings}
    assert {"person_chronology", "api/addresses_by_id", "api/people_by_id"} <= differ
    printed = "\n".join(f.describe() for f in result.content + result.findings)
    values = [line, "1 Secret Row"] + [
        v
        for k, v in gone[0][0].items()
        if isinstance(v, str) and len(v) > 3 and "_id" not in k and k not in ("_label", "label")
    ]
    assert [v for v in values if v and v in printed] == []


def test_check_neo4j_says_plainly_when_the_server_cannot_be_reached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket  # noqa: PLC0415

    from typer.testing import CliRunner  # noqa: PLC0415

    from mast.cli.main import app  # noqa: PLC0415

    with socket.socket() as s:  # a port nothing listens on once this is closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        "MAST_HOME": str(tmp_path / "home"),
        "MAST_NEO4J_URI": f"bolt://127.0.0.1:{port}",
        "MAST_NEO4J_PASSWORD": "not-shown",
    }
    done = CliRunner().invoke(app, ["graph", "check-neo4j"], env=env)
    assert done.exit_code == 2, done.output
    assert f"cannot check: Neo4j at bolt://127.0.0.1:{port}" in done.output
    assert "Traceback" not in done.output and "not-shown" not in done.output
    monkeypatch.delenv("MAST_NEO4J_URI", raising=False)
    unset = CliRunner().invoke(
        app, ["graph", "check-neo4j"], env={"MAST_HOME": str(tmp_path / "home")}
    )
    assert unset.exit_code == 2 and "MAST_NEO4J_URI is not set" in unset.output


def test_files_a_killed_build_left_behind_do_not_stop_the_next(built: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    copy_home(built, copy, "*.lbug*")
    settings = settings_for(copy)
    # What a build killed part-way leaves (found by tests/integration/daily/test_crash.py): a half-written
    # database beside the live one, with its write-ahead log and checkpoint files, and
    # orphans of a live file that is gone. Ladybug refuses to open over either.
    for name in (
        "mast.lbug.building",
        "mast.lbug.building.wal.checkpoint",
        "mast.lbug.wal.checkpoint",
    ):
        (settings.graph_path.parent / name).write_bytes(b"left by a killed process" * 64)
    (settings.graph_path.parent / "mast.lbug.building.checkpoint.intent.lock").touch()
    run = refresh(sa.create_engine(settings.state_url), settings)
    assert run.mode == "full" and run.counts["Person"] > 0
    assert sorted(p.name for p in settings.graph_path.parent.glob("mast.lbug*")) == ["mast.lbug"]


# --- reports against answers computed from the state store in plain Python ---------------


def _store_events(built: Path) -> dict[str, dict[str, Any]]:
    """Each event as the graph is documented to form it (records of one feed sharing an
    event reference; at the address most of its records give, ties to the greater id;
    its time the earliest; its category the least), with the people its records resolve to.
    Computed here from the state store, so a report can be checked against it."""
    members: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in _store_rows(built):
        members[_event(row)].append(row)
    engine = sa.create_engine(settings_for(built).state_url)
    with engine.connect() as conn:
        extra = {
            r.record_id: (r.category, r.agency, r.event_kind, r.role)
            for r in conn.execute(
                sa.select(
                    records.c.record_id,
                    records.c.category,
                    records.c.agency,
                    records.c.event_kind,
                    records.c.role,
                )
            )
        }
        residential = dict(
            conn.execute(sa.select(addresses.c.address_id, addresses.c.residential)).all()
        )
    engine.dispose()
    events = {}
    for event, rows in members.items():
        votes = Counter(r["address_id"] for r in rows if r["address_id"])
        place = max(votes.items(), key=lambda kv: (kv[1], kv[0]))[0] if votes else None
        categories = [
            extra[r["record_id"]][0] for r in rows if extra[r["record_id"]][0] is not None
        ]
        events[event] = {
            "kind": min(r["agency_kind"] for r in rows),
            "agency": min(extra[r["record_id"]][1] for r in rows),
            "at": min(r["occurred_at"] for r in rows),
            "category": min(categories) if categories else None,
            "event_kind": min(
                (extra[r["record_id"]][2] for r in rows if extra[r["record_id"]][2] is not None),
                default=None,
            ),
            "members": [(r["person_id"], extra[r["record_id"]][3]) for r in rows],
            "address_id": place,
            "residential": residential.get(place),
            "people": {r["person_id"] for r in rows if r["person_id"]},
        }
    return events


def test_non_residential_hotspots_count_events_as_the_store_does(
    built: Path, each_backend: GraphStore
) -> None:
    counts: Counter[tuple[str, str | None]] = Counter()
    for event in _store_events(built).values():
        if (
            event["kind"] == "police"
            and START <= event["at"] < END
            and event["residential"] is False
        ):
            counts[(event["address_id"], event["category"])] += 1
    assert counts  # the generated region has police events at non-residential places
    result = run_named(
        each_backend,
        "non_residential_hotspots",
        {"agency_kind": "police", "from": START, "to": END, "limit": 100_000},
        now=NOW,
    )
    got = {(r["address_id"], r["category"]): r["events"] for r in result.records()}
    assert got == dict(counts)


def test_high_contact_people_count_events_as_the_store_does(
    built: Path, each_backend: GraphStore
) -> None:
    events_of: dict[str, set[str]] = defaultdict(set)
    for name, event in _store_events(built).items():
        if event["kind"] == "health" and START <= event["at"] < END:
            for person in event["people"]:
                events_of[person].add(name)
    counts = {p: len(e) for p, e in events_of.items()}
    # Bounds that people sit exactly on, so that both ends of the range are tested.
    low, high = sorted(set(counts.values()))[-4], sorted(set(counts.values()))[-2]
    assert low in counts.values() and high in counts.values()
    expected = {p: n for p, n in counts.items() if low <= n <= high}
    result = run_named(
        each_backend,
        "high_contact_people",
        {"agency_kind": "health", "from": START, "to": END, "min": low, "max": high},
        now=NOW,
    )
    assert {r["person_id"]: r["events"] for r in result.records()} == expected


def test_the_read_path_cannot_write_even_past_the_clause_check(
    graph: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The clause check is one layer; the engine's read-only transaction is the other. With
    the check switched off, a write sent through `read` must still be refused by the engine
    and leave nothing behind."""
    from mast.graph import ladybug_store  # noqa: PLC0415

    monkeypatch.setattr(ladybug_store, "check_read_only", lambda cypher: cypher)
    write = "CREATE (g:`Agency` {agency_id: 'written-by-a-read'}) RETURN g.agency_id"
    with pytest.raises(GraphError, match="tried to write"):
        graph.read(write, {})
    monkeypatch.undo()
    found = graph.read(
        "MATCH (g:`Agency` {agency_id: 'written-by-a-read'}) RETURN count(g)", {}
    ).rows
    assert found == [[0]]


def test_weekly_activity_counts_events_as_the_store_does(
    built: Path, each_backend: GraphStore
) -> None:
    counts: Counter[tuple[date, str]] = Counter()
    for event in _store_events(built).values():
        if START <= event["at"] < END:
            monday = event["at"].date() - timedelta(days=event["at"].weekday())
            counts[(monday, event["kind"])] += 1
    result = run_named(each_backend, "weekly_activity", {"from": START, "to": END}, now=NOW)
    got = {(_day(r["week"]), r["agency_kind"]): r["events"] for r in result.records()}
    assert got == dict(counts)


def test_address_chronology_is_every_event_at_the_address(
    built: Path, each_backend: GraphStore
) -> None:
    events = _store_events(built)
    at: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events.values():
        if event["address_id"] and START <= event["at"] < END:
            at[event["address_id"]].append(event)
    busiest = sorted(at, key=lambda a: (-len(at[a]), a))[:5]
    for address in busiest:
        expected = sorted((e["at"], e["category"], tuple(sorted(e["people"]))) for e in at[address])
        result = run_named(
            each_backend,
            "address_chronology",
            {"address_id": address, "from": START, "to": END},
            now=NOW,
        )
        got = sorted(
            (r["occurred_at"], r["category"], tuple(sorted(r["people"]))) for r in result.records()
        )
        assert got == expected, address


def test_care_leavers_in_custody_as_the_store_says(built: Path, each_backend: GraphStore) -> None:
    leavers: set[str] = set()
    custody: dict[str, date] = {}
    for event in _store_events(built).values():
        kind = (event["event_kind"] or "").lower()
        for person, role in event["members"]:
            if not person:
                continue
            if kind == "care leaver" or (role or "").lower() == "care leaver":
                leavers.add(person)
            if kind == "custody - sentenced":
                day = event["at"].date()
                custody[person] = min(custody.get(person, day), day)
    expected = {p: d for p, d in custody.items() if p in leavers}
    assert expected  # the generated region has care leavers in custody
    result = run_named(each_backend, "care_leavers_in_custody", {}, now=NOW)
    assert {r["person_id"]: _day(r["first_custody"]) for r in result.records()} == expected


def _day(value: Any) -> date:
    return value if isinstance(value, date) and not isinstance(value, datetime) else value.date()


NPT_CSC = (
    "EPISODE_ID;CLIENT_NO;CLIENT_NAME;BIRTH_DATE;SEX;ADDR_1;ADDR_2;TOWN;POST_CODE;UPRN;"
    "EPISODE_START;EPISODE_TYPE;STATUS;CASE_START;END_DATE;KEYWORKER;KEYWORKER_TEL;"
    "KEYWORKER_EMAIL;TEAM_NAME;CARER_CLIENT_NO;CARER_RELATIONSHIP\n"
)
SWANSEA_CSC = (
    "Contact ID|Person ID|Forename|Surname|DOB|Gender|Address|UPRN|Contact Date|Contact Type|"
    "Role|Related Person ID|Relationship|Case Ref|Case Status|Case Opened|Case Closed|"
    "Allocated Worker|Worker Phone|Worker Email|Team\n"
)


def test_an_address_is_in_the_council_of_its_postcode_not_of_whoever_recorded_it(
    tmp_path: Path,
) -> None:
    """Each council's children's services state their own council on every record, even for
    a child who lives across the boundary: the address takes the council its postcode
    sector's records state, not the one its own few records do."""
    npt = tmp_path / "NPT_ChildrensServices_20261030.csv"
    npt.write_text(
        NPT_CSC
        + "".join(
            f"E{n};{n};Davies, Ffion{n};16 Oct 2010;F;{n} Rhondda Close;Briton Ferry;NEATH;"
            f"SA11 5NE;;20261001;REFERRAL;O;20261001;;Jan Pritchard;01792 516771;"
            f"jan@npt.example;Child Protection;;\n"
            for n in range(1, 4)
        ),
        encoding="utf-8",
    )
    swansea = tmp_path / "Swansea_CSC_Contacts_20261030.csv"
    swansea.write_text(
        SWANSEA_CSC
        + "C9|S9|Bethan|Griffiths|05/07/2012|Female|9 Rhondda Close, Briton Ferry, Neath, "
        "SA11 5NE||06/10/2026|Referral|Child|||C9|Open|06/10/2026||Keith Rhydderch|"
        "01792 791026|keith@swansea.example|Family Support\n",
        encoding="utf-8",
    )
    home = tmp_path / "home"
    engine = ingest(home, [npt, swansea])
    resolve(engine, now=NOW)
    refresh(engine, settings_for(home))
    engine.dispose()
    graph = open_graph(settings_for(home))
    try:
        rows = graph.read(
            "MATCH (a:Address)-[:`IN`]->(la:LocalAuthority) RETURN a.line AS line, la.name AS la",
            {},
        ).records()
    finally:
        graph.close()
    assert len(rows) == 4
    assert {r["la"] for r in rows} == {"Neath Port Talbot"}, rows


WINDOWS = (
    (START, END),  # a part-month at the start (one day of October), whole months to the end
    (datetime(2026, 2, 14, 9, 30), datetime(2026, 9, 3, 17)),  # part-months at both ends
    (datetime(2026, 5, 1), datetime(2026, 8, 1)),  # whole months only
    (datetime(2026, 6, 3), datetime(2026, 6, 20)),  # inside one month: no whole month
)
TALLIED = {
    "high_contact_addresses": (
        {"min": 1, "max": 10**6},
        {"min": 2, "max": 10**6, "categories": ["Assault", "Domestic abuse"]},
        {},
    ),
    "high_contact_people": ({"min": 1, "max": 10**6}, {"agency_kind": "police", "min": 2}, {}),
    "known_to_not": (
        {},
        {"known": ["health"], "not_known": ["police", "childrens_social_care"]},
        {"known": ["police", "police"], "not_known": []},
        {"known": [], "not_known": ["police"]},
    ),
    "non_residential_hotspots": ({"limit": 10**6}, {}),
    "transitions_to_adult_services": ({},),
}


def test_the_tallied_reports_answer_as_walking_every_event_does(
    built: Path, each_backend: GraphStore
) -> None:
    """Each report that reads tallies against its form that walks every event
    (`mast/cypher/scan/`), on a graph whose last build was a delta: row for row, in order,
    for windows of whole months, part-months at either end, and within one month."""
    assert set(TALLIED) == set(load_queries(SCAN_DIR))
    answered = 0
    for name, cases in TALLIED.items():
        for start, end in WINDOWS:
            for given in cases:
                both = [
                    run_named(
                        each_backend,
                        name,
                        {"from": start, "to": end, **given},
                        now=NOW,
                        folder=folder,
                        max_rows=10**7,
                    )
                    for folder in (CYPHER_DIR, SCAN_DIR)
                ]
                assert both[0].columns == both[1].columns
                assert both[0].rows == both[1].rows, (name, start, given)
                answered += bool(both[0].rows)
    assert answered >= 20  # most cases have rows on this data, so the comparison bites


def test_the_headline_figures_from_tallies_are_those_walking_every_event_gives(
    graph: GraphStore,
) -> None:
    """The daily figures step's counts, read from the tallies and walked from events."""
    for start, end in WINDOWS:
        tallied = count_headlines(graph, start=start.date(), end=end.date(), now=NOW)
        walked = count_headlines(graph, start=start.date(), end=end.date(), now=NOW, scan=True)
        assert tallied == walked
    assert sum(tallied.values()) > 0
