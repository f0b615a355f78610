"""The review queue: what waits for a person to decide.

Pairs the model is unsure of (between the review and link weights), and pairs it scored as
one person but a constraint kept apart, wait for a person to decide: one item per pair of
people found by a run, showing their strongest pair of records. Pairs the model is sure of
never enter: those it linked, those below the review weight, and two people with two
different valid NHS numbers. The queue holds at most 1% of persons, filled by what hangs
on each item — an open case, recent activity, how many records would move — and each item
says in plain words what speaks for and against one person. Rulings on the items are
`rulings.py`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import pandas as pd
import sqlalchemy as sa

from mast.core.db import chunks
from mast.resolver.cluster import PARTNER_ID_WEIGHT, Clustering, nhs_is_valid
from mast.resolver.explain import contributions
from mast.schema.tables import (
    decisions,
    persons,
    record_persons,
    records,
    review_items,
)

QUEUE_SHARE = 0.01
"""Open items at most this share of persons: a queue a team can work, not a backlog."""
RECENT = timedelta(days=90)
"""Activity this recent on either side makes a wrong link or split matter now."""
_OPEN_CASE, _RECENT_ACTIVITY = 4.0, 2.0
"""What an item's priority adds for an open case and for recent activity; the records that
would move add log2(1 + records), so a case outranks size short of ~15 records moving."""


@dataclass(frozen=True)
class Item:
    item_id: int
    record_a: str
    record_b: str
    weight: float
    reason: str
    priority: float | None = None
    evidence: str | None = None  # for and against one person, in plain words


class _Side(NamedTuple):
    records: int
    last_seen: datetime | None
    nhs: str | None
    open_case: bool


def _sides(conn: sa.Connection, record_ids: set[str]) -> dict[str, tuple[str, _Side]]:
    """Each record's person and what hangs on that person: records, last activity, NHS
    number, and whether any of its records is an open case."""
    person_of: dict[str, str] = {}
    for part in chunks(sorted(record_ids)):
        person_of.update(
            conn.execute(
                sa.select(record_persons.c.record_id, record_persons.c.person_id).where(
                    record_persons.c.record_id.in_(part)
                )
            ).all()
        )
    about: dict[str, _Side] = {}
    for part in chunks(sorted(set(person_of.values()))):
        open_cases = set(
            conn.execute(
                sa.select(record_persons.c.person_id)
                .join(records, records.c.record_id == record_persons.c.record_id)
                .where(
                    record_persons.c.person_id.in_(part),
                    records.c.case_opened.is_not(None),
                    records.c.case_closed.is_(None),
                )
                .distinct()
            ).scalars()
        )
        for pid, n, last, nhs in conn.execute(
            sa.select(
                persons.c.person_id, persons.c.records, persons.c.last_seen, persons.c.nhs_number
            ).where(persons.c.person_id.in_(part))
        ):
            about[pid] = _Side(int(n or 0), last, nhs, pid in open_cases)
    return {
        rid: (pid, about.get(pid, _Side(1, None, None, False))) for rid, pid in person_of.items()
    }


def _stakes(a: _Side, b: _Side, now: datetime) -> tuple[float, list[str]]:
    """What hangs on a pair of people, as a priority and in words."""
    moving = min(a.records, b.records)
    words = [f"{moving} record{'s' if moving != 1 else ''} would move"]
    priority = math.log2(1 + moving)
    if a.open_case or b.open_case:
        priority += _OPEN_CASE
        words.insert(0, "an open case")
    if any(s.last_seen and now - s.last_seen <= RECENT for s in (a, b)):
        priority += _RECENT_ACTIVITY
        words.insert(1 if a.open_case or b.open_case else 0, "seen in the last 90 days")
    return priority, words


def _evidence(row: Any | None, model: dict[str, Any] | None, reason: str) -> str:
    """For and against, from the pair's comparisons: 'for: same family name; ... against: ...'."""
    out = []
    if row is not None and model is not None:
        parts = contributions(row, model)
        pro = [c.level for c in sorted(parts, key=lambda c: -c.weight) if c.weight >= 0.5]
        con = [c.level for c in sorted(parts, key=lambda c: c.weight) if c.weight <= -0.5]
        if pro:
            out.append("for: " + "; ".join(pro))
        if con:
            out.append("against: " + "; ".join(con))
    if reason == "conflict":
        out.append(
            "kept apart: joined, their people would hold names or dates of birth that no"
            " slip explains, or a partner's own id says otherwise"
        )
    return " | ".join(out)


def queue_for_review(
    conn: sa.Connection,
    scored: pd.DataFrame,
    clustering: Clustering,
    profile_of: dict[str, str],
    *,
    now: datetime,
    link: float,
    model: dict[str, Any] | None = None,
) -> int:
    """Queue uncertain pairs left apart and constrained pairs refused, the most at stake
    first, up to QUEUE_SHARE of persons open; returns items added."""
    example: dict[str, str] = {}
    for record_id, profile_id in sorted(profile_of.items(), reverse=True):
        example[profile_id] = record_id
    cluster_of = clustering.cluster_of
    candidates: list[tuple[str, str, float, str]] = []
    uncertain = scored[scored.weight < link]
    for a, b, w in zip(uncertain.profile_a, uncertain.profile_b, uncertain.weight, strict=True):
        if a in cluster_of and b in cluster_of and cluster_of[a] != cluster_of[b]:
            candidates.append((a, b, float(w), "uncertain"))
    for edge in clustering.refused:
        if cluster_of[edge.a] != cluster_of[edge.b]:
            weight = edge.weight if edge.weight < PARTNER_ID_WEIGHT else float("inf")
            candidates.append((edge.a, edge.b, weight, "conflict"))
    pending = {
        tuple(sorted(r))
        for r in conn.execute(
            sa.select(review_items.c.record_a, review_items.c.record_b).where(
                review_items.c.status == "open"
            )
        )
    } | {
        tuple(sorted(r))
        for r in conn.execute(sa.select(decisions.c.record_a, decisions.c.record_b))
    }
    # One question per pair of people: their strongest pair of profiles stands for the rest.
    candidates.sort(key=lambda c: (-c[2], c[0], c[1]))
    asked: set[tuple[str, str]] = set()
    chosen: list[tuple[str, str, str, str, float, str]] = []
    for a, b, weight, reason in candidates:
        if a not in example or b not in example:
            continue  # a profile whose records have all moved on
        people = (min(cluster_of[a], cluster_of[b]), max(cluster_of[a], cluster_of[b]))
        if people in asked:
            continue
        asked.add(people)
        ra, rb = sorted((example[a], example[b]))
        if (ra, rb) in pending:
            continue
        pending.add((ra, rb))
        chosen.append((ra, rb, a, b, weight, reason))
    room = _room(conn)
    if not chosen or room <= 0:
        return 0
    rows = _ranked(conn, chosen, scored, model, now)[:room]
    if rows:
        conn.execute(review_items.insert(), rows)
    return len(rows)


def _ranked(
    conn: sa.Connection,
    chosen: list[tuple[str, str, str, str, float, str]],
    scored: pd.DataFrame,
    model: dict[str, Any] | None,
    now: datetime,
) -> list[dict[str, Any]]:
    """Items for the chosen pairs (records a, b, profiles a, b, weight, reason), most at
    stake first; among equals the likelier match. Two valid NHS numbers are left out."""
    sides = _sides(conn, {r for c in chosen for r in c[:2]})
    rows_of = _scored_rows(scored, {(min(c[2], c[3]), max(c[2], c[3])) for c in chosen})
    ranked: list[tuple[float, float, str, str, dict[str, Any]]] = []
    for ra, rb, a, b, weight, reason in chosen:
        if ra not in sides or rb not in sides:
            continue
        (person_a, side_a), (person_b, side_b) = sides[ra], sides[rb]
        if person_a == person_b:
            continue
        if side_a.nhs and side_b.nhs and side_a.nhs != side_b.nhs and nhs_is_valid(side_a.nhs):
            continue  # two valid NHS numbers: certainly two people, nothing to ask
        priority, stakes = _stakes(side_a, side_b, now)
        evidence = _evidence(rows_of.get((min(a, b), max(a, b))), model, reason)
        item = {
            "record_a": ra,
            "record_b": rb,
            "weight": min(weight, 99.0),
            "reason": reason,
            "status": "open",
            "created_at": now,
            "priority": round(priority, 3),
            "evidence": "; ".join(stakes) + (" | " + evidence if evidence else ""),
        }
        ranked.append((-round(priority, 3), -min(weight, 99.0), ra, rb, item))
    ranked.sort(key=lambda r: r[:4])
    return [r[4] for r in ranked]


def _room(conn: sa.Connection) -> int:
    """Items the queue may still take: QUEUE_SHARE of living persons, less those open."""
    living = conn.execute(
        sa.select(sa.func.count())
        .select_from(persons)
        .where(persons.c.retired_into.is_(None), persons.c.records > 0)
    ).scalar()
    open_now = conn.execute(
        sa.select(sa.func.count())
        .select_from(review_items)
        .where(review_items.c.status == "open", review_items.c.reason != "reported")
    ).scalar()
    return max(1, math.floor(QUEUE_SHARE * int(living or 0))) - int(open_now or 0)


def _scored_rows(scored: pd.DataFrame, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    """The scored rows of these profile pairs (a < b), each with its comparisons' weights."""
    if scored.empty or not pairs:
        return {}
    keys = pd.Series(list(zip(scored.profile_a, scored.profile_b, strict=True)), dtype="object")
    wanted = scored[keys.isin(pairs).to_numpy()]
    return {(str(r.profile_a), str(r.profile_b)): r for r in wanted.itertuples(index=False)}


def open_items(conn: sa.Connection, *, limit: int = 50) -> list[Item]:
    query = (
        sa.select(
            review_items.c.item_id,
            review_items.c.record_a,
            review_items.c.record_b,
            review_items.c.weight,
            review_items.c.reason,
            review_items.c.priority,
            review_items.c.evidence,
        )
        .where(review_items.c.status == "open")
        # What a person reported comes first; then what is most at stake; then the
        # likeliest matches (items queued before priorities have none: last).
        .order_by(
            (review_items.c.reason == "reported").desc(),
            sa.func.coalesce(review_items.c.priority, -1.0).desc(),
            review_items.c.weight.desc(),
            review_items.c.item_id,
        )
        .limit(limit)
    )
    return [Item(*row) for row in conn.execute(query)]
