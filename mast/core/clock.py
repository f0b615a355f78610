"""MAST's one clock.

Every room asks here for the time: the state store keeps naive UTC datetimes, so `now()`
returns one; `today()` is the calendar date where MAST runs (what an operator means by
"yesterday"). `fixed(at)` holds the clock still, so a test can say when "now" is.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

_fixed: datetime | None = None


def now() -> datetime:
    """The current moment in UTC, without tzinfo (as every table stores it)."""
    return _fixed if _fixed is not None else datetime.now(UTC).replace(tzinfo=None)


def today() -> date:
    """Today's date in the local calendar (the fixed moment's date while fixed)."""
    return _fixed.date() if _fixed is not None else date.today()


@contextmanager
def fixed(at: datetime) -> Iterator[None]:
    """Hold the clock at `at` (naive UTC) until the block ends."""
    global _fixed  # noqa: PLW0603 - the one place the time is decided
    before, _fixed = _fixed, at
    try:
        yield
    finally:
        _fixed = before
