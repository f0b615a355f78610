"""Shared fixtures: a fresh MAST_HOME per test, and small feed definitions written on the fly."""

from __future__ import annotations

import os
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mast.core.db import open_store
from mast.core.settings import Settings
from tests.support.harness import STORES, TEST_FEED, Harness

if TYPE_CHECKING:
    from tests.support.api_server import Api
    from tests.support.pg_server import Cluster

# Generated regions hold NHS numbers from the NHS test range only (999…), which a live home
# drops as placeholders: the suite's homes, and the `mast` commands it starts, keep them.
# Tests of the placeholder rule pass trust_test_nhs_numbers=False themselves.
os.environ.setdefault("MAST_TRUST_TEST_NHS_NUMBERS", "true")


# --- The state store under test: SQLite, and PostgreSQL on a server the session starts ----


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """A private PostgreSQL cluster for the whole session. If it cannot start, the PostgreSQL
    legs fail (CI must not pass without them), unless MAST_TEST_POSTGRES=0 skips them."""
    from tests.support.pg_server import PostgresUnavailable, running_cluster  # noqa: PLC0415

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


API_ON_BOTH_STORES = {"test_api", "test_audit_api"}
"""Modules whose API tests run against a server on each store; the others use SQLite's."""


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Always parametrized, "sqlite" alike everywhere, so every module shares SQLite's one
    # server (an unparametrized request would be cached apart and build another).
    if "api_store" in metafunc.fixturenames:
        both = metafunc.module.__name__.rpartition(".")[2] in API_ON_BOTH_STORES
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
    """One real API server per store for the session's API tests (see tests/support/api_server.py)."""
    from tests.support.api_server import build_home, serve  # noqa: PLC0415

    home = tmp_path_factory.mktemp(f"api-home-{api_store}")
    world = tmp_path_factory.mktemp("api-world")
    settings = build_home(home, world, database_url=store_url(request, api_store))
    yield from serve(settings)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Marked by where a test lives, not file by file: e2e/ drives a browser, integration/
    # starts servers or programs; `-m "not integration and not browser"` leaves unit/.
    here = Path(__file__).parent
    for item in items:
        if here / "e2e" in item.path.parents:
            item.add_marker(pytest.mark.browser)
        if here / "integration" in item.path.parents:
            item.add_marker(pytest.mark.integration)
