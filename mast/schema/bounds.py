"""The one set of bounds every stored date and age lies within.

Ingest enforces them (a value outside is dropped with a warning, or its row quarantined),
so every later step — pandas in the resolver (nanosecond timestamps end at 1677 and
2262), DuckDB, the graph engines, the API's age arithmetic — can rely on them rather than
guard its own edges. Documented in docs/errors.md and docs/feeds.md.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

EARLIEST_DATE = date(1900, 1, 1)
"""No date of birth, event or case date before this is believed. Nobody seen by a partner
today was born before it, and it is far inside every engine's range (pandas: 1677)."""

EVENT_CLOCK_TOLERANCE = timedelta(days=1)
"""How far ahead of MAST's clock an event may be dated: partners' clocks and time zones
differ. Later than that, the row is quarantined (`future_event`)."""

MAX_AGE_YEARS = 120
"""The oldest age (and the widest gap between birth and an event) believed."""


def latest_event(now: datetime) -> datetime:
    """The latest interaction time believed when the time is `now`."""
    return now + EVENT_CLOCK_TOLERANCE


def in_window(day: date, now: datetime) -> bool:
    """`day` lies between EARLIEST_DATE and now (with the event clocks' tolerance)."""
    return EARLIEST_DATE <= day <= latest_event(now).date()
