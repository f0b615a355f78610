"""Issue 24 item 5: the change feed. A partner app follows `changes(after:)` over HTTP across
a reviewer's unlink (a split) and link (a merge), page by page; a day's new records list
their new persons and events; a purge lists the persons it retires; a full run that keeps
the ids lists nothing. Real SQLite, DuckDB, Splink and a real server on 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import shutil
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from mast.accounts.access import ROLES
from mast.accounts.accounts import Accounts
from mast.api.gql_types import change_cursor, cursor
from mast.core.db import open_store
from mast.core.settings import Settings
from mast.daily.retention import audited_purge
from mast.demo.generate import generate
from mast.resolver import change_feed
from mast.resolver.disputes import report
from mast.resolver.rulings import decide, decide_item
from mast.resolver.service import resolve
from mast.schema.tables import persons, record_persons
from tests.support.api_server import PASSWORD, Api, serve
from tests.support.demo_data import extracts, halves, ingest, settings_for

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 2)
FEED = """query($after: String, $first: Int!) { changes(after: $after, first: $first) {
    pageInfo { hasNextPage endCursor } headCursor
    edges { cursor node { kind personId intoId eventId at } } } }"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate(400, 7, out, date(2026, 10, 31))
    return out


@pytest.fixture(scope="module")
def resolved(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("resolved")
    resolve(ingest(home, extracts(demo)), now=NOW)
    return home


def _links(engine: sa.Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(
            conn.execute(sa.select(record_persons.c.record_id, record_persons.c.person_id)).all()
        )


def _members(engine: sa.Engine) -> dict[str, list[str]]:
    members: dict[str, list[str]] = defaultdict(list)
    for rid, pid in sorted(_links(engine).items()):
        members[pid].append(rid)
    return members


def _feed(engine: sa.Engine) -> list[change_feed.Entry]:
    with engine.connect() as conn:
        return change_feed.read(conn, after=0, first=100_000)


@contextlib.contextmanager
def _server(resolved: Path, home: Path) -> Iterator[tuple[Api, sa.Engine]]:
    for part in resolved.glob("state.sqlite*"):
        shutil.copy(part, home / part.name)
    settings = Settings(**{**settings_for(home).model_dump(), "cookie_secure": False})
    engine = open_store(settings)
    accounts = Accounts(engine, settings)
    for role in ROLES:  # the server issues each role a token
        accounts.add(role, display_name=role, role=role, agency="test", password=PASSWORD)
    with contextlib.contextmanager(serve)(settings) as api:
        yield api, engine
    engine.dispose()


def _ask(client: httpx.Client, after: str | None, first: int = 100) -> dict[str, Any]:
    response = client.post(
        "/graphql", json={"query": FEED, "variables": {"after": after, "first": first}}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _follow(client: httpx.Client, after: str | None) -> tuple[list[tuple[Any, ...]], str | None]:
    """Every entry after `after`, a page of one at a time as a client loop reads them, and
    the cursor to go on from."""
    seen: list[tuple[Any, ...]] = []
    while True:
        body = _ask(client, after, first=1)
        assert "errors" not in body, body
        changes = body["data"]["changes"]
        for edge in changes["edges"]:
            node = edge["node"]
            seen.append((node["kind"], node["personId"], node["intoId"], node["eventId"]))
        after = changes["pageInfo"]["endCursor"]
        if not changes["pageInfo"]["hasNextPage"]:
            return seen, after


def test_a_partner_app_follows_the_feed_across_a_split_and_a_merge(
    resolved: Path, tmp_path: Path
) -> None:
    with _server(resolved, tmp_path) as (api, engine), api.client("practitioner") as client:
        # The store's first run lists nothing: no app held an id before it.
        first = _ask(client, None)["data"]["changes"]
        assert first == {
            "pageInfo": {"hasNextPage": False, "endCursor": None},
            "headCursor": None,
            "edges": [],
        }
        members = _members(engine)
        # A reviewer upholds "not this person" on one record of a person: it leaves them.
        person = next(p for p, rids in members.items() if len(rids) >= 4)
        moved = members[person][1]
        made = report(engine, moved, person_id=person, by="pat", reason="another girl", now=NOW)
        decide_item(engine, made.item_id, decision="unlink", by="rev", reason="two DOBs", now=NOW)
        assert resolve(engine, now=NOW).people.mode == "incremental"
        now_in = _links(engine)[moved]
        assert now_in != person
        with engine.connect() as conn:
            (event,) = change_feed.event_ids(conn, [moved]).values()
        split, read_to = _follow(client, None)
        assert split == [("SPLIT", person, now_in, None), ("EVENT", now_in, None, event)]

        # Then links two people with one record each: one id is merged into the other.
        one, two = [rids[0] for _, rids in sorted(members.items()) if len(rids) == 1][:2]
        decide(
            engine,
            record_a=one,
            record_b=two,
            decision="link",
            by="rev",
            reason="same NHS",
            now=NOW,
        )
        before = _links(engine)
        resolve(engine, now=NOW)
        survivor = _links(engine)[one]
        assert _links(engine)[two] == survivor
        retired = ({before[one], before[two]} - {survivor}).pop()
        with engine.connect() as conn:
            into = conn.execute(
                sa.select(persons.c.retired_into).where(persons.c.person_id == retired)
            ).scalar()
        assert into == survivor
        merged, read_to = _follow(client, read_to)  # only what is new since the split
        assert merged == [("MERGED", retired, survivor, None)]

        # A full run that keeps every id lists nothing; the cursor stays where it was.
        resolve(engine, now=NOW, full=True)
        again = _ask(client, read_to)["data"]["changes"]
        assert again["edges"] == [] and again["pageInfo"]["endCursor"] == read_to
        assert again["headCursor"] == read_to

        # Audited like any read, with every id it returned.
        since = api.last_seq()
        _ask(client, None)
        (entry,) = api.audited_since(since)
        assert entry["role"] == "practitioner" and entry["outcome"] == "ok"
        assert json.loads(entry["params"])["action"] == "changes-api"
        assert {person, now_in, event, retired, survivor} <= set(json.loads(entry["result_ids"]))

    # Roles that do not read people do not read the feed either: it looks like not found.
    (tmp_path / "other").mkdir()
    with _server(resolved, tmp_path / "other") as (api, _):
        for role in ("admin", "auditor"):
            with api.client(role) as denied:
                errors = _ask(denied, None)["errors"]
            assert [e["extensions"]["code"] for e in errors] == ["NOT_FOUND"]


def test_a_cursor_the_feed_does_not_hold_is_refused(resolved: Path, tmp_path: Path) -> None:
    with _server(resolved, tmp_path) as (api, engine), api.client("investigator") as client:
        with engine.begin() as conn:
            change_feed.append(
                conn,
                [
                    change_feed.Change("retired", "P00000001"),
                    change_feed.Change("created", "P00009999"),
                ],
                at=NOW,
            )
        body = _ask(client, None, first=1)["data"]["changes"]
        old = body["pageInfo"]["endCursor"]
        assert body["pageInfo"]["hasNextPage"] and body["edges"][0]["node"]["kind"] == "CREATED"
        for bad in ("not a cursor", cursor(0)):  # nor a cursor of another list
            assert [e["extensions"]["code"] for e in _ask(client, bad)["errors"]] == [
                "BAD_USER_INPUT"
            ]
        # A cursor past the newest entry: a store restored from an older backup.
        assert _ask(client, change_cursor(3))["errors"][0]["extensions"]["code"] == "CURSOR_EXPIRED"
        # Retention prunes the first entry: a cursor before it has lost changes.
        with engine.begin() as conn:
            assert change_feed.prune(conn, before=NOW + timedelta(seconds=1)) == 2
        assert _ask(client, old)["errors"][0]["extensions"]["code"] == "CURSOR_EXPIRED"
        head = _ask(client, None)["data"]["changes"]
        assert head["edges"] == [] and head["headCursor"] == change_cursor(2)
        assert "errors" not in _ask(client, head["headCursor"])
        # Numbers go on after the pruned ones: a cursor never names two entries.
        with engine.begin() as conn:
            change_feed.append(conn, [change_feed.Change("created", "P00009998")], at=NOW)
        (edge,) = _ask(client, head["headCursor"])["data"]["changes"]["edges"]
        assert edge["cursor"] == change_cursor(3)


def test_a_day_lists_new_persons_and_events_and_a_purge_the_persons_it_retires(
    demo: Path, tmp_path: Path
) -> None:
    first, second = halves(demo, tmp_path / "halves")
    engine = ingest(tmp_path / "home", first)
    resolve(engine, now=NOW)
    assert _feed(engine) == []
    had = set(_links(engine))
    with engine.connect() as conn:
        stored = set(conn.execute(sa.select(persons.c.person_id)).scalars())
    ingest(tmp_path / "home", second)
    assert resolve(engine, now=NOW).people.mode == "incremental"
    entries = _feed(engine)
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    with engine.connect() as conn:
        active = set(
            conn.execute(
                sa.select(persons.c.person_id).where(persons.c.retired_into.is_(None))
            ).scalars()
        )
    introduced = {e.person_id for e in entries if e.kind == "created"} | {
        e.into_id for e in entries if e.kind == "split"
    }
    assert introduced == active - stored and introduced
    links = _links(engine)
    new = {rid: pid for rid, pid in links.items() if rid not in had}
    with engine.connect() as conn:
        event_of = change_feed.event_ids(conn, new)
    listed = {(e.person_id, e.event_id) for e in entries if e.kind == "event"}
    assert {(pid, event_of[rid]) for rid, pid in new.items()} <= listed
    assert all(e.event_id is None for e in entries if e.kind != "event")

    # A purge of the records before a day retires those left with none.
    settings = settings_for(tmp_path / "home")
    cutoff_now = NOW + timedelta(days=settings.retention_days - 200)
    audited_purge(engine, settings, now=cutoff_now, by="test")
    resolve(engine, now=cutoff_now)
    with engine.connect() as conn:
        after = set(
            conn.execute(
                sa.select(persons.c.person_id).where(persons.c.retired_into.is_(None))
            ).scalars()
        )
    later = [e for e in _feed(engine) if e.seq > len(entries)]
    gone = active - after
    merged = {e.person_id for e in later if e.kind == "merged"}
    assert gone, "the purge should leave someone with no records"
    assert {e.person_id for e in later if e.kind == "retired"} == gone - merged


def test_a_day_that_fails_part_way_lists_nothing_and_its_replay_lists_each_change_once(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The entries are written in the day's own transaction: a day that dies after writing
    its people (here, as it queues review items) leaves no entry, and the run again lists
    each change once, under the numbers a day that never failed gives them."""
    first, second = halves(demo, tmp_path / "halves")
    homes = {name: tmp_path / name for name in ("clean", "failed")}
    engines = {}
    for name, home in homes.items():
        engines[name] = ingest(home, first)
        resolve(engines[name], now=NOW)
        ingest(home, second)
    resolve(engines["clean"], now=NOW)
    clean = _feed(engines["clean"])
    assert clean

    def dies(*_: Any, **__: Any) -> int:
        raise RuntimeError("killed")

    with monkeypatch.context() as patched:
        patched.setattr("mast.resolver.people.day.queue_for_review", dies)
        with pytest.raises(RuntimeError):
            resolve(engines["failed"], now=NOW)
    assert _feed(engines["failed"]) == []
    resolve(engines["failed"], now=NOW)
    assert _feed(engines["failed"]) == clean
