"""What only PostgreSQL has to show: a region resolved on it equals the same region resolved
on SQLite (people, addresses, graph, named queries); and what SQLite's single writer gave
for free holds with writers in several processes: one audit chain, one daily run per store,
files of one feed loaded in turn, the graph projected from one snapshot, and a replay's
fingerprint equal to a clean run's although sequences skip rolled-back ids."""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from mast.audit.chain import AuditLog, Entry
from mast.core.db import open_store, store_lock
from mast.core.errors import RunInProgress
from mast.core.settings import BUILTIN_FEEDS, Settings
from mast.daily.fingerprint import state_fingerprint
from mast.daily.run import DAILY_LOCK, DailyJob
from mast.demo.generate import generate
from mast.graph import open_graph, projection
from mast.graph.build import refresh
from mast.graph.queries import run_named
from mast.loaders import ingest as ingest_module
from mast.loaders.feeds import load_feeds
from mast.resolver.service import resolve
from mast.schema.tables import files, persons, record_addresses, record_persons, runs
from tests.support.demo_data import extracts, ingest, settings_for
from tests.support.harness import GOOD, HEADER, Harness, write
from tests.support.pg_server import Cluster

pytestmark = [pytest.mark.postgres, pytest.mark.integration]
NOW = datetime(2026, 11, 2)
NAMED = [
    "high_contact_addresses",
    "high_contact_people",
    "known_to_not",
    "moved_across_local_authorities",
    "non_residential_hotspots",
    "peaks_and_troughs",
    "transitions_to_adult_services",
    "weekly_activity",
]
ABOUT_ONE_PERSON = ["person_chronology", "household_history", "network", "open_cases"]


def _database(cluster: Cluster, request: pytest.FixtureRequest, name: str) -> str:
    url = cluster.create_database(name)
    request.addfinalizer(lambda: cluster.drop_database(name))
    return url


def _groups(engine: sa.Engine, table: sa.Table, key: str) -> dict[str, frozenset[str]]:
    members: dict[str, set[str]] = defaultdict(set)
    with engine.connect() as conn:
        for rid, group in conn.execute(sa.select(table.c.record_id, table.c[key])):
            members[str(group)].add(str(rid))
    return {group: frozenset(rids) for group, rids in members.items()}


def _busiest_person(engine: sa.Engine) -> str:
    """The person with the most records (the first such id)."""
    n = sa.func.count().label("n")
    with engine.connect() as conn:
        return str(
            conn.execute(
                sa.select(record_persons.c.person_id, n)
                .group_by(record_persons.c.person_id)
                .order_by(n.desc(), record_persons.c.person_id)
                .limit(1)
            ).first()[0]  # type: ignore[index]
        )


def _rows(rows: list[list[Any]]) -> list[tuple[Any, ...]]:
    return sorted((tuple(str(v) for v in row) for row in rows), key=repr)


def test_a_region_on_postgresql_equals_the_same_region_on_sqlite(
    pg_cluster: Cluster, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    world = tmp_path / "world"
    generate(600, 23, world, date(2026, 10, 31))
    found = {}
    for store, url in (
        ("sqlite", None),
        ("postgresql", _database(pg_cluster, request, "equal_region")),
    ):
        home = tmp_path / store
        settings = settings_for(home, url)
        engine = ingest(home, extracts(world), url)
        assert engine.dialect.name == store
        resolve(engine, now=NOW)
        build = refresh(engine, settings, full=True)
        busiest = _busiest_person(engine)
        graph = open_graph(settings)
        try:
            answers = {
                name: _rows(run_named(graph, name, {}, now=NOW, max_rows=100_000).rows)
                for name in NAMED
            }
            for name in ABOUT_ONE_PERSON:
                given = {"person_id": busiest}
                answers[name] = _rows(run_named(graph, name, given, now=NOW).rows)
        finally:
            graph.close()
        found[store] = {
            "people": _groups(engine, record_persons, "person_id"),
            "addresses": _groups(engine, record_addresses, "address_id"),
            "graph": build.counts,
            "answers": answers,
        }
        engine.dispose()
    sqlite, postgresql = found["sqlite"], found["postgresql"]
    assert len(sqlite["people"]) > 100 and len(sqlite["addresses"]) > 50
    # The same records make each person and each address, under the same ids.
    assert postgresql["people"] == sqlite["people"]
    assert postgresql["addresses"] == sqlite["addresses"]
    assert postgresql["graph"] == sqlite["graph"]
    assert any(sqlite["answers"][name] for name in NAMED)
    for name in [*NAMED, *ABOUT_ONE_PERSON]:
        assert postgresql["answers"][name] == sqlite["answers"][name], name


def _append_entries(url: str, home: str, count: int, who: str) -> None:
    settings = Settings(home=Path(home), database_url=url)
    log = AuditLog.open(open_store(settings), settings)
    for i in range(count):
        log.append(Entry(who, "admin", "-", "testing", "users-add", {"i": i}, [f"P{i:08d}"]))
    log.engine.dispose()


def test_audit_writers_in_separate_processes_keep_one_chain(
    pg_cluster: Cluster, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The API and the daily run may be separate processes (on separate hosts) writing one
    PostgreSQL store: each append locks the chain's head row, so entries never fork it."""
    url = _database(pg_cluster, request, "audit_writers")
    home = tmp_path / "home"
    settings = Settings(home=home, database_url=url)
    AuditLog.open(open_store(settings), settings).engine.dispose()  # the key, made once
    spawn = multiprocessing.get_context("spawn")
    writers = [
        spawn.Process(target=_append_entries, args=(url, str(home), 25, f"cli:w{n}"))
        for n in range(3)
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=240)
        assert writer.exitcode == 0
    log = AuditLog.open(open_store(settings), settings)
    verdict = log.verify()
    assert verdict.ok, verdict.problems[:3]
    assert verdict.entries == 75
    log.engine.dispose()


def test_a_daily_run_from_another_home_on_the_same_store_does_not_start(
    pg_cluster: Cluster, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Two hosts, two MAST_HOMEs (so two lock files), one PostgreSQL store: the store's
    advisory lock lets one run at a time, and the refused run marks nothing interrupted."""
    url = _database(pg_cluster, request, "daily_lock")
    settings = Settings(home=tmp_path / "other-host", database_url=url)
    engine = open_store(settings)
    with engine.begin() as conn:  # the first host's run, under way
        conn.execute(
            runs.insert().values(trigger="schedule", as_of=NOW, started_at=NOW, status="running")
        )
    with store_lock(engine, DAILY_LOCK) as held:
        assert held
        with pytest.raises(RunInProgress, match="another host"):
            DailyJob(settings, engine).run(now=NOW)
        with store_lock(engine, DAILY_LOCK) as again:
            assert not again  # not re-entrant across sessions either
    with engine.connect() as conn:
        assert conn.execute(sa.select(runs.c.status)).scalar_one() == "running"
    engine.dispose()


def test_the_projection_reads_one_snapshot_while_another_process_writes(
    pg_cluster: Cluster,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A person committed by another writer between the projection's first read and the
    rest is in none of them: the graph is a projection of one state of the store."""
    url = _database(pg_cluster, request, "snapshot")
    engine = open_store(Settings(home=tmp_path / "home", database_url=url))
    writer = open_store(Settings(home=tmp_path / "home", database_url=url))
    read = projection._frame
    calls = []

    def frame_then_commit(conn: sa.Connection, query: Any) -> Any:
        table = read(conn, query)
        if not calls:  # after the first read: another process commits a person
            with writer.begin() as other:
                other.execute(
                    persons.insert().values(person_id="P00000001", records=0, updated_at=NOW)
                )
        calls.append(query)
        return table

    monkeypatch.setattr(projection, "_frame", frame_then_commit)
    made = projection.project(engine, load_feeds(BUILTIN_FEEDS))
    assert len(calls) > 2
    assert made.nodes["Person"].num_rows == 0
    monkeypatch.setattr(projection, "_frame", read)
    assert projection.project(engine, load_feeds(BUILTIN_FEEDS)).nodes["Person"].num_rows == 1
    engine.dispose()
    writer.dispose()


def test_two_files_of_one_feed_written_at_once_both_load(
    pg_cluster: Cluster,
    request: pytest.FixtureRequest,
    make_harness: Callable[..., Harness],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two processes (here: threads with engines of their own) loading two files that share
    record ids: on SQLite the single writer makes them take turns; on PostgreSQL the feed's
    lock must, or the second meets the first's uncommitted rows and fails."""
    monkeypatch.setenv("MAST_DATABASE_URL", _database(pg_cluster, request, "two_files"))
    harnesses = [make_harness(), make_harness()]
    rows = [f'{i},01/03/2026,"SMITH, Ann{i}",02/04/1990,,,,F\n' for i in range(3000)]
    paths = [
        write(tmp_path / "test_1.csv", HEADER + "".join(rows)),
        write(tmp_path / "test_2.csv", HEADER + "".join(r.replace("Ann", "Anne") for r in rows)),
    ]
    # Each waits (up to 2 s) for the other to be writing too, so without the lock the two
    # transactions always overlap; with it the second cannot start, and the first goes on.
    both = threading.Barrier(2)

    class Meeting(ingest_module._FileLoad):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            with contextlib.suppress(threading.BrokenBarrierError):
                both.wait(timeout=2)

    monkeypatch.setattr(ingest_module, "_FileLoad", Meeting)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda h, p: h.ingest(p), harnesses, paths))
    assert [r.status for r in results] == ["loaded", "loaded"], [r.reason for r in results]
    assert sorted((r.stored, r.updated) for r in results) == [(0, 3000), (3000, 0)]
    assert harnesses[0].count() == 3000
    for harness in harnesses:
        harness.engine.dispose()


def test_a_replay_after_a_rolled_back_file_has_the_clean_runs_fingerprint(
    pg_cluster: Cluster,
    request: pytest.FixtureRequest,
    make_harness: Callable[..., Harness],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A sequence number a rolled-back file used is gone on PostgreSQL, so the replay's file
    and records carry later ids than a clean load's: the same data, the same fingerprint."""
    path = write(tmp_path / "test_1.csv", HEADER + GOOD)
    found = []
    for name, burn in (("clean", False), ("replayed", True)):
        monkeypatch.setenv("MAST_DATABASE_URL", _database(pg_cluster, request, name))
        harness = make_harness()
        if burn:  # a load killed before its commit
            with harness.engine.connect() as conn:
                conn.execute(
                    files.insert().values(
                        feed="test", name="x", size=0, sha256="0", status="loaded", received_at=NOW
                    )
                )
                conn.rollback()
        assert harness.ingest(path).status == "loaded"
        with harness.engine.connect() as conn:
            found.append(conn.execute(sa.select(files.c.file_id)).scalar_one())
        found.append(state_fingerprint(harness.engine))
        harness.engine.dispose()
    clean_id, clean, replayed_id, replayed = found
    assert (clean_id, replayed_id) == (1, 2)
    assert replayed == clean
