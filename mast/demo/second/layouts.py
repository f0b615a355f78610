"""Nine partner systems of the second region, written as other systems write: other column
names, full names in one field, ages for dates of birth, sex codes, addresses in one field
or several, flats after the street, street types shortened in both languages, other date
formats, and each system's own habits (see `Habits`).

Their feed definitions are data beside this module (``feeds/*.yaml``), copied next to the
extracts; MAST reads them through ``MAST_FEEDS`` and has no code for any of them.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from mast.demo.activity import Involvement
from mast.demo.layouts import Layout, PersonIds, Row, _case_cols, _d, _dt
from mast.demo.noise import Habits, Noise
from mast.demo.world import Person, Place

_LOC_TYPES = {
    "dwelling": "RES",
    "pub": "LIC",
    "hostel": "HOS",
    "shop": "RET",
    "transport": "TRN",
    "hospital": "HSP",
    "school": "SCH",
    "hotel": "HTL",
    "takeaway": "TKW",
    "supported_accommodation": "SUP",
}


def _parts(n: Noise, place: Place) -> list[str]:
    """An address as this system writes it, as ordered parts (empty ones dropped)."""
    building = n.building(place)
    street = n.street(place.street)
    head = f"{place.number} {street}" if place.number else street
    if not place.residential and not place.number and n.rng.random() < 0.5:
        return [building, place.town]  # "Bus Station, Aberdare": the name and the town only
    if place.flat and n.habits.flat_after_street and n.rng.random() < n.habits.flat_after_street:
        parts = [building, f"{head} Flat {place.flat}"]
    else:
        parts = [f"Flat {place.flat}" if place.flat else "", building, head]
    # A town that is its own locality (Maesteg) is written once.
    parts += [place.locality if place.locality != place.town else "", place.town]
    return [p for p in parts if p]


def _one_line(n: Noise, place: Place) -> str:
    return ", ".join(_parts(n, place))


def _lines(n: Noise, place: Place, count: int) -> list[str]:
    """Address lines filled in order, as a patient administration system does."""
    parts = _parts(n, place)
    head, tail = parts[: count - 1], parts[count - 1 :]
    lines = [*head, " ".join(tail)] if len(parts) >= count else parts
    return lines + [""] * (count - len(lines))


def _sex(p: Person | None, female: str, male: str) -> str:
    return "" if p is None else (female if p.sex == "F" else male)


def _postcode(n: Noise, place: Place, *, spaced: bool = True, lower: float = 0.0) -> str:
    code = n.postcode(place.postcode, spaced=spaced)
    return code.lower() if lower and n.rng.random() < lower else code


def _police(inv: Involvement, place: Place, n: Noise, ids: PersonIds) -> Row:
    p = inv.person
    assert p is not None
    day = inv.when.date()
    dob = n.dob_text(p, day, "%d-%b-%Y")
    # An officer without a date of birth often records the age the person gave.
    age = str(p.age_on(day)) if not dob and n.rng.random() < 0.7 else ""
    return {
        "IncidentNo": inv.event_ref,
        "PersonURN": ids.of("police", p, "URN", duplicate_rate=0.05),
        "IncidentDate": _dt(inv.when, "%d-%b-%Y %H:%M"),
        "Classification": inv.category,
        "FullName": f"{n.family(p).upper()}, {n.given(p, with_middle=True)}",
        "DOB": dob,
        "AgeAtIncident": age,
        "SexCode": _sex(p, "F", "M") if n.rng.random() > 0.02 else "U",
        "Involvement": inv.role,
        "LocationText": _one_line(n, place),
        "LocPostcode": _postcode(n, place, spaced=False),
        "LocType": _LOC_TYPES[place.premises_type],
    }


def _health(inv: Involvement, place: Place, n: Noise, ids: PersonIds) -> Row:
    p = inv.person
    assert p is not None
    a1, a2, a3, a4 = _lines(n, place, 4)
    return {
        "ATTEND_REF": inv.event_ref,
        "MRN": ids.of("health", p, "M"),
        "NHS_NO": n.nhs_text(p),
        "PT_NAME": f"{n.family(p)}, {n.given(p)}".upper(),
        "PT_DOB": n.dob_text(p, inv.when.date(), "%d.%m.%Y"),
        "PT_SEX": _sex(p, "2", "1"),
        "ADDR_1": a1,
        "ADDR_2": a2,
        "ADDR_3": a3,
        "ADDR_4": a4,
        "PT_POSTCODE": _postcode(n, place, lower=0.1),
        "ARRIVAL": _dt(inv.when, "%d.%m.%Y %H:%M"),
        "DEPT": {"MIU": "YCR MIU", "DNA": "POW Outpatients"}.get(inv.kind, "RGH ED"),
        "ATT_TYPE": inv.kind,
        "COMPLAINT": inv.category,
    }


def _ambulance(inv: Involvement, place: Place, n: Noise, ids: PersonIds) -> Row:
    p = inv.person
    assert p is not None
    age = p.age_on(inv.when.date())
    roll = n.rng.random()
    if roll < 0.08:
        age += n.rng.choice((-5, -3, -2, -1, 1, 2, 3, 5))  # guessed at the scene
    elif roll < 0.14:
        age = 5 * round(age / 5)  # "about forty"
    unknown = n.rng.random() < 0.05
    return {
        "CAD_No": inv.event_ref,
        "Call_Received": _dt(inv.when, "%d/%m/%Y %H:%M:%S"),
        "Patient_Forename": "" if unknown else n.given(p),
        "Patient_Surname": "UNKNOWN" if unknown else n.family(p),
        "Age": "" if n.rng.random() < 0.04 else str(max(0, age)),
        "Sex": _sex(p, "Female", "Male") if n.rng.random() > 0.03 else "Not known",
        "Incident_Location": _one_line(n, place),
        "Postcode": _postcode(n, place),
        "Determinant": inv.category,
    }


def _fire(inv: Involvement, place: Place, n: Noise, ids: PersonIds) -> Row:
    p = inv.person
    named = p is not None and n.rng.random() < 0.85
    parts = _parts(n, place)
    return {
        "Ref": inv.event_ref,
        "VisitDate": _d(inv.when.date(), "%Y-%m-%d"),
        "VisitType": inv.kind,
        "Outcome": inv.category,
        "Occupier": f"{n.given(p)} {n.family(p).upper()}" if named and p else "",
        "OccupierAge": str(p.age_on(inv.when.date())) if named and p else "",
        "Premise": ", ".join(parts[:-1]) if len(parts) > 1 else "",
        "Town": parts[-1],
        "PostCode": _postcode(n, place, spaced=False),
        "UPRN": place.uprn if n.rng.random() < 0.4 else "",
    }


def _childrens(inv: Involvement, place: Place, n: Noise, ids: PersonIds) -> Row:
    p = inv.person
    assert p is not None
    ref, status, opened, closed, lead, _phone, email, team = _case_cols(inv, "%Y/%m/%d")
    return {
        "ClientID": ids.of("childrens", p, "C"),
        "EpisodeRef": inv.event_ref,
        "ClientName": f"{n.family(p).upper()} {n.given(p)}",
        "BirthDate": n.dob_text(p, inv.when.date(), "%Y/%m/%d"),
        "Gender": _sex(p, "F", "M"),
        "Address": _one_line(n, place),
        "Postcode": _postcode(n, place),
        "StartDate": _d(inv.when.date(), "%Y/%m/%d"),
        "EpisodeType": inv.kind,
        "Role": inv.role,
        "CarerID": ids.of("childrens", inv.related, "C"),
        "CarerRelationship": inv.relationship if inv.related else "",
        "CaseNo": ref,
        "CaseState": status.title(),
        "CaseOpenDate": opened,
        "CaseCloseDate": closed,
        "SocialWorker": lead,
        "SWEmail": email,
        "Team": team,
    }


def _adults(inv: Involvement, place: Place, n: Noise, ids: PersonIds) -> Row:
    p = inv.person
    assert p is not None
    ref, status, opened, _closed, lead, phone, _email, team = _case_cols(inv, "%d/%m/%Y")
    building = n.building(place)
    number = place.number or ""
    house = f"{building}, {number}".strip(", ") if building and number else building or number
    return {
        "WCCIS_ID": ids.of("adults", p, "W"),
        "ContactRef": inv.event_ref,
        "Forenames": n.given(p, with_middle=True),
        "Surname": n.family(p),
        "NHSNumber": n.nhs_text(p),
        "BirthDate": n.dob_text(p, inv.when.date(), "%d/%m/%Y"),
        "GenderCode": _sex(p, "2", "1"),
        "FlatNo": place.flat or "",
        "HouseNameNo": house,
        "Street": n.street(place.street),
        "District": place.locality,
        "PostTown": place.town.upper(),
        "Postcode": _postcode(n, place),
        "ContactDate": _dt(inv.when, "%d/%m/%Y %H:%M"),
        "Reason": inv.kind,
        "CaseRef": ref,
        "CaseStatus": "Open" if status == "open" else "Closed",
        "CaseStart": opened,
        "Worker": lead,
        "WorkerPhone": phone,
        "Team": team,
    }


def _education(inv: Involvement, place: Place, n: Noise, ids: PersonIds) -> Row:
    p = inv.person
    assert p is not None
    parts = _parts(n, place)
    return {
        "PupilUPN": ids.of("education", p, "U"),
        "RecordNo": inv.event_ref,
        "Cyfenw": n.family(p),  # a bilingual system: Welsh column names
        "Enw": n.given(p),
        "DyddiadGeni": n.dob_text(p, inv.when.date(), "%d%m%Y"),
        "Rhyw": _sex(p, "Benyw", "Gwryw"),
        "Cyfeiriad": ", ".join(parts[:-1]),
        "Tref": parts[-1],
        "CodPost": _postcode(n, place),
        "Ysgol": "Ysgol Gyfun Garth Olwg" if place.local_authority != "Bridgend" else "Brynteg",
        "Math": inv.kind,
        "Dyddiad": _d(inv.when.date(), "%d%m%Y"),
    }


def _youth_justice(inv: Involvement, place: Place, n: Noise, ids: PersonIds) -> Row:
    p = inv.person
    assert p is not None
    ref, status, _o, _c, lead, phone, _email, _team = _case_cols(inv, "%d/%m/%y")
    return {
        "ChildRef": ids.of("youth_justice", p, "Y"),
        "InterventionRef": inv.event_ref,
        "ChildName": f"{n.family(p).upper()}, {n.given(p)}",
        "DoB": n.dob_text(p, inv.when.date(), "%d/%m/%y"),
        "Sex": _sex(p, "F", "M"),
        "HomeAddress": f"{_one_line(n, place)} {_postcode(n, place)}".strip(),
        "Start": _d(inv.when.date(), "%d/%m/%y"),
        "Disposal": inv.kind,
        "YOTWorker": lead,
        "YOTPhone": phone,
        "Status": status.title(),
    }


def _probation(inv: Involvement, place: Place, n: Noise, ids: PersonIds) -> Row:
    p = inv.person
    assert p is not None
    ref, status, opened, _c, lead, _phone, email, team = _case_cols(inv, "%Y-%m-%d")
    given = n.given(p, with_middle=True).split(" ", 1)
    a1, a2, a3 = _lines(n, place, 3)
    return {
        "CRN": ids.of("probation", p, "Z"),
        "EventID": inv.event_ref,
        "Surname": n.family(p),
        "FirstName": given[0],
        "SecondName": given[1] if len(given) > 1 else "",
        "DateOfBirth": n.dob_text(p, inv.when.date(), "%Y-%m-%d"),
        "Gender": _sex(p, "Female", "Male"),
        "AddressLine1": a1,
        "AddressLine2": a2,
        "AddressLine3": a3,
        "Postcode": _postcode(n, place),
        "EventDateTime": _dt(inv.when, "%Y-%m-%d %H:%M:%S"),
        "EventType": inv.kind,
        "OffenderManager": lead,
        "OMEmail": email,
        "Status": "Active" if status == "open" else "Terminated",
        "SentenceStart": opened,
        "PDU": team,
    }


def _noise(quality: float, habits: Habits, **kw: float) -> Callable[[random.Random], Noise]:
    return lambda rng: Noise(rng, quality, habits=habits, **kw)


LAYOUTS: tuple[Layout, ...] = (
    Layout(
        "ctm_police",
        "CTM_Police_Nominals_%Y%m%d.csv",
        "utf-8",
        ",",
        (
            "IncidentNo",
            "PersonURN",
            "IncidentDate",
            "Classification",
            "FullName",
            "DOB",
            "AgeAtIncident",
            "SexCode",
            "Involvement",
            "LocationText",
            "LocPostcode",
            "LocType",
        ),
        ("IncidentNo", "PersonURN"),
        "IncidentDate",
        "%d-%b-%Y %H:%M",
        _noise(
            1.3,
            Habits(dob_jan1=0.12, abbreviate=0.5, expand=0.3, drop_building=0.4),
            dob_missing=0.15,
            stale_address=0.25,
        ),
        _police,
        stale_addresses=False,
        sources=("police",),
    ),
    Layout(
        "ctm_health",
        "PAS_Attendances_%Y%m%d.csv",
        "utf-8",
        "|",
        (
            "ATTEND_REF",
            "MRN",
            "NHS_NO",
            "PT_NAME",
            "PT_DOB",
            "PT_SEX",
            "ADDR_1",
            "ADDR_2",
            "ADDR_3",
            "ADDR_4",
            "PT_POSTCODE",
            "ARRIVAL",
            "DEPT",
            "ATT_TYPE",
            "COMPLAINT",
        ),
        ("ATTEND_REF",),
        "ARRIVAL",
        "%d.%m.%Y %H:%M",
        _noise(
            0.9,
            Habits(
                dob_placeholder="01.01.1900",
                nhs_placeholder=0.3,
                nhs_fullwidth=0.003,
                abbreviate=0.2,
                flat_after_street=0.3,
            ),
            dob_missing=0.02,
            nhs_missing=0.1,
            stale_address=0.35,
        ),
        _health,
        sources=("health",),
    ),
    Layout(
        "ctm_ambulance",
        "CAD_Incidents_%Y%m%d.csv",
        "cp1252",
        ",",
        (
            "CAD_No",
            "Call_Received",
            "Patient_Forename",
            "Patient_Surname",
            "Age",
            "Sex",
            "Incident_Location",
            "Postcode",
            "Determinant",
        ),
        ("CAD_No",),
        "Call_Received",
        "%d/%m/%Y %H:%M:%S",
        _noise(1.6, Habits(abbreviate=0.6, flat_after_street=0.6, drop_building=0.5)),
        _ambulance,
        stale_addresses=False,
        sources=("ambulance",),
    ),
    Layout(
        "ctm_fire",
        "SWFRS_HomeSafety_%Y%m%d.csv",
        "utf-8",
        ",",
        (
            "Ref",
            "VisitDate",
            "VisitType",
            "Outcome",
            "Occupier",
            "OccupierAge",
            "Premise",
            "Town",
            "PostCode",
            "UPRN",
        ),
        ("Ref",),
        "VisitDate",
        "%Y-%m-%d",
        _noise(1.2, Habits(abbreviate=0.4, flat_after_street=0.5)),
        _fire,
        stale_addresses=False,
        sources=("fire",),
    ),
    Layout(
        "ctm_childrens",
        "CTM_CS_Episodes_%Y%m%d.tsv",
        "utf-8",
        "\t",
        (
            "ClientID",
            "EpisodeRef",
            "ClientName",
            "BirthDate",
            "Gender",
            "Address",
            "Postcode",
            "StartDate",
            "EpisodeType",
            "Role",
            "CarerID",
            "CarerRelationship",
            "CaseNo",
            "CaseState",
            "CaseOpenDate",
            "CaseCloseDate",
            "SocialWorker",
            "SWEmail",
            "Team",
        ),
        ("EpisodeRef",),
        "StartDate",
        "%Y/%m/%d",
        _noise(
            1.0, Habits(dob_first=0.05, abbreviate=0.3, flat_after_street=0.4), dob_missing=0.04
        ),
        _childrens,
        sources=("csc_swansea", "csc_npt"),
    ),
    Layout(
        "ctm_adults",
        "WCCIS_Adults_%Y%m%d.csv",
        "utf-8",
        ",",
        (
            "WCCIS_ID",
            "ContactRef",
            "Forenames",
            "Surname",
            "NHSNumber",
            "BirthDate",
            "GenderCode",
            "FlatNo",
            "HouseNameNo",
            "Street",
            "District",
            "PostTown",
            "Postcode",
            "ContactDate",
            "Reason",
            "CaseRef",
            "CaseStatus",
            "CaseStart",
            "Worker",
            "WorkerPhone",
            "Team",
        ),
        ("ContactRef",),
        "ContactDate",
        "%d/%m/%Y %H:%M",
        _noise(
            0.8,
            Habits(dob_first=0.03, nhs_placeholder=0.2, abbreviate=0.3, drop_building=0.2),
            dob_missing=0.03,
            nhs_missing=0.3,
        ),
        _adults,
        sources=("asc",),
    ),
    Layout(
        "ctm_education",
        "Ysgolion_Digwyddiadau_%Y%m%d.csv",
        "utf-8",
        ",",
        (
            "PupilUPN",
            "RecordNo",
            "Cyfenw",
            "Enw",
            "DyddiadGeni",
            "Rhyw",
            "Cyfeiriad",
            "Tref",
            "CodPost",
            "Ysgol",
            "Math",
            "Dyddiad",
        ),
        ("RecordNo",),
        "Dyddiad",
        "%d%m%Y",
        _noise(0.6, Habits(abbreviate=0.2), dob_missing=0.005),
        _education,
        sources=("education",),
    ),
    Layout(
        "ctm_youth_justice",
        "YOT_Interventions_%Y%m%d.csv",
        "utf-8",
        ",",
        (
            "ChildRef",
            "InterventionRef",
            "ChildName",
            "DoB",
            "Sex",
            "HomeAddress",
            "Start",
            "Disposal",
            "YOTWorker",
            "YOTPhone",
            "Status",
        ),
        ("InterventionRef",),
        "Start",
        "%d/%m/%y",
        _noise(1.0, Habits(abbreviate=0.4, flat_after_street=0.5), dob_missing=0.02),
        _youth_justice,
        sources=("youth_justice",),
    ),
    Layout(
        "ctm_probation",
        "NDelius_CTM_%Y%m%d.csv",
        "utf-8",
        ",",
        (
            "CRN",
            "EventID",
            "Surname",
            "FirstName",
            "SecondName",
            "DateOfBirth",
            "Gender",
            "AddressLine1",
            "AddressLine2",
            "AddressLine3",
            "Postcode",
            "EventDateTime",
            "EventType",
            "OffenderManager",
            "OMEmail",
            "Status",
            "SentenceStart",
            "PDU",
        ),
        ("CRN", "EventID"),
        "EventDateTime",
        "%Y-%m-%d %H:%M:%S",
        _noise(1.0, Habits(dob_jan1=0.03, abbreviate=0.3, drop_building=0.5), dob_missing=0.01),
        _probation,
        sources=("probation",),
    ),
)
