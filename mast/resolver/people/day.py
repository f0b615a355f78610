"""Person resolution, full and incremental: records → profiles → scored pairs → people.

A full run profiles every record, scores every candidate pair and clusters everything. An
incremental run profiles only records that arrived (or were ruled on) since the last run,
scores their new profiles against the stored ones, and re-clusters only the part of the
graph they touch — closed under stored links, partner ids and rulings, so the answer is the
one a full run with the same model would give. Person ids carry over either way
(`stable_ids.py`).
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd
import sqlalchemy as sa

from mast.core.db import chunks, fetch_tuples
from mast.resolver import model as splink_model
from mast.resolver import person_store as store
from mast.resolver.bookkeeping import get_mark, id_minter, set_mark
from mast.resolver.cluster import (
    REVIEWER_WEIGHT,
    Clustering,
    Edge,
    WeightedPair,
    cluster,
    outweighs_its_person,
    partner_id_edges,
)
from mast.resolver.person_store import StoredProfiles
from mast.resolver.profiles import (
    DobPlaceholders,
    Profile,
    RecordPerson,
    build_profiles,
    detect_dob_placeholders,
    read_records,
)
from mast.resolver.review import queue_for_review
from mast.resolver.stable_ids import IdEvent, assign_ids
from mast.schema.tables import decisions, person_profiles, persons, record_persons
from mast.schema.tables import records as records_table

log = logging.getLogger(__name__)

LINK_WEIGHT = 1.0
"""Match weight at or above which two profiles are the same person (about 2:1 on)."""
REVIEW_WEIGHT = -1.0
"""Pairs between this and LINK_WEIGHT, left apart, go to the review queue. Measured on the
demo: pairs of people scoring -3 to -1 were the same person once in 190 (134 of 26,100), so
a reviewer would wade through noise; from -1 to 1 it is one in 16."""
_FILE_MARK, _DECISION_MARK = "person_file_id", "person_decision_id"


@dataclass(frozen=True)
class PersonRun:
    mode: str  # full | incremental
    records: int  # records resolved in this run
    profiles: int
    persons: int  # persons in the store afterwards
    new: int
    merges: int
    splits: int
    review: int  # review items added
    trained: bool
    seconds: float


@dataclass(frozen=True)
class _Rulings:
    reviewed: frozenset[str]
    links: list[tuple[str, str]]
    apart: list[tuple[str, str]]


def _rulings(conn: sa.Connection) -> _Rulings:
    rows = store.decided(conn)
    return _Rulings(
        frozenset(r for a, b, _ in rows for r in (a, b)),
        [(a, b) for a, b, d in rows if d == "link"],
        [(a, b) for a, b, d in rows if d == "unlink"],
    )


def _ruling_edges(
    rulings: _Rulings, profile_of: dict[str, str]
) -> tuple[list[Edge], dict[str, set[str]]]:
    links = [
        Edge(REVIEWER_WEIGHT, *sorted((profile_of[a], profile_of[b])))
        for a, b in rulings.links
        if a in profile_of and b in profile_of
    ]
    apart: dict[str, set[str]] = defaultdict(set)
    for a, b in rulings.apart:
        if a in profile_of and b in profile_of:
            apart[profile_of[a]].add(profile_of[b])
            apart[profile_of[b]].add(profile_of[a])
    return links, apart


def dob_placeholders(model: dict[str, Any]) -> DobPlaceholders:
    """The placeholder habits a model was trained with (none for a model older than them)."""
    found = model.get("dob_placeholders")
    return found if isinstance(found, dict) else {}


def _scored_edges(frame: pd.DataFrame) -> list[WeightedPair]:
    linked = frame[frame.weight >= LINK_WEIGHT]
    # Whole columns to lists in C first: a Series iterates value by value (twice as slow).
    columns = (linked.weight.tolist(), linked.profile_a.tolist(), linked.profile_b.tolist())
    return list(zip(*columns, strict=True))


def _assign(
    conn: sa.Connection,
    clustering: Clustering,
    rows: list[RecordPerson],
    profile_of: dict[str, str],
    previous: dict[str, str],
) -> tuple[dict[str, list[RecordPerson]], list[IdEvent]]:
    members: dict[str, list[RecordPerson]] = defaultdict(list)
    for r in rows:
        members[clustering.cluster_of[profile_of[r.record_id]]].append(r)
    groups = [members[k] for k in sorted(members)]
    ids, events = assign_ids(
        [[r.record_id for r in g] for g in groups], previous, id_minter(conn, persons, "P")
    )
    return dict(zip(ids, groups, strict=True)), events


def resolve_people(
    engine: sa.Engine, *, now: datetime, full: bool = False, retrain: bool = False
) -> PersonRun:
    """Resolve people; incremental unless `full`, or nothing was resolved before."""
    started = time.perf_counter()
    with engine.connect() as conn:
        model = None if retrain else store.latest_model(conn)
        resolved_before = conn.execute(sa.select(record_persons.c.record_id).limit(1)).first()
        marked = get_mark(conn, _FILE_MARK) > 0  # cleared by a purge
        # A store from before components were kept has them all to compute.
        uncomputed = conn.execute(
            sa.select(person_profiles.c.profile_id)
            .where(person_profiles.c.component.is_(None))
            .limit(1)
        ).first()
    if full or model is None or resolved_before is None or not marked or uncomputed:
        return _full(engine, model, now=now, started=started)
    return _incremental(engine, model, now=now, started=started)


def _full(
    engine: sa.Engine, model: dict[str, object] | None, *, now: datetime, started: float
) -> PersonRun:
    with engine.connect() as conn:
        rulings = _rulings(conn)
        rows = list(read_records(conn))
        previous = dict(
            fetch_tuples(conn, sa.select(record_persons.c.record_id, record_persons.c.person_id))
        )
        marks = _marks(conn)
    # A trained model keeps the placeholder habits it was trained with, so every later run
    # (full or daily) reads a feed's dates the same way; a new model learns them afresh.
    placeholders = detect_dob_placeholders(rows) if model is None else dob_placeholders(model)
    profiles, profile_of = build_profiles(rows, rulings.reviewed, dob_placeholders=placeholders)
    frame = splink_model.profile_frame(list(profiles.values()))
    log.info("people: read and profiled in %.1f s", time.perf_counter() - started)
    trained = model is None
    # Closed on leaving: Splink's objects hold the connection in a cycle, which alone would
    # keep DuckDB's tables in memory until the garbage collector came round.
    with duckdb.connect() as con:
        if model is None:
            model = {**splink_model.train(con, frame), "dob_placeholders": placeholders}
            log.info("people: trained at %.1f s", time.perf_counter() - started)
        scored = (
            splink_model.predict(con, frame, model, min_weight=REVIEW_WEIGHT)
            if len(frame) > 1
            else pd.DataFrame(columns=store.edge_columns())
        )
    log.info("people: %d pairs scored at %.1f s", len(scored), time.perf_counter() - started)
    links, apart = _ruling_edges(rulings, profile_of)
    sizes = Counter(profile_of.values())
    clustering = cluster(
        profiles,
        [*links, *partner_id_edges(profiles.values()), *_scored_edges(scored)],
        sizes=sizes,
        apart=apart,
    )
    log.info("people: clustered at %.1f s", time.perf_counter() - started)
    with engine.begin() as conn:
        groups, events = _assign(conn, clustering, rows, profile_of, previous)
        log.info("people: ids assigned at %.1f s", time.perf_counter() - started)
        person_of_profile = {
            profile_of[r.record_id]: pid for pid, group in groups.items() for r in group
        }
        if trained:
            store.save_model(conn, model, profiles=len(profiles), now=now)
        component_of = clustering.components()
        store.write_profiles(
            conn,
            profiles.values(),
            {pid: (person_of_profile[pid], sizes[pid], component_of[pid]) for pid in profiles},
            every=True,
        )
        store.write_edges(
            conn, scored[scored.weight >= LINK_WEIGHT], replacing=None, same_model=not trained
        )
        store.write_people(conn, groups, profile_of, events, replaced=None, linked=None, now=now)
        review = queue_for_review(
            conn, scored, clustering, profile_of, now=now, link=LINK_WEIGHT, model=model
        )
        store.clear_pending(conn)
        _set_marks(conn, marks)
    return _report(
        "full",
        minted=len(set(groups) - set(previous.values())),
        rows=rows,
        profiles=profiles,
        events=events,
        review=review,
        trained=trained,
        started=started,
        engine=engine,
    )


def _marks(conn: sa.Connection) -> tuple[int, int]:
    return (
        conn.execute(sa.select(sa.func.max(records_table.c.file_id))).scalar() or 0,
        conn.execute(sa.select(sa.func.max(decisions.c.decision_id))).scalar() or 0,
    )


def _set_marks(conn: sa.Connection, marks: tuple[int, int]) -> None:
    set_mark(conn, _FILE_MARK, marks[0])
    set_mark(conn, _DECISION_MARK, marks[1])


def _report(
    mode: str,
    *,
    minted: int,
    rows: list[RecordPerson],
    profiles: dict[str, Profile],
    events: list[IdEvent],
    review: int,
    trained: bool,
    started: float,
    engine: sa.Engine,
) -> PersonRun:
    with engine.connect() as conn:
        total = conn.execute(
            sa.select(sa.func.count()).where(persons.c.retired_into.is_(None))
        ).scalar_one()
    run = PersonRun(
        mode,
        len(rows),
        len(profiles),
        total,
        minted,
        sum(1 for e in events if e.kind == "merge"),
        sum(1 for e in events if e.kind == "split"),
        review,
        trained,
        time.perf_counter() - started,
    )
    log.info(
        "people resolved mode=%s records=%d profiles=%d persons=%d merges=%d splits=%d review=%d",
        mode,
        run.records,
        run.profiles,
        run.persons,
        run.merges,
        run.splits,
        run.review,
    )
    return run


def _sizes_now(
    conn: sa.Connection,
    written: dict[str, int],
    emptied: set[str],
    was_linked: dict[str, tuple[str, str]],
    changed_profile_of: dict[str, str],
) -> Counter[str]:
    """Each local profile's records now: as stored (counted again where a purge took some),
    less the changed records that left it, plus those that joined it."""
    sizes = Counter(written)
    purged = emptied & written.keys()
    recounted = store.records_per_profile(conn, purged)
    for pid in purged:
        sizes[pid] = recounted.get(pid, 0)
    sizes.subtract(pid for pid, _ in was_linked.values())
    sizes.update(changed_profile_of.values())
    return sizes


def _changed(
    conn: sa.Connection, file_mark: int, newly_ruled: set[str], moved: list[str]
) -> tuple[list[RecordPerson], dict[str, tuple[str, str]]]:
    """The records a day must profile again — loaded since the last run, ruled on, or moved
    to another address — and the stored links of records changed in place that name no
    one any more, which leave their person."""
    changed = list(
        read_records(
            conn,
            sa.or_(
                records_table.c.file_id > file_mark,
                records_table.c.record_id.in_(sorted(newly_ruled)),
            ),
        )
    )
    seen = {r.record_id for r in changed}
    unnamed = {
        rid: link for rid, link in store.links_since(conn, file_mark).items() if rid not in seen
    }
    changed += [
        r
        for part in chunks(sorted(set(moved) - seen))
        for r in read_records(conn, records_table.c.record_id.in_(part))
    ]
    return changed, unnamed


def _queue_day(
    conn: sa.Connection,
    scored: pd.DataFrame,
    clustering: Clustering,
    profile_of: dict[str, str],
    settled: set[str],
    *,
    now: datetime,
    model: dict[str, Any],
) -> int:
    """Queue a day's pairs for review. An item shows a record of each side: those of
    settled people, whose records were not read, are looked up for it."""
    shown = {*scored.profile_a, *scored.profile_b}
    shown.update(p for edge in clustering.refused for p in (edge.a, edge.b))
    settled_links = store.record_links(conn, shown & settled)
    example_of = {rid: pid for rid, pid, _ in settled_links} | profile_of
    return queue_for_review(
        conn, scored, clustering, example_of, now=now, link=LINK_WEIGHT, model=model
    )


def _moving(
    conn: sa.Connection,
    profile_ids: set[str],
    changed: list[RecordPerson],
    was_linked: dict[str, tuple[str, str]],
) -> tuple[list[RecordPerson], dict[str, tuple[str, str]]]:
    """The records of people who may have changed — the stored records of these profiles
    and the changed records — with each one's stored profile and person, where it has them."""
    stored = store.records_of(conn, profile_ids)
    rows = {r.record_id: r for r, _, _ in stored}
    rows.update((r.record_id, r) for r in changed)
    return list(rows.values()), {r.record_id: (p, person) for r, p, person in stored} | was_linked


def _inverse(group_of: dict[str, str]) -> dict[str, set[str]]:
    """Each group (a person, or a cluster's label) → its profiles."""
    members: dict[str, set[str]] = defaultdict(set)
    for pid, group in group_of.items():
        members[group].add(pid)
    return members


def _arrivals(
    changed: list[RecordPerson], profile_of: dict[str, str]
) -> dict[str, list[RecordPerson]]:
    """Each profile the changed records are now in → those records."""
    arrived: dict[str, list[RecordPerson]] = defaultdict(list)
    for r in changed:
        arrived[profile_of[r.record_id]].append(r)
    return arrived


def _settled(clustering: Clustering, person_of: dict[str, str], touched: set[str]) -> set[str]:
    """Profiles whose person came out of re-clustering as it was stored: the same profiles,
    none of them with a record added or taken away. Most of a day's re-clustered component
    is like this; nothing of theirs needs reading or writing again, and since such a person
    keeps all its records, its id is the one `assign_ids` would give it anyway."""
    was = _inverse(person_of)
    settled: set[str] = set()
    for members in _inverse(clustering.cluster_of).values():
        first = next(iter(members))
        if first in person_of and members.isdisjoint(touched) and was[person_of[first]] == members:
            settled |= members
    return settled


def _grown(
    clustering: Clustering,
    person_of: dict[str, str],
    settled: set[str],
    *,
    arrived: dict[str, list[RecordPerson]],
    was_linked: dict[str, tuple[str, str]],
    emptied: set[str],
) -> dict[str, list[RecordPerson]]:
    """People who came out of re-clustering as they were stored, but for changed records
    (`arrived`: profile → those now in it) that belonged to no one before: person → those
    records. Such a person keeps every record it had, so it keeps its id, the one
    `assign_ids` would give it, and may keep its details (`grown_details`); most people a
    day changes are like this. One that lost or changed a record is not."""
    disturbed = {person for _, person in was_linked.values()}
    disturbed |= {person_of[pid] for pid in emptied if pid in person_of}
    was = _inverse(person_of)
    grown: dict[str, list[RecordPerson]] = {}
    for members in _inverse(clustering.cluster_of).values():
        if not members.isdisjoint(settled):  # settled clusters are settled whole
            continue
        people = {person_of[pid] for pid in members if pid in person_of}
        if len(people) != 1:
            continue
        (person,) = people
        joined = [r for pid in members for r in arrived.get(pid, ())]
        if (
            joined
            and person not in disturbed
            and was[person] <= members
            and not any(r.record_id in was_linked for r in joined)
        ):
            grown[person] = joined
    return grown


def _members(
    clustering: Clustering, person_of: dict[str, str], people: Iterable[str]
) -> dict[str, str]:
    """Every profile now clustered with a stored profile of one of `people` → that person."""
    wanted = set(people)
    of_label = {
        clustering.cluster_of[pid]: person for pid, person in person_of.items() if person in wanted
    }
    return {
        pid: of_label[label] for pid, label in clustering.cluster_of.items() if label in of_label
    }


@dataclass(frozen=True)
class _Unmoved:
    """Stored profiles a day only adds records to, in a way that cannot move how their
    component clusters, and their people, described from what is stored."""

    gained: dict[str, list[RecordPerson]]  # profile → the records it gains
    stored: StoredProfiles  # of those profiles
    details: dict[str, tuple[Any, ...]]  # person → details with the records added

    def outside(self, components: set[str]) -> _Unmoved:
        """Those not in `components`, which are re-clustered anyway (and take them along)."""
        kept = {
            pid: rows
            for pid, rows in self.gained.items()
            if self.stored.component_of[pid] not in components
        }
        people = {self.stored.person_of[pid] for pid in kept}
        return _Unmoved(kept, self.stored, {p: d for p, d in self.details.items() if p in people})


def _unmoved(
    conn: sa.Connection,
    stored: StoredProfiles,
    *,
    arrived: dict[str, list[RecordPerson]],
    was_linked: dict[str, tuple[str, str]],
) -> _Unmoved:
    """Stored profiles that gain only records that belonged to no one, and outweigh the
    rest of their person (`outweighs_its_person`), so that re-clustering their component
    for them would give what is stored; each with its person's details, where the new
    records agree with them (`grown_details`). A profile also touched some other way — a
    new pair, a record gone, a purge — is a seed of its component, so `outside` drops it."""
    candidates = {
        pid
        for pid, rows in arrived.items()
        if pid in stored.profiles and not any(r.record_id in was_linked for r in rows)
    }
    theirs = store.read_profiles(conn, people={stored.person_of[pid] for pid in candidates})
    by_person: dict[str, dict[str, Profile]] = defaultdict(dict)
    for pid, p in theirs.profiles.items():
        by_person[theirs.person_of[pid]][pid] = p
    outweighing = {
        pid
        for pid in candidates
        if outweighs_its_person(pid, by_person[stored.person_of[pid]], theirs.records)
    }
    added: dict[str, list[RecordPerson]] = defaultdict(list)
    for pid in outweighing:
        added[stored.person_of[pid]].extend(arrived[pid])
    details = store.grown_details(conn, added)
    return _Unmoved(
        {pid: arrived[pid] for pid in outweighing if stored.person_of[pid] in details},
        stored,
        details,
    )


def _write_unmoved(
    conn: sa.Connection, unmoved: _Unmoved, profile_of: dict[str, str], now: datetime
) -> None:
    """Count the records the unmoved profiles gained, link them, and describe their people."""
    s = unmoved.stored
    was = {pid: (s.person_of[pid], s.records[pid], s.component_of[pid]) for pid in unmoved.gained}
    store.update_profiles(
        conn, was, {pid: (p, n + len(unmoved.gained[pid]), c) for pid, (p, n, c) in was.items()}
    )
    gained: dict[str, list[RecordPerson]] = defaultdict(list)
    for pid, rows in unmoved.gained.items():
        gained[s.person_of[pid]].extend(rows)
    store.write_people(
        conn,
        dict(gained),
        profile_of,
        [],
        replaced=unmoved.details,
        linked={},
        now=now,
        described=unmoved.details,
    )


def _score_new(
    model: dict[str, object], near: dict[str, Profile], fresh: dict[str, Profile]
) -> pd.DataFrame:
    """The pairs of new profiles with stored ones and each other, at or above REVIEW_WEIGHT."""
    if not fresh:
        return pd.DataFrame(columns=store.edge_columns())
    with duckdb.connect() as con:
        return splink_model.predict_new(
            con,
            splink_model.profile_frame(list(near.values())),
            splink_model.profile_frame(list(fresh.values())),
            model,
            min_weight=REVIEW_WEIGHT,
        )


def _incremental(  # noqa: PLR0915 - one day's steps, in the order they must run
    engine: sa.Engine, model: dict[str, object], *, now: datetime, started: float
) -> PersonRun:
    with engine.connect() as conn:
        file_mark = get_mark(conn, _FILE_MARK)
        marks = _marks(conn)
        rulings = _rulings(conn)
        newly_ruled = store.ruled_since(conn, get_mark(conn, _DECISION_MARK))
        emptied = store.pending(conn)
        changed, unnamed = _changed(conn, file_mark, newly_ruled, store.moved_records(conn))
        new_profiles, changed_profile_of = build_profiles(
            changed, rulings.reviewed, dob_placeholders=dob_placeholders(model)
        )
        stored = store.read_profiles(conn, new_profiles)
        fresh = {pid: p for pid, p in new_profiles.items() if pid not in stored.profiles}
        # Only the stored profiles a blocking rule could pair with the new ones are read.
        near = store.read_profiles(conn, store.candidates(conn, fresh.values())).profiles
    scored = _score_new(model, near, fresh)
    with engine.begin() as conn:
        # Where changed records were, so their old people are re-described.
        was_linked = store.links_of_records(conn, changed_profile_of) | unnamed
        before = {pid for pid, _ in was_linked.values()}
        paired = set(scored.profile_a) | set(scored.profile_b)
        arrived = _arrivals(changed, changed_profile_of)
        unmoved = _unmoved(conn, stored, arrived=arrived, was_linked=was_linked)
        seeds = (set(changed_profile_of.values()) - unmoved.gained.keys()) | before | emptied
        # A full run would cluster each connected component of the link graph on its own,
        # so the components the new pairs and changed records touch are all that can move.
        components = store.components_of(
            conn, (seeds | paired) - fresh.keys(), {p.source for p in fresh.values() if p.source}
        )
        unmoved = unmoved.outside(components)
        stored_local, person_of, component_before, written = store.read_profiles(
            conn, components=components
        )
        local = {**stored_local, **fresh}
        # Stored before the day's: no stored edge reaches a new profile, so none is twice.
        inside = [
            *store.edges_within(conn, components, min_weight=LINK_WEIGHT),
            *_scored_edges(scored),
        ]
        store.write_edges(conn, scored[scored.weight >= LINK_WEIGHT], replacing=fresh)
        log.info(
            "people: %d new profiles scored against %d stored (%d pairs); %d re-clustered, "
            "%d only counted",
            len(fresh),
            len(near),
            len(scored),
            len(local),
            len(unmoved.gained),
        )
        local_sizes = _sizes_now(conn, written, emptied, was_linked, changed_profile_of)
        ruled = store.links_of_records(conn, rulings.reviewed)
        links, apart = _ruling_edges(
            rulings, {rid: pid for rid, (pid, _) in ruled.items()} | changed_profile_of
        )
        # A profile left without records (purged, or its records changed) joins nothing.
        living = {pid: p for pid, p in local.items() if local_sizes[pid] > 0}
        clustering = cluster(
            living,
            [*links, *partner_id_edges(living.values()), *inside],
            sizes=local_sizes,
            apart=apart,
        )
        component_of = clustering.components()
        settled = _settled(
            clustering, person_of, set(changed_profile_of.values()) | before | emptied | set(fresh)
        )
        # Only people who changed are read, described and written again: the stored records
        # of their profiles, as linked, and the changed records where they are now; those
        # who only gained records that agree with them are described from what is stored.
        grown = _grown(
            clustering, person_of, settled, arrived=arrived, was_linked=was_linked, emptied=emptied
        )
        described = store.grown_details(conn, grown)
        grown_person = _members(clustering, person_of, described.keys())
        rows, linked = _moving(
            conn,
            set(stored_local) - settled - grown_person.keys(),
            [r for r in changed if changed_profile_of[r.record_id] not in unmoved.gained],
            was_linked,
        )
        profile_of = {rid: pid for rid, (pid, _) in linked.items()} | changed_profile_of
        previous = {rid: person for rid, (_, person) in linked.items()}
        groups, events = _assign(
            conn,
            clustering,
            [r for r in rows if profile_of[r.record_id] not in grown_person],
            profile_of,
            previous,
        )
        # A grown person's group is its new records: the rest stay linked as they are.
        groups.update((person, grown[person]) for person in described)
        person_of_profile = {
            profile_of[r.record_id]: pid for pid, group in groups.items() for r in group
        } | grown_person
        # A profile is written again only if its person, record count or component moved;
        # a settled one keeps its person and records, but its component may be relabelled.
        state = {
            pid: (person_of_profile[pid], local_sizes[pid], component_of[pid])
            for pid in person_of_profile
        }
        state.update({pid: (person_of[pid], written[pid], component_of[pid]) for pid in settled})
        store.write_profiles(
            conn, [p for pid, p in sorted(fresh.items()) if pid in state], state, every=False
        )
        store.update_profiles(
            conn,
            {pid: (person_of[pid], written[pid], component_before[pid]) for pid in stored_local},
            {pid: state[pid] for pid in stored_local if pid in state},
        )
        store.drop_profiles(conn, set(local) - set(living))  # no records left
        store.write_people(
            conn,
            groups,
            profile_of,
            events,
            replaced={person for pid, person in person_of.items() if pid not in settled},
            linked=linked,
            now=now,
            described=described,
        )
        store.unlink(conn, unnamed)
        _write_unmoved(conn, unmoved, changed_profile_of, now)
        review = _queue_day(
            conn,
            scored,
            clustering,
            profile_of,
            settled | grown_person.keys(),
            now=now,
            model=model,
        )
        store.clear_pending(conn)
        _set_marks(conn, marks)
    return _report(
        "incremental",
        minted=len(set(groups) - set(previous.values()) - described.keys()),
        rows=changed,
        profiles=fresh,
        events=events,
        review=review,
        trained=False,
        started=started,
        engine=engine,
    )
