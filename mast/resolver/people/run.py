"""Which run a resolution is: a full run, or a day."""

from __future__ import annotations

import time
from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa

from mast.resolver.bookkeeping import FILE_MARK, get_mark
from mast.resolver.people import store
from mast.resolver.people.common import DUCKDB, PersonRun
from mast.resolver.people.day import Day
from mast.resolver.people.full import run_full
from mast.schema.tables import person_profiles, record_persons


def resolve_people(
    engine: sa.Engine,
    *,
    now: datetime,
    full: bool = False,
    retrain: bool = False,
    event_feeds: Collection[str] = (),
    linkage: str = DUCKDB,
    spark_master: str | None = None,
) -> PersonRun:
    """Resolve people; a day unless `full`, or nothing was resolved before. `linkage`
    says where a full run scores and clusters; a day stays on DuckDB (its few pairs would
    wait longer for a Spark job than for the scoring)."""
    started = time.perf_counter()
    with engine.connect() as conn:
        model = None if retrain else store.latest_model(conn)
        resolved_before = conn.execute(sa.select(record_persons.c.record_id).limit(1)).first()
        marked = get_mark(conn, FILE_MARK) > 0  # cleared by a purge
        # A store from before components were kept has them all to compute.
        uncomputed = conn.execute(
            sa.select(person_profiles.c.profile_id)
            .where(person_profiles.c.component.is_(None))
            .limit(1)
        ).first()
    if full or model is None or resolved_before is None or not marked or uncomputed:
        return run_full(
            engine,
            model,
            now=now,
            started=started,
            event_feeds=event_feeds,
            linkage=linkage,
            spark_master=spark_master,
        )
    return Day(engine, model, now=now, started=started).run()
