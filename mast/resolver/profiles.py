"""Profiles: the distinct ways a person was written down, the unit the model compares.

A person seen at twenty events usually appears in a feed with the same details each time.
Scoring every record against every other would score those twenty copies twenty times, so
records collapse into profiles first: one per distinct (partner and partner's person id,
name, date of birth, sex, NHS number, address). Records a reviewer has ruled on keep a
profile of their own, so a decision about one record never drags its twins along.

Profile ids are a hash of the profile's contents, so they are the same in every run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa

from mast.resolver.names import name_key
from mast.schema.bounds import EARLIEST_DATE
from mast.schema.tables import record_addresses, records


class Profile(NamedTuple):
    """The identifying fields of a person as one partner recorded them, ready to compare."""

    profile_id: str
    source: str | None  # "feed/partner person id", when the partner gave one
    given: str
    middle: str
    family: str
    other_family: str
    dob: date | None
    dob_lo: date | None
    dob_hi: date | None
    sex: str | None
    nhs: str | None
    address_id: str | None
    postcode: str | None

    @property
    def sector(self) -> str | None:
        return sector_of(self.postcode)


def sector_of(postcode: str | None) -> str | None:
    """Postcode sector ('SA1 6'): about 3,000 homes, a neighbourhood."""
    return postcode[:-2] if postcode else None


class RecordPerson(NamedTuple):
    """What the resolver reads of one record."""

    record_id: str
    feed: str
    source_person_id: str | None
    given_name: str | None
    middle_names: str | None
    family_name: str | None
    other_names: str | None
    dob: date | None
    dob_earliest: date | None
    dob_latest: date | None
    sex: str | None
    nhs_number: str | None
    postcode: str | None
    address_id: str | None
    occurred_at: datetime


def _bounded(column: sa.Column[Any], by: sa.Column[Any] | None = None) -> sa.Label[Any]:
    """The date if it (or `by`) is inside the bounds ingest enforces, else NULL: a record
    stored before they were enforced (a birth in 1600) must not stop every resolve, as
    pandas' timestamps end at 1677."""
    return sa.case(((by if by is not None else column) >= EARLIEST_DATE, column)).label(column.name)


_COLUMNS = [
    records.c.record_id,
    records.c.feed,
    records.c.source_person_id,
    records.c.given_name,
    records.c.middle_names,
    records.c.family_name,
    records.c.other_names,
    _bounded(records.c.dob),
    _bounded(records.c.dob_earliest),
    _bounded(records.c.dob_latest, by=records.c.dob_earliest),
    records.c.sex,
    records.c.nhs_number,
    records.c.postcode,
    record_addresses.c.address_id,
    records.c.occurred_at,
]


def person_records_query(where: sa.ColumnElement[bool] | None = None) -> sa.Select[Any]:
    """Records that name a person: an NHS number, a family name, or a given name with a date."""
    query = (
        sa.select(*_COLUMNS)
        .select_from(
            records.outerjoin(record_addresses, record_addresses.c.record_id == records.c.record_id)
        )
        .where(
            sa.or_(
                records.c.nhs_number.is_not(None),
                records.c.family_name.is_not(None),
                sa.and_(records.c.given_name.is_not(None), records.c.dob.is_not(None)),
            )
        )
    )
    return query if where is None else query.where(where)


def read_records(
    conn: sa.Connection, where: sa.ColumnElement[bool] | None = None
) -> Iterator[RecordPerson]:
    for row in conn.execute(person_records_query(where)):
        yield RecordPerson(*row)


def profile_of(r: RecordPerson, *, own: bool = False) -> Profile:
    """The profile a record belongs to; `own` gives it one of its own (a reviewed record)."""
    source = f"{r.feed}/{r.source_person_id}" if r.source_person_id else None
    fields = (
        source,
        name_key(r.given_name),
        name_key(r.middle_names),
        name_key(r.family_name),
        name_key(r.other_names),
        r.dob,
        None if r.dob else r.dob_earliest,
        None if r.dob else r.dob_latest,
        r.sex,
        r.nhs_number,
        r.address_id,
        r.postcode,
    )
    salt = r.record_id if own else ""
    digest = hashlib.blake2b(repr((fields, salt)).encode(), digest_size=8).hexdigest()
    return Profile(digest, *fields)


def build_profiles(
    rows: Iterable[RecordPerson], reviewed: frozenset[str] = frozenset()
) -> tuple[dict[str, Profile], dict[str, str]]:
    """Distinct profiles, and each record's profile id."""
    profiles: dict[str, Profile] = {}
    of_record: dict[str, str] = {}
    for r in rows:
        p = profile_of(r, own=r.record_id in reviewed)
        profiles.setdefault(p.profile_id, p)
        of_record[r.record_id] = p.profile_id
    return profiles, of_record
