"""Shared fixtures: a fresh MAST_HOME per test, and small feed definitions written on the fly."""

from __future__ import annotations

import os
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa

from mast.core.db import open_store
from mast.core.settings import Settings
from mast.loaders.feeds import load_feeds
from mast.loaders.ingest import FileResult, ingest_file
from mast.schema.feed import FeedDefinition
from mast.schema.tables import files, quarantine, records

if TYPE_CHECKING:
    from api_server import Api
    from pg_server import Cluster

# Generated regions hold NHS numbers from the NHS test range only (999…), which a live home
# drops as placeholders: the suite's homes, and the `mast` commands it starts, keep them.
# Tests of the placeholder rule pass trust_test_nhs_numbers=False themselves.
os.environ.setdefault("MAST_TRUST_TEST_NHS_NUMBERS", "true")

TEST_FEED = """
feed: test
agency: {id: t, name: Test Partner, kind: police}
files: ["test_*.csv", "test_*.txt"]
encoding: ENCODING
delimiter: "DELIM"
record_id: [id]
fields:
  occurred_at: {column: when, formats: ["%d/%m/%Y", "%d/%m/%Y %H:%M", "excel"]}
  full_name: {column: name, split: surname_comma_forenames}
  dob: {column: dob, formats: ["%d/%m/%Y", "excel"]}
  nhs_number: {column: nhs, optional: true}
  address: {column: address, optional: true}
  postcode: {column: postcode, optional: true}
  sex: {column: sex, optional: true}
"""


HEADER = "id,when,name,dob,nhs,address,postcode,sex\n"
GOOD = '1,01/03/2026,"JONES, Siân",02/04/1990,9434765919,"14 Heol Ŵyr, Sketty, Swansea",SA2 9AB,F\n'


class Harness:
    """A MAST_HOME with the test feed (or the shipped feeds), and helpers to ingest and count."""

    def __init__(self, home: Path, feeds_dir: Path) -> None:
        self.home = home
        self.settings = Settings(home=home, feeds=feeds_dir, workers=1)
        self.engine = open_store(self.settings)
        self.feeds: dict[str, FeedDefinition] = load_feeds(feeds_dir)

    def ingest(self, path: Path, **kw: object) -> FileResult:
        return ingest_file(self.engine, self.settings, path, self.feeds, **kw)  # type: ignore[arg-type]

    def count(self, table: sa.Table = records) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())

    def rows(self, table: sa.Table = records) -> list[sa.Row[tuple[object, ...]]]:
        with self.engine.connect() as conn:
            return list(conn.execute(sa.select(table)))

    def digest(self) -> tuple[int, int, int, tuple[str, ...]]:
        """What a rejected or replayed file must not change."""
        with self.engine.connect() as conn:
            hashes = tuple(sorted(conn.execute(sa.select(records.c.row_hash)).scalars()))
        return self.count(), self.count(quarantine), len(hashes), hashes

    def loaded_files(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count()).select_from(files).where(files.c.status == "loaded")
                ).scalar_one()
            )


# --- The state store under test: SQLite, and PostgreSQL on a server the session starts ----

STORES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
"""The store legs; `-m "not postgres"` deselects the PostgreSQL one."""


SQLITE_ONLY = pytest.mark.parametrize("state_url", ["sqlite"], indirect=True)
"""For a test of SQLite's own file (its mode, copying it, `mast backup`) in a module whose
other tests run on both stores: PostgreSQL's equivalents are the server's (pg_dump)."""


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """A private PostgreSQL cluster for the whole session. If it cannot start, the PostgreSQL
    legs fail (CI must not pass without them), unless MAST_TEST_POSTGRES=0 skips them."""
    from pg_server import PostgresUnavailable, running_cluster  # noqa: PLC0415

    if os.environ.get("MAST_TEST_POSTGRES", "1") == "0":
        pytest.skip("MAST_TEST_POSTGRES=0: the PostgreSQL legs are off")
    try:
        cluster = running_cluster()
        started = cluster.__enter__()
    except PostgresUnavailable as e:
        pytest.fail(f"PostgreSQL would not start ({e}); set MAST_TEST_POSTGRES=0 to skip")
    try:
        # The store's tables made once, in the template every test's database copies:
        # making them is most of the cost of a new database.
        engine = open_store(Settings(home=Path(), database_url=started.create_database("made")))
        engine.dispose()
        started.template = "made"
        yield started
    finally:
        cluster.__exit__(None, None, None)


def store_url(request: pytest.FixtureRequest, store: str) -> str | None:
    """None for SQLite (the home's own file); else a fresh PostgreSQL database's URL,
    dropped when the requesting fixture's scope ends."""
    if store == "sqlite":
        return None
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = cluster.create_database(name)
    request.addfinalizer(lambda: cluster.drop_database(name))
    return url


@pytest.fixture(params=STORES)
def state_url(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str | None:
    """Run the test once per store: MAST_DATABASE_URL points every Settings the test makes,
    and every `mast` command it starts, at a database of its own (unset for SQLite)."""
    url = store_url(request, request.param)
    if url is None:
        monkeypatch.delenv("MAST_DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("MAST_DATABASE_URL", url)
    return url


@pytest.fixture
def new_store(state_url: str | None, request: pytest.FixtureRequest) -> Callable[[], str | None]:
    """Make another empty store on the test's leg, for a test with several homes: None on
    SQLite (each home has its own file), else a new database's URL."""
    return lambda: None if state_url is None else store_url(request, "postgresql")


@pytest.fixture(scope="module", params=STORES)
def module_store(request: pytest.FixtureRequest) -> str | None:
    """For a module whose home is built once and shared by its tests: the store it is
    built on (None: SQLite); tests using that home run once per store."""
    return store_url(request, request.param)


@pytest.fixture
def make_harness(tmp_path: Path) -> Callable[..., Harness]:
    def make(encoding: str = "utf-8", delimiter: str = ",", shipped: bool = False) -> Harness:
        feeds_dir = tmp_path / "feeds"
        if shipped:
            from mast.core.settings import BUILTIN_FEEDS  # noqa: PLC0415

            feeds_dir = BUILTIN_FEEDS
        else:
            feeds_dir.mkdir(exist_ok=True)
            text = TEST_FEED.replace("ENCODING", encoding).replace(
                "DELIM", delimiter.replace("\t", "\\t")
            )
            (feeds_dir / "test.yaml").write_text(textwrap.dedent(text))
        return Harness(tmp_path / "home", feeds_dir)

    return make


@pytest.fixture
def harness(make_harness: Callable[..., Harness]) -> Harness:
    return make_harness()


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


API_ON_BOTH_STORES = {"test_api", "test_audit_api"}
"""Modules whose API tests run against a server on each store; the others use SQLite's."""


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Always parametrized, "sqlite" alike everywhere, so every module shares SQLite's one
    # server (an unparametrized request would be cached apart and build another).
    if "api_store" in metafunc.fixturenames:
        both = metafunc.module.__name__ in API_ON_BOTH_STORES
        metafunc.parametrize(
            "api_store", STORES if both else ["sqlite"], indirect=True, scope="session"
        )


@pytest.fixture(scope="session")
def api_store(request: pytest.FixtureRequest) -> str:
    """The store behind the session's API server (parametrized above)."""
    return str(request.param)


@pytest.fixture(scope="session")
def api(
    api_store: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    """One real API server per store for the session's API tests (see tests/api_server.py)."""
    from api_server import build_home, serve  # noqa: PLC0415

    home = tmp_path_factory.mktemp(f"api-home-{api_store}")
    world = tmp_path_factory.mktemp("api-world")
    settings = build_home(home, world, database_url=store_url(request, api_store))
    yield from serve(settings)
