"""The person page's summary of agencies: one line of who to call for each agency
involved, however many cases it has open."""

from __future__ import annotations

from typing import Any

from mast.web.routes_person import _by_month, _summary


def _case(case_id: str, agency: str, opened: str | None, lead: str | None) -> dict[str, Any]:
    return {
        "caseId": case_id,
        "agency": agency,
        "kind": "child_in_need",
        "opened": opened,
        "leadName": lead,
        "leadPhone": "01792 000000" if lead else None,
        "leadEmail": None,
        "team": None,
    }


def test_one_contact_line_per_agency_the_latest_case_lead() -> None:
    person = {
        "agencies": [
            {"agency": "Swansea Children's Services", "agencyId": "csc_swansea",
             "agencyKind": "social_care", "events": 4, "lastEvent": "2026-11-20"},
            {"agency": "South Wales Police", "agencyId": "swp", "agencyKind": "police",
             "events": 2, "lastEvent": "2026-12-01"},
        ],
        "openCases": [
            _case("C1", "csc_swansea", "2025-01-10", "Worker One"),
            _case("C2", "csc_swansea", "2026-06-01", "Worker Two"),
            _case("C3", "csc_swansea", None, "Worker One"),
            _case("C4", "csc_swansea", "2026-09-01", None),
        ],
    }  # fmt: skip
    events = [
        {"agency": "South Wales Police", "occurredAt": "2026-12-01T10:00:00", "ref": "OCC1"},
        {"agency": "Swansea Children's Services", "occurredAt": "2026-11-20T09:00:00",
         "ref": "CON9"},
    ]  # fmt: skip
    summary = _summary(person, events)
    assert [a["agencyId"] for a in summary] == ["swp", "csc_swansea"]  # newest contact first
    police, care = summary
    assert police["leads"] == [] and police["latest"]["ref"] == "OCC1"
    assert [c["leadName"] for c in care["leads"]] == ["Worker Two"]
    assert care["latest"]["ref"] == "CON9"


def test_the_activity_chart_counts_empty_months_as_0() -> None:
    events = [
        {"occurredAt": "2026-04-02T10:00:00", "agency": "South Wales Police"},
        {"occurredAt": "2026-01-20T09:00:00", "agency": "South Wales Police"},
    ]
    chart = _by_month(events)
    assert chart["months"] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert chart["agencies"][0]["counts"] == [1, 0, 0, 1]
