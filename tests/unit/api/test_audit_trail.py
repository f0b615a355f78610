"""The trail as an auditor reads it (`mast.api.audit_trail`), on a real SQLite state store:
each row says what was done and to whom, a person is found by name, pages go on past the
first 200, and "viewed, then unmerged" lists each viewer once per split, leaves out the
reviewer whose ruling made it and says which records moved."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from mast.api import audit_trail
from mast.api.actions import action_code
from mast.audit.chain import AuditLog, Entry
from mast.core.db import open_store
from mast.core.settings import Settings
from mast.schema.tables import decisions, id_history, persons, record_persons

KEY = b"a test audit key of 32 bytes or more"
BOWEN, OTHER, SPLIT_OFF = "P00000001", "P00000002", "P00000003"


@pytest.fixture
def store(tmp_path: Path) -> tuple[sa.Engine, AuditLog]:
    engine = open_store(Settings(home=tmp_path))
    now = datetime(2026, 11, 2)
    with engine.begin() as conn:
        conn.execute(
            persons.insert(),
            [
                {"person_id": BOWEN, "given_name": "Geraint", "family_name": "Bowen",
                 "updated_at": now},
                {"person_id": OTHER, "given_name": "Carys", "family_name": "Price",
                 "updated_at": now},
                {"person_id": SPLIT_OFF, "given_name": "Geraint", "family_name": "Bowen",
                 "updated_at": now},
            ],
        )  # fmt: skip
    return engine, AuditLog(engine, KEY)


def _entry(user: str, operation: str, params: dict[str, Any], ids: list[str]) -> Entry:
    role = {"rev": "reviewer", "aud": "auditor"}.get(user[:3], "practitioner")
    return Entry(user, role, "swansea", "case 1", operation, params, ids)


def _page(person: str) -> dict[str, Any]:
    query = "query($id: ID!) { person(id: $id) { givenName } }"
    return {"query": query, "variables": {"id": person}, "action": "person-page"}


def test_rows_say_what_was_done_and_to_whom(store: tuple[sa.Engine, AuditLog]) -> None:
    engine, log = store
    log.append(_entry("sw1", "graphql", _page(BOWEN), [BOWEN, OTHER]))
    search = '{ searchPeople(name: "Bowen") { totalCount } }'  # an entry from before actions
    log.append(_entry("sw1", "graphql", {"query": search, "variables": None}, [BOWEN, OTHER]))
    report = {"query": "query($name: String!) { report(name: $name) { rows } }",
              "variables": {"name": "open_cases", "params": {"person_id": OTHER}},
              "action": "report"}  # fmt: skip
    log.append(_entry("sw1", "graphql", report, [OTHER]))
    log.append(_entry("analyst", "cypher", {"cypher": "MATCH (p) RETURN p"}, [BOWEN]))
    with engine.connect() as conn:
        rows = audit_trail.read(conn, audit_trail.Filters()).rows
        named = audit_trail.names(conn, [i for r in rows for i in r.shown])
        older = audit_trail.read(conn, audit_trail.Filters(action="search-api")).rows
    assert [r.described() for r in rows] == [
        "ran an ad-hoc Cypher query",
        "report open_cases",
        "appeared in search results (API)",
        "opened person page",
    ]
    assert rows[3].asked == [BOWEN] and rows[3].shown == [BOWEN, OTHER]
    assert rows[2].asked == [] and rows[1].asked == [OTHER]
    assert named == {BOWEN: "Geraint Bowen", OTHER: "Carys Price"}
    assert [r.seq for r in older] == [2]  # an entry from before actions, found by its action


def test_actions_come_from_the_page_or_the_query() -> None:
    assert action_code("/people/{person_id}", "{ person(id: 1) { dob } }") == "person-page"
    assert action_code("/search/results", "{ searchPeople { totalCount } }") == "search"
    assert action_code("/graphql", "{ person(id: 1) { dob } }") == "person-api"
    assert action_code("/people/{person_id}/chronology.csv", "{ x }") == "chronology-export"
    assert action_code(None, "not graphql at all {") == "graphql"


def test_a_person_is_found_by_name(store: tuple[sa.Engine, AuditLog]) -> None:
    engine, log = store
    log.append(_entry("sw1", "graphql", _page(BOWEN), [BOWEN]))
    log.append(_entry("sw2", "graphql", _page(OTHER), [OTHER]))
    log.append(_entry("sw3", "graphql", _page(SPLIT_OFF), [SPLIT_OFF]))
    today = datetime.now(UTC).date()
    with engine.connect() as conn:
        found = audit_trail.read(conn, audit_trail.Filters(person="ger bowen"))
        dated = [
            len(audit_trail.read(conn, audit_trail.Filters(since=a, until=b)).rows)
            for a, b in (
                (today, today),
                (today + timedelta(days=1), None),
                (None, today - timedelta(days=1)),
            )
        ]
        by_id = audit_trail.read(conn, audit_trail.Filters(person=OTHER))
        nobody = audit_trail.read(conn, audit_trail.Filters(person="Nobody Atall"))
    assert found.matched == {BOWEN: "Geraint Bowen", SPLIT_OFF: "Geraint Bowen"}
    assert [r.username for r in found.rows] == ["sw3", "sw1"]
    assert [r.username for r in by_id.rows] == ["sw2"]
    assert nobody.rows == [] and nobody.matched == {}
    assert dated == [3, 0, 0]  # by UTC date, both ends included


def test_pages_go_on_past_the_first_and_filter_by_action(
    store: tuple[sa.Engine, AuditLog],
) -> None:
    engine, log = store
    for i in range(450):
        op = ("graphql", _page(BOWEN)) if i % 3 else ("cypher", {"cypher": f"RETURN {i}"})
        log.append(_entry(f"u{i % 2}", op[0], op[1], [BOWEN]))
    with engine.connect() as conn:
        seen: list[int] = []
        before = None
        for _ in range(5):
            trail = audit_trail.read(conn, audit_trail.Filters(), before=before)
            seen += [r.seq for r in trail.rows]
            if trail.older is None:
                break
            before = trail.older
        opened = audit_trail.read(conn, audit_trail.Filters(action="person-page", user="u1"))
        rows, more = audit_trail.export(conn, audit_trail.Filters(action="cypher"))
    assert seen == list(range(450, 0, -1))  # every entry once, newest first, in three pages
    assert len(opened.rows) == 150 and opened.older is None
    assert {r.action for r in opened.rows} == {"person-page"}
    assert {r.username for r in opened.rows} == {"u1"}
    assert len(rows) == 150 and not more


def test_viewed_then_unmerged_once_per_viewer_without_the_reviewer(
    store: tuple[sa.Engine, AuditLog],
) -> None:
    engine, log = store
    with engine.begin() as conn:
        conn.execute(
            record_persons.insert(),
            [
                {"record_id": "police:1", "profile_id": "a", "person_id": BOWEN},
                {"record_id": "health:7", "profile_id": "b", "person_id": BOWEN},
                {"record_id": "ambulance:3", "profile_id": "c", "person_id": SPLIT_OFF},
            ],
        )
    for _ in range(10):  # one practitioner opens the page ten times
        log.append(_entry("sw1", "graphql", _page(BOWEN), [BOWEN]))
    log.append(_entry("investigator1", "graphql", _page(BOWEN), [BOWEN, OTHER]))
    log.append(_entry("reviewer1", "review", {}, [BOWEN, "police:1", "ambulance:3"]))
    with engine.begin() as conn:
        ruled = datetime.now(UTC).replace(tzinfo=None)
        conn.execute(
            decisions.insert().values(
                record_a="police:1", record_b="ambulance:3", decision="unlink",
                decided_by="reviewer1", reason="different dates of birth", decided_at=ruled,
            )
        )  # fmt: skip
        time.sleep(0.01)
        split_at = datetime.now(UTC).replace(tzinfo=None)
        conn.execute(
            id_history.insert().values(
                entity="person", kind="split", old_id=BOWEN, new_id=SPLIT_OFF, at=split_at
            )
        )
    time.sleep(0.01)
    log.append(_entry("sw2", "graphql", _page(BOWEN), [BOWEN]))  # after the split: not listed
    with engine.connect() as conn:
        splits = audit_trail.viewed_then_unmerged(conn)
    assert len(splits) == 1
    split = splits[0]
    assert split.person == BOWEN and split.moved == {SPLIT_OFF: ["ambulance:3"]}
    assert [(v.username, v.views) for v in split.viewers] == [("investigator1", 1), ("sw1", 10)]
    assert split.ruled_by == ["reviewer1"]
