"""Clustering address keys: the repairs for the errors partner data has.

A mistyped postcode (one character, same premises and street), a missing postcode (same
street, number and town), a mistyped street (Jaro–Winkler within the same postcode and
number), a building name given or left out, a named premises without its number or street
(same name and postcode, or the one such name in the town); then the learned links
(`learned.py`) the keys leave apart. Two different UPRNs never merge.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping

from rapidfuzz.distance import JaroWinkler, Levenshtein

from mast.resolver.addresses.keys import (
    UNSURE,
    Key,
    KeyState,
    door_of,
    name_here,
    name_of,
    names_reached,
    place_of,
    posted,
)

STREET_SIMILARITY = 0.92


def _numbered(key: Key) -> bool:
    return key[1] != key[4] and not key[1].startswith(UNSURE)


class _KeyUnion:
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


Link = tuple[Key, Key]
"""Two keys the learned model scores as one place (`learned.py`), the lower first."""


def cluster_keys(states: Mapping[Key, KeyState], links: Iterable[Link] = ()) -> dict[Key, int]:
    """Key → cluster number, numbered in key order; the same states and links give the same
    answer. Keys of a cluster of unsure names alone, without a UPRN, have none: no place."""
    clusters = _KeyUnion()
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
    # Then what the model links, in order: a UPRN refuses a link as it refuses a rule.
    for a, b in sorted(links):
        if a in clusters.parent and b in clusters.parent:
            clusters.union(a, b)
    placed = {clusters.find(k) for k in keys if _sure(k, states[k])}
    roots: dict[Key, int] = {}
    return {
        k: roots.setdefault(root, len(roots)) for k in keys if (root := clusters.find(k)) in placed
    }


def _sure(key: Key, state: KeyState) -> bool:
    return not key[1].startswith(UNSURE) or bool(state.uprns)


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


def neighbours_among(states: Mapping[Key, KeyState], links: Iterable[Link] = ()) -> Neighbours:
    """`Neighbours` within these keys, by indexes built once; linked keys are neighbours."""
    linked: dict[Key, list[Key]] = defaultdict(list)
    for a, b in links:
        linked[a].append(b)
        linked[b].append(a)
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
            yield from linked[key]

    return neighbours


def _join_across_postcodes(clusters: _KeyUnion, towns: Mapping[Key, tuple[str, str]]) -> None:
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


def _join_named(clusters: _KeyUnion, towns: Mapping[Key, tuple[str, str]]) -> None:
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
    clusters: _KeyUnion, towns: Mapping[Key, tuple[str, str]], group: list[Key], unposted: list[Key]
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


def _same_area(a: Key, b: Key, towns: Mapping[Key, tuple[str, str]]) -> bool:
    """Two postcodes of one district, where the same door and street stand in the same town
    and locality: a postcode mistyped in more than one character. (One number of one street
    in one locality is one place.)"""
    town, locality = towns[a]
    return bool(town and locality) and towns[b] == towns[a] and a[0][:-3] == b[0][:-3]


def _the_one_in_area(
    clusters: _KeyUnion, towns: Mapping[Key, tuple[str, str]], key: Key, with_postcode: list[Key]
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


def _union_all(clusters: _KeyUnion, keys: list[Key]) -> None:
    for k in keys[1:]:
        clusters.union(keys[0], k)


def _join_street_typos(clusters: _KeyUnion) -> None:
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
