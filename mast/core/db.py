"""Opening the state store. SQLite gets WAL and a busy timeout so a crash loses no committed row."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import operator
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa

from mast.core.errors import StoreError
from mast.core.settings import Settings
from mast.schema.tables import RETIRED_INDEXES, metadata

log = logging.getLogger(__name__)
_T = TypeVar("_T")
PRIVATE_UMASK = 0o077
CHUNK = 500
"""Values per IN (...) list, under SQLite's bound-parameter limit."""


def chunks(items: Sequence[_T], size: int = CHUNK) -> Iterator[Sequence[_T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def inserted_key(conn: sa.Connection, table: sa.Table, **values: object) -> int:
    """Insert one row and return its autoincrement key."""
    key = conn.execute(table.insert().values(**values)).inserted_primary_key
    assert key is not None  # noqa: S101 - an autoincrement insert returns its key
    return int(key[0])


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL + NORMAL survives a killed process (P1); only power loss can drop the last commit.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    # Writers queue for the single write lock; a whole-file transaction can take seconds.
    cur.execute("PRAGMA busy_timeout=300000")
    # Random-order inserts into the record-id index need the index in memory (256 MiB cap).
    cur.execute("PRAGMA cache_size=-262144")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


def _postgres_session(dbapi_conn: Any, _record: Any) -> None:
    # Dates and times read as text (the graph projection) must be ISO whatever the
    # server's or the role's default DateStyle.
    cur = dbapi_conn.cursor()
    cur.execute("SET DateStyle TO ISO, YMD")
    cur.close()
    dbapi_conn.commit()


def keep_private() -> None:
    """Whatever this process creates from now on is its owner's alone (files 0600, folders
    0700): MAST_HOME holds personal data, graph files, backups and keys. Called first by
    the `mast` command and by the server."""
    os.umask(PRIVATE_UMASK)


def private_home(home: Path) -> None:
    """MAST_HOME as a folder only its owner can enter, made so if it is new, and tightened
    if this process owns an older, looser one."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    _tighten(home, 0o700)


def _private_file(path: Path) -> None:
    """Create `path` empty and 0600 before a library opens it with its own, looser mode
    (SQLite gives its WAL and shared-memory files the database file's mode)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    for made in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        _tighten(made, 0o600)


def _tighten(path: Path, mode: int) -> None:
    try:
        found = path.stat()
    except FileNotFoundError:
        return
    if found.st_uid == os.getuid() and stat.S_IMODE(found.st_mode) & ~mode:
        path.chmod(stat.S_IMODE(found.st_mode) & mode)


def open_store(settings: Settings) -> sa.Engine:
    """Create the engine and any missing tables."""
    url = settings.state_url
    if url.startswith("sqlite"):
        private_home(settings.home)
        if settings.database_url is None:
            _private_file(settings.state_file)
    try:
        # Bound values are personal data: never echo them in an error (RELIABILITY P16).
        engine = sa.create_engine(url, hide_parameters=True)
        if engine.dialect.name == "sqlite":
            sa.event.listen(engine, "connect", _sqlite_pragmas)
        elif engine.dialect.name == "postgresql":
            sa.event.listen(engine, "connect", _postgres_session)
        metadata.create_all(engine)
        with engine.begin() as conn:  # columns and indexes added since the store was made
            _add_missing_columns(conn)
            for table in metadata.sorted_tables:
                for index in table.indexes:
                    # Not checkfirst: SQLAlchemy cannot reflect an index on an expression.
                    conn.execute(sa.schema.CreateIndex(index, if_not_exists=True))
            for name in RETIRED_INDEXES:
                conn.execute(sa.schema.DropIndex(sa.Index(name), if_exists=True))
    except sa.exc.SQLAlchemyError as e:
        raise StoreError(
            f"cannot open the state store ({engine_name(url)}): {type(e).__name__}; "
            "check MAST_HOME or MAST_DATABASE_URL"
        ) from e
    return engine


def _add_missing_columns(conn: sa.Connection) -> None:
    """Add nullable columns a newer MAST defines to an older store's tables; whoever reads
    such a column treats NULL as "not yet computed"."""
    # All tables' columns at once: one catalogue query on PostgreSQL rather than one a table.
    found = sa.inspect(conn).get_multi_columns(
        filter_names=[t.name for t in metadata.sorted_tables]
    )
    for table in metadata.sorted_tables:
        present = {c["name"] for c in found.get((None, table.name), [])}
        for column in table.columns:
            if column.name not in present and column.nullable:
                kind = column.type.compile(dialect=conn.dialect)
                conn.exec_driver_sql(
                    f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}'
                )


def engine_name(url: str) -> str:
    """The URL without credentials, safe for messages."""
    return sa.engine.make_url(url).render_as_string(hide_password=True)


@contextmanager
def rewriting(
    conn: sa.Connection, tables: Iterable[sa.Table], where: sa.ColumnElement[bool] | None = None
) -> Iterator[None]:
    """Empty `tables` (of the rows matching `where`) for a full rewrite, with their secondary
    indexes built once at the end: sorting a million keys once is far cheaper than a million
    random index inserts."""
    tables = list(tables)
    indexes = [index for table in tables for index in table.indexes]
    for index in indexes:
        index.drop(conn)
    for table in tables:
        conn.execute(table.delete() if where is None else table.delete().where(where))
    yield
    for index in indexes:
        index.create(conn)


def sync_rows(
    conn: sa.Connection,
    table: sa.Table,
    columns: list[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    where: sa.ColumnElement[bool] | None = None,
    compare: Sequence[str] | None = None,
) -> int:
    """Make `table`'s rows (those matching `where`) exactly `rows`, writing only the rows
    that differ from what is stored; returns the rows written.

    Rows are compared on `compare` (all `columns` by default), which must include the
    primary key: the columns that decide the rest (a content hash), leaving out those that
    only say when a row was written. A full re-resolution mostly gives back what it found,
    so reading and comparing costs far less than rewriting everything, and unchanged rows
    keep the time they were last updated. Where most rows differ (a first run), everything
    is rewritten.
    """
    compared = list(compare or columns)
    key = [c.name for c in table.primary_key.columns]
    stored = _stored_rows(conn, table, compared, where)
    changed: list[tuple[Any, ...]] = list(rows)
    gone: list[tuple[Any, ...]] = []
    if stored:
        as_text = conn.dialect.name == "sqlite"
        ours = _as_stored(table, columns, compared, rows, as_text=as_text)
        present = set(ours)
        changed = [row for row, form in zip(rows, ours, strict=True) if form not in stored]
        gone = [form for form in stored if form not in present]
    if not stored or 2 * (len(changed) + len(gone)) > len(rows):
        with rewriting(conn, [table], where):
            insert_tuples(conn, table, columns, list(rows))
        return len(rows)
    # A changed row's stored version is "gone" too (its key is unique), so this clears both.
    at = [compared.index(k) for k in key]
    keys = [tuple(form[i] for i in at) for form in gone]
    if len(key) == 1:
        for part in chunks(sorted(k for (k,) in keys)):
            conn.execute(table.delete().where(table.c[key[0]].in_(part)))
    elif keys:
        test = [table.c[k] == sa.bindparam(f"k_{k}") for k in key]
        conn.execute(
            table.delete().where(*test),
            [{f"k_{k}": v for k, v in zip(key, ks, strict=True)} for ks in keys],
        )
    insert_tuples(conn, table, columns, changed)
    log.debug("%s: %d rows written, %d removed", table.name, len(changed), len(gone))
    return len(changed)


def _stored_rows(
    conn: sa.Connection,
    table: sa.Table,
    columns: list[str],
    where: sa.ColumnElement[bool] | None,
) -> set[tuple[Any, ...]]:
    query = sa.select(*(table.c[n] for n in columns))
    return set(fetch_tuples(conn, query if where is None else query.where(where), raw=True))


def fetch_tuples(
    conn: sa.Connection, query: sa.Select[Any], *, raw: bool = False
) -> list[tuple[Any, ...]]:
    """All rows of `query` as plain tuples, straight from SQLite's driver: no Row object
    and no type processing per row (a daily run's 220,000 component links: 2.3 s read as
    Rows, 1.6 s as tuples).

    Only for columns SQLite returns as Python wants them (text and numbers); a date would
    come back as text, so one is refused unless `raw` (the stored form is wanted)."""
    dialect = conn.dialect
    if dialect.name != "sqlite":
        return [tuple(row) for row in conn.execute(query)]
    if not raw:
        typed = [
            c.name
            for c in query.selected_columns
            if c.type.dialect_impl(dialect).result_processor(dialect, None) is not None
        ]
        if typed:
            raise ValueError(f"fetch_tuples would return these as stored text: {typed}")
    # IN (...) lists are expanded into the text, since no SQLAlchemy execution does it here.
    compiled = query.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    params = [compiled.params[k] for k in compiled.positiontup or []]
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        return cursor.execute(str(compiled), params).fetchall()  # type: ignore[no-any-return]
    finally:
        cursor.close()


def _as_stored(
    table: sa.Table,
    columns: list[str],
    compared: list[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    as_text: bool,
) -> list[tuple[Any, ...]]:
    """`rows`' `compared` columns as the store gives them back: on SQLite (`as_text`) dates
    and times become the ISO text its adapters write; PostgreSQL returns them typed, as
    given. (A value stored in another form only costs a rewrite.)"""
    at = [columns.index(n) for n in compared]
    picked = (
        [(r[at[0]],) for r in rows] if len(at) == 1 else list(map(operator.itemgetter(*at), rows))
    )
    if not as_text:
        return picked
    forms = [(i, _text_form(table.c[n].type)) for i, n in enumerate(compared)]
    converted = [(i, form) for i, form in forms if form is not None]
    if not converted:
        return picked
    out = []
    for row in picked:
        values = list(row)
        for i, form in converted:
            values[i] = form(values[i])
        out.append(tuple(values))
    return out


def _text_form(kind: sa.types.TypeEngine[Any]) -> Callable[[Any], Any] | None:
    if isinstance(kind, sa.DateTime):
        return lambda v: v.isoformat(" ") if isinstance(v, datetime) else v
    if isinstance(kind, sa.Date):
        return lambda v: v.isoformat() if isinstance(v, date) else v
    return None


def insert_tuples(
    conn: sa.Connection, table: sa.Table, columns: list[str], rows: list[tuple[Any, ...]]
) -> None:
    """Insert many rows; on SQLite straight through the driver (3x faster than Core's path)
    and in primary-key order, so each index page is filled once rather than revisited; on
    PostgreSQL with COPY."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        copy_rows(conn, table, columns, rows)
        return
    if conn.dialect.name != "sqlite":
        conn.execute(table.insert(), [dict(zip(columns, r, strict=True)) for r in rows])
        return
    statement = table.insert().values({n: sa.bindparam(n) for n in columns})
    compiled = statement.compile(dialect=conn.dialect)
    order = [columns.index(n) for n in compiled.positiontup or []]  # the "?"s, in order
    if len(order) < 2:  # itemgetter of one index gives a value, not a tuple
        conn.execute(table.insert(), [dict(zip(columns, r, strict=True)) for r in rows])
        return
    key = [columns.index(c.name) for c in table.primary_key.columns if c.name in columns]
    ordered = sorted(rows, key=operator.itemgetter(*key)) if key else rows
    if order == list(range(len(columns))):
        conn.exec_driver_sql(str(compiled), ordered)
    else:
        placed = operator.itemgetter(*order)
        conn.exec_driver_sql(str(compiled), [placed(r) for r in ordered])


def copy_rows(
    conn: sa.Connection, table: sa.Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Write rows with PostgreSQL's COPY, in the connection's transaction: one stream
    instead of a statement per row (psycopg adapts dates, times, booleans and NULLs as an
    INSERT would)."""
    names = ", ".join(conn.dialect.identifier_preparer.quote(n) for n in columns)
    target = conn.dialect.identifier_preparer.format_table(table)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()


@contextmanager
def store_lock(engine: sa.Engine, name: str) -> Iterator[bool]:
    """Whether this process holds the store-wide lock `name` for the block: on PostgreSQL a
    session advisory lock on a connection of its own, which the server releases if the
    process dies, so processes on different hosts (the API's, the daily run's) take turns.
    Not waited for: False if another session holds it. On SQLite always True: its callers
    lock files in MAST_HOME, the one folder every process of a SQLite home shares."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    key = _lock_key(name)
    with engine.connect() as conn:
        held = bool(conn.execute(sa.select(sa.func.pg_try_advisory_lock(key))).scalar())
        conn.commit()
        try:
            yield held
        finally:
            if held:
                conn.execute(sa.select(sa.func.pg_advisory_unlock(key)))
                conn.commit()


def lock_for_transaction(conn: sa.Connection, name: str) -> None:
    """Wait for, then hold until this transaction ends, the store-wide lock `name`: on
    PostgreSQL a transaction advisory lock, so writers in other processes that would
    collide (two files of one feed sharing record ids) take turns, as SQLite's single
    writer makes every transaction do. Nothing to do on SQLite."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_lock_key(name))))


def _lock_key(name: str) -> int:
    """A lock's name as PostgreSQL's 64-bit advisory lock key, the same in every process."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
