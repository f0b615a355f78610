"""Hard constraints: evidence that two profiles are different people, whatever they score.

Used by clustering to refuse a merge, so a chain of weak links cannot join two people who
are plainly different: two valid NHS numbers; dates of birth that no typing error explains
(father and son with one name); given names that are not forms, typos, initials, middle
names or short forms (Rhi, Rhiannon) of each other (twins share everything else). Generous
by design: a constraint only fires when a mistake in the data cannot explain the difference.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from mast.text.names import TYPO_SIMILARITY, forms_of


def _typo(a: str, b: str) -> bool:
    if JaroWinkler.similarity(a, b) >= TYPO_SIMILARITY:
        return True
    return min(len(a), len(b)) >= 3 and DamerauLevenshtein.distance(a, b) <= 1


def _cut_short(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


@lru_cache(maxsize=262_144)
def given_compatible(a: str, b: str) -> bool:
    """Could two folded given names (with middle names after a space) be one person's?"""
    if not a or not b or a == b:
        return True
    first_a, _, middle_a = a.partition(" ")
    first_b, _, middle_b = b.partition(" ")
    if first_a == first_b:
        return True
    if len(first_a) == 1 or len(first_b) == 1:
        return first_a[0] == first_b[0]
    if (
        first_a in middle_b.split()
        or first_b in middle_a.split()
        # A short form cut from the front: Rhi, Rhiannon.
        or (min(len(first_a), len(first_b)) >= 2 and _cut_short(first_a, first_b))
    ):
        return True
    forms_a, forms_b = forms_of(first_a), forms_of(first_b)
    if forms_a & forms_b:
        return True
    return any(_typo(x, first_b) for x in forms_a) or any(_typo(first_a, y) for y in forms_b)


@lru_cache(maxsize=262_144)
def family_same_or_typo(a: str, b: str) -> bool:
    """Two folded family names, both given, that are one name or one slip apart."""
    return bool(a and b) and (a == b or _typo(a, b))


@lru_cache(maxsize=262_144)
def dob_compatible(a: date | None, b: date | None) -> bool:
    """Equal, or apart by one mistake: day and month swapped, one digit, a year or decade out."""
    if a is None or b is None or a == b:
        return True
    if a.year == b.year and a.month == b.day and a.day == b.month:
        return True
    if a.month == b.month and a.day == b.day and abs(a.year - b.year) in (1, 10):
        return True
    return DamerauLevenshtein.distance(a.strftime("%Y%m%d"), b.strftime("%Y%m%d")) <= 1


AGE_SLACK_DAYS = 3 * 366
"""An age given instead of a date of birth is often an estimate: three years either way."""


def age_compatible(dob: date | None, earliest: date | None, latest: date | None) -> bool:
    """Could someone born on `dob` have been given an age meaning born in [earliest, latest]?"""
    if dob is None or earliest is None or latest is None:
        return True
    return (earliest - dob).days <= AGE_SLACK_DAYS and (dob - latest).days <= AGE_SLACK_DAYS
