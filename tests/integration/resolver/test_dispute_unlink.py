"""Issue 21 item 3: a reviewer's unlink of a record reported as "not this person" moves THAT
record at the next run, and only it; a daily run and a full run agree; and once it has moved
the person no longer shows it as waiting to move. Real SQLite, DuckDB and Splink."""

from __future__ import annotations

import contextlib
import html
import shutil
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from mast.accounts.access import ROLES
from mast.accounts.accounts import Accounts
from mast.core.db import open_store
from mast.core.settings import Settings
from mast.demo.generate import generate
from mast.graph.build import refresh
from mast.resolver.disputes import disputed, report
from mast.resolver.review import open_items
from mast.resolver.rulings import complete_reported_unlinks, decide, decide_item
from mast.resolver.service import resolve
from mast.schema.tables import decisions, record_persons
from tests.support.api_server import PASSWORD, serve
from tests.support.demo_data import extracts, ingest, settings_for

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 2)


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    demo = tmp_path_factory.mktemp("demo")
    generate(400, 7, demo, date(2026, 10, 31))
    home = tmp_path_factory.mktemp("resolved")
    resolve(ingest(home, extracts(demo)), now=NOW)
    return home


def _links(engine: sa.Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(
            conn.execute(sa.select(record_persons.c.record_id, record_persons.c.person_id)).all()
        )


def test_an_upheld_report_moves_the_reported_record_and_only_it(
    resolved: Path, tmp_path: Path
) -> None:
    for part in resolved.glob("state.sqlite*"):
        shutil.copy(part, tmp_path / part.name)
    engine = open_store(settings_for(tmp_path))
    before = _links(engine)
    members: dict[str, list[str]] = defaultdict(list)
    for rid, pid in sorted(before.items()):
        members[pid].append(rid)
    # Each report pairs its record with the person's first record by id: the second record
    # is reported, so a ruling on that pair alone could as well move the first.
    people = [p for p, rids in sorted(members.items()) if len(rids) >= 4][:3]
    reported = {p: members[p][1] for p in people}
    for person, rid in reported.items():
        made = report(engine, rid, person_id=person, by="pat", reason="another girl", now=NOW)
        decide_item(engine, made.item_id, decision="unlink", by="rev", reason="two DOBs", now=NOW)
    with engine.connect() as conn:
        assert {d.state for d in disputed(conn, list(reported.values())).values()} == {"upheld"}
        assert not {i.item_id for i in open_items(conn)} & {
            d.item_id for d in disputed(conn, list(reported.values())).values()
        }
    assert resolve(engine, now=NOW).people.mode == "incremental"
    daily = _links(engine)
    for person, rid in reported.items():
        assert daily[rid] != person, rid  # the reported record left
        assert {daily[r] for r in members[person] if r != rid} == {person}, rid  # the rest stay
    # Moved: the person it was reported on no longer says it moves at the next run.
    with engine.connect() as conn:
        assert disputed(conn, list(reported.values())) == {}
    resolve(engine, now=NOW, full=True)
    assert _links(engine) == daily
    engine.dispose()


MOVES = "a reviewer agreed this is not this person; it moves at the next run."


def _page(settings: Settings, person: str) -> str:
    """The person page as a practitioner reads it, from a real server on this store."""
    with contextlib.contextmanager(serve)(settings) as api, api.client() as client:
        signed = {"username": "practitioner", "password": PASSWORD, "purpose": "dispute test"}
        assert client.post("/auth/login", json=signed).status_code == 200
        response = client.get(f"/people/{person}")
    assert response.status_code == 200
    return response.text


def test_once_the_run_has_moved_it_the_page_no_longer_says_it_will_move(
    resolved: Path, tmp_path: Path
) -> None:
    for part in resolved.glob("state.sqlite*"):
        shutil.copy(part, tmp_path / part.name)
    settings = Settings(**{**settings_for(tmp_path).model_dump(), "cookie_secure": False})
    engine = open_store(settings)
    refresh(engine, settings, full=True)
    accounts = Accounts(engine, settings)
    for role in ROLES:  # the server issues each role a token
        accounts.add(role, display_name=role, role=role, agency="test", password=PASSWORD)
    members: dict[str, list[str]] = defaultdict(list)
    for rid, pid in sorted(_links(engine).items()):
        members[pid].append(rid)
    person = next(p for p, rids in sorted(members.items()) if len(rids) >= 4)
    rid = members[person][1]
    made = report(engine, rid, person_id=person, by="pat", reason="another girl", now=NOW)
    decide_item(engine, made.item_id, decision="unlink", by="rev", reason="two DOBs", now=NOW)
    assert MOVES in html.unescape(_page(settings, person))
    resolve(engine, now=NOW)
    refresh(engine, settings)
    assert MOVES not in html.unescape(_page(settings, person))
    moved_to = _links(engine)[rid]
    assert moved_to != person
    assert MOVES not in html.unescape(_page(settings, moved_to))
    engine.dispose()


def test_a_report_unlinked_the_old_way_is_completed_and_moves(
    resolved: Path, tmp_path: Path
) -> None:
    """A store ruled before the fix: the pair-only unlink moved the partner and left the
    reported record flagged for good; completing the ruling moves the reported record."""
    for part in resolved.glob("state.sqlite*"):
        shutil.copy(part, tmp_path / part.name)
    engine = open_store(settings_for(tmp_path))
    members: dict[str, list[str]] = defaultdict(list)
    for rid, pid in sorted(_links(engine).items()):
        members[pid].append(rid)
    person = next(p for p, rids in sorted(members.items()) if len(rids) >= 4)
    partner, rid = members[person][:2]
    made = report(engine, rid, person_id=person, by="pat", reason="another girl", now=NOW)
    decide(
        engine, record_a=rid, record_b=partner, decision="unlink", by="rev", reason="DOBs", now=NOW
    )  # what a reviewer's unlink stored before: the item's pair alone
    resolve(engine, now=NOW)
    assert _links(engine)[rid] == person  # the wrong record moved, as the tester saw
    with engine.connect() as conn:
        assert disputed(conn, [rid])[rid].state == "upheld"
    assert complete_reported_unlinks(engine, now=NOW) == 1
    assert complete_reported_unlinks(engine, now=NOW) == 0  # once
    with engine.connect() as conn:
        ruled = conn.execute(
            sa.select(decisions.c.decided_by, decisions.c.reason).where(decisions.c.record_a == rid)
        ).all()
    assert set(ruled) == {("rev", "DOBs")} and made.record_id == rid
    resolve(engine, now=NOW)
    daily = _links(engine)
    assert daily[rid] != person
    assert {daily[r] for r in members[person] if r not in (rid, partner)} == {person}
    with engine.connect() as conn:
        assert disputed(conn, [rid]) == {}
    resolve(engine, now=NOW, full=True)
    assert _links(engine) == daily
    engine.dispose()
