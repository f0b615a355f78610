"""Address resolution: one Address per real place.

UPRN where a partner gives one; otherwise a key of postcode, premises (number or building
name), flat and street, with repairs for the errors partner data has: a mistyped postcode
(one character, same premises and street), a missing postcode (same street, number and town), a
mistyped street (Jaro–Winkler within the same postcode and number). Two different UPRNs
never merge.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from rapidfuzz.distance import JaroWinkler, Levenshtein

from mast.loaders.cleanse.text import fold
from mast.resolver.commonest import columns, commonest, commonest_counted

STREET_SIMILARITY = 0.92
_NOT_ALNUM = re.compile(r"[^0-9a-z]")
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


class AddressInput(NamedTuple):
    """The address fields of one canonical record."""

    record_id: str
    uprn: str | None
    flat: str | None
    building: str | None
    house_number: str | None
    street: str | None
    locality: str | None
    town: str | None
    postcode: str | None
    premises_type: str | None


Key = tuple[str, str, str, str]  # postcode, premises, flat, street


@lru_cache(maxsize=262_144)
def _norm(text: str | None) -> str:
    return _NOT_ALNUM.sub("", fold(text)) if text else ""


def address_key(a: AddressInput) -> Key | None:
    """None when the record names no addressable place (a postcode alone is ~15 homes)."""
    premises = _norm(a.house_number) or _norm(a.building)
    street = _norm(a.street)
    if not premises or not (street or a.postcode):
        return None
    return (_norm(a.postcode), premises, _norm(a.flat), street)


class _Clusters:
    """Union-find over keys that refuses to join two different UPRNs."""

    def __init__(self) -> None:
        self.parent: dict[Key, Key] = {}
        self.uprns: dict[Key, set[str]] = {}

    def add(self, key: Key, uprns: set[str]) -> None:
        self.parent[key] = key
        self.uprns[key] = set(uprns)

    def find(self, key: Key) -> Key:
        root = key
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[key] != root:
            self.parent[key], key = root, self.parent[key]
        return root

    def union(self, a: Key, b: Key) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        ua, ub = self.uprns[ra], self.uprns[rb]
        if ua and ub and ua != ub:
            return False
        self.parent[rb] = ra
        self.uprns[ra] = ua | ub
        return True


@dataclass(slots=True)
class KeyState:
    """What clustering needs of all the records sharing one key."""

    uprns: set[str]
    place: tuple[str, str]  # normalised (town, locality)
    records: int = 0


def _fuller(a: tuple[str, str], b: tuple[str, str]) -> tuple[str, str]:
    """The better-filled (town, locality), then the first in order: the same whatever order
    the records come in, so an incremental run keys places as a full run does."""
    return min(a, b, key=lambda p: (not p[0], p[0], not p[1], p[1]))


def add_inputs(states: dict[Key, KeyState], inputs: Iterable[AddressInput]) -> dict[str, Key]:
    """Fold records into the key states; returns each placed record's key."""
    record_key: dict[str, Key] = {}
    for a in inputs:
        key = address_key(a)
        if key is None:
            continue
        record_key[a.record_id] = key
        place = (_norm(a.town), _norm(a.locality))
        state = states.get(key)
        if state is None:
            states[key] = state = KeyState(set(), place)
        else:
            state.place = _fuller(state.place, place)
        state.records += 1
        if a.uprn:
            state.uprns.add(a.uprn)
    return record_key


def cluster_keys(states: dict[Key, KeyState]) -> dict[Key, int]:
    """Key → cluster number, numbered in key order; the same states give the same answer."""
    clusters = _Clusters()
    by_uprn: dict[str, Key] = {}
    keys = sorted(states)
    for key in keys:
        clusters.add(key, states[key].uprns)
        for uprn in sorted(states[key].uprns):
            if uprn in by_uprn:
                clusters.union(by_uprn[uprn], key)
            else:
                by_uprn[uprn] = key
    _join_across_postcodes(clusters, {k: s.place for k, s in states.items()})
    _join_street_typos(clusters)
    roots: dict[Key, int] = {}
    return {k: roots.setdefault(clusters.find(k), len(roots)) for k in keys}


def place_of(key: Key) -> tuple[str, str, str]:
    """Premises, flat and street: keys sharing these join across a postcode mistyped or
    missing (`_join_across_postcodes`)."""
    return key[1], key[2], key[3]


def door_of(key: Key) -> tuple[str, str, str] | None:
    """Postcode, premises and flat: keys sharing these join across a street mistyped
    (`_join_street_typos`); a key without a postcode has none."""
    return (key[0], key[1], key[2]) if key[0] else None


Neighbours = Callable[[list[Key]], Iterable[Key]]
"""The keys sharing a place, a door or a UPRN with any of the keys given."""


def within_reach(seeds: Iterable[Key], neighbours: Neighbours) -> set[Key]:
    """The keys clustering could join to `seeds`, directly or through others: those sharing
    a UPRN, a place or a door. Clustering these alone gives them the clusters a run over
    every key would, because no rule looks beyond them; a day's new records touch a few
    hundred keys of tens of thousands."""
    reached = set(seeds)
    frontier = sorted(reached)
    while frontier:
        frontier = sorted(set(neighbours(frontier)) - reached)
        reached.update(frontier)
    return reached


def neighbours_among(states: Mapping[Key, KeyState]) -> Neighbours:
    """`Neighbours` within these keys, by indexes built once."""
    by_uprn: dict[str, list[Key]] = defaultdict(list)
    by_place: dict[tuple[str, str, str], list[Key]] = defaultdict(list)
    by_door: dict[tuple[str, str, str], list[Key]] = defaultdict(list)
    for key, state in states.items():
        by_place[place_of(key)].append(key)
        if (door := door_of(key)) is not None:
            by_door[door].append(key)
        for uprn in state.uprns:
            by_uprn[uprn].append(key)

    def neighbours(keys: list[Key]) -> Iterable[Key]:
        for key in keys:
            yield from by_place[place_of(key)]
            if (door := door_of(key)) is not None:
                yield from by_door[door]
            for uprn in states[key].uprns:
                yield from by_uprn[uprn]

    return neighbours


def resolve_addresses(inputs: Iterable[AddressInput]) -> dict[str, int]:
    """record_id → cluster number, for every record that names a place."""
    states: dict[Key, KeyState] = {}
    record_key = add_inputs(states, inputs)
    of_key = cluster_keys(states)
    return {rid: of_key[k] for rid, k in record_key.items()}


def _join_across_postcodes(clusters: _Clusters, towns: dict[Key, tuple[str, str]]) -> None:
    """The same premises, flat and street under a mistyped or missing postcode."""
    by_place: dict[tuple[str, str, str], list[Key]] = defaultdict(list)
    for key in list(clusters.parent):
        by_place[place_of(key)].append(key)
    for group in by_place.values():
        if len(group) < 2:
            continue
        with_postcode = [k for k in group if k[0]]
        for i, a in enumerate(with_postcode):
            for b in with_postcode[i + 1 :]:
                if Levenshtein.distance(a[0], b[0]) == 1:  # one mistyped character
                    clusters.union(a, b)
        for k in group:
            if not k[0]:  # no postcode: the one such place in the same town (then locality)
                town, locality = towns[k]
                in_town = {clusters.find(o) for o in with_postcode if towns[o][0] == town}
                if len(in_town) > 1 and locality:
                    in_town = {clusters.find(o) for o in with_postcode if towns[o] == towns[k]}
                if len(in_town) == 1:
                    clusters.union(next(iter(in_town)), k)


def _join_street_typos(clusters: _Clusters) -> None:
    """A mistyped street within one postcode, premises and flat."""
    by_door: dict[tuple[str, str, str], list[Key]] = defaultdict(list)
    for key in list(clusters.parent):
        if (door := door_of(key)) is not None:
            by_door[door].append(key)
    for group in by_door.values():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                if JaroWinkler.similarity(a[3], b[3]) >= STREET_SIMILARITY:
                    clusters.union(a, b)


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
