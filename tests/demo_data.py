"""Generated demo data for integration tests: extracts, day-by-day halves, a loaded store."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import sqlalchemy as sa

from mast.core.db import open_store
from mast.core.settings import BUILTIN_FEEDS, Settings
from mast.loaders.batch import ingest_paths
from mast.loaders.feeds import feed_for, load_feeds

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
