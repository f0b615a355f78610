"""The value most records agree on: how a person's or an address's headline details are
chosen from their records, the same whatever order the records come in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

_T = TypeVar("_T")


def commonest(values: Sequence[_T | None]) -> _T | None:
    """The commonest non-empty value; a tie goes to the first in text order."""
    if not values:
        return None
    first = values[0]
    # Most people and places have one record, or one value in all of them (counted in C).
    if len(values) == 1 or (first and values.count(first) == len(values)):
        return first or None
    counted: dict[_T, int] = {}
    for v in values:
        if v:
            counted[v] = counted.get(v, 0) + 1
    return commonest_counted(counted)


def commonest_counted(counted: Mapping[_T, int]) -> _T | None:
    """The value counted most often (counts of non-empty values); a tie goes to the first
    in text order."""
    if len(counted) <= 1:
        return next(iter(counted), None)
    return min(counted.items(), key=lambda kv: (-kv[1], str(kv[0])))[0]


def columns(rows: Sequence[tuple[Any, ...]], names: Sequence[str]) -> dict[str, tuple[Any, ...]]:
    """Rows of named tuples turned into a tuple of values per field."""
    return dict(zip(names, zip(*rows, strict=True), strict=True))
