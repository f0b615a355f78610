"""Which of a person's other names are names, and which are typing slips.

A person's `other_names` hold every way their records were written that differs from the
headline name. Shown as "also known as", a slip (Bowen / Bowne, Geraint / Gerient) reads as
an alias and misleads; a different name a partner recorded (a former family name, a
nickname such as Dai for Dafydd) is what a practitioner needs. The test is the one the
resolver's constraints use for a typing error of the same name.
"""

from __future__ import annotations

from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from mast.text.names import TYPO_SIMILARITY, name_key, phonetic


def _slip(a: str, b: str) -> bool:
    """Two folded names one typing error apart (or the same letters, accents aside)."""
    if a == b or JaroWinkler.similarity(a, b) >= TYPO_SIMILARITY:
        return True
    return min(len(a), len(b)) >= 3 and DamerauLevenshtein.distance(a, b) <= 1


def is_variant(other: str, given: str | None, family: str | None) -> bool:
    """Is `other` the headline given or family name written differently, not another name?
    A full name is a variant when each part is a slip of the matching headline part."""
    words = name_key(other).split()
    if not words:
        return True
    own = [w for w in (name_key(given) + " " + name_key(family)).split() if w]
    if not own:
        return False
    if len(words) == 1:
        word = words[0]
        if len(word) == 1:  # an initial
            return any(w.startswith(word) for w in own)
        return any(_slip(word, w) for w in own) or any(
            phonetic(word) == phonetic(w) and word[0] == w[0] for w in own
        )
    return all(any(_slip(word, w) for w in own) for word in words)


def aliases(given: str | None, family: str | None, others: list[str]) -> list[str]:
    """The other names that are names in their own right, in their recorded order."""
    return [o for o in others if not is_variant(o, given, family)]
