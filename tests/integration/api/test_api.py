"""The API over real HTTP (RELIABILITY P6–P10): every GraphQL field and REST route is
audited with the ids it returned, roles decide access, the audit failing shuts data off,
and the GraphQL limits hold."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from graphql import GraphQLObjectType, TypeInfo, TypeInfoVisitor, Visitor, parse, visit
from typer.testing import CliRunner

from mast.accounts.access import ROLES, allowed
from mast.accounts.accounts import Accounts
from mast.api.gql_schema import SDL_PATH, build_schema, sdl
from mast.core.db import open_store
from mast.graph.queries import load_queries
from mast.resolver import change_feed
from mast.schema.tables import audit_entries, id_history
from tests.support.api_server import PASSWORD, PURPOSE, Api, audit_unwritable, form_token

pytestmark = pytest.mark.integration
SCHEMA = build_schema()._schema


# --- helpers -------------------------------------------------------------------------------


def gql(client: httpx.Client, query: str, **variables: Any) -> dict[str, Any]:
    response = client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def last_entry(api: Api) -> dict[str, Any]:
    entries = api.audited_since(api.last_seq() - 1)
    assert entries
    return entries[-1]


def entry_count(api: Api) -> int:
    return api.last_seq()  # entries are numbered from 1 without gaps


def ids_shown(value: Any, key: str = "") -> set[str]:
    """Every MAST id in a response: *Id fields, and global ids decoded."""
    if isinstance(value, dict):
        return set().union(*(ids_shown(v, k) for k, v in value.items()))
    if isinstance(value, list):
        return set().union(*(ids_shown(v, key) for v in value))
    if isinstance(value, str) and key in {"personId", "addressId", "recordId", "caseId"}:
        return {value}
    if isinstance(value, str) and key in {"id", "path"}:
        return {base64.urlsafe_b64decode(value).decode().partition(":")[2]}
    return set()


@pytest.fixture(scope="module")
def known(api: Api) -> dict[str, str]:
    """Ids of people and an address the queries below can use."""
    case = api.cypher(
        "MATCH (c:`Case` {status: 'open'})-[:`ABOUT`]->(p:`Person`) "
        "RETURN p.person_id ORDER BY p.person_id LIMIT 1",
    )[0][0]
    pair = api.cypher(
        "MATCH (p:`Person`)-[:`RELATED`]->(q:`Person`) "
        "RETURN p.person_id, q.person_id ORDER BY p.person_id LIMIT 1",
    )[0]
    place = api.cypher(
        "MATCH (a:`Address`)<-[:`LIVED_AT`]-(:`Person`) "
        "RETURN a.address_id, a.postcode, a.line ORDER BY a.address_id LIMIT 1",
    )[0]
    who = api.cypher(
        f"MATCH (p:`Person` {{person_id: '{case}'}}) RETURN p.given_name, p.family_name, p.dob"
    )[0]
    return {
        "person": case,
        "a": pair[0],
        "b": pair[1],
        "address": place[0],
        "postcode": place[1],
        "line": place[2],
        "given": who[0],
        "family": who[1],
        "dob": who[2],
    }


# --- every GraphQL field is audited -----------------------------------------------------------

PERSON_FIELDS = (
    """id personId givenName familyName otherNames aliases dob sex nhsNumber firstSeen lastSeen"""
)
DISPUTE = "dispute { reportedBy reason reportedAt state reviewItem }"
PAGE = "pageInfo { hasNextPage endCursor } totalCount"

QUERIES: dict[str, tuple[str, Callable[[dict[str, str]], dict[str, Any]]]] = {
    "search people": (
        f"""query($name: String, $dob: Date) {{ searchPeople(name: $name, dob: $dob,
            ageRange: {{min: 0, max: 120}}, postcode: null, first: 5, after: null) {{
            {PAGE} edges {{ cursor score why node {{ {PERSON_FIELDS} }}
              agencies {{ agency agencyKind }} openCases lastAddress {{ id }}
              possiblySame }} }} }}""",
        lambda k: {"name": f"{k['given']} {k['family']}", "dob": k["dob"]},
    ),
    "person page": (
        f"""query($id: ID!) {{ person(id: $id) {{ {PERSON_FIELDS}
            agencies {{ agency agencyId agencyKind events lastEvent }}
            chronology(from: null, to: null, agencies: null, first: 100, after: null,
                newestFirst: true) {{ {PAGE}
              edges {{ cursor node {{ occurredAt agency agencyKind kind category role ref
                addressId addressLine recordId score {DISPUTE} }} }} }}
            household(on: null) {{ person {{ id }} addressId addressLine since until }}
            householdLast {{ addressId addressLine recordedOn
              members {{ person {{ id }} addressId addressLine since until }} }}
            possiblySame {{ person {{ id }} weight why evidenceFor evidenceAgainst reviewItem }}
            relatives {{ person {{ id }} kind validFrom validTo evidence }}
            network(hops: 2) {{ person {{ id }} via hops
              events {{ agency kind category occurredAt }} }}
            openCases {{ caseId agency kind opened leadName leadPhone leadEmail team }}
            addresses {{ address {{ id }} localAuthority validFrom validTo sources }}
            records {{ recordId feed agency sourcePersonId givenName familyName dob sex
              addressText postcode role occurredAt score decidedBy explanation
              evidenceFor evidenceAgainst {DISPUTE} }}
            transitions {{ adultOn lastChildContact firstAdultContact }}
            boundaryMoves {{ movedOn fromAuthority toAuthority fromAddressId toAddressId }} }} }}""",
        lambda k: {"id": k["person"]},
    ),
    "address page": (
        f"""query($id: ID!) {{ address(id: $id) {{ id addressId uprn line postcode town
            localAuthority premisesType residential
            residents(from: null, to: null) {{ person {{ id }} validFrom validTo }}
            chronology(from: null, to: null, first: 10, after: null, newestFirst: true) {{ {PAGE}
              edges {{ cursor node {{ occurredAt agency agencyKind kind category ref
                people {{ id }} }} }} }}
            counts(from: null, to: null) {{ agency category events }} }} }}""",
        lambda k: {"id": k["address"]},
    ),
    "search addresses": (
        f"""query($text: String, $postcode: String) {{ searchAddresses(text: $text,
            postcode: $postcode, first: 5, after: null, loose: true) {{ {PAGE}
            edges {{ cursor score why node {{ id }} residents latestIncident incidents }} }} }}""",
        lambda k: {"text": k["line"].split(",")[0], "postcode": k["postcode"]},
    ),
    "node": (
        "query($id: ID!) { node(id: $id) { id ... on Person { personId } } }",
        lambda k: {"id": base64.urlsafe_b64encode(f"Person:{k['a']}".encode()).decode()},
    ),
    "report": (
        """query($p: JSON) { report(name: "open_cases", params: $p) {
            name columns rows truncated } }""",
        lambda k: {"p": {"person_id": k["person"]}},
    ),
    "report choices": ("query { reportChoices }", lambda k: {}),
    "connection": (
        """query($a: ID!, $b: ID!) { connection(personA: $a, personB: $b) {
            hops path people { id } addresses { id }
            links { type kind validFrom validTo } } }""",
        lambda k: {"a": k["a"], "b": k["b"]},
    ),
    "changes": (
        """query($after: String) { changes(after: $after, first: 10) {
            pageInfo { hasNextPage endCursor } headCursor
            edges { cursor node { kind personId intoId eventId at } } } }""",
        lambda k: {"after": None},
    ),
}


def _selected(query: str) -> set[str]:
    info = TypeInfo(SCHEMA)
    found: set[str] = set()

    class Fields(Visitor):
        def enter_field(self, node: Any, *_: Any) -> None:
            parent = info.get_parent_type()
            if parent is not None:
                found.add(f"{parent.name}.{node.name.value}")

    visit(parse(query), TypeInfoVisitor(info, Fields()))
    return found


def test_the_audit_queries_select_every_field_of_the_schema() -> None:
    every = {
        f"{name}.{field}"
        for name, kind in SCHEMA.type_map.items()
        if isinstance(kind, GraphQLObjectType) and not name.startswith("__")
        for field in kind.fields
    }
    covered = set().union(*(_selected(q) for q, _ in QUERIES.values()))
    assert every - covered == set(), "add the new fields to QUERIES, so their audit is tested"


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_query_is_audited_with_every_id_it_returned(
    api: Api, known: dict[str, str], name: str
) -> None:
    query, variables = QUERIES[name]
    if name == "changes":  # the store's one run was its first, which lists nothing
        _follow_a_merge(api, known)
    before = entry_count(api)
    with api.client("investigator") as client:
        body = gql(client, query, **variables(known))
    assert "errors" not in body, body
    entry = last_entry(api)
    assert entry_count(api) == before + 1
    assert (entry["username"], entry["role"], entry["purpose"]) == (
        "investigator",
        "investigator",
        PURPOSE,
    )
    assert entry["operation"] == "graphql" and json.loads(entry["params"])["query"] == query
    shown = ids_shown(body["data"])
    if name == "report":
        shown = {str(v) for row in body["data"]["report"]["rows"] for v in row[:1]}
    if name == "report choices":  # kinds, categories, areas: audited, but no one's id
        assert body["data"]["reportChoices"]["agency_kind"]
        assert json.loads(entry["result_ids"]) == []
        return
    assert shown, "the test should return something to audit"
    assert shown <= set(json.loads(entry["result_ids"]))


def _follow_a_merge(api: Api, known: dict[str, str]) -> None:
    """A change feed entry, as a run that merged `b` into `a` would write it."""
    engine = open_store(api.settings)
    with engine.begin() as conn:
        if not change_feed.read(conn, after=0, first=1):
            change_feed.append(
                conn,
                [change_feed.Change(change_feed.MERGED, known["b"], known["a"])],
                at=datetime(2026, 11, 2),
            )
    engine.dispose()


# --- every REST route is audited (or says why it carries no personal data) -----------------

UNAUDITED = {
    ("GET", "/healthz"): "liveness only",
    ("GET", "/readyz"): "store and graph reachability, last run age",
    ("GET", "/metrics"): "counts and durations only",
    ("GET", "/openapi.json"): "the API's description",
    ("GET", "/auth/me"): "the caller's own account",
}
AUDITED: dict[tuple[str, str], tuple[str, str, dict[str, Any] | None]] = {
    # route: (role, operation in the audit entry, JSON body)
    ("POST", "/graphql"): (
        "practitioner",
        "graphql",
        {"query": '{ searchPeople(postcode: "SA1") { totalCount } }'},
    ),
    ("GET", "/reports"): ("analyst", "reports", None),
    ("POST", "/cypher"): (
        "analyst",
        "cypher",
        {"cypher": "MATCH (p:`Person`) RETURN p.person_id LIMIT 3"},
    ),
    ("GET", "/audit"): ("auditor", "audit", None),
    ("GET", "/audit/unmerged"): ("auditor", "audit-unmerged", None),
    ("POST", "/auth/login"): ("", "login", {"username": "reviewer", "password": PASSWORD}),
    ("POST", "/auth/purpose"): ("session", "purpose", {"purpose": "practice review 7"}),
    ("POST", "/auth/logout"): ("session", "logout", None),
}


def _routes(api: Api) -> set[tuple[str, str]]:
    """Every route the OpenAPI description lists, and the description itself."""
    paths = api.app.openapi()["paths"]
    return {("GET", "/openapi.json")} | {(m.upper(), p) for p, ops in paths.items() for m in ops}


def test_every_route_is_audited_or_carries_no_personal_data(api: Api) -> None:
    assert _routes(api) == set(AUDITED) | set(UNAUDITED)


@pytest.mark.parametrize("route", sorted(AUDITED))
def test_each_route_writes_its_audit_entry_first(api: Api, route: tuple[str, str]) -> None:
    method, path = route
    role, operation, body = AUDITED[route]
    with api.client(role if role in ROLES else None) as client:
        if role == "session":  # a web session: signed in with a password first
            signed_in = {"username": "reviewer", "password": PASSWORD, "purpose": "review"}
            assert client.post("/auth/login", json=signed_in).status_code == 200
        before = entry_count(api)
        response = client.request(method, path, json=body)
    assert response.status_code == 200, response.text
    assert entry_count(api) == before + 1
    entry = last_entry(api)
    assert entry["operation"] == operation
    assert entry["username"] == (role if role in ROLES else "reviewer")
    if path == "/cypher":
        assert {r[0] for r in response.json()["rows"]} <= set(json.loads(entry["result_ids"]))


# --- access: roles decide, deny by default ---------------------------------------------------


def _person_probe(field: str) -> Callable[[httpx.Client, dict[str, str]], bool]:
    def probe(client: httpx.Client, k: dict[str, str]) -> bool:
        body = gql(client, f'{{ person(id: "{k["person"]}") {{ {field} }} }}')
        return "errors" not in body

    return probe


PROBES: dict[str, Callable[[httpx.Client, dict[str, str]], bool]] = {
    "search": lambda c, k: (
        "errors" not in gql(c, f'{{ searchPeople(name: "{k["family"]}") {{ totalCount }} }}')
    ),
    "view": _person_probe("personId"),
    "changes": lambda c, k: "errors" not in gql(c, "{ changes(first: 1) { headCursor } }"),
    "records": _person_probe("records { recordId }"),
    "network": _person_probe("network { hops }"),
    "cypher": lambda c, k: c.post("/cypher", json={"cypher": "RETURN 1"}).status_code == 200,
    "report": lambda c, k: c.get("/reports").status_code == 200,
    "audit": lambda c, k: c.get("/audit").status_code == 200,
}


@pytest.mark.parametrize("role", ROLES)
def test_the_access_matrix(api: Api, known: dict[str, str], role: str) -> None:
    with api.client(role) as client:
        for operation, probe in PROBES.items():
            assert probe(client, known) == allowed(role, operation), (role, operation)
        for name, query in load_queries().items():
            body = gql(client, f'{{ report(name: "{name}", params: {{}}) {{ columns }} }}')
            codes = {e["extensions"]["code"] for e in body.get("errors", [])}
            may = allowed(role, "report") and role in query.roles
            assert ("NOT_FOUND" not in codes) == may, (role, name)


def test_forbidden_looks_like_not_found(api: Api, known: dict[str, str]) -> None:
    with api.client("practitioner") as client:
        denied = client.post("/cypher", json={"cypher": "RETURN 1"})
        missing = client.post("/no-such-route", json={})
    assert (denied.status_code, denied.json()) == (missing.status_code, missing.json())


def test_no_credential_no_purpose_no_data(api: Api) -> None:
    query = {"query": '{ searchPeople(postcode: "SA1") { totalCount } }'}
    with api.client(None) as client:
        assert client.post("/graphql", json=query).status_code == 401
    with httpx.Client(
        base_url=api.url, headers={"Authorization": "Bearer mast_nope", "X-MAST-Purpose": "x"}
    ) as client:
        assert client.post("/graphql", json=query).status_code == 401
    with api.client("practitioner", purpose=None) as client:
        response = client.post("/graphql", json=query)
    assert response.status_code == 400 and "purpose" in response.text.lower()


def test_sessions_carry_the_purpose_and_logins_are_throttled(api: Api) -> None:
    engine = open_store(api.settings)
    accounts = Accounts(engine, api.settings)
    accounts.add("throttled", display_name="T", role="practitioner", agency="t", password=PASSWORD)
    with httpx.Client(base_url=api.url) as client:
        for _ in range(api.settings.login_max_failures):
            bad = client.post(
                "/auth/login", json={"username": "throttled", "password": "wrong guess!"}
            )
            assert bad.status_code == 401
        late = client.post("/auth/login", json={"username": "throttled", "password": PASSWORD})
        assert late.status_code == 429
        good = client.post(
            "/auth/login",
            json={"username": "practitioner", "password": PASSWORD, "purpose": "visit"},
        )
        assert good.status_code == 200
        body = client.post(
            "/graphql", json={"query": '{ searchPeople(postcode: "SA1") { totalCount } }'}
        )
        assert body.status_code == 200 and last_entry(api)["purpose"] == "visit"
        client.post("/auth/logout")
        assert client.get("/auth/me").status_code == 401
    accounts.add("leaver", display_name="L", role="analyst", agency="t", password=PASSWORD)
    user = accounts.get("leaver")
    assert user is not None
    token = accounts.issue(user, kind="token")
    accounts.set_active("leaver", False)
    engine.dispose()
    with httpx.Client(
        base_url=api.url, headers={"Authorization": f"Bearer {token}", "X-MAST-Purpose": "x"}
    ) as client:
        assert client.get("/reports").status_code == 401


# --- the audit failing shuts the data off -----------------------------------------------------


def test_when_the_audit_cannot_be_written_no_data_leaves(api: Api, known: dict[str, str]) -> None:
    calls: list[tuple[str, str, str, dict[str, Any] | None]] = [
        (
            "investigator",
            "POST",
            "/graphql",
            {"query": QUERIES["person page"][0], "variables": {"id": known["person"]}},
        ),
        (
            "investigator",
            "POST",
            "/graphql",
            {"query": QUERIES["search people"][0], "variables": QUERIES["search people"][1](known)},
        ),
        (
            "analyst",
            "POST",
            "/cypher",
            {"cypher": "MATCH (p:`Person`) RETURN p.person_id, p.family_name LIMIT 5"},
        ),
        ("analyst", "GET", "/reports", None),
        ("auditor", "GET", "/audit", None),
        ("auditor", "GET", "/audit/unmerged", None),
    ]
    with audit_unwritable(api.settings):
        for role, method, path, body in calls:
            with api.client(role) as client:
                response = client.request(method, path, json=body)
            assert response.status_code == 503, (path, response.status_code)
            for secret in (known["person"], known["family"], "P0"):
                assert secret not in response.text


# --- GraphQL limits (P10) ----------------------------------------------------------------------


def _nested(levels: int, person: str) -> str:
    """A query `levels` fields deep: person → relatives → person → … (depth = levels - 1)."""
    chain = ["relatives" if i % 2 == 0 else "person" for i in range(levels - 2)]
    inner = "id" if not chain or chain[-1] == "person" else "kind"
    for field in reversed(chain):
        inner = f"{field} {{ {inner} }}"
    return f'{{ person(id: "{person}") {{ {inner} }} }}'


def test_depth_aliases_page_size_and_introspection_are_limited(
    api: Api, known: dict[str, str]
) -> None:
    with api.client("investigator") as client:
        assert "errors" not in gql(client, _nested(9, known["person"]))  # depth 8
        deep = gql(client, _nested(10, known["person"]))  # depth 9
        assert deep["data"] is None and "depth" in deep["errors"][0]["message"]
        aliases = " ".join(f'p{i}: person(id: "{known["person"]}") {{ id }}' for i in range(15))
        assert "errors" not in gql(client, f"{{ {aliases} }}")
        too_many = gql(client, f'{{ {aliases} p15: person(id: "{known["person"]}") {{ id }} }}')
        assert too_many["data"] is None
        big = gql(client, '{ searchPeople(postcode: "SA1", first: 101) { totalCount } }')
        assert big["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        schema = gql(client, "{ __schema { types { name } } }")
        assert schema["data"] is None


def test_errors_are_masked_with_a_code(api: Api) -> None:
    with api.client("investigator") as client:
        body = gql(
            client, '{ report(name: "network", params: {person_id: 5, nope: 1}) { columns } }'
        )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "Traceback" not in json.dumps(body)


# --- search, audit questions, subject access, the SDL -----------------------------------------


def test_search_forgives_typos_and_nicknames_and_says_why(api: Api, known: dict[str, str]) -> None:
    family = known["family"]
    typo = family[0] + family[2] + family[1] + family[3:] if len(family) > 3 else family + "e"
    with api.client("practitioner") as client:
        body = gql(
            client,
            "query($n: String, $d: Date) { searchPeople(name: $n, dob: $d) "
            "{ edges { why node { personId } } } }",
            n=f"{known['given']} {typo}",
            d=known["dob"],
        )
    edges = body["data"]["searchPeople"]["edges"]
    top = [e["node"]["personId"] for e in edges[:3]]
    assert known["person"] in top
    assert "date of birth matches" in edges[top.index(known["person"])]["why"]


def test_auditors_see_who_viewed_a_person_and_who_saw_an_unmerged_one(
    api: Api, known: dict[str, str]
) -> None:
    with api.client("reviewer") as client:
        gql(client, f'{{ person(id: "{known["a"]}") {{ givenName }} }}')
    with api.client("auditor") as client:
        viewers = client.get("/audit", params={"person": known["a"]}).json()
        assert any(e["username"] == "reviewer" for e in viewers)
        engine = open_store(api.settings)
        with engine.begin() as conn:  # as the resolver records an unlink that splits a person
            conn.execute(
                id_history.insert().values(
                    entity="person",
                    kind="split",
                    old_id=known["a"],
                    new_id="P99999998",
                    at=datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=1),
                )
            )
        engine.dispose()
        told = client.get("/audit/unmerged").json()
    split = [s for s in told if s["person"] == known["a"]]
    assert len(split) == 1  # one item per split, each viewer once in it
    assert [v["username"] for v in split[0]["viewers"]].count("reviewer") == 1


def test_subject_access_export_lists_everything_held(
    api: Api, known: dict[str, str], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mast.cli.main import app  # noqa: PLC0415

    api.point_commands_here(monkeypatch)
    out = tmp_path / "sar.json"
    result = CliRunner().invoke(
        app, ["export", "person", known["person"], "--out", str(out), "--purpose", "SAR-1"]
    )
    assert result.exit_code == 0, result.output
    assert last_entry(api)["operation"] == "export-person"
    data = json.loads(out.read_text())
    assert data["person"]["person_id"] == known["person"] and data["records"]
    assert {r["record_id"] for r in data["records"]} >= set(
        api.cypher(
            (
                f"MATCH (r:`Record`)-[:`RESOLVES_TO`]->(:`Person` {{person_id: '{known['person']}'}}) "
                "RETURN r.record_id"
            ),
        )[0][:1]
    )


def test_the_exported_sdl_is_the_schema() -> None:
    assert SDL_PATH.read_text(encoding="utf-8") == sdl(), "run: python -m mast.api.gql_schema"


def test_account_commands_are_audited_and_verify_finds_tampering(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mast.cli.main import app  # noqa: PLC0415

    api.point_commands_here(monkeypatch)
    runner = CliRunner()
    added = runner.invoke(
        app,
        ["users", "add", "newcomer", "--role", "reviewer", "--agency", "nhs", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert added.exit_code == 0, added.output
    assert last_entry(api)["operation"] == "users-add"
    token = runner.invoke(app, ["users", "token", "newcomer", "--label", "test app"])
    assert token.exit_code == 0 and token.stdout.strip().startswith("mast_")
    assert last_entry(api)["operation"] == "users-token"
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0
    engine = open_store(api.settings)
    seq = last_entry(api)["seq"]
    original = last_entry(api)["username"]
    with engine.begin() as conn:
        conn.execute(audit_entries.update().where(audit_entries.c.seq == seq).values(username="x"))
    try:
        tampered = runner.invoke(app, ["audit", "verify"])
        assert tampered.exit_code == 1 and f"entry {seq}" in tampered.output
    finally:
        with engine.begin() as conn:
            conn.execute(
                audit_entries.update().where(audit_entries.c.seq == seq).values(username=original)
            )
        engine.dispose()
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0


# --- the web UI's pages read through the same audit ---------------------------------------

UI_PAGES = {  # path template → does it show personal data (and so write an audit entry)?
    "/": False,
    "/login": False,
    "/logout": False,
    "/purpose": False,  # the purpose change itself is audited as "purpose"
    "/search": True,
    "/search/results": True,
    "/people/{person_id}": True,
    "/people/{person_id}/chronology/print": True,
    "/people/{person_id}/chronology.csv": True,
    "/people/{person_id}/chronology.pdf": True,
    "/addresses/{address_id}": True,
    "/analysis": False,  # the reports' names; each figure and run below is audited
    "/analysis/figure/{index}": True,
    "/analysis/weekly": True,
    "/analysis/{name}": True,
    "/analysis/{name}/csv": True,
    "/audit-trail": True,  # auditors only; checked in tests/e2e/test_ui.py
    "/audit-trail.csv": True,  # auditors only; checked in tests/e2e/test_ui.py
    "/network/{person_id}": True,
    "/network/address/{address_id}": True,
    "/network/{person_id}/neighbours": True,
    "/network/{person_id}/connection/{other_id}": True,
    "/network/{person_id}/find": True,
    "/review": True,  # reviewers only; checked in tests/e2e/test_ui.py
    "/quality": True,  # counts only, but audited; administrators, checked in tests/e2e/test_ui.py
    "/workbench": False,  # the schema and queries' text; each run (a POST) is audited, as
    "/workbench/vocabulary.json": False,  # POST /cypher is: tests/e2e/test_ui_workbench.py
}
UI_FORMS = {  # posted by the browser tests (and test_daily.py), which check their audit entries
    "/network/{start}/export/{form}",
    "/network/{start}/pdf",
    "/review/{item_id}",
    "/people/{person_id}/not-the-same",
    "/quality/run",
    "/workbench/save",
    "/workbench/saved/{query_id}/delete",
}


def _figure_for(role: str) -> int:
    from mast.graph.headlines import HEADLINES  # noqa: PLC0415

    return next(i for i, h in enumerate(HEADLINES) if role in load_queries()[h[1]].roles)


def test_every_ui_page_is_listed_and_its_reads_audited(api: Api, known: dict[str, str]) -> None:
    from mast.web import (  # noqa: PLC0415
        routes,
        routes_admin,
        routes_audit,
        routes_network,
        routes_person,
        routes_reports,
        routes_review,
        routes_search,
        routes_workbench,
    )

    routes = [
        *routes_admin.router.routes,
        *routes_audit.router.routes,
        *routes.router.routes,
        *routes_reports.router.routes,
        *routes_network.router.routes,
        *routes_person.router.routes,
        *routes_review.router.routes,
        *routes_search.router.routes,
        *routes_workbench.router.routes,
    ]
    assert {r.path for r in routes} == set(UI_PAGES) | UI_FORMS  # type: ignore[attr-defined]
    with httpx.Client(base_url=api.url, timeout=60) as browser:
        signed_in = {"username": "reviewer", "password": PASSWORD, "purpose": "ui audit test"}
        assert browser.post("/auth/login", json=signed_in).status_code == 200
        for path, personal in UI_PAGES.items():
            if not personal or path in {"/audit-trail", "/audit-trail.csv", "/review", "/quality"}:
                continue
            url = path.format(
                person_id=known["person"],
                address_id=known["address"],
                index=_figure_for("reviewer"),
                name="open_cases",
                other_id=known["b"],
            )
            params = {"q": known["family"]} if "search" in path else {}
            if "{name}" in path:
                params = {"run": "1", "person_id": known["person"]}
            if path.endswith("/find"):
                params = {"name": known["family"]}
            before = entry_count(api)
            response = browser.get(url, params=params)
            assert response.status_code == 200, (path, response.status_code)
            assert entry_count(api) > before, path
            assert last_entry(api)["purpose"] == "ui audit test"


# --- cross-site requests and stated purposes -------------------------------------------------


@contextmanager
def _web_session(api: Api, username: str, purpose: str) -> Iterator[tuple[httpx.Client, str]]:
    """A browser-like client signed in through the web forms, and its CSRF token."""
    with httpx.Client(base_url=api.url, timeout=60) as client:
        token = form_token(client)
        signed_in = {"username": username, "password": PASSWORD, "csrf": token}
        signed = client.post("/login", data=signed_in)
        assert signed.status_code == 303, signed.text
        stated = client.post("/purpose", data={"purpose": purpose, "csrf": token})
        assert stated.status_code == 303, stated.text
        yield client, token


def test_a_cross_site_post_is_refused(api: Api, known: dict[str, str]) -> None:
    """SameSite=Lax was the only defence: a post from another site, or from a page of this
    one without the session's token, now changes nothing and records nothing."""
    with _web_session(api, "reviewer", "csrf test 1") as (client, token):
        page = client.get(f"/people/{known['person']}").text
        found = re.search(r'not-the-same\?record_id=([^"]+)"', page)
        assert found is not None
        record_id = unquote(found.group(1))
        path = f"/people/{known['person']}/not-the-same"
        before = entry_count(api)
        forged = {
            "foreign origin": ({"Origin": "https://evil.example"}, {"csrf": token}),
            "opaque origin": ({"Origin": "null"}, {"csrf": token}),
            "foreign referer": ({"Referer": "https://evil.example/page"}, {"csrf": token}),
            "no token": ({}, {}),
            "a wrong token": ({}, {"csrf": "not-the-token"}),
        }
        for why, (headers, extra) in forged.items():
            response = client.post(path, data={"record_id": record_id, **extra}, headers=headers)
            assert response.status_code == 403, why
        assert (
            client.post("/quality/run", headers={"Origin": "https://evil.example"}).status_code
            == 403
        )
        assert entry_count(api) == before  # nothing was done, so nothing was audited
        proxied = {"Origin": "https://mast.example", "X-Forwarded-Host": "mast.example"}
        stated = client.post(
            "/purpose", data={"purpose": "csrf test 3", "csrf": token}, headers=proxied
        )
        assert stated.status_code == 303  # behind a proxy that names the browser's host
        same_site = {"Origin": api.url}
        for path, data in (("/purpose", {"purpose": "csrf test 2"}), ("/logout", {})):
            assert client.post(path, data=data, headers=same_site).status_code == 403
            done = client.post(path, data={**data, "csrf": token}, headers=same_site)
            assert done.status_code == 303, path
    with httpx.Client(base_url=api.url, timeout=60) as stranger:  # a forged sign-in
        token = form_token(stranger)
        signed_in = {"username": "reviewer", "password": PASSWORD}
        assert stranger.post("/login", data=signed_in).status_code == 403
        assert (
            stranger.post(
                "/auth/login", json=signed_in, headers={"Origin": "https://evil.example"}
            ).status_code
            == 403
        )
        assert stranger.get("/auth/me").status_code == 401


@pytest.mark.parametrize("purpose", ["x", "  ab ", "---", "visit\nforged line", "a\x1b[31mred"])
def test_a_purpose_is_checked_by_one_rule_everywhere(
    api: Api, purpose: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A purpose of "x", or with a newline or ESC, was accepted at sign-in."""
    signed_in = {"username": "reviewer", "password": PASSWORD}
    with httpx.Client(base_url=api.url, timeout=60) as client:
        response = client.post("/auth/login", json={**signed_in, "purpose": purpose})
        assert response.status_code == 422, response.text
        assert client.post("/auth/login", json=signed_in).status_code == 200
        assert client.post("/auth/purpose", json={"purpose": purpose}).status_code == 422
    with _web_session(api, "reviewer", "purpose test") as (client, token):
        response = client.post("/purpose", data={"purpose": purpose, "csrf": token})
        assert response.status_code == 400 and "printable" in response.text
        assert client.get("/auth/me").json()["purpose"] == "purpose test"
    if purpose.isprintable():  # a header cannot carry a newline or ESC at all
        with api.client("reviewer", purpose=purpose.strip()) as bearer:
            assert bearer.get("/reports").status_code == 400
    from mast.cli.main import app  # noqa: PLC0415

    api.point_commands_here(monkeypatch)
    out = tmp_path / "sar.json"
    result = CliRunner().invoke(
        app, ["export", "person", "P00000001", "--out", str(out), "--purpose", purpose]
    )
    assert result.exit_code == 2 and not out.exists()


def test_wrong_passwords_slow_the_guesser_not_the_account(api: Api) -> None:
    """Five wrong passwords from anyone used to lock the named account for 15 minutes.
    Now the client backs off (per account, and over all accounts) and the owner, from
    elsewhere, still gets in. uvicorn takes the client from X-Forwarded-For on loopback."""
    engine = open_store(api.settings)
    accounts = Accounts(engine, api.settings)
    accounts.add("target", display_name="T", role="practitioner", agency="t", password=PASSWORD)
    engine.dispose()
    wrong = {"username": "target", "password": "wrong guess!"}
    right = {"username": "target", "password": PASSWORD}
    guesser = {"X-Forwarded-For": "198.51.100.7"}
    with httpx.Client(base_url=api.url, timeout=60) as client:
        for _ in range(api.settings.login_max_failures):
            assert client.post("/auth/login", json=wrong, headers=guesser).status_code == 401
        refused = client.post("/auth/login", json=right, headers=guesser)
        assert refused.status_code == 429 and "try again in 2 s" in refused.text
        owner = client.post("/auth/login", json=right, headers={"X-Forwarded-For": "192.0.2.1"})
        assert owner.status_code == 200  # the account is not locked
        time.sleep(2.1)  # the back-off passes; refused attempts did not extend it
        assert client.post("/auth/login", json=right, headers=guesser).status_code == 200
        # One client guessing across many accounts backs off too.
        sprayer = {"X-Forwarded-For": "198.51.100.8"}
        for n in range(api.settings.login_client_max_failures):
            sprayed = {"username": f"nobody{n}", "password": "wrong guess!"}
            assert client.post("/auth/login", json=sprayed, headers=sprayer).status_code == 401
        assert client.post("/auth/login", json=right, headers=sprayer).status_code == 429


def test_graphql_refuses_without_suggestions_500s_or_internal_errors(
    api: Api, known: dict[str, str]
) -> None:
    """With introspection off, "Did you mean …" spelt the schema out; an operationName that
    matches nothing was a 500; a relative date past datetime's range was INTERNAL."""
    with api.client("analyst") as client:
        for guess in (
            f'{{ persn(id: "{known["person"]}") {{ dob }} }}',
            f'{{ person(id: "{known["person"]}") {{ dobb }} }}',
            '{ searchPeople(nam: "x") { totalCount } }',
        ):
            body = gql(client, guess)
            assert body["errors"] and "Did you mean" not in json.dumps(body), guess
        for query in ("query A { __typename }", "query A { __typename } query C { __typename }"):
            response = client.post("/graphql", json={"query": query, "operationName": "B"})
            assert response.status_code == 400, response.text
            assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
        for params in (
            '{from: "-99999999999d"}',
            '{from: "-999999999d"}',
            "{min: 99999999999999999999}",
        ):
            body = gql(
                client, f'{{ report(name: "high_contact_addresses", params: {params}) {{ rows }} }}'
            )
            assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", (params, body)


def test_a_result_past_its_size_cap_is_the_clients_to_narrow(api: Api) -> None:
    """A report or analyst query stopped at MAST_QUERY_MAX_BYTES says so, with a code;
    through GraphQL it was masked as INTERNAL."""
    settings = api.app.state.services.settings
    cap = settings.query_max_bytes
    # Settings are frozen; the running server's are lowered for this test alone.
    object.__setattr__(settings, "query_max_bytes", 1024)
    try:
        with api.client("analyst") as client:
            body = gql(
                client,
                '{ report(name: "high_contact_addresses", params: {min: 0, max: 1000000}) '
                "{ rows } }",
            )
            analyst = client.post(
                "/cypher", json={"cypher": "MATCH (p:`Person`) RETURN p.person_id, p.given_name"}
            )
    finally:
        object.__setattr__(settings, "query_max_bytes", cap)
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "MiB limit" in error["message"]
    assert analyst.status_code == 422 and "MAST_QUERY_MAX_BYTES" in analyst.text


def test_a_postcode_alone_lists_its_places_before_its_people(api: Api) -> None:
    postcode = api.cypher(
        "MATCH (a:`Address`)<-[:`LIVED_AT`]-(:`Person`) WHERE a.postcode IS NOT NULL "
        "RETURN a.postcode ORDER BY a.postcode LIMIT 1"
    )[0][0]
    with _web_session(api, "practitioner", "postcode order 1") as (client, _token):
        alone = client.get("/search/results", params={"q": postcode}).text
        with_name = client.get("/search/results", params={"q": f"Jones {postcode}"}).text
    assert 0 < alone.index('id="places-heading"') < alone.index('id="people-heading"')
    assert with_name.index('id="people-heading"') < with_name.index('id="places-heading"')
