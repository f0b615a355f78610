"""The audit trail: every read of personal data, committed before the data leaves.

Entries form a chain: each carries an HMAC of the previous entry's and its own contents,
and a sealed head records the last entry. Without the key nobody can edit, delete,
reorder or cut off entries and keep `verify` quiet (RELIABILITY P7). Keep `MAST_AUDIT_KEY`
away from the database in production: whoever holds both could rewrite history.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from mast.errors import AuditUnavailable
from mast.schema.tables import audit_entries, audit_head, audit_subjects, id_history

_CHAIN = "main"
_GENESIS = "0" * 64


@dataclass(frozen=True)
class Entry:
    username: str
    role: str
    agency: str
    purpose: str
    operation: str
    params: dict[str, Any]
    result_ids: Sequence[str] = ()
    outcome: str = "ok"


@dataclass(frozen=True)
class Problem:
    seq: int
    what: str


@dataclass
class Verdict:
    entries: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class AuditLog:
    def __init__(self, engine: sa.Engine, key: bytes) -> None:
        self.engine = engine
        self._key = key
        self._lock = threading.Lock()  # one writer per process; the head row for the rest
        with engine.begin() as conn:
            if conn.execute(sa.select(audit_head.c.seq)).first() is None:
                conn.execute(
                    audit_head.insert().values(
                        chain=_CHAIN, seq=0, mac=_GENESIS, seal=self._seal(0, _GENESIS)
                    )
                )

    def append(self, entry: Entry) -> int:
        """Commit one entry and return its number; AuditUnavailable if it cannot be."""
        params = json.dumps(entry.params, sort_keys=True, default=str, ensure_ascii=False)
        ids = sorted({str(i) for i in entry.result_ids})
        at = datetime.now(UTC).isoformat(timespec="microseconds")
        try:
            with self._lock, self.engine.begin() as conn:
                # Touch the head first: it takes the write lock before the head is read.
                conn.execute(
                    audit_head.update()
                    .where(audit_head.c.chain == _CHAIN)
                    .values(seq=audit_head.c.seq)
                )
                seq, prev = conn.execute(
                    sa.select(audit_head.c.seq, audit_head.c.mac).where(
                        audit_head.c.chain == _CHAIN
                    )
                ).one()
                row = {
                    "seq": seq + 1,
                    "at": at,
                    "username": entry.username,
                    "role": entry.role,
                    "agency": entry.agency,
                    "purpose": entry.purpose,
                    "operation": entry.operation,
                    "params": params,
                    "result_ids": json.dumps(ids),
                    "outcome": entry.outcome,
                }
                row["mac"] = self._mac(prev, row)
                conn.execute(audit_entries.insert().values(row))
                if ids:
                    conn.execute(
                        audit_subjects.insert(),
                        [{"seq": row["seq"], "subject_id": i} for i in ids],
                    )
                conn.execute(
                    audit_head.update()
                    .where(audit_head.c.chain == _CHAIN)
                    .values(seq=row["seq"], mac=row["mac"], seal=self._seal(row["seq"], row["mac"]))
                )
        except sa.exc.SQLAlchemyError as e:
            raise AuditUnavailable(
                f"the audit trail could not be written ({type(e).__name__}); nothing was returned"
            ) from e
        return int(row["seq"])

    def verify(self, conn: sa.Connection | None = None) -> Verdict:
        """Walk the chain: every entry must follow the last, match its mac, and the walk must
        end where the sealed head says; the subjects index must match the entries."""
        if conn is None:
            with self.engine.connect() as own:
                return self.verify(own)
        verdict = Verdict()
        prev, expected = _GENESIS, 1
        subjects: dict[int, set[str]] = {}
        for row in conn.execute(sa.select(audit_entries).order_by(audit_entries.c.seq)):
            entry = row._asdict()
            seq = int(entry["seq"])
            verdict.entries += 1
            if seq != expected:
                verdict.problems.append(
                    Problem(expected, f"entries {expected}–{seq - 1} are missing (deleted)")
                )
            if not hmac.compare_digest(self._mac(prev, entry), str(entry["mac"])):
                verdict.problems.append(
                    Problem(seq, "does not match its mac (edited, moved or inserted)")
                )
            ids = _ids(entry["result_ids"])
            if ids:
                subjects[seq] = ids
            prev, expected = str(entry["mac"]), seq + 1
        head = conn.execute(sa.select(audit_head).where(audit_head.c.chain == _CHAIN)).first()
        if head is None:
            verdict.problems.append(Problem(0, "the sealed head is missing"))
        elif not hmac.compare_digest(self._seal(head.seq, head.mac), head.seal):
            verdict.problems.append(Problem(head.seq, "the head's seal is wrong (head edited)"))
        elif head.seq != expected - 1 or head.mac != prev:
            verdict.problems.append(
                Problem(
                    expected - 1,
                    f"the chain ends at entry {expected - 1} but was sealed at entry "
                    f"{head.seq} (truncated, or entries added outside MAST)",
                )
            )
        indexed: dict[int, set[str]] = {}
        for seq, subject in conn.execute(
            sa.select(audit_subjects.c.seq, audit_subjects.c.subject_id)
        ):
            indexed.setdefault(int(seq), set()).add(str(subject))
        for seq in sorted(set(indexed) | set(subjects)):
            if indexed.get(seq) != subjects.get(seq):
                verdict.problems.append(Problem(seq, "the ids index differs from the entry"))
        return verdict

    def search(
        self,
        *,
        username: str | None = None,
        subject: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        before_seq: int | None = None,
    ) -> list[dict[str, Any]]:
        """Entries newest first, filtered by user, returned id and UTC time."""
        query = sa.select(audit_entries).order_by(audit_entries.c.seq.desc()).limit(limit)
        if username:
            query = query.where(audit_entries.c.username == username)
        if subject:
            query = query.where(
                audit_entries.c.seq.in_(
                    sa.select(audit_subjects.c.seq).where(audit_subjects.c.subject_id == subject)
                )
            )
        if since:
            query = query.where(audit_entries.c.at >= _iso(since))
        if until:
            query = query.where(audit_entries.c.at < _iso(until))
        if before_seq:
            query = query.where(audit_entries.c.seq < before_seq)
        with self.engine.connect() as conn:
            return [_public(row._asdict()) for row in conn.execute(query)]

    def viewed_then_unmerged(self, limit: int = 1000) -> list[dict[str, Any]]:
        """Entries that returned a person later split apart: whoever saw them may have seen
        another person's records under one name, and may need telling."""
        splits = (
            sa.select(id_history.c.old_id, sa.func.max(id_history.c.at).label("split_at"))
            .where(id_history.c.kind == "split", id_history.c.entity == "person")
            .group_by(id_history.c.old_id)
            .subquery()
        )
        query = (
            sa.select(audit_entries, splits.c.old_id, splits.c.split_at)
            .join(audit_subjects, audit_subjects.c.seq == audit_entries.c.seq)
            .join(splits, splits.c.old_id == audit_subjects.c.subject_id)
            .order_by(audit_entries.c.seq)
            .limit(limit)
        )
        out = []
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                entry = row._asdict()
                if str(entry["at"]) < _iso(entry["split_at"]):
                    public = _public(entry)
                    public["unmerged_id"] = entry["old_id"]
                    public["unmerged_at"] = _iso(entry["split_at"])
                    out.append(public)
        return out

    def _mac(self, prev: str, entry: dict[str, Any]) -> str:
        fields = [entry[c] for c in _CHAINED]
        text = prev + json.dumps(fields, ensure_ascii=False, separators=(",", ":"), default=str)
        return hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()

    def _seal(self, seq: int, mac: str) -> str:
        return hmac.new(self._key, f"head:{seq}:{mac}".encode(), hashlib.sha256).hexdigest()


_CHAINED = (
    "seq",
    "at",
    "username",
    "role",
    "agency",
    "purpose",
    "operation",
    "params",
    "result_ids",
    "outcome",
)


def _ids(text: str) -> set[str]:
    try:
        return {str(i) for i in json.loads(text)}
    except (TypeError, ValueError):
        return {"(unreadable)"}


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _public(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "seq": entry["seq"],
        "at": entry["at"],
        "username": entry["username"],
        "role": entry["role"],
        "agency": entry["agency"],
        "purpose": entry["purpose"],
        "operation": entry["operation"],
        "params": json.loads(entry["params"]),
        "result_ids": json.loads(entry["result_ids"]),
        "outcome": entry["outcome"],
    }
