"""What tells two PEOPLE apart, and which pairs a reviewer ruled apart.

A review item or a near miss compares two records; the reason two people are kept apart
is often not in those two records at all (a health record without a date of birth is
alike to both a boy and his father) but in the people they would join: their dominant
dates of birth, given names, NHS numbers and sex, as `persons` holds them. Clustering
refuses a merge on these (`constraints.py`, `cluster.py`); this module says which of them
differ, in phrases the pages word in the reader's language (`mast.web.i18n_values`), so a
practitioner reads "born 2020-11-22 and 1990-12-09: 29 years apart", not a bare score.

Dates are written ISO in the phrases and shown in UK form at display time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from mast.core.db import chunks
from mast.resolver.cluster import nhs_is_valid
from mast.resolver.constraints import dob_compatible, given_compatible
from mast.schema.tables import decisions, persons, record_persons
from mast.text.names import name_key

_SEX = {"f": "female", "female": "female", "m": "male", "male": "male"}


@dataclass(frozen=True)
class Side:
    """One person's dominant values, as `persons` holds them."""

    given: str | None = None
    dob: date | None = None
    sex: str | None = None
    nhs: str | None = None


@dataclass(frozen=True)
class Ruling:
    """A reviewer's ruling that two people are different."""

    person_id: str
    by: str
    reason: str
    on: datetime


def years_apart(a: date, b: date) -> int:
    """Whole years between two dates of birth."""
    early, late = sorted((a, b))
    years = late.year - early.year
    return years - 1 if (late.month, late.day) < (early.month, early.day) else years


def differences(a: Side, b: Side) -> list[str]:
    """What differs between two people beyond any slip, strongest first (empty: nothing)."""
    out = []
    if a.nhs and b.nhs and a.nhs != b.nhs and nhs_is_valid(a.nhs) and nhs_is_valid(b.nhs):
        out.append(f"different NHS numbers: {a.nhs} and {b.nhs}")
    if a.dob and b.dob and not dob_compatible(a.dob, b.dob):
        born = f"born {a.dob.isoformat()} and {b.dob.isoformat()}"
        years = years_apart(a.dob, b.dob)
        out.append(f"{born}: {years} year{'s' if years != 1 else ''} apart" if years else born)
    given_a, given_b = name_key(a.given), name_key(b.given)
    if given_a and given_b and not given_compatible(given_a, given_b):
        out.append(f"given names {a.given} and {b.given} are not forms of one name")
    sex_a, sex_b = _SEX.get((a.sex or "").lower()), _SEX.get((b.sex or "").lower())
    if sex_a and sex_b and sex_a != sex_b:
        out.append(f"recorded as {sex_a} and {sex_b}")
    return out


def sides(conn: sa.Connection, person_ids: Iterable[str]) -> dict[str, Side]:
    """Each person's dominant values, by id."""
    out: dict[str, Side] = {}
    p = persons.c
    for part in chunks(sorted(set(person_ids))):
        for row in conn.execute(
            sa.select(p.person_id, p.given_name, p.dob, p.sex, p.nhs_number).where(
                p.person_id.in_(part)
            )
        ):
            out[str(row.person_id)] = Side(row.given_name, row.dob, row.sex, row.nhs_number)
    return out


def between(
    conn: sa.Connection, pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], list[str]]:
    """`differences` for each pair of person ids, as given."""
    wanted = list(pairs)
    known = sides(conn, {p for pair in wanted for p in pair})
    return {
        (a, b): differences(known[a], known[b]) if a in known and b in known else []
        for a, b in wanted
    }


def ruled_apart(conn: sa.Connection, person_ids: Iterable[str]) -> dict[str, dict[str, Ruling]]:
    """For each of these people, the other living people a reviewer ruled are different
    (an unlink between a record of each, as they stand now), the newest ruling each."""
    mine = sorted(set(person_ids))
    person_of: dict[str, str] = {}
    for part in chunks(mine):
        person_of.update(
            conn.execute(
                sa.select(record_persons.c.record_id, record_persons.c.person_id).where(
                    record_persons.c.person_id.in_(part)
                )
            ).all()
        )
    rulings: list[tuple[str, str, str, str, datetime]] = []
    records = sorted(person_of)
    for part in chunks(records):
        for side in (decisions.c.record_a, decisions.c.record_b):
            rulings += conn.execute(
                sa.select(
                    decisions.c.record_a,
                    decisions.c.record_b,
                    decisions.c.decided_by,
                    decisions.c.reason,
                    decisions.c.decided_at,
                ).where(decisions.c.decision == "unlink", side.in_(part))
            ).all()
    others = {r for a, b, *_ in rulings for r in (a, b) if r not in person_of}
    person_of.update(people_of_records(conn, others))
    living = living_of(conn, set(person_of.values()))
    out: dict[str, dict[str, Ruling]] = {}
    wanted = set(mine)
    for a, b, by, reason, on in sorted(set(rulings), key=lambda r: r[4]):  # newest wins
        pa, pb = person_of.get(a), person_of.get(b)
        if not pa or not pb or pa == pb or pa not in living or pb not in living:
            continue
        for me, other in ((pa, pb), (pb, pa)):
            if me in wanted:
                out.setdefault(me, {})[other] = Ruling(other, str(by), str(reason), on)
    return out


def people_of_records(conn: sa.Connection, record_ids: Iterable[str]) -> dict[str, str]:
    """Each record's person as the store has it now."""
    out: dict[str, str] = {}
    for part in chunks(sorted(set(record_ids))):
        out.update(
            conn.execute(
                sa.select(record_persons.c.record_id, record_persons.c.person_id).where(
                    record_persons.c.record_id.in_(part)
                )
            ).all()
        )
    return out


def living_of(conn: sa.Connection, person_ids: set[str]) -> set[str]:
    """Those of these people who still stand: not merged away, not emptied."""
    out: set[str] = set()
    for part in chunks(sorted(person_ids)):
        out.update(
            conn.execute(
                sa.select(persons.c.person_id).where(
                    persons.c.person_id.in_(part),
                    persons.c.retired_into.is_(None),
                    persons.c.records > 0,
                )
            ).scalars()
        )
    return out
