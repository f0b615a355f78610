"""Every CSV MAST writes on the server side — `mast export links`, a report's `--csv`, the web
UI's report download — read back with the csv module: a cell a spreadsheet would run as a
formula (= + - @, tab, CR first) is escaped. The oracle is the files themselves, not
`csv_safe`."""

from __future__ import annotations

import csv
import io
import shutil
import textwrap
from datetime import datetime
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from mast.accounts.accounts import Accounts
from mast.cli.main import app as cli
from mast.core.db import open_store
from mast.core.settings import Settings
from mast.graph.build import refresh
from mast.loaders.batch import ingest_paths
from mast.loaders.feeds import load_feeds
from mast.resolver.service import resolve
from mast.schema.tables import records
from mast.web.app import create_app
from tests.support.api_server import PASSWORD, running

pytestmark = pytest.mark.integration

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = ["=1+1", "+44 1792", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]
# What survives ingest (cleansing drops control characters) and shows in a chronology.
SURVIVING = {*HOSTILE[:4], '=HYPERLINK("http://x")'}

FEED = """
feed: hostile
agency: {id: h, name: "=HYPERLINK(\\"http://x\\")", kind: police}
files: ["hostile_*.csv"]
record_id: [id]
fields:
  event_ref: {column: ref}
  occurred_at: {column: when, formats: ["%d/%m/%Y"]}
  full_name: {column: name, split: surname_comma_forenames}
  dob: {column: dob, formats: ["%d/%m/%Y"]}
  address: {column: address}
  postcode: {column: postcode}
  category: {column: category}
  event_kind: {value: occurrence}
  role: {value: Suspect}
"""


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def read_back(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:  # keep a CR inside a cell as it is
        return list(csv.reader(fh))


def assert_escaped(rows: list[list[str]], expected: set[str]) -> None:
    """No cell starts a formula, and each hostile value came through with its quote."""
    flat = [cell for row in rows for cell in row]
    assert not [c for c in flat if c.startswith(FORMULA_START)]
    assert {"'" + h for h in expected} <= set(flat)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """One person with six events whose category and reference are each a formula."""
    root = tmp_path_factory.mktemp("csv-home")
    feeds = root / "feeds"
    feeds.mkdir()
    (feeds / "hostile.yaml").write_text(textwrap.dedent(FEED))
    settings = Settings(home=root / "home", feeds=feeds, workers=1, cookie_secure=False)
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(["id", "ref", "when", "name", "dob", "address", "postcode", "category"])
    for n, value in enumerate(HOSTILE, 1):
        writer.writerow(
            [
                n,
                value,
                f"0{n}/10/2026",
                "JONES, Sian",
                "02/04/1990",
                "14 Heol Wyr, Swansea",
                "SA2 9AB",
                value,
            ]
        )
    source = root / "hostile_1.csv"
    source.write_text(out.getvalue(), encoding="utf-8")
    ingest_paths(settings, [source], load_feeds(feeds))
    engine = open_store(settings)
    resolve(engine, now=datetime(2026, 11, 2))
    refresh(engine, settings, full=True)
    Accounts(engine, settings).add(
        "analyst", display_name="A", role="analyst", agency="t", password=PASSWORD
    )
    engine.dispose()
    return settings


def env_of(settings: Settings) -> dict[str, str]:
    return {"MAST_HOME": str(settings.home), "MAST_FEEDS": str(settings.feeds)}


def person_of(settings: Settings) -> str:
    engine = open_store(settings)
    with engine.connect() as conn:
        from mast.schema.tables import record_persons  # noqa: PLC0415

        person = conn.execute(sa.select(record_persons.c.person_id).limit(1)).scalar_one()
    engine.dispose()
    return str(person)


def test_the_cli_report_csv_is_escaped(home: Settings, tmp_path: Path) -> None:
    out = tmp_path / "chronology.csv"
    result = CliRunner().invoke(
        cli,
        [
            "report",
            "person_chronology",
            "--param",
            f"person_id={person_of(home)}",
            "--param",
            "from=2026-01-01",
            "--csv",
            str(out),
            "--purpose",
            "test: csv export",
        ],
        env=env_of(home),
    )
    assert result.exit_code == 0, result.output
    assert_escaped(read_back(out), SURVIVING)


def test_the_cli_cypher_csv_is_escaped(home: Settings, tmp_path: Path) -> None:
    """Tab and CR do not survive cleansing, so analyst Cypher hands every start in as text."""
    out = tmp_path / "cypher.csv"
    params = [arg for n, h in enumerate(HOSTILE) for arg in ("--param", f"v{n}={h}")]
    columns = ", ".join(f"$v{n} AS v{n}" for n in range(len(HOSTILE)))
    result = CliRunner().invoke(
        cli,
        ["cypher", f"RETURN {columns}", *params, "--csv", str(out), "--purpose", "test: csv"],
        env=env_of(home),
    )
    assert result.exit_code == 0, result.output
    assert_escaped(read_back(out), set(HOSTILE))


def test_the_web_report_download_is_escaped(home: Settings) -> None:
    person = person_of(home)
    with running(create_app(home)) as url, httpx.Client(base_url=url) as client:
        signed_in = {"username": "analyst", "password": PASSWORD, "purpose": "test: csv"}
        assert client.post("/auth/login", json=signed_in).status_code == 200
        response = client.get(
            "/analysis/person_chronology/csv",
            params={"person_id": person, "from": "2026-01-01", "run": "1"},
        )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert_escaped(cells(response.text), SURVIVING)


def test_the_links_export_is_escaped(home: Settings, tmp_path: Path) -> None:
    """Record ids are `feed:id` after ingest; the export must still escape whatever the store
    holds, so a copy of the store is given hostile ids directly."""
    copy = tmp_path / "home"
    shutil.copytree(home.home, copy)
    settings = Settings(home=copy, feeds=home.feeds, workers=1)
    engine = open_store(settings)
    with engine.begin() as conn:
        ids = conn.execute(sa.select(records.c.record_id).order_by(records.c.record_id)).scalars()
        for old, new in zip(list(ids), HOSTILE, strict=True):
            conn.execute(records.update().where(records.c.record_id == old).values(record_id=new))
    engine.dispose()
    out = tmp_path / "links.csv"
    result = CliRunner().invoke(cli, ["export", "links", "--out", str(out)], env=env_of(settings))
    assert result.exit_code == 0, result.output
    rows = read_back(out)
    assert len(rows) == 1 + len(HOSTILE)
    assert_escaped(rows, set(HOSTILE))
