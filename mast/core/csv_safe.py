"""CSV cells a spreadsheet will not run as formulas (RELIABILITY P5).

Every CSV MAST writes (exports, report downloads, the daily figures) passes each cell
through `csv_safe`; the web UI's client-side CSV follows the same rule (`FORMULA_START`).
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: str | None) -> str:
    """`value` with a leading apostrophe when a spreadsheet would read it as a formula."""
    text = value or ""
    return f"'{text}" if text.startswith(FORMULA_START) else text
