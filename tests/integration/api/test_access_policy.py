"""The access policy written out by hand, from docs/api.md §1 and MISSION.md's users, and
checked against the running server. The expected answers come from these tables, never
from `allowed()` or a query's `@roles`, so a role given too much (or too little) there
fails here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support.api_server import PASSWORD, Api

pytestmark = pytest.mark.integration

Y, N = True, False
ROLES = ("practitioner", "investigator", "reviewer", "analyst", "auditor", "admin")

# docs/api.md §1: search, pages, reports and the change feed | partner records and why they
# linked | network, shortest connection | ad-hoc Cypher | audit trail (both of its routes).
OPERATIONS = (
    "search",
    "view",
    "records",
    "network",
    "cypher",
    "reports",
    "audit",
    "unmerged",
    "changes",
)
API_POLICY: dict[str, dict[str, bool]] = {
    role: dict(zip(OPERATIONS, answers, strict=True))
    for role, answers in {
        #              search view records network cypher reports audit unmerged changes
        "practitioner": (Y, Y, N, N, N, Y, N, N, Y),
        "investigator": (Y, Y, Y, Y, N, Y, N, N, Y),
        "reviewer": (Y, Y, Y, Y, N, Y, N, N, Y),
        "analyst": (Y, Y, N, Y, Y, Y, N, N, Y),
        "auditor": (N, N, N, N, N, N, Y, Y, N),
        "admin": (N, N, N, N, N, N, N, N, N),
    }.items()
}

# The web UI's own pages (docs/api.md §1, user-guide.md): the review queue is the
# reviewers', the data-quality page the administrators' and analysts', the audit trail the
# auditors'.
WEB_POLICY: dict[str, set[str]] = {
    "/review": {"reviewer"},
    "/quality": {"admin", "analyst"},
    "/audit-trail": {"auditor"},
    "/audit-trail.csv": {"auditor"},
}

# Which roles may run each saved report: the product's decision, written out here so that a
# change to a report's `@roles` line has to be made twice, on purpose.
P, INV, R, A = "practitioner", "investigator", "reviewer", "analyst"
REPORT_POLICY: dict[str, set[str]] = {
    "address_chronology": {P, INV, R, A},
    "care_leavers_in_custody": {P, A, R},
    "high_contact_addresses": {INV, A, R},
    "high_contact_people": {INV, A, R},
    "household_history": {P, INV, R, A},
    "household_on": {P, INV, R, A},
    "known_to_not": {INV, A, R},
    "moved_across_local_authorities": {P, A, R},
    "network": {INV, R, A},
    "non_residential_hotspots": {INV, A},
    "open_cases": {P, INV, R},
    "peaks_and_troughs": {A, R},
    "person_chronology": {P, INV, R, A},
    "shortest_connection": {INV, R, A},
    "transitions_to_adult_services": {P, A, R},
    "weekly_activity": {P, INV, A, R},
}


def gql(client: httpx.Client, query: str) -> dict[str, Any]:
    response = client.post("/graphql", json={"query": query})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def codes(body: dict[str, Any]) -> set[str]:
    return {e.get("extensions", {}).get("code", "") for e in body.get("errors", [])}


@pytest.fixture(scope="module")
def person(api: Api) -> str:
    rows = api.cypher("MATCH (p:`Person`) RETURN p.person_id ORDER BY p.person_id LIMIT 1")
    return str(rows[0][0])


def _field(field: str) -> Callable[[httpx.Client, str], bool]:
    def probe(client: httpx.Client, person: str) -> bool:
        return "errors" not in gql(client, f'{{ person(id: "{person}") {{ {field} }} }}')

    return probe


PROBES: dict[str, Callable[[httpx.Client, str], bool]] = {
    "search": lambda c, p: (
        "errors" not in gql(c, '{ searchPeople(postcode: "SA1") { totalCount } }')
    ),
    "view": _field("personId"),
    "records": _field("records { recordId }"),
    "network": _field("network { hops }"),
    "cypher": lambda c, p: c.post("/cypher", json={"cypher": "RETURN 1"}).status_code == 200,
    "reports": lambda c, p: c.get("/reports").status_code == 200,
    "audit": lambda c, p: c.get("/audit").status_code == 200,
    "unmerged": lambda c, p: c.get("/audit/unmerged").status_code == 200,
    "changes": lambda c, p: "errors" not in gql(c, "{ changes(first: 1) { headCursor } }"),
}


def test_the_policy_tables_cover_every_role_and_report(api: Api) -> None:
    from mast.accounts.access import ROLES as SERVED  # noqa: PLC0415
    from mast.graph.queries import load_queries  # noqa: PLC0415

    assert set(SERVED) == set(ROLES) == set(API_POLICY)
    assert set(load_queries()) == set(REPORT_POLICY)  # a new report needs its row here


@pytest.mark.parametrize("role", ROLES)
def test_the_api_answers_as_the_policy_says(api: Api, person: str, role: str) -> None:
    with api.client(role) as client:
        got = {operation: probe(client, person) for operation, probe in PROBES.items()}
    assert got == API_POLICY[role]


@pytest.mark.parametrize("role", ROLES)
def test_each_report_runs_for_the_roles_the_policy_names(api: Api, role: str) -> None:
    may_report = API_POLICY[role]["reports"]
    with api.client(role) as client:
        listed = client.get("/reports")
        names = {q["name"] for q in listed.json()} if listed.status_code == 200 else set()
        for name, roles in REPORT_POLICY.items():
            body = gql(client, f'{{ report(name: "{name}", params: {{}}) {{ columns }} }}')
            runs = "NOT_FOUND" not in codes(body)
            assert runs == (may_report and role in roles), (role, name)
            assert (name in names) == (may_report and role in roles), (role, name)


@pytest.mark.parametrize("role", ROLES)
def test_the_web_pages_open_for_the_roles_the_policy_names(api: Api, role: str) -> None:
    with httpx.Client(base_url=api.url, timeout=60) as client:
        signed_in = {"username": role, "password": PASSWORD, "purpose": "test: access policy"}
        assert client.post("/auth/login", json=signed_in).status_code == 200
        for path, roles in WEB_POLICY.items():
            status = client.get(path).status_code
            assert status == (200 if role in roles else 404), (role, path, status)
