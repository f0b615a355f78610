"""Street words, English and Welsh: types and their abbreviations, case, premises' names.

Cleansing splits addresses with them, the resolver keys places with them and search tells
a place from a name with them, so a change here changes all three on purpose.
"""

from __future__ import annotations

from functools import lru_cache

ABBREVIATIONS = {
    "rd": "Road",
    "st": "Street",
    "str": "Street",
    "ave": "Avenue",
    "av": "Avenue",
    "cres": "Crescent",
    "cresc": "Crescent",
    "ct": "Court",
    "dr": "Drive",
    "ln": "Lane",
    "pl": "Place",
    "terr": "Terrace",
    "ter": "Terrace",
    "tce": "Terrace",
    "cl": "Close",
    "gdns": "Gardens",
    "gdn": "Gardens",
    "sq": "Square",
    "pk": "Park",
    "gr": "Grove",
    "hts": "Heights",
    "est": "Estate",
    "pde": "Parade",
}
"""English street types, abbreviated as partners write them: the type ends the name."""
WELSH_ABBREVIATIONS = {
    "hl": "Heol",
    "ff": "Ffordd",
    "ffd": "Ffordd",
    "rh": "Rhodfa",
    "rhod": "Rhodfa",
    "cil": "Cilgant",
    "lon": "Lôn",
    "cl": "Clos",
}
"""Welsh street types, abbreviated: the type opens the name (Heol Nedd, Hl Nedd)."""
_ENGLISH_TYPES = {
    "road": "road",
    "street": "street",
    "lane": "lane",
    "avenue": "avenue",
    "crescent": "crescent",
    "court": "court",
    "drive": "drive",
    "place": "place",
    "terrace": "terrace",
    "close": "close",
    "gardens": "gardens",
    "square": "square",
    "park": "park",
    "grove": "grove",
    "way": "way",
    "walk": "walk",
    "row": "row",
    "hill": "hill",
    "view": "view",
    "rise": "rise",
    "heights": "heights",
    "estate": "estate",
    "parade": "parade",
    "mews": "mews",
    "green": "green",
    "vale": "vale",
}
_WELSH_TYPES = {
    "heol": "road",
    "stryd": "street",
    "lon": "lane",
    "rhodfa": "avenue",
    "cilgant": "crescent",
    "cwrt": "court",
    "teras": "terrace",
    "clos": "close",
    "ffordd": "way",
    "parc": "park",
    "sgwar": "square",
    "maes": "maes",
}
"""Street types and what kind each is, English and Welsh alike: 'Teras y Graig' and 'Terrace
y Graig' (a Welsh name with its type put in English) are one street."""


@lru_cache(maxsize=65_536)
def street_type(word: str, *, opening: bool) -> str | None:
    """The kind of street a type word, in full or abbreviated, names ('Cilg' and 'Cil' are
    Cilgant, a crescent; 'Rhdf' is Rhodfa); None if it is no type. A Welsh type opens a
    street's name (`opening`), an English one ends it. An abbreviation no list has is
    taken when it is three or more letters of one type only (its first letter kept, the
    others in order)."""
    types = _WELSH_TYPES if opening else _ENGLISH_TYPES
    table = WELSH_ABBREVIATIONS if opening else ABBREVIATIONS
    word = word.casefold().replace("ô", "o").strip(".")
    if word in _ENGLISH_TYPES or word in _WELSH_TYPES:
        return _ENGLISH_TYPES.get(word) or _WELSH_TYPES[word]
    if word in table:
        full = table[word].casefold().replace("ô", "o")
        return _ENGLISH_TYPES.get(full) or _WELSH_TYPES.get(full)
    if len(word) < 3 or not word.isalpha():  # two letters are too few to tell
        return None
    kinds = {
        kind for full, kind in types.items() if len(word) < len(full) and _shortens(word, full)
    }
    return kinds.pop() if len(kinds) == 1 else None


def _shortens(short: str, full: str) -> bool:
    if short[0] != full[0]:
        return False
    rest = iter(full[1:])
    return all(c in rest for c in short[1:])


STREET_WORDS = frozenset(
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
        "cilgant",
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
_PREMISES_WORDS = frozenset(
    [
        "inn", "arms", "hotel", "tavern", "bar", "pub", "club", "station", "gorsaf", "house",
        "tŷ", "ty", "hospital", "ysbyty", "school", "ysgol", "college", "centre", "center",
        "canolfan", "hall", "neuadd", "church", "chapel", "capel", "surgery", "pharmacy",
        "shop", "stores", "store", "express", "supermarket", "market", "hostel", "lodge",
        "cottage", "farm", "fferm", "restaurant", "cafe", "café", "takeaway", "garage",
        "library", "leisure", "flats", "tower", "mansions", "villa", "housing", "home",
        "works", "depot", "office", "offices", "prison", "carchar",
    ]
)  # fmt: skip
"""Words that make a name a premises ('Bus Station'; 'Y Llew Du' by its article) rather than
a district ('Townhill'): a numberless name before the town is a place only with one."""
_ARTICLES = frozenset(["the", "y", "yr"])


def _word_case(word: str) -> str:
    if not (word.isupper() or word.islower()):
        return word
    return "-".join(p[:1].upper() + p[1:].lower() for p in word.split("-"))


def tidy_place(text: str) -> str:
    """Case and abbreviations, English and Welsh: 'HEOL ŴYR' → 'Heol Ŵyr', 'High St' → 'High
    Street', 'Hl Nedd' → 'Heol Nedd'. A Welsh type opens a street's name and an English one
    ends it, so 'Cl Dŵr' is Clos Dŵr and 'Dyfed Cl' is Dyfed Close."""
    words = text.replace(".", " ").split()
    out = []
    for i, word in enumerate(words):
        lower = word.lower()
        welsh = WELSH_ABBREVIATIONS.get(lower) if i == 0 and len(words) > 1 else None
        expanded = welsh or ABBREVIATIONS.get(lower)
        # "St" opening a name is Saint (St Thomas); elsewhere it is Street.
        if expanded and not (welsh is None and lower == "st" and i == 0 and len(words) > 1):
            out.append(expanded)
        else:
            out.append(_word_case(word))
    return " ".join(out)


def is_premises(part: str) -> bool:
    """A premises' name ('The Red Lion', 'Bus Station', 'Park House'), not a street's
    ('Station Road', 'Heol y Coed') nor a district's ('Townhill')."""
    words = part.lower().replace("-", " ").split()
    if not words:
        return False
    street_shaped = words[-1] in STREET_WORDS | ABBREVIATIONS.keys() or (
        len(words) > 1 and words[0] in STREET_WORDS | WELSH_ABBREVIATIONS.keys()
    )
    named = words[0] in _ARTICLES or bool(_PREMISES_WORDS & set(words))
    return named and not street_shaped
