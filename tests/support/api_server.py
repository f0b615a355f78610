"""A real MAST API for tests: a generated region loaded, resolved and built into the graph,
one account per role, and uvicorn serving it on 127.0.0.1 from a thread of this process
(the one process that owns the embedded graph)."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI

from mast.accounts.access import ROLES
from mast.accounts.accounts import Accounts
from mast.core.db import open_store
from mast.core.settings import Settings
from mast.demo.generate import generate
from mast.graph.build import refresh
from mast.resolver.service import resolve
from mast.schema.tables import audit_entries
from mast.web.app import create_app
from tests.support.demo_data import extracts, ingest, settings_for

PASSWORD = "a long enough test password"  # noqa: S105 - test accounts only
PURPOSE = "test: child protection enquiry 42"


@dataclass
class Api:
    url: str
    home: Path
    settings: Settings
    tokens: dict[str, str]
    """role → bearer token of that role's account (username = role)."""
    app: FastAPI

    def cypher(self, text: str) -> list[list[Any]]:
        """Rows of an analyst's read-only Cypher, over HTTP like any analyst."""
        with self.client("analyst") as client:
            response = client.post("/cypher", json={"cypher": text})
        assert response.status_code == 200, response.text
        rows: list[list[Any]] = response.json()["rows"]
        return rows

    def last_seq(self) -> int:
        """The number of the newest audit entry (0 when there is none)."""
        engine = open_store(self.settings)
        with engine.connect() as conn:
            seq = conn.execute(sa.select(sa.func.max(audit_entries.c.seq))).scalar()
        engine.dispose()
        return int(seq or 0)

    def audited_since(self, seq: int) -> list[dict[str, Any]]:
        """Audit entries after entry `seq`, oldest first."""
        engine = open_store(self.settings)
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(audit_entries)
                .where(audit_entries.c.seq > seq)
                .order_by(audit_entries.c.seq)
            ).all()
        engine.dispose()
        return [r._asdict() for r in rows]

    def point_commands_here(self, monkeypatch: Any) -> None:
        """`mast` commands the test runs use this home and its state store."""
        monkeypatch.setenv("MAST_HOME", str(self.home))
        if self.settings.database_url:
            monkeypatch.setenv("MAST_DATABASE_URL", self.settings.database_url)
        else:
            monkeypatch.delenv("MAST_DATABASE_URL", raising=False)

    def client(self, role: str | None = None, *, purpose: str | None = PURPOSE) -> httpx.Client:
        headers = {}
        if role:
            headers["Authorization"] = f"Bearer {self.tokens[role]}"
        if purpose:
            headers["X-MAST-Purpose"] = purpose
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)


def form_token(client: httpx.Client, path: str = "/login") -> str:
    """The session's CSRF token, as a web form on `path` carries it (the client keeps the
    session cookie the page set)."""
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found is not None, f"no CSRF token in the form on {path}"
    return found.group(1)


def build_home(home: Path, world: Path, database_url: str | None = None) -> Settings:
    generate(1500, 11, world, date(2026, 10, 31))
    settings = Settings(
        **{
            **settings_for(home, database_url).model_dump(),
            "cookie_secure": False,
            "database_url": database_url,
        }
    )
    engine = ingest(home, extracts(world), database_url)
    resolve(engine, now=datetime(2026, 11, 2))
    refresh(engine, settings, full=True)
    accounts = Accounts(engine, settings)
    for role in ROLES:
        accounts.add(role, display_name=f"Test {role}", role=role, agency="test", password=PASSWORD)
    engine.dispose()
    return settings


def serve(settings: Settings) -> Iterator[Api]:
    engine = open_store(settings)
    accounts = Accounts(engine, settings)
    tokens = {}
    for role in ROLES:
        user = accounts.get(role)
        assert user is not None
        tokens[role] = accounts.issue(user, kind="token", label="tests")
    engine.dispose()
    app = create_app(settings)
    with running(app) as url:
        yield Api(url, settings.home, settings, tokens, app)


_REFUSE = {
    "sqlite": [
        "CREATE TRIGGER audit_down BEFORE INSERT ON audit_entries "
        "BEGIN SELECT RAISE(ABORT, 'audit store unwritable'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION audit_down() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit store unwritable'; END $$",
        "CREATE TRIGGER audit_down BEFORE INSERT ON audit_entries "
        "FOR EACH ROW EXECUTE FUNCTION audit_down()",
    ],
}
_ACCEPT = {
    "sqlite": ["DROP TRIGGER audit_down"],
    "postgresql": ["DROP TRIGGER audit_down ON audit_entries", "DROP FUNCTION audit_down()"],
}


@contextmanager
def audit_unwritable(settings: Settings) -> Iterator[None]:
    """The audit store refuses every entry (a trigger, in the store's own dialect); the rest
    of the state store still takes writes."""
    engine = open_store(settings)
    dialect = engine.dialect.name
    with engine.begin() as conn:
        for statement in _REFUSE[dialect]:
            conn.exec_driver_sql(statement)
    try:
        yield
    finally:
        with engine.begin() as conn:
            for statement in _ACCEPT[dialect]:
                conn.exec_driver_sql(statement)
        engine.dispose()


@contextmanager
def running(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on a free loopback port, from a thread; its URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
