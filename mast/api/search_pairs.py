"""Which people in a list of search hits may be one person: the resolver scored a pair of
their records at or above the review weight but kept them apart (a near miss, or a
constraint), or a pair of them waits in the review queue. A reviewer's "not the same"
ruling between them settles it: no "possibly the same" cue, but "a reviewer ruled these
are different people (on <date>)" (`ruled_apart`), so two hits alike in every detail
shown are told apart. A pair whose people plainly differ (`resolver.apart`: born 29
years apart, two NHS numbers) is "kept apart" with that reason (`kept_apart`), not
offered as possibly one person.

A cue in a result list, not the evidence: the person page shows why.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from mast.core.db import chunks
from mast.resolver import apart
from mast.schema.tables import (
    decisions,
    person_edges,
    person_profiles,
    record_persons,
    review_items,
)


@dataclass(frozen=True)
class Cues:
    """For each hit, the other hits it may be, is kept apart from (and why), or was ruled
    apart from (and when)."""

    same: dict[str, set[str]]
    kept_apart: dict[str, dict[str, str]]
    ruled_apart: dict[str, dict[str, datetime]]


def possibly_same(engine: sa.Engine, person_ids: Iterable[str]) -> dict[str, set[str]]:
    """Each hit's ids that may be the same person, among these ids only."""
    return cues(engine, person_ids).same


def cues(engine: sa.Engine, person_ids: Iterable[str]) -> Cues:
    """What to say between hits, among these ids only."""
    wanted = sorted(set(person_ids))
    out: dict[str, set[str]] = defaultdict(set)
    kept: dict[str, dict[str, str]] = defaultdict(dict)
    ruled_on: dict[str, dict[str, datetime]] = defaultdict(dict)
    if len(wanted) < 2:
        return Cues(out, kept, ruled_on)
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
        rulings = apart.ruled_apart(conn, wanted)
        open_pairs = sorted(pairs - ruled_apart)
        told = apart.between(conn, [*open_pairs, *((b, a) for a, b in open_pairs)])
    among = set(wanted)
    for me, others in rulings.items():
        for other, ruling in others.items():
            if other in among:
                ruled_on[me][other] = ruling.on
    for a, b in pairs - ruled_apart:
        if told.get((a, b)):  # each side reads its own values first
            kept[a][b] = "; ".join(told[(a, b)])
            kept[b][a] = "; ".join(told[(b, a)])
            continue
        out[a].add(b)
        out[b].add(a)
    return Cues(out, kept, ruled_on)


def _of_people(pairs: Iterable[Sequence[Any]], person_of: dict[str, str]) -> set[tuple[str, str]]:
    """Pairs of ids as pairs of two different people among those wanted (smaller id first)."""
    out = set()
    for a, b in pairs:
        pa, pb = person_of.get(a), person_of.get(b)
        if pa and pb and pa != pb:
            out.add((min(pa, pb), max(pa, pb)))
    return out
