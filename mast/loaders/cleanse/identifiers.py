"""NHS numbers, UPRNs, phone numbers and e-mail addresses, through maintained libraries."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from nhs_number.validate import is_valid as nhs_is_valid

from mast.text.fold import ascii_digits

_NHS_DIGITS = re.compile(r"[0-9]{10}\Z")
NHS_TEST_PREFIX = "999"
"""NHS England issues numbers beginning 999 for testing only, never to a patient: one in a
live feed is test data that leaked into production, so it identifies nobody."""


@lru_cache(maxsize=131_072)
def clean_nhs_number(
    value: str, *, trust_test_range: bool = False
) -> tuple[str | None, str | None]:
    """(ten ASCII digits, warning). A number that cannot be a real patient's is dropped:
    failing Mod-11, all one digit (0000000000 and the like pass Mod-11; systems fill
    them in for "not known"), or from the test range (unless `trust_test_range`, for
    synthetic demo and test data, whose numbers are all test numbers)."""
    digits = re.sub(r"[\s-]", "", ascii_digits(value))
    if not digits:
        return None, None
    if not _NHS_DIGITS.match(digits):
        # Includes Excel damage such as 9.43E+09, whose digits are gone for good.
        return None, "nhs_number_malformed"
    if len(set(digits)) == 1 or (not trust_test_range and digits.startswith(NHS_TEST_PREFIX)):
        return None, "nhs_number_placeholder"
    if not nhs_is_valid(digits):
        return None, "nhs_number_checksum"
    return digits, None


@lru_cache(maxsize=65_536)
def clean_uprn(value: str) -> tuple[str | None, str | None]:
    digits = ascii_digits(value).strip().lstrip("0")
    if not digits:
        return None, None
    if not digits.isascii() or not digits.isdigit() or len(digits) > 12:
        return None, "uprn_invalid"
    return digits, None


@lru_cache(maxsize=65_536)
def clean_phone(value: str) -> tuple[str | None, str | None]:
    """UK phone numbers in national format (`01792 123456`)."""
    if not value.strip():
        return None, None
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        return None, "phone_invalid"
    if not phonenumbers.is_possible_number(number):
        return None, "phone_invalid"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL), None


@lru_cache(maxsize=65_536)
def clean_email(value: str) -> tuple[str | None, str | None]:
    if not value.strip():
        return None, None
    try:
        checked = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError:
        return None, "email_invalid"
    return checked.normalized, None
