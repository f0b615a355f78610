"""Reports sliced by period and area in Python over a named query's rows, and dates taken
as the UK writes them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from mast.core.errors import QueryRefused
from mast.graph.queries import Param, convert
from mast.web.report_slices import can_slice, district, only_in, period_of, slice_rows

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("typed", ["01/06/2026", "1/6/2026", "2026-06-01"])
def test_a_uk_date_is_taken_day_first(typed: str) -> None:
    assert convert(Param("day", "date", None), typed, now=NOW) == date(2026, 6, 1)
    assert convert(Param("from", "datetime", None), typed, now=NOW) == datetime(2026, 6, 1)


@pytest.mark.parametrize("typed", ["13/13/2026", "31/02/2026", "June 2026"])
def test_a_date_that_is_not_one_is_refused_without_quoting_it(typed: str) -> None:
    with pytest.raises(QueryRefused) as e:
        convert(Param("from", "datetime", None), typed, now=NOW)
    assert typed not in str(e.value)


def test_periods_and_districts() -> None:
    assert period_of("2026-06-03", "week") == "2026-06-01"
    assert period_of("2026-06-03T10:00:00", "month") == "2026-06"
    assert period_of(date(2026, 6, 3), "quarter") == "2026 Q2"
    assert period_of(None, "month") is None
    assert district("SA1 1AA") == "SA1"
    assert district("sa11aa") == "SA1"
    assert district("") is None


def test_a_monthly_slice_by_area_sums_the_events_of_each_kind_of_agency() -> None:
    columns = ["week", "agency_kind", "category", "area", "events"]
    rows = [
        ["2026-06-01", "police", "theft", "Swansea", 3],
        ["2026-06-08", "police", "assault", "Swansea", 2],
        ["2026-06-29", "health", "a&e", "Neath Port Talbot", 4],
        ["2026-07-06", "police", "theft", None, 1],
    ]
    sliced = slice_rows(columns, rows, period="month", area="local_authority")
    assert sliced.columns == ["period", "area", "agency_kind", "events"]
    assert sliced.rows == [
        ["2026-06", "Neath Port Talbot", "health", 4],
        ["2026-06", "Swansea", "police", 5],
        ["2026-07", "", "police", 1],
    ]
    assert sliced.periods == ["2026-06", "2026-07"]
    assert sliced.series == {"health": [4, 0], "police": [5, 1]}
    assert sliced.top[0] == ("Swansea", 5)
    assert sliced.missing == []


def test_a_slice_the_rows_cannot_honour_is_named_not_invented() -> None:
    columns = ["person_id", "given_name", "family_name", "dob", "events"]
    assert can_slice(columns) == (False, [])
    sliced = slice_rows(
        columns, [["P1", "A", "B", "2001-02-03", 7]], period="month", area="postcode_district"
    )
    assert sliced.missing == ["period", "area"]  # never sliced by a date of birth
    assert sliced.rows == [[7]]


def test_rows_narrow_to_one_local_authority_only_when_they_say_where() -> None:
    rows = [["2026-06-01", "Swansea", 3], ["2026-06-01", "Neath Port Talbot", 2]]
    assert only_in(["week", "area", "events"], rows, "Swansea") == [rows[0]]
    assert only_in(["week", "events"], [["2026-06-01", 3]], "Swansea") is None
