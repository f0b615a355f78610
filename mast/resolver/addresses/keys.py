"""Address keys: each record's place as a key of normalised parts.

A key is a postcode, premises (number or building name), flat, street and building name,
each normalised (case, accents, English and Welsh street-type abbreviations both ways).
Records sharing a key are one place; `cluster.py` joins keys that are one place too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from mast.text.fold import fold
from mast.text.streets import is_premises, street_type, tidy_place

_NOT_ALNUM = re.compile(r"[^0-9a-z]")


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
def street_key(text: str | None) -> str:
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
def building_key(text: str | None) -> str:
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
    number, name = _norm(a.house_number), building_key(a.building)
    street = street_key(a.street)
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


def posted(key: Key) -> bool:
    """Whether the key has a postcode."""
    return not key[0].startswith(UNPOSTED)


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


def area_of(a: AddressInput) -> tuple[str, str]:
    """A record's normalised (town, locality), as its key's state holds them."""
    return _norm(a.town), _norm(a.locality)


def fullest(places: Iterable[tuple[str, str]]) -> tuple[str, str]:
    """The (town, locality) `add_inputs` keeps of records with these: the same whatever
    their order (`_fuller`)."""
    it = iter(places)
    best = next(it)
    for place in it:
        best = _fuller(best, place)
    return best
