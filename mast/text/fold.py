"""Text hygiene shared by every field: Unicode form, invisible characters, whitespace."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"\s+")
# Control (Cc) and invisible format (Cf) characters: zero-width, bidi marks, soft hyphen, BOM.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)


def clean_text(value: str) -> str | None:
    """NFC, no zero-width / bidi / control characters, single spaces; None when empty."""
    if value.isascii() and value.isprintable() and "  " not in value:
        # Most values are plain ASCII already: nothing to normalise or remove.
        return value.strip() or None
    return _clean_unusual(value)


@lru_cache(maxsize=65_536)
def _clean_unusual(value: str) -> str | None:
    text = unicodedata.normalize("NFC", value)
    text = _SPACES.sub(" ", _INVISIBLE.sub("", text)).strip()
    return text or None


@lru_cache(maxsize=65_536)
def fold(value: str) -> str:
    """Accent- and case-free form for matching: 'Siân' → 'sian', 'Ŵyr' → 'wyr'."""
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def ascii_digits(value: str) -> str:
    """NFKC, then every decimal digit as ASCII: '５０' and '٥٠' → '50', '²' → '2'.

    Numbers are checked as plain ASCII after this, so a digit `str.isdigit` accepts but
    `int` refuses (superscripts, circled digits) can never reach `int`.
    """
    # Nearly every value is ASCII already: answered before the cache's hashing.
    return value if value.isascii() else _ascii_unusual(value)


@lru_cache(maxsize=65_536)
def _ascii_unusual(value: str) -> str:
    text = unicodedata.normalize("NFKC", value)
    return "".join(
        str(digit) if (digit := unicodedata.decimal(c, None)) is not None else c for c in text
    )
