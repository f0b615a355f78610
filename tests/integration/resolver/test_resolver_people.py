"""Person resolution end to end: generated partner files, real SQLite, DuckDB and Splink.

The demo generator's ground truth says which records are one person; these tests hold the
resolver to it, to its traps, and to its promises: incremental = full, stable ids, and
reviewers' rulings that survive every later run.
"""

from __future__ import annotations

import csv
import random
import shutil
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa

from mast.core.db import open_store
from mast.demo.generate import generate
from mast.loaders.purge import purge
from mast.resolver import forget_records
from mast.resolver import model as splink_model
from mast.resolver.explain import explain
from mast.resolver.export import write_links
from mast.resolver.people import store as person_store
from mast.resolver.review import open_items
from mast.resolver.rulings import decide, report_link, unlink_reported
from mast.resolver.service import resolve
from mast.schema.tables import (
    address_key_blocks,
    address_key_counts,
    address_key_links,
    address_key_uprns,
    address_keys,
    address_tallies,
    addresses,
    person_profiles,
    persons,
    record_addresses,
    record_persons,
    records,
)
from mast.text.names import given_groups, name_key
from tests.support.demo_data import extracts, halves, ingest, settings_for

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 2)
END = date(2026, 10, 31)


def pairwise(pred: list[str], true: list[str]) -> tuple[float, float]:
    def pairs(labels: list[object]) -> int:
        counts: dict[object, int] = defaultdict(int)
        for label in labels:
            counts[label] += 1
        return sum(n * (n - 1) // 2 for n in counts.values())

    both = pairs(list(zip(pred, true, strict=True)))
    return both / max(1, pairs(list(pred))), both / max(1, pairs(list(true)))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate(1500, 7, out, END)
    return out


def _truth(demo: Path) -> dict[str, dict[str, str]]:
    with (demo / "truth" / "records.csv").open(encoding="utf-8") as fh:
        return {f"{r['feed']}:{r['source_record_id']}": r for r in csv.DictReader(fh)}


def _links(engine: sa.Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(
            conn.execute(sa.select(record_persons.c.record_id, record_persons.c.person_id)).all()
        )


@pytest.fixture(scope="module")
def resolved(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with the whole demo ingested and resolved once (trained model included)."""
    home = tmp_path_factory.mktemp("resolved")
    resolve(ingest(home, extracts(demo)), now=NOW)
    return home


def _copy(home: Path, tmp_path: Path) -> sa.Engine:
    for part in home.glob("state.sqlite*"):  # the database and its write-ahead log
        shutil.copy(part, tmp_path / part.name)
    return open_store(settings_for(tmp_path))


def test_people_match_the_truth_and_its_traps(demo: Path, resolved: Path) -> None:
    engine = open_store(settings_for(resolved))
    links, truth = _links(engine), _truth(demo)
    ids = sorted(links)
    precision, recall = pairwise([links[i] for i in ids], [truth[i]["person_id"] for i in ids])
    assert precision >= 0.99 and recall >= 0.95, (precision, recall)
    people = {}
    with (demo / "truth" / "people.csv").open(encoding="utf-8") as fh:
        people = {r["person_id"]: r for r in csv.DictReader(fh)}
    resolved_as: dict[str, set[str]] = defaultdict(set)
    for rid in ids:
        resolved_as[truth[rid]["person_id"]].add(links[rid])
    # Twins (one date of birth, family and home) and fathers and sons with one name are
    # different people: almost never one person, however alike their records look.
    for flags in ({"twin"}, {"junior", "senior"}):
        trapped = [
            p
            for p in people.values()
            if flags & set(p["flags"].split()) and p["person_id"] in resolved_as
        ]
        by_household: dict[str, list[str]] = defaultdict(list)
        for p in trapped:
            by_household[p["household"]].append(p["person_id"])
        pairs = [group for group in by_household.values() if len(group) == 2]
        merged = [g for g in pairs if resolved_as[g[0]] & resolved_as[g[1]]]
        assert pairs and len(merged) <= 0.05 * len(pairs), (flags, len(merged), len(pairs))
    # Two valid NHS numbers never end up in one person.
    with engine.connect() as conn:
        nhs = conn.execute(
            sa.select(record_persons.c.person_id, sa.func.count(sa.distinct(records.c.nhs_number)))
            .join(records, records.c.record_id == record_persons.c.record_id)
            .group_by(record_persons.c.person_id)
            .having(sa.func.count(sa.distinct(records.c.nhs_number)) > 1)
        ).all()
    assert nhs == []


def test_incremental_gives_the_clusters_and_ids_of_a_full_run(demo: Path, tmp_path: Path) -> None:
    day_one, day_two = halves(demo, tmp_path / "files")
    engine = ingest(tmp_path / "home", day_one)
    first = resolve(engine, now=NOW).people
    assert first.mode == "full" and first.trained
    before = _links(engine)
    ingest(tmp_path / "home", day_two)
    run = resolve(engine, now=NOW)
    second = run.people
    assert second.mode == "incremental" and 0 < second.records < first.records * 1.5
    assert run.addresses.mode == "incremental"
    incremental, places, people = _links(engine), _places(engine), _people(engine)
    assert _profiles_miscounted(engine) == []
    assert set(before) < set(incremental)
    kept = sum(1 for rid, pid in before.items() if incremental[rid] == pid)
    assert kept >= 0.97 * len(before)  # ids are stable; the rest were merged or split
    rerun = resolve(engine, now=NOW, full=True)
    assert rerun.people.mode == "full" and not rerun.people.trained
    assert rerun.addresses.mode == "full"
    assert _links(engine) == incremental
    assert _places(engine) == places
    assert _people(engine) == people


def test_after_a_purge_an_incremental_run_gives_what_a_full_run_would(
    resolved: Path, tmp_path: Path
) -> None:
    engine = _copy(resolved, tmp_path)
    with engine.connect() as conn:
        first, last = conn.execute(
            sa.select(sa.func.min(records.c.occurred_at), sa.func.max(records.c.occurred_at))
        ).one()
    # The oldest quarter of the year falls out of the window.
    now = last
    gone = purge(
        engine, now=now, retention_days=(last - first).days * 3 // 4, forget=forget_records
    )
    assert gone.records_removed > 500
    run = resolve(engine, now=now)
    assert (run.addresses.mode, run.people.mode) == ("incremental", "incremental")
    incremental, people = _links(engine), _people(engine)
    with engine.connect() as conn:
        kept = set(conn.execute(sa.select(records.c.record_id)).scalars())
    assert set(incremental) <= kept  # (some records, such as fires in empty buildings, name no one)
    assert _profiles_miscounted(engine) == []
    rerun = resolve(engine, now=now, full=True)
    assert rerun.people.mode == "full"
    assert _links(engine) == incremental
    assert _people(engine) == people
    assert rerun.people.persons == run.people.persons


def test_a_days_candidates_hold_every_profile_a_blocking_rule_pairs_with_a_new_one(
    resolved: Path, tmp_path: Path
) -> None:
    """A daily run scores new profiles only against the stored ones `candidates` finds by
    index: every pair Splink's blocking rules would make with a stored profile must be
    among them, or a day would miss a link a full run makes."""
    engine = _copy(resolved, tmp_path)
    with engine.connect() as conn:
        stored = person_store.read_profiles(conn).profiles
        model = person_store.latest_model(conn)
        assert model is not None
        new = random.Random(3).sample(sorted(stored.values()), 500)
        found = person_store.candidates(conn, new)
    with duckdb.connect() as con:
        pairs = splink_model.predict_new(
            con,
            splink_model.profile_frame(list(stored.values())),
            splink_model.profile_frame(new),
            model,
            min_weight=-1e9,  # every pair the blocking rules make
        )
    arrived = {p.profile_id for p in new}
    needed = {
        b if a in arrived else a
        for a, b in zip(pairs.profile_a, pairs.profile_b, strict=True)
        if (a in arrived) != (b in arrived)
    }
    assert len(needed) > 1000
    assert needed <= found


def _profiles_miscounted(engine: sa.Engine) -> list[str]:
    """Profiles whose stored record count is not their records': a daily run re-clusters
    with the stored counts, so they must stay true."""
    linked = (
        sa.select(record_persons.c.profile_id, sa.func.count().label("n"))
        .group_by(record_persons.c.profile_id)
        .subquery()
    )
    p = person_profiles.c
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(p.profile_id)
                .outerjoin(linked, linked.c.profile_id == p.profile_id)
                .where(sa.func.coalesce(linked.c.n, 0) != p.records)
            ).scalars()
        )


def _people(engine: sa.Engine) -> set[tuple[object, ...]]:
    """Every person as described (all but `updated_at`): a daily run describes many from
    what was stored for them rather than from their records, so must agree with a full run."""
    with engine.connect() as conn:
        return {tuple(r)[:-1] for r in conn.execute(sa.select(persons))}


def _places(engine: sa.Engine) -> tuple[object, ...]:
    """Each record's address, every address as described (ids, fields, record counts), and
    what a daily run reads in place of records: the key table, its UPRNs and kept counts."""
    with engine.connect() as conn:
        links = dict(
            conn.execute(
                sa.select(record_addresses.c.record_id, record_addresses.c.address_id)
            ).all()
        )
        rows = {
            tuple(r)[:-1]  # all but updated_at
            for r in conn.execute(sa.select(addresses).order_by(addresses.c.address_id))
        }
        kept = [
            set(map(tuple, conn.execute(sa.select(table))))
            for table in (
                address_keys,
                address_key_uprns,
                address_key_blocks,
                address_key_links,
                address_tallies,
                address_key_counts,
            )
        ]
    assert all(kept), "every kind of kept row is tested"
    return links, rows, *kept


def test_ids_are_stable_across_full_runs(resolved: Path, tmp_path: Path) -> None:
    engine = _copy(resolved, tmp_path)
    before = _links(engine)
    run = resolve(engine, now=NOW, full=True).people
    assert _links(engine) == before and run.new == 0 and run.merges == run.splits == 0


def test_reviewer_rulings_win_and_survive_later_runs(resolved: Path, tmp_path: Path) -> None:
    engine = _copy(resolved, tmp_path)
    links = _links(engine)
    members: dict[str, list[str]] = defaultdict(list)
    for rid, pid in sorted(links.items()):
        members[pid].append(rid)
    big = next(rids for rids in members.values() if len(rids) >= 4)
    loner, a, b = big[0], sorted(members)[0], sorted(members)[1]
    record_a, record_b = members[a][0], members[b][0]
    item = report_link(engine, loner, now=NOW)
    unlink_reported(
        engine,
        item,
        [loner],
        pair=(loner, big[1]),
        by="reviewer1",
        reason="different person",
        now=NOW,
    )
    decide(
        engine,
        record_a=record_a,
        record_b=record_b,
        decision="link",
        by="reviewer1",
        reason="same person, confirmed by phone",
        now=NOW,
    )
    for full in (False, True, False):
        resolve(engine, now=NOW, full=full)
        after = _links(engine)
        assert all(after[loner] != after[r] for r in big[1:]), full
        assert after[record_a] == after[record_b], full
    why = explain(engine, record_b)
    assert why is not None and "reviewer1" in why.sentence


def test_explanations_and_export(resolved: Path, tmp_path: Path) -> None:
    engine = _copy(resolved, tmp_path)
    with engine.connect() as conn:
        multi = conn.execute(
            sa.select(persons.c.person_id).where(persons.c.records >= 3).limit(1)
        ).scalar_one()
        rids = (
            conn.execute(
                sa.select(record_persons.c.record_id).where(record_persons.c.person_id == multi)
            )
            .scalars()
            .all()
        )
        total = conn.execute(sa.select(sa.func.count()).select_from(records)).scalar_one()
    sentences = [e.sentence for e in (explain(engine, r) for r in rids) if e is not None]
    assert len(sentences) == len(rids) and all(sentences)
    assert explain(engine, "no-such:record") is None
    out = tmp_path / "links.csv"
    assert write_links(engine, out) == total
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == total and {r["person_id"] for r in rows if r["record_id"] in rids} == {
        multi
    }


def test_records_carrying_each_trap_join_their_person(demo: Path, resolved: Path) -> None:
    """A maiden name, a nickname or Welsh form, a day/month swap: each still finds its person."""
    engine = open_store(settings_for(resolved))
    links, truth = _links(engine), _truth(demo)
    with (demo / "truth" / "people.csv").open(encoding="utf-8") as fh:
        people = {r["person_id"]: r for r in csv.DictReader(fh)}
    with engine.connect() as conn:
        written = {
            r.record_id: r
            for r in conn.execute(
                sa.select(
                    records.c.record_id, records.c.given_name, records.c.family_name, records.c.dob
                )
            )
        }
    main: dict[str, str] = {}  # true person → the resolved person most of their records are in
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for rid, pid in links.items():
        votes[truth[rid]["person_id"]][pid] += 1
    for true_id, counted in votes.items():
        main[true_id] = counted.most_common(1)[0][0]

    def kind(rid: str) -> str | None:
        r, p = written[rid], people[truth[rid]["person_id"]]
        married = p["birth_family_name"] != p["family_name"]
        if married and name_key(r.family_name) == name_key(p["birth_family_name"]):
            return "maiden name"
        given, true_given = name_key(r.given_name), name_key(p["given_name"])
        if (
            given
            and given != true_given
            and set(given_groups(given)) & set(given_groups(true_given))
        ):
            return "nickname or Welsh form"
        true_dob = date.fromisoformat(p["dob"]) if p["dob"] else None
        if (
            r.dob
            and true_dob
            and r.dob != true_dob
            and (r.dob.month, r.dob.day)
            == (
                true_dob.day,
                true_dob.month,
            )
        ):
            return "day and month swapped"
        return None

    found: dict[str, list[bool]] = defaultdict(list)
    for rid, pid in links.items():
        trap = kind(rid)
        if trap:
            found[trap].append(pid == main[truth[rid]["person_id"]])
    assert set(found) == {"maiden name", "nickname or Welsh form", "day and month swapped"}
    for trap, joined in found.items():
        assert sum(joined) >= 0.8 * len(joined), (trap, sum(joined), len(joined))


def test_the_review_queue_is_small_ranked_and_says_why(resolved: Path) -> None:
    """At most 1% of persons; most at stake first; each item in words; no sure pair."""
    engine = open_store(settings_for(resolved))
    with engine.connect() as conn:
        living = conn.execute(
            sa.select(sa.func.count()).select_from(persons).where(persons.c.retired_into.is_(None))
        ).scalar()
        items = open_items(conn, limit=10_000)
        linked = dict(
            conn.execute(sa.select(record_persons.c.record_id, record_persons.c.person_id)).all()
        )
        nhs_of = dict(conn.execute(sa.select(persons.c.person_id, persons.c.nhs_number)).all())
    assert items, "the demo leaves some pairs for a person to decide"
    assert len(items) <= max(1, int(0.01 * int(living or 0))), (len(items), living)
    priorities = [i.priority for i in items]
    assert priorities == sorted(priorities, reverse=True)  # type: ignore[type-var]
    for item in items:
        assert item.evidence and "would move" in item.evidence, item
        assert "for: " in item.evidence or "kept apart" in item.evidence, item
        a, b = linked[item.record_a], linked[item.record_b]
        assert a != b  # a pair the model linked is never asked about
        assert not (nhs_of[a] and nhs_of[b] and nhs_of[a] != nhs_of[b])
