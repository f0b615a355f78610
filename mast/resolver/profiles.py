"""Profiles: the distinct ways a person was written down, the unit the model compares.

A person seen at twenty events usually appears in a feed with the same details each time.
Scoring every record against every other would score those twenty copies twenty times, so
records collapse into profiles first: one per distinct (partner and partner's person id,
name, date of birth, sex, NHS number, address). Records a reviewer has ruled on keep a
profile of their own, so a decision about one record never drags its twins along.

Profile ids are a hash of the profile's contents, so they are the same in every run.

Some partners write a date of birth they only estimated as the 1st of January of the year
(or the 1st of the month), or fill an unknown one with a fixed date such as 01/01/1900.
`detect_dob_placeholders` finds those habits per feed from how often each is used, and a
profile carries such a date as the range it stands for (a year, a month) or not at all, so
it is evidence of the year only and never contradicts a true date in it.
"""

from __future__ import annotations

import calendar
import hashlib
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Any, NamedTuple, TypedDict

import sqlalchemy as sa

from mast.schema.bounds import EARLIEST_DATE
from mast.schema.tables import record_addresses, records
from mast.text.names import name_key


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
    # The address is only where an event happened (a feed defined `address_is: event`): it
    # places the record at the incident, not at the person's home, so a different one says
    # nothing against a match. Last and defaulted, so profiles made before it read alike.
    address_event: bool = False

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
    query = person_records_query(where)
    if conn.dialect.name != "sqlite":
        # The model learns from a sample that depends on the rows' order. SQLite gives them
        # in the order they were stored, the same after a crash and a replay; PostgreSQL in
        # whatever order its plan and its freed space give, which a replay may change.
        query = query.order_by(records.c.record_id)
    for row in conn.execute(query):
        yield RecordPerson(*row)


class FeedPlaceholders(TypedDict):
    """A feed's habits: 1 January stands for a year, the 1st for a month, fixed fill-ins."""

    year: bool
    month: bool
    dates: list[str]  # ISO dates that stand for "unknown"


DobPlaceholders = Mapping[str, FeedPlaceholders]
"""Feed → its placeholder habits; kept with the model so every later run reads dates alike."""

PLACEHOLDER_EXCESS = 2.0
"""A day used more than this many times as often as chance would use it is a habit: then
most of the dates on it are estimates, and reading all of them as their year (or month)
costs the few true ones only their day. Chance is 1 in 365 for 1 January and about 1 in 30
for the 1st of a month; a partner who writes every estimate as 1 January shows tens of
times the chance rate (historical_50k: 37% of its dates, 134 times chance), one who
writes some of them so a few times (the second region's children's services: 3.4 times,
which 4, the bar before, missed)."""
PLACEHOLDER_MIN = 20
"""Fewer people than this on a day are too few to call it a habit."""
_FILL_IN_SHARE = 0.002
"""One exact date carried by this share of a feed's people (and PLACEHOLDER_MIN of them)
is a fill-in for "unknown": a real date of birth is shared by about 1 in 20,000..."""
_FILL_IN_OUTLIER = 5.0
"""...and by this many times as many as the typical date of its kind (1 January, the 1st
of a month, any other day): where a feed writes its estimates as 1 January, every year's
1 January is common, and is a year's evidence, not "unknown" (the second region's police
lost the year of 1,830 people's estimates so); 01/01/1900 stands out even among them."""


def detect_dob_placeholders(rows: Iterable[RecordPerson]) -> dict[str, FeedPlaceholders]:
    """Each feed's placeholder habits, from how often its people carry each kind of date.

    Counted over distinct (name, date) pairs, not records, so one person seen at fifty
    events is one vote. Feeds without a habit are left out.
    """
    seen: dict[str, set[tuple[str, str, date]]] = defaultdict(set)
    for r in rows:
        if r.dob is not None:
            seen[r.feed].add((name_key(r.given_name), name_key(r.family_name), r.dob))
    out: dict[str, FeedPlaceholders] = {}
    for feed, people in seen.items():
        n = len(people)
        per_date = Counter(d for _, _, d in people)
        fill_ins = sorted(
            d
            for d, k in per_date.items()
            if k >= PLACEHOLDER_MIN
            and k >= _FILL_IN_SHARE * n
            and k > _FILL_IN_OUTLIER * _typical_of_kind(d, per_date)
        )
        skip = set(fill_ins)
        rest = [d for d in per_date.elements() if d not in skip]
        jan1 = sum(1 for d in rest if d.month == 1 and d.day == 1)
        year = _habit(jan1, len(rest) / 365.25)
        # The 1st of other months, where 1 January is already read as a year.
        firsts = [d for d in rest if d.day == 1 and not (year and d.month == 1)]
        others = len(rest) - (jan1 if year else 0)
        month = _habit(len(firsts), others * (11 if year else 12) / 12 / 30.44)
        if year or month or fill_ins:
            out[feed] = {"year": year, "month": month, "dates": [d.isoformat() for d in fill_ins]}
    return out


def _kind(d: date) -> int:
    """1 January, the 1st of another month, or any other day."""
    return 0 if (d.month, d.day) == (1, 1) else 1 if d.day == 1 else 2


def _typical_of_kind(d: date, per_date: Counter[date]) -> float:
    """The median number of people on the other dates of `d`'s kind (1 where none)."""
    kind = _kind(d)
    counts = sorted(k for other, k in per_date.items() if other != d and _kind(other) == kind)
    return float(counts[len(counts) // 2]) if counts else 1.0


def _habit(observed: int, expected: float) -> bool:
    return observed >= PLACEHOLDER_MIN and observed > PLACEHOLDER_EXCESS * expected


def dob_evidence(
    feed: str, dob: date | None, placeholders: DobPlaceholders
) -> tuple[date | None, date | None, date | None]:
    """(date of birth, earliest, latest) as this feed's date can be trusted: a placeholder
    1 January becomes its year, a placeholder 1st its month, a fill-in date nothing."""
    habits = placeholders.get(feed)
    if dob is None or habits is None:
        return dob, None, None
    if dob.isoformat() in habits["dates"]:
        return None, None, None
    if dob.day == 1:
        if habits["year"] and dob.month == 1:
            return None, dob, date(dob.year, 12, 31)
        if habits["month"]:
            last = calendar.monthrange(dob.year, dob.month)[1]
            return None, dob, date(dob.year, dob.month, last)
    return dob, None, None


def model_event_feeds(model: Mapping[str, Any]) -> list[str]:
    """The feeds whose addresses a model was trained to read as events' (none for a model
    older than the mark), so every later run, full or daily, profiles records alike."""
    found = model.get("event_feeds")
    return [str(f) for f in found] if isinstance(found, list) else []


def profile_of(
    r: RecordPerson,
    *,
    own: bool = False,
    dob_placeholders: DobPlaceholders | None = None,
    event_feeds: Collection[str] = (),
) -> Profile:
    """The profile a record belongs to; `own` gives it one of its own (a reviewed record).
    A record of one of `event_feeds` has its address marked as an event's."""
    source = f"{r.feed}/{r.source_person_id}" if r.source_person_id else None
    dob, lo, hi = dob_evidence(r.feed, r.dob, dob_placeholders or {})
    if dob is None and lo is None and r.dob is None:
        lo, hi = r.dob_earliest, r.dob_latest  # an age, where no date was given
    fields = (
        source,
        name_key(r.given_name),
        name_key(r.middle_names),
        name_key(r.family_name),
        name_key(r.other_names),
        dob,
        lo,
        hi,
        r.sex,
        r.nhs_number,
        r.address_id,
        r.postcode,
    )
    event = r.feed in event_feeds and bool(r.address_id or r.postcode)
    salt = r.record_id if own else ""
    # The mark joins the hash only where it is set, so every other profile keeps the id it
    # had before addresses were told apart (a store's profiles and a day's stay one).
    digest = hashlib.blake2b(
        repr((fields, salt, True) if event else (fields, salt)).encode(), digest_size=8
    ).hexdigest()
    return Profile(digest, *fields, address_event=event)


def build_profiles(
    rows: Iterable[RecordPerson],
    reviewed: frozenset[str] = frozenset(),
    *,
    dob_placeholders: DobPlaceholders | None = None,
    event_feeds: Collection[str] = (),
) -> tuple[dict[str, Profile], dict[str, str]]:
    """Distinct profiles, and each record's profile id."""
    profiles: dict[str, Profile] = {}
    of_record: dict[str, str] = {}
    for r in rows:
        p = profile_of(
            r,
            own=r.record_id in reviewed,
            dob_placeholders=dob_placeholders,
            event_feeds=event_feeds,
        )
        profiles.setdefault(p.profile_id, p)
        of_record[r.record_id] = p.profile_id
    return profiles, of_record
