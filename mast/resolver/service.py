"""`mast resolve`: addresses first (people are compared on them), then people."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from mast.core.gc_paused import gc_paused
from mast.resolver.addresses import AddressRun, resolve_all_addresses
from mast.resolver.people import PersonRun
from mast.resolver.people.common import DUCKDB
from mast.resolver.people.run import resolve_people
from mast.resolver.profiles import person_records_query
from mast.schema.tables import addresses as addresses_table
from mast.schema.tables import persons, records, resolver_models

NOTHING = "none"
"""The mode of a side that had nothing to resolve."""


@dataclass(frozen=True)
class ResolveRun:
    addresses: AddressRun
    people: PersonRun

    @property
    def nothing_to_resolve(self) -> bool:
        """No record has ever been loaded: nothing was done."""
        return self.addresses.mode == NOTHING and self.people.mode == NOTHING


def resolve(
    engine: sa.Engine,
    *,
    now: datetime,
    full: bool = False,
    retrain: bool = False,
    event_feeds: Collection[str] = (),
    linkage: str = DUCKDB,
    spark_master: str | None = None,
) -> ResolveRun:
    """Addresses, then people. `event_feeds` are the feeds whose address is only where an
    event happened (`address_is: event`, `schema.feed.event_feeds`): a model trained in
    this run keeps them, so a different such address never counts against a match.
    `linkage` (duckdb or spark) is where a full run of people scores and clusters."""
    with engine.connect() as conn:
        # Splink cannot learn from no people (it divides by their number), so a home with
        # no person yet (empty, or only places) leaves that side alone. A side resolved
        # before is resolved as ever, so what a purge took leaves the store.
        places = _exists(conn, sa.select(records.c.record_id)) or _exists(
            conn, sa.select(addresses_table.c.address_id)
        )
        someone = _exists(conn, person_records_query())
        people = someone or any(
            _exists(conn, query)
            for query in (sa.select(persons.c.person_id), sa.select(resolver_models.c.model_id))
        )
        relearn = retrain and places  # the address model learns from places, not people
        retrain = retrain and someone  # a model is never learned from nobody
    with gc_paused():
        return ResolveRun(
            resolve_all_addresses(engine, now=now, full=full or relearn, retrain=relearn)
            if places or people
            else AddressRun(NOTHING, 0, 0, 0, 0, 0, 0, 0.0),
            resolve_people(
                engine,
                now=now,
                full=full,
                retrain=retrain,
                event_feeds=event_feeds,
                linkage=linkage,
                spark_master=spark_master,
            )
            if people
            else PersonRun(NOTHING, 0, 0, 0, 0, 0, 0, 0, trained=False, seconds=0.0),
        )


def _exists(conn: sa.Connection, query: sa.Select[tuple[object, ...]]) -> bool:
    return conn.execute(query.limit(1)).first() is not None
