"""NHS numbers, UPRNs, phone numbers and e-mail addresses, through maintained libraries."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from nhs_number.validate import is_valid as nhs_is_valid


@lru_cache(maxsize=131_072)
def clean_nhs_number(value: str) -> tuple[str | None, str | None]:
    """(ten digits, warning). An NHS number failing Mod-11 is never trusted: it is dropped."""
    digits = re.sub(r"[\s-]", "", value)
    if not digits:
        return None, None
    if not digits.isdigit() or len(digits) != 10:
        # Includes Excel damage such as 9.43E+09, whose digits are gone for good.
        return None, "nhs_number_malformed"
    if not nhs_is_valid(digits):
        return None, "nhs_number_checksum"
    return digits, None


@lru_cache(maxsize=65_536)
def clean_uprn(value: str) -> tuple[str | None, str | None]:
    digits = value.strip().lstrip("0")
    if not digits:
        return None, None
    if not digits.isdigit() or len(digits) > 12:
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
