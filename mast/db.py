"""Opening the state store. SQLite gets WAL and a busy timeout so a crash loses no committed row."""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from mast.errors import StoreError
from mast.schema.tables import metadata
from mast.settings import Settings


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


def open_store(settings: Settings) -> sa.Engine:
    """Create the engine and any missing tables."""
    url = settings.state_url
    if url.startswith("sqlite"):
        settings.home.mkdir(parents=True, exist_ok=True)
    try:
        # Bound values are personal data: never echo them in an error (RELIABILITY P16).
        engine = sa.create_engine(url, hide_parameters=True)
        if engine.dialect.name == "sqlite":
            sa.event.listen(engine, "connect", _sqlite_pragmas)
        metadata.create_all(engine)
        with engine.begin() as conn:  # columns and indexes added since the store was made
            _add_missing_columns(conn)
            for table in metadata.sorted_tables:
                for index in table.indexes:
                    index.create(conn, checkfirst=True)
    except sa.exc.SQLAlchemyError as e:
        raise StoreError(
            f"cannot open the state store ({engine_name(url)}): {type(e).__name__}; "
            "check MAST_HOME or MAST_DATABASE_URL"
        ) from e
    return engine


def _add_missing_columns(conn: sa.Connection) -> None:
    """Add nullable columns a newer MAST defines to an older store's tables; whoever reads
    such a column treats NULL as "not yet computed"."""
    inspector = sa.inspect(conn)
    for table in metadata.sorted_tables:
        present = {c["name"] for c in inspector.get_columns(table.name)}
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
def rewriting(conn: sa.Connection, tables: Iterable[sa.Table]) -> Iterator[None]:
    """Empty `tables` for a full rewrite, with their secondary indexes built once at the
    end: sorting a million keys once is far cheaper than a million random index inserts."""
    indexes = [index for table in tables for index in table.indexes]
    for index in indexes:
        index.drop(conn)
    for table in tables:
        conn.execute(table.delete())
    yield
    for index in indexes:
        index.create(conn)


def bulk_insert(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows given as dicts (see `insert_tuples`)."""
    if rows:
        columns = list(rows[0])
        as_tuple = operator.itemgetter(*columns)
        insert_tuples(conn, table, columns, [as_tuple(r) for r in rows])


def insert_tuples(
    conn: sa.Connection, table: sa.Table, columns: list[str], rows: list[tuple[Any, ...]]
) -> None:
    """Insert many rows; on SQLite straight through the driver (3x faster than Core's path)
    and in primary-key order, so each index page is filled once rather than revisited."""
    if not rows:
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
