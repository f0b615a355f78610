"""'Possibly the same person': other people a person's records came close to joining.

Two sources, both already in the state store: open review items between this person's
records and another's (the model was unsure, a constraint kept them apart, or someone
reported a wrong link), and near misses — scored pairs kept in `person_edges` whose ends
fell to two people (refused by a constraint, or scored short of a link). A pair a reviewer
ruled on is left out: that question has an answer. Each candidate says in plain words what
spoke for and against.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from mast.core.db import chunks
from mast.resolver.explain import contributions, for_and_against
from mast.resolver.people import store
from mast.schema.tables import decisions, person_profiles, persons, record_persons, review_items

SHOWN = 5
MATCH_WEIGHT = 1.0
"""The resolver's link weight (`people.LINK_WEIGHT`): a pair at or above it that was left
apart was refused by a constraint, not scored too low."""
_REASONS = {
    "uncertain": "the matching was unsure",
    "conflict": "kept apart because some details contradict each other",
    "reported": "someone reported a record as not this person",
}


@dataclass(frozen=True)
class Candidate:
    person_id: str
    weight: float | None  # the strongest pair's match weight; None for a reported item
    why: str  # how it came up: near miss or queued for review, and why
    evidence_for: str
    evidence_against: str
    item_id: int | None  # the open review item, if there is one


def possibly_same(engine: sa.Engine, person_id: str, *, limit: int = SHOWN) -> list[Candidate]:
    """Other living people this person may be, the likeliest first."""
    with engine.connect() as conn:
        mine_records = list(
            conn.execute(
                sa.select(record_persons.c.record_id).where(record_persons.c.person_id == person_id)
            ).scalars()
        )
        mine_profiles = set(
            conn.execute(
                sa.select(person_profiles.c.profile_id).where(
                    person_profiles.c.person_id == person_id
                )
            ).scalars()
        )
        if not mine_profiles:
            return []
        edges = store.edges_touching(conn, mine_profiles, min_weight=-math.inf)
        others = {str(p) for p in (*edges.profile_a, *edges.profile_b)} - mine_profiles
        person_of: dict[str, str] = {}
        for part in chunks(sorted(others)):
            person_of.update(
                conn.execute(
                    sa.select(person_profiles.c.profile_id, person_profiles.c.person_id).where(
                        person_profiles.c.profile_id.in_(part)
                    )
                ).all()
            )
        items = _open_items(conn, mine_records)
        item_people = _people_of_records(conn, [other for _, other, *_ in items])
        ruled = _ruled_people(conn, mine_records)
        living = _living(conn, {*person_of.values(), *item_people.values()})
        model = store.latest_model(conn)
    found: dict[str, Candidate] = {}
    for item_id, other_record, weight, reason, _evidence in items:
        other = item_people.get(other_record)
        if not other or other == person_id or other not in living:
            continue
        found[other] = Candidate(
            other,
            weight if reason != "reported" else None,
            f"waiting for a reviewer: {_REASONS.get(reason, reason)}",
            "",
            "",
            item_id,
        )
    best = edges.sort_values(["weight", "profile_a", "profile_b"], ascending=[False, True, True])
    rows: list[Any] = list(best.itertuples(index=False))
    for row in rows:
        theirs = row.profile_b if row.profile_a in mine_profiles else row.profile_a
        other = person_of.get(str(theirs))
        if not other or other == person_id or other in ruled or other not in living:
            continue
        pro, con = for_and_against(contributions(row, model)) if model else ("", "")
        if other in found:
            if not found[other].evidence_for and not found[other].evidence_against:
                held = found[other]
                found[other] = Candidate(
                    other, held.weight or float(row.weight), held.why, pro, con, held.item_id
                )
            continue
        why = (
            "scored as a match, but kept apart because some details contradict each other"
            if float(row.weight) >= MATCH_WEIGHT
            else "a near miss: scored close to a match, left apart"
        )
        found[other] = Candidate(other, float(row.weight), why, pro, con, None)
    ranked = sorted(
        found.values(),
        key=lambda c: (c.item_id is None, -(c.weight if c.weight is not None else 99.0)),
    )
    return ranked[:limit]


def _open_items(
    conn: sa.Connection, record_ids: list[str]
) -> list[tuple[int, str, float, str, str | None]]:
    """Open review items touching these records: (item, the other record, weight, reason,
    evidence)."""
    mine = set(record_ids)
    out = []
    for part in chunks(sorted(mine)):
        for r in conn.execute(
            sa.select(review_items).where(
                review_items.c.status == "open",
                sa.or_(review_items.c.record_a.in_(part), review_items.c.record_b.in_(part)),
            )
        ):
            other = r.record_b if r.record_a in mine else r.record_a
            if other not in mine:
                out.append((int(r.item_id), str(other), float(r.weight), r.reason, r.evidence))
    return out


def _people_of_records(conn: sa.Connection, record_ids: list[str]) -> dict[str, str]:
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


def _ruled_people(conn: sa.Connection, record_ids: list[str]) -> set[str]:
    """People a reviewer already ruled on against one of these records."""
    mine = set(record_ids)
    others: set[str] = set()
    for part in chunks(sorted(mine)):
        for a, b in conn.execute(
            sa.select(decisions.c.record_a, decisions.c.record_b).where(
                sa.or_(decisions.c.record_a.in_(part), decisions.c.record_b.in_(part))
            )
        ):
            others.add(b if a in mine else a)
    return set(_people_of_records(conn, sorted(others)).values())


def _living(conn: sa.Connection, person_ids: set[str]) -> set[str]:
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
