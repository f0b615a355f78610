"""What a day's changes did to stored people, worked out piece by piece for `Day`.

A day re-clusters only the components its records touch. Most of what comes out is as it
was: these functions say which profiles and people are settled (unchanged), grown (kept
every record and gained new ones), unmoved (only counted) or moving (read and written
again), so only the last are read and described whole.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from mast.core.db import chunks
from mast.resolver.cluster import Clustering, outweighs_its_person
from mast.resolver.people import describe, store
from mast.resolver.people.store import StoredProfiles
from mast.resolver.profiles import Profile, RecordPerson, read_records
from mast.schema.tables import records as records_table


def sizes_now(
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


def changed_records(
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


def moving(
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


def inverse(group_of: dict[str, str]) -> dict[str, set[str]]:
    """Each group (a person, or a cluster's label) → its profiles."""
    members: dict[str, set[str]] = defaultdict(set)
    for pid, group in group_of.items():
        members[group].add(pid)
    return members


def arrivals(
    changed: list[RecordPerson], profile_of: dict[str, str]
) -> dict[str, list[RecordPerson]]:
    """Each profile the changed records are now in → those records."""
    arrived: dict[str, list[RecordPerson]] = defaultdict(list)
    for r in changed:
        arrived[profile_of[r.record_id]].append(r)
    return arrived


def settled_profiles(
    clustering: Clustering, person_of: dict[str, str], touched: set[str]
) -> set[str]:
    """Profiles whose person came out of re-clustering as it was stored: the same profiles,
    none of them with a record added or taken away. Most of a day's re-clustered component
    is like this; nothing of theirs needs reading or writing again, and since such a person
    keeps all its records, its id is the one `assign_ids` would give it anyway."""
    was = inverse(person_of)
    settled: set[str] = set()
    for members in inverse(clustering.cluster_of).values():
        first = next(iter(members))
        if first in person_of and members.isdisjoint(touched) and was[person_of[first]] == members:
            settled |= members
    return settled


def grown_people(
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
    was = inverse(person_of)
    grown: dict[str, list[RecordPerson]] = {}
    for members in inverse(clustering.cluster_of).values():
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


def members_of(
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
class Unmoved:
    """Stored profiles a day only adds records to, in a way that cannot move how their
    component clusters, and their people, described from what is stored."""

    gained: dict[str, list[RecordPerson]]  # profile → the records it gains
    stored: StoredProfiles  # of those profiles
    details: dict[str, tuple[Any, ...]]  # person → details with the records added

    def outside(self, components: set[str]) -> Unmoved:
        """Those not in `components`, which are re-clustered anyway (and take them along)."""
        kept = {
            pid: rows
            for pid, rows in self.gained.items()
            if self.stored.component_of[pid] not in components
        }
        people = {self.stored.person_of[pid] for pid in kept}
        return Unmoved(kept, self.stored, {p: d for p, d in self.details.items() if p in people})


def find_unmoved(
    conn: sa.Connection,
    stored: StoredProfiles,
    *,
    arrived: dict[str, list[RecordPerson]],
    was_linked: dict[str, tuple[str, str]],
) -> Unmoved:
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
    details = describe.grown_details(conn, added)
    return Unmoved(
        {pid: arrived[pid] for pid in outweighing if stored.person_of[pid] in details},
        stored,
        details,
    )


def write_unmoved(
    conn: sa.Connection, unmoved: Unmoved, profile_of: dict[str, str], now: datetime
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
    describe.write_people(
        conn,
        dict(gained),
        profile_of,
        [],
        replaced=unmoved.details,
        linked={},
        now=now,
        described=unmoved.details,
    )
