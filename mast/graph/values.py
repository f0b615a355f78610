"""Query results as plain Python values, the same from either backend.

Engine-internal ids never leave the graph layer: a node becomes its properties
with a `label`, a relationship its properties with a `type`, a path the list of its nodes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

_LADYBUG_INTERNAL = {"_ID", "_SRC", "_DST", "_LABEL"}


def plain(value: Any) -> Any:
    if isinstance(value, dict):
        if "_LABEL" in value and "_ID" in value:
            kind = "type" if "_SRC" in value else "label"
            return {kind: value["_LABEL"]} | {
                k: plain(v) for k, v in value.items() if k not in _LADYBUG_INTERNAL
            }
        if "_nodes" in value and "_rels" in value:  # a Ladybug path
            return [plain(n) for n in value["_nodes"]]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Decimal) and value == value.to_integral_value():
        value = int(value)  # Ladybug sums 64-bit integers into 128-bit ones; Neo4j gives int
    to_native = getattr(value, "to_native", None)  # neo4j.time values
    return to_native() if callable(to_native) else value


def size(value: Any) -> int:
    """About how many bytes a plain value takes as JSON: cheap enough to count every row as
    it is fetched, close enough to cap a result before it is held whole."""
    if isinstance(value, str):
        return len(value) + 2
    if isinstance(value, dict):
        return 2 + sum(len(str(k)) + 4 + size(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return 2 + sum(size(v) + 1 for v in value)
    if isinstance(value, bytes):
        return 2 * len(value) + 2
    return 8
