"""Any sequence of days leaves what a full rebuild from the same records leaves (issue 24
item 6): a Hypothesis property over the real daily run.

An example is a plan: two to four days, the retention window moving between them by a
random number of days (so records fall out of it: purges), each generated partner row
arriving on one of the days, and corrections (a later file sending a row again, for the
same source record, with one value taken from another row of the same extract). The days
go through `DailyJob.run` on a folder partner, each at its own `as_of` with the clock held
there: pull and ingest, the audited purge, the incremental resolve, the graph delta.

The rebuild is the days' state store copied to a fresh home and resolved again in full
(every record profiled, every pair scored, everything clustered, with the model the days
kept: the property is about incremental against full, not about learning), its graph
built whole. The store (records, persons, addresses, profiles, record links) and the graph
must be equal. Separately, every file given at once to a fresh home and purged as the days
last purged must leave the records the days kept.

Why a copy, not a fresh home: a profile's id hashes its fields, its address id among them,
and clustering breaks an exact tie of weights by profile id. A fresh home numbers places in
another order, so on a tie it can attach a record to the other of two candidates (found: two
health records of one hospital number, one corrected to another NHS number, each scoring
12.246 against the same person). That is a property of numbering, not of days, so the
rebuild starts from the days' numbering.

Ids are still compared up to renaming. A person or address id is minted in order and never
reused; a full run gives each cluster the id most of its records had, so ids match where
clusters do, and where they do not, records say more than ids: each person and address is
named by the records it holds (its smallest record id), and store and graph are compared
under that naming. Where the graph's values follow the order of ids (a household pair's
direction, the order of its evidence), the comparison ignores the order, not the value.

`MAST_PROPERTY_EXAMPLES=50` runs more examples locally (the default keeps `make test`
near a minute); `MAST_PROPERTY_SHRINK=1` lets Hypothesis minimise a failure (an example
costs seconds, so shrinking takes minutes and is off by default).
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import sqlite3
from collections import defaultdict
from collections.abc import Collection, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, example, given, note, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from mast.core import clock
from mast.core.db import open_store
from mast.core.settings import BUILTIN_FEEDS, Settings
from mast.daily.retention import audited_purge
from mast.daily.run import DailyJob
from mast.demo.generate import generate
from mast.graph import open_graph
from mast.graph.build import refresh
from mast.loaders.batch import ingest_paths
from mast.loaders.feeds import feed_for, load_feeds
from mast.resolver.service import resolve
from mast.schema.feed import FeedDefinition, event_feeds
from mast.schema.tables import (
    addresses,
    person_profiles,
    persons,
    record_addresses,
    record_persons,
    records,
)
from tests.integration.graph.test_graph import digest

pytestmark = pytest.mark.integration

PEOPLE = 250
END = date(2026, 10, 31)
FIRST = datetime(2026, 11, 1, 2, 0)
"""The first day's run; the demo's records span the year before END."""
RETENTION_DAYS = 365
MAX_DAYS = 4
MAX_GAP = 150
"""Days between two runs: 0 (two runs on one day) to months, so the window moves."""
EXAMPLES = int(os.environ.get("MAST_PROPERTY_EXAMPLES", "2"))
SHRINK = os.environ.get("MAST_PROPERTY_SHRINK") == "1"
FEEDS = load_feeds(BUILTIN_FEEDS)
MINTED = re.compile(r"\b[AP]\d{8,}\b")
"""A minted address or person id (`resolver.bookkeeping.id_minter`) inside a text value."""
PROFILE_FIELDS = {c.name for c in person_profiles.c} - {"profile_id", "person_id"}
"""What a profile is, but its id and its person."""
FILE_COLUMNS = {"file_id", "line_no", "first_file_id"}
"""Which file a record came in: the rebuild takes the same files in another order."""


# --- the partners' rows ----------------------------------------------------------------


@dataclass(frozen=True)
class Extract:
    """One generated partner file, cut into rows to send on different days."""

    path: Path
    feed: FeedDefinition
    encoding: str
    header: list[str]
    rows: list[list[str]]
    id_columns: frozenset[int]
    """The columns of the source record id: a correction keeps them."""

    def named(self, at: datetime, day: int) -> str:
        stamp = f"{at:%Y%m%d}-{day}"
        return self.path.name.replace("20261031", stamp).replace("2026-10-31", stamp)


@pytest.fixture(scope="module")
def extracts(tmp_path_factory: pytest.TempPathFactory) -> list[Extract]:
    out = tmp_path_factory.mktemp("property-demo")
    generate(PEOPLE, 7, out, END)
    found = []
    for path in sorted(p for p in out.iterdir() if p.is_file()):
        feed = feed_for(path.name, FEEDS)
        # Some partners write a byte-order mark: read past it, and write it back.
        encoding = "utf-8-sig" if feed.encoding.lower() in {"utf-8", "utf8"} else feed.encoding
        with path.open(encoding=encoding, newline="") as fh:
            header, *rows = list(csv.reader(fh, delimiter=feed.delimiter))
        if rows:
            ids = frozenset(header.index(column) for column in feed.record_id)
            found.append(Extract(path, feed, encoding, header, rows, ids))
    return found


# --- the plan of days ----------------------------------------------------------------------


@dataclass(frozen=True)
class Correction:
    """Row `row` sent again `later` days after it arrived (at least one; the last day if
    that is past it), with the value of column `column` taken from row `donor` of the same
    extract."""

    row: int
    column: int
    donor: int
    later: int


@dataclass(frozen=True)
class Plan:
    gaps: tuple[int, ...]
    """Days from one run to the next; one fewer than the runs."""
    arrivals: tuple[int, ...]
    """The day each row (numbered across the extracts in order) first arrives."""
    corrections: tuple[Correction, ...]

    @property
    def days(self) -> list[datetime]:
        """When each run is: a gap of 0 is a second run the same day, an hour on."""
        return [FIRST] + [
            FIRST + timedelta(days=sum(self.gaps[:n]), hours=n if gap == 0 else 0)
            for n, gap in enumerate(self.gaps, start=1)
        ]


def plans(rows: int) -> st.SearchStrategy[Plan]:
    @st.composite
    def plan(draw: st.DrawFn) -> Plan:
        gaps = draw(st.lists(st.integers(0, MAX_GAP), min_size=1, max_size=MAX_DAYS - 1))
        days = len(gaps) + 1
        arrivals = draw(st.lists(st.integers(0, days - 1), min_size=rows, max_size=rows))
        corrections = draw(
            st.lists(
                st.builds(
                    Correction,
                    st.integers(0, rows - 1),
                    st.integers(0, 50),
                    st.integers(0, 10_000),
                    st.integers(1, days - 1),
                ),
                max_size=12,
            )
        )
        return Plan(tuple(gaps), tuple(arrivals), tuple(corrections))

    return plan()


def day_files(plan: Plan, extracts: list[Extract], out: Path) -> list[list[Path]]:
    """Each day's files: the rows arriving that day, then the rows corrected that day (each
    as it stands after every correction sent so far), one file per extract."""
    days = plan.days
    out.mkdir(parents=True)
    numbered = [(e, i) for e in extracts for i in range(len(e.rows))]
    current = {n: list(e.rows[i]) for n, (e, i) in enumerate(numbered)}
    sent: dict[int, dict[int, list[str]]] = defaultdict(dict)  # day → row → values
    for n, arrival in enumerate(plan.arrivals):
        sent[arrival][n] = current[n]
    last = len(days) - 1
    placed = [(min(plan.arrivals[c.row] + c.later, last), c) for c in plan.corrections]
    for day, c in sorted(placed, key=lambda p: p[0]):  # a later correction builds on this
        extract, _ = numbered[c.row]
        free = [k for k in range(len(extract.header)) if k not in extract.id_columns]
        if day == plan.arrivals[c.row] or not free:
            continue  # a row first sent on the last day has no later day to be corrected
        column = free[c.column % len(free)]
        values = list(current[c.row])
        values[column] = extract.rows[c.donor % len(extract.rows)][column]
        current[c.row] = sent[day][c.row] = values
    files: list[list[Path]] = []
    for day, at in enumerate(days):
        today = []
        for extract in extracts:
            rows = [values for n, values in sorted(sent[day].items()) if numbered[n][0] is extract]
            if rows:
                target = out / extract.named(at, day)
                with target.open("w", encoding=extract.encoding, newline="") as fh:
                    writer = csv.writer(fh, delimiter=extract.feed.delimiter)
                    writer.writerows([extract.header, *rows])
                today.append(target)
        files.append(today)
    return files


# --- the days, and the rebuild -------------------------------------------------------------


def home_settings(home: Path) -> Settings:
    return Settings(
        home=home,
        feeds=BUILTIN_FEEDS,
        workers=1,
        retention_days=RETENTION_DAYS,
        audit_key=SecretStr("test-audit-key, 32 bytes or more"),
        database_url=None,  # SQLite, whatever MAST_DATABASE_URL says: the copy is a file's
    )


@dataclass
class Home:
    """A MAST_HOME whose one partner drops its files in a folder."""

    settings: Settings
    engine: sa.Engine
    drop: Path

    @classmethod
    def make(cls, root: Path) -> Home:
        home, drop = root / "home", root / "drop"
        home.mkdir(parents=True)
        drop.mkdir()
        (home / "partners.yaml").write_text(f"partners:\n  - name: all\n    folder: {drop}\n")
        settings = home_settings(home)
        return cls(settings, open_store(settings), drop)

    def run(self, files: list[Path], at: datetime) -> dict[str, dict[str, Any]]:
        """The partner drops `files`; the daily job runs at `at`: its steps' counts."""
        for path in files:
            shutil.copy(path, self.drop / path.name)
        with clock.fixed(at):
            run = DailyJob(self.settings, self.engine).run(trigger="manual", now=at)
        assert run.status == "ok", [(s.step, s.status, s.error) for s in run.steps]
        return {s.step: s.counts for s in run.steps if s.partner is None}


def rebuild(days: Home, at: datetime, root: Path) -> Home:
    """The days' state store copied to a fresh home, resolved again in full (places, then
    people, every pair scored anew, with the model the days kept), and its graph built
    whole, at the last day."""
    settings = home_settings(root / "home")
    settings.home.mkdir(parents=True)
    # SQLite's own backup: a copy of the file alone could miss what its log still holds.
    with (
        closing(sqlite3.connect(days.settings.state_file)) as source,
        closing(sqlite3.connect(settings.state_file)) as target,
    ):
        source.backup(target)
    engine = open_store(settings)
    with clock.fixed(at):
        run = resolve(engine, now=at, full=True, event_feeds=event_feeds(FEEDS))
        assert (run.addresses.mode, run.people.mode) == ("full", "full"), run
        built = refresh(engine, settings, full=True)
        assert built.mode == "full", built
    return Home(settings, engine, root)


def loaded(
    files: list[list[Path]], purged: datetime, at: datetime, root: Path
) -> dict[Any, tuple[Any, ...]]:
    """The records a fresh home keeps of every day's files given at once, purged as the
    days' last purge (at `purged`) was: the files of the runs up to it, the purge, then
    the files of any later run that did not purge (a second run on one day), at `at`."""
    home = Home.make(root)
    before, after = files
    with clock.fixed(purged):
        ingest_paths(home.settings, before, FEEDS)
        audited_purge(home.engine, home.settings, now=purged, by="system:rebuild")
    if after:
        with clock.fixed(at):
            ingest_paths(home.settings, after, FEEDS)
    try:
        with home.engine.connect() as conn:
            return _table(conn, records, Renaming(conn), skip=FILE_COLUMNS)
    finally:
        home.engine.dispose()


# --- what is compared --------------------------------------------------------------------


def _names(conn: sa.Connection, links: sa.Table, column: str, prefix: str) -> dict[str, str]:
    """Each id named by the smallest record it holds."""
    held: dict[str, str] = {}
    for record_id, owner in conn.execute(sa.select(links.c.record_id, links.c[column])):
        held[owner] = min(held.get(owner, record_id), record_id)
    return {owner: f"{prefix}[{first}]" for owner, first in held.items()}


class Renaming:
    """Minted ids to names that do not depend on the order they were minted in; an id
    holding no record keeps its own, marked, so an emptied person or place left standing
    shows as a difference."""

    def __init__(self, conn: sa.Connection) -> None:
        self.names = _names(conn, record_persons, "person_id", "P") | _names(
            conn, record_addresses, "address_id", "A"
        )

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str):
            return MINTED.sub(lambda m: self.names.get(m[0], f"{m[0]}(holds nothing)"), value)
        if isinstance(value, tuple):
            return tuple(self(v) for v in value)
        return value


def _table(
    conn: sa.Connection, table: sa.Table, rename: Renaming, *, skip: Collection[str] = ()
) -> dict[Any, tuple[Any, ...]]:
    """Rows by their key (the first column), every value renamed; only live ids of a table
    that retires them."""
    columns = [c for c in table.c if c.name not in skip]
    query = sa.select(*columns)
    if "retired_into" in table.c:
        query = query.where(table.c.retired_into.is_(None))
    return {rename(row[0]): tuple(rename(v) for v in row[1:]) for row in conn.execute(query)}


HOUSEHOLD = re.compile(r"both at (\S+ \S+ to \S+) \(([^;)]*); ([^)]*)\)")
"""A household link's evidence, a piece per address: its feeds, the first person's first."""


def _related(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A household link runs from the smaller person id to the larger, its evidence
    names each one's feeds in that order, and its pieces come in the order of the address
    ids they name: all put in the order of the renamed ids."""
    a, b, kind, since, until, evidence = row
    if kind != "household":
        return row
    swap = b < a
    pieces = sorted(
        f"both at {where} ({second}; {first})" if swap else f"both at {where} ({first}; {second})"
        for where, first, second in HOUSEHOLD.findall(evidence)
    )
    return (*((b, a) if swap else (a, b)), kind, since, until, "; ".join(pieces))


def _graph(found: dict[str, list[tuple[Any, ...]]], rename: Renaming) -> dict[str, Any]:
    out = {}
    for label, rows in found.items():
        renamed = [tuple(rename(v) for v in row) for row in rows]
        if label == "RELATED":
            renamed = [_related(row) for row in renamed]
        out[label] = sorted(renamed, key=repr)
    return out


@dataclass(frozen=True)
class View:
    """A home's state store and graph, person and address ids renamed."""

    store: dict[str, dict[Any, tuple[Any, ...]]]
    graph: dict[str, list[tuple[Any, ...]]]


def view(home: Home) -> View:
    kept = {"retired_into", "updated_at"}  # a live id's own history, not what it holds
    with home.engine.connect() as conn:
        rename = Renaming(conn)
        # A profile's id hashes its fields, its address id among them: it is named by them.
        profiles = _table(conn, person_profiles, rename, skip={"person_id", "component"})
        linked = _table(conn, record_persons, rename)
        store = {
            "records": _table(conn, records, rename, skip=FILE_COLUMNS),
            "persons": _table(conn, persons, rename, skip=kept),
            "addresses": _table(conn, addresses, rename, skip=kept),
            "profiles": {
                profiles[pid]: (person,)
                for pid, person in _table(
                    conn, person_profiles, rename, skip=set(PROFILE_FIELDS)
                ).items()
            },
            "record_persons": {
                record: (profiles.get(pid, pid), person) for record, (pid, person) in linked.items()
            },
            "record_addresses": _table(conn, record_addresses, rename),
        }
    graph = open_graph(home.settings)
    try:
        found = digest(graph)
    finally:
        graph.close()
    return View(store, _graph(found, rename))


def differences(days: View, rebuild: View) -> Iterator[str]:
    """What differs, by table or label: the keys only one side has, and up to five keys
    whose values differ (synthetic people: the test data has no real person in it)."""
    for name in days.store:
        a, b = days.store[name], rebuild.store[name]
        only_days = sorted(a.keys() - b.keys(), key=repr)
        only_rebuild = sorted(b.keys() - a.keys(), key=repr)
        changed = sorted((k for k in a.keys() & b.keys() if a[k] != b[k]), key=repr)
        if only_days or only_rebuild or changed:
            yield (
                f"store {name}: only after the days {only_days[:5]} ({len(only_days)}), "
                f"only in the rebuild {only_rebuild[:5]} ({len(only_rebuild)}), "
                f"differ {[(k, a[k], b[k]) for k in changed[:5]]} ({len(changed)})"
            )
    for label in days.graph:
        a_rows, b_rows = set(days.graph[label]), set(rebuild.graph[label])
        if a_rows != b_rows:
            only_days = sorted(a_rows - b_rows, key=repr)
            only_rebuild = sorted(b_rows - a_rows, key=repr)
            yield (
                f"graph {label}: only after the days {only_days[:5]} ({len(only_days)}), "
                f"only in the rebuild {only_rebuild[:5]} ({len(only_rebuild)})"
            )


# --- the property ----------------------------------------------------------------------


def check(plan: Plan, extracts: list[Extract], root: Path) -> None:
    """The plan's days, then the rebuild; the two must agree."""
    files = day_files(plan, extracts, root / "files")
    days = Home.make(root / "days")
    purging = 0  # the last run that purged: a run may leave the purge to the day's first
    for n, (today, at) in enumerate(zip(files, plan.days, strict=True)):
        counts = days.run(today, at)
        if n > 0 and counts.get("graph", {}).get("mode") == "full":
            pytest.fail(f"day {n} rebuilt the graph whole: the delta went untested")
        if "records_removed" in counts.get("purge", {}):
            purging = n
    again = rebuild(days, plan.days[-1], root / "rebuild")
    try:
        after_days = view(days)
        found = list(differences(after_days, view(again)))
        assert not found, "\n".join(found)
        # What the days kept is what the files leave once the window has moved.
        batches = [
            [path for today in files[: purging + 1] for path in today],
            [path for today in files[purging + 1 :] for path in today],
        ]
        kept = loaded(batches, plan.days[purging], plan.days[-1], root / "records")
        assert kept == after_days.store["records"]
    finally:
        days.engine.dispose()
        again.engine.dispose()


def test_any_days_leave_what_a_rebuild_leaves(
    extracts: list[Extract], tmp_path_factory: pytest.TempPathFactory
) -> None:
    base = tmp_path_factory.mktemp("property")
    examples = count()
    rows = sum(len(e.rows) for e in extracts)
    phases = [Phase.explicit, Phase.generate, *([Phase.shrink] if SHRINK else [])]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,  # the same examples on every run: CI is deterministic
        database=None,
        phases=phases,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @example(  # always one busy plan: Hypothesis's first examples are its simplest
        Plan(
            gaps=(40, 0, 90),
            arrivals=tuple(n % 4 for n in range(rows)),
            corrections=tuple(Correction(n * 37, n, n * 11, 1 + n % 2) for n in range(12)),
        )
    )
    @given(plans(rows))
    def days_equal_a_rebuild(plan: Plan) -> None:
        root = base / str(next(examples))
        note(repr(plan))
        try:
            check(plan, extracts, root)
        finally:
            shutil.rmtree(root, ignore_errors=True)

    days_equal_a_rebuild()
