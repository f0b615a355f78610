"""Reviewers' rulings: link or unlink two records, and a report that a record is not its
person's.

A ruling is stored with who and why, always wins over the model, and survives every later
run: the records it names get profiles of their own, so the ruling binds exactly them.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from mast.core.db import inserted_key
from mast.core.errors import MastError
from mast.schema.tables import decisions, disputes, record_persons, review_items


class ReviewError(MastError):
    """A review item or record does not exist, or the ruling is not link / unlink."""


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
        decision_id = inserted_key(
            conn,
            decisions,
            record_a=record_a,
            record_b=record_b,
            decision=decision,
            decided_by=by,
            reason=reason,
            decided_at=now,
        )
        conn.execute(
            review_items.update().where(_open_pair(record_a, record_b)).values(status="decided")
        )
    return decision_id


def decide_item(
    engine: sa.Engine, item_id: int, *, decision: str, by: str, reason: str, now: datetime
) -> int:
    """Rule on an item. Unlinking a reported item rules the REPORTED record apart from every
    other record of its person (`unlink_reported`): the item pairs it with just one of them,
    and a ruling on that pair alone lets clustering move either side."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(review_items.c.record_a, review_items.c.record_b).where(
                review_items.c.item_id == item_id
            )
        ).first()
        reported = reported_records(conn, item_id)
    if row is None:
        raise ReviewError(f"no review item {item_id}; see mast review list")
    if decision == "unlink" and reported:
        return unlink_reported(
            engine,
            item_id,
            reported,
            pair=(row.record_a, row.record_b),
            by=by,
            reason=reason,
            now=now,
        )
    return decide(
        engine,
        record_a=row.record_a,
        record_b=row.record_b,
        decision=decision,
        by=by,
        reason=reason,
        now=now,
    )


def reported_records(conn: sa.Connection, item_id: int) -> list[str]:
    """The records someone reported as not their person through this item, by id."""
    return sorted(
        set(
            conn.execute(
                sa.select(disputes.c.record_id).where(disputes.c.item_id == item_id)
            ).scalars()
        )
    )


def unlink_reported(
    engine: sa.Engine,
    item_id: int,
    reported: list[str],
    *,
    pair: tuple[str, str],
    by: str,
    reason: str,
    now: datetime,
) -> int:
    """Rule each reported record apart from every other record of its person, in one
    transaction, so the next run moves that record and keeps the rest together. Closes the
    item and any open item between a reported record and those it is now ruled apart from,
    except another record's own report (that still waits for its ruling). Returns the id of
    the ruling on the item's own pair."""
    if not by.strip() or not reason.strip():
        raise ReviewError("a ruling needs who made it and why (--by and --reason)")
    ids: dict[tuple[str, str], int] = {}
    with engine.begin() as conn:
        for record_id in reported:
            others = set(_other_records(conn, record_id)) - set(reported)
            others |= set(pair) - {record_id}  # the item's own pair, even if a run moved it
            for other in sorted(others):
                ids[(record_id, other)] = inserted_key(
                    conn,
                    decisions,
                    record_a=record_id,
                    record_b=other,
                    decision="unlink",
                    decided_by=by,
                    reason=reason,
                    decided_at=now,
                )
            conn.execute(
                review_items.update()
                .where(
                    review_items.c.status == "open",
                    sa.or_(
                        review_items.c.item_id == item_id,
                        sa.and_(
                            review_items.c.record_a == record_id,
                            review_items.c.record_b.in_(sorted(others)),
                        ),
                        sa.and_(
                            review_items.c.record_b == record_id,
                            review_items.c.record_a.in_(sorted(others)),
                            review_items.c.reason != "reported",
                        ),
                    ),
                )
                .values(status="decided")
            )
    a, b = pair
    return ids.get((a, b)) or ids.get((b, a)) or min(ids.values())


def complete_reported_unlinks(engine: sa.Engine, *, now: datetime) -> int:
    """Bring reported records ruled apart before `unlink_reported` existed in line with it:
    such a ruling named the item's pair alone, so a run could move the partner and leave the
    reported record on its person, flagged as moving "at the next run" for good. Each such
    record still on the person it was reported on is ruled apart from that person's other
    records, in the reviewer's name and words (the day run reads them as new rulings).
    Returns the records ruled apart."""
    with engine.connect() as conn:
        stuck = conn.execute(
            sa.select(disputes.c.record_id, review_items.c.record_a, review_items.c.record_b)
            .join(review_items, review_items.c.item_id == disputes.c.item_id)
            .join(record_persons, on_reported_person())
            .where(review_items.c.status != "open")
            .order_by(disputes.c.dispute_id)
        ).all()
    done = 0
    for record_id, record_a, record_b in stuck:
        partner = record_a if record_b == record_id else record_b
        with engine.begin() as conn:
            ruling = conn.execute(
                sa.select(decisions.c.decision, decisions.c.decided_by, decisions.c.reason)
                .where(ruling_on(record_id, partner))
                .order_by(decisions.c.decision_id.desc())
            ).first()
            if ruling is None or ruling.decision != "unlink":
                continue
            ruled = {
                r
                for row in conn.execute(
                    sa.select(decisions.c.record_a, decisions.c.record_b).where(
                        decisions.c.decision == "unlink",
                        sa.or_(
                            decisions.c.record_a == record_id, decisions.c.record_b == record_id
                        ),
                    )
                )
                for r in row
            }
            missing = [r for r in _other_records(conn, record_id) if r not in ruled]
            if not missing:
                continue
            conn.execute(
                decisions.insert(),
                [
                    {
                        "record_a": record_id,
                        "record_b": other,
                        "decision": "unlink",
                        "decided_by": ruling.decided_by,
                        "reason": ruling.reason,
                        "decided_at": now,
                    }
                    for other in missing
                ],
            )
            done += 1
    return done


def on_reported_person() -> sa.ColumnElement[bool]:
    """Joins `record_persons` to `disputes` where the reported record is still on the person
    it was reported on (once a run moves it, the dispute is settled)."""
    return sa.and_(
        record_persons.c.record_id == disputes.c.record_id,
        record_persons.c.person_id == disputes.c.person_id,
    )


def ruling_on(record_a: str, record_b: str) -> sa.ColumnElement[bool]:
    """A ruling on these two records, either way round."""
    return sa.or_(
        sa.and_(decisions.c.record_a == record_a, decisions.c.record_b == record_b),
        sa.and_(decisions.c.record_a == record_b, decisions.c.record_b == record_a),
    )


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
    report of the same record is reused, but never another record's item, so each item's
    reported record is its Record 1 and no other. Unlinking it in review keeps the record
    apart from all of its person's other records (`unlink_reported`)."""
    with engine.begin() as conn:
        others = _other_records(conn, record_id)
        if not others:
            raise ReviewError("the person has no other record to be told apart from")
        other = others[0]
        existing = conn.execute(
            sa.select(review_items.c.item_id).where(
                review_items.c.status == "open",
                review_items.c.reason == "reported",
                review_items.c.record_a == record_id,
            )
        ).scalar()
        if existing is not None:
            return int(existing)
        return inserted_key(
            conn,
            review_items,
            record_a=record_id,
            record_b=other,
            weight=0.0,
            reason="reported",
            status="open",
            created_at=now,
        )
