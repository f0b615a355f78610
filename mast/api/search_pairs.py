"""Which people in a list of search hits may be one person: the resolver scored a pair of
their records at or above the review weight but kept them apart (a near miss, or a
constraint), or a pair of them waits in the review queue. A reviewer's "not the same"
ruling between them settles it, and no cue is shown.

A cue in a result list, not the evidence: the person page shows why.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from mast.core.db import chunks
from mast.schema.tables import (
    decisions,
    person_edges,
    person_profiles,
    record_persons,
    review_items,
)


def possibly_same(engine: sa.Engine, person_ids: Iterable[str]) -> dict[str, set[str]]:
    """Each hit's ids that may be the same person, among these ids only."""
    wanted = sorted(set(person_ids))
    out: dict[str, set[str]] = defaultdict(set)
    if len(wanted) < 2:
        return out
    with engine.connect() as conn:
        person_of_profile = dict(
            conn.execute(
                sa.select(person_profiles.c.profile_id, person_profiles.c.person_id).where(
                    person_profiles.c.person_id.in_(wanted)
                )
            ).all()
        )
        person_of_record = dict(
            conn.execute(
                sa.select(record_persons.c.record_id, record_persons.c.person_id).where(
                    record_persons.c.person_id.in_(wanted)
                )
            ).all()
        )
        pairs: set[tuple[str, str]] = set()
        profiles = sorted(person_of_profile)
        for chunk in chunks(profiles, 400):
            rows = conn.execute(
                sa.select(person_edges.c.profile_a, person_edges.c.profile_b).where(
                    person_edges.c.profile_a.in_(chunk) | person_edges.c.profile_b.in_(chunk)
                )
            ).all()
            pairs |= _of_people(rows, person_of_profile)
        records = sorted(person_of_record)
        ruled_apart: set[tuple[str, str]] = set()
        for chunk in chunks(records, 400):
            queued = conn.execute(
                sa.select(review_items.c.record_a, review_items.c.record_b).where(
                    (review_items.c.status == "open") & review_items.c.record_a.in_(chunk)
                )
            ).all()
            pairs |= _of_people(queued, person_of_record)
            ruled = conn.execute(
                sa.select(decisions.c.record_a, decisions.c.record_b).where(
                    (decisions.c.decision == "unlink") & decisions.c.record_a.in_(chunk)
                )
            ).all()
            ruled_apart |= _of_people(ruled, person_of_record)
    for a, b in pairs - ruled_apart:
        out[a].add(b)
        out[b].add(a)
    return out


def _of_people(pairs: Iterable[Sequence[Any]], person_of: dict[str, str]) -> set[tuple[str, str]]:
    """Pairs of ids as pairs of two different people among those wanted (smaller id first)."""
    out = set()
    for a, b in pairs:
        pa, pb = person_of.get(a), person_of.get(b)
        if pa and pb and pa != pb:
            out.add((min(pa, pb), max(pa, pb)))
    return out
