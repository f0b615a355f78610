"""A full run: profile every record, score every candidate pair, cluster everything."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Collection
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd
import sqlalchemy as sa

from mast.core.db import fetch_tuples
from mast.resolver import model as splink_model
from mast.resolver import place_shares
from mast.resolver.bookkeeping import active_ids, write_retired
from mast.resolver.cluster import cluster, partner_id_edges
from mast.resolver.people import describe, store
from mast.resolver.people.common import (
    DUCKDB,
    LINK_WEIGHT,
    REVIEW_WEIGHT,
    SPARK,
    PersonRun,
    assign,
    dob_placeholders,
    log,
    marks,
    report,
    ruling_edges,
    rulings,
    scored_edges,
    set_marks,
)
from mast.resolver.profiles import (
    build_profiles,
    detect_dob_placeholders,
    model_event_feeds,
    read_records,
)
from mast.resolver.review import queue_for_review
from mast.schema.tables import persons, record_persons


def run_full(
    engine: sa.Engine,
    model: dict[str, object] | None,
    *,
    now: datetime,
    started: float,
    event_feeds: Collection[str] = (),
    linkage: str = DUCKDB,
    spark_master: str | None = None,
) -> PersonRun:
    """Resolve every record again (training a model first when `model` is None).

    With `linkage` "spark" the scoring and clustering run on Spark (`resolver/spark.py`),
    with the model DuckDB trained: a run with no model yet trains it on DuckDB first.
    Longer than 80 lines because it is the run's steps in order (read, profile, score,
    cluster, write), each one call; split, the order would be read across functions."""
    with engine.connect() as conn:
        ruled = rulings(conn)
        rows = list(read_records(conn))
        previous = dict(
            fetch_tuples(conn, sa.select(record_persons.c.record_id, record_persons.c.person_id))
        )
        read_to = marks(conn)
    # A trained model keeps the placeholder habits it was trained with, so every later run
    # (full or daily) reads a feed's dates the same way; a new model learns them afresh.
    placeholders = detect_dob_placeholders(rows) if model is None else dob_placeholders(model)
    incident_feeds = sorted(event_feeds) if model is None else model_event_feeds(model)
    profiles, profile_of = build_profiles(
        rows, ruled.reviewed, dob_placeholders=placeholders, event_feeds=incident_feeds
    )
    frame = splink_model.profile_frame(list(profiles.values()))
    log.info("people: read and profiled in %.1f s", time.perf_counter() - started)
    trained = model is None
    if trained:
        with engine.connect() as conn:
            keys = store.address_keys_now(conn)
    model, scored, spark, on_spark = _score(
        frame,
        model,
        placeholders,
        incident_feeds,
        started,
        linkage=linkage,
        spark_master=spark_master,
    )
    if trained:
        # The places' words with the model: an address minted later (split off a busy
        # place) is still known by its keys' frequency (`place_shares.places_now`).
        model[place_shares.PLACE_SHARES] = place_shares.place_shares(
            model["tf"]["address_id"],  # type: ignore[index]
            keys,
        )
    log.info("people: %d pairs scored at %.1f s", len(scored), time.perf_counter() - started)
    links, apart = ruling_edges(ruled, profile_of)
    sizes = Counter(profile_of.values())
    edges = [*links, *partner_id_edges(profiles.values())]
    if on_spark is not None:
        from mast.resolver import spark as spark_linkage  # noqa: PLC0415

        clustering = spark_linkage.cluster_on_spark(
            spark,
            profiles,
            edges,
            scored=on_spark.where(on_spark.weight >= LINK_WEIGHT),
            sizes=sizes,
            apart=apart,
        )
    else:
        clustering = cluster(profiles, [*edges, *scored_edges(scored)], sizes=sizes, apart=apart)
    log.info("people: clustered at %.1f s", time.perf_counter() - started)
    with engine.begin() as conn:
        groups, events = assign(conn, clustering, rows, profile_of, previous)
        log.info("people: ids assigned at %.1f s", time.perf_counter() - started)
        person_of_profile = {
            profile_of[r.record_id]: pid for pid, group in groups.items() for r in group
        }
        if trained:
            store.save_model(conn, model, profiles=len(profiles), now=now)
        component_of = clustering.components()
        store.write_profiles(
            conn,
            profiles.values(),
            {pid: (person_of_profile[pid], sizes[pid], component_of[pid]) for pid in profiles},
            every=True,
        )
        store.write_edges(
            conn, scored[scored.weight >= LINK_WEIGHT], replacing=None, same_model=not trained
        )
        were = active_ids(conn, persons)
        describe.write_people(
            conn,
            groups,
            profile_of,
            events,
            replaced=None,
            linked=None,
            now=now,
            was_person=previous,
        )
        write_retired(conn, persons, "person", were, now=now)
        review = queue_for_review(
            conn, scored, clustering, profile_of, now=now, link=LINK_WEIGHT, model=model
        )
        store.clear_pending(conn)
        set_marks(conn, read_to)
    return report(
        "full",
        minted=len(set(groups) - set(previous.values())),
        rows=rows,
        profiles=profiles,
        events=events,
        review=review,
        trained=trained,
        started=started,
        engine=engine,
    )


def _score(
    frame: pd.DataFrame,
    model: dict[str, object] | None,
    placeholders: object,
    incident_feeds: list[str],
    started: float,
    *,
    linkage: str,
    spark_master: str | None,
) -> tuple[dict[str, object], pd.DataFrame, Any, Any]:
    """Every pair worth reviewing, scored by `model` (trained here first, on DuckDB, when
    None); on Spark when `linkage` says so, returning its session and the pairs as a Spark
    DataFrame too, for the clustering on Spark."""
    # Closed on leaving: Splink's objects hold the connection in a cycle, which alone would
    # keep DuckDB's tables in memory until the garbage collector came round.
    with duckdb.connect() as con:
        if model is None:
            model = {
                **splink_model.train(con, frame),
                "dob_placeholders": placeholders,
                "event_feeds": incident_feeds,
            }
            log.info("people: trained at %.1f s", time.perf_counter() - started)
        spark = on_spark = None
        if len(frame) <= 1:
            scored = pd.DataFrame(columns=store.edge_columns())
        elif linkage == SPARK:
            from mast.resolver import spark as spark_linkage  # noqa: PLC0415 - optional extra

            spark = spark_linkage.session(spark_master)
            on_spark = spark_linkage.predict(spark, frame, model, min_weight=REVIEW_WEIGHT)
            scored = spark_linkage.to_pandas(on_spark)  # for the state store's writes
        else:
            scored = splink_model.predict(con, frame, model, min_weight=REVIEW_WEIGHT)
    return model, scored, spark, on_spark
