"""A MAST_HOME with a test feed, rows to write it, and the state store legs."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from mast.core.db import open_store
from mast.core.settings import Settings
from mast.loaders.feeds import load_feeds
from mast.loaders.ingest import FileResult, ingest_file
from mast.schema.feed import FeedDefinition
from mast.schema.tables import files, quarantine, records

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


STORES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
"""The store legs; `-m "not postgres"` deselects the PostgreSQL one."""

SQLITE_ONLY = pytest.mark.parametrize("state_url", ["sqlite"], indirect=True)
"""For a test of SQLite's own file (its mode, copying it, `mast backup`) in a module whose
other tests run on both stores: PostgreSQL's equivalents are the server's (pg_dump)."""


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path
