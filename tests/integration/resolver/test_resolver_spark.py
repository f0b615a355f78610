"""A full run on Spark (local[2]) gives the persons a full run on DuckDB gives."""

from __future__ import annotations

import itertools
import random
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from mast.core.db import open_store
from mast.demo.generate import generate
from mast.schema.tables import record_persons, resolver_models
from tests.support.demo_data import extracts, ingest, settings_for

pytest.importorskip("pyspark")
pytestmark = [pytest.mark.spark, pytest.mark.integration]

END = date(2026, 10, 31)
NOW = datetime(2026, 11, 2)


def _links(engine: sa.Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(
            conn.execute(sa.select(record_persons.c.record_id, record_persons.c.person_id)).all()
        )


def _pairs(links: dict[str, str]) -> set[tuple[str, str]]:
    by_person: dict[str, list[str]] = {}
    for rid, pid in links.items():
        by_person.setdefault(pid, []).append(rid)
    return {(a, b) for ids in by_person.values() for a in ids for b in ids if a < b}


def test_spark_gives_the_persons_duckdb_gives(tmp_path: Path) -> None:
    from mast.resolver.service import resolve  # noqa: PLC0415

    demo = tmp_path / "demo"
    generate(600, 11, demo, END)
    home = tmp_path / "duck"
    engine = ingest(home, extracts(demo))
    first = resolve(engine, now=NOW)
    assert first.people.trained
    on_duckdb = _links(engine)
    spark_home = tmp_path / "spark"
    spark_home.mkdir()
    for part in home.glob("state.sqlite*"):
        shutil.copy(part, spark_home / part.name)
    spark_engine = open_store(settings_for(spark_home))
    run = resolve(spark_engine, now=NOW, full=True, linkage="spark", spark_master="local[2]")
    assert run.people.mode == "full" and not run.people.trained  # the stored model, not a new one
    with spark_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(resolver_models)).scalar() == 1
    on_spark = _links(spark_engine)
    assert set(on_spark) == set(on_duckdb)
    duck_pairs, spark_pairs = _pairs(on_duckdb), _pairs(on_spark)
    n = len(on_duckdb)
    differing = len(duck_pairs ^ spark_pairs)
    agreement = 1 - differing / (n * (n - 1) // 2)
    print(
        f"records {n}; linked pairs duckdb {len(duck_pairs)}, spark {len(spark_pairs)}; "
        f"differing {differing}; pairwise agreement {agreement:.6f}"
    )
    assert agreement >= 0.999
    # Person ids are kept across full runs, so the same clusters carry the same ids.
    same = sum(1 for rid, pid in on_duckdb.items() if on_spark[rid] == pid)
    assert same >= 0.999 * n


def test_components_are_the_smallest_connected_id_however_long_the_chain() -> None:
    from mast.resolver import spark as on_spark  # noqa: PLC0415

    spark = on_spark.session("local[2]")
    # A chain written out of order (labels must travel five steps), a pair, and a star.
    edges = [("p5", "p6"), ("p3", "p4"), ("p1", "p2"), ("p4", "p5"), ("p2", "p3")]
    edges += [("q2", "q1"), ("r1", "r9"), ("r9", "r3"), ("r9", "r2")]
    found = on_spark.components(spark.createDataFrame(edges, "a string, b string"))
    got = {row["id"]: row["component"] for row in found.collect()}
    assert got == {
        **{f"p{i}": "p1" for i in range(1, 7)},
        "q1": "q1",
        "q2": "q1",
        **{r: "r1" for r in ("r1", "r2", "r3", "r9")},
    }


def test_components_of_a_long_chain_and_a_random_graph_match_union_find() -> None:
    """A chain longer than least-label propagation's round limit (a partner's person id
    chains its profiles so) and a random graph: the same components as union-find."""
    from mast.resolver import spark as on_spark  # noqa: PLC0415

    rng = random.Random(23)
    chain = [f"c{i:04d}" for i in range(250)]
    edges = list(itertools.pairwise(chain))
    nodes = [f"g{i:03d}" for i in range(300)]
    for _ in range(240):  # one large component and many small ones
        a, b = rng.sample(nodes, 2)
        edges.append((a, b))
    rng.shuffle(edges)
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        parent[max(ra, rb)] = min(ra, rb)
    expected = {x: find(x) for x in parent}
    spark = on_spark.session("local[2]")
    found = on_spark.components(spark.createDataFrame(edges, "a string, b string"))
    rows = found.collect()
    assert len(rows) == len(expected)  # each id once
    assert {row["id"]: row["component"] for row in rows} == expected


def test_the_models_duckdb_conditions_read_as_spark_sql() -> None:
    from mast.resolver import spark as on_spark  # noqa: PLC0415
    from mast.resolver.model import settings  # noqa: PLC0415

    converted = on_spark.spark_settings(settings())
    conditions = [
        level["sql_condition"]
        for comparison in converted["comparisons"]
        for level in comparison["comparison_levels"]
    ]
    text = " ".join(conditions).lower()
    # DuckDB's names, which Spark does not know, are all gone; Splink's Spark UDFs stand in.
    for duckdb_only in ("jarowinkler", "jaro_winkler_similarity", "list_", "len(", "&&"):
        assert duckdb_only not in text, duckdb_only
    assert "jaro_winkler(" in text and "arrays_overlap(" in text and "size(array_intersect(" in text
