"""Given and family names for matching: folded forms, nickname groups, phonetic codes.

Two given names are the *same name* when they share a group: an English nickname from the
`nicknames` package (Bill → William) or a Welsh form from `data/welsh_given_names.csv`
(Dai → Dafydd → David). Family names are compared phonetically with Double Metaphone's
primary code (jellyfish's metaphone), which keeps Jones / Jonnes and Davies / Davis together.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from pathlib import Path

import jellyfish
from nicknames import NickNamer, name_triplets

from mast.text.fold import fold

_WELSH = Path(__file__).parent / "data" / "welsh_given_names.csv"
_NOT_LETTER = re.compile(r"[^a-z ]")
TYPO_SIMILARITY = 0.88
"""Jaro–Winkler at or above this is a typing error of the same name (Sian / Sain, Megan / Megna)."""


@lru_cache(maxsize=262_144)
def name_key(text: str | None) -> str:
    """Folded letters only: 'Siân' → 'sian', "O'Brien" → 'obrien', 'Smith-Jones' → 'smith jones'."""
    if not text:
        return ""
    return " ".join(_NOT_LETTER.sub("", fold(text).replace("-", " ")).split())


@cache
def _namer() -> NickNamer:
    return NickNamer()


@cache
def _groups() -> dict[str, frozenset[str]]:
    """Welsh name → the ids of every group it belongs to."""
    out: dict[str, set[str]] = {}
    namer = _namer()
    welsh = [
        line.split(",")
        for line in _WELSH.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    for i, names in enumerate(welsh):
        for name in names:
            out.setdefault(name.strip(), set()).add(f"w{i}")
    for name in list(out):
        for canonical in namer.canonicals_of(name) | {name}:
            for nick in namer.nicknames_of(canonical):
                out.setdefault(nick, set()).update(out[name])
    return {k: frozenset(v) for k, v in out.items()}


@lru_cache(maxsize=65_536)
def given_groups(given: str) -> tuple[str, ...]:
    """The nickname groups of one folded given name, itself included, sorted."""
    namer = _namer()
    canonicals = namer.canonicals_of(given) | {given}
    groups = {f"n:{c}" for c in canonicals}
    for c in canonicals:
        groups.update(_groups().get(c, ()))
    return tuple(sorted(groups))


@lru_cache(maxsize=65_536)
def phonetic(family: str) -> str:
    """Phonetic code of a folded family name, every part: 'smith jones' → 'SM0 JNS'."""
    return " ".join(jellyfish.metaphone(part) for part in family.split())


@lru_cache(maxsize=65_536)
def forms_of(given: str) -> frozenset[str]:
    """Every name sharing a group with this one, itself included: dai → dafydd, david, dave ..."""
    by_group = _names_by_group()
    return frozenset({given}.union(*(by_group.get(g, ()) for g in given_groups(given))))


@cache
def _names_by_group() -> dict[str, frozenset[str]]:
    """Group id → every name the tables put in it."""
    names = set(_groups())
    for triplet in name_triplets():
        names |= {triplet.name1, triplet.name2}
    out: dict[str, set[str]] = {}
    for name in names:
        for group in given_groups(name):
            out.setdefault(group, set()).add(name)
    return {g: frozenset(n) for g, n in out.items()}
