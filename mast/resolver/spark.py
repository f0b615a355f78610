"""A full run's linkage on Spark: Splink's Spark backend scores the pairs, and clustering
runs per connected component on the executors.

The model is the one DuckDB trained and the store keeps: only its SQL is put into Spark's
dialect (`spark_settings`), so a pair's m, u and term frequencies are the same on either
engine. Clustering is exact, not an approximation: `cluster.cluster` only ever joins two
profiles along edges, in an order fixed by (weight, ids), so running it on each connected
component alone gives the clusters and refused edges it gives on the whole graph. The
components are found in Spark by minimum-label propagation (GraphFrames is not to be had
offline), and each one is clustered by `applyInPandas` on whichever executor holds it, so no
process ever holds every edge. See docs/architecture.md, "Linkage on Spark".

pyspark is an optional extra (`pip install mast[spark]`): it is imported only here, and this
module only when a run asks for Spark.
"""

from __future__ import annotations

import logging
import math
import os
import sys
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import pandas as pd
import sqlglot
from sqlglot import exp

from mast.core.errors import ConfigError
from mast.resolver import model as splink_model
from mast.resolver.cluster import Clustering, Edge, WeightedPair, cluster
from mast.resolver.profiles import Profile

log = logging.getLogger(__name__)

LOCAL_MASTER = "local[2]"
"""Where a session runs when there is neither an active one nor MAST_SPARK_MASTER."""
_MAX_ROUNDS = 200
"""Label propagation halves no diameter: a chain of n profiles takes n rounds. Clusters are
people (a few dozen profiles at most), so a component this long is a data fault."""


def session(master: str | None = None) -> Any:
    """The active session (spark-submit, Databricks, EMR), else one on `master`
    (MAST_SPARK_MASTER), else `local[2]`; with Splink's similarity functions registered."""
    try:
        from pyspark.sql import SparkSession  # noqa: PLC0415 - the optional extra
    except ImportError as e:
        raise ConfigError(
            "linkage on Spark needs the spark extra: pip install 'mast[spark]' (and Java 17)"
        ) from e
    from splink.backends.spark import similarity_jar_location  # noqa: PLC0415

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    master = master or os.environ.get("MAST_SPARK_MASTER") or LOCAL_MASTER
    builder = SparkSession.builder.master(master).appName("mast-resolve")
    if master.startswith("local"):
        # Local workers run this interpreter (MAST's environment); a cluster's executors
        # run the Python their deployment gives them (spark.pyspark.python).
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = builder.config("spark.pyspark.python", os.environ["PYSPARK_PYTHON"])
        # Local mode runs the executors inside the driver's JVM, whose 1 GiB default ran
        # out of heap scoring 15,000 people (bench/scale.py); a cluster sizes its own.
        builder = builder.config("spark.driver.memory", "3g")
    return (
        builder.config("spark.jars", similarity_jar_location())
        # Small shuffles at test size; a cluster sets its own (spark-defaults.conf).
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )


def _to_spark(sql: str) -> str:
    """One of the model's DuckDB conditions in Spark SQL, calling Splink's Spark UDFs."""

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.JarowinklerSimilarity):
            return exp.Anonymous(this="jaro_winkler", expressions=[node.this, node.expression])
        if isinstance(node, exp.ArrayOverlaps):
            return exp.Anonymous(this="arrays_overlap", expressions=[node.this, node.expression])
        if isinstance(node, exp.Length) and isinstance(node.this, exp.Anonymous):
            # DuckDB's len() of a list is its size; Spark's length() is for strings.
            inner = node.this
            if inner.name.lower() == "list_intersect":
                return exp.Anonymous(
                    this="size",
                    expressions=[
                        exp.Anonymous(this="array_intersect", expressions=inner.expressions)
                    ],
                )
        return node

    tree = sqlglot.parse_one(sql, read="duckdb").transform(swap)
    return tree.sql(dialect="spark")


def spark_settings(splink: Mapping[str, Any]) -> dict[str, Any]:
    """The trained model's Splink settings with every condition in Spark's dialect; the
    probabilities untouched."""
    out = {**splink, "sql_dialect": "spark"}
    out["comparisons"] = [
        {
            **comparison,
            "comparison_levels": [
                (
                    {**level, "sql_condition": _to_spark(level["sql_condition"])}
                    if level["sql_condition"] != "ELSE"
                    else level
                )
                for level in comparison["comparison_levels"]
            ],
        }
        for comparison in splink["comparisons"]
    ]
    out["blocking_rules_to_generate_predictions"] = [
        {**rule, "blocking_rule": _to_spark(rule["blocking_rule"]), "sql_dialect": "spark"}
        if isinstance(rule, dict)
        else _to_spark(rule)
        for rule in splink["blocking_rules_to_generate_predictions"]
    ]
    return out


def predict(
    spark: Any, frame: pd.DataFrame, model: dict[str, Any], *, min_weight: float
) -> pd.DataFrame:
    """Every candidate pair scoring at least `min_weight`, scored by Splink on Spark with
    the stored model (as `model.predict` does on DuckDB)."""
    from splink import Linker, SparkAPI  # noqa: PLC0415

    splink_model._quiet()
    db = SparkAPI(spark_session=spark, break_lineage_method="persist")  # type: ignore[no-untyped-call]
    table = db.register(_for_spark(frame), table_name="mast_profiles_all")
    linker = Linker(table, spark_settings(model["splink"]), log_level=logging.WARNING)
    for column, freqs in model["tf"].items():
        lookup = pd.DataFrame({column: list(freqs), f"tf_{column}": list(freqs.values())})
        linker.table_management.register_term_frequency_lookup(
            db.register(lookup, table_name=f"mast_tf_lookup_{column}"), column
        )
    shift = splink_model.weight_shift(model)
    scored = linker.inference.predict(
        threshold_match_weight=min_weight - shift, warning_mode="never"
    )
    return splink_model._edges(splink_model._frame(scored), shift)


def _for_spark(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as Python dates (Spark reads Arrow's date32 from object columns badly)."""
    out = frame.copy()
    for column in ("dob", "dob_lo", "dob_hi"):
        out[column] = pd.Series(frame[column].tolist(), dtype=object)
    return out


# --- clustering ------------------------------------------------------------------------

_PROFILE_COLUMNS = [*Profile._fields, "size", "apart"]


def components(edges: Any) -> Any:
    """(id, component) for every profile an edge (columns a, b) touches: the component is
    its smallest connected id, found by propagating the least label along the edges until
    no label changes."""
    from pyspark.sql import functions as F  # noqa: PLC0415

    both = edges.select(F.col("a").alias("src"), F.col("b").alias("dst")).union(
        edges.select(F.col("b").alias("src"), F.col("a").alias("dst"))
    )
    both = both.localCheckpoint()
    labels = both.select(F.col("src").alias("id")).distinct().withColumn("label", F.col("id"))
    for _ in range(_MAX_ROUNDS):
        offered = both.join(labels, both.src == labels.id).select(
            F.col("dst").alias("id"), F.col("label").alias("offer")
        )
        least = F.least("label", F.coalesce("offer", "label"))
        nxt = (
            labels.join(offered.groupBy("id").agg(F.min("offer").alias("offer")), "id", "left")
            .select("id", least.alias("label"), (least < F.col("label")).alias("changed"))
            .localCheckpoint()  # cut the lineage: each round builds on the last
        )
        labels = nxt.select("id", "label")
        if nxt.where("changed").isEmpty():  # read from the checkpoint: no join again
            return labels.withColumnRenamed("label", "component")
    raise RuntimeError(f"connected components did not settle in {_MAX_ROUNDS} rounds")


def cluster_on_spark(
    spark: Any,
    profiles: Mapping[str, Profile],
    edges: Iterable[WeightedPair],
    *,
    sizes: Mapping[str, int],
    apart: Mapping[str, set[str]],
) -> Clustering:
    """What `cluster.cluster` gives, computed one connected component at a time on Spark.

    Longer than 80 lines because the Spark plan (edges, label propagation, the per-component
    function shipped to the workers) reads as one piece; its steps are commented."""
    from pyspark.sql import functions as F  # noqa: PLC0415
    from pyspark.sql.types import (  # noqa: PLC0415
        ArrayType,
        BooleanType,
        DateType,
        DoubleType,
        StringType,
        StructField,
        StructType,
    )

    edge_rows = [(float(w), a, b) for w, a, b in edges if a in profiles and b in profiles]
    if not edge_rows:
        return cluster(profiles, [], sizes=sizes, apart=apart)
    edge_schema = StructType(
        [
            StructField("weight", DoubleType(), False),
            StructField("a", StringType(), False),
            StructField("b", StringType(), False),
        ]
    )
    edge_df = spark.createDataFrame(edge_rows, edge_schema)
    comp = components(edge_df)
    touched = {pid for _, a, b in edge_rows for pid in (a, b)}
    text = StringType()
    profile_schema = StructType(
        [
            StructField("profile_id", text, False),
            *(
                StructField(f, text)
                for f in ("source", "given", "middle", "family", "other_family")
            ),
            *(StructField(f, DateType()) for f in ("dob", "dob_lo", "dob_hi")),
            *(StructField(f, text) for f in ("sex", "nhs", "address_id", "postcode")),
            StructField("address_event", BooleanType()),
            StructField("size", DoubleType()),
            StructField("apart", ArrayType(text)),
        ]
    )
    profile_df = spark.createDataFrame(
        [
            (*profiles[pid], float(sizes.get(pid, 1)), sorted(apart.get(pid, ())))
            for pid in sorted(touched)
        ],
        profile_schema,
    )
    # Each side its own copy of the labels, under its own names: two joins to one frame
    # would leave the grouping column ambiguous to Spark's analyser.
    keyed_edges = edge_df.join(
        comp.select(F.col("id").alias("a"), F.col("component").alias("edge_component")), "a"
    )
    keyed_profiles = profile_df.join(
        comp.select(F.col("id").alias("profile_id"), F.col("component").alias("component")),
        "profile_id",
    )
    out_schema = "kind string, a string, b string, weight double"
    result = (
        keyed_edges.groupBy("edge_component")
        .cogroup(keyed_profiles.groupBy("component"))
        .applyInPandas(_cluster_component, schema=out_schema)
        .toPandas()
    )
    members = result[result.kind == "member"]
    refused = result[result.kind == "refused"]
    cluster_of = {pid: pid for pid in profiles}
    cluster_of.update(zip(members.a.tolist(), members.b.tolist(), strict=True))
    return Clustering(
        cluster_of,
        [
            Edge(w, a, b)
            for w, a, b in zip(
                refused.weight.tolist(), refused.a.tolist(), refused.b.tolist(), strict=True
            )
        ],
    )


def _cluster_component(edges: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Runs on an executor: one component's profiles clustered by `cluster.cluster`."""
    profiles: dict[str, Profile] = {}
    sizes: dict[str, int] = {}
    apart: dict[str, set[str]] = {}
    for row in rows[_PROFILE_COLUMNS].itertuples(index=False, name=None):
        values: list[Any] = [None if _missing(v) else v for v in row]
        fields: list[Any] = [
            _date(v) if i in _DATE_FIELDS else v for i, v in enumerate(values[:-2])
        ]
        p = Profile(*fields)
        p = p._replace(address_event=bool(p.address_event))
        profiles[p.profile_id] = p
        sizes[p.profile_id] = int(values[-2] or 1)
        if values[-1] is not None and len(values[-1]):
            apart[p.profile_id] = {str(x) for x in values[-1]}
    weighted = list(zip(edges.weight.tolist(), edges.a.tolist(), edges.b.tolist(), strict=True))
    done = cluster(profiles, weighted, sizes=sizes, apart=apart)
    out: list[tuple[str, str, str, float | None]] = [
        ("member", pid, label, None) for pid, label in done.cluster_of.items()
    ]
    out.extend(("refused", e.a, e.b, e.weight) for e in done.refused)
    return pd.DataFrame(out, columns=["kind", "a", "b", "weight"])


_DATE_FIELDS = {Profile._fields.index(f) for f in ("dob", "dob_lo", "dob_hi")}


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _date(value: object) -> date | None:
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, date):
        return value
    raise TypeError("a profile date of an unexpected type")
