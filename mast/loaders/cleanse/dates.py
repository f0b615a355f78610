"""Dates and times by each feed's declared formats, Excel serials, and sanity windows."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache

from mast.core import clock
from mast.schema.bounds import EARLIEST_DATE, MAX_AGE_YEARS

EXCEL = "excel"
_EXCEL_EPOCH = datetime(1899, 12, 30)
_EXCEL_SERIAL = re.compile(r"[0-9]+(\.[0-9]*)?\Z")


_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
        start=1,
    )
}
_DIRECTIVES = {
    "d": r"(?P<d>\d{1,2})",
    "m": r"(?P<m>\d{1,2})",
    "Y": r"(?P<Y>\d{4})",
    "y": r"(?P<y>\d{2})",
    "H": r"(?P<H>\d{1,2})",
    "M": r"(?P<M>\d{1,2})",
    "S": r"(?P<S>\d{1,2})",
    "b": r"(?P<b>[A-Za-z]{3})",
}


@lru_cache(maxsize=256)
def _compiled(fmt: str) -> re.Pattern[str] | None:
    """A regex for formats made of the common directives; None sends the format to strptime.

    strptime is correct but slow (a lock and a regex build per call); partner files
    repeat the same few formats millions of times.
    """
    pattern, i = [], 0
    while i < len(fmt):
        if fmt[i] == "%" and i + 1 < len(fmt):
            directive = _DIRECTIVES.get(fmt[i + 1])
            if directive is None or directive in pattern:
                return None
            pattern.append(directive)
            i += 2
        else:
            pattern.append(re.escape(fmt[i]))
            i += 1
    return re.compile("".join(pattern) + r"\Z")


def _read(text: str, fmt: str) -> datetime | None:
    regex = _compiled(fmt)
    if regex is None:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            return None
    match = regex.match(text)
    if match is None:
        return None
    g = match.groupdict()
    if "b" in g:
        month = _MONTHS.get(g["b"].lower())
        if month is None:
            return None
    else:
        month = int(g.get("m") or 1)
    if "Y" in g:
        year = int(g["Y"])
    elif "y" in g:  # strptime's pivot: 69–99 are 1900s, 00–68 are 2000s
        year = int(g["y"]) + (1900 if int(g["y"]) >= 69 else 2000)
    else:
        year = 1900
    try:
        return datetime(
            year,
            month,
            int(g.get("d") or 1),
            int(g.get("H") or 0),
            int(g.get("M") or 0),
            int(g.get("S") or 0),
        )
    except ValueError:
        return None


@lru_cache(maxsize=262_144)
def parse_datetime(value: str, formats: tuple[str, ...]) -> datetime | None:
    """The first format that reads the whole value, or None. `31/02/2024` is None."""
    text = value.strip()
    if not text:
        return None
    for fmt in formats:
        if fmt == EXCEL:
            # ASCII only: `str.isdigit` accepts '²', which `float` refuses.
            if _EXCEL_SERIAL.match(text) and 1 <= float(text) < 2_958_466:
                return _EXCEL_EPOCH + timedelta(days=float(text))
            continue
        parsed = _read(text, fmt)
        if parsed is None:
            continue
        if "%y" in fmt and parsed.year > clock.today().year:
            # Two-digit years: 31/12/45 is 1945 for anyone alive, not 2045.
            parsed = parsed.replace(year=parsed.year - 100)
        return parsed
    return None


def add_years(day: date, years: int) -> date:
    """Same calendar day `years` later; 29 February falls back to the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def dob_range_from_age(age: int, on: date) -> tuple[date, date]:
    """Earliest and latest dates of birth of someone aged `age` on `on`."""
    latest = add_years(on, -age)
    earliest = add_years(on, -(age + 1)) + timedelta(days=1)
    return earliest, latest


def dob_problem(dob: date, event_day: date) -> str | None:
    """Why a date of birth cannot be true for a person seen on `event_day`, or None.

    `event_day` is inside the bounds (mast.schema.bounds), so the arithmetic cannot leave
    the calendar."""
    if dob > event_day:
        return "dob_after_event"
    if dob < add_years(event_day, -MAX_AGE_YEARS):
        return "dob_too_old"
    if dob < EARLIEST_DATE:
        return "dob_out_of_range"
    return None
