"""The people model's place frequencies by address key, not only by address id.

An address id is minted, and a merge or split gives its records another; the keys are the
addresses' own words. Kept with the model, each key's share lets a place the model never
saw by its id (split off a busy place, say) still be known as busy."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

PLACE_SHARES = "place_shares"
"""Where a model keeps each address key's share of the place frequencies it was trained with."""


def place_shares(tf: Mapping[str, float], keys: Iterable[tuple[str, str, int]]) -> dict[str, float]:
    """Each address key's share of its address's place frequency (`tf`, by address id), in
    proportion to the records written with it; `keys` are (key, address id, records).

    An address id is minted, and a merge or split gives its records another; the keys are
    the addresses' own words. Kept with the model, they let a place the model never saw by
    its id (split off a busy place, say) still be known as busy (`places_now`)."""
    of_address: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for key, address_id, records in keys:
        if address_id in tf:
            of_address[address_id].append((key, max(int(records), 1)))
    shares: dict[str, float] = {}
    for address_id, held in of_address.items():
        total = sum(n for _, n in held)
        for key, n in held:
            shares[key] = float(f"{tf[address_id] * n / total:.10g}")
    return shares


def places_now(
    tf: Mapping[str, float], shares: Mapping[str, float], keys: Iterable[tuple[str, str, int]]
) -> dict[str, float]:
    """The place frequencies to score with: the model's own for every address id it was
    trained on, and for an id it never saw, the sum of its keys' trained shares.

    An id the model knows keeps its frequency even where a merge brought it more keys: the
    pairs already scored at it were scored so, and a full run with the same model must give
    their weights again (until a retrain refreshes them all)."""
    summed: dict[str, float] = {}
    for key, address_id, _ in sorted(keys):
        if address_id not in tf and (share := shares.get(key)):
            summed[address_id] = summed.get(address_id, 0.0) + share
    return {**tf, **{a: float(f"{v:.10g}") for a, v in summed.items()}}
