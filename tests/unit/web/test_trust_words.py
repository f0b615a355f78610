"""The person page's agency card and timeline with a disputed record, and the evidence a
page words: what tells two people apart, the family list's address and agencies, and a
review item's stakes, in English and Welsh."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mast.text import i18n
from mast.web.i18n_values import evidence
from mast.web.routes_person import _bar, _summary


@pytest.fixture
def welsh() -> Iterator[None]:
    token = i18n._current.set(i18n.WELSH)
    yield
    i18n._current.reset(token)


def _event(at: str, ref: str, *, disputed: bool = False) -> dict[str, object]:
    flag = {"reportedBy": "kim", "reason": "his son", "state": "open"} if disputed else None
    return {
        "agency": "Swansea Bay University Health Board",
        "occurredAt": at,
        "ref": ref,
        "kind": "ed_attendance",
        "category": "Overdose",
        "dispute": flag,
    }


def test_a_disputed_record_is_not_the_latest_contact_and_is_counted() -> None:
    events = [
        _event("2026-10-24T02:48:00", "HEA3", disputed=True),
        _event("2026-10-18T12:40:00", "HEA2"),
        _event("2026-04-08T05:48:00", "HEA1"),
    ]
    person = {
        "agencies": [
            {
                "agency": "Swansea Bay University Health Board",
                "agencyId": "sbuhb",
                "events": 3,
                "lastEvent": "2026-10-24T02:48:00",
            }
        ],
        "openCases": [],
    }
    (card,) = _summary(person, events)
    assert card["latest"]["ref"] == "HEA2"
    assert [e["ref"] for e in card["skipped"]] == ["HEA3"]
    assert card["disputed"] == 1
    bars = [_bar(e) for e in events]
    assert [b["disputed"] for b in bars] == [True, False, False]
    assert bars[0]["label"] == "Disputed: Overdose"


def test_what_tells_two_people_apart_is_worded_for_the_reader(welsh: None) -> None:
    said = "waiting for a reviewer; kept apart: born 2020-11-22 and 1990-12-09: 29 years apart"
    assert evidence(said) == (
        "yn aros am adolygydd; wedi’u cadw ar wahân: ganwyd ar 22 Tach 2020 ac ar 9 Rhag 1990:"
        " 29 o flynyddoedd rhyngddynt"
    )
    assert evidence("an open case; seen in the last 90 days; 5 records would move") == (
        "achos agored; wedi’i weld yn ystod y 90 diwrnod diwethaf; byddai 5 cofnod yn symud"
    )
    assert evidence("recorded as male and female") == "rhyw a gofnodwyd: gwryw a benyw"


def test_the_family_list_names_the_address_and_agencies_not_their_codes() -> None:
    said = "both at A00000807 2026-07-09 to 2026-07-09 (csc_swansea, education; education)"
    places = {"A00000807": "15 Stryd Islwyn, Pontarddulais"}
    assert evidence(said, places) == (
        "both at 15 Stryd Islwyn, Pontarddulais from 9 Jul 2026 to 9 Jul 2026"
        " (Swansea Children's Services, West Glamorgan Education Inclusion)"
    )
    assert evidence("stated in 3 record(s) of csc_swansea") == (
        "stated in 3 records of Swansea Children's Services"
    )
