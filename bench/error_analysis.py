"""Where resolution goes wrong: lost pairs (two records of one true person or place that
MAST keeps apart) and wrongly joined pairs (records of two that MAST puts together), counted
by the kinds of the two records, so the next gap is visible without guessing.

Kinds are read from what MAST stored (a date of birth, an age range, nothing; an address
or only a postcode) and the generator's truth (whether a date of birth as written is an
estimate, whether the place is a flat or named premises)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping, Sequence
from datetime import date
from typing import Any

PERSON_KINDS = ("date of birth", "placeholder date", "age only", "none")
ADDRESS_KINDS = (
    "door number",
    "flat",
    "house name",
    "named premises",
    "postcode/town only",
    "none",
)
RECORD_FIELDS = (
    "dob",
    "dob_earliest",
    "flat",
    "building",
    "house_number",
    "street",
    "town",
    "postcode",
)


def person_kind(rec: Any, true_dob: date | None) -> str:
    """What a record offers to find its person by, as far as dates of birth go."""
    dob: date | None = rec.dob
    if dob is not None:
        # An estimate: 1 January or the 1st of the right month, where the truth is not.
        if (
            true_dob is not None
            and dob != true_dob
            and dob.day == 1
            and dob.month in {1, true_dob.month}
        ):
            return "placeholder date"
        return "date of birth"
    return "age only" if rec.dob_earliest is not None else "none"


def address_kind(rec: Any, place: Mapping[str, str]) -> str:
    """What the record wrote, against what the place truly is."""
    if not (rec.street or rec.house_number or rec.building or rec.flat):
        return "postcode/town only" if rec.postcode or rec.town else "none"
    if place["premises_type"] != "dwelling":
        return "named premises"
    if place["flat"]:
        return "flat"
    return "door number" if place["number"] else "house name"


def _pairs(
    groups: Mapping[Hashable, Counter[str]], rank: Mapping[str, int]
) -> Counter[tuple[str, str]]:
    """Pairs within each group, by the kinds of their two records."""
    out: Counter[tuple[str, str]] = Counter()
    for kinds in groups.values():
        present = sorted(kinds, key=rank.__getitem__)
        for i, a in enumerate(present):
            out[(a, a)] += kinds[a] * (kinds[a] - 1) // 2
            for b in present[i + 1 :]:
                out[(a, b)] += kinds[a] * kinds[b]
    return out


def breakdown(
    predicted: Sequence[Hashable],
    true: Sequence[Hashable],
    kinds: Sequence[str],
    order: Sequence[str],
) -> dict[tuple[str, str], tuple[int, int, int, int]]:
    """(true pairs, lost, joined pairs, wrongly joined) for each pair of kinds."""
    rank = {k: i for i, k in enumerate(order)}
    by_true: dict[Hashable, Counter[str]] = defaultdict(Counter)
    by_pred: dict[Hashable, Counter[str]] = defaultdict(Counter)
    by_both: dict[Hashable, Counter[str]] = defaultdict(Counter)
    for p, t, k in zip(predicted, true, kinds, strict=True):
        by_true[t][k] += 1
        by_pred[p][k] += 1
        by_both[(p, t)][k] += 1
    true_pairs, joined, both = _pairs(by_true, rank), _pairs(by_pred, rank), _pairs(by_both, rank)
    return {
        key: (true_pairs[key], true_pairs[key] - both[key], joined[key], joined[key] - both[key])
        for key in sorted(set(true_pairs) | set(joined), key=lambda ab: (rank[ab[0]], rank[ab[1]]))
        if true_pairs[key] or joined[key]
    }


def breakdown_table(  # noqa: PLR0917 - a table's parts, in order
    title: str,
    predicted: Sequence[Hashable],
    true: Sequence[Hashable],
    kinds: Sequence[str],
    order: Sequence[str],
    missing: tuple[str, Sequence[str], Sequence[str]] | None = None,
) -> str:
    """A Markdown table of lost and wrongly joined pairs by kind, and records by kind.

    `missing`: a column's heading, the kinds of all the records, and the kinds of those
    the column counts (e.g. records left without an address)."""
    rows = breakdown(predicted, true, kinds, order)
    lost_all = sum(r[1] for r in rows.values())
    wrong_all = sum(r[3] for r in rows.values())
    lines = [
        f"#### {title}: lost {lost_all:,} pairs, wrongly joined {wrong_all:,}",
        "",
        "| record kinds | true pairs | lost | share of lost | lost of such pairs "
        "| wrongly joined | share of wrong |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for (a, b), (n_true, lost, _joined, wrong) in rows.items():
        lines.append(
            f"| {a} + {b} | {n_true:,} | {lost:,} | {lost / max(1, lost_all):.1%} "
            f"| {lost / max(1, n_true):.2%} | {wrong:,} | {wrong / max(1, wrong_all):.1%} |"
        )
    if missing is not None:
        label, every, some = missing
        counts, gone = Counter(every), Counter(some)
        lines += ["", f"| record kind | records | {label} |", "|---|---:|---:|"]
        lines += [
            f"| {kind} | {counts[kind]:,} | {gone[kind]:,} ({gone[kind] / counts[kind]:.1%}) |"
            for kind in order
            if counts[kind]
        ]
    return "\n".join(lines) + "\n"


def top_pairs_table(
    title: str,
    predicted: Sequence[Hashable],
    true: Sequence[Hashable],
    labels: Sequence[str],
    top: int = 12,
) -> str:
    """The pairs of labels (e.g. feeds) with the most lost or wrongly joined pairs."""
    order = sorted(set(labels))
    rows = sorted(
        breakdown(predicted, true, labels, order).items(), key=lambda kv: -(kv[1][1] + kv[1][3])
    )[:top]
    lines = [
        f"#### {title} (the {top} with most errors)",
        "",
        "| pair | true pairs | lost | lost of such pairs | wrongly joined |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {a} + {b} | {n:,} | {lost:,} | {lost / max(1, n):.2%} | {wrong:,} |"
        for (a, b), (n, lost, _joined, wrong) in rows
        if lost or wrong
    ]
    return "\n".join(lines) + "\n"
