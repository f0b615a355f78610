"""A purge without a full address run: records leaving the window are taken out of their
address keys, addresses and people where they are, and the store ends as a full resolve of
the records left would leave it. Runs on SQLite and PostgreSQL (`state_url`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from mast.core.db import chunks, open_store
from mast.demo.generate import generate
from mast.loaders.purge import purge
from mast.resolver import forget_records
from mast.resolver.service import resolve
from mast.schema.tables import (
    ADDRESS_MARK,
    address_key_blocks,
    address_key_counts,
    address_key_links,
    address_key_uprns,
    address_keys,
    address_tallies,
    address_waiting,
    addresses,
    id_history,
    metadata,
    persons,
    record_addresses,
    record_persons,
    records,
    resolver_state,
)
from tests.support.demo_data import extracts, ingest, settings_for

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 2)


def _copy_store(source: sa.Engine, target: sa.Engine) -> None:
    """Every row of every table, as it is: a second store to resolve another way."""
    with source.connect() as read, target.begin() as write:
        for table in reversed(metadata.sorted_tables):
            write.execute(table.delete())
        for table in metadata.sorted_tables:
            rows = [dict(r._mapping) for r in read.execute(sa.select(table))]
            if rows:
                write.execute(table.insert(), rows)
            serial = [c for c in table.primary_key.columns if c.autoincrement is True]
            if rows and serial and write.dialect.name == "postgresql":
                name, column = table.name, serial[0].name
                sql = f"SELECT setval(pg_get_serial_sequence('{name}', '{column}'), (SELECT max({column}) FROM {name}))"  # noqa: S608 - our own names
                write.execute(sa.text(sql))


def _forget_for_a_full_run(conn: sa.Connection, record_ids: Sequence[str]) -> None:
    """What a purge asked of the resolver before: drop the records' links and leave every
    address and person to the next full run."""
    for part in chunks(sorted(record_ids)):
        for link in (record_addresses, record_persons, address_waiting):
            conn.execute(link.delete().where(link.c.record_id.in_(part)))
    conn.execute(resolver_state.delete().where(resolver_state.c.key == ADDRESS_MARK))


def _rows(engine: sa.Engine, table: sa.Table, *, leave: tuple[str, ...] = ()) -> set[Any]:
    columns = [c for c in table.columns if c.name not in leave]
    with engine.connect() as conn:
        return {tuple(r) for r in conn.execute(sa.select(*columns))}


def _state(engine: sa.Engine) -> dict[str, set[Any]]:
    return {
        "addresses": _rows(engine, addresses, leave=("updated_at",)),
        "record_addresses": _rows(engine, record_addresses),
        "address_waiting": _rows(engine, address_waiting),
        "address_keys": _rows(engine, address_keys),
        "address_key_uprns": _rows(engine, address_key_uprns),
        "address_key_blocks": _rows(engine, address_key_blocks),
        "address_key_links": _rows(engine, address_key_links),
        "address_tallies": _rows(engine, address_tallies),
        "address_key_counts": _rows(engine, address_key_counts),
        "persons": _rows(engine, persons, leave=("updated_at",)),
        "record_persons": _rows(engine, record_persons, leave=("profile_id",)),
    }


def _purged(engine: sa.Engine, forget: Callable[[sa.Connection, Sequence[str]], None]) -> int:
    with engine.connect() as conn:
        first, last = conn.execute(
            sa.select(sa.func.min(records.c.occurred_at), sa.func.max(records.c.occurred_at))
        ).one()
    # The oldest third of the span falls out of the window.
    gone = purge(engine, now=last, retention_days=(last - first).days * 2 // 3, forget=forget)
    return gone.records_removed


def _two_stores(
    people: int, tmp_path: Path, state_url: str | None, new_store: Callable[[], str | None]
) -> tuple[sa.Engine, sa.Engine]:
    """A resolved store of this many people, and a copy of it."""
    demo = tmp_path / "demo"
    generate(people, 11, demo, date(2026, 10, 31))
    incremental = ingest(tmp_path / "a", extracts(demo), state_url)
    resolve(incremental, now=NOW)
    full = open_store(settings_for(tmp_path / "b", new_store()))
    _copy_store(incremental, full)
    return incremental, full


def _resolved_alike(incremental: sa.Engine, full: sa.Engine, removed: int) -> None:
    """Resolve the purged store, and its copy purged for a full run: the same store."""
    run = resolve(incremental, now=NOW)
    assert (run.addresses.mode, run.people.mode) == ("incremental", "incremental")
    assert _purged(full, _forget_for_a_full_run) == removed
    rebuilt = resolve(full, now=NOW, full=True)
    assert (rebuilt.addresses.mode, rebuilt.people.mode) == ("full", "full")
    ours, theirs = _state(incremental), _state(full)
    for name, rows in theirs.items():
        assert ours[name] == rows, name


def test_a_purge_leaves_what_a_full_resolve_of_the_records_left_would(
    state_url: str | None, new_store: Callable[[], str | None], tmp_path: Path
) -> None:
    incremental, full = _two_stores(1500, tmp_path, state_url, new_store)
    removed = _purged(incremental, forget_records)
    assert removed > 100
    _resolved_alike(incremental, full, removed)
    ours = _state(incremental)
    # Some addresses and people lost every record: each is gone from the store and its
    # retirement recorded, for the graph and the change feed, as a full run records it.
    retired = _retired(incremental)
    assert retired == _retired(full)
    assert retired["address"] and retired["person"]
    assert not retired["address"] & {row[0] for row in ours["addresses"]}
    assert not retired["person"] & {row[0] for row in ours["persons"]}


def _retired(engine: sa.Engine) -> dict[str, set[str]]:
    h = id_history.c
    found: dict[str, set[str]] = {"address": set(), "person": set()}
    with engine.connect() as conn:
        for entity, old_id in conn.execute(sa.select(h.entity, h.old_id).where(h.kind == "retire")):
            found[entity].add(old_id)
    return found


def test_a_purge_at_an_address_with_many_records_reads_none_of_its_others(
    state_url: str | None, new_store: Callable[[], str | None], tmp_path: Path
) -> None:
    """A purged record at a hospital takes one off its key's and address's counts: the
    address's other records are not read (they were, each purge, to count its key again),
    and the store ends as a full resolve would leave it."""
    incremental, full = _two_stores(300, tmp_path, state_url, new_store)
    with incremental.connect() as conn:
        query = sa.select(address_tallies.c.address_id, address_tallies.c.records)
        many: dict[str, int] = {aid: n for aid, n in conn.execute(query)}
    assert many  # the demo's busiest address has some hundred records
    # Every statement the purge runs, with its values: SQLAlchemy's, and on SQLite those
    # sent straight to the driver (`fetch_tuples`), as SQLite expands them.
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append(f"{statement} {parameters!r}")

    def traced(dbapi_conn: Any, *_: Any) -> None:
        if isinstance(dbapi_conn, sqlite3.Connection):
            dbapi_conn.set_trace_callback(statements.append)

    def untraced(dbapi_conn: Any, *_: Any) -> None:
        if isinstance(dbapi_conn, sqlite3.Connection):
            dbapi_conn.set_trace_callback(None)

    hooks: list[tuple[Any, str, Callable[..., Any]]] = [
        (incremental, "before_cursor_execute", seen),
        (incremental.pool, "checkout", traced),
        (incremental.pool, "checkin", untraced),
    ]
    for target, name, hook in hooks:
        sa.event.listen(target, name, hook)
    try:
        removed = _purged(incremental, forget_records)
    finally:
        for target, name, hook in hooks:
            sa.event.remove(target, name, hook)
    reads = [
        s
        for s in statements
        if s.lstrip().upper().startswith("SELECT")
        and "record_addresses.address_id IN" in s
        and any(f"'{aid}'" in s for aid in many)
    ]
    assert not reads
    with incremental.connect() as conn:
        query = sa.select(addresses.c.address_id, addresses.c.records)
        left = {aid: n for aid, n in conn.execute(query.where(addresses.c.address_id.in_(many)))}
    assert any(0 < left.get(aid, 0) < n for aid, n in many.items())  # it lost some, not all
    _resolved_alike(incremental, full, removed)
