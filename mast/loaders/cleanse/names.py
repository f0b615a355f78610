"""Person names: titles, `SURNAME, Forename` splits, placeholders, display case."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from mast.text.fold import clean_text, fold

_TITLES = frozenset(
    [
        "mr",
        "mrs",
        "miss",
        "ms",
        "mx",
        "dr",
        "master",
        "rev",
        "revd",
        "prof",
        "sir",
        "dame",
        "lady",
        "lord",
        "fr",
        "sr",
    ]
)
_PLACEHOLDERS = frozenset(
    {
        "unknown",
        "not known",
        "notknown",
        "unk",
        "n/k",
        "nk",
        "none",
        "null",
        "na",
        "n/a",
        "no name",
        "unnamed",
        "anon",
        "anonymous",
        "xxx",
        "tbc",
        "unborn",
    }
)
_SURNAME_PARTICLES = frozenset(
    {"ap", "ab", "ferch", "verch", "de", "da", "di", "van", "von", "le", "la", "del"}
)
_BABY_OF = re.compile(r"^(?:baby|infant|twin\s*[12ab]?)\s+(?:of\s+)?(.*)$", re.IGNORECASE)
# Letters of any script, combining marks, spaces, hyphens, apostrophes and full stops.
_NOT_NAME = re.compile(r"[^\w\s'’\-.]|[\d_]")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})
_MAC = re.compile(r"^(Ma?c)([a-z])([a-z]{2,})$")


@dataclass(frozen=True, slots=True)
class NameParts:
    given_name: str | None
    middle_names: str | None
    family_name: str | None
    warnings: tuple[str, ...] = ()


def _display_word(word: str) -> str:
    """Title case that respects O'Brien, Smith-Jones and McDonald, and keeps mixed case as sent."""
    if not (word.isupper() or word.islower()):
        return word
    parts = re.split(r"([-'])", word.lower())
    out = "".join(p[:1].upper() + p[1:] if p not in "-'" else p for p in parts)
    mac = _MAC.match(out)
    return f"{mac[1]}{mac[2].upper()}{mac[3]}" if mac else out


@lru_cache(maxsize=131_072)
def clean_name(value: str) -> tuple[str | None, tuple[str, ...]]:
    """One name field cleaned for display, with warning codes; None for placeholders."""
    text = clean_text(value)
    if text is None:
        return None, ()
    text = text.translate(_APOSTROPHES)
    warnings: tuple[str, ...] = ()
    if _NOT_NAME.search(text):
        text = _NOT_NAME.sub(" ", text)
        warnings = ("name_characters_removed",)
    words = [w for w in text.replace(".", " ").split() if w.strip("-'")]
    while words and fold(words[0]) in _TITLES and len(words) > 1:
        words = words[1:]
    cleaned = " ".join(
        w.lower() if i < len(words) - 1 and fold(w) in _SURNAME_PARTICLES else _display_word(w)
        for i, w in enumerate(words)
    )
    if not cleaned or fold(cleaned) in _PLACEHOLDERS:
        return None, (*warnings, "name_placeholder") if cleaned else warnings
    return cleaned, warnings


def _split_given(forenames: str | None) -> tuple[str | None, str | None]:
    if not forenames:
        return None, None
    first, _, rest = forenames.partition(" ")
    return first, rest or None


@lru_cache(maxsize=131_072)
def split_full_name(value: str, style: str) -> NameParts:
    """Split a single name field by the feed's declared style."""
    text = clean_text(value) or ""
    baby = _BABY_OF.match(text)
    if baby:
        family, warnings = clean_name(baby[1].split(",")[0])
        return NameParts(None, None, family, (*warnings, "name_placeholder"))
    if style == "surname_comma_forenames" and "," in text:
        surname_raw, _, forenames_raw = text.partition(",")
    elif style == "surname_forenames":
        surname_raw, _, forenames_raw = text.partition(" ")
    else:
        forenames_raw, _, surname_raw = text.rpartition(" ")
        head, _, last_forename = forenames_raw.rpartition(" ")
        if last_forename.casefold() in _SURNAME_PARTICLES:  # Dafydd ap Rhys, Anne de Lacy
            forenames_raw, surname_raw = head, f"{last_forename} {surname_raw}"
        if "," in text:  # a comma form sent to a field declared `Forename Surname`
            surname_raw, _, forenames_raw = text.partition(",")
    family, w1 = clean_name(surname_raw)
    forenames, w2 = clean_name(forenames_raw) if forenames_raw.strip() else (None, ())
    given, middle = _split_given(forenames)
    return NameParts(given, middle, family, tuple(dict.fromkeys(w1 + w2)))


@lru_cache(maxsize=65_536)
def split_forenames(value: str) -> NameParts:
    """A forename field that may carry middle names: 'Mary Ann' → given Mary, middle Ann."""
    forenames, warnings = clean_name(value)
    given, middle = _split_given(forenames)
    return NameParts(given, middle, None, warnings)
