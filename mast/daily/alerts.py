"""Watches and alerts: a user asks to be told when ANOTHER agency records something new
about a person or an address, or (a case lead's opt-in) when another agency looks their
person up.

Computed after each daily run's graph step (`compute`), from the state store alone:
- a `records` watch has a cursor, the newest file it has seen; records first loaded from
  a later file, linked to the watched person (or address) and from an agency other than
  the watcher's, become one alert per agency with a count. The daily run holds its lock
  and has just resolved, so every file up to the newest is linked when the cursor moves.
- a `lookups` watch has a cursor in the audit trail; each later read by another agency
  that returned the person becomes an alert with the reader's agency, role and purpose.
A watch on a person who is merged into another follows the survivor. Alerts hold counts
and agencies, never the records themselves: the watcher opens the page to read those,
as audited as any page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa

from mast.schema.tables import (
    addresses,
    alert_contacts,
    alerts,
    audit_entries,
    audit_subjects,
    files,
    persons,
    record_addresses,
    record_persons,
    records,
    watches,
)

SubjectKind = Literal["person", "address"]
WatchKind = Literal["records", "lookups"]
SUBJECT_KINDS: tuple[SubjectKind, ...] = ("person", "address")
OWN_OPERATIONS = frozenset({"watch", "unwatch", "alerts", "alert-email"})
"""The alert pages' own audit entries: reading one's alerts is not looking a person up."""
_HOPS = 32
"""Merges followed at most (a chain longer than this is a loop, and is left alone)."""


@dataclass(frozen=True)
class Watch:
    watch_id: int
    username: str
    agency: str
    subject_kind: str
    subject_id: str
    kind: str
    created_at: datetime


def _watch(row: Any) -> Watch:
    return Watch(
        row.watch_id,
        row.username,
        row.agency,
        row.subject_kind,
        row.subject_id,
        row.kind,
        row.created_at,
    )


def _newest(conn: sa.Connection) -> tuple[int, int]:
    """The newest file and audit entry: a new watch sees only what comes after them."""
    file_id = conn.execute(sa.select(sa.func.max(files.c.file_id))).scalar()
    seq = conn.execute(sa.select(sa.func.max(audit_entries.c.seq))).scalar()
    return int(file_id or 0), int(seq or 0)


def add_watch(
    engine: sa.Engine,
    *,
    username: str,
    agency: str,
    subject_kind: str,
    subject_id: str,
    kind: str,
    now: datetime,
) -> Watch:
    """Watch from now on; asking twice keeps the first watch (and its cursor)."""
    with engine.begin() as conn:
        found = conn.execute(
            sa.select(watches).where(
                watches.c.username == username,
                watches.c.subject_kind == subject_kind,
                watches.c.subject_id == subject_id,
                watches.c.kind == kind,
            )
        ).first()
        if found is not None:
            return _watch(found)
        cursor_file, cursor_seq = _newest(conn)
        values = {
            "username": username,
            "agency": agency,
            "subject_kind": subject_kind,
            "subject_id": subject_id,
            "kind": kind,
            "cursor_file": cursor_file,
            "cursor_seq": cursor_seq,
            "created_at": now,
        }
        made = conn.execute(watches.insert().values(**values)).inserted_primary_key
        watch_id = made[0] if made else 0
        return Watch(int(watch_id), username, agency, subject_kind, subject_id, kind, now)


def remove_watch(engine: sa.Engine, *, username: str, watch_id: int) -> Watch | None:
    """Stop watching (one's own watches only); its alerts go with it."""
    with engine.begin() as conn:
        found = conn.execute(
            sa.select(watches).where(watches.c.watch_id == watch_id, watches.c.username == username)
        ).first()
        if found is None:
            return None
        conn.execute(alerts.delete().where(alerts.c.watch_id == watch_id))
        conn.execute(watches.delete().where(watches.c.watch_id == watch_id))
        return _watch(found)


def watches_of(
    engine: sa.Engine,
    username: str,
    subject_kind: str | None = None,
    subject_id: str | None = None,
) -> list[Watch]:
    query = sa.select(watches).where(watches.c.username == username)
    if subject_kind is not None and subject_id is not None:
        query = query.where(
            watches.c.subject_kind == subject_kind, watches.c.subject_id == subject_id
        )
    with engine.connect() as conn:
        return [_watch(r) for r in conn.execute(query.order_by(watches.c.watch_id))]


def leads_open_case(engine: sa.Engine, agency: str, person_id: str) -> bool:
    """Whether `agency` has an open case about the person: its latest record of the case
    says open. Only then may its user ask to be told of other agencies' look-ups."""
    latest = (
        sa.select(
            records.c.feed,
            records.c.case_ref,
            records.c.case_status,
            sa.func.row_number()
            .over(
                partition_by=(records.c.feed, records.c.case_ref),
                order_by=(records.c.occurred_at.desc(), records.c.record_id.desc()),
            )
            .label("n"),
        )
        .join(record_persons, record_persons.c.record_id == records.c.record_id)
        .where(
            record_persons.c.person_id == person_id,
            records.c.agency == agency,
            records.c.case_ref.is_not(None),
        )
        .subquery()
    )
    query = sa.select(sa.func.count()).where(latest.c.n == 1, latest.c.case_status == "open")
    with engine.connect() as conn:
        return bool(conn.execute(query.select_from(latest)).scalar())


# --- after each daily run --------------------------------------------------------------------


def _current(conn: sa.Connection, subject_kind: str, subject_id: str) -> str:
    """The id a merged person or address lives on as."""
    table = persons if subject_kind == "person" else addresses
    key = table.c.person_id if subject_kind == "person" else table.c.address_id
    seen = subject_id
    for _ in range(_HOPS):
        into = conn.execute(sa.select(table.c.retired_into).where(key == seen)).scalar()
        if not into:
            return seen
        seen = str(into)
    return subject_id


def _new_records(conn: sa.Connection, watch: _Watched, upto: int) -> list[tuple[str, int]]:
    """Other agencies' records first loaded after the watch's cursor: (agency, count)."""
    link, key = (
        (record_persons, record_persons.c.person_id)
        if watch.subject_kind == "person"
        else (record_addresses, record_addresses.c.address_id)
    )
    query = (
        sa.select(records.c.agency, sa.func.count())
        .join(link, link.c.record_id == records.c.record_id)
        .where(
            key == watch.subject_id,
            records.c.first_file_id > watch.cursor_file,
            records.c.first_file_id <= upto,
            records.c.agency != watch.agency,
        )
        .group_by(records.c.agency)
        .order_by(records.c.agency)
    )
    return [(str(agency), int(n)) for agency, n in conn.execute(query)]


def _lookups(conn: sa.Connection, watch: _Watched, upto: int) -> list[Any]:
    """Other agencies' reads that returned the person, after the watch's cursor."""
    query = (
        sa.select(
            audit_entries.c.seq,
            audit_entries.c.at,
            audit_entries.c.agency,
            audit_entries.c.role,
            audit_entries.c.purpose,
        )
        .join(audit_subjects, audit_subjects.c.seq == audit_entries.c.seq)
        .where(
            audit_subjects.c.subject_id == watch.subject_id,
            audit_entries.c.seq > watch.cursor_seq,
            audit_entries.c.seq <= upto,
            audit_entries.c.agency != watch.agency,
            audit_entries.c.role != "system",
            audit_entries.c.outcome == "ok",
            audit_entries.c.operation.not_in(sorted(OWN_OPERATIONS)),
        )
        .order_by(audit_entries.c.seq)
    )
    return list(conn.execute(query))


def _merged(conn: sa.Connection, stored: Any, subject: str) -> bool:
    """Point a watch at the person (or address) its subject was merged into; True if the
    user already watched that one too, when this watch is folded into theirs."""
    same = conn.execute(
        sa.select(watches.c.watch_id).where(
            watches.c.username == stored.username,
            watches.c.subject_kind == stored.subject_kind,
            watches.c.subject_id == subject,
            watches.c.kind == stored.kind,
        )
    ).scalar()
    if same is None:
        conn.execute(
            watches.update().where(watches.c.watch_id == stored.watch_id).values(subject_id=subject)
        )
        return False
    conn.execute(alerts.update().where(alerts.c.watch_id == stored.watch_id).values(watch_id=same))
    conn.execute(watches.delete().where(watches.c.watch_id == stored.watch_id))
    return True


@dataclass(frozen=True)
class _Watched:
    """A watches row, its subject as it is now."""

    watch_id: int
    username: str
    agency: str
    subject_kind: str
    subject_id: str
    kind: str
    cursor_file: int
    cursor_seq: int
    created_at: datetime


def compute(engine: sa.Engine, *, now: datetime) -> dict[str, int]:
    """Every watch's new alerts since its cursor, and the cursors moved on, in one
    transaction: run twice, it finds nothing the second time."""
    made = {"watches": 0, "record_alerts": 0, "lookup_alerts": 0}
    with engine.begin() as conn:
        upto_file, upto_seq = _newest(conn)
        for stored in conn.execute(sa.select(watches).order_by(watches.c.watch_id)).all():
            made["watches"] += 1
            subject = _current(conn, stored.subject_kind, stored.subject_id)
            if subject != stored.subject_id and _merged(conn, stored, subject):
                continue
            watch = _Watched(**{**stored._asdict(), "subject_id": subject})
            base = {
                "watch_id": watch.watch_id,
                "username": watch.username,
                "subject_kind": watch.subject_kind,
                "subject_id": subject,
                "created_at": now,
            }
            rows: list[dict[str, Any]] = []
            if watch.kind == "records":
                rows = [
                    {**base, "kind": "records", "agency": a, "records": n, "happened_at": now}
                    for a, n in _new_records(conn, watch, upto_file)
                ]
                made["record_alerts"] += len(rows)
            elif watch.subject_kind == "person":
                rows = [
                    {
                        **base,
                        "kind": "lookup",
                        "agency": e.agency,
                        "records": 1,
                        "role": e.role,
                        "purpose": e.purpose,
                        "happened_at": datetime.fromisoformat(e.at).replace(tzinfo=None),
                    }
                    for e in _lookups(conn, watch, upto_seq)
                ]
                made["lookup_alerts"] += len(rows)
            if rows:
                conn.execute(alerts.insert(), rows)
            conn.execute(
                watches.update()
                .where(watches.c.watch_id == watch.watch_id)
                .values(cursor_file=max(upto_file, watch.cursor_file), cursor_seq=upto_seq)
            )
    return made


# --- what a user reads ---------------------------------------------------------------------------


def unseen(engine: sa.Engine, username: str) -> int:
    """Alerts not yet shown on the user's watching page: the count in the navigation."""
    query = sa.select(sa.func.count()).where(
        alerts.c.username == username, alerts.c.seen_at.is_(None)
    )
    with engine.connect() as conn:
        return int(conn.execute(query).scalar() or 0)


@dataclass(frozen=True)
class Watching:
    """A user's watches, each with its subject's name or address line, and their alerts,
    newest first; `new` marks alerts shown for the first time."""

    watches: list[dict[str, Any]]
    alerts: list[dict[str, Any]]

    def subject_ids(self) -> list[str]:
        return sorted({w["subject_id"] for w in self.watches})


def _labels(conn: sa.Connection, kind: str, ids: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    if kind == "person":
        found = conn.execute(
            sa.select(persons.c.person_id, persons.c.given_name, persons.c.family_name).where(
                persons.c.person_id.in_(wanted)
            )
        )
        return {pid: " ".join(n for n in (g, f) if n) or pid for pid, g, f in found}
    found_addresses = conn.execute(sa.select(addresses).where(addresses.c.address_id.in_(wanted)))
    return {a.address_id: _line(a) or a.address_id for a in found_addresses}


def _line(a: Any) -> str:
    """An address on one line, as the graph writes it (mast/graph/projection.py)."""
    flat = " ".join(x for x in (f"Flat {a.flat}" if a.flat else None, a.building) if x)
    door = " ".join(x for x in (a.house_number, a.street) if x)
    return ", ".join(x for x in (flat, door, a.locality, a.town, a.postcode) if x)


def read(engine: sa.Engine, username: str, *, now: datetime, limit: int = 200) -> Watching:
    """The watching page's content; its unseen alerts are marked seen (in the caller's
    transaction, with the audit entry of the read)."""
    with engine.begin() as conn:
        mine = conn.execute(
            sa.select(watches).where(watches.c.username == username).order_by(watches.c.watch_id)
        ).all()
        found = conn.execute(
            sa.select(alerts)
            .where(alerts.c.username == username)
            .order_by(alerts.c.created_at.desc(), alerts.c.alert_id.desc())
            .limit(limit)
        ).all()
        labels = {
            kind: _labels(
                conn,
                kind,
                [w.subject_id for w in mine if w.subject_kind == kind]
                + [a.subject_id for a in found if a.subject_kind == kind],
            )
            for kind in SUBJECT_KINDS
        }
        conn.execute(
            alerts.update()
            .where(alerts.c.username == username, alerts.c.seen_at.is_(None))
            .values(seen_at=now)
        )
    return Watching(
        [{**w._asdict(), "label": labels[w.subject_kind].get(w.subject_id)} for w in mine],
        [
            {
                **a._asdict(),
                "label": labels[a.subject_kind].get(a.subject_id),
                "new": a.seen_at is None,
            }
            for a in found
        ],
    )


def set_email(engine: sa.Engine, username: str, email: str | None, *, now: datetime) -> None:
    """Where the user's alerts are e-mailed; None stops the e-mails."""
    with engine.begin() as conn:
        conn.execute(alert_contacts.delete().where(alert_contacts.c.username == username))
        if email:
            conn.execute(
                alert_contacts.insert().values(username=username, email=email, updated_at=now)
            )


def email_of(engine: sa.Engine, username: str) -> str | None:
    with engine.connect() as conn:
        found = conn.execute(
            sa.select(alert_contacts.c.email).where(alert_contacts.c.username == username)
        ).scalar()
    return str(found) if found else None


def to_email(engine: sa.Engine) -> list[tuple[str, str, list[int]]]:
    """(username, address, alert ids) of each user with an e-mail address and alerts
    neither read in MAST nor e-mailed yet."""
    query = (
        sa.select(alerts.c.username, alert_contacts.c.email, alerts.c.alert_id)
        .join(alert_contacts, alert_contacts.c.username == alerts.c.username)
        .where(alerts.c.seen_at.is_(None), alerts.c.emailed_at.is_(None))
        .order_by(alerts.c.username, alerts.c.alert_id)
    )
    out: dict[tuple[str, str], list[int]] = {}
    with engine.connect() as conn:
        for username, email, alert_id in conn.execute(query):
            out.setdefault((username, email), []).append(int(alert_id))
    return [(u, e, ids) for (u, e), ids in out.items()]


def mark_emailed(engine: sa.Engine, alert_ids: list[int], *, now: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(alerts.update().where(alerts.c.alert_id.in_(alert_ids)).values(emailed_at=now))
