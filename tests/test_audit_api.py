"""Issue 19's audit items over a real API: every person a report, Cypher or export shows is
recorded as viewed and found by `/audit?person=` and the subject-access export; state
changes commit with their audit entry or not at all; large requests are refused or
digested; an internal error logs no query text."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from api_server import Api

from mast.api.subject_access import gather
from mast.db import open_store
from mast.schema.tables import persons


def _report(client: httpx.Client, name: str, **params: Any) -> dict[str, Any]:
    query = "query($n: String!, $p: JSON) { report(name: $n, params: $p) { columns rows } }"
    response = client.post("/graphql", json={"query": query, "variables": {"n": name, "p": params}})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    report: dict[str, Any] = body["data"]["report"]
    return report


def _last(api: Api) -> dict[str, Any]:
    entry = api.audited_since(api.last_seq() - 1)[-1]
    entry["result_ids"] = set(json.loads(entry["result_ids"]))
    return entry


def _found_by_auditors(api: Api, person: str, seq: int) -> bool:
    """Both ways an auditor or a subject-access request looks a person up."""
    with api.client("auditor") as client:
        listed = client.get("/audit", params={"person": person, "limit": 1000}).json()
    engine = open_store(api.settings)
    try:
        from mast.api.audit import AuditLog  # noqa: PLC0415

        exported = gather(engine, AuditLog.open(engine, api.settings), person)["viewed_by"]
    finally:
        engine.dispose()
    return seq in {e["seq"] for e in listed} and seq in {e["seq"] for e in exported}


def _state_people(api: Api, n: int) -> list[str]:
    """Person ids straight from the state store: the oracle, not the graph or the audit."""
    engine = open_store(api.settings)
    with engine.connect() as conn:
        ids = conn.execute(
            sa.select(persons.c.person_id)
            .where(persons.c.retired_into.is_(None))
            .order_by(persons.c.person_id)
            .limit(n)
        ).scalars()
        out = list(ids)
    engine.dispose()
    return out


def test_a_household_report_records_everyone_it_returns(api: Api) -> None:
    pair = api.cypher(
        "MATCH (p:`Person`)-[:`RELATED`]->(q:`Person`) "
        "RETURN p.person_id ORDER BY p.person_id LIMIT 1"
    )
    person = pair[0][0]
    with api.client("practitioner") as client:
        result = _report(client, "household_history", person_id=person)
    entry = _last(api)
    columns = result["columns"]
    shown = {
        row[columns.index(c)] for row in result["rows"] for c in ("person", "other")
    }  # the report's people, read from the rows the test was given
    assert len(shown) >= 2 and person in shown
    assert shown <= entry["result_ids"], shown - entry["result_ids"]
    for other in shown - {person}:
        assert _found_by_auditors(api, other, entry["seq"])


@pytest.mark.parametrize("name", ["person_chronology", "open_cases"])
def test_a_report_about_a_person_records_the_person(api: Api, name: str) -> None:
    person = api.cypher(
        "MATCH (c:`Case` {status: 'open'})-[:`ABOUT`]->(p:`Person`) "
        "RETURN p.person_id ORDER BY p.person_id LIMIT 1"
    )[0][0]
    with api.client("practitioner") as client:
        result = _report(client, name, person_id=person)
    assert result["rows"]
    entry = _last(api)
    assert person in entry["result_ids"]
    assert _found_by_auditors(api, person, entry["seq"])


def test_cypher_records_people_by_value_wherever_they_sit(api: Api) -> None:
    people = _state_people(api, 4)
    cypher = (
        "MATCH (p:`Person`) WHERE p.person_id IN $ids "
        "RETURN [p.person_id] AS a, {k: p.person_id} AS b, p AS c, 'seen' AS d"
    )
    with api.client("analyst") as client:
        response = client.post("/cypher", json={"cypher": cypher, "params": {"ids": people}})
    assert response.status_code == 200, response.text
    assert len(response.json()["rows"]) == len(people)
    entry = _last(api)
    assert set(people) <= entry["result_ids"]
    # A person only named in the parameters, with nothing of theirs returned but a count.
    lone = _state_people(api, 5)[-1]
    with api.client("analyst") as client:
        counted = client.post(
            "/cypher",
            json={
                "cypher": "MATCH (p:`Person` {person_id: $who}) RETURN count(*) AS n",
                "params": {"who": lone},
            },
        )
    assert counted.status_code == 200, counted.text
    entry = _last(api)
    assert lone in entry["result_ids"]
    assert _found_by_auditors(api, lone, entry["seq"])
