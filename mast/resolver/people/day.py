"""A day: the incremental run, as a `Day` whose steps are its methods."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb
import pandas as pd
import sqlalchemy as sa

from mast.resolver import model as splink_model
from mast.resolver.bookkeeping import DECISION_MARK, FILE_MARK, get_mark, write_retired
from mast.resolver.cluster import Clustering, WeightedPair, cluster, partner_id_edges
from mast.resolver.people import describe, store
from mast.resolver.people.changes import (
    Unmoved,
    arrivals,
    changed_records,
    find_unmoved,
    grown_people,
    members_of,
    moving,
    settled_profiles,
    sizes_now,
    write_unmoved,
)
from mast.resolver.people.common import (
    LINK_WEIGHT,
    REVIEW_WEIGHT,
    PersonRun,
    Rulings,
    assign,
    dob_placeholders,
    log,
    marks,
    report,
    ruling_edges,
    rulings,
    scored_edges,
    set_marks,
)
from mast.resolver.profiles import Profile, RecordPerson, build_profiles, model_event_feeds
from mast.resolver.review import queue_for_review
from mast.resolver.stable_ids import IdEvent
from mast.schema.tables import persons


class Day:
    """One incremental run. It profiles only the records that arrived (or were ruled on, or
    moved address) since the last run, scores their new profiles against the stored ones,
    and re-clusters only the components they touch — closed under stored links, partner ids
    and rulings, so the answer is the one a full run with the same model would give.

    `run` calls the steps in the order they must happen; each leaves on the instance what
    the next reads (the attributes below, in the order they are set).
    """

    # _read: what changed since the last run
    read_to: tuple[int, int]
    rulings: Rulings
    emptied: set[str]  # profiles a purge took records from
    changed: list[RecordPerson]
    unnamed: dict[str, tuple[str, str]]  # links of records that name no one any more
    changed_profile_of: dict[str, str]
    stored: store.StoredProfiles  # the stored profiles among the changed records'
    fresh: dict[str, Profile]  # profiles never stored before
    near: dict[str, Profile]  # stored profiles a blocking rule could pair with fresh ones
    scored: pd.DataFrame
    # _bound: the part of the stored graph that can move
    was_linked: dict[str, tuple[str, str]]  # changed record → its stored profile, person
    before: set[str]  # the changed records' stored profiles
    arrived: dict[str, list[RecordPerson]]
    unmoved: Unmoved
    stored_local: dict[str, Profile]
    person_of: dict[str, str]
    component_before: dict[str, str]
    written: dict[str, int]  # records per stored profile, as stored
    local: dict[str, Profile]
    inside: list[WeightedPair]
    # _recluster
    sizes: dict[str, int]
    living: dict[str, Profile]
    # _regroup: who changed
    settled: set[str]
    described: dict[str, tuple[Any, ...]]
    grown_person: dict[str, str]
    linked: dict[str, tuple[str, str]]
    profile_of: dict[str, str]
    previous: dict[str, str]
    groups: dict[str, list[RecordPerson]]
    events: list[IdEvent]
    state: dict[str, tuple[str, int, str]]

    def __init__(
        self, engine: sa.Engine, model: dict[str, object], *, now: datetime, started: float
    ) -> None:
        self.engine, self.model, self.now, self.started = engine, model, now, started

    def run(self) -> PersonRun:
        with self.engine.connect() as conn:
            self._read(conn)
        self.scored = self._score_new()
        with self.engine.begin() as conn:
            self._bound(conn)
            clustering = self._recluster(conn)
            self._regroup(conn, clustering)
            review = self._write(conn, clustering)
        return report(
            "incremental",
            minted=len(set(self.groups) - set(self.previous.values()) - self.described.keys()),
            rows=self.changed,
            profiles=self.fresh,
            events=self.events,
            review=review,
            trained=False,
            started=self.started,
            engine=self.engine,
        )

    def _read(self, conn: sa.Connection) -> None:
        file_mark = get_mark(conn, FILE_MARK)
        self.read_to = marks(conn)
        self.rulings = rulings(conn)
        newly_ruled = store.ruled_since(conn, get_mark(conn, DECISION_MARK))
        self.emptied = store.pending(conn)
        self.changed, self.unnamed = changed_records(
            conn, file_mark, newly_ruled, store.moved_records(conn)
        )
        new_profiles, self.changed_profile_of = build_profiles(
            self.changed,
            self.rulings.reviewed,
            dob_placeholders=dob_placeholders(self.model),
            event_feeds=model_event_feeds(self.model),
        )
        self.stored = store.read_profiles(conn, new_profiles)
        self.fresh = {pid: p for pid, p in new_profiles.items() if pid not in self.stored.profiles}
        # Only the stored profiles a blocking rule could pair with the new ones are read.
        self.near = store.read_profiles(conn, store.candidates(conn, self.fresh.values())).profiles

    def _score_new(self) -> pd.DataFrame:
        """The pairs of new profiles with stored ones and each other, at or above REVIEW_WEIGHT."""
        if not self.fresh:
            return pd.DataFrame(columns=store.edge_columns())
        with duckdb.connect() as con:
            return splink_model.predict_new(
                con,
                splink_model.profile_frame(list(self.near.values())),
                splink_model.profile_frame(list(self.fresh.values())),
                self.model,
                min_weight=REVIEW_WEIGHT,
            )

    def _bound(self, conn: sa.Connection) -> None:
        """The stored components the day can move, their profiles and edges; the day's new
        edges are written."""
        # Where changed records were, so their old people are re-described.
        self.was_linked = store.links_of_records(conn, self.changed_profile_of) | self.unnamed
        self.before = {pid for pid, _ in self.was_linked.values()}
        paired = set(self.scored.profile_a) | set(self.scored.profile_b)
        self.arrived = arrivals(self.changed, self.changed_profile_of)
        unmoved = find_unmoved(conn, self.stored, arrived=self.arrived, was_linked=self.was_linked)
        seeds = (set(self.changed_profile_of.values()) - unmoved.gained.keys()) | self.before
        seeds |= self.emptied
        # A full run would cluster each connected component of the link graph on its own,
        # so the components the new pairs and changed records touch are all that can move.
        components = store.components_of(
            conn,
            (seeds | paired) - self.fresh.keys(),
            {p.source for p in self.fresh.values() if p.source},
        )
        self.unmoved = unmoved.outside(components)
        self.stored_local, self.person_of, self.component_before, self.written = (
            store.read_profiles(conn, components=components)
        )
        self.local = {**self.stored_local, **self.fresh}
        # Stored before the day's: no stored edge reaches a new profile, so none is twice.
        self.inside = [
            *store.edges_within(conn, components, min_weight=LINK_WEIGHT),
            *scored_edges(self.scored),
        ]
        store.write_edges(
            conn, self.scored[self.scored.weight >= LINK_WEIGHT], replacing=self.fresh
        )
        log.info(
            "people: %d new profiles scored against %d stored (%d pairs); %d re-clustered, "
            "%d only counted",
            len(self.fresh),
            len(self.near),
            len(self.scored),
            len(self.local),
            len(self.unmoved.gained),
        )

    def _recluster(self, conn: sa.Connection) -> Clustering:
        self.sizes = sizes_now(
            conn, self.written, self.emptied, self.was_linked, self.changed_profile_of
        )
        ruled = store.links_of_records(conn, self.rulings.reviewed)
        links, apart = ruling_edges(
            self.rulings, {rid: pid for rid, (pid, _) in ruled.items()} | self.changed_profile_of
        )
        # A profile left without records (purged, or its records changed) joins nothing.
        self.living = {pid: p for pid, p in self.local.items() if self.sizes[pid] > 0}
        return cluster(
            self.living,
            [*links, *partner_id_edges(self.living.values()), *self.inside],
            sizes=self.sizes,
            apart=apart,
        )

    def _regroup(self, conn: sa.Connection, clustering: Clustering) -> None:
        """Who changed, their ids, and each profile's person, count and component now."""
        touched = set(self.changed_profile_of.values()) | self.before | self.emptied
        self.settled = settled_profiles(clustering, self.person_of, touched | set(self.fresh))
        # Only people who changed are read, described and written again: the stored records
        # of their profiles, as linked, and the changed records where they are now; those
        # who only gained records that agree with them are described from what is stored.
        grown = grown_people(
            clustering,
            self.person_of,
            self.settled,
            arrived=self.arrived,
            was_linked=self.was_linked,
            emptied=self.emptied,
        )
        self.described = describe.grown_details(conn, grown)
        self.grown_person = members_of(clustering, self.person_of, self.described.keys())
        rows, self.linked = moving(
            conn,
            set(self.stored_local) - self.settled - self.grown_person.keys(),
            [
                r
                for r in self.changed
                if self.changed_profile_of[r.record_id] not in self.unmoved.gained
            ],
            self.was_linked,
        )
        self.profile_of = {
            rid: pid for rid, (pid, _) in self.linked.items()
        } | self.changed_profile_of
        self.previous = {rid: person for rid, (_, person) in self.linked.items()}
        self.groups, self.events = assign(
            conn,
            clustering,
            [r for r in rows if self.profile_of[r.record_id] not in self.grown_person],
            self.profile_of,
            self.previous,
        )
        # A grown person's group is its new records: the rest stay linked as they are.
        self.groups.update((person, grown[person]) for person in self.described)
        person_of_profile = {
            self.profile_of[r.record_id]: pid for pid, group in self.groups.items() for r in group
        } | self.grown_person
        # A profile is written again only if its person, record count or component moved;
        # a settled one keeps its person and records, but its component may be relabelled.
        component_of = clustering.components()
        self.state = {
            pid: (person_of_profile[pid], self.sizes[pid], component_of[pid])
            for pid in person_of_profile
        }
        self.state.update(
            {
                pid: (self.person_of[pid], self.written[pid], component_of[pid])
                for pid in self.settled
            }
        )

    def _write(self, conn: sa.Connection, clustering: Clustering) -> int:
        """Write what moved, queue the day's pairs for review; the number queued."""
        store.write_profiles(
            conn,
            [p for pid, p in sorted(self.fresh.items()) if pid in self.state],
            self.state,
            every=False,
        )
        store.update_profiles(
            conn,
            {
                pid: (self.person_of[pid], self.written[pid], self.component_before[pid])
                for pid in self.stored_local
            },
            {pid: self.state[pid] for pid in self.stored_local if pid in self.state},
        )
        store.drop_profiles(conn, set(self.local) - set(self.living))  # no records left
        replaced = {p for pid, p in self.person_of.items() if pid not in self.settled}
        describe.write_people(
            conn,
            self.groups,
            self.profile_of,
            self.events,
            replaced=replaced,
            linked=self.linked,
            now=self.now,
            described=self.described,
        )
        write_retired(conn, persons, "person", replaced, now=self.now)
        store.unlink(conn, self.unnamed)
        write_unmoved(conn, self.unmoved, self.changed_profile_of, self.now)
        review = self._queue(conn, clustering, self.settled | self.grown_person.keys())
        store.clear_pending(conn)
        set_marks(conn, self.read_to)
        return review

    def _queue(self, conn: sa.Connection, clustering: Clustering, settled: set[str]) -> int:
        """Queue the day's pairs for review. An item shows a record of each side: those of
        settled people, whose records were not read, are looked up for it."""
        shown = {*self.scored.profile_a, *self.scored.profile_b}
        shown.update(p for edge in clustering.refused for p in (edge.a, edge.b))
        settled_links = store.record_links(conn, shown & settled)
        example_of = {rid: pid for rid, pid, _ in settled_links} | self.profile_of
        return queue_for_review(
            conn,
            self.scored,
            clustering,
            example_of,
            now=self.now,
            link=LINK_WEIGHT,
            model=self.model,
        )
