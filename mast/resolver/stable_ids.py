"""Stable ids across re-resolution: a cluster keeps the id most of its records had.

A merge keeps the surviving id and records the retired one; a split keeps the id on the
largest part and mints new ids for the rest. Used for both addresses and persons.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class IdEvent:
    kind: str  # merge | split
    old_id: str
    new_id: str


def assign_ids(
    clusters: Sequence[Sequence[str]],
    previous: Mapping[str, str],
    mint: Callable[[], str],
    *,
    weights: Mapping[str, int] | None = None,
) -> tuple[list[str], list[IdEvent]]:
    """An id for each cluster (lists of member keys), given each member's previous id.

    A member stands for `weights[member]` records (1 when not given), so clustering keys
    that each stand for many records decides as clustering the records would.
    """
    votes: list[tuple[int, str, int]] = []  # (records carried over, old id, cluster index)
    for index, members in enumerate(clusters):
        carried: Counter[str] = Counter()
        for m in members:
            if m in previous:
                carried[previous[m]] += weights[m] if weights is not None else 1
        for old_id, n in carried.items():
            if n > 0:
                votes.append((n, old_id, index))
    votes.sort(key=lambda v: (-v[0], v[1], v[2]))
    ids: list[str | None] = [None] * len(clusters)
    taken: set[str] = set()
    for _n, old_id, index in votes:
        if ids[index] is None and old_id not in taken:
            ids[index] = old_id
            taken.add(old_id)
    events: list[IdEvent] = []
    final: list[str] = []
    for index, members in enumerate(clusters):
        cluster_id = ids[index]
        if cluster_id is None:
            cluster_id = mint()
            for old_id in {previous[m] for m in members if m in previous}:
                events.append(IdEvent("split", old_id, cluster_id))
        final.append(cluster_id)
    for _n, old_id, index in votes:
        if old_id not in taken:
            events.append(IdEvent("merge", old_id, final[index]))
            taken.add(old_id)  # retired once, into the cluster that took most of its records
    return final, events
