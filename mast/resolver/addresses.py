"""Address resolution: one Address per real place.

UPRN where a partner gives one; otherwise a key of postcode, premises (number or building
name), flat, street and building name, each normalised (case, accents, English and Welsh
street-type abbreviations both ways), with repairs for the errors partner data has: a
mistyped postcode (one character, same premises and street), a missing postcode (same street,
number and town), a mistyped street (Jaro–Winkler within the same postcode and number), a
building name given or left out, a named premises without its number or street (same name
and postcode, or the one such name in the town). Two different UPRNs never merge.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from rapidfuzz.distance import JaroWinkler, Levenshtein

from mast.loaders.cleanse.addresses import is_premises, street_type, tidy_place
from mast.resolver.commonest import columns, commonest, commonest_counted
from mast.text.fold import fold

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


Key = tuple[str, str, str, str, str]  # postcode, premises, flat, street, building name


@lru_cache(maxsize=262_144)
def _norm(text: str | None) -> str:
    return _NOT_ALNUM.sub("", fold(text)) if text else ""


@lru_cache(maxsize=262_144)
def _street(text: str | None) -> str:
    """A street's key: its type by kind, in full or abbreviated, English or Welsh ('Hl Nedd'
    is 'Heol Nedd', 'Eaton Cres' is 'Eaton Crescent', 'Terrace y Graig' is 'Teras y
    Graig'), and Saint as St, whatever the accents."""
    if not text:
        return ""
    words = fold(text).replace(".", " ").split()
    if len(words) > 1:
        if words[0] in ("saint", "st"):
            words[0] = "st"
        elif (kind := street_type(words[0], opening=True)) is not None:
            words[0] = kind
        if (kind := street_type(words[-1], opening=False)) is not None:
            words[-1] = kind
    return _NOT_ALNUM.sub("", "".join(words))


@lru_cache(maxsize=262_144)
def _name(text: str | None) -> str:
    """A building's or business's key, without a leading 'The' ('Red Lion' is 'The Red Lion')."""
    if not text:
        return ""
    words = fold(tidy_place(text)).split()
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return _NOT_ALNUM.sub("", "".join(words))


def address_key(a: AddressInput) -> Key | None:
    """None when the record names no addressable place: a postcode or a town alone is many
    homes, a street without a number or name is a street. A named premises without number,
    street or postcode ('The Red Lion, Swansea') is a place, found by name and town; a name
    that may be a district's as well ('Iceland, Treorchy': `is_premises`) is a place only
    where it joins one named with a number, street or UPRN (`cluster_keys`)."""
    number, name = _norm(a.house_number), _name(a.building)
    street = _street(a.street)
    if not (number or name) or not (street or a.postcode or not number):
        return None
    # Without a postcode, the town and locality stand in its place: 23 Talbot Close in
    # Penlan and in Mumbles are two places.
    area = _norm(a.postcode) or f"{UNPOSTED}{_norm(a.town)}|{_norm(a.locality)}"
    premises = number or name
    if not number and not street and not is_premises(a.building or ""):
        premises = UNSURE + name
    return (area, premises, _norm(a.flat), street, name)


UNPOSTED = "@"
"""Opens a key's first part when it holds a town and locality for a missing postcode."""
UNSURE = "?"
"""Opens a key's premises when it is a name alone that may be a district's."""


def _numbered(key: Key) -> bool:
    return key[1] != key[4] and not key[1].startswith(UNSURE)


def posted(key: Key) -> bool:
    """Whether the key has a postcode."""
    return not key[0].startswith(UNPOSTED)


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
    """Key → cluster number, numbered in key order; the same states give the same answer.
    Keys of a cluster of unsure names alone, without a UPRN, have none: no place."""
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
    # Doors and names first, so that a place found without its postcode (or with a
    # postcode mistyped) sees the keys of one place as one.
    places = {k: s.place for k, s in states.items()}
    _join_street_typos(clusters)
    _join_named(clusters, places)
    _join_across_postcodes(clusters, places)
    placed = {clusters.find(k) for k in keys if _sure(k, states[k])}
    roots: dict[Key, int] = {}
    return {
        k: roots.setdefault(root, len(roots)) for k in keys if (root := clusters.find(k)) in placed
    }


def _sure(key: Key, state: KeyState) -> bool:
    return not key[1].startswith(UNSURE) or bool(state.uprns)


def place_of(key: Key) -> tuple[str, str, str]:
    """Premises, flat and street: keys sharing these join across a postcode mistyped or
    missing (`_join_across_postcodes`)."""
    return key[1], key[2], key[3]


def door_of(key: Key) -> tuple[str, str, str] | None:
    """Postcode, premises and flat: keys sharing these join across a street mistyped
    (`_join_street_typos`) or a building name given or not. Without a postcode, the town
    and locality with the street: a building name given or not, but no street repaired
    (a locality's many streets would share every door number)."""
    return (key[0], key[1], key[2]) if posted(key) else (f"{key[0]}|{key[3]}", key[1], key[2])


def name_of(key: Key) -> tuple[str, str] | None:
    """Building name and flat: keys sharing these join by postcode or town (`_join_named`);
    a key without a building name has none."""
    return (key[4], key[2]) if key[4] else None


def name_here(key: Key) -> tuple[str, str, str] | None:
    """Building name, flat and postcode ("" for a key without one). A key with a postcode
    joins by name only keys of its postcode or without one, so it reaches only those: the
    Glan Houses of other postcodes are not its concern (`names_reached`)."""
    return (key[4], key[2], key[0] if posted(key) else "") if key[4] else None


def names_reached(key: Key) -> tuple[list[tuple[str, str, str]], tuple[str, str] | None]:
    """The `name_here` values, and the `name_of` value, of the keys `_join_named` could join
    to this one: with a postcode, the name in that postcode and without one; without a
    postcode, the name anywhere."""
    here = name_here(key)
    if here is None:
        return [], None
    if posted(key):
        return [here, (here[0], here[1], "")], None
    return [], name_of(key)


Neighbours = Callable[[list[Key]], Iterable[Key]]
"""The keys sharing a place, a door, a name or a UPRN with any of the keys given."""


def within_reach(seeds: Iterable[Key], neighbours: Neighbours) -> set[Key]:
    """The keys clustering could join to `seeds`, directly or through others: those sharing
    a UPRN, a place, a door or a name. Clustering these alone gives them the clusters a run over
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
    by_name: dict[tuple[str, str], list[Key]] = defaultdict(list)
    by_name_here: dict[tuple[str, str, str], list[Key]] = defaultdict(list)
    for key, state in states.items():
        by_place[place_of(key)].append(key)
        if (door := door_of(key)) is not None:
            by_door[door].append(key)
        if (name := name_of(key)) is not None:
            by_name[name].append(key)
        if (here := name_here(key)) is not None:
            by_name_here[here].append(key)
        for uprn in state.uprns:
            by_uprn[uprn].append(key)

    def neighbours(keys: list[Key]) -> Iterable[Key]:
        for key in keys:
            yield from by_place[place_of(key)]
            if (door := door_of(key)) is not None:
                yield from by_door[door]
            heres, name = names_reached(key)
            for here in heres:
                yield from by_name_here[here]
            if name is not None:
                yield from by_name[name]
            for uprn in states[key].uprns:
                yield from by_uprn[uprn]

    return neighbours


def resolve_addresses(inputs: Iterable[AddressInput]) -> dict[str, int]:
    """record_id → cluster number, for every record that names a place."""
    states: dict[Key, KeyState] = {}
    record_key = add_inputs(states, inputs)
    of_key = cluster_keys(states)
    return {rid: of_key[k] for rid, k in record_key.items() if k in of_key}


def _join_across_postcodes(clusters: _Clusters, towns: dict[Key, tuple[str, str]]) -> None:
    """The same premises, flat and street under a mistyped or missing postcode: one
    character mistyped, or another postcode of the district in the same town and locality;
    none, and the one such place in the area the key names."""
    by_place: dict[tuple[str, str, str], list[Key]] = defaultdict(list)
    for key in list(clusters.parent):
        by_place[place_of(key)].append(key)
    for group in by_place.values():
        if len(group) < 2:
            continue
        with_postcode = [k for k in group if posted(k)]
        for i, a in enumerate(with_postcode):
            for b in with_postcode[i + 1 :]:
                if Levenshtein.distance(a[0], b[0]) == 1 or _same_area(a, b, towns):
                    clusters.union(a, b)
        for k in group:
            if not posted(k) and (one := _the_one_in_area(clusters, towns, k, with_postcode)):
                clusters.union(one, k)


def _join_named(clusters: _Clusters, towns: dict[Key, tuple[str, str]]) -> None:
    """A building or business named with and without its number or street: keys of one name
    and flat join within a postcode unless their numbers differ (two Glan Houses); a key
    without a postcode joins the one such name in its town, then locality (anywhere, when it
    names no town), or, there being none with a postcode, the others of that name in the
    town."""
    by_name: dict[tuple[str, str], list[Key]] = defaultdict(list)
    for key in list(clusters.parent):
        if (name := name_of(key)) is not None:
            by_name[name].append(key)
    for group in by_name.values():
        if len(group) < 2:
            continue
        by_postcode: dict[str, list[Key]] = defaultdict(list)
        for k in group:
            by_postcode[k[0] if posted(k) else ""].append(k)
        for postcode, same in by_postcode.items():
            if postcode and len({k[1] for k in same if _numbered(k)}) <= 1:
                _union_all(clusters, same)
        _join_unposted_names(clusters, towns, group, by_postcode.get("", []))


def _join_unposted_names(
    clusters: _Clusters, towns: dict[Key, tuple[str, str]], group: list[Key], unposted: list[Key]
) -> None:
    with_postcode = [k for k in group if posted(k)]
    alone: dict[str, list[Key]] = defaultdict(list)
    for k in unposted:
        town = towns[k][0]
        # A name with a number joins only that number ('The Cottage, 2 Castle Court' is not
        # 'The Cottage, 44 Maes Glyn', nor a Cottage whose number is not known).
        fits = [o for o in with_postcode if not _numbered(k) or o[1] == k[1]]
        if one := _the_one_in_area(clusters, towns, k, fits):
            clusters.union(one, k)
        elif not with_postcode and town and not _numbered(k):
            alone[town].append(k)
    for same in alone.values():
        _union_all(clusters, same)


def _same_area(a: Key, b: Key, towns: dict[Key, tuple[str, str]]) -> bool:
    """Two postcodes of one district, where the same door and street stand in the same town
    and locality: a postcode mistyped in more than one character. (One number of one street
    in one locality is one place.)"""
    town, locality = towns[a]
    return bool(town and locality) and towns[b] == towns[a] and a[0][:-3] == b[0][:-3]


def _the_one_in_area(
    clusters: _Clusters, towns: dict[Key, tuple[str, str]], key: Key, with_postcode: list[Key]
) -> Key | None:
    """The one place, of these keys with a postcode, in the area a key without one names:
    where its town or locality is the other's town or locality ('1 St Helen's Gardens,
    Taibach' is in Port Talbot's Taibach), then where both agree; anywhere, if it names no
    area. None if there are none or several."""
    town, locality = towns[key]
    said = f"{town}|{locality}"

    def near(other: Key) -> bool:
        o_town, o_locality = towns[other]
        there = f"{o_town}|{o_locality}"
        return any(a and a in there for a in (town, locality)) or any(
            a and a in said for a in (o_town, o_locality)
        )

    def exactly(other: Key) -> bool:
        o_town, o_locality = towns[other]
        return bool(o_town and o_locality and o_town in said and o_locality in said)

    found = {clusters.find(o) for o in with_postcode if said == "|" or near(o)}
    if len(found) > 1 and said != "|":  # then where both town and locality agree
        found = {clusters.find(o) for o in with_postcode if exactly(o)}
    return next(iter(found)) if len(found) == 1 else None


def _union_all(clusters: _Clusters, keys: list[Key]) -> None:
    for k in keys[1:]:
        clusters.union(keys[0], k)


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
