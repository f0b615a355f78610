"""The canonical record: one person (or place) as one partner recorded them at one event.

Every feed's rows are mapped onto these fields and nothing else, so only headline
data is ever stored (RELIABILITY P13). Names keep their diacritics for display;
the resolver folds them for matching.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class AgencyKind(StrEnum):
    """The kinds of partner MAST takes feeds from."""

    POLICE = "police"
    HEALTH = "health"
    CHILDRENS_SOCIAL_CARE = "childrens_social_care"
    ADULT_SOCIAL_CARE = "adult_social_care"
    EDUCATION = "education"
    YOUTH_JUSTICE = "youth_justice"
    PROBATION = "probation"
    FIRE = "fire"
    AMBULANCE = "ambulance"


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class CanonicalRecord:
    """A cleansed, validated row, ready to be stored and resolved."""

    record_id: str
    feed: str
    agency: str
    agency_kind: AgencyKind
    source_record_id: str
    occurred_at: datetime
    source_person_id: str | None = None
    given_name: str | None = None
    middle_names: str | None = None
    family_name: str | None = None
    other_names: str | None = None
    dob: date | None = None
    dob_earliest: date | None = None
    dob_latest: date | None = None
    sex: Sex | None = None
    nhs_number: str | None = None
    address_text: str | None = None
    flat: str | None = None
    building: str | None = None
    house_number: str | None = None
    street: str | None = None
    locality: str | None = None
    town: str | None = None
    postcode: str | None = None
    uprn: str | None = None
    premises_type: str | None = None
    local_authority: str | None = None
    event_ref: str | None = None
    event_kind: str | None = None
    category: str | None = None
    role: str | None = None
    case_ref: str | None = None
    case_status: str | None = None
    case_opened: date | None = None
    case_closed: date | None = None
    lead_name: str | None = None
    lead_phone: str | None = None
    lead_email: str | None = None
    team: str | None = None
    related_source_person_id: str | None = None
    relationship: str | None = None
    warnings: tuple[str, ...] = field(default=())


# Fields a feed definition may map. Besides the record's own fields, a feed can
# give inputs that cleansing turns into them: a single full name, an age instead
# of a date of birth, or an address in one field.
DERIVED_INPUTS: frozenset[str] = frozenset({"full_name", "age", "address"})
_NOT_MAPPABLE: frozenset[str] = frozenset(
    {
        "record_id",
        "feed",
        "agency",
        "agency_kind",
        "source_record_id",
        "warnings",
        "dob_earliest",
        "dob_latest",
        "address_text",
    }
)
MAPPABLE_FIELDS: frozenset[str] = (
    frozenset(CanonicalRecord.__dataclass_fields__) - _NOT_MAPPABLE
) | DERIVED_INPUTS

DATE_FIELDS: frozenset[str] = frozenset({"dob", "case_opened", "case_closed"})
DATETIME_FIELDS: frozenset[str] = frozenset({"occurred_at"})
