"""An address's description: the commonest value of each field over its records."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from mast.resolver.addresses.keys import AddressInput
from mast.resolver.commonest import columns, commonest, commonest_counted

DESCRIBED = (
    "uprn",
    "flat",
    "building",
    "house_number",
    "street",
    "locality",
    "town",
    "postcode",
    "premises_type",
)
"""The fields an address is described by."""


def describe(members: list[AddressInput]) -> dict[str, str | bool | None]:
    """The attributes of one resolved address: the commonest non-empty value of each field."""
    of = columns(members, AddressInput._fields)
    return _described({name: commonest(of[name]) for name in DESCRIBED})


Tally = dict[str, dict[str, int]]
"""Counts of each described field's non-empty values over an address's records."""


def tally(members: Iterable[AddressInput], counts: Tally | None = None) -> Tally:
    """Add these records' values to `counts` (new counts if None)."""
    counts = counts if counts is not None else {name: {} for name in DESCRIBED}
    for a in members:
        count_values(counts, [getattr(a, name) for name in DESCRIBED], 1)
    return counts


def count_values(counts: Tally, values: Sequence[str | None], n: int) -> None:
    """Count `n` records carrying these values of the `DESCRIBED` fields."""
    for name, value in zip(DESCRIBED, values, strict=True):
        if value:
            counts[name][value] = counts[name].get(value, 0) + n


def describe_tally(counts: Tally) -> dict[str, str | bool | None]:
    """`describe` from counts: the same answer as from the records counted."""
    return _described({name: commonest_counted(counts[name]) for name in DESCRIBED})


def describe_grown(
    described: Mapping[str, str | None], members: Iterable[AddressInput]
) -> dict[str, str | bool | None] | None:
    """`describe` for an address that gains `members`, from how it was `described` before:
    the same, if each member's every field is empty or the value described (one more vote
    for the commonest keeps it commonest); None if any member disagrees."""
    for a in members:
        for name in DESCRIBED:
            value = getattr(a, name)
            if value and value != described[name]:
                return None
    return _described({name: described[name] for name in DESCRIBED})


def _described(values: dict[str, str | None]) -> dict[str, str | bool | None]:
    premises = values["premises_type"]
    return {**values, "residential": None if premises is None else premises == "dwelling"}
