"""A person's details from their records, and writing people and their links."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from mast.core.db import chunks, insert_tuples, sync_rows
from mast.resolver import change_feed
from mast.resolver.bookkeeping import write_id_events
from mast.resolver.commonest import columns, commonest
from mast.resolver.people.store import PERSON_DETAILS, unlink
from mast.resolver.profiles import RecordPerson
from mast.resolver.stable_ids import IdEvent
from mast.schema.tables import (
    persons,
    record_persons,
)


def describe_person(rows: Sequence[RecordPerson]) -> tuple[Any, ...]:
    """A person's headline details (`PERSON_DETAILS`): the values most of their records
    agree on."""
    if len(rows) == 1:  # two people in five in the demo: their one record says it all
        (r,) = rows
        return (
            r.given_name or None,
            r.family_name or None,
            r.other_names or None,
            r.dob,
            r.sex or None,
            r.nhs_number or None,
            1,
            r.occurred_at,
            r.occurred_at,
        )
    of = columns(rows, RecordPerson._fields)
    given, family = commonest(of["given_name"]), commonest(of["family_name"])
    others = sorted(
        {f for f in of["family_name"] if f and f != family}
        | {o for o in of["other_names"] if o}
        | {g for g in of["given_name"] if g and g != given}
    )
    return (
        given,
        family,
        "; ".join(others) or None,
        commonest(of["dob"]),
        commonest(of["sex"]),
        commonest(of["nhs_number"]),
        len(rows),
        min(of["occurred_at"]),
        max(of["occurred_at"]),
    )


def grown_details(
    conn: sa.Connection, added: Mapping[str, Sequence[RecordPerson]]
) -> dict[str, tuple[Any, ...]]:
    """The details (`PERSON_DETAILS`) of stored persons who keep every record they had and
    gain `added` (person → records), worked out from what is stored for them, where each
    added record agrees with it: a name, date of birth, sex and NHS number that are the
    person's or empty, and no other names. One more vote for the commonest value keeps it
    commonest, and such a record adds no other name, so these are the details
    `describe_person` would give from all the records, which are not read. Persons an
    added record disagrees with are left out."""
    found: dict[str, tuple[Any, ...]] = {}
    c = persons.c
    for part in chunks(sorted(added)):
        query = sa.select(c.person_id, *(c[name] for name in PERSON_DETAILS))
        for person, *details in conn.execute(query.where(c.person_id.in_(part))):
            given, family, others, dob, sex, nhs, n, first, last = details
            rows = added[person]
            if all(
                r.given_name in (None, "", given)
                and r.family_name in (None, "", family)
                and not r.other_names
                and r.dob in (None, dob)
                and r.sex in (None, "", sex)
                and r.nhs_number in (None, "", nhs)
                for r in rows
            ):
                seen = [r.occurred_at for r in rows]
                found[person] = (
                    given,
                    family,
                    others,
                    dob,
                    sex,
                    nhs,
                    n + len(rows),
                    min([first, *seen]),
                    max([last, *seen]),
                )
    return found


def write_people(
    conn: sa.Connection,
    groups: dict[str, list[RecordPerson]],
    profile_of: dict[str, str],
    events: list[IdEvent],
    *,
    replaced: Iterable[str] | None,
    linked: Mapping[str, tuple[str, str]] | None,
    now: datetime,
    described: Mapping[str, tuple[Any, ...]] | None = None,
    was_person: Mapping[str, str] | None = None,
) -> None:
    """Replace the persons in `replaced` by `groups`, and of their records' links those
    that differ from `linked` (record → stored profile and person); with `replaced=None`
    (a full run) `groups` are every person there is, and only those whose details or
    records changed are written (the rest keep their `updated_at`); `was_person` is then
    each record's person before the run. A person in `described` has those details, and
    of its records only those in its group, new to it, are linked (`grown_details`).
    What changed is added to the change feed, in the same transaction."""
    names = ["person_id", *PERSON_DETAILS, "retired_into", "updated_at"]
    given = described or {}
    person_rows = [
        (pid, *(given[pid] if pid in given else describe_person(rows)), None, now)
        for pid, rows in groups.items()
    ]
    links = [
        (r.record_id, profile_of[r.record_id], pid) for pid, rows in groups.items() for r in rows
    ]
    link_names = ["record_id", "profile_id", "person_id"]
    changes = _changes(
        conn,
        groups=groups,
        links=links,
        events=events,
        replaced=replaced,
        linked=linked,
        was_person=was_person,
    )
    if replaced is None:
        sync_rows(
            conn,
            persons,
            names,
            person_rows,
            where=persons.c.retired_into.is_(None),
            compare=[n for n in names if n != "updated_at"],
        )
        sync_rows(conn, record_persons, link_names, links)
    else:
        for part in chunks(sorted(set(replaced))):
            conn.execute(persons.delete().where(persons.c.person_id.in_(part)))
        # Most re-described people keep their id and records: their links stand as stored.
        was = linked or {}
        moved = [link for link in links if was.get(link[0]) != link[1:]]
        unlink(conn, [link[0] for link in moved if link[0] in was])
        insert_tuples(conn, persons, names, person_rows)
        insert_tuples(conn, record_persons, link_names, moved)
    write_id_events(conn, persons, "person", events, now=now)
    change_feed.append(conn, changes, at=now)


def _changes(
    conn: sa.Connection,
    *,
    groups: Mapping[str, object],
    links: list[tuple[str, str, str]],
    events: list[IdEvent],
    replaced: Iterable[str] | None,
    linked: Mapping[str, tuple[str, str]] | None,
    was_person: Mapping[str, str] | None,
) -> list[change_feed.Change]:
    """The change feed's entries for a `write_people`, read before it writes."""
    active = persons.c.retired_into.is_(None)
    if replaced is None:
        before = set(conn.execute(sa.select(persons.c.person_id).where(active)).scalars())
        if not before:
            # The store's first resolution: no partner app holds an id yet, so there is
            # nothing to follow; listing every person and event would only be noise.
            return []
        was = dict(was_person or {})
    else:
        # Persons replaced, and any written that were stored already, as they stand now.
        before = {
            pid
            for part in chunks(sorted(set(replaced) | set(groups)))
            for pid in conn.execute(
                sa.select(persons.c.person_id).where(active, persons.c.person_id.in_(part))
            ).scalars()
        }
        was = {rid: person for rid, (_, person) in (linked or {}).items()}
    return change_feed.person_changes_of(
        conn,
        before=before,
        after=set(groups),
        merged={e.old_id: e.new_id for e in events if e.kind == "merge"},
        split=[(e.old_id, e.new_id) for e in events if e.kind == "split"],
        moved={rid: (pid, was.get(rid)) for rid, _, pid in links if was.get(rid) != pid},
    )
