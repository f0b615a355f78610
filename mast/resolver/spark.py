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

import atexit
import logging
import math
import os
import shutil
import sys
import tempfile
import uuid
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
_MAX_ROUNDS = 100
"""Large-star/small-star takes O(log² n) rounds (Kiveris et al. 2014): a handful for any
graph of people; a hundred would be a fault in the algorithm, not in the data."""


def session(master: str | None = None) -> Any:
    """The active session (spark-submit, Databricks, EMR), else one on `master`
    (MAST_SPARK_MASTER), else `local[2]`; with Splink's similarity functions registered and
    a checkpoint directory for the intermediate tables (`scratch`)."""
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
        memory = os.environ.get("MAST_SPARK_DRIVER_MEMORY") or "3g"
        builder = builder.config("spark.driver.memory", memory)
        # Out of heap, a local JVM hung until killed (bench/RESULTS.md, "scale"); exiting
        # instead fails the run with an error the operator sees.
        builder = builder.config("spark.driver.extraJavaOptions", "-XX:+ExitOnOutOfMemoryError")
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


def scratch(spark: Any) -> str:
    """Where intermediate tables go as parquet: the session's checkpoint directory, else
    MAST_SPARK_CHECKPOINT_DIR, else (local mode only) a temporary directory removed at exit.

    Intermediate tables are written to disk, not persisted in memory: in local mode the
    executors share the driver's heap, and tables persisted there (Splink's default here
    was "persist") left too little of it for the clustering's sort at 30,000 people."""
    found = spark.sparkContext._jsc.sc().getCheckpointDir()
    if not found.isEmpty():
        return str(found.get())
    path = os.environ.get("MAST_SPARK_CHECKPOINT_DIR")
    if not path:
        if not spark.sparkContext.master.startswith("local"):
            raise ConfigError(
                "linkage on a Spark cluster needs MAST_SPARK_CHECKPOINT_DIR: a directory "
                "every executor can reach (HDFS, S3, a shared mount)"
            )
        path = tempfile.mkdtemp(prefix="mast-spark-")
        atexit.register(shutil.rmtree, path, ignore_errors=True)
    spark.sparkContext.setCheckpointDir(path)
    return str(spark.sparkContext._jsc.sc().getCheckpointDir().get())


def _cut(spark: Any, frame: Any) -> Any:
    """`frame` written to the scratch directory and read back: its lineage cut, and held
    on disk rather than in the executors' memory."""
    path = f"{scratch(spark).rstrip('/')}/mast-{uuid.uuid4().hex}"
    frame.write.parquet(path)
    return spark.read.parquet(path)


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


def predict(spark: Any, frame: pd.DataFrame, model: dict[str, Any], *, min_weight: float) -> Any:
    """Every candidate pair scoring at least `min_weight`, scored by Splink on Spark with
    the stored model, as a Spark DataFrame of `model.EDGE_COLUMNS` (what `model.predict`
    gives on DuckDB), held as parquet in the scratch directory."""
    from pyspark.sql import functions as F  # noqa: PLC0415
    from splink import Linker, SparkAPI  # noqa: PLC0415

    splink_model._quiet()
    scratch(spark)  # Splink's "parquet" lineage breaks write to the checkpoint directory
    db = SparkAPI(spark_session=spark, break_lineage_method="parquet")  # type: ignore[no-untyped-call]
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
    ).as_spark_dataframe()
    a, b = F.col("profile_id_l"), F.col("profile_id_r")
    edges = scored.select(
        F.least(a, b).alias("profile_a"),
        F.greatest(a, b).alias("profile_b"),
        (F.col("match_weight").cast("double") + shift).alias("weight"),
        *(
            # A comparison no level of which was trained has no column: it weighed nothing.
            (F.col(f"mw_{n}").cast("double") if f"mw_{n}" in scored.columns else F.lit(0.0)).alias(
                f"mw_{n}"
            )
            for n in splink_model.COMPARISONS
        ),
    ).dropDuplicates(["profile_a", "profile_b"])
    return _cut(spark, edges)


def to_pandas(scored: Any) -> pd.DataFrame:
    """Scored pairs in the driver, in `model.predict`'s form, for the state store."""
    out: pd.DataFrame = scored.toPandas()
    return out.sort_values(["profile_a", "profile_b"], ignore_index=True)


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
    its smallest connected id.

    Alternating large-star and small-star (Kiveris et al., "Connected components in
    MapReduce and beyond", 2014) on edges pointing from the larger id to the smaller, until
    the edges are stars: each id points at one centre, which points nowhere. Each operation
    keeps what is connected to what and never raises an id's smallest neighbour, so the
    centres are the smallest ids; it takes O(log² n) rounds where passing the least label
    along the edges took the longest chain's length (a partner's person id chains its
    profiles), each round a table kept by Spark."""
    from pyspark.sql import functions as F  # noqa: PLC0415

    spark = edges.sparkSession
    u, v = F.col("u"), F.col("v")
    e = _cut(
        spark,
        edges.select(F.greatest("a", "b").alias("u"), F.least("a", "b").alias("v"))
        .where(u != v)
        .distinct(),
    )
    for rounds in range(1, _MAX_ROUNDS + 1):
        e = _cut(spark, _small_star(_large_star(e)))
        if e.groupBy("u").count().where("count > 1").isEmpty() and (
            e.join(e.select(u.alias("v")), "v", "left_semi").isEmpty()
        ):
            log.info("people: connected components in %d rounds", rounds)
            centres = e.select(v.alias("id")).distinct().withColumn("component", F.col("id"))
            return e.select(u.alias("id"), v.alias("component")).unionByName(centres)
    raise RuntimeError(f"connected components did not settle in {_MAX_ROUNDS} rounds")


def _large_star(e: Any) -> Any:
    """Every id's larger neighbours to the smallest id in its neighbourhood (itself too)."""
    from pyspark.sql import functions as F  # noqa: PLC0415

    both = e.unionByName(e.select(F.col("v").alias("u"), F.col("u").alias("v")))
    least = both.groupBy("u").agg(F.least(F.min("v"), F.col("u")).alias("m"))
    return (
        both.where(F.col("v") > F.col("u"))
        .join(least, "u")
        .select(F.col("v").alias("u"), F.col("m").alias("v"))
        .distinct()
    )


def _small_star(e: Any) -> Any:
    """Every id and its smaller neighbours to the smallest of them."""
    from pyspark.sql import functions as F  # noqa: PLC0415

    least = e.groupBy("u").agg(F.min("v").alias("m"))
    return (
        e.join(least, "u")
        .select(F.col("v").alias("u"), "m")
        .unionByName(least)
        .where(F.col("u") != F.col("m"))
        .select("u", F.col("m").alias("v"))
        .distinct()
    )


_PROFILE_SCHEMA = (
    "profile_id string, source string, given string, middle string, family string, "
    "other_family string, dob date, dob_lo date, dob_hi date, sex string, nhs string, "
    "address_id string, postcode string, address_event boolean, size double, "
    "apart array<string>"
)
_BUCKET = 250_000
"""Edges clustered in one call at most, on average: what a Python worker holds at once
(a few hundred MB), whatever the region's size."""
_GROUP_SCHEMA = f"component string, weight double, a string, b string, {_PROFILE_SCHEMA}"
"""One component's rows for `_cluster_component`: an edge (weight, a, b) or a profile."""


def cluster_on_spark(
    spark: Any,
    profiles: Mapping[str, Profile],
    edges: Iterable[WeightedPair],
    *,
    scored: Any = None,
    sizes: Mapping[str, int],
    apart: Mapping[str, set[str]],
) -> Clustering:
    """What `cluster.cluster` gives for `edges` (a few, from the driver: reviewers' links
    and partners' person ids) and `scored` (a Spark DataFrame of profile_a, profile_b,
    weight: every scored pair to cluster on), computed one connected component at a time
    by the executors.

    The scored pairs never come to the driver: components are found in Spark, each
    component's edges and profiles are grouped onto one executor, and only each touched
    profile's cluster, and the few refused edges, come back."""
    from pyspark.sql import functions as F  # noqa: PLC0415

    few = [(float(w), a, b) for w, a, b in edges if a in profiles and b in profiles]
    edge_df = spark.createDataFrame(few, "weight double, a string, b string")
    if scored is not None:
        edge_df = edge_df.unionByName(
            scored.select("weight", F.col("profile_a").alias("a"), F.col("profile_b").alias("b"))
        )
    edge_df = _cut(spark, edge_df)
    if edge_df.isEmpty():
        return cluster(profiles, [], sizes=sizes, apart=apart)
    comp = _cut(spark, components(edge_df))
    rows = pd.DataFrame(list(profiles.values()), columns=list(Profile._fields))
    rows["size"] = [float(sizes.get(pid, 1)) for pid in rows.profile_id]
    rows["apart"] = [sorted(apart.get(pid, ())) for pid in rows.profile_id]
    profile_df = spark.createDataFrame(_for_spark(rows), _PROFILE_SCHEMA)
    keyed_edges = edge_df.join(comp.select(F.col("id").alias("a"), "component"), "a")
    keyed_profiles = profile_df.join(
        comp.select(F.col("id").alias("profile_id"), "component"), "profile_id"
    )
    # One frame, one grouping: an edge row has its weight, a profile row its fields. Many
    # components to a group, whole: one call per component cost more in pandas than the
    # clustering, and `cluster` gives a union of components what it gives each alone.
    buckets = max(2 * spark.sparkContext.defaultParallelism, -(-edge_df.count() // _BUCKET))
    grouped = (
        keyed_edges.unionByName(keyed_profiles, allowMissingColumns=True)
        .select(*(F.col(c) for c in _column_names(_GROUP_SCHEMA)))
        .withColumn("bucket", F.pmod(F.xxhash64("component"), F.lit(buckets)))
    )
    result = (
        grouped.groupBy("bucket")
        .applyInPandas(_cluster_component, schema="kind string, a string, b string, weight double")
        .toPandas()
    )
    members = result[result.kind == "member"]
    refused = result[result.kind == "refused"]
    cluster_of = {pid: pid for pid in profiles}
    cluster_of.update(zip(members.a.tolist(), members.b.tolist(), strict=True))
    return Clustering(
        cluster_of,
        sorted(
            Edge(w, a, b)
            for w, a, b in zip(
                refused.weight.tolist(), refused.a.tolist(), refused.b.tolist(), strict=True
            )
        ),
    )


def _column_names(schema: str) -> list[str]:
    return [field.strip().split(" ", 1)[0] for field in schema.split(", ") if " " in field]


def _cluster_component(group: pd.DataFrame) -> pd.DataFrame:
    """Runs on an executor: whole components' profiles clustered by `cluster.cluster`."""
    edges = group[group.weight.notna()]
    rows = group[group.weight.isna()]
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
