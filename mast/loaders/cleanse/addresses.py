"""Addresses: one field or several, split into flat, number, street, locality, town, postcode."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from mast.loaders.cleanse.postcodes import find_postcode
from mast.loaders.cleanse.text import clean_text

_ABBREVIATIONS = {
    "rd": "Road",
    "st": "Street",
    "str": "Street",
    "ave": "Avenue",
    "av": "Avenue",
    "cres": "Crescent",
    "ct": "Court",
    "dr": "Drive",
    "ln": "Lane",
    "pl": "Place",
    "terr": "Terrace",
    "ter": "Terrace",
    "tce": "Terrace",
    "cl": "Close",
    "gdns": "Gardens",
    "sq": "Square",
    "pk": "Park",
    "gr": "Grove",
    "hts": "Heights",
    "est": "Estate",
}
_FLAT = re.compile(
    r"^(?:flat|apartment|apt|unit|room|rm|fl)\.?\s*(?:no\.?\s*)?([0-9]+[a-z]?|[a-z])\b[\s,]*(.*)$",
    re.IGNORECASE,
)
_STREET_WORDS = frozenset(
    [
        "road",
        "street",
        "lane",
        "avenue",
        "crescent",
        "court",
        "drive",
        "place",
        "terrace",
        "close",
        "gardens",
        "square",
        "park",
        "grove",
        "way",
        "walk",
        "row",
        "hill",
        "view",
        "rise",
        "heights",
        "estate",
        "parade",
        "mews",
        "green",
        "vale",
        "wharf",
        "quay",
        "heol",
        "lôn",
        "lon",
        "ffordd",
        "stryd",
        "rhodfa",
        "maes",
        "cwrt",
        "teras",
        "clos",
        "llwyn",
        "ael",
        "rhiw",
        "pentre",
    ]
)
_NUMBERED = re.compile(r"^([0-9]+[a-z]?(?:\s*[-/]\s*[0-9]+[a-z]?)?)\b[\s,]*(.*)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class AddressParts:
    flat: str | None = None
    building: str | None = None
    house_number: str | None = None
    street: str | None = None
    locality: str | None = None
    town: str | None = None
    postcode: str | None = None

    @property
    def text(self) -> str | None:
        head = " ".join(p for p in (self.house_number, self.street) if p)
        parts = [
            f"Flat {self.flat}" if self.flat else None,
            self.building,
            head,
            self.locality,
            self.town,
            self.postcode,
        ]
        return ", ".join(p for p in parts if p) or None


def _word_case(word: str) -> str:
    if not (word.isupper() or word.islower()):
        return word
    return "-".join(p[:1].upper() + p[1:].lower() for p in word.split("-"))


def tidy_place(text: str) -> str:
    """Case and abbreviations: 'HEOL ŴYR' → 'Heol Ŵyr', 'High St' → 'High Street'."""
    words = text.replace(".", " ").split()
    out = []
    for i, word in enumerate(words):
        expanded = _ABBREVIATIONS.get(word.lower())
        # "St" opening a name is Saint (St Thomas); elsewhere it is Street.
        if expanded and not (word.lower() == "st" and i == 0 and len(words) > 1):
            out.append(expanded)
        else:
            out.append(_word_case(word))
    return " ".join(out)


@lru_cache(maxsize=262_144)
def split_address(value: str) -> AddressParts:
    """Best-effort split of a free-text UK address; anything unplaced stays in locality."""
    text = clean_text(value)
    if not text:
        return AddressParts()
    postcode, text = find_postcode(text)
    parts = [p.strip() for p in text.split(",") if p.strip()]
    flat = building = number = street = None
    if parts and (m := _FLAT.match(parts[0])):
        flat = m[1].upper()
        parts = [m[2], *parts[1:]] if m[2] else parts[1:]
    if len(parts) >= 3 and not _NUMBERED.match(parts[0]) and _is_street(parts[1]):
        building = tidy_place(parts.pop(0))
    if parts and (m := _NUMBERED.match(parts[0])):
        number = m[1].replace(" ", "").upper()
        parts = [m[2], *parts[1:]] if m[2] else parts[1:]
    if len(parts) >= 2 or (parts and number):
        street = tidy_place(parts.pop(0))
    town = tidy_place(parts.pop()) if parts else None
    locality = tidy_place(", ".join(parts)) if parts else None
    return AddressParts(flat, building, number, street, locality, town, postcode)


def _is_street(part: str) -> bool:
    words = part.lower().replace("-", " ").split()
    street_words = _STREET_WORDS | _ABBREVIATIONS.keys()
    return bool(words) and (bool(street_words & set(words)) or _NUMBERED.match(part) is not None)
