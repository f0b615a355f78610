"""The review queue and reviewers' rulings.

Pairs the model is unsure of (between the review and link weights), and pairs it was sure
of but a constraint kept apart, wait for a person to decide: one item per pair of people
found by a run, showing their strongest pair of records. A ruling — link or unlink —
is stored with who and why, always wins over the model, and survives every later run: the
records it names get profiles of their own, so the ruling binds exactly them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from mast.errors import MastError
from mast.resolver.cluster import PARTNER_ID_WEIGHT, Clustering
from mast.schema.tables import decisions, record_persons, records, review_items


class ReviewError(MastError):
    """A review item or record does not exist, or the ruling is not link / unlink."""


@dataclass(frozen=True)
class Item:
    item_id: int
    record_a: str
    record_b: str
    weight: float
    reason: str


def queue_for_review(
    conn: sa.Connection,
    scored: pd.DataFrame,
    clustering: Clustering,
    profile_of: dict[str, str],
    *,
    now: datetime,
    link: float,
) -> int:
    """Queue uncertain pairs left apart and constrained pairs refused; returns items added."""
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
    rows = []
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
        rows.append(
            {
                "record_a": ra,
                "record_b": rb,
                "weight": min(weight, 99.0),
                "reason": reason,
                "status": "open",
                "created_at": now,
            }
        )
    if rows:
        conn.execute(review_items.insert(), rows)
    return len(rows)


def open_items(conn: sa.Connection, *, limit: int = 50) -> list[Item]:
    query = (
        sa.select(
            review_items.c.item_id,
            review_items.c.record_a,
            review_items.c.record_b,
            review_items.c.weight,
            review_items.c.reason,
        )
        .where(review_items.c.status == "open")
        # What a person reported comes first; then the likeliest matches.
        .order_by(
            (review_items.c.reason == "reported").desc(),
            review_items.c.weight.desc(),
            review_items.c.item_id,
        )
        .limit(limit)
    )
    return [Item(*row) for row in conn.execute(query)]


def decide(
    engine: sa.Engine,
    *,
    record_a: str,
    record_b: str,
    decision: str,
    by: str,
    reason: str,
    now: datetime,
) -> int:
    """Store a ruling on two records; it takes effect at the next resolve. Returns its id."""
    if decision not in ("link", "unlink"):
        raise ReviewError("a ruling is 'link' or 'unlink'")
    if not by.strip() or not reason.strip():
        raise ReviewError("a ruling needs who made it and why (--by and --reason)")
    with engine.begin() as conn:
        known = set(
            conn.execute(
                sa.select(record_persons.c.record_id).where(
                    record_persons.c.record_id.in_([record_a, record_b])
                )
            ).scalars()
        )
        if known != {record_a, record_b}:
            raise ReviewError("both records must exist and have been resolved; run mast resolve")
        decision_id = conn.execute(
            decisions.insert().values(
                record_a=record_a,
                record_b=record_b,
                decision=decision,
                decided_by=by,
                reason=reason,
                decided_at=now,
            )
        ).inserted_primary_key
        assert decision_id is not None  # noqa: S101 - an autoincrement insert returns its key
        conn.execute(
            review_items.update().where(_open_pair(record_a, record_b)).values(status="decided")
        )
    return int(decision_id[0])


def decide_item(
    engine: sa.Engine, item_id: int, *, decision: str, by: str, reason: str, now: datetime
) -> int:
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(review_items.c.record_a, review_items.c.record_b).where(
                review_items.c.item_id == item_id
            )
        ).first()
    if row is None:
        raise ReviewError(f"no review item {item_id}; see mast review list")
    return decide(
        engine,
        record_a=row.record_a,
        record_b=row.record_b,
        decision=decision,
        by=by,
        reason=reason,
        now=now,
    )


def unlink_from_person(
    engine: sa.Engine, record_id: str, *, by: str, reason: str, now: datetime
) -> list[int]:
    """'This is not the same person': keep one record apart from every other of its person."""
    with engine.connect() as conn:
        others = _other_records(conn, record_id)
    return [
        decide(
            engine,
            record_a=record_id,
            record_b=other,
            decision="unlink",
            by=by,
            reason=reason,
            now=now,
        )
        for other in others
    ]


def _other_records(conn: sa.Connection, record_id: str) -> list[str]:
    """The other records of this record's person, by id."""
    person = conn.execute(
        sa.select(record_persons.c.person_id).where(record_persons.c.record_id == record_id)
    ).scalar()
    if person is None:
        raise ReviewError("that record has not been resolved to a person")
    return list(
        conn.execute(
            sa.select(record_persons.c.record_id)
            .where(record_persons.c.person_id == person, record_persons.c.record_id != record_id)
            .order_by(record_persons.c.record_id)
        ).scalars()
    )


def _open_pair(record_a: str, record_b: str) -> sa.ColumnElement[bool]:
    """An open review item about these two records, either way round."""
    return sa.and_(
        review_items.c.status == "open",
        sa.or_(
            sa.and_(review_items.c.record_a == record_a, review_items.c.record_b == record_b),
            sa.and_(review_items.c.record_a == record_b, review_items.c.record_b == record_a),
        ),
    )


def report_link(engine: sa.Engine, record_id: str, *, now: datetime) -> int:
    """'This is not the same person': queue the record, paired with another record of its
    person (the first by id), for a reviewer (reason `reported`). Returns the item; an open
    one for the same pair is reused. Unlinking it in review keeps the record apart."""
    with engine.begin() as conn:
        others = _other_records(conn, record_id)
        if not others:
            raise ReviewError("the person has no other record to be told apart from")
        other = others[0]
        existing = conn.execute(
            sa.select(review_items.c.item_id).where(_open_pair(record_id, other))
        ).scalar()
        if existing is not None:
            return int(existing)
        key = conn.execute(
            review_items.insert().values(
                record_a=record_id,
                record_b=other,
                weight=0.0,
                reason="reported",
                status="open",
                created_at=now,
            )
        ).inserted_primary_key
    assert key is not None  # noqa: S101 - an autoincrement insert returns its key
    return int(key[0])


def records_of(conn: sa.Connection, record_ids: list[str]) -> dict[str, dict[str, object]]:
    """What each partner wrote, for a reviewer to compare side by side."""
    shown = (
        "record_id", "feed", "agency", "occurred_at", "given_name", "middle_names",
        "family_name", "dob", "sex", "nhs_number", "address_text", "postcode", "role",
    )  # fmt: skip
    rows = conn.execute(
        sa.select(*(records.c[c] for c in shown), record_persons.c.person_id)
        .outerjoin(record_persons, record_persons.c.record_id == records.c.record_id)
        .where(records.c.record_id.in_(record_ids))
    )
    return {str(r.record_id): r._asdict() for r in rows}
