"""Issue 19's audit items over a real API: every person a report, Cypher or export shows is
recorded as viewed and found by `/audit?person=` and the subject-access export; state
changes commit with their audit entry or not at all; large requests are refused or
digested; an internal error logs no query text."""

from __future__ import annotations

import csv
import html as html_module
import io
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from mast.api.subject_access import gather
from mast.core.db import open_store
from mast.schema.tables import credentials, decisions, persons, record_persons, review_items, users
from tests.support.api_server import PASSWORD, Api, form_token
from tests.support.api_server import audit_unwritable as unwritable


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
        from mast.audit.chain import AuditLog  # noqa: PLC0415

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


# --- state changes commit with their audit entry, or not at all --------------------------------


@contextmanager
def audit_unwritable(api: Api) -> Iterator[None]:
    """The audit store refuses every entry; the rest of the state store still takes writes."""
    with unwritable(api.settings):
        yield


def _count(api: Api, table: sa.Table, *where: Any) -> int:
    engine = open_store(api.settings)
    with engine.connect() as conn:
        n = conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar()
    engine.dispose()
    return int(n or 0)


def _session(api: Api, role: str) -> httpx.Client:
    client = api.client(None, purpose=None)
    client.headers["Origin"] = api.url
    signed_in = {"username": role, "password": PASSWORD, "purpose": "review of a link"}
    assert client.post("/auth/login", json=signed_in).status_code == 200
    client.headers["X-CSRF-Token"] = form_token(client, "/purpose")  # as htmx sends it
    return client


def _a_person_with_two_records(api: Api) -> tuple[str, str]:
    engine = open_store(api.settings)
    with engine.connect() as conn:
        person = conn.execute(
            sa.select(record_persons.c.person_id)
            .group_by(record_persons.c.person_id)
            .having(sa.func.count() >= 2)
            .order_by(record_persons.c.person_id)
            .limit(1)
        ).scalar_one()
        record = conn.execute(
            sa.select(record_persons.c.record_id)
            .where(record_persons.c.person_id == person)
            .order_by(record_persons.c.record_id)
            .limit(1)
        ).scalar_one()
    engine.dispose()
    return str(person), str(record)


def test_state_changes_are_not_made_when_their_audit_entry_cannot_be(api: Api) -> None:
    person, record = _a_person_with_two_records(api)
    reviewer = _session(api, "reviewer")
    items, creds = _count(api, review_items), _count(api, credentials)
    with audit_unwritable(api):
        reported = {"record_id": record, "reason": "another date of birth"}
        said = reviewer.post(f"/people/{person}/not-the-same", data=reported)
        assert said.status_code == 503, said.text
        assert _count(api, review_items) == items  # no review item without its entry
        purpose = reviewer.post("/auth/purpose", json={"purpose": "something else entirely"})
        assert purpose.status_code == 503
        assert reviewer.get("/auth/me").json()["purpose"] == "review of a link"
        with api.client(None, purpose=None) as anyone:
            login = {"username": "reviewer", "password": PASSWORD, "purpose": "x y z"}
            assert anyone.post("/auth/login", json=login).status_code == 503
        assert _count(api, credentials) == creds  # no session without its entry
        reviewer.post("/auth/logout")
        assert reviewer.get("/auth/me").status_code == 200  # still signed in: not revoked
    # With the audit back, the same change commits with its entry, which names the person.
    before = api.last_seq()
    said = reviewer.post(f"/people/{person}/not-the-same", data=reported, follow_redirects=False)
    assert said.status_code == 303, said.text
    item = int(said.headers["location"].split("reported=")[1].split("#")[0])
    assert _count(api, review_items, review_items.c.item_id == item) == 1
    entry = _last(api)
    assert entry["seq"] == before + 1 and entry["operation"] == "report-link"
    assert {person, record} <= entry["result_ids"]
    with audit_unwritable(api):
        ruled = reviewer.post(
            f"/review/{item}", data={"decision": "unlink", "reason": "different people"}
        )
        assert ruled.status_code == 503
        assert _count(api, decisions, decisions.c.reason == "different people") == 0
        still_open = (review_items.c.item_id == item, review_items.c.status == "open")
        assert _count(api, review_items, *still_open) == 1
    reviewer.close()


def test_account_commands_change_nothing_when_the_audit_cannot_be_written(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mast.cli.main import app  # noqa: PLC0415

    api.point_commands_here(monkeypatch)
    users_before = _count(api, users)
    with audit_unwritable(api):
        added = CliRunner().invoke(
            app,
            ["users", "add", "newcomer", "--role", "analyst", "--agency", "t", "--password-stdin"],
            input="a long enough password here\n",
        )
        assert added.exit_code != 0
        assert _count(api, users) == users_before
        disabled = CliRunner().invoke(app, ["users", "disable", "analyst"])
        assert disabled.exit_code != 0
        assert _count(api, users, users.c.username == "analyst", users.c.active) == 1


# --- bounded requests, and what the audit keeps of them ----------------------------------------

UNUSED = "query($pad: String) { __typename }"  # refused (an unused variable), yet audited


def test_large_requests_are_refused_before_they_reach_the_audit(api: Api) -> None:
    before = api.last_seq()
    with api.client("analyst") as client:
        huge = {"query": UNUSED, "variables": {"pad": "x" * (30 << 20)}}
        assert client.post("/graphql", json=huge).status_code == 413
        chunks = (b"x" * (256 << 10) for _ in range(8))  # 2 MiB streamed, no length given
        streamed = client.post(
            "/graphql", content=chunks, headers={"Content-Type": "application/json"}
        )
        assert streamed.status_code == 413
        big = {"query": UNUSED, "variables": {"pad": "y" * (100 << 10)}}
        refused = client.post("/graphql", json=big)
        assert refused.status_code == 413
        assert refused.json()["errors"][0]["extensions"]["code"] == "TOO_LARGE"
        cypher = {"cypher": "RETURN 1", "params": {"pad": "z" * (100 << 10)}}
        assert client.post("/cypher", json=cypher).status_code == 413
    assert api.last_seq() == before  # nothing refused here was kept


def test_the_audit_keeps_a_digest_of_a_large_value(api: Api) -> None:
    import hashlib  # noqa: PLC0415

    pad = "w" * 30_000 + "-end"
    with api.client("analyst") as client:
        response = client.post("/graphql", json={"query": UNUSED, "variables": {"pad": pad}})
    assert response.status_code == 200
    entry = _last(api)
    assert entry["operation"] == "graphql" and entry["outcome"] == "refused"
    assert "w" * 1000 not in entry["params"]
    kept = json.loads(entry["params"])["variables"]["pad"]
    assert kept == {"sha256": hashlib.sha256(pad.encode()).hexdigest(), "length": len(pad)}
    assert json.loads(entry["params"])["query"] == UNUSED  # the query itself is kept


# --- the server log on an internal error -------------------------------------------------------


def test_an_internal_graphql_error_logs_no_query_text(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from mast.api.gql_log import query_digest  # noqa: PLC0415

    engine = open_store(api.settings)
    with engine.connect() as conn:
        someone = conn.execute(
            sa.select(persons.c.person_id, persons.c.given_name, persons.c.family_name)
            .where(persons.c.given_name.is_not(None), persons.c.family_name.is_not(None))
            .order_by(persons.c.person_id)
            .limit(1)
        ).one()
    engine.dispose()
    name = f"{someone.given_name} {someone.family_name}"

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        # An engine failure whose message quotes the data, as engines' messages do.
        raise RuntimeError(f"could not convert {name!r} for {someone.person_id}")

    monkeypatch.setattr(api.app.state.services, "report", broken)
    query = (
        f"# looking for {name}\n"
        'query Chronology($p: JSON) { report(name: "person_chronology", params: $p) { rows } }'
    )
    with caplog.at_level("DEBUG"), api.client("practitioner") as client:
        response = client.post(
            "/graphql", json={"query": query, "variables": {"p": {"person_id": someone.person_id}}}
        )
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "INTERNAL"
    logged = caplog.text
    for secret in (name, str(someone.given_name), str(someone.family_name), someone.person_id):
        assert secret not in logged, secret
    assert "RuntimeError" in logged and "Chronology" in logged
    assert query_digest(query) in logged


# --- the trail as an auditor reads it in the browser -------------------------------------------


@contextmanager
def _auditor(api: Api) -> Iterator[httpx.Client]:
    with api.client(None, purpose=None) as client:
        signed_in = {"username": "auditor", "password": PASSWORD, "purpose": "quarterly audit"}
        assert client.post("/auth/login", json=signed_in).status_code == 200
        yield client


def _seqs(html: str) -> list[int]:
    return [int(s) for s in re.findall(r'<td data-label="Entry">(\d+)</td>', html)]


def test_the_trail_pages_on_past_two_hundred(api: Api) -> None:
    with api.client("analyst") as analyst:
        for _ in range(210):  # enough audited requests for two pages whatever ran before
            assert analyst.get("/reports").status_code == 200
    with _auditor(api) as auditor:
        first = auditor.get("/audit-trail", params={"user": "analyst"})
        assert first.status_code == 200
        shown = _seqs(first.text)
        assert len(shown) == 200 and shown == sorted(shown, reverse=True)
        older = re.search(r'<a href="([^"]+)" id="older"', first.text)
        assert older is not None, "no link to the older entries"
        second = auditor.get(html_module.unescape(older.group(1)))
        assert second.status_code == 200
        more = _seqs(second.text)
        assert more and max(more) < min(shown)


def test_the_trail_export_is_audited_and_escaped(api: Api) -> None:
    formula = "=HYPERLINK(case 42)"  # a purpose a spreadsheet would run as a formula
    with api.client("analyst", purpose=formula) as analyst:
        assert analyst.get("/reports").status_code == 200
    with _auditor(api) as auditor:
        before = api.last_seq()
        response = auditor.get("/audit-trail.csv", params={"user": "analyst", "action": "reports"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows[0]["purpose"] == "'" + formula  # read back: escaped, not as sent
    assert rows[0]["action"] == "listed the reports"
    entry = _last(api)
    assert entry["seq"] == before + 1 and entry["operation"] == "audit-export"
    assert json.loads(entry["params"])["rows"] == len(rows)


def test_the_audit_api_says_what_each_entry_did(api: Api) -> None:
    person = _state_people(api, 1)[0]
    with api.client("practitioner") as client:
        read = client.post("/graphql", json={"query": f'{{ person(id: "{person}") {{ dob }} }}'})
        assert read.status_code == 200
        _report(client, "open_cases", person_id=person)
    with api.client("auditor") as auditor:
        listed = auditor.get("/audit", params={"person": person, "user": "practitioner"}).json()
    assert [e["did"] for e in listed[:2]] == [
        "report open_cases (API)",
        "read a person's record (API)",
    ]


def test_a_persons_records_can_be_asked_for_by_id(api: Api) -> None:
    """The review page asks only for its pair: only those are read, explained and audited."""
    person, record = _a_person_with_two_records(api)
    query = "query($p: ID!, $r: [String!]) { person(id: $p) { records(ids: $r) { recordId } } }"
    with api.client("reviewer") as client:
        body = client.post(
            "/graphql", json={"query": query, "variables": {"p": person, "r": [record]}}
        )
    assert body.status_code == 200, body.text
    assert [r["recordId"] for r in body.json()["data"]["person"]["records"]] == [record]
    assert _last(api)["result_ids"] == {person, record}
