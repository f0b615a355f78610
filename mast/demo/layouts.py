"""Ten partner systems, ten layouts: how each exports an involvement as a row.

These mirror the feed definitions shipped in ``mast/feeds/``; the loaders know
nothing of this module and read the files only through those definitions.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from mast.demo.activity import Involvement
from mast.demo.noise import Noise
from mast.demo.world import Person, Place

Row = dict[str, str]


@dataclass(frozen=True)
class Layout:
    feed: str
    file_name: str  # strftime pattern of the extract date
    encoding: str
    delimiter: str
    columns: tuple[str, ...]
    record_id: tuple[str, ...]
    occurred_column: str
    occurred_format: str
    noise: Callable[[random.Random], Noise]
    row: Callable[[Involvement, Place, Noise, PersonIds], Row]
    stale_addresses: bool = True  # False for address-led partners, who record where they went
    sources: tuple[str, ...] = ()  # the activity feeds this layout exports; default its own

    @property
    def takes(self) -> tuple[str, ...]:
        return self.sources or (self.feed,)


class PersonIds:
    """Each partner's own id for a person; police sometimes mint a duplicate nominal."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def of(
        self, feed: str, person: Person | None, prefix: str, *, duplicate_rate: float = 0.0
    ) -> str:
        if person is None:
            return ""
        number = int(person.person_id[1:]) * 7 + len(feed) * 1_000_003
        if duplicate_rate and self.rng.random() < duplicate_rate:
            number += 50_000_000 + self.rng.randrange(1_000_000)
        return f"{prefix}{number}"


def _d(day: date | None, fmt: str) -> str:
    return day.strftime(fmt) if day else ""


def _dt(moment: datetime, fmt: str) -> str:
    return moment.strftime(fmt)


def _line(place: Place, *, with_town: bool = True) -> str:
    head = f"{place.number} {place.street}" if place.number else place.street
    parts = [
        f"Flat {place.flat}" if place.flat else "",
        place.building or "",
        head,
        place.locality,
        place.town if with_town else "",
    ]
    return ", ".join(p for p in parts if p)


def _door(place: Place) -> str:
    """Flat, number and street as one address line."""
    street = f"{place.number} {place.street}" if place.number else place.street
    return f"Flat {place.flat}, {street}" if place.flat else street


def _sex(p: Person | None, female: str, male: str) -> str:
    return "" if p is None else (female if p.sex == "F" else male)


_LOCATION_TYPES = {
    "dwelling": "Dwelling",
    "pub": "Licensed Premises",
    "hostel": "Hostel",
    "shop": "Retail",
    "transport": "Transport",
    "hospital": "Hospital",
    "school": "School",
    "hotel": "Hotel",
    "takeaway": "Takeaway",
    "supported_accommodation": "Supported Accommodation",
}


def _police(inv: Involvement, place: Place, n: Noise, ids: PersonIds) -> Row:
    p = inv.person
    assert p is not None
    postcode = n.postcode(place.postcode, spaced=n.rng.random() < 0.5)
    return {
        "OccurrenceRef": inv.event_ref,
        "NominalID": ids.of("police", p, "NOM", duplicate_rate=0.04),
        "OccurrenceDateTime": _dt(inv.when, "%d/%m/%Y %H:%M"),
        "OffenceCategory": inv.category,
        "NominalName": f"{n.family(p).upper()}, {n.given(p, with_middle=True)}",
        "DateOfBirth": _d(n.dob(p), "%d/%m/%Y"),
        "Gender": _sex(p, "F", "M"),
        "NominalRole": inv.role,
        "LocationAddress": f"{_line(place)} {postcode}".strip(),
        "LocationType": _LOCATION_TYPES[place.premises_type],
    }


def _health(inv: Involvement, place: Place, n: Noise, ids: PersonIds) -> Row:
    p = inv.person
    assert p is not None
    nhs = n.nhs(p)
    if nhs and n.rng.random() < 0.5:
        nhs = f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}"
    return {
        "AttendanceID": inv.event_ref,
        "HospitalNumber": ids.of("health", p, "SB"),
        "NHSNumber": nhs,
        "Forename": n.given(p, with_middle=True),
        "Surname": n.family(p),
        "DateOfBirth": _d(n.dob(p), "%Y-%m-%d"),
        "Sex": _sex(p, "2", "1"),
        "AddressLine1": _door(place),
        "AddressLine2": place.locality,
        "AddressLine3": place.town,
        "Postcode": n.postcode(place.postcode),
        "ArrivalDateTime": _dt(inv.when, "%Y-%m-%dT%H:%M:%S"),
        "Site": {"MIU": "Neath Port Talbot MIU", "DNA": "Singleton Outpatients"}.get(
            inv.kind, "Morriston ED"
        ),
        "AttendanceType": inv.kind,
        "PresentingComplaint": inv.category,
    }


def _case_cols(inv: Involvement, fmt: str) -> tuple[str, str, str, str, str, str, str, str]:
    c = inv.case
    if c is None:
        return ("", "", "", "", "", "", "", "")
    return (
        c.case_ref,
        c.status,
        _d(c.opened, fmt),
        _d(c.closed, fmt),
        c.lead,
        c.phone,
        c.email,
        c.team,
    )


def _csc_swansea(inv: Involvement, place: Place, n: Noise, ids: PersonIds) -> Row:
    p = inv.person
    assert p is not None
    ref, status, opened, closed, lead, phone, email, team = _case_cols(inv, "%d/%m/%Y")
    return {
        "Contact ID": inv.event_ref,
        "Person ID": ids.of("csc_swansea", p, "SW"),
        "Forename": n.given(p),
        "Surname": n.family(p),
        "DOB": _d(n.dob(p), "%d/%m/%Y"),
        "Gender": _sex(p, "Female", "Male"),
        "Address": f"{_line(place)}, {n.postcode(place.postcode)}".rstrip(", "),
        "UPRN": place.uprn if n.rng.random() < 0.7 else "",
        "Contact Date": _d(inv.when.date(), "%d/%m/%Y"),
        "Contact Type": inv.kind,
        "Role": inv.role,
        "Related Person ID": ids.of("csc_swansea", inv.related, "SW"),
        "Relationship": inv.relationship if inv.related else "",
        "Case Ref": ref,
        "Case Status": status.title(),
        "Case Opened": opened,
        "Case Closed": closed,
        "Allocated Worker": lead,
        "Worker Phone": phone,
        "Worker Email": email,
        "Team": team,
    }


def _csc_npt(inv: Involvement, place: Place, n: Noise, ids: PersonIds) -> Row:
    p = inv.person
    assert p is not None
    ref, status, opened, closed, lead, phone, email, team = _case_cols(inv, "%Y%m%d")
    street = f"{place.number} {place.street}" if place.number else place.street
    return {
        "EPISODE_ID": inv.event_ref,
        "CLIENT_NO": ids.of("csc_npt", p, ""),
        "CLIENT_NAME": f"{n.family(p)}, {n.given(p)}",
        "BIRTH_DATE": _d(n.dob(p), "%d %b %Y"),
        "SEX": _sex(p, "F", "M"),
        "ADDR_1": f"Flat {place.flat} {street}" if place.flat else street,
        "ADDR_2": place.locality,
        "TOWN": place.town.upper(),
        "POST_CODE": n.postcode(place.postcode),
        "UPRN": place.uprn if n.rng.random() < 0.5 else "",
        "EPISODE_START": _d(inv.when.date(), "%Y%m%d"),
        "EPISODE_TYPE": inv.kind.upper(),
        "STATUS": status[:1].upper(),
        "CASE_START": opened,
        "END_DATE": closed,
        "KEYWORKER": lead,
        "KEYWORKER_TEL": phone,
        "KEYWORKER_EMAIL": email,
        "TEAM_NAME": team,
        "CARER_CLIENT_NO": ids.of("csc_npt", inv.related, ""),
        "CARER_RELATIONSHIP": inv.relationship if inv.related else "",
    }


def _asc(inv: Involvement, place: Place, n: Noise, ids: PersonIds) -> Row:
    p = inv.person
    assert p is not None
    ref, status, opened, _closed, lead, phone, email, team = _case_cols(inv, "%Y-%m-%d")
    title = {"F": "Mrs" if p.birth_family != p.family else "Ms", "M": "Mr"}[p.sex]
    return {
        "ReferralID": inv.event_ref,
        "PersonRef": ids.of("asc", p, "WA"),
        "Title": title,
        "FirstName": n.given(p),
        "MiddleName": p.middle or "",
        "LastName": n.family(p),
        "PreviousSurname": p.birth_family if p.birth_family != p.family else "",
        "DateOfBirth": _d(n.dob(p), "%Y-%m-%d"),
        "Gender": _sex(p, "F", "M"),
        "AddressLine": _line(place),
        "PostCode": n.postcode(place.postcode, spaced=False),
        "LocalAuthority": place.local_authority,
        "ReferralDate": _dt(inv.when, "%Y-%m-%d %H:%M"),
        "ReferralReason": inv.kind,
        "CaseStatus": "Active" if status == "open" else "Closed",
        "CaseOpened": opened,
        "Worker": lead,
        "WorkerTel": phone,
        "WorkerEmail": email,
        "Team": team,
    }


def _education(inv: Involvement, place: Place, n: Noise, ids: PersonIds) -> Row:
    p = inv.person
    assert p is not None
    return {
        "EventID": inv.event_ref,
        "UPN": ids.of("education", p, "W"),
        "LegalSurname": n.family(p),
        "LegalForename": n.given(p),
        "DOB": _d(n.dob(p), "%d/%m/%Y"),
        "Gender": _sex(p, "F", "M"),
        "AddressLine1": _door(place),
        "AddressLine2": place.locality,
        "Town": place.town,
        "Postcode": n.postcode(place.postcode),
        "School": "Ysgol Gyfun Gŵyr"
        if place.local_authority == "Swansea"
        else "Cefn Saeson Comprehensive",
        "EventType": inv.kind,
        "EventDate": _d(inv.when.date(), "%d/%m/%Y"),
    }


def _youth_justice(inv: Involvement, place: Place, n: Noise, ids: PersonIds) -> Row:
    p = inv.person
    assert p is not None
    ref, status, _o, _c, lead, phone, email, _team = _case_cols(inv, "%d/%m/%y")
    return {
        "INTERVENTION_ID": inv.event_ref,
        "YP_ID": ids.of("youth_justice", p, "YJ"),
        "NAME": f"{n.given(p)} {n.family(p).upper()}",
        "DOB": _d(n.dob(p), "%Y%m%d"),
        "SEX": _sex(p, "F", "M"),
        "ADDRESS": _line(place),
        "POSTCODE": n.postcode(place.postcode, spaced=False),
        "START_DATE": _d(inv.when.date(), "%d/%m/%y"),
        "ORDER_TYPE": inv.kind,
        "CASE_MANAGER": lead,
        "CM_PHONE": phone,
        "CM_EMAIL": email,
        "STATUS": status.title(),
    }


def _probation(inv: Involvement, place: Place, n: Noise, ids: PersonIds) -> Row:
    p = inv.person
    assert p is not None
    ref, status, opened, _c, lead, phone, email, team = _case_cols(inv, "%d %b %Y")
    return {
        "CRN": ids.of("probation", p, "X"),
        "EventNo": inv.event_ref,
        "Surname": n.family(p),
        "Forenames": n.given(p, with_middle=True),
        "DOB": _d(n.dob(p), "%d/%m/%Y"),
        "Sex": _sex(p, "Female", "Male"),
        "Address1": _door(place),
        "Address2": place.locality,
        "Address3": place.town,
        "Postcode": n.postcode(place.postcode),
        "EventDate": _dt(inv.when, "%d %b %Y %H:%M"),
        "EventType": inv.kind,
        "OffenderManager": lead,
        "OMPhone": phone,
        "OMEmail": email,
        "Status": "Active" if status == "open" else "Terminated",
        "CaseStart": opened,
    }


def _fire(inv: Involvement, place: Place, n: Noise, ids: PersonIds) -> Row:
    p = inv.person
    named = p is not None and n.rng.random() < 0.8
    return {
        "IncidentNumber": inv.event_ref,
        "IncidentDate": _dt(inv.when, "%d/%m/%Y %H:%M"),
        "IncidentType": inv.kind,
        "Category": inv.category,
        "PropertyType": "Dwelling",
        "HouseNumber": f"Flat {place.flat}, {place.number}" if place.flat else (place.number or ""),
        "Street": place.street,
        "Town": place.town,
        "Postcode": n.postcode(place.postcode),
        "UPRN": place.uprn if n.rng.random() < 0.6 else "",
        "OccupantName": f"{n.given(p)} {n.family(p)}" if named and p else "",
        "OccupantAge": str(p.age_on(inv.when.date())) if named and p else "",
    }


def _ambulance(inv: Involvement, place: Place, n: Noise, ids: PersonIds) -> Row:
    p = inv.person
    assert p is not None
    age = p.age_on(inv.when.date())
    if n.hit(0.05):
        age += n.rng.choice((-1, 1, 2))  # estimated at the scene
    return {
        "IncidentID": inv.event_ref,
        "CallDateTime": _dt(inv.when, "%Y-%m-%d %H:%M:%S"),
        "PatientName": f"{n.given(p)} {n.family(p)}" if not n.hit(0.03) else "Unknown",
        "PatientAge": str(max(0, age)),
        "PatientSex": _sex(p, "Female", "Male"),
        "IncidentAddress": _line(place),
        "IncidentPostcode": n.postcode(place.postcode),
        "ChiefComplaint": inv.category,
    }


def _noise(
    quality: float, dob_missing: float = 0.03, nhs_missing: float = 0.1, stale_address: float = 0.3
) -> Callable[[random.Random], Noise]:
    return lambda rng: Noise(
        rng,
        quality,
        dob_missing=dob_missing,
        nhs_missing=nhs_missing,
        stale_address=stale_address,
    )


LAYOUTS: tuple[Layout, ...] = (
    Layout(
        "police",
        "SWP_Occurrences_%Y%m%d.csv",
        "utf-8",
        ",",
        (
            "OccurrenceRef",
            "NominalID",
            "OccurrenceDateTime",
            "OffenceCategory",
            "NominalName",
            "DateOfBirth",
            "Gender",
            "NominalRole",
            "LocationAddress",
            "LocationType",
        ),
        ("OccurrenceRef", "NominalID"),
        "OccurrenceDateTime",
        "%d/%m/%Y %H:%M",
        _noise(1.5, dob_missing=0.08, stale_address=0.2),
        _police,
    ),
    Layout(
        "health",
        "SBUHB_EDAttendances_%Y-%m-%d.csv",
        "utf-8-sig",
        ",",
        (
            "AttendanceID",
            "HospitalNumber",
            "NHSNumber",
            "Forename",
            "Surname",
            "DateOfBirth",
            "Sex",
            "AddressLine1",
            "AddressLine2",
            "AddressLine3",
            "Postcode",
            "ArrivalDateTime",
            "Site",
            "AttendanceType",
            "PresentingComplaint",
        ),
        ("AttendanceID",),
        "ArrivalDateTime",
        "%Y-%m-%dT%H:%M:%S",
        _noise(0.8, dob_missing=0.005, nhs_missing=0.08, stale_address=0.4),
        _health,
    ),
    Layout(
        "csc_swansea",
        "Swansea_CSC_Contacts_%Y%m%d.csv",
        "utf-8",
        "|",
        (
            "Contact ID",
            "Person ID",
            "Forename",
            "Surname",
            "DOB",
            "Gender",
            "Address",
            "UPRN",
            "Contact Date",
            "Contact Type",
            "Role",
            "Related Person ID",
            "Relationship",
            "Case Ref",
            "Case Status",
            "Case Opened",
            "Case Closed",
            "Allocated Worker",
            "Worker Phone",
            "Worker Email",
            "Team",
        ),
        ("Contact ID",),
        "Contact Date",
        "%d/%m/%Y",
        _noise(0.7, dob_missing=0.02),
        _csc_swansea,
    ),
    Layout(
        "csc_npt",
        "NPT_ChildrensServices_%Y%m%d.csv",
        "cp1252",
        ";",
        (
            "EPISODE_ID",
            "CLIENT_NO",
            "CLIENT_NAME",
            "BIRTH_DATE",
            "SEX",
            "ADDR_1",
            "ADDR_2",
            "TOWN",
            "POST_CODE",
            "UPRN",
            "EPISODE_START",
            "EPISODE_TYPE",
            "STATUS",
            "CASE_START",
            "END_DATE",
            "KEYWORKER",
            "KEYWORKER_TEL",
            "KEYWORKER_EMAIL",
            "TEAM_NAME",
            "CARER_CLIENT_NO",
            "CARER_RELATIONSHIP",
        ),
        ("EPISODE_ID",),
        "EPISODE_START",
        "%Y%m%d",
        _noise(1.0, dob_missing=0.02),
        _csc_npt,
    ),
    Layout(
        "asc",
        "ASC_WestGlamorgan_%Y%m%d.txt",
        "utf-8",
        "\t",
        (
            "ReferralID",
            "PersonRef",
            "Title",
            "FirstName",
            "MiddleName",
            "LastName",
            "PreviousSurname",
            "DateOfBirth",
            "Gender",
            "AddressLine",
            "PostCode",
            "LocalAuthority",
            "ReferralDate",
            "ReferralReason",
            "CaseStatus",
            "CaseOpened",
            "Worker",
            "WorkerTel",
            "WorkerEmail",
            "Team",
        ),
        ("ReferralID",),
        "ReferralDate",
        "%Y-%m-%d %H:%M",
        _noise(0.8, dob_missing=0.01),
        _asc,
    ),
    Layout(
        "education",
        "EDU_Inclusion_%Y%m%d.csv",
        "utf-8",
        ",",
        (
            "EventID",
            "UPN",
            "LegalSurname",
            "LegalForename",
            "DOB",
            "Gender",
            "AddressLine1",
            "AddressLine2",
            "Town",
            "Postcode",
            "School",
            "EventType",
            "EventDate",
        ),
        ("EventID",),
        "EventDate",
        "%d/%m/%Y",
        _noise(0.6, dob_missing=0.005),
        _education,
    ),
    Layout(
        "youth_justice",
        "YJS_ChildView_%Y%m%d.csv",
        "utf-8",
        ",",
        (
            "INTERVENTION_ID",
            "YP_ID",
            "NAME",
            "DOB",
            "SEX",
            "ADDRESS",
            "POSTCODE",
            "START_DATE",
            "ORDER_TYPE",
            "CASE_MANAGER",
            "CM_PHONE",
            "CM_EMAIL",
            "STATUS",
        ),
        ("INTERVENTION_ID",),
        "START_DATE",
        "%d/%m/%y",
        _noise(1.0, dob_missing=0.01),
        _youth_justice,
    ),
    Layout(
        "probation",
        "HMPPS_nDelius_%Y%m%d.csv",
        "utf-8",
        ",",
        (
            "CRN",
            "EventNo",
            "Surname",
            "Forenames",
            "DOB",
            "Sex",
            "Address1",
            "Address2",
            "Address3",
            "Postcode",
            "EventDate",
            "EventType",
            "OffenderManager",
            "OMPhone",
            "OMEmail",
            "Status",
            "CaseStart",
        ),
        ("CRN", "EventNo"),
        "EventDate",
        "%d %b %Y %H:%M",
        _noise(1.0, dob_missing=0.01),
        _probation,
    ),
    Layout(
        "fire",
        "MAWWFRS_Incidents_%Y%m%d.csv",
        "utf-8",
        ",",
        (
            "IncidentNumber",
            "IncidentDate",
            "IncidentType",
            "Category",
            "PropertyType",
            "HouseNumber",
            "Street",
            "Town",
            "Postcode",
            "UPRN",
            "OccupantName",
            "OccupantAge",
        ),
        ("IncidentNumber",),
        "IncidentDate",
        "%d/%m/%Y %H:%M",
        _noise(1.2),
        _fire,
    ),
    Layout(
        "ambulance",
        "WAST_Calls_%Y%m%d.csv",
        "utf-8",
        ",",
        (
            "IncidentID",
            "CallDateTime",
            "PatientName",
            "PatientAge",
            "PatientSex",
            "IncidentAddress",
            "IncidentPostcode",
            "ChiefComplaint",
        ),
        ("IncidentID",),
        "CallDateTime",
        "%Y-%m-%d %H:%M:%S",
        _noise(1.5),
        _ambulance,
    ),
)
