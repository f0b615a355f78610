"""Watches and alerts on a real store: two daily runs of a generated region through a
partner folder, with watches set between them by a police user; alerts made by the run's
alerts step for other agencies' new records only, e-mailed through a real SMTP server on
127.0.0.1 (aiosmtpd) with a count and a link and nothing else; a case lead told of other
agencies' look-ups with their purpose; and the web pages, each change and read audited."""

from __future__ import annotations

import json
import re
import shutil
import socket
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser
from pydantic import SecretStr

from mast.accounts.accounts import Accounts
from mast.audit.chain import AuditLog, Entry
from mast.core.db import open_store
from mast.core.settings import BUILTIN_FEEDS, Settings
from mast.daily import alerts
from mast.daily.run import DailyJob
from mast.demo.generate import generate
from mast.schema.tables import (
    alerts as alerts_table,
)
from mast.schema.tables import (
    audit_entries,
    files,
    persons,
    record_addresses,
    record_persons,
    records,
    watches,
)
from mast.web.app import create_app
from tests.e2e import test_ui
from tests.e2e.test_ui import _shot
from tests.support.api_server import PASSWORD, PURPOSE, form_token, running
from tests.support.demo_data import halves

pytestmark = pytest.mark.integration
END = date(2026, 10, 31)
WATCHER = "police-officer"
POLICE = "swp"
EMAIL = "officer@police.example"
DAY_ONE, DAY_TWO = datetime(2026, 11, 1, 2, 0), datetime(2026, 11, 2, 2, 0)


@dataclass
class Mailbox:
    """What the SMTP server on 127.0.0.1 received."""

    messages: list[tuple[list[str], Message]] = field(default_factory=list)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Days:
    settings: Settings
    engine: sa.Engine
    mailbox: Mailbox
    day_two_files: set[int]
    second: Any


@pytest.fixture(scope="module")
def days(tmp_path_factory: pytest.TempPathFactory, module_store: str | None) -> Iterator[Days]:
    """Day one through the daily run; every person then watched by a police user (who has
    an e-mail address); day two through the daily run, with an SMTP server listening."""
    base = tmp_path_factory.mktemp("alerts")
    generate(300, 7, base / "extracts", END)
    one, two = halves(base / "extracts", base / "days")
    drop, home = base / "drop", base / "home"
    drop.mkdir()
    home.mkdir()
    (home / "partners.yaml").write_text(f"partners:\n  - name: all\n    folder: {drop}\n")
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    smtp.start()
    settings = Settings(
        home=home,
        feeds=BUILTIN_FEEDS,
        workers=1,
        database_url=module_store,
        audit_key=SecretStr("test-audit-key, 32 bytes or more"),
        cookie_secure=False,
        schedule=False,
        alerts=True,
        public_url="https://mast.example",
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
    )
    engine = open_store(settings)
    try:
        for path in one:
            shutil.copy(path, drop)
        first = DailyJob(settings, engine).run(now=DAY_ONE)
        assert first.status == "ok"
        with engine.connect() as conn:
            everyone = conn.scalars(
                sa.select(persons.c.person_id).where(persons.c.retired_into.is_(None))
            ).all()
            before = set(conn.scalars(sa.select(files.c.file_id)))
        for person_id in everyone:
            alerts.add_watch(
                engine,
                username=WATCHER,
                agency=POLICE,
                subject_kind="person",
                subject_id=person_id,
                kind="records",
                now=DAY_ONE,
            )
        alerts.set_email(engine, WATCHER, EMAIL, now=DAY_ONE)
        for path in two:
            shutil.copy(path, drop)
        second = DailyJob(settings, engine).run(now=DAY_TWO)
        assert second.status == "ok", second
        with engine.connect() as conn:
            after = set(conn.scalars(sa.select(files.c.file_id)))
        yield Days(settings, engine, mailbox, after - before, second)
    finally:
        smtp.stop()
        engine.dispose()


def _expected(days: Days) -> Counter[tuple[str, str]]:
    """(person, agency) → records first loaded on day two from an agency not the police,
    for each watched person as the watch now names them (merges followed)."""
    with days.engine.connect() as conn:
        watched = set(conn.scalars(sa.select(watches.c.subject_id)))
        rows = conn.execute(
            sa.select(record_persons.c.person_id, records.c.agency)
            .join(records, records.c.record_id == record_persons.c.record_id)
            .where(records.c.first_file_id.in_(sorted(days.day_two_files)))
        ).all()
    return Counter((p, a) for p, a in rows if p in watched and a != POLICE)


def _alerts(days: Days) -> list[Any]:
    with days.engine.connect() as conn:
        return list(conn.execute(sa.select(alerts_table).order_by(alerts_table.c.alert_id)))


def test_a_day_alerts_on_other_agencies_records_and_never_the_watchers_own(days: Days) -> None:
    made = _alerts(days)
    got = Counter({(a.subject_id, a.agency): a.records for a in made})
    expected = _expected(days)
    assert got == expected
    assert all(a.kind == "records" and a.username == WATCHER for a in made)
    assert POLICE not in {a.agency for a in made}
    # The day brought both kinds for someone: the police's own records were left out.
    with days.engine.connect() as conn:
        police_new = set(
            conn.scalars(
                sa.select(record_persons.c.person_id)
                .join(records, records.c.record_id == record_persons.c.record_id)
                .where(
                    records.c.first_file_id.in_(sorted(days.day_two_files)),
                    records.c.agency == POLICE,
                )
            )
        )
    both = police_new & {p for p, _a in expected}
    assert both, "the generated day has no one with new police and other records"
    assert days.second.counts("alerts")["record_alerts"] == len(made)


def test_the_alerts_step_runs_after_the_graph_and_finds_nothing_twice(days: Days) -> None:
    steps = [s.step for s in days.second.steps]
    assert steps.index("alerts") == steps.index("graph") + 1
    before = len(_alerts(days))
    again = alerts.compute(days.engine, now=DAY_TWO)
    assert again["record_alerts"] == 0
    assert len(_alerts(days)) == before


def test_the_email_says_how_many_and_where_and_names_no_one(days: Days) -> None:
    made = _alerts(days)
    assert len(days.mailbox.messages) == 1
    to, mail = days.mailbox.messages[0]
    assert to == [EMAIL]
    body = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert f"There are {len(made)} new alerts" in body
    assert "https://mast.example/watching" in body
    assert "Mewngofnodwch" in body  # and in Welsh
    with days.engine.connect() as conn:
        names = conn.execute(sa.select(persons.c.given_name, persons.c.family_name)).all()
    words = set(re.findall(r"[\w'-]+", body))
    assert not any(n in words for pair in names for n in pair if n)
    assert not re.search(r"P\d{5}", body)
    assert all(a.emailed_at is not None for a in made)
    assert days.second.counts("alerts")["emails_sent"] == 1


def _open_case(days: Days) -> tuple[str, str]:
    """A person and the agency whose latest record of a case about them says open."""
    with days.engine.connect() as conn:
        rows = conn.execute(
            sa.select(record_persons.c.person_id, records.c.agency)
            .join(records, records.c.record_id == record_persons.c.record_id)
            .where(records.c.case_status == "open", records.c.agency != POLICE)
            .order_by(record_persons.c.person_id)
        ).all()
    for person_id, agency in rows:
        if alerts.leads_open_case(days.engine, agency, person_id):
            return str(person_id), str(agency)
    raise AssertionError("no open case in the generated region")


def test_a_case_lead_is_told_when_another_agency_looks_their_person_up(days: Days) -> None:
    person_id, agency = _open_case(days)
    assert not alerts.leads_open_case(days.engine, "no-such-agency", person_id)
    watch = alerts.add_watch(
        days.engine,
        username="case-lead",
        agency=agency,
        subject_kind="person",
        subject_id=person_id,
        kind="lookups",
        now=DAY_TWO,
    )
    audit = AuditLog.open(days.engine, days.settings)

    def read(who: str, by: str, operation: str, purpose: str) -> None:
        audit.append(
            Entry(
                username=who,
                role="investigator",
                agency=by,
                purpose=purpose,
                operation=operation,
                params={},
                result_ids=[person_id],
            )
        )

    read("colleague", agency, "person", "own agency's own look")
    read("detective", POLICE, "person", "s47 strategy discussion 9")
    read("detective", POLICE, "alerts", "reading one's alerts is not a look-up")
    made = alerts.compute(days.engine, now=DAY_TWO)
    assert made["lookup_alerts"] == 1
    with days.engine.connect() as conn:
        found = conn.execute(
            sa.select(alerts_table).where(alerts_table.c.watch_id == watch.watch_id)
        ).all()
    assert [(a.kind, a.agency, a.role, a.purpose) for a in found] == [
        ("lookup", POLICE, "investigator", "s47 strategy discussion 9")
    ]


# --- the web pages -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(days: Days) -> Iterator[str]:
    accounts = Accounts(days.engine, days.settings)
    if accounts.get("practitioner") is None:
        accounts.add(
            "practitioner",
            display_name="Test practitioner",
            role="practitioner",
            agency="wg-asc",
            password=PASSWORD,
        )
        accounts.add(
            "analyst", display_name="Test analyst", role="analyst", agency="swp", password=PASSWORD
        )
    with running(create_app(days.settings)) as url:
        yield url


@contextmanager
def _signed_in(url: str, username: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=60) as client:
        token = form_token(client)
        client.post("/login", data={"username": username, "password": PASSWORD, "csrf": token})
        client.post("/purpose", data={"purpose": PURPOSE, "csrf": form_token(client, "/purpose")})
        yield client


def _audited(days: Days, since: int, operation: str) -> list[dict[str, Any]]:
    with days.engine.connect() as conn:
        rows = conn.execute(
            sa.select(audit_entries).where(
                audit_entries.c.seq > since, audit_entries.c.operation == operation
            )
        ).all()
    return [r._asdict() for r in rows]


def _last_seq(days: Days) -> int:
    with days.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.max(audit_entries.c.seq))).scalar() or 0)


def police_record(days: Days, person_id: str) -> None:
    """A police record about the person, as a later file would load it; then the alerts
    step, as the daily run would run it."""
    with days.engine.begin() as conn:
        file_id = conn.execute(
            files.insert().values(
                feed="police",
                name=f"late-{person_id}.csv",
                size=1,
                sha256="0" * 64,
                status="loaded",
                received_at=DAY_TWO,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        record = conn.execute(
            sa.select(records)
            .join(record_persons, record_persons.c.record_id == records.c.record_id)
            .where(record_persons.c.person_id == person_id)
        ).first()
        assert record is not None
        new_id = f"police:late:{person_id}"
        changed = {"record_id": new_id, "agency": POLICE, "first_file_id": file_id}
        conn.execute(records.insert().values({**record._asdict(), **changed, "file_id": file_id}))
        conn.execute(
            record_persons.insert().values(record_id=new_id, profile_id="x", person_id=person_id)
        )
    alerts.compute(days.engine, now=DAY_TWO)


def _people(days: Days, n: int) -> list[str]:
    with days.engine.connect() as conn:
        return list(
            conn.scalars(
                sa.select(persons.c.person_id)
                .where(persons.c.retired_into.is_(None))
                .order_by(persons.c.person_id)
                .limit(n)
            )
        )


def test_watching_from_the_person_page_and_reading_alerts_are_audited(
    days: Days, site: str
) -> None:
    with days.engine.connect() as conn:
        person_id = conn.scalars(
            sa.select(persons.c.person_id)
            .where(persons.c.retired_into.is_(None))
            .order_by(persons.c.person_id)
        ).first()
    assert person_id is not None
    since = _last_seq(days)
    with _signed_in(site, "practitioner") as client:
        page = client.get(f"/people/{person_id}").text
        assert "Watch this person" in page
        token = form_token(client, f"/people/{person_id}")
        made = client.post(
            "/watch",
            data={"subject_kind": "person", "subject_id": person_id, "csrf": token},
        )
        assert made.status_code == 303 and made.headers["location"] == f"/people/{person_id}"
        assert "Stop watching" in client.get(f"/people/{person_id}").text
        [entry] = _audited(days, since, "watch")
        assert json.loads(entry["result_ids"]) == [person_id]
        assert entry["purpose"] == PURPOSE

        police_record(days, person_id)  # a day later, another agency records something
        home = client.get("/search").text
        assert re.search(r'href="/watching">Watching <span class="chip">1<', home)
        seen_from = _last_seq(days)
        watching = client.get("/watching").text
        assert "1 new since your last visit" in watching
        assert "1 new record from South Wales Police" in watching
        [read] = _audited(days, seen_from, "alerts")
        assert person_id in json.loads(read["result_ids"])
        assert "1 new since" not in client.get("/watching").text  # seen now
        assert 'class="chip"' not in client.get("/search").text

        watch_id = re.search(r'name="watch_id" value="(\d+)"', watching)
        assert watch_id is not None
        gone = client.post(
            "/unwatch",
            data={"watch_id": watch_id.group(1), "csrf": form_token(client, "/watching")},
        )
        assert gone.status_code == 303
        [removed] = _audited(days, since, "unwatch")
        assert json.loads(removed["result_ids"]) == [person_id]
        assert "You are not watching anyone" in client.get("/watching").text


def test_roles_that_do_not_watch_see_no_button_and_no_page(days: Days, site: str) -> None:
    with _signed_in(site, "analyst") as client:
        assert client.get("/watching").status_code == 404
        assert 'href="/watching"' not in client.get("/analysis").text


def test_alerts_are_off_by_default(tmp_path: Path) -> None:
    """Off unless asked for: no alerts step in the daily run."""
    settings = Settings(home=tmp_path, feeds=BUILTIN_FEEDS, workers=1)
    assert settings.alerts is False
    engine = open_store(settings)
    run = DailyJob(settings, engine).run(now=DAY_ONE)
    engine.dispose()
    assert "alerts" not in [s.step for s in run.steps]


browser = test_ui.browser  # the same chromium fixture, for this module's tests


@pytest.mark.parametrize("width", [1280, 360])
def test_a_practitioner_watches_in_the_browser_and_sees_what_is_new(
    days: Days, site: str, browser: Browser, width: int
) -> None:
    person_id = _people(days, 4)[2 if width == 1280 else 3]
    with days.engine.connect() as conn:
        address_id = conn.scalars(
            sa.select(record_addresses.c.address_id)
            .join(record_persons, record_persons.c.record_id == record_addresses.c.record_id)
            .where(record_persons.c.person_id == person_id)
        ).first()
    page = browser.new_page(viewport={"width": width, "height": 900}, bypass_csp=True)
    page.goto(f"{site}/login")
    page.fill("#username", "practitioner")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.fill("#purpose-text", PURPOSE)
    page.click("main button[type=submit]")

    page.goto(f"{site}/people/{person_id}")
    page.get_by_role("button", name="Watch this person").click()
    page.wait_for_url(f"**/people/{person_id}")
    assert page.get_by_role("button", name="Stop watching").is_visible()
    _shot(page, f"alerts-person-{width}")
    page.goto(f"{site}/addresses/{address_id}")
    page.get_by_role("button", name="Watch this address").click()
    assert page.get_by_role("button", name="Stop watching").is_visible()

    police_record(days, person_id)
    page.goto(f"{site}/search")
    link = page.get_by_role("link", name="Watching")
    assert "1 new" in (link.text_content() or "")
    link.click()
    page.wait_for_url("**/watching")
    assert page.locator("li.new").count() == 1
    assert "1 new record from South Wales Police" in page.locator("li.new").inner_text()
    _shot(page, f"alerts-watching-{width}")
    page.reload()
    assert page.locator("li.new").count() == 0  # seen on the first visit
    page.close()
