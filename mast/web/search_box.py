"""One search box, read the way practitioners and call handlers type into it.

A line is taken apart into what it can only be — a date of birth in UK forms (7/3/2009,
07-03-2009, 7 Mar 2009, 2009-03-07), an age ("aged 17", "17 years old"), a postcode (full,
or its district "SA1" or sector "SA1 6") — and the words left. The words are a name, a
place, or either: a flat, a door number, "above the …", a street type ("Rd", "Crescent",
"Heol") or a premises word ("Inn", "Hostel") make it a place; a date of birth or an age
make it a person; otherwise both are searched and both shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from mast.text.fold import fold
from mast.text.postcodes import normalise_postcode
from mast.text.streets import street_type

Kind = Literal["people", "places", "both"]

_MONTHS = {
    m: i
    for i, names in enumerate(
        (
            ("jan", "january", "ion", "ionawr"),
            ("feb", "february", "chwe", "chwefror"),
            ("mar", "march", "maw", "mawrth"),
            ("apr", "april", "ebr", "ebrill"),
            ("may", "mai"),
            ("jun", "june", "meh", "mehefin"),
            ("jul", "july", "gor", "gorffennaf"),
            ("aug", "august", "awst"),
            ("sep", "sept", "september", "medi"),
            ("oct", "october", "hyd", "hydref"),
            ("nov", "november", "tach", "tachwedd"),
            ("dec", "december", "rhag", "rhagfyr"),
        ),
        start=1,
    )
    for m in names
}
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})\b")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_WORDY_DATE = re.compile(
    r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")"
    r"\.?,?\s+(\d{4}|\d{2})\b",
    re.IGNORECASE,
)
_AGE = re.compile(
    r"\b(?:aged?\s+(\d{1,3})|(\d{1,3})\s*(?:years?\s+old|yrs?\s+old|yrs?|y/?o|oed))\b",
    re.IGNORECASE,
)
_FULL_POSTCODE = re.compile(r"\b([A-Z]{1,2}\d[A-Z\d]?)\s*(\d[A-Z]{2})\b", re.IGNORECASE)
_PART_POSTCODE = re.compile(r"\b([A-Z]{1,2}\d[A-Z\d]?)(?:\s+(\d))?\b(?![A-Z])", re.IGNORECASE)
_FLAT = re.compile(r"\b(?:flat|apartment|apt|unit|fflat)\b", re.IGNORECASE)
_LANDMARK = re.compile(
    r"\b(?:above|over|behind|next to|opposite|near|outside|rear of|uwchben)\s+",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"(?<![\w/])\d{1,4}[a-z]?\b", re.IGNORECASE)
PREMISES_WORDS = frozenset(
    ["inn", "arms", "hotel", "tavern", "bar", "pub", "club", "station", "gorsaf", "hospital",
    "ysbyty", "school", "ysgol", "college", "centre", "center", "canolfan", "hall", "neuadd",
    "church", "chapel", "capel", "surgery", "pharmacy", "shop", "stores", "store", "express",
    "supermarket", "market", "hostel", "lodge", "restaurant", "cafe", "takeaway", "chippy",
    "garage", "library", "leisure", "flats", "tower", "mansions", "works", "depot", "office",
    "offices", "prison", "carchar"]
)  # fmt: skip
"""Words that name a premises, not a person ('Bus Station', 'the chip shop')."""


@dataclass(frozen=True)
class Reading:
    """What a line typed into the box says."""

    text: str
    kind: Kind
    words: str = ""
    """What is left once dates, ages and postcodes are taken out: a name, or a place."""
    dob: date | None = None
    age: int | None = None
    postcode: str | None = None
    """A full postcode ('SA1 6RN'), a district ('SA1') or a sector ('SA1 6')."""
    problem: str | None = None

    @property
    def people(self) -> bool:
        return self.kind in ("people", "both")

    @property
    def places(self) -> bool:
        return self.kind in ("places", "both")

    @property
    def places_first(self) -> bool:
        """A postcode alone is more often a place looked up than a person: its places lead."""
        return self.kind == "places" or (
            self.postcode is not None and not self.words and self.dob is None and self.age is None
        )


def read(text: str, *, today: date) -> Reading:
    rest = " ".join(text.split())
    dob, age, postcode, problem = None, None, None, None
    for pattern in (_WORDY_DATE, _ISO_DATE, _NUMERIC_DATE):
        if match := pattern.search(rest):
            try:
                dob = _date_of(match, pattern, today)
            except ValueError:
                problem = "That date of birth is not a real date."
            rest = _cut(rest, match)
            break
    if match := _AGE.search(rest):
        age = int(match.group(1) or match.group(2))
        rest = _cut(rest, match)
    if match := _FULL_POSTCODE.search(rest):
        full, _ = normalise_postcode(match.group(1) + match.group(2))
        if full:
            postcode = full
            rest = _cut(rest, match)
    if postcode is None:
        for match in _PART_POSTCODE.finditer(rest):
            district = match.group(1).upper()
            if any(c.isalpha() for c in district[:1]) and any(c.isdigit() for c in district):
                postcode = f"{district} {match.group(2)}" if match.group(2) else district
                rest = _cut(rest, match)
                break
    words = " ".join(rest.replace(",", " , ").split()).strip(" ,")
    words = re.sub(r"\s+,", ",", words)
    return Reading(
        text=text,
        kind=_kind(words, person=bool(dob or age)),
        words=words,
        dob=dob,
        age=age,
        postcode=postcode,
        problem=problem,
    )


def _cut(text: str, match: re.Match[str]) -> str:
    return " ".join((text[: match.start()] + " " + text[match.end() :]).split())


def _date_of(match: re.Match[str], pattern: re.Pattern[str], today: date) -> date:
    if pattern is _ISO_DATE:
        return date(int(match[1]), int(match[2]), int(match[3]))
    day = int(match[1])
    month = _MONTHS[match[2].lower()] if pattern is _WORDY_DATE else int(match[2])
    year = int(match[3])
    if year < 100:  # '09' is 2009, '86' is 1986: nobody searched for is born in the future
        year += 2000 if 2000 + year <= today.year else 1900
    return date(year, month, day)


def place_signs(words: str) -> bool:
    """Whether the words can only be a place: a flat, a door number, "above the …", a
    street type abbreviated as nobody's name is ("St", "Rd"), or a premises word."""
    folded = fold(words)
    tokens = {t.strip(".,'") for t in folded.split()} - {""}
    # A door number before a street ('77 Dyfed'), or with two words or a street type; but
    # 'Bowen 17' may be an age.
    named = [t for t in tokens if not _NUMBER.fullmatch(t)]
    numbered = bool(_NUMBER.search(folded)) and (
        folded[:1].isdigit() or len(named) >= 2 or any(street_type(t, opening=False) for t in named)
    )
    return bool(
        _FLAT.search(folded)
        or _LANDMARK.search(folded)
        or numbered
        or tokens & _STREET_ABBREVIATIONS
        or tokens & PREMISES_WORDS
    )


_STREET_ABBREVIATIONS = frozenset(
    {"st", "rd", "ave", "cres", "tce", "terr", "gdns", "cl", "ln", "dr", "hl", "ffd"}
)


def _kind(words: str, *, person: bool) -> Kind:
    if not words:
        return "people" if person else "both"
    sure = place_signs(words)
    if sure and not person:
        return "places"
    if (person or "," in words) and not sure:  # 'Jones, Emma' is a name
        return "people"
    return "both"
