"""What a full run and a day share: the thresholds, the rulings, id assignment, the marks
that say how far the last run read, and the run's report."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa

from mast.resolver.bookkeeping import DECISION_MARK, FILE_MARK, id_minter, set_mark
from mast.resolver.cluster import REVIEWER_WEIGHT, Clustering, Edge, WeightedPair
from mast.resolver.people import store
from mast.resolver.profiles import DobPlaceholders, Profile, RecordPerson
from mast.resolver.stable_ids import IdEvent, assign_ids
from mast.schema.tables import decisions, persons
from mast.schema.tables import records as records_table

log = logging.getLogger("mast.resolver.people")

DUCKDB = "duckdb"
SPARK = "spark"
LINKAGE_ENGINES = (DUCKDB, SPARK)
"""Where a full run scores and clusters (`mast resolve --engine`); a day is always DuckDB."""
LINK_WEIGHT = 1.0
"""Match weight at or above which two profiles are the same person (about 2:1 on)."""
REVIEW_WEIGHT = -1.0
"""Pairs between this and LINK_WEIGHT, left apart, go to the review queue. Measured on the
demo: pairs of people scoring -3 to -1 were the same person once in 190 (134 of 26,100), so
a reviewer would wade through noise; from -1 to 1 it is one in 16."""


@dataclass(frozen=True)
class PersonRun:
    mode: str  # full | incremental
    records: int  # records resolved in this run
    profiles: int
    persons: int  # persons in the store afterwards
    new: int
    merges: int
    splits: int
    review: int  # review items added
    trained: bool
    seconds: float


@dataclass(frozen=True)
class Rulings:
    reviewed: frozenset[str]
    links: list[tuple[str, str]]
    apart: list[tuple[str, str]]


def rulings(conn: sa.Connection) -> Rulings:
    rows = store.decided(conn)
    return Rulings(
        frozenset(r for a, b, _ in rows for r in (a, b)),
        [(a, b) for a, b, d in rows if d == "link"],
        [(a, b) for a, b, d in rows if d == "unlink"],
    )


def ruling_edges(
    ruled: Rulings, profile_of: dict[str, str]
) -> tuple[list[Edge], dict[str, set[str]]]:
    links = [
        Edge(REVIEWER_WEIGHT, *sorted((profile_of[a], profile_of[b])))
        for a, b in ruled.links
        if a in profile_of and b in profile_of
    ]
    apart: dict[str, set[str]] = defaultdict(set)
    for a, b in ruled.apart:
        if a in profile_of and b in profile_of:
            apart[profile_of[a]].add(profile_of[b])
            apart[profile_of[b]].add(profile_of[a])
    return links, apart


def dob_placeholders(model: dict[str, Any]) -> DobPlaceholders:
    """The placeholder habits a model was trained with (none for a model older than them)."""
    found = model.get("dob_placeholders")
    return found if isinstance(found, dict) else {}


def scored_edges(frame: pd.DataFrame) -> list[WeightedPair]:
    linked = frame[frame.weight >= LINK_WEIGHT]
    # Whole columns to lists in C first: a Series iterates value by value (twice as slow).
    columns = (linked.weight.tolist(), linked.profile_a.tolist(), linked.profile_b.tolist())
    return list(zip(*columns, strict=True))


def assign(
    conn: sa.Connection,
    clustering: Clustering,
    rows: list[RecordPerson],
    profile_of: dict[str, str],
    previous: dict[str, str],
) -> tuple[dict[str, list[RecordPerson]], list[IdEvent]]:
    members: dict[str, list[RecordPerson]] = defaultdict(list)
    for r in rows:
        members[clustering.cluster_of[profile_of[r.record_id]]].append(r)
    groups = [members[k] for k in sorted(members)]
    ids, events = assign_ids(
        [[r.record_id for r in g] for g in groups], previous, id_minter(conn, persons, "P")
    )
    return dict(zip(ids, groups, strict=True)), events


def marks(conn: sa.Connection) -> tuple[int, int]:
    return (
        conn.execute(sa.select(sa.func.max(records_table.c.file_id))).scalar() or 0,
        conn.execute(sa.select(sa.func.max(decisions.c.decision_id))).scalar() or 0,
    )


def set_marks(conn: sa.Connection, marks: tuple[int, int]) -> None:
    set_mark(conn, FILE_MARK, marks[0])
    set_mark(conn, DECISION_MARK, marks[1])


def report(
    mode: str,
    *,
    minted: int,
    rows: list[RecordPerson],
    profiles: dict[str, Profile],
    events: list[IdEvent],
    review: int,
    trained: bool,
    started: float,
    engine: sa.Engine,
) -> PersonRun:
    with engine.connect() as conn:
        total = conn.execute(
            sa.select(sa.func.count()).where(persons.c.retired_into.is_(None))
        ).scalar_one()
    run = PersonRun(
        mode,
        len(rows),
        len(profiles),
        total,
        minted,
        sum(1 for e in events if e.kind == "merge"),
        sum(1 for e in events if e.kind == "split"),
        review,
        trained,
        time.perf_counter() - started,
    )
    log.info(
        "people resolved mode=%s records=%d profiles=%d persons=%d merges=%d splits=%d review=%d",
        mode,
        run.records,
        run.profiles,
        run.persons,
        run.merges,
        run.splits,
        run.review,
    )
    return run
