"""Reading and writing the resolver's tables in the state store; no matching logic."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any, NamedTuple

import pandas as pd
import sqlalchemy as sa

from mast.core.db import chunks, fetch_tuples, insert_tuples, sync_rows
from mast.resolver.cluster import WeightedPair
from mast.resolver.model import EDGE_COLUMNS
from mast.resolver.place_shares import PLACE_SHARES, places_now
from mast.resolver.profiles import Profile, RecordPerson, person_records_query
from mast.schema.tables import (
    address_keys,
    address_moves,
    decisions,
    person_edges,
    person_pending,
    person_profiles,
    profile_sector,
    record_persons,
    records,
    resolver_models,
)
from mast.text.names import phonetic

_PROFILE_FIELDS = list(Profile._fields)


def latest_model(conn: sa.Connection) -> dict[str, Any] | None:
    """The newest model, its place frequencies extended to the addresses minted since it
    was trained (`place_shares.places_now`)."""
    row = conn.execute(
        sa.select(resolver_models.c.settings).order_by(resolver_models.c.model_id.desc()).limit(1)
    ).scalar()
    if not row:
        return None
    model: dict[str, Any] = json.loads(row)
    shares = model.get(PLACE_SHARES)
    tf = model.get("tf", {})
    if shares and "address_id" in tf:
        tf["address_id"] = places_now(tf["address_id"], shares, address_keys_now(conn))
    return model


def address_keys_now(conn: sa.Connection) -> list[tuple[str, str, int]]:
    """(key, address id, records) of every address key: the places' own words."""
    c = address_keys.c
    return fetch_tuples(conn, sa.select(c.key, c.address_id, c.records))


def save_model(conn: sa.Connection, model: dict[str, Any], *, profiles: int, now: datetime) -> None:
    conn.execute(
        resolver_models.insert().values(
            trained_at=now, profiles=profiles, settings=json.dumps(model, default=str)
        )
    )


class StoredProfiles(NamedTuple):
    profiles: dict[str, Profile]
    person_of: dict[str, str]
    component_of: dict[str, str]
    records: dict[str, int]
    """how many records each profile had when it was written"""


def read_profiles(
    conn: sa.Connection,
    ids: Iterable[str] | None = None,
    *,
    components: Iterable[str] | None = None,
    people: Iterable[str] | None = None,
) -> StoredProfiles:
    """Stored profiles (all, or those with `ids`, or those in `components`, or those of
    `people`), with each one's person, component and record count."""
    cols = [person_profiles.c[name] for name in _PROFILE_FIELDS]
    c = person_profiles.c
    query = sa.select(*cols, c.person_id, c.component, c.records)
    column, values = (
        (c.component, components)
        if components is not None
        else (c.person_id, people)
        if people is not None
        else (c.profile_id, ids)
    )
    queries = (
        [query]
        if values is None
        else [query.where(column.in_(part)) for part in chunks(sorted(values))]
    )
    found = StoredProfiles({}, {}, {}, {})
    width = len(cols)
    for q in queries:
        for row in conn.execute(q).all():
            p = Profile(*row[:width])
            found.profiles[p.profile_id] = p
            found.person_of[p.profile_id] = row[width]
            found.component_of[p.profile_id] = row[width + 1]
            found.records[p.profile_id] = row[width + 2]
    return found


def candidates(conn: sa.Connection, fresh: Iterable[Profile]) -> set[str]:
    """Stored profiles that any blocking rule (`model.BLOCKING_RULES`) could pair with one
    of `fresh`: the same NHS number; a date of birth with a name or postcode; a postcode
    with a name; or both names, the other way round or in the same postcode sector. Each
    is an indexed search here, so a day's new profiles are scored against tens of thousands
    of stored ones rather than all of them.
    """
    new, c = list(fresh), person_profiles.c
    named = [p for p in new if p.given and p.family]
    placed = [p for p in new if p.postcode]
    return (
        _dated(conn, new)
        | _same_name(conn, named)
        | _search(conn, [c.nhs], {(p.nhs,) for p in new if p.nhs})
        # Names the other way round, then with the postcode sector.
        | _search(conn, [c.given, c.family], {(p.family, p.given) for p in named})
        | _search(
            conn,
            [c.given, c.family, profile_sector],
            {(p.given, p.family, p.sector) for p in named if p.sector},
        )
        | _search(
            conn, [c.postcode, c.family], {(p.postcode, p.family) for p in placed if p.family}
        )
        | _search(conn, [c.postcode, c.given], {(p.postcode, p.given) for p in placed if p.given})
    )


def _search(
    conn: sa.Connection, columns: list[sa.ColumnElement[Any]], keys: set[tuple[Any, ...]]
) -> set[str]:
    """Stored profiles whose `columns` hold one of `keys`.

    Asked as an OR of equalities, which SQLite answers with one exact search of an index
    on those columns per key; it searches only the first column's index for a row-value IN
    list, then reads every profile found (measured: 0.09 s against 0.24 s for 1,800 keys).
    Written as text, because SQLAlchemy takes longer to build 500 such terms than SQLite
    takes to search them; only bound values vary.
    """
    names = [
        col.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}) for col in columns
    ]
    found: set[str] = set()
    for part in chunks(sorted(keys)):
        terms = " OR ".join(
            "(" + " AND ".join(f"{name} = :k{i}_{j}" for j, name in enumerate(names)) + ")"
            for i in range(len(part))
        )
        values = {f"k{i}_{j}": value for i, key in enumerate(part) for j, value in enumerate(key)}
        query = sa.text(f"SELECT profile_id FROM person_profiles WHERE {terms}")  # noqa: S608
        found.update(conn.execute(query, values).scalars())
    return found


def _birth_years(dob: date | None, lo: date | None, hi: date | None) -> tuple[int | None, ...]:
    """The `byear_lo` and `byear_hi` the model blocks on (`model.profile_frame`)."""
    first, last = dob or lo, dob or hi
    return (first.year if first else None, last.year if last else None)


def _same_name(conn: sa.Connection, named: list[Profile]) -> set[str]:
    """Stored profiles with one of `named`'s given and family names that the name rules
    on birth years (or on having none) could pair with it: searched by the names' index,
    the years checked here."""
    if not named:
        return set()
    wanted: dict[tuple[str, str], list[Profile]] = {}
    for p in named:
        wanted.setdefault((p.given, p.family), []).append(p)
    found: set[str] = set()
    for part in chunks(sorted(wanted)):
        # An OR of equalities, as `_search` asks: one exact search of the names' index each.
        terms = " OR ".join(f"(given = :g{i} AND family = :f{i})" for i in range(len(part)))
        values = {k: v for i, (g, f) in enumerate(part) for k, v in ((f"g{i}", g), (f"f{i}", f))}
        query = sa.text(
            f"SELECT profile_id, given, family, dob, dob_lo, dob_hi FROM person_profiles WHERE {terms}"  # noqa: S608, E501
        ).columns(dob=sa.Date, dob_lo=sa.Date, dob_hi=sa.Date)
        for pid, given, family, dob, lo, hi in conn.execute(query, values):
            lo_year, hi_year = _birth_years(dob, lo, hi)
            for p in wanted[(given, family)]:
                mine = _birth_years(p.dob, p.dob_lo, p.dob_hi)
                # The same birth year at either end, or no date at all on either side.
                if lo_year == mine[0] or (hi_year is not None and hi_year == mine[1]):
                    found.add(pid)
                    break
    return found


def _dated(conn: sa.Connection, new: list[Profile]) -> set[str]:
    """Stored profiles a rule on a date of birth could pair with one of `new`: born the same
    day, with a given name, family name (either way round), its sound or a postcode in
    common. Searched by the date's index and the rest checked here, which halves the
    profiles the model then reads (measured: 9,781 of the 19,613 born on the days)."""
    wanted: set[tuple[str, str, date]] = set()
    for p in new:
        if p.dob:
            for name, value in (
                ("given", p.given),
                ("given", p.family),
                ("family", p.given),
                ("sound", p.family and phonetic(p.family)),
                ("postcode", p.postcode),
            ):
                if value:
                    wanted.add((name, value, p.dob))
    c = person_profiles.c
    dated: set[str] = set()
    for part in chunks(sorted({p.dob for p in new if p.dob})):
        for pid, dob, given, family, postcode in conn.execute(
            sa.select(c.profile_id, c.dob, c.given, c.family, c.postcode).where(c.dob.in_(part))
        ):
            if (
                ("given", given, dob) in wanted
                or ("family", family, dob) in wanted
                or (family and ("sound", phonetic(family), dob) in wanted)
                or ("postcode", postcode, dob) in wanted
            ):
                dated.add(pid)
    return dated


def components_of(conn: sa.Connection, ids: Iterable[str], sources: Iterable[str]) -> set[str]:
    """The components of the stored profiles `ids` and of those filed under `sources`."""
    c = person_profiles.c
    return {
        component
        for column, values in ((c.profile_id, ids), (c.source, sources))
        for part in chunks(sorted(values))
        for component in conn.execute(
            sa.select(c.component).distinct().where(column.in_(part))
        ).scalars()
    }


def record_links(conn: sa.Connection, profile_ids: Iterable[str]) -> list[tuple[str, str, str]]:
    """(record, profile, person) of every stored record of these profiles."""
    c = record_persons.c
    return [
        link
        for part in chunks(sorted(profile_ids))
        for link in fetch_tuples(
            conn,
            sa.select(c.record_id, c.profile_id, c.person_id).where(c.profile_id.in_(part)),
        )
    ]


def links_of_records(conn: sa.Connection, record_ids: Iterable[str]) -> dict[str, tuple[str, str]]:
    """The stored profile and person of each of these records that has them."""
    c = record_persons.c
    return {
        rid: link
        for part in chunks(sorted(record_ids))
        for rid, link in _links(conn, c.record_id.in_(part)).items()
    }


def links_since(conn: sa.Connection, file_id: int) -> dict[str, tuple[str, str]]:
    """The stored profile and person of each record loaded after file `file_id` that has
    them: records changed in place."""
    arrived = sa.select(records.c.record_id).where(records.c.file_id > file_id)
    return _links(conn, record_persons.c.record_id.in_(arrived))


def _links(conn: sa.Connection, where: sa.ColumnElement[bool]) -> dict[str, tuple[str, str]]:
    c = record_persons.c
    query = sa.select(c.record_id, c.profile_id, c.person_id).where(where)
    return {rid: (pid, person) for rid, pid, person in fetch_tuples(conn, query)}


def unlink(conn: sa.Connection, record_ids: Iterable[str]) -> None:
    """Forget these records' person links."""
    for part in chunks(sorted(record_ids)):
        conn.execute(record_persons.delete().where(record_persons.c.record_id.in_(part)))


def records_of(
    conn: sa.Connection, profile_ids: Iterable[str]
) -> list[tuple[RecordPerson, str, str]]:
    """Every stored record of these profiles, with the profile and person it is linked to."""
    c = record_persons.c
    found = []
    for part in chunks(sorted(profile_ids)):
        query = (
            person_records_query(c.profile_id.in_(part))
            .join(record_persons, c.record_id == records.c.record_id)
            .add_columns(c.profile_id, c.person_id)
        )
        found += [(RecordPerson(*row[:-2]), row[-2], row[-1]) for row in conn.execute(query)]
    return found


def records_per_profile(conn: sa.Connection, profile_ids: Iterable[str]) -> dict[str, int]:
    """How many stored records each of these profiles has (none: not there)."""
    c = record_persons.c
    return {
        pid: n
        for part in chunks(sorted(profile_ids))
        for pid, n in fetch_tuples(
            conn,
            sa.select(c.profile_id, sa.func.count())
            .where(c.profile_id.in_(part))
            .group_by(c.profile_id),
        )
    }


def pending(conn: sa.Connection) -> set[str]:
    """Profiles a purge took records from since the last person run."""
    return set(conn.execute(sa.select(person_pending.c.profile_id)).scalars())


def clear_pending(conn: sa.Connection) -> None:
    """Forget what purges and address runs left for the person run, now it has run."""
    conn.execute(person_pending.delete())
    conn.execute(address_moves.delete())


def moved_records(conn: sa.Connection) -> list[str]:
    """Records an address run moved since the last person run: their profiles, built with
    the old address, must be built again."""
    return list(conn.execute(sa.select(address_moves.c.record_id)).scalars())


def edges_within(
    conn: sa.Connection, components: Iterable[str], *, min_weight: float
) -> list[WeightedPair]:
    """Stored edges of at least `min_weight` inside `components` (both ends share one),
    strongest first, then in id order: the order clustering takes them in, which it finds
    already made rather than sorting them afresh (a third of its time on a day)."""
    e, p = person_edges.c, person_profiles.c
    return [
        edge
        for part in chunks(sorted(components))
        for edge in fetch_tuples(
            conn,
            sa.select(e.weight, e.profile_a, e.profile_b)
            .join_from(person_edges, person_profiles, p.profile_id == e.profile_a)
            .where(p.component.in_(part), e.weight >= min_weight)
            .order_by(e.weight.desc(), e.profile_a, e.profile_b),
        )
    ]


ProfileState = tuple[str, int, str]
"""What a stored profile's row says beyond its fields: its person, records and component."""
_STATE = ("person_id", "records", "component")


def write_profiles(
    conn: sa.Connection,
    profiles: Iterable[Profile],
    state_of: Mapping[str, ProfileState],
    *,
    every: bool,
) -> None:
    """Store new profiles; or, `every` (a full run), make these all the profiles there are,
    writing only what differs."""
    rows = [(*p, *state_of[p.profile_id]) for p in profiles]
    names = [*_PROFILE_FIELDS, *_STATE]
    if every:
        # A profile's fields are its id's (a hash of them); the rest is what can change.
        sync_rows(conn, person_profiles, names, rows, compare=["profile_id", *_STATE])
    else:
        insert_tuples(conn, person_profiles, names, rows)


def update_profiles(
    conn: sa.Connection, was: Mapping[str, ProfileState], now: Mapping[str, ProfileState]
) -> None:
    """Give stored profiles their state `now` where it differs from what it `was`.

    Each statement sets only the columns that changed: a profile row carries nine
    indexes, and one rewritten whole dirties a page of each, which made the commit most of
    a daily run's writing.
    """
    c = person_profiles.c
    by_change: dict[tuple[int, ...], list[dict[str, Any]]] = defaultdict(list)
    for pid in sorted(now):
        changed = tuple(i for i in range(len(_STATE)) if now[pid][i] != was[pid][i])
        if changed:
            by_change[changed].append({"pid": pid, **{f"v{i}": now[pid][i] for i in changed}})
    for changed, rows in by_change.items():
        conn.execute(
            person_profiles.update()
            .where(c.profile_id == sa.bindparam("pid"))
            .values({_STATE[i]: sa.bindparam(f"v{i}") for i in changed}),
            rows,
        )


def drop_profiles(conn: sa.Connection, ids: Iterable[str]) -> None:
    """Forget profiles no record has any more, with their scored pairs."""
    for part in chunks(sorted(ids)):
        conn.execute(person_profiles.delete().where(person_profiles.c.profile_id.in_(part)))
        conn.execute(
            person_edges.delete().where(
                sa.or_(person_edges.c.profile_a.in_(part), person_edges.c.profile_b.in_(part))
            )
        )


def write_edges(
    conn: sa.Connection,
    edges: pd.DataFrame,
    *,
    replacing: Iterable[str] | None,
    same_model: bool = True,
) -> None:
    """Store linking pairs, first removing those stored for the profiles in `replacing`;
    `replacing=None` (a full run) makes them every pair there is, writing what differs.
    With `same_model`, a stored pair of the same two profiles is scored the same, so pairs
    are compared by their ids alone.

    Only pairs at or above the link weight are kept: they are what re-clustering and
    explanations need; uncertain pairs live on as review items.
    """
    columns = edge_columns()
    rows = list(zip(*(edges[c].tolist() for c in columns), strict=True))
    if replacing is None:
        compare = ["profile_a", "profile_b"] if same_model else None
        sync_rows(conn, person_edges, columns, rows, compare=compare)
        return
    for part in chunks(sorted(replacing)):
        conn.execute(
            person_edges.delete().where(
                sa.or_(person_edges.c.profile_a.in_(part), person_edges.c.profile_b.in_(part))
            )
        )
    insert_tuples(conn, person_edges, columns, rows)


def edge_columns() -> list[str]:
    return list(EDGE_COLUMNS)


def edges_touching(conn: sa.Connection, ids: Iterable[str], *, min_weight: float) -> pd.DataFrame:
    """Stored edges with at least one end in `ids`."""
    parts = []
    id_list = sorted(ids)
    for part in chunks(id_list):
        query = sa.select(person_edges).where(
            person_edges.c.weight >= min_weight,
            sa.or_(person_edges.c.profile_a.in_(part), person_edges.c.profile_b.in_(part)),
        )
        parts.append(pd.DataFrame(conn.execute(query).all(), columns=edge_columns()))
    return (
        pd.concat(parts, ignore_index=True).drop_duplicates(["profile_a", "profile_b"])
        if parts
        else pd.DataFrame(columns=edge_columns())
    )


def ruled_since(conn: sa.Connection, decision_id: int) -> set[str]:
    """Records a reviewer ruled on after decision `decision_id`."""
    query = sa.select(decisions.c.record_a, decisions.c.record_b).where(
        decisions.c.decision_id > decision_id
    )
    return {r for row in conn.execute(query) for r in row}


def decided(conn: sa.Connection) -> list[tuple[str, str, str]]:
    """Every reviewer ruling in order: (record_a, record_b, link | unlink)."""
    return [
        (r.record_a, r.record_b, r.decision)
        for r in conn.execute(
            sa.select(decisions.c.record_a, decisions.c.record_b, decisions.c.decision).order_by(
                decisions.c.decision_id
            )
        )
    ]


PERSON_DETAILS = (
    "given_name",
    "family_name",
    "other_names",
    "dob",
    "sex",
    "nhs_number",
    "records",
    "first_seen",
    "last_seen",
)
