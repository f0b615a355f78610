"""Reading the audit trail as an auditor does: what each user did, to whom, found by user,
person (a name or an id), date and action, a page at a time; and who saw a person whose
records were later split apart, once per viewer per split.

Only reads: the chain itself (`audit.py`) writes. People are named here, at read time, from
the state store; names are never written into the trail, and the caller audits the page
that shows them (its entry lists every person named).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

import sqlalchemy as sa

from mast.api.actions import CHOOSABLE, GRAPHQL_ACTIONS, LABELS, action_of, report_name
from mast.api.subjects import PERSON_ID, person_ids
from mast.core.db import chunks
from mast.schema.tables import (
    addresses,
    audit_entries,
    audit_subjects,
    decisions,
    id_history,
    persons,
    record_persons,
    records,
    users,
)
from mast.text.streets import one_line

PAGE: Final = 200
"""Entries on one page of the trail; older ones are a link away (keyset: `before`)."""
SCAN: Final = 20_000
"""Entries one page looks through for an action filter before it offers the next page."""
EXPORT: Final = 100_000
"""Entries one CSV export holds at most; the file says when there were more."""
NAMES_MATCHED: Final = 200
"""People a name search of the trail looks for at most."""
_BATCH = 1000
_NAMES_ONLY = ("audit", "audit-export", "audit-unmerged")
"""Auditors' reads name people but show none of their records: not 'viewed' for a split."""
_ID = re.compile(r"^[A-Za-z]*\d[\w:.-]*$")


@dataclass(frozen=True)
class Filters:
    user: str = ""
    person: str = ""
    """A person's name (any part of it), or an id (person, record, address)."""
    since: date | None = None
    until: date | None = None
    action: str = ""

    def asked(self) -> dict[str, str]:
        return {
            "user": self.user,
            "person": self.person,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
            "action": self.action,
        }


@dataclass(frozen=True)
class Row:
    seq: int
    at: str
    username: str
    role: str
    agency: str
    purpose: str
    operation: str
    outcome: str
    action: str
    report: str
    asked: list[str]
    """People the user asked for by id (the person opened, a report's person)."""
    shown: list[str]
    """Every id the entry returned, in full."""
    searched: str = ""
    """What a search asked for, as typed: what an auditor needs to see of a search."""

    @property
    def label(self) -> str:
        return LABELS.get(self.action, self.action)

    def described(self) -> str:
        """The action in English (the CSV's words; pages translate `label`)."""
        return self.label % {"name": self.report} if "%(name)s" in self.label else self.label


@dataclass
class Trail:
    rows: list[Row]
    older: int | None
    """`before` for the next page, when there may be older entries."""
    matched: dict[str, str] = field(default_factory=dict)
    """For a search by name: the people whose name matched (id → name)."""


def actions() -> list[tuple[str, str]]:
    """The filterable actions: code and English label."""
    return [(code, LABELS[code]) for code in CHOOSABLE]


def read(
    conn: sa.Connection, filters: Filters, *, before: int | None = None, limit: int = PAGE
) -> Trail:
    """One page of entries, newest first, and the cursor of the next."""
    matched = people_for(conn, filters.person) if filters.person.strip() else {}
    if filters.person.strip() and not matched:
        return Trail([], None, matched)
    rows: list[Row] = []
    older: int | None = None
    scanned = 0
    for row in _entries(conn, filters, list(matched), before):
        scanned += 1
        if filters.action and row.action != filters.action:
            if scanned >= SCAN:
                older = row.seq  # looked far enough: offer to look further back
                break
            continue
        rows.append(row)
        if len(rows) == limit:
            older = row.seq
            break
    return Trail(rows, older, matched)


def export(conn: sa.Connection, filters: Filters) -> tuple[list[Row], bool]:
    """Every matching entry, newest first, up to EXPORT; and whether there were more."""
    trail = read(conn, filters, limit=EXPORT)
    out = trail.rows
    while trail.older is not None and len(out) < EXPORT:  # an action filter scanned SCAN
        trail = read(conn, filters, before=trail.older, limit=EXPORT - len(out))
        out.extend(trail.rows)
    return out, trail.older is not None


def _entries(
    conn: sa.Connection, filters: Filters, subjects: Sequence[str], before: int | None
) -> Iterator[Row]:
    """Entries newest first, in batches, filtered in SQL by all but the action's details."""
    e = audit_entries.c
    query = sa.select(audit_entries).order_by(e.seq.desc()).limit(_BATCH)
    if filters.user.strip():
        query = query.where(e.username == filters.user.strip())
    if subjects:
        query = query.where(
            e.seq.in_(
                sa.select(audit_subjects.c.seq).where(audit_subjects.c.subject_id.in_(subjects))
            )
        )
    if filters.since:
        query = query.where(e.at >= filters.since.isoformat())
    if filters.until:
        query = query.where(e.at < (filters.until + timedelta(days=1)).isoformat())
    if filters.action:
        if filters.action in GRAPHQL_ACTIONS:
            # Entries carrying this action, or none (older entries: worked out in `_row`);
            # params are JSON with sorted keys and ": " between key and value.
            query = query.where(
                e.operation == "graphql",
                sa.or_(
                    e.params.contains(f'"action": "{filters.action}"', autoescape=True),
                    sa.not_(e.params.contains('"action": ', autoescape=True)),
                ),
            )
        else:
            query = query.where(e.operation == filters.action)
    cursor = before
    while True:
        batch = conn.execute(query.where(e.seq < cursor) if cursor else query).all()
        for found in batch:
            yield _row(found._asdict())
        if len(batch) < _BATCH:
            return
        cursor = int(batch[-1].seq)


def _row(entry: dict[str, Any]) -> Row:
    params = _json(entry["params"], {})
    if not isinstance(params, dict):
        params = {}
    shown = [str(i) for i in _json(entry["result_ids"], [])]
    graphql = entry["operation"] == "graphql"
    # Whom the user asked for: ids in what they sent (a GraphQL query may hold them inline).
    asked = person_ids([params.get("variables"), params.get("query")] if graphql else params)
    action = action_of(str(entry["operation"]), params)
    given = params.get("variables")
    variables: dict[str, Any] = given if isinstance(given, dict) else {}
    if action in _PLACE_ACTIONS and isinstance(variables.get("id"), str):
        asked.add(variables["id"])  # the place opened: an address page names no person
    return Row(
        seq=int(entry["seq"]),
        at=str(entry["at"]),
        username=str(entry["username"]),
        role=str(entry["role"]),
        agency=str(entry["agency"]),
        purpose=str(entry["purpose"]),
        operation=str(entry["operation"]),
        outcome=str(entry["outcome"]),
        action=action,
        report=report_name(params) if "%(name)s" in LABELS.get(action, "") else "",
        asked=sorted(asked),
        shown=shown,
        searched=_searched(variables) if action in _SEARCH_ACTIONS else "",
    )


_PLACE_ACTIONS = ("address-page", "address-api")
_SEARCH_ACTIONS = ("search", "search-api")


def _searched(variables: dict[str, Any]) -> str:
    """The words of a search: the box's text as typed, else the fields it was given."""
    if isinstance(variables.get("text"), str) and variables["text"].strip():
        return str(variables["text"]).strip()
    said = [str(v) for k, v in sorted(variables.items()) if isinstance(v, str) and v.strip()]
    return " · ".join(said)


def _json(text: Any, default: Any) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return default


# --- people, by name and by id -----------------------------------------------------------------


def names(conn: sa.Connection, ids: Sequence[str]) -> dict[str, str]:
    """Each person id's name as MAST holds it now (given and family name), and each
    address id's line."""
    wanted = sorted({i for i in ids if PERSON_ID.fullmatch(i)})
    out: dict[str, str] = {}
    for part in chunks(wanted):
        for pid, given, family in conn.execute(
            sa.select(persons.c.person_id, persons.c.given_name, persons.c.family_name).where(
                persons.c.person_id.in_(part)
            )
        ):
            out[str(pid)] = " ".join(str(n) for n in (given, family) if n) or "?"
    places = sorted({i for i in ids if i not in out and not PERSON_ID.fullmatch(i)})
    for part in chunks(places):
        for place in conn.execute(sa.select(addresses).where(addresses.c.address_id.in_(part))):
            if line := one_line(place):
                out[str(place.address_id)] = line
    return out


def display_names(conn: sa.Connection, usernames: Sequence[str]) -> dict[str, str]:
    """Each account's full name, where it has one: the trail keeps the user name."""
    out: dict[str, str] = {}
    for part in chunks(sorted(set(usernames))):
        for username, display in conn.execute(
            sa.select(users.c.username, users.c.display_name).where(users.c.username.in_(part))
        ):
            if display and display != username:
                out[str(username)] = str(display)
    return out


def people_for(conn: sa.Connection, text: str) -> dict[str, str]:
    """The people (or one id) an auditor means: an id as it is, else every person whose
    given, family or other names start with each word typed (at most NAMES_MATCHED)."""
    text = " ".join(text.split())[:100]
    if _ID.fullmatch(text):
        return {text: names(conn, [text]).get(text, "")}
    words = [w for w in text.replace(",", " ").split() if w]
    if not words:
        return {}
    query = sa.select(persons.c.person_id, persons.c.given_name, persons.c.family_name)
    for word in words:
        like = _escaped(word) + "%"
        query = query.where(
            sa.or_(
                persons.c.given_name.ilike(like, escape="\\"),
                persons.c.family_name.ilike(like, escape="\\"),
                persons.c.other_names.ilike("%" + like, escape="\\"),
            )
        )
    found = conn.execute(query.order_by(persons.c.person_id).limit(NAMES_MATCHED))
    return {
        str(pid): " ".join(str(n) for n in (given, family) if n) or "?"
        for pid, given, family in found
    }


def _escaped(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- viewed, then unmerged ---------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    username: str
    role: str
    agency: str
    views: int
    first: str
    last: str
    purposes: list[str]


@dataclass(frozen=True)
class Split:
    person: str
    """The id the person had (and that its largest part keeps)."""
    at: datetime
    moved: dict[str, list[str]]
    """Each new person id → the records that moved to it."""
    viewers: list[Viewer]
    """Who saw the person before the split (the reviewers who ruled it apart left out)."""
    ruled_by: list[str]


def viewed_then_unmerged(conn: sa.Connection, limit: int = 50) -> list[Split]:
    """The latest splits that someone had seen before they happened, newest first."""
    h = id_history.c
    events = conn.execute(
        sa.select(h.old_id, h.at, h.new_id)
        .where(h.entity == "person", h.kind == "split")
        .order_by(h.at.desc(), h.old_id, h.new_id)
        .limit(50 * limit)
    ).all()
    splits: dict[tuple[str, datetime], list[str]] = {}
    for old, at, new in events:
        splits.setdefault((str(old), at), []).append(str(new))
    out = []
    for (old, at), new_ids in splits.items():
        moved = _records_of(conn, new_ids)
        ruled_by = _ruled_apart_by(conn, at, [r for rs in moved.values() for r in rs], old)
        viewers = [v for v in _viewers(conn, old, at) if v.username not in ruled_by]
        if viewers:
            out.append(Split(old, at, moved, viewers, sorted(ruled_by)))
            if len(out) == limit:
                break
    return out


def _records_of(conn: sa.Connection, person_ids_: list[str]) -> dict[str, list[str]]:
    rp = record_persons.c
    out: dict[str, list[str]] = {p: [] for p in person_ids_}
    for pid, rid in conn.execute(
        sa.select(rp.person_id, rp.record_id)
        .where(rp.person_id.in_(person_ids_))
        .order_by(rp.person_id, rp.record_id)
    ):
        out[str(pid)].append(str(rid))
    return out


def _ruled_apart_by(conn: sa.Connection, at: datetime, moved: list[str], old: str) -> set[str]:
    """Who ruled 'different people' on a record that moved (or one that stayed), by then."""
    kept = [str(r) for r in conn.execute(
        sa.select(record_persons.c.record_id).where(record_persons.c.person_id == old)
    ).scalars()]  # fmt: skip
    involved = set(moved) | set(kept)
    d = decisions.c
    by: set[str] = set()
    for part in chunks(sorted(moved)):
        for record_a, record_b, who in conn.execute(
            sa.select(d.record_a, d.record_b, d.decided_by).where(
                d.decision == "unlink",
                d.decided_at <= at,
                sa.or_(d.record_a.in_(part), d.record_b.in_(part)),
            )
        ):
            if record_a in involved and record_b in involved:
                by.add(str(who))
    return by


def _viewers(conn: sa.Connection, person: str, at: datetime) -> list[Viewer]:
    e = audit_entries.c
    moment = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)
    seen: dict[str, list[Any]] = {}
    for row in conn.execute(
        sa.select(e.username, e.role, e.agency, e.purpose, e.at)
        .join(audit_subjects, audit_subjects.c.seq == e.seq)
        .where(
            audit_subjects.c.subject_id == person,
            e.at < moment.isoformat(timespec="microseconds"),
            e.operation.not_in(_NAMES_ONLY),
        )
        .order_by(e.seq)
    ):
        seen.setdefault(str(row.username), []).append(row)
    return [
        Viewer(
            username=user,
            role=str(rows[-1].role),
            agency=str(rows[-1].agency),
            views=len(rows),
            first=str(rows[0].at),
            last=str(rows[-1].at),
            purposes=sorted({str(r.purpose) for r in rows}),
        )
        for user, rows in sorted(seen.items())
    ]


def agencies_of(conn: sa.Connection, record_ids: Sequence[str]) -> dict[str, str]:
    """Each record's agency, to say which agencies' records moved."""
    out: dict[str, str] = {}
    for part in chunks(sorted(set(record_ids))):
        out.update(
            (str(rid), str(agency))
            for rid, agency in conn.execute(
                sa.select(records.c.record_id, records.c.agency).where(
                    records.c.record_id.in_(part)
                )
            )
        )
    return out
