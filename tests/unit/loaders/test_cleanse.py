"""Unit tests of the value cleansers: no I/O."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mast.loaders.cleanse import addresses, dates, identifiers, names
from mast.text import postcodes
from mast.text.fold import clean_text, fold
from mast.text.streets import tidy_place

FORMATS = ["%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M:%S", "%d %b %Y", "%Y%m%d", "%d/%m/%y", "%Y-%m-%d"]


@given(
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2099, 12, 31)),
    st.sampled_from(FORMATS),
)
def test_fast_date_reader_agrees_with_strptime(moment: datetime, fmt: str) -> None:
    text = moment.strftime(fmt)
    assert dates._read(text, fmt) == datetime.strptime(text, fmt)


@pytest.mark.parametrize("text", ["31/02/2024", "2024-13-01", "00/00/0000", "29/02/2023", "", "  "])
def test_impossible_dates_are_none(text: str) -> None:
    assert dates.parse_datetime(text, ("%d/%m/%Y", "%Y-%m-%d")) is None


def test_dates_in_every_partner_style() -> None:
    assert dates.parse_datetime("31/12/2025", ("%d/%m/%Y",)) == datetime(2025, 12, 31)
    assert dates.parse_datetime("2025-12-31", ("%Y-%m-%d",)) == datetime(2025, 12, 31)
    assert dates.parse_datetime("31 Dec 2025", ("%d %b %Y",)) == datetime(2025, 12, 31)
    assert dates.parse_datetime("20251231", ("%Y%m%d",)) == datetime(2025, 12, 31)
    assert dates.parse_datetime("31/12/2025 23:15", ("%d/%m/%Y %H:%M",)) == datetime(
        2025, 12, 31, 23, 15
    )
    assert dates.parse_datetime("29/02/2024", ("%d/%m/%Y",)) == datetime(2024, 2, 29)
    assert dates.parse_datetime("45292", ("excel",)) == datetime(2024, 1, 1)  # Excel serial
    # Two-digit years: a date of birth in '45 is 1945, not 2045.
    assert dates.parse_datetime("01/02/45", ("%d/%m/%y",)) == datetime(1945, 2, 1)


def test_age_gives_a_date_of_birth_range() -> None:
    earliest, latest = dates.dob_range_from_age(30, date(2026, 3, 1))
    assert earliest == date(1995, 3, 2) and latest == date(1996, 3, 1)
    assert dates.dob_range_from_age(1, date(2025, 2, 28))[1] == date(2024, 2, 28)


def test_dob_sanity() -> None:
    assert dates.dob_problem(date(2030, 1, 1), date(2026, 1, 1)) == "dob_after_event"
    assert dates.dob_problem(date(1890, 1, 1), date(2026, 1, 1)) == "dob_too_old"
    assert dates.dob_problem(date(1990, 1, 1), date(2026, 1, 1)) is None


@pytest.mark.parametrize(
    ("raw", "clean", "warning"),
    [
        ("sa1 1aa", "SA1 1AA", None),
        ("SA11AA", "SA1 1AA", None),
        (" sa2 9ab ", "SA2 9AB", None),
        ("SA11 1AB", "SA11 1AB", None),
        ("NFA", None, "no_fixed_abode"),
        ("SA1 1A", None, "postcode_invalid"),
        ("QQ1 1AA", None, "postcode_invalid"),
        ("", None, None),
        ("EC1A 1BB", "EC1A 1BB", None),
    ],
)
def test_postcodes(raw: str, clean: str | None, warning: str | None) -> None:
    assert postcodes.normalise_postcode(raw) == (clean, warning)


@pytest.mark.parametrize(
    ("raw", "clean", "warning"),
    [
        ("943 476 5919", "9434765919", None),
        ("9434765919", "9434765919", None),
        ("943-476-5919", "9434765919", None),
        ("9434765918", None, "nhs_number_checksum"),
        ("9.43E+09", None, "nhs_number_malformed"),
        ("", None, None),
    ],
)
def test_nhs_numbers(raw: str, clean: str | None, warning: str | None) -> None:
    assert identifiers.clean_nhs_number(raw) == (clean, warning)


def test_phone_and_email() -> None:
    assert identifiers.clean_phone("01792 123456") == ("01792 123456", None)
    assert identifiers.clean_phone("+44 1792 123456") == ("01792 123456", None)
    assert identifiers.clean_phone("12") == (None, "phone_invalid")
    assert identifiers.clean_email("A.Worker@Swansea.gov.uk")[0] == "A.Worker@swansea.gov.uk"
    assert identifiers.clean_email("not an email") == (None, "email_invalid")


def test_text_hygiene_nfc_invisible_and_fold() -> None:
    nfd = "Sia\u0302n"  # 'â' as a + combining circumflex
    assert clean_text(nfd) == "Siân"
    assert clean_text("Jo\u200bnes\u202e  Smith\x00") == "Jones Smith"
    assert fold("Ŵyr Lôn SIÂN") == "wyr lon sian"


@pytest.mark.parametrize(
    ("raw", "style", "given", "middle", "family"),
    [
        ("SMITH, John Paul", "surname_comma_forenames", "John", "Paul", "Smith"),
        ("O'BRIEN, mary", "surname_comma_forenames", "Mary", None, "O'Brien"),
        ("smith-jones, Siân", "surname_comma_forenames", "Siân", None, "Smith-Jones"),
        ("Mr Dai MCDONALD", "forenames_surname", "Dai", None, "McDonald"),
        ("Cher", "forenames_surname", None, None, "Cher"),
        ("Dafydd ap Rhys", "forenames_surname", "Dafydd", None, "ap Rhys"),
    ],
)
def test_full_names(
    raw: str, style: str, given: str | None, middle: str | None, family: str
) -> None:
    parts = names.split_full_name(raw, style)
    assert (parts.given_name, parts.middle_names, parts.family_name) == (given, middle, family)


def test_placeholder_names() -> None:
    assert names.clean_name("UNKNOWN") == (None, ("name_placeholder",))
    baby = names.split_full_name("Baby of JONES", "forenames_surname")
    assert (baby.given_name, baby.family_name, baby.warnings) == (
        None,
        "Jones",
        ("name_placeholder",),
    )
    formula, warnings = names.clean_name("=HYPERLINK(evil)")
    assert "=" not in (formula or "") and warnings == ("name_characters_removed",)


def test_addresses_split_and_tidy() -> None:
    a = addresses.split_address("Flat 2, 14 HEOL ŴYR, Sketty, Swansea, sa2 9ab")
    assert (a.flat, a.house_number, a.street, a.locality, a.town, a.postcode) == (
        "2",
        "14",
        "Heol Ŵyr",
        "Sketty",
        "Swansea",
        "SA2 9AB",
    )
    b = addresses.split_address("The Red Lion, Wind St, Swansea SA1 1DP")
    assert (b.building, b.street, b.town, b.postcode) == (
        "The Red Lion",
        "Wind Street",
        "Swansea",
        "SA1 1DP",
    )
    assert tidy_place("St Thomas") == "St Thomas"  # Saint, not Street


def test_addresses_split_as_partners_write_them() -> None:
    """A flat after the street, a number standing alone, words that place rather than name,
    Welsh abbreviations, a premises named without a number, a postcode mistyped."""

    def split(text: str) -> addresses.AddressParts:
        return addresses.split_address(text)

    def head(text: str) -> tuple[str | None, ...]:
        p = split(text)
        return (p.flat, p.building, p.house_number, p.street)

    assert head("31 Eaton Cres Flat 6, Swansea SA1 1AA") == (
        "6",
        None,
        "31",
        "Eaton Crescent",
    )
    assert head("Land At, Flat 3 At, Victoria House, 50, Park Rd, Baglan") == (
        "3",
        "Victoria House",
        "50",
        "Park Road",
    )
    assert split("17 Hl Nedd, Bonymaen, Swansea").street == "Heol Nedd"
    assert split("3 Cl Dŵr, Neath").street == "Clos Dŵr"  # Welsh: the type opens the name
    assert split("3 Dyfed Cl, Neath").street == "Dyfed Close"  # English: it ends it
    red_lion = split("The Red Lion, Swansea")
    assert (red_lion.building, red_lion.street, red_lion.town) == ("The Red Lion", None, "Swansea")
    typo = split("23 King's Crescent, Mayhill, Swansea Sax 1wt")
    assert (typo.town, typo.postcode) == ("Swansea", None)
