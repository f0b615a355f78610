"""Slices of a report's rows by period (week, month, quarter) and by area (local authority
or postcode district), computed here over the named query's rows so that the queries run
unchanged on both engines: portable Cypher has no month or quarter of a date."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final

PERIODS: Final = ("week", "month", "quarter")
AREAS: Final = ("local_authority", "postcode_district")
# The columns a row is dated by, first found first: never a date of birth.
_DATED: Final = (
    "week",
    "occurred_at",
    "day",
    "opened",
    "first_custody",
    "first_adult_contact",
    "valid_from",
    "since",
)
_AREA_COLUMNS: Final = {
    "local_authority": ("local_authority", "area"),
    "postcode_district": ("postcode",),
}
_TOP: Final = 10
# One colour per kind of agency, the same on every chart (contrast 3:1 or more on white).
AGENCY_COLOURS: Final = {
    "police": "#1d4f91",
    "health": "#00796b",
    "ambulance": "#2e7d32",
    "childrens_social_care": "#b4004e",
    "adult_social_care": "#6a1b9a",
    "education": "#e65100",
    "fire": "#c62828",
    "probation": "#4e342e",
    "youth_justice": "#37474f",
}
OTHER_COLOUR: Final = "#616161"


@dataclass
class Slice:
    """The report's rows counted by period, area and kind of agency, where it has them."""

    period: str | None
    area: str | None
    columns: list[str]
    rows: list[list[Any]]
    periods: list[str] = field(default_factory=list)
    series: dict[str, list[int]] = field(default_factory=dict)
    """Counts per period for each kind of agency (or one series, ""), for the bars."""
    top: list[tuple[str, int]] = field(default_factory=list)
    top_of: str = ""
    missing: list[str] = field(default_factory=list)
    """What was asked for that this report's rows cannot be sliced by."""


def period_of(value: Any, period: str) -> str | None:
    """The week (its Monday), month (2026-06) or quarter (2026 Q2) a date falls in."""
    when = _date(value)
    if when is None:
        return None
    if period == "week":
        return (when - timedelta(days=when.weekday())).isoformat()
    if period == "month":
        return f"{when.year}-{when.month:02d}"
    return f"{when.year} Q{(when.month - 1) // 3 + 1}"


MOST_PERIODS: Final = 520
"""More periods than this (ten years of weeks) are drawn as found: a date mistyped as 1926
would otherwise draw a century of empty months."""


def every_period(found: list[str], period: str) -> list[str]:
    """The periods from the first found to the last, the empty ones too, so a chart's axis
    is honest: a month with no events is a 0, not a month left out. Undated rows ("") stay
    first."""
    dated = [p for p in found if p]
    if len(dated) < 2:
        return found
    first, last = dated[0], dated[-1]
    out = [""] if "" in found else []
    if period == "week":
        step, end = date.fromisoformat(first), date.fromisoformat(last)
        while step <= end and len(out) <= MOST_PERIODS:
            out.append(step.isoformat())
            step += timedelta(days=7)
    else:  # months (2026-06) or quarters (2026 Q2): a year and a number counted on
        per_year = 12 if period == "month" else 4
        year, n = int(first[:4]), int(first[5:7] if period == "month" else first[-1])
        while len(out) <= MOST_PERIODS:
            label = f"{year}-{n:02d}" if period == "month" else f"{year} Q{n}"
            out.append(label)
            if label >= last:
                break
            year, n = (year + 1, 1) if n == per_year else (year, n + 1)
    return found if len(out) > MOST_PERIODS else out


def district(postcode: Any) -> str | None:
    """A postcode's district, its outward part (SA1 of SA1 1AA)."""
    if not isinstance(postcode, str) or not postcode.strip():
        return None
    text = postcode.strip().upper()
    return text.split()[0] if " " in text else (text[:-3] if len(text) > 4 else text)


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def only_in(columns: list[str], rows: list[list[Any]], authority: str) -> list[list[Any]] | None:
    """The rows in one local authority, or None when the rows say nothing of where."""
    placed = next((c for c in _AREA_COLUMNS["local_authority"] if c in columns), None)
    if placed is None:
        return None
    at = columns.index(placed)
    return [r for r in rows if r[at] == authority]


def can_slice(columns: list[str]) -> tuple[bool, list[str]]:
    """Whether the columns have a date to slice by, and which areas they have."""
    dated = any(c in columns for c in _DATED)
    areas = [a for a in AREAS if any(c in columns for c in _AREA_COLUMNS[a])]
    return dated, areas


def slice_rows(
    columns: list[str], rows: list[list[Any]], *, period: str | None, area: str | None
) -> Slice:
    """Counts (the `events` column summed, else rows) by the chosen period and area, and
    by kind of agency where the rows have one; a choice the rows cannot honour is named
    in `missing` and left out."""
    dated = next((c for c in _DATED if c in columns), None)
    placed = next((c for c in _AREA_COLUMNS.get(area or "", ()) if c in columns), None)
    missing = []
    if period and dated is None:
        missing.append("period")
        period = None
    if area and placed is None:
        missing.append("area")
        area = None
    kind = "agency_kind" if "agency_kind" in columns else None
    measure = columns.index("events") if "events" in columns else None
    counts: Counter[tuple[str, str, str]] = Counter()
    for row in rows:
        at = dict(zip(columns, row, strict=False))
        when = (period_of(at[dated], period) if period and dated else None) or ""
        where = ""
        if area and placed:
            where = (district(at[placed]) if area == "postcode_district" else at[placed]) or ""
        n = row[measure] if measure is not None and isinstance(row[measure], int) else 1
        counts[(when, str(where), str(at[kind] or "") if kind else "")] += n
    heads = (["period"] if period else []) + (["area"] if area else [])
    heads += (["agency_kind"] if kind else []) + ["events" if measure is not None else "rows"]
    out_rows = []
    for (when, where, what), n in sorted(counts.items()):
        out_rows.append(
            ([when] if period else []) + ([where] if area else []) + ([what] if kind else []) + [n]
        )
    done = Slice(period, area, heads, out_rows, missing=missing)
    if period:
        done.periods = every_period(sorted({k[0] for k in counts}), period)
        for (when, _where, what), n in counts.items():
            line = done.series.setdefault(what, [0] * len(done.periods))
            line[done.periods.index(when)] += n
    by: Counter[str] = Counter()
    done.top_of = "area" if area else ("agency_kind" if kind else "")
    if done.top_of:
        for (_when, where, what), n in counts.items():
            by[where if area else what] += n
        done.top = by.most_common(_TOP)
    return done
