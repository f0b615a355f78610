"""Who a result is about, for its audit entry (RELIABILITY P6): every MAST person id in a
result's values or in the parameters asked, wherever it sits.

Found from values, not column names: a report may call its ids `person`, `other` or
anything else, and an analyst's Cypher may rename, nest (lists, maps, nodes, paths) or
concatenate them. Whatever is shaped like a person id (`P` and eight or more digits, also
inside longer text) counts; an over-count audits a look at nobody, an under-count would hide
a look at someone. Record, address and case ids are kept by their `…id` columns as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

PERSON_ID = re.compile(r"P\d{8,}")
"""A MAST person id as the resolver mints them (`bookkeeping.id_minter`: P + 8+ digits)."""


def person_ids(value: Any) -> set[str]:
    """Every person id in a value, however deeply nested in lists, tuples and maps (keys too)."""
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.update(PERSON_ID.findall(item))
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
    return found


def ids_in(columns: list[str], rows: Iterable[list[Any]], params: Any = None) -> list[str]:
    """The ids a result shows, sorted: every person id in its rows and in `params`, and the
    values of columns named `…id` (records, addresses, cases), also inside lists and nodes."""
    out: set[str] = person_ids(params)

    def walk(value: Any, column: str) -> None:
        if isinstance(value, Mapping):
            for k, v in value.items():
                walk(v, str(k))
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v, column)
        elif isinstance(value, str) and (column.endswith("id") or column == "people"):
            out.add(value)

    for row in rows:
        out |= person_ids(row)
        for column, value in zip(columns, row, strict=True):
            walk(value, column)
    return sorted(out)
