"""Addresses: one field or several, split into flat, number, street, locality, town, postcode."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from mast.text.fold import clean_text
from mast.text.postcodes import find_postcode
from mast.text.streets import (
    ABBREVIATIONS,
    STREET_WORDS,
    WELSH_ABBREVIATIONS,
    is_premises,
    street_type,
    tidy_place,
)

_FLAT_WORD = r"(?:flat|apartment|apt|unit|room|rm|fl)\.?\s*(?:no\.?\s*)?"
_FLAT_ID = r"([0-9]+[a-z]?|[a-z])"
_FLAT = re.compile(rf"^{_FLAT_WORD}{_FLAT_ID}\b[\s,]*(.*)$", re.IGNORECASE)
_FLAT_AFTER = re.compile(rf"^(.*?)[\s,]+{_FLAT_WORD}{_FLAT_ID}$", re.IGNORECASE)
"""A flat written after the street: '31 Eaton Cres Flat 6'."""
_QUALIFIER = re.compile(
    r"^(?:(?:land|site|plot|garage|premises|part|flat|unit)\s+)?"
    r"(?:at|of|adj|adjacent to|over|above|rear of|opposite|outside)$"
    r"|^(?:ground|first|second|third|top|basement|lower|upper)\s+(?:floor\s*)?(?:flat|floor)?$"
    r"|^(?:plot|site)\s+[0-9]+$",
    re.IGNORECASE,
)
"""A part that places the place rather than names it ('Land At', 'Flat Over', 'First Floor
Flat', 'Plot 4'): dropped."""
_NAMED_NUMBER = re.compile(r"^([^0-9]+?)\s+([0-9]+[a-z]?\s.*)$", re.IGNORECASE)
"""A building's name, then a number and street, without commas."""
_NUMBER_ALONE = re.compile(r"^[0-9]+[a-z]?(?:\s*[-/]\s*[0-9]+[a-z]?)?$", re.IGNORECASE)
_BAD_POSTCODE_TAIL = re.compile(
    r"^(.*?)[\s,]+(?:[a-z0-9]{2,4}\s?[0-9][a-z0-9][a-z]|[a-z]{1,3}[0-9][0-9a-z]?\s?[a-z0-9]{3})$",
    re.IGNORECASE,
)
"""A postcode mistyped past recognising ('Swansea Sax 1wt'): dropped, not kept as the town."""
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


@lru_cache(maxsize=262_144)
def split_address(value: str) -> AddressParts:
    """Best-effort split of a free-text UK address; anything unplaced stays in locality.

    The flat may stand anywhere ('Flat 6, 31 Eaton Cres' or '31 Eaton Cres Flat 6'); a
    number may stand alone before its street ('39, Glanmor Tce'); a named premises without a
    number ('The Red Lion, Swansea', 'Bus Station, Port Talbot') keeps its name as the
    building."""
    text = clean_text(value)
    if not text:
        return AddressParts()
    postcode, text = find_postcode(text)
    if (
        postcode is None
        and (m := _BAD_POSTCODE_TAIL.match(text))
        and not _FLAT.match(text[len(m[1]) :].strip(" ,"))
    ):
        text = m[1]
    parts = [p.strip() for p in text.split(",") if p.strip()]
    flat, parts = _take_flat(parts)
    parts = [p for p in parts if not _QUALIFIER.match(p)]
    if len(parts) == 1:
        parts = _split_at_street(parts[0])
    for i in range(len(parts) - 1):
        if _NUMBER_ALONE.match(parts[i]):
            parts[i : i + 2] = [f"{parts[i]} {parts[i + 1]}"]
            break
    building = number = street = None
    if parts and not _NUMBERED.match(parts[0]):
        then = parts[1] if len(parts) > 1 else ""
        if (
            (len(parts) >= 3 and _is_street(then))
            or _NUMBERED.match(then)
            or is_premises(parts[0])
            or (
                len(parts) >= 2
                and not _is_street(parts[0])
                and not any(map(_NUMBERED.match, parts))
            )
        ):
            building = tidy_place(parts.pop(0))
    if parts and (m := _NUMBERED.match(parts[0])):
        number = m[1].replace(" ", "").upper()
        parts = [m[2], *parts[1:]] if m[2] else parts[1:]
    if parts and (number or (len(parts) >= 2 and (building is None or _is_street(parts[0])))):
        street = tidy_place(parts.pop(0))
    town = tidy_place(parts.pop()) if parts else None
    locality = tidy_place(", ".join(parts)) if parts else None
    return AddressParts(flat, building, number, street, locality, town, postcode)


def _split_at_street(text: str) -> list[str]:
    """An address written without commas, split after its street: '1 St Helen's Gardens
    Taibach Port Talbot' at the English type that ends the street, '1 Stryd Islwyn
    Pontarddulais' after the Welsh type that opens it and the word (with its article) that
    follows. Unchanged when no type shows where the street ends."""
    named = _NAMED_NUMBER.match(text)
    if named and not _NUMBERED.match(text):  # 'Park House 84 Clos Tawe Gowerton'
        return [named[1], *_split_at_street(named[2])]
    m = _NUMBERED.match(text)
    words = (m[2] if m else "").split()
    if not m or len(words) < 3:
        return [text]
    end = None
    if street_type(words[0], opening=True) and words[0].lower() not in ("st", "saint"):
        end = 3 if words[1].lower() in ("y", "yr", "'r") else 2
    else:
        for i, word in enumerate(words[1:], start=1):
            if street_type(word, opening=False) or word.lower() in ABBREVIATIONS:
                end = i + 1
                break
    if end is None or end >= len(words):
        return [text]
    return [f"{m[1]} {' '.join(words[:end])}", " ".join(words[end:])]


def _take_flat(parts: list[str]) -> tuple[str | None, list[str]]:
    """The flat, wherever it stands, and the parts without it."""
    for i, part in enumerate(parts):
        if m := _FLAT.match(part):
            return m[1].upper(), [*parts[:i], *([m[2]] if m[2] else []), *parts[i + 1 :]]
        if m := _FLAT_AFTER.match(part):
            return m[2].upper(), [*parts[:i], m[1], *parts[i + 1 :]]
    return None, parts


def _is_street(part: str) -> bool:
    words = part.lower().replace("-", " ").split()
    street_words = STREET_WORDS | ABBREVIATIONS.keys() | WELSH_ABBREVIATIONS.keys()
    return bool(words) and (
        bool(street_words & set(words))
        or _NUMBERED.match(part) is not None
        or (len(words) > 1 and street_type(words[0], opening=True) is not None)
    )
