"""UK postcodes: normalise to `SA1 1AA` form and validate the shape.

No maintained PyPI library does this (the candidates were last released 2017–2021),
so this follows the government data standard's pattern directly.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Outward code (area, district, optional sub-district letter) + inward code (sector digit, unit).
_POSTCODE = re.compile(
    r"^(?P<out>[A-PR-UWYZ](?:[0-9][0-9A-HJKPSTUW]?|[A-HK-Y][0-9][0-9ABEHMNPRVWXY]?))"
    r"(?P<in>[0-9][ABD-HJLNP-UW-Z]{2})$"
)
_GIR = "GIR0AA"
NO_FIXED_ABODE = frozenset({"NFA", "NOFIXEDABODE", "ZZ991WZ", "ZZ99"})


@lru_cache(maxsize=131_072)
def normalise_postcode(value: str) -> tuple[str | None, str | None]:
    """(postcode, warning code). A malformed postcode is dropped with a warning, not guessed."""
    compact = re.sub(r"[^A-Za-z0-9]", "", value).upper()
    if not compact:
        return None, None
    if compact in NO_FIXED_ABODE:
        return None, "no_fixed_abode"
    if compact == _GIR:
        return "GIR 0AA", None
    match = _POSTCODE.match(compact)
    if not match:
        return None, "postcode_invalid"
    return f"{match['out']} {match['in']}", None


def find_postcode(text: str) -> tuple[str | None, str]:
    """A postcode at the end of a one-line address, and the address without it."""
    tokens = text.rstrip(" ,").split()
    for take in (2, 1):
        if len(tokens) >= take:
            candidate = "".join(tokens[-take:])
            postcode, warning = normalise_postcode(candidate)
            if postcode and not warning:
                return postcode, " ".join(tokens[:-take]).rstrip(" ,")
    return None, text
