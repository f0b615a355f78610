"""The bench's error analysis counts lost and wrongly joined pairs as pair-by-pair
enumeration would, and bench/RESULTS.md keeps other benchmarks' sections when one is
rewritten."""

from __future__ import annotations

import random
import sys
from collections import Counter
from datetime import date
from itertools import combinations
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))

import error_analysis as errors  # bench/ is not a package
import results

KINDS = ("date of birth", "placeholder date", "age only", "none")


def _enumerated(
    pred: list[str], true: list[str], kinds: list[str]
) -> dict[tuple[str, str], tuple[int, int, int, int]]:
    rank = {k: i for i, k in enumerate(KINDS)}
    out: Counter[tuple[tuple[str, str], int]] = Counter()
    for i, j in combinations(range(len(pred)), 2):
        key = tuple(sorted((kinds[i], kinds[j]), key=rank.__getitem__))
        same_true, same_pred = true[i] == true[j], pred[i] == pred[j]
        out[(key, 0)] += same_true
        out[(key, 1)] += same_true and not same_pred
        out[(key, 2)] += same_pred
        out[(key, 3)] += same_pred and not same_true
    keys = {k for (k, _), n in out.items() if n and _ in (0, 2)}
    return {k: (out[(k, 0)], out[(k, 1)], out[(k, 2)], out[(k, 3)]) for k in keys}


def test_breakdown_matches_pair_by_pair_counting() -> None:
    rng = random.Random(7)
    for _ in range(20):
        n = rng.randint(2, 60)
        true = [f"t{rng.randint(0, 8)}" for _ in range(n)]
        pred = [t if rng.random() < 0.7 else f"p{rng.randint(0, 5)}" for t in true]
        kinds = [rng.choice(KINDS) for _ in range(n)]
        assert errors.breakdown(pred, true, kinds, KINDS) == _enumerated(pred, true, kinds)


def test_record_kinds() -> None:
    born = date(1980, 6, 14)

    def rec(**kw: object) -> SimpleNamespace:
        fields = dict.fromkeys(errors.RECORD_FIELDS)
        return SimpleNamespace(**(fields | kw))

    assert errors.person_kind(rec(dob=born), born) == "date of birth"
    assert errors.person_kind(rec(dob=date(1980, 1, 1)), born) == "placeholder date"
    assert errors.person_kind(rec(dob=date(1980, 6, 1)), born) == "placeholder date"
    assert errors.person_kind(rec(dob=date(1980, 1, 1)), date(1980, 1, 1)) == "date of birth"
    assert errors.person_kind(rec(dob_earliest=born), born) == "age only"
    assert errors.person_kind(rec(), born) == "none"
    home = {"premises_type": "dwelling", "flat": "", "number": "3"}
    assert errors.address_kind(rec(street="HIGH STREET"), home) == "door number"
    assert errors.address_kind(rec(street="X"), home | {"flat": "2"}) == "flat"
    assert errors.address_kind(rec(building="BRYN AWEL"), home | {"number": ""}) == "house name"
    assert errors.address_kind(rec(building="BUS STATION"), home | {"premises_type": "x"}) == (
        "named premises"
    )
    assert errors.address_kind(rec(postcode="CF37 1AA"), home) == "postcode/town only"
    assert errors.address_kind(rec(), home) == "none"


def test_results_section_is_replaced_and_others_kept(tmp_path: Path) -> None:
    path = tmp_path / "RESULTS.md"
    results.replace_section(path, "accuracy", "first run", ["| a |"])
    results.replace_section(path, "historical", "another bench", ["| h |"])
    results.replace_section(path, "accuracy", "second run", ["| b |"])
    text = path.read_text()
    assert "first run" not in text and "| a |" not in text
    assert text.count("## accuracy") == 1 and "second run\n\n| b |" in text
    assert "## historical\n\nanother bench\n\n| h |" in text
