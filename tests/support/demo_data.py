"""Generated demo data for integration tests: extracts, day-by-day halves, a loaded store."""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa

from mast.core.db import open_store
from mast.core.settings import BUILTIN_FEEDS, Settings
from mast.loaders.batch import ingest_paths
from mast.loaders.feeds import feed_for, load_feeds
from mast.loaders.ingest import FileResult

HOME_URLS: dict[Path, str] = {}
"""Homes whose state store is a PostgreSQL database (`module_store`, tests/conftest.py)."""


def settings_for(home: Path, database_url: str | None = None) -> Settings:
    """A home's settings; the state store is `database_url` if given, else the one
    registered for the home, else MAST_DATABASE_URL if set (the `state_url` fixture), else
    the home's SQLite file."""
    database_url = database_url or HOME_URLS.get(home)
    if database_url is None:
        return Settings(home=home, feeds=BUILTIN_FEEDS, workers=1)
    return Settings(home=home, feeds=BUILTIN_FEEDS, workers=1, database_url=database_url)


def ingest(home: Path, files: list[Path], database_url: str | None = None) -> sa.Engine:
    settings = settings_for(home, database_url)
    ingest_paths(settings, files, load_feeds(BUILTIN_FEEDS))
    return open_store(settings)


def extracts(demo: Path) -> list[Path]:
    return sorted(p for p in demo.iterdir() if p.is_file())


def truth_rows(folder: Path) -> list[dict[str, str]]:
    """The generator's ground truth: one row per generated row, with what should become of it."""
    with (folder / "truth/records.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def check_every_row_accounted(
    results: Sequence[FileResult], truth: list[dict[str, str]], stored_ids: set[str]
) -> None:
    """Every generated row is stored, quarantined or a duplicate, as the truth says it
    should be, and the records stored are exactly the rows it says load."""
    expected = Counter(row["expect"] for row in truth)
    totals: Counter[str] = Counter()
    for r in results:
        totals.update(
            rows_in=r.rows_in, stored=r.stored, quarantined=r.quarantined, duplicates=r.duplicates
        )
    assert totals["rows_in"] == len(truth)
    assert totals["quarantined"] == expected["quarantined"]
    assert totals["duplicates"] == expected["duplicate"]
    assert totals["stored"] == expected["loaded"] == len(stored_ids)
    assert stored_ids == {
        f"{t['feed']}:{t['source_record_id']}" for t in truth if t["expect"] == "loaded"
    }


def halves(demo: Path, out: Path) -> tuple[list[Path], list[Path]]:
    """Each extract cut in two: today's file and tomorrow's, as a partner would send them."""
    feeds = load_feeds(BUILTIN_FEEDS)
    out.mkdir()
    first, second = [], []
    for path in extracts(demo):
        feed = feed_for(path.name, feeds)
        with path.open(encoding=feed.encoding, newline="") as fh:
            rows = list(csv.reader(fh, delimiter=feed.delimiter))
        header, body = rows[0], rows[1:]
        cut = len(body) // 2
        tomorrow = path.name.replace("20261031", "20261101").replace("2026-10-31", "2026-11-01")
        for name, part, bucket in ((path.name, body[:cut], first), (tomorrow, body[cut:], second)):
            target = out / name
            with target.open("w", encoding=feed.encoding, newline="") as fh:
                csv.writer(fh, delimiter=feed.delimiter).writerows([header, *part])
            bucket.append(target)
    return first, second


def copy_home(home: Path, copy: Path, *ignore: str) -> None:
    """Copy a home's files (but `ignore` patterns); a copy of a PostgreSQL home reads the
    same database (these copies only read the state store)."""
    shutil.copytree(home, copy, ignore=shutil.ignore_patterns(*ignore))
    if home in HOME_URLS:
        HOME_URLS[copy] = HOME_URLS[home]
