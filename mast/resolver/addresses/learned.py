"""Learned address linkage: Splink scores pairs of keys the exact keys leave apart.

The exact keys and their repairs (`cluster.py`) join one place written one way, or with
one kind of slip. A place mistyped twice (street and postcode), written in another order
(the building name where the street should be) or with a part missing has a key of its own;
here a Fellegi–Sunter model, its m and u learned by Splink (DuckDB backend, as the people
model is) from the region's own keys, weighs each comparison: the numbers wherever they
stand, the postcode's unit, sector and district, the street and the building name (their
exact agreement weighed by how rare the name is, by term frequency), either written in the
other's field, and the town or locality. A guard no weight can pass (`guard`) keeps apart
two keys with other numbers or flats, unlike streets or no area in common; two different
UPRNs never join (`cluster.py`).

The model (its m, u, prior and the name frequencies it was trained with) is learned on a
region's first full run and kept, so a pair scores the same in every later run, full or a
day's; `mast resolve --retrain` learns it again.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import duckdb
import pandas as pd
from rapidfuzz.distance import JaroWinkler

from mast.resolver.addresses.cluster import Link, cluster_keys
from mast.resolver.addresses.keys import UNSURE, AddressInput, Key, KeyState, add_inputs, posted

log = logging.getLogger(__name__)

LINK_WEIGHT = 3.17
"""The match weight (log2 Bayes factor at the learned prior) from which two keys are one
place: a match probability of 0.9."""
MIN_KEYS_TO_TRAIN = 500
"""Fewer keys than this keep the starting m and u below: too few pairs to learn from."""
SEP = "\x1f"
_NUMBER = re.compile(r"\d+(?:[a-z](?![a-z]))?")  # 14, 14a; not the b of '3block'
STREET_GUARD = 0.9
"""Jaro–Winkler from which two streets may be one mistyped (`guard`)."""
_SAME_NUMBERS = "list_has_all(numbers_l, numbers_r) AND list_has_all(numbers_r, numbers_l)"
_WITHIN = "list_has_all(numbers_l, numbers_r) OR list_has_all(numbers_r, numbers_l)"
# Each level: (label, SQL condition, starting m, starting u). The first is the null level.
# The starting values are what an untrained model (a small first load) scores with.
_Level = tuple[str, str, float, float]
_LEVELS: dict[str, list[_Level]] = {
    "numbers": [
        ("no numbers", "len(numbers_l) = 0 AND len(numbers_r) = 0", 0, 0),
        ("same numbers", _SAME_NUMBERS, 0.9, 0.01),
        ("one's numbers within the other's", _WITHIN, 0.08, 0.05),
        ("different numbers", "ELSE", 0.02, 0.94),
    ],
    "postcode": [
        ("postcode missing", "postcode_l IS NULL OR postcode_r IS NULL", 0, 0),
        ("same postcode", "postcode_l = postcode_r", 0.85, 0.0005),
        ("same postcode sector", "sector_l = sector_r", 0.08, 0.01),
        ("same postcode district", "district_l = district_r", 0.04, 0.05),
        ("different postcode districts", "ELSE", 0.03, 0.94),
    ],
    "street": [
        ("street missing", "street_l IS NULL OR street_r IS NULL", 0, 0),
        ("same street", "street_l = street_r", 0.85, 0.002),
        ("street mistyped", "jaro_winkler_similarity(street_l, street_r) >= 0.9", 0.08, 0.002),
        ("street alike", "jaro_winkler_similarity(street_l, street_r) >= 0.75", 0.03, 0.02),
        ("different streets", "ELSE", 0.04, 0.976),
    ],
    "name": [
        ("building name missing", "name_l IS NULL OR name_r IS NULL", 0, 0),
        ("same building name", "name_l = name_r", 0.7, 0.001),
        ("building name mistyped", "jaro_winkler_similarity(name_l, name_r) >= 0.88", 0.15, 0.002),
        ("different building names", "ELSE", 0.15, 0.997),
    ],
    "swapped": [
        ("no street or name", "len(words_l) = 0 OR len(words_r) = 0", 0, 0),
        (
            "street or building name written in the other's place",
            "street_l = name_r OR name_l = street_r",
            0.3,
            0.0005,
        ),
        ("not swapped", "ELSE", 0.7, 0.9995),
    ],
    "town": [
        ("town missing", "town_l IS NULL OR town_r IS NULL", 0, 0),
        ("same town", "town_l = town_r", 0.85, 0.3),
        (
            "one's town the other's locality",
            "town_l = locality_r OR locality_l = town_r",
            0.1,
            0.05,
        ),
        ("different towns", "ELSE", 0.05, 0.65),
    ],
}
_TF_LEVELS = {("street", 1): "street", ("name", 1): "name"}
BLOCKS: tuple[tuple[str, ...], ...] = (("postcode",), ("street", "number1"), ("sector", "digits"))
"""Candidate pairs: the same postcode; the same street and door number (a postcode mistyped
or missing); the same postcode sector and every number (a street mistyped as well)."""
_TRAINING_BLOCKS = ("l.postcode = r.postcode", "l.street = r.street AND l.number1 = r.number1")


def settings(prior: float) -> dict[str, Any]:
    """Splink settings with the starting m and u, at this prior."""
    comparisons = []
    for name, levels in _LEVELS.items():
        out = []
        for i, (label, sql, m, u) in enumerate(levels):
            level: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label}
            if i == 0:
                level["is_null_level"] = True
            else:
                level.update(m_probability=m, u_probability=u)
            if (name, i) in _TF_LEVELS:
                level["tf_adjustment_column"] = _TF_LEVELS[(name, i)]
                level["tf_adjustment_weight"] = 1.0
            out.append(level)
        comparisons.append({"output_column_name": name, "comparison_levels": out})
    rules = [" AND ".join(f"l.{c} = r.{c}" for c in block) for block in BLOCKS]
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "key_id",
        "probability_two_random_records_match": prior,
        "comparisons": comparisons,
        "blocking_rules_to_generate_predictions": rules,
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
    }


@lru_cache(maxsize=262_144)
def _numbers_in(part: str) -> tuple[str, ...]:
    return tuple(n.lstrip("0") or "0" for n in _NUMBER.findall(part))


def numbers_of(key: Key) -> list[str]:
    """The numbers of a key's premises, flat, street and building name, wherever they stand,
    without leading zeros (flat 04 is flat 4)."""
    return sorted({n for part in key[1:] for n in _numbers_in(part)})


def blocks_of(key: Key) -> list[str]:
    """The candidate blocks a key is in (`BLOCKS`), as text, to store and look up by."""
    if key[1].startswith(UNSURE):
        return []  # left to the rules (`frame`)
    postcode = key[0] if posted(key) else ""
    numbers = numbers_of(key)
    number1 = next((n for n in numbers if key[1].startswith(n)), "")
    parts = ((postcode,), (key[3], number1), (postcode[:-2], " ".join(numbers)))
    return [f"{i}{SEP}" + SEP.join(p) for i, p in enumerate(parts) if all(p)]


def _columns(keys: Sequence[Key], places: Sequence[tuple[str, str]]) -> dict[str, list[Any]]:
    """The columns Splink reads, built a column at a time (a third the time of row dicts)."""
    postcodes = [k[0] if posted(k) else "" for k in keys]
    numbers = [numbers_of(k) for k in keys]
    return {
        "key_id": [SEP.join(k) for k in keys],
        "postcode": [p or None for p in postcodes],
        "sector": [p[:-2] or None for p in postcodes],
        "district": [p[:-3] or None for p in postcodes],
        "numbers": numbers,
        "number1": [
            next((n for n in ns if k[1].startswith(n)), None)
            for k, ns in zip(keys, numbers, strict=True)
        ],
        "digits": [" ".join(ns) or None for ns in numbers],
        "flat": [(k[2].lstrip("0") or "0") if k[2] else None for k in keys],
        "street": [k[3] or None for k in keys],
        "name": [k[4] or None for k in keys],
        "words": [[w for w in (k[3], k[4]) if w] for k in keys],
        "town": [p[0] or None for p in places],
        "locality": [p[1] or None for p in places],
    }


def frame(states: Mapping[Key, KeyState]) -> pd.DataFrame:
    """The table Splink reads: one row per key, in key order. A name alone that may be a
    district's (`address_key`) is left to the rules: the model would find it a place."""
    keys = [k for k in sorted(states) if not k[1].startswith(UNSURE)]
    return pd.DataFrame(_columns(keys, [states[k].place for k in keys]))


def _quiet() -> None:
    logging.getLogger("splink").setLevel(logging.WARNING)
    logging.getLogger("splink.internals.expectation_maximisation").setLevel(logging.ERROR)


def prior_of(groups: Iterable[int], keys: int) -> float:
    """How often two keys picked at random are one place, as the exact keys and their
    repairs found it: pairs within their clusters over all pairs."""
    within = sum(n * (n - 1) / 2 for n in groups)
    every = keys * (keys - 1) / 2
    return min(max(within / every, 1e-9), 0.5) if every else 0.01


def train(table: pd.DataFrame, prior: float, *, seed: int = 1) -> dict[str, Any]:
    """Learn u by random sampling and m by EM on these keys (at least `MIN_KEYS_TO_TRAIN`,
    else the starting values stand); the model keeps the street and name frequencies it
    was learned with."""
    from splink import DuckDBAPI, Linker  # noqa: PLC0415 - splink is heavy
    from splink.internals.exceptions import EMTrainingException  # noqa: PLC0415

    _quiet()
    model = settings(prior)
    if len(table) >= MIN_KEYS_TO_TRAIN:
        db = DuckDBAPI(connection=duckdb.connect())
        linker = Linker(
            db.register(table, table_name="address_keys_train"), model, log_level=logging.WARNING
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=seed)
        for rule in _TRAINING_BLOCKS:
            before = linker.misc.save_model_to_json()
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    rule, max_pairs=1e6, record_sample_proportion=1.0
                )
                continue
            except (EMTrainingException, ValueError):
                log.warning("address model: training on (%s) did not converge", rule)
            linker = Linker(
                db.register(table, table_name="address_keys_train"),
                before,
                log_level=logging.WARNING,
            )
        model = _reproducible(linker.misc.save_model_to_json())
        model["probability_two_random_records_match"] = prior
    tf = {
        column: {str(k): float(v) for k, v in table[column].value_counts(normalize=True).items()}
        for column in _TF_LEVELS.values()
    }
    return {"splink": model, "tf": tf}


def _reproducible(saved: dict[str, Any]) -> dict[str, Any]:
    """Probabilities to 10 significant figures (DuckDB sums in parallel: the last digits vary
    from run to run) and none at 0, which Splink refuses to load."""
    saved.pop("linker_uid", None)
    for comparison in saved.get("comparisons", []):
        for level in comparison.get("comparison_levels", []):
            for name in ("m_probability", "u_probability"):
                if name in level:
                    level[name] = max(float(f"{level[name]:.10g}"), 1e-300)
    return saved


def links(
    table: pd.DataFrame, model: dict[str, Any], *, among: Sequence[str] | None = None
) -> list[tuple[str, str]]:
    """The pairs of these keys (ids, lower first) that score at least LINK_WEIGHT and pass
    the guard; with `among`, only pairs with at least one of those keys."""
    if len(table) < 2:
        return []
    from splink import DuckDBAPI, Linker  # noqa: PLC0415

    _quiet()
    con = duckdb.connect()
    db = DuckDBAPI(connection=con)
    linker = Linker(
        db.register(table, table_name="address_keys_all"),
        model["splink"],
        log_level=logging.WARNING,
    )
    for column, freqs in model["tf"].items():
        lookup = pd.DataFrame({column: list(freqs), f"tf_{column}": list(freqs.values())})
        linker.table_management.register_term_frequency_lookup(
            db.register(lookup, table_name=f"tf_lookup_{column}"), column
        )
    scored = linker.inference.predict(threshold_match_weight=LINK_WEIGHT, warning_mode="never")
    pairs = scored.as_pandas_dataframe()[["key_id_l", "key_id_r"]]  # type: ignore[no-untyped-call]
    guarded = _guarded(table, pairs)
    wanted = set(among) if among is not None else None
    return sorted(
        (min(a, b), max(a, b)) for a, b in guarded if wanted is None or a in wanted or b in wanted
    )


def _guarded(table: pd.DataFrame, pairs: pd.DataFrame) -> list[tuple[str, str]]:
    """The pairs `guard` lets through."""
    wanted = table[table["key_id"].isin(set(pairs["key_id_l"]) | set(pairs["key_id_r"]))]
    row = {r.key_id: r for r in wanted.itertuples(index=False)}
    return [
        (a, b)
        for a, b in zip(pairs["key_id_l"], pairs["key_id_r"], strict=True)
        if guard(row[a], row[b])
    ]


def guard(a: Any, b: Any) -> bool:
    """Whether two keys' rows (`frame`) may be linked at all. A number one has and the other
    has not, or has otherwise, is another home however alike the rest (a building name
    without its number is joined by the rules, `cluster.py`); a flat is not its building, nor
    another flat; and two streets unlike each other are two streets even in one postcode
    (Castle Hill and Castle Street), where the postcode and number alone would outweigh
    them. And the two must be in one area: one postcode district, or, where either has no
    postcode, a town or locality in common (a street name recurs from town to town; a key
    that names no area at all could join any of them, and so joins none)."""
    if list(a.numbers) != list(b.numbers) or (a.flat or "") != (b.flat or ""):
        return False
    if not _one_area(a, b):
        return False
    if not a.street or not b.street or a.street == b.name or a.name == b.street:
        return True
    return bool(JaroWinkler.similarity(a.street, b.street) >= STREET_GUARD)


def _one_area(a: Any, b: Any) -> bool:
    if a.postcode and b.postcode:
        return bool(a.district == b.district)
    return bool({a.town, a.locality} & {b.town, b.locality} - {None})


def model_for(states: Mapping[Key, KeyState]) -> dict[str, Any]:
    """A model learned from these keys, at the prior their exact clustering shows."""
    of_key = cluster_keys(states)
    sizes: dict[int, int] = {}
    for n in of_key.values():
        sizes[n] = sizes.get(n, 0) + 1
    return train(frame(states), prior_of(sizes.values(), len(states)))


def key_links(
    states: Mapping[Key, KeyState], model: dict[str, Any], *, among: Iterable[Key] | None = None
) -> list[Link]:
    """`links` between these keys, as keys."""
    by_id = {SEP.join(k): k for k in states}
    ids = None if among is None else [SEP.join(k) for k in among]
    return [(by_id[a], by_id[b]) for a, b in links(frame(states), model, among=ids)]


def resolve_addresses(
    inputs: Iterable[AddressInput], model: dict[str, Any] | None = None
) -> dict[str, int]:
    """record_id → cluster number, for every record that names a place; the model learned
    from these records unless one is given."""
    states: dict[Key, KeyState] = {}
    record_key = add_inputs(states, inputs)
    of_key = cluster_keys(states, key_links(states, model or model_for(states)))
    return {rid: of_key[k] for rid, k in record_key.items() if k in of_key}
