"""The person-matching model: Splink settings, training by EM, and scoring of profile pairs.

Splink (UK Ministry of Justice, DuckDB backend) does what it is best at: blocking, the
comparison vectors, m and u learned by expectation maximisation, term-frequency adjustment
for common names, and Fellegi–Sunter match weights. The levels below are MAST's; each one
says what kind of disagreement it tolerates, and `explain.py` turns them into words.

Everything here builds settings or runs Splink; no state-store I/O.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from datetime import date
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from mast.resolver.profiles import Profile, sector_of
from mast.text.names import given_groups, phonetic

log = logging.getLogger(__name__)
splink_log = logging.getLogger("splink")

COMPARISONS: tuple[str, ...] = ("nhs", "given", "family", "dob", "sex", "place")
EDGE_COLUMNS = ["profile_a", "profile_b", "weight", *(f"mw_{n}" for n in COMPARISONS)]
"""A scored pair: its profiles, its match weight, and each comparison's part of it."""

_SWAPPED = (
    "jaro_winkler_similarity(given_l, family_r) >= 0.88"
    " AND jaro_winkler_similarity(family_l, given_r) >= 0.88"
)
# Each level: (label used in explanations, SQL condition). The first is the null level.
_LEVELS: dict[str, list[tuple[str, str]]] = {
    "nhs": [
        ("NHS number missing", "nhs_l IS NULL OR nhs_r IS NULL"),
        ("same NHS number", "nhs_l = nhs_r"),
        # Never two valid NHS numbers (Mod-11 catches every one-digit slip); an identifier
        # with no check digit, such as FEBRL's, does have them.
        ("identifier differs by one digit", "damerau_levenshtein(nhs_l, nhs_r) = 1"),
        ("different NHS numbers", "ELSE"),
    ],
    "given": [
        ("given name missing", "given_l IS NULL OR given_r IS NULL"),
        ("same given name", "given_l = given_r"),
        ("given and family names written the other way round", _SWAPPED),
        (
            "given names are forms of one name",
            "len(list_intersect(given_groups_l, given_groups_r)) > 0",
        ),
        (
            # A short form cut from the front (Rhi, Rhiannon; Mo, Moses; Alex, Alexandra)
            # that no list of nicknames holds.
            "given name is a short form of the other",
            "(length(given_l) >= 2 AND length(given_r) > length(given_l)"
            " AND starts_with(given_r, given_l))"
            " OR (length(given_r) >= 2 AND length(given_l) > length(given_r)"
            " AND starts_with(given_l, given_r))",
        ),
        (
            "given name differs by a typing error",
            "jaro_winkler_similarity(given_l, given_r) >= 0.88",
        ),
        (
            "given name is an initial or a middle name of the other",
            "((length(given_l) = 1 OR length(given_r) = 1)"
            " AND substr(given_l, 1, 1) = substr(given_r, 1, 1))"
            " OR list_contains(string_split(middle_r, ' '), given_l)"
            " OR list_contains(string_split(middle_l, ' '), given_r)",
        ),
        ("different given names", "ELSE"),
    ],
    "family": [
        ("family name missing", "family_l IS NULL OR family_r IS NULL"),
        ("same family name", "family_l = family_r"),
        ("given and family names written the other way round", _SWAPPED),
        (
            "family name differs by a typing error",
            "jaro_winkler_similarity(family_l, family_r) >= 0.9",
        ),
        ("family names sound the same", "family_ph_l = family_ph_r"),
        (
            "family name changed (a former or double-barrelled name)",
            "family_l = other_family_r OR other_family_l = family_r"
            " OR list_has_any(string_split(family_l, ' '), string_split(family_r, ' '))",
        ),
        ("different family names", "ELSE"),
    ],
    "dob": [
        (
            "date of birth missing",
            "(dob_l IS NULL AND dob_lo_l IS NULL) OR (dob_r IS NULL AND dob_lo_r IS NULL)",
        ),
        ("same date of birth", "dob_l = dob_r"),
        (
            "date of birth with day and month swapped",
            "year(dob_l) = year(dob_r) AND month(dob_l) = day(dob_r) AND day(dob_l) = month(dob_r)",
        ),
        (
            "date of birth differs by one digit",
            "damerau_levenshtein(strftime(dob_l, '%Y%m%d'), strftime(dob_r, '%Y%m%d')) = 1",
        ),
        (
            "date of birth a year out",
            "month(dob_l) = month(dob_r) AND day(dob_l) = day(dob_r)"
            " AND abs(year(dob_l) - year(dob_r)) = 1",
        ),
        (
            "age consistent with the date of birth",
            "coalesce(dob_l, dob_hi_l) >= coalesce(dob_r, dob_lo_r)"
            " AND coalesce(dob_l, dob_lo_l) <= coalesce(dob_r, dob_hi_r)",
        ),
        (
            "age within two years of the date of birth",
            "coalesce(dob_l, dob_hi_l) + INTERVAL 2 YEAR >= coalesce(dob_r, dob_lo_r)"
            " AND coalesce(dob_l, dob_lo_l) - INTERVAL 2 YEAR <= coalesce(dob_r, dob_hi_r)",
        ),
        ("age does not fit the date of birth", "dob_l IS NULL OR dob_r IS NULL"),
        ("different dates of birth", "ELSE"),
    ],
    "sex": [
        ("sex missing", "sex_l IS NULL OR sex_r IS NULL"),
        ("same sex", "sex_l = sex_r"),
        ("different sex", "ELSE"),
    ],
    "place": [
        (
            "address missing",
            "postcode_l IS NULL AND address_id_l IS NULL"
            " OR postcode_r IS NULL AND address_id_r IS NULL",
        ),
        ("same address", "address_id_l = address_id_r"),
        # Weighs nothing, never trained (`_UNTRAINED`): where an incident happened says
        # nothing about where either person lives, so only agreement is evidence.
        ("one address is only where an event happened", "address_event_l OR address_event_r"),
        ("same postcode", "postcode_l = postcode_r"),
        ("same neighbourhood (postcode sector)", "sector_l = sector_r"),
        ("different areas", "ELSE"),
    ],
}
# Term frequencies: a common name, and a place many people are written down at (a
# hospital, a bus station, a police station where incidents are logged), is weaker evidence.
_TF = {("given", 1): "given", ("family", 1): "family", ("place", 1): "address_id"}
_UNTRAINED = {("place", 2)}
"""Levels that weigh nothing whatever the data: m and u fixed equal, never learned."""

BLOCKING_RULES: tuple[str, ...] = (
    "l.nhs = r.nhs",
    "l.family_ph = r.family_ph AND l.dob = r.dob",
    "l.given = r.given AND l.dob = r.dob",
    "l.family = r.family AND l.postcode = r.postcode",
    "l.dob = r.dob AND l.postcode = r.postcode",
    "l.given = r.given AND l.family = r.family AND l.sector = r.sector",
    "l.given = r.given AND l.postcode = r.postcode",
    "l.given = r.family AND l.family = r.given",
    "l.given = r.family AND l.dob = r.dob",
    "l.family = r.given AND l.dob = r.dob",
    # One name and the birth years a date, an age or a placeholder 1 January allows (an
    # age spans two calendar years, so either end of the range): an age-only or placeholder
    # record written at an incident address still meets its person. Two records with no
    # date at all meet on one name; a dated and an undated one need a place (the rules
    # above): one name against every dated record of it fits too many people (measured at
    # 2x the demo: 0.0003 precision, and a day's candidates tripled).
    # `person_store.candidates` finds the same pairs for a day.
    "l.given = r.given AND l.family = r.family AND l.byear_lo = r.byear_lo",
    "l.given = r.given AND l.family = r.family AND l.byear_hi = r.byear_hi",
    "l.given = r.given AND l.family = r.family AND l.byear_lo IS NULL AND r.byear_lo IS NULL",
)
"""Candidate pairs: any rule admits a pair. Measured in bench/resolve_speed.py."""

_DEFAULT_PRIOR = 1e-4
_EM_PAIRS = 1e6
"""Pairs sampled for each EM session: enough for stable m, and seconds rather than minutes."""
_TRAINING_BLOCKS = (
    "l.dob = r.dob",  # trains names, sex, place, NHS
    "l.family_ph = r.family_ph AND l.given = r.given",  # trains date of birth
)


def settings(*, untrained: bool = True) -> dict[str, Any]:
    """Splink's settings; without the `untrained` levels for training (see `train`)."""
    comparisons = []
    for name, levels in _LEVELS.items():
        out_levels: list[dict[str, Any]] = []
        for i, (label, sql) in enumerate(levels):
            if (name, i) in _UNTRAINED and not untrained:
                continue
            level: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label}
            if i == 0:
                level["is_null_level"] = True
            if (name, i) in _UNTRAINED:
                level |= {
                    "m_probability": 0.5,
                    "u_probability": 0.5,
                    "fix_m_probability": True,
                    "fix_u_probability": True,
                }
            if (name, i) in _TF:
                level["tf_adjustment_column"] = _TF[(name, i)]
                level["tf_adjustment_weight"] = 1.0
            out_levels.append(level)
        comparisons.append({"output_column_name": name, "comparison_levels": out_levels})
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "profile_id",
        "comparisons": comparisons,
        "blocking_rules_to_generate_predictions": list(BLOCKING_RULES),
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": True,
    }


def profile_frame(profiles: list[Profile]) -> pd.DataFrame:
    """The table Splink reads: one row per profile, empty strings as NULL."""

    def nz(values: Iterable[str]) -> list[str | None]:
        return [v or None for v in values]

    # Taken column by column from the tuples (a third faster than field by field per profile).
    (ids, _, given, middle, family, other, dob, lo, hi, sex, nhs, address, postcode, event) = (
        zip(*profiles, strict=True) if profiles else ((),) * len(Profile._fields)
    )
    return pd.DataFrame(
        {
            "profile_id": list(ids),
            "given": nz(given),
            "given_groups": [(list(given_groups(g)) or None) if g else None for g in given],
            "middle": nz(middle),
            "family": nz(family),
            "family_ph": [(phonetic(f) or None) if f else None for f in family],
            "other_family": nz(other),
            "dob": _dates(dob),
            "dob_lo": _dates(lo),
            "dob_hi": _dates(hi),
            # Birth years a date, an age or a placeholder allows: the range's first and last.
            "byear_lo": [(d or a).year if d or a else None for d, a in zip(dob, lo, strict=True)],
            "byear_hi": [(d or a).year if d or a else None for d, a in zip(dob, hi, strict=True)],
            "sex": list(sex),
            "nhs": list(nhs),
            "address_id": list(address),
            "postcode": list(postcode),
            "sector": [sector_of(p) for p in postcode],
            # A profile stored before the mark existed reads NULL: a home, as it was scored.
            "address_event": [bool(e) for e in event],
        }
    )


def _dates(values: Iterable[date | None]) -> pd.Series:
    """Dates as DuckDB DATEs: Arrow's date32 holds any year, where a pandas Timestamp stops
    at 1677 (historical_50k has earlier births)."""
    return pd.Series(pa.array(list(values), type=pa.date32()), dtype=pd.ArrowDtype(pa.date32()))


def _quiet() -> None:
    splink_log.setLevel(logging.WARNING)
    # A level the data never shows (no slipped identifier among valid NHS numbers, no names
    # written the other way round) keeps no m and weighs nothing; that is expected, not news.
    logging.getLogger("splink.internals.expectation_maximisation").setLevel(logging.ERROR)


def _db(con: duckdb.DuckDBPyConnection) -> Any:
    from splink import DuckDBAPI  # noqa: PLC0415 - splink is heavy; only resolution needs it

    return DuckDBAPI(connection=con)


def train(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, *, seed: int = 1) -> dict[str, Any]:
    """Learn m and u by EM on these profiles.

    The model is Splink's settings JSON under "splink" and the name frequencies it was
    trained with under "tf": every later scoring uses those same frequencies, so a pair
    scores the same in a full run and in an incremental one.
    """
    from splink import Linker  # noqa: PLC0415
    from splink.internals.exceptions import EMTrainingException  # noqa: PLC0415

    _quiet()
    db = _db(con)
    table = db.register(frame, table_name="profiles_train")
    # Trained without the levels that weigh nothing: EM separates matches from non-matches
    # by every comparison at once, and with most pairs' places made silent it lost its
    # footing (measured on the second region: "different dates of birth" drifted to m 0.38
    # and recall fell). They are put in after, between the levels they were trained among.
    linker = Linker(table, settings(untrained=False), log_level=logging.WARNING)
    try:
        linker.training.estimate_probability_two_random_records_match(
            ["l.nhs = r.nhs", "l.given = r.given AND l.family = r.family AND l.dob = r.dob"],
            recall=0.8,
        )
    except (ZeroDivisionError, ValueError):
        # A first load too small to estimate from: one profile has no pair to count, and
        # where every pair is a sure match Splink refuses the recall. Its prior stands.
        log.warning("model: too few profiles to estimate how often two are one person")
    started = linker.misc.save_model_to_json()
    if not started.get("probability_two_random_records_match"):
        # No sure matches among too few records: a prior of zero would make every weight
        # minus infinity, so Splink's own starting prior stands until there is more data.
        started["probability_two_random_records_match"] = _DEFAULT_PRIOR
        linker = Linker(table, started, log_level=logging.WARNING)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed)
    for rule in _TRAINING_BLOCKS:
        # A session takes the comparisons its rule blocks on out of the linker's own
        # settings and puts them back only if it succeeds: a failed one is undone from this.
        before = linker.misc.save_model_to_json()
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, max_pairs=_EM_PAIRS, record_sample_proportion=1.0
            )
            continue
        except EMTrainingException:
            # Too few records to learn from (a first small load): the levels keep Splink's
            # starting m values until `mast resolve --retrain` has more to go on.
            log.warning("model: too few pairs to train on (%s); starting values kept", rule)
        except ValueError:
            # EM drove a level's m to 0 on a few odd profiles, which Splink refuses (found
            # by the pipeline fuzz test): as for too few pairs.
            log.warning("model: training on (%s) did not converge; starting values kept", rule)
        linker = Linker(table, before, log_level=logging.WARNING)
    tf = {
        column: {str(k): float(v) for k, v in frame[column].value_counts(normalize=True).items()}
        for column in _TF.values()
    }
    return {
        "splink": _with_untrained(_reproducible(linker.misc.save_model_to_json())),
        "tf": tf,
        "weights_at_prior": REFERENCE_PRIOR,
    }


def _with_untrained(saved: dict[str, Any]) -> dict[str, Any]:
    """The trained model with the `_UNTRAINED` levels in their places, weighing nothing."""
    full = {c["output_column_name"]: c["comparison_levels"] for c in settings()["comparisons"]}
    for comparison in saved.get("comparisons", []):
        name = comparison["output_column_name"]
        levels = comparison["comparison_levels"]
        for i, level in enumerate(full[name]):
            if (name, i) in _UNTRAINED:
                levels.insert(i, level)
    return saved


_LEAST_PROBABILITY = 1e-300


def _reproducible(saved: dict[str, Any]) -> dict[str, Any]:
    """The same model from the same profiles, in any process: without Splink's random
    linker id, and with probabilities to 10 significant figures — DuckDB sums in parallel,
    so the last digits of an EM estimate vary from run to run (measured: 1 part in 10^16),
    and a replayed run must give the weights, not merely the clusters, of the first."""
    saved.pop("linker_uid", None)

    def rounded(value: Any) -> Any:
        return float(f"{value:.10g}") if isinstance(value, float) else value

    for key in ("probability_two_random_records_match",):
        saved[key] = rounded(saved.get(key))
    for comparison in saved.get("comparisons", []):
        for level in comparison.get("comparison_levels", []):
            for key in ("m_probability", "u_probability"):
                if key in level:
                    # A level EM drove to nothing (never seen among matches) keeps the least
                    # probability Splink accepts back: a 0 would refuse to load.
                    level[key] = max(rounded(level[key]), _LEAST_PROBABILITY)
    return saved


def _linker(db: Any, table: Any, model: dict[str, Any]) -> Any:
    """A Linker scoring with the model's own name frequencies."""
    from splink import Linker  # noqa: PLC0415

    linker = Linker(table, model["splink"], log_level=logging.WARNING)
    for column, freqs in model["tf"].items():
        lookup = pd.DataFrame({column: list(freqs), f"tf_{column}": list(freqs.values())})
        linker.table_management.register_term_frequency_lookup(
            db.register(lookup, table_name=f"tf_lookup_{column}"), column
        )
    return linker


REFERENCE_PRIOR = 7.6e-6
"""The lowest prior a pair's weight is stated at, however low the learned one falls.

A learned prior is how often two records picked at random are one person, so it falls as
1/N as the region grows (measured: ~3.4 bits at ten times the demo) and every weight falls
with it. That is right for a small data set, where it was measured to be (FEBRL, the test
regions), but in a region larger than the demo it moved pairs the thresholds were measured
to link below them (805,716 pairs to review at ten times the demo, against 13,333): the
blocking rules only ever offer pairs who share a name, a date of birth or a place, and the
strangers among those grow far slower than N squared. So weights are stated at the learned
prior or this one, whichever is higher: at and beyond the demo's size the bar is a fixed
amount of evidence (a Bayes factor), where LINK_WEIGHT and REVIEW_WEIGHT were measured.
This is the prior the demo region (150,000 people, 265,080 profiles) learns.
See docs/resolution.md, "Thresholds"."""


def _log_odds(p: float) -> float:
    return math.log2(p / (1 - p))


def weight_shift(model: dict[str, Any]) -> float:
    """What to add to Splink's match weight to state it at the reference prior, where the
    learned prior is lower (0 where it is not).

    A model trained before weights had a floor keeps its own prior (shift 0), so the edges
    a store already holds and the ones a day adds stay comparable until a retrain.
    """
    reference = model.get("weights_at_prior")
    learned = model["splink"].get("probability_two_random_records_match")
    if not reference or not learned:
        return 0.0
    return max(0.0, _log_odds(float(reference)) - _log_odds(float(learned)))


def predict(
    con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, model: dict[str, Any], *, min_weight: float
) -> pd.DataFrame:
    """Every candidate pair of these profiles scoring at least `min_weight`."""
    _quiet()
    db = _db(con)
    linker = _linker(db, db.register(frame, table_name="profiles_all"), model)
    shift = weight_shift(model)
    scored = linker.inference.predict(
        threshold_match_weight=min_weight - shift, warning_mode="never"
    )
    return _edges(_frame(scored), shift)


def predict_new(
    con: duckdb.DuckDBPyConnection,
    existing: pd.DataFrame,
    new: pd.DataFrame,
    model: dict[str, Any],
    *,
    min_weight: float,
) -> pd.DataFrame:
    """Pairs between new and existing profiles, and among the new, without rescoring the rest."""
    if existing.empty:
        return predict(con, new, model, min_weight=min_weight) if len(new) > 1 else _no_edges()
    _quiet()
    db = _db(con)
    left = db.register(existing, table_name="profiles_existing")
    right = db.register(new, table_name="profiles_new")
    linker = _linker(db, left, model)
    shift = weight_shift(model)
    between = linker.inference.predict_between(
        left, right, threshold_match_weight=min_weight - shift, warning_mode="never"
    )
    within = linker.inference.predict_within(
        right, threshold_match_weight=min_weight - shift, warning_mode="never"
    )
    return _edges(pd.concat([_frame(between), _frame(within)], ignore_index=True), shift)


def _no_edges() -> pd.DataFrame:
    return pd.DataFrame(
        columns=["profile_a", "profile_b", "weight", *(f"mw_{n}" for n in COMPARISONS)]
    )


def _frame(splink_frame: Any) -> pd.DataFrame:
    frame: pd.DataFrame = splink_frame.as_pandas_dataframe()
    return frame


def _edges(scored: pd.DataFrame, shift: float) -> pd.DataFrame:
    """profile_a < profile_b, match weight at the reference prior, and each comparison's
    contribution to it."""
    a, b = scored["profile_id_l"], scored["profile_id_r"]
    out = pd.DataFrame(
        {
            "profile_a": a.where(a < b, b),
            "profile_b": b.where(a < b, a),
            "weight": scored["match_weight"].astype(float) + shift,
        }
    )
    for name in COMPARISONS:
        # The level's own weight (term-frequency adjustments are in the total only), so the
        # level, and its words, can be found again from the model.
        # A comparison no level of which was trained has no column: it weighed nothing.
        column = f"mw_{name}"
        out[column] = scored[column].astype(float) if column in scored else 0.0
    return out.drop_duplicates(["profile_a", "profile_b"]).reset_index(drop=True)
