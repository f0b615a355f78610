"""The audit trail: every read of personal data, committed before the data leaves.

Entries form a chain: each carries an HMAC of the previous entry's and its own contents,
and a sealed head records the last entry. Without the key nobody can edit, delete,
reorder or cut off entries and keep `verify` quiet (RELIABILITY P7). Keep `MAST_AUDIT_KEY`
away from the database in production: whoever holds both could rewrite history. The head is
also sealed outside the database (`audit_head.py`), so a wiped or replaced trail is found.

A state change and its entry commit in one transaction (`audited`): the entry's head row is
locked first, and if the entry cannot be written the change is rolled back with it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

import sqlalchemy as sa

from mast.audit.head import FILE_NAME, HeadFile, HeadFileError, Sealed
from mast.core import clock
from mast.core.errors import AuditUnavailable, ConfigError
from mast.core.keys import AUDIT_KEY_BYTES, MAKE_ONE, audit_key
from mast.core.settings import Settings
from mast.schema.tables import audit_entries, audit_head, audit_subjects, id_history

T = TypeVar("T")
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
    def __init__(self, engine: sa.Engine, key: bytes, head_file: Path | None = None) -> None:
        """`head_file`: where the head is sealed outside the database (`AuditLog.open` gives
        the home's); None keeps it in the database only, for tests of the chain itself."""
        if len(key) < AUDIT_KEY_BYTES:
            raise ConfigError(
                f"the audit key is {len(key)} bytes; at least {AUDIT_KEY_BYTES} are needed: "
                + MAKE_ONE
            )
        self.engine = engine
        self._key = key
        self._lock = threading.Lock()  # one writer per process; the head row for the rest
        self.head_file = HeadFile(head_file, self._seal) if head_file else None
        with engine.begin() as conn:
            head = conn.execute(sa.select(audit_head.c.seq, audit_head.c.mac)).first()
            if head is None:
                conn.execute(
                    audit_head.insert().values(
                        chain=_CHAIN, seq=0, mac=_GENESIS, seal=self._seal(0, _GENESIS)
                    )
                )
        self._floor = self._sealed_floor(0 if head is None else int(head.seq), head and head.mac)

    @classmethod
    def open(cls, engine: sa.Engine, settings: Settings) -> AuditLog:
        """The home's audit trail: its key (MAST_AUDIT_KEY or the home's key file) and its
        head sealed under MAST_HOME/secrets."""
        return cls(engine, audit_key(settings), settings.secrets_dir / FILE_NAME)

    def _sealed_floor(self, seq: int, mac: str | None) -> int:
        """The entry count the database must not fall below: the file's head. A home from
        before the file existed gets one now, from its database head."""
        if self.head_file is None:
            return 0
        try:
            sealed = self.head_file.read()
        except HeadFileError:
            return 0  # verify reports it; appends go on, the file is left as evidence
        if sealed is not None:
            return sealed.seq
        if seq > 0 and mac:
            self._advance_file(seq, str(mac))
        return 0

    def append(self, entry: Entry) -> int:
        """Commit one entry and return its number; AuditUnavailable if it cannot be."""
        with self._writing() as conn:
            seq, mac = self._insert(conn, entry)
        self._advance_file(seq, mac)  # after the commit: the file may lag, never lead
        return seq

    def audited(self, change: Callable[[sa.Engine], T], entry: Callable[[T], Entry]) -> T:
        """Make a state change and commit its entry in one transaction, the audit first:
        `change` gets an engine whose connections are this transaction's, and `entry` makes
        the entry from its result. If the entry cannot be written nothing is changed
        (AuditUnavailable); if the change raises, nothing is written and it propagates."""
        with self._writing() as conn:
            result = change(_joined(conn))
            seq, mac = self._insert(conn, entry(result))
        self._advance_file(seq, mac)
        return result

    @contextmanager
    def _writing(self) -> Iterator[sa.Connection]:
        """A transaction holding the audit head's write lock, taken before anything else."""
        try:
            with self._lock, self.engine.begin() as conn:
                # Touch the head first: it takes the write lock before the head is read.
                conn.execute(
                    audit_head.update()
                    .where(audit_head.c.chain == _CHAIN)
                    .values(seq=audit_head.c.seq)
                )
                yield conn
        except sa.exc.SQLAlchemyError as e:
            raise AuditUnavailable(
                f"the audit trail could not be written ({type(e).__name__}); nothing was "
                "returned or changed"
            ) from e

    def _advance_file(self, seq: int, mac: str) -> None:
        if self.head_file is None:
            return
        try:
            self.head_file.advance(seq, mac)
        except OSError as e:
            raise AuditUnavailable(
                f"the sealed audit head could not be written ({type(e).__name__}); check "
                "MAST_HOME/secrets is writable"
            ) from e

    def _insert(self, conn: sa.Connection, entry: Entry) -> tuple[int, str]:
        """Add the entry after the head and move the head; its number and mac."""
        params = json.dumps(bounded(entry.params), sort_keys=True, default=str, ensure_ascii=False)
        ids = sorted({str(i) for i in entry.result_ids})
        at = clock.now().replace(tzinfo=UTC).isoformat(timespec="microseconds")
        seq, prev = conn.execute(
            sa.select(audit_head.c.seq, audit_head.c.mac).where(audit_head.c.chain == _CHAIN)
        ).one()
        if seq < self._floor:
            raise AuditUnavailable(
                f"the audit trail holds {seq} entries but {self._floor} were sealed outside "
                "the database: it was wiped or replaced; run `mast audit verify`"
            )
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
        return int(row["seq"]), str(row["mac"])

    def verify(self, conn: sa.Connection | None = None) -> Verdict:
        """Walk the chain: every entry must follow the last, match its mac, and the walk must
        end where the sealed head says; the subjects index must match the entries."""
        if conn is None:
            with self.engine.connect() as own:
                return self.verify(own)
        verdict = Verdict()
        outside = self._outside_head(verdict)
        prev, expected = _GENESIS, 1
        subjects: dict[int, set[str]] = {}
        reached = outside is not None and outside.seq == 0 and outside.mac == _GENESIS
        for row in conn.execute(sa.select(audit_entries).order_by(audit_entries.c.seq)):
            entry = row._asdict()
            seq = int(entry["seq"])
            verdict.entries += 1
            if outside is not None and seq == outside.seq:
                reached = hmac.compare_digest(str(entry["mac"]), outside.mac)
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
        if outside is not None and not reached:
            verdict.problems.append(_wiped(outside, verdict.entries, expected - 1))
        verdict.problems.extend(_index_problems(conn, subjects))
        return verdict

    def _outside_head(self, verdict: Verdict) -> Sealed | None:
        if self.head_file is None:
            return None
        try:
            return self.head_file.read()
        except HeadFileError:
            verdict.problems.append(
                Problem(
                    0,
                    f"the sealed head outside the database ({FILE_NAME}) is unreadable "
                    "or its seal is wrong (emptied, edited or another key)",
                )
            )
            return None

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


TEXT_KEPT = 20_000
"""Characters of one value the audit keeps as text (a GraphQL query's own limit)."""
PARAMS_KEPT = 64 << 10
"""Bytes of an entry's parameters, as JSON, kept as they are."""


def digest(value: Any) -> dict[str, Any]:
    """What the audit keeps of a large value: enough to match it, not its text."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return {"sha256": hashlib.sha256(text.encode()).hexdigest(), "length": len(text)}


def bounded(params: dict[str, Any]) -> dict[str, Any]:
    """An entry's parameters with any text over TEXT_KEPT characters, and then (if still
    over PARAMS_KEPT bytes) each top-level value over 1 KiB, replaced by its digest: no
    request can grow the trail by more than a few KiB beyond its query."""

    def shrink(value: Any) -> Any:
        if isinstance(value, str):
            return digest(value) if len(value) > TEXT_KEPT else value
        if isinstance(value, dict):
            return {str(k): shrink(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [shrink(v) for v in value]
        return value

    out = {str(k): shrink(v) for k, v in params.items()}
    if _size(out) > PARAMS_KEPT:
        out = {k: digest(v) if _size(v) > 1024 and k != "query" else v for k, v in out.items()}
    return out


def _size(value: Any) -> int:
    return len(json.dumps(value, default=str, ensure_ascii=False).encode())


def _index_problems(conn: sa.Connection, subjects: dict[int, set[str]]) -> list[Problem]:
    """The subjects index must list exactly each entry's ids."""
    indexed: dict[int, set[str]] = {}
    for seq, subject in conn.execute(sa.select(audit_subjects.c.seq, audit_subjects.c.subject_id)):
        indexed.setdefault(int(seq), set()).add(str(subject))
    return [
        Problem(seq, "the ids index differs from the entry")
        for seq in sorted(set(indexed) | set(subjects))
        if indexed.get(seq) != subjects.get(seq)
    ]


def _wiped(outside: Sealed, entries: int, last: int) -> Problem:
    if entries == 0:
        what = (
            f"the trail is empty but {outside.seq:,} entries were sealed outside the database "
            f"({FILE_NAME}): the audit trail was deleted, or the store replaced"
        )
    elif last < outside.seq:
        what = (
            f"the trail ends at entry {last:,} but {outside.seq:,} were sealed outside the "
            f"database ({FILE_NAME}): entries were deleted"
        )
    else:
        what = (
            f"entry {outside.seq:,} differs from the head sealed outside the database "
            f"({FILE_NAME}): the trail was rewritten or replaced"
        )
    return Problem(outside.seq, what)


class _Joined:
    """An engine stand-in whose `connect()` and `begin()` hand out one open connection, so
    code written against an engine (accounts, review rulings) joins the caller's
    transaction: its commit is the caller's, and an exception rolls both back."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn
        self.dialect = conn.dialect

    @contextmanager
    def connect(self) -> Iterator[sa.Connection]:
        yield self._conn

    @contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        yield self._conn


def _joined(conn: sa.Connection) -> sa.Engine:
    return cast(sa.Engine, _Joined(conn))


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
