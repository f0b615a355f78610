"""The first run: `mast demo-accounts` (called by `make demo`) makes one account per role
with one printed password, which signs in; run again, it keeps the accounts and prints the
same password rather than making new ones."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mast.accounts.access import ROLES
from mast.accounts.accounts import Accounts
from mast.cli.main import app
from mast.core.db import open_store
from mast.core.settings import Settings


def _run(home: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    monkeypatch.setenv("MAST_HOME", str(home))
    result = CliRunner().invoke(app, ["demo-accounts", *args])
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())  # as one line, whatever the console wrapped


def _password(output: str) -> str:
    found = re.search(r"Password for every demo account: (\S+)", output)
    assert found is not None, output
    return found.group(1)


def test_demo_accounts_are_made_once_and_sign_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    first = _run(home, monkeypatch, "--url", "http://127.0.0.1:8000")
    password = _password(first)
    assert all(role in first for role in ROLES)
    assert "http://127.0.0.1:8000" in first and "for this demo only" in first
    assert stat.S_IMODE((home / "demo-password").stat().st_mode) == 0o600
    second = _run(home, monkeypatch)
    assert _password(second) == password  # the same accounts, the same password
    assert "http://" not in second  # built without serving: nothing to open
    settings = Settings(home=home)
    engine = open_store(settings)
    accounts = Accounts(engine, settings)
    assert sorted(u.username for u, _ in accounts.list()) == sorted(ROLES)
    for role in ROLES:
        assert accounts.login(role, password).role == role
    engine.dispose()
