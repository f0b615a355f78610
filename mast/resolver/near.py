"""'Possibly the same person': other people a person's records came close to joining.

Two sources, both already in the state store: open review items between this person's
records and another's (the model was unsure, a constraint kept them apart, or someone
reported a wrong link), and near misses — scored pairs kept in `person_edges` whose ends
fell to two people (refused by a constraint, or scored short of a link). A pair a reviewer
ruled apart is left out: that question has an answer (`ruled_apart` lists them, so a page
can say so). Each candidate says in plain words what spoke for and against, and against
names first what tells the two PEOPLE apart (`apart.py`): two records alike can belong to
a boy and his father, and a bare score of such a refused pair would mislead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa

from mast.core.db import chunks
from mast.resolver import apart
from mast.resolver.explain import contributions, for_and_against
from mast.resolver.people import store
from mast.resolver.review import evidence_parts
from mast.schema.tables import person_profiles, record_persons, review_items

SHOWN = 5
MATCH_WEIGHT = 1.0
"""The resolver's link weight (`people.LINK_WEIGHT`): a pair at or above it that was left
apart was refused by a constraint, not scored too low."""
_REASONS = {
    "uncertain": "waiting for a reviewer: the matching was unsure",
    "conflict": "waiting for a reviewer",
    "reported": "waiting for a reviewer: someone reported a record as not this person",
}
CONTRADICT = "kept apart because some details contradict each other"
"""What a refused pair says when the people's own values show nothing (an age given on a
record, or a partner's id, kept them apart)."""


@dataclass(frozen=True)
class Candidate:
    person_id: str
    weight: float | None  # the strongest pair's match weight; None for a reported item
    why: str  # how it came up, and for a refused pair what keeps the people apart
    evidence_for: str
    evidence_against: str  # what tells the two PEOPLE apart first, then the records' own
    item_id: int | None  # the open review item, if there is one
    kept_apart: bool = False  # refused by a constraint: a score would mislead, not shown


def possibly_same(engine: sa.Engine, person_id: str, *, limit: int = SHOWN) -> list[Candidate]:
    """Other living people this person may be, the likeliest first.

    Over 80 lines: the open review items and the near misses are read on one connection
    and merged into one list, each candidate with the evidence for and against and why a
    pair was kept apart, so that one read gives the page a consistent picture."""
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
        item_people = apart.people_of_records(conn, [other for _, other, *_ in items])
        ruled = set(apart.ruled_apart(conn, [person_id]).get(person_id, {}))
        living = apart.living_of(conn, {*person_of.values(), *item_people.values()})
        model = store.latest_model(conn)
        told = apart.between(
            conn, [(person_id, p) for p in {*person_of.values(), *item_people.values()}]
        )
    found: dict[str, Candidate] = {}
    for item_id, other_record, weight, reason, stored in items:
        other = item_people.get(other_record)
        if not other or other == person_id or other not in living or other in ruled:
            continue
        differ = told.get((person_id, other), [])
        said = evidence_parts(stored)
        refused = reason == "conflict"
        why = _REASONS.get(reason, reason)
        if refused:
            why += "; " + _apart(differ)
        found[other] = Candidate(
            other,
            weight if reason != "reported" else None,
            why,
            "; ".join(said["for"]),
            "; ".join(_unique([*differ, *said["against"]])),
            item_id,
            refused,
        )
    best = edges.sort_values(["weight", "profile_a", "profile_b"], ascending=[False, True, True])
    rows: list[Any] = list(best.itertuples(index=False))
    for row in rows:
        theirs = row.profile_b if row.profile_a in mine_profiles else row.profile_a
        other = person_of.get(str(theirs))
        if not other or other == person_id or other in ruled or other not in living:
            continue
        pro, con = for_and_against(contributions(row, model)) if model else ("", "")
        differ = told.get((person_id, other), [])
        against = "; ".join(_unique([*differ, *con.split("; ")]))
        if other in found:
            held = found[other]
            if not held.evidence_for:  # a report, or an item queued without its evidence
                found[other] = replace(
                    held,
                    weight=held.weight or float(row.weight),
                    evidence_for=pro,
                    evidence_against=held.evidence_against or against,
                )
            continue
        refused = float(row.weight) >= MATCH_WEIGHT
        why = _apart(differ) if refused else "a near miss: scored close to a match, left apart"
        found[other] = Candidate(other, float(row.weight), why, pro, against, None, refused)
    ranked = sorted(
        found.values(),
        key=lambda c: (c.item_id is None, -(c.weight if c.weight is not None else 99.0)),
    )
    return ranked[:limit]


def _apart(differ: list[str]) -> str:
    """Why two people are kept apart, in the phrases `mast.web.i18n_values` words."""
    return "kept apart: " + "; ".join(differ) if differ else CONTRADICT


_SAID_BY_PEOPLE = {
    "different NHS numbers": "different NHS numbers: ",
    "different dates of birth": "born ",
    "different given names": "given names ",
    "different sex": "recorded as ",
}
"""A record's level that a difference between the people already says, in more words."""


def _unique(parts: list[str]) -> list[str]:
    kept = list(dict.fromkeys(p for p in parts if p))
    return [
        p
        for p in kept
        if not (p in _SAID_BY_PEOPLE and any(k.startswith(_SAID_BY_PEOPLE[p]) for k in kept))
    ]


def ruled_apart(engine: sa.Engine, person_id: str) -> list[apart.Ruling]:
    """Living people a reviewer ruled are not this one, the newest ruling first."""
    with engine.connect() as conn:
        found = apart.ruled_apart(conn, [person_id]).get(person_id, {})
    return sorted(found.values(), key=lambda r: (r.on, r.person_id), reverse=True)


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
