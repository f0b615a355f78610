"""Ingest: partner files → canonical records, with a ledger, quarantine and row accounting.

Each file is loaded in one transaction: its ledger entry, its records and its
quarantined rows commit together or not at all, so a crash or a rejection leaves
nothing half-loaded and a replay loads it exactly once (RELIABILITY P1–P4).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from mast.core import clock
from mast.core.db import copy_rows, lock_for_transaction
from mast.core.errors import FileRejected, StoreError
from mast.core.gc_paused import gc_paused
from mast.core.settings import Settings
from mast.loaders import mapper, reader
from mast.loaders.feeds import feed_for
from mast.schema.feed import FeedDefinition
from mast.schema.tables import files, quarantine, records

log = logging.getLogger(__name__)

Progress = Callable[[int], None]


@dataclass
class FileResult:
    """What happened to one file. rows_in == stored + updated + quarantined + duplicates."""

    name: str
    feed: str | None
    status: str  # loaded | skipped | rejected
    file_id: int | None = None
    rows_in: int = 0
    stored: int = 0
    updated: int = 0
    quarantined: int = 0
    duplicates: int = 0
    warnings: int = 0
    reject_code: str | None = None
    reason: str | None = None
    quarantine_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        return self.rows_in == self.stored + self.updated + self.quarantined + self.duplicates


class BulkInsert:
    """executemany straight to the driver, values prepared by SQLAlchemy's own bind processors
    (COPY on PostgreSQL).

    The Core executemany path builds a parameter dict per row, which was a third of
    ingest time at 400k rows; this keeps the same type handling for every dialect.
    """

    def __init__(self, table: sa.Table, dialect: sa.Dialect) -> None:
        self.table = table
        self.copy = dialect.name == "postgresql"
        self.columns = [c.name for c in table.columns]
        compiled = table.insert().compile(dialect=dialect)
        self.sql = str(compiled)
        self.positional = compiled.positional
        order = compiled.positiontup if compiled.positional else None
        if order is not None and list(order) != self.columns:
            raise StoreError("unexpected parameter order for bulk insert")
        self.converted = [
            (i, p)
            for i, c in enumerate(table.columns)
            if (p := c.type.bind_processor(dialect)) is not None
        ]
        self.slot = {c: i for i, c in enumerate(self.columns)}

    def insert(self, conn: sa.Connection, rows: list[tuple[int, int, tuple[Any, ...]]]) -> None:
        """rows: (file_id, line_no, values in column order)."""
        file_slot, line_slot, first_slot = (
            self.slot[c] for c in ("file_id", "line_no", "first_file_id")
        )
        params: list[Any] = []
        for file_id, line_no, staged in rows:
            values = list(staged)
            values[file_slot] = values[first_slot] = file_id
            values[line_slot] = line_no
            if self.copy:
                params.append(values)
                continue
            for i, process in self.converted:
                values[i] = process(values[i])
            params.append(
                tuple(values) if self.positional else dict(zip(self.columns, values, strict=True))
            )
        if self.copy:
            copy_rows(conn, self.table, self.columns, params)
            return
        conn.exec_driver_sql(self.sql, params)

    def as_dict(self, staged: tuple[Any, ...]) -> dict[str, Any]:
        return dict(zip(self.columns, staged, strict=True))


class _FileLoad:
    """The rows of one file, classified and written in batches inside one transaction."""

    def __init__(
        self, conn: sa.Connection, result: FileResult, feed: str, batch: int, file_id: int
    ) -> None:
        self.conn = conn
        self.file_id = file_id
        self.result = result
        self.feed = feed
        self.batch_size = batch
        self.pending: list[tuple[int, mapper.Mapped]] = []
        self.seen: dict[str, str] = {}
        self.now = clock.now()
        self.bulk = BulkInsert(records, conn.dialect)
        # On a feed's first load there is nothing to compare against: skip the key look-ups.
        self.feed_has_records = (
            conn.execute(
                sa.select(records.c.record_id).where(records.c.feed == feed).limit(1)
            ).first()
            is not None
        )

    def add(self, line_no: int, outcome: mapper.Mapped | mapper.Rejected) -> None:
        self.result.rows_in += 1
        if isinstance(outcome, mapper.Rejected):
            self.quarantine(line_no, outcome.code, outcome.reason, outcome.raw)
            return
        rid = outcome.record.record_id
        earlier = self.seen.get(rid)
        if earlier == outcome.row_hash:
            self.result.duplicates += 1
            return
        if earlier is not None:
            self.quarantine(
                line_no,
                "conflicting_duplicate",
                "the record id appears earlier in this file with different values",
                outcome.raw,
            )
            return
        self.seen[rid] = outcome.row_hash
        self.result.warnings += len(outcome.record.warnings)
        self.pending.append((line_no, outcome))
        if len(self.pending) >= self.batch_size:
            self.flush()

    def quarantine(self, line_no: int, code: str, reason: str, raw: dict[str, str]) -> None:
        self.result.quarantined += 1
        self.result.quarantine_reasons[code] = self.result.quarantine_reasons.get(code, 0) + 1
        self.conn.execute(
            quarantine.insert(),
            {
                "file_id": self.file_id,
                "feed": self.feed,
                "line_no": line_no,
                "reason_code": code,
                "reason": reason,
                "fields": mapper.raw_json(raw),
                "quarantined_at": self.now,
            },
        )

    def flush(self) -> None:
        if not self.pending:
            return
        existing: dict[str, str] = {}
        if self.feed_has_records:
            ids = [m.record.record_id for _, m in self.pending]
            existing = dict(
                self.conn.execute(
                    sa.select(records.c.record_id, records.c.row_hash).where(
                        records.c.record_id.in_(ids)
                    )
                ).all()
            )
        fresh, changed = [], []
        file_id = self.file_id
        for line_no, m in self.pending:
            known = existing.get(m.record.record_id)
            if known == m.row_hash:
                self.result.duplicates += 1
            elif known is None:
                fresh.append((file_id, line_no, m.values))
            else:
                row = self.bulk.as_dict(m.values)
                del row["first_file_id"]
                row.update(file_id=file_id, line_no=line_no, b_record_id=row.pop("record_id"))
                changed.append(row)
        if fresh:
            self.bulk.insert(self.conn, fresh)
            self.result.stored += len(fresh)
        if changed:
            values: dict[str, Any] = {k: sa.bindparam(k) for k in changed[0] if k != "b_record_id"}
            stmt = records.update().where(records.c.record_id == sa.bindparam("b_record_id"))
            self.conn.execute(stmt.values(values), changed)
            self.result.updated += len(changed)
        self.pending.clear()


def ingest_file(
    engine: sa.Engine,
    settings: Settings,
    path: Path,
    feeds: dict[str, FeedDefinition],
    *,
    feed_name: str | None = None,
    display_name: str | None = None,
    progress: Progress | None = None,
) -> FileResult:
    """Load one file. Already-loaded bytes are a no-op; a broken file is rejected whole."""
    name = display_name or path.name
    feed = feeds[feed_name] if feed_name else feed_for(name, feeds)
    size = path.stat().st_size
    digest = reader.sha256_of(path)
    with engine.connect() as conn:
        loaded = conn.execute(
            sa.select(files.c.file_id).where(files.c.sha256 == digest, files.c.status == "loaded")
        ).first()
    if loaded is not None:
        log.info("file already loaded; skipped feed=%s file_id=%s", feed.feed, loaded.file_id)
        return FileResult(name, feed.feed, "skipped", file_id=loaded.file_id)

    result = FileResult(name, feed.feed, "loaded")
    ledger = {
        "feed": feed.feed,
        "name": name[:255],
        "size": size,
        "sha256": digest,
        "received_at": clock.now(),
    }
    try:
        outcomes: Iterable[Outcome] = _outcomes(settings, path, feed, digest, progress)
        with gc_paused():
            if size <= settings.buffer_bytes:
                # Map before the transaction, so other files' workers can write meanwhile.
                outcomes = list(outcomes)
            _write(
                engine, settings, feed=feed.feed, ledger=ledger, outcomes=outcomes, result=result
            )
    except FileRejected as e:
        return _rejected(engine, name, feed.feed, ledger, e)
    except (sa.exc.OperationalError, sa.exc.InterfaceError, MemoryError):
        raise  # the store or the machine failed (locked, full, gone): not the file's fault
    except Exception as e:
        log.debug("file load failed feed=%s", feed.feed, exc_info=True)
        # Only the type: the message of whatever failed can quote the data (P16).
        problem = FileRejected(
            f"loading stopped at an unexpected {type(e).__name__}; nothing from the file "
            "was stored (please report it: `mast --debug ingest` on a copy shows where)",
            code="load_failed",
        )
        return _rejected(engine, name, feed.feed, ledger, problem)
    log.info(
        "file loaded feed=%s file_id=%s rows_in=%d stored=%d updated=%d quarantined=%d "
        "duplicates=%d",
        feed.feed,
        result.file_id,
        result.rows_in,
        result.stored,
        result.updated,
        result.quarantined,
        result.duplicates,
    )
    return result


def _rejected(
    engine: sa.Engine, name: str, feed: str, ledger: dict[str, Any], e: FileRejected
) -> FileResult:
    """The file in the ledger as rejected, with its code and reason; nothing else stored."""
    rejected = FileResult(name, feed, "rejected", reject_code=e.code, reason=str(e))
    with engine.begin() as conn:
        rejected.file_id = conn.execute(
            files.insert()
            .values(status="rejected", reject_code=e.code, reject_reason=str(e), **ledger)
            .returning(files.c.file_id)
        ).scalar_one()
    log.warning("file rejected feed=%s file_id=%s code=%s", feed, rejected.file_id, e.code)
    return rejected


Outcome = tuple[int, mapper.Mapped | mapper.Rejected]


def _write(
    engine: sa.Engine,
    settings: Settings,
    *,
    feed: str,
    ledger: dict[str, Any],
    outcomes: Iterable[Outcome],
    result: FileResult,
) -> None:
    """The file's ledger entry, records and quarantined rows, in one transaction."""
    with engine.begin() as conn:
        # A record already stored is updated, a new one inserted: decided by what this
        # transaction sees, so another file of the feed must not be writing meanwhile.
        lock_for_transaction(conn, f"mast:ingest:{feed}")
        file_id = conn.execute(
            files.insert().values(status="loaded", **ledger).returning(files.c.file_id)
        ).scalar_one()
        result.file_id = file_id
        load = _FileLoad(conn, result, feed, settings.batch_rows, file_id)
        for line_no, outcome in outcomes:
            load.add(line_no, outcome)
        load.flush()
        conn.execute(
            files.update()
            .where(files.c.file_id == result.file_id)
            .values(
                rows_in=result.rows_in,
                stored=result.stored,
                updated=result.updated,
                quarantined=result.quarantined,
                duplicates=result.duplicates,
                warnings=result.warnings,
            )
        )


def _outcomes(
    settings: Settings, path: Path, feed: FeedDefinition, digest: str, progress: Progress | None
) -> Iterator[Outcome]:
    """(line, outcome) for every row; raises FileRejected for a file that cannot be trusted."""
    shape = reader.inspect(path, feed, settings.max_file_bytes)
    csv_rows = reader.read_csv(path, feed, shape, settings.max_field_chars)
    try:
        row_mapper = mapper.RowMapper(
            feed,
            csv_rows.header,
            clock.now(),
            trust_test_nhs_numbers=settings.trust_test_nhs_numbers,
        )
        yield from _mapped(csv_rows, row_mapper, shape, digest, progress)
    finally:
        csv_rows.close()


def _mapped(
    csv_rows: reader.CsvRows,
    row_mapper: mapper.RowMapper,
    shape: reader.FileShape,
    digest: str,
    progress: Progress | None,
) -> Iterator[Outcome]:
    held: Outcome | None = None
    for count, (line_no, row) in enumerate(csv_rows.rows, start=1):
        if held is not None:
            yield held
        held = (line_no, row_mapper.map(row))  # the last row waits: it may be a cut-off end
        if progress and count % 4096 == 0:
            progress(csv_rows.hashing.bytes_read)
    if held is not None:
        outcome = held[1]
        if (
            not shape.ends_with_newline
            and isinstance(outcome, mapper.Rejected)
            and outcome.code == "field_count"
        ):
            raise FileRejected(
                f"line {held[0]}: the file ends part-way through a row (truncated upload?)",
                code="truncated",
            )
        yield held
    if csv_rows.hashing.digest.hexdigest() != digest:
        raise FileRejected(
            "the file changed while it was being read; it will be retried",
            code="changed_while_reading",
        )
    if progress:
        progress(csv_rows.hashing.bytes_read)
