"""A graph delta of only what was touched leaves the graph, and its snapshot, what a full
build makes: after a day of new files, a reviewer's merge and split, a purge and a
correction (generated partner files, the real store on each leg, DuckDB, Splink, Ladybug).
"""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from mast.core.db import open_store
from mast.core.settings import BUILTIN_FEEDS
from mast.demo.generate import generate
from mast.graph import projection
from mast.graph.build import build_graph, check, load_snapshot, refresh
from mast.graph.ladybug_store import LadybugStore
from mast.graph.projection import Projection, project
from mast.graph.touched import find_scope, load_marks
from mast.loaders.feeds import feed_for, load_feeds
from mast.loaders.purge import purge
from mast.resolver.records import forget_records
from mast.resolver.rulings import decide
from mast.resolver.service import resolve
from mast.schema.tables import persons, record_persons
from tests.integration.graph.test_graph import digest
from tests.support.demo_data import extracts, halves, ingest, settings_for

pytestmark = pytest.mark.integration
FEEDS = load_feeds(BUILTIN_FEEDS)


def _rows(p: Projection) -> dict[str, list[str]]:
    """Every table's rows, as text, in order: ties on the sort key may come either way."""
    return {
        kind: sorted(repr(row) for row in table.to_pylist())
        for kind, table in (*p.nodes.items(), *p.rels.items())
    }


def _person_of(engine: sa.Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(
            conn.execute(sa.select(record_persons.c.record_id, record_persons.c.person_id)).all()
        )


def _corrected(extract: Path, out: Path) -> Path:
    """A later file of the same feed whose rows are earlier rows' ids given other rows'
    values (another person, address and day): corrections of records already loaded."""
    feed = feed_for(extract.name, FEEDS)
    with extract.open(encoding=feed.encoding, newline="") as fh:
        header, *body = list(csv.reader(fh, delimiter=feed.delimiter))
    ids = [header.index(c) for c in feed.record_id]
    day = header.index("EventDate")
    recent = [row for row in body if row[day][-4:] == "2026"]
    fixed = []
    for row, other in zip(recent[:4], recent[4:8], strict=True):
        new = list(other)
        for i in ids:
            new[i] = row[i]
        fixed.append(new)
    target = out / extract.name.replace("20261031", "20261216")
    with target.open("w", encoding=feed.encoding, newline="") as fh:
        csv.writer(fh, delimiter=feed.delimiter).writerows([header, *fixed])
    return target


def _first_day(
    tmp_path: Path, people: int, seed: int
) -> tuple[Path, sa.Engine, list[Path], list[Path]]:
    """A home whose first half of a generated region is resolved and built in full; the
    files of both halves."""
    world = tmp_path / "world"
    generate(people, seed, world, date(2026, 10, 31))
    day_one, day_two = halves(world, tmp_path / "files")
    home = tmp_path / "home"
    engine = ingest(home, day_one)
    resolve(engine, now=datetime(2026, 11, 1, 2))
    assert refresh(engine, settings_for(home)).mode == "full"
    return home, engine, day_one, day_two


def _snapshot(folder: Path) -> Projection:
    snapshot = load_snapshot(folder)
    assert snapshot is not None
    return snapshot


def _household_of_two(folder: Path) -> tuple[str, str]:
    """A residential address where exactly two people stayed, and share a household: its
    id and its line."""
    snapshot = _snapshot(folder)
    stays = Counter(snapshot.rels["LIVED_AT"]["dst"].to_pylist())
    evidence = str(snapshot.rels["RELATED"]["evidence"].to_pylist())
    for row in snapshot.nodes["Address"].to_pylist():
        aid = row["address_id"]
        if stays[aid] == 2 and row["residential"] is not False and f"both at {aid} " in evidence:
            return aid, row["line"]
    raise AssertionError("no household of two")


def _statement(template: list[str], header: list[str], **values: str) -> list[str]:
    row = list(template)
    for column, value in values.items():
        row[header.index(column.replace("_", " "))] = value
    return row


def _stated(extract: Path, out: Path, day: str, *rows: dict[str, str]) -> Path:
    """A later children's services file of these contacts, the rest as a loaded one's."""
    with extract.open(encoding="utf-8", newline="") as fh:
        header, template, *_ = list(csv.reader(fh, delimiter="|"))
    target = out / f"Swansea_CSC_Contacts_{day}.csv"
    with target.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter="|").writerows(
            [header, *(_statement(template, header, **r) for r in rows)]
        )
    return target


def test_touched_deltas_leave_what_a_full_build_makes(
    tmp_path: Path, state_url: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Few people make a household here, so days move addresses across the limit.
    monkeypatch.setattr(projection, "HOUSEHOLD_MAX", 2)
    home, engine, day_one, day_two = _first_day(tmp_path, 700, 5)
    settings = settings_for(home)
    seen: list[tuple[str, Any]] = []

    def day(name: str, now: datetime) -> None:
        resolve(engine, now=now)
        built = refresh(engine, settings)
        snapshot = _snapshot(settings.graph_snapshot)
        assert built.mode == "delta", name
        assert _rows(snapshot) == _rows(project(engine, FEEDS)), name
        seen.append((name, built.changed))

    ingest(home, day_two)
    day("new files", datetime(2026, 11, 2, 2))

    # A reviewer links two people into one, and takes a record off a person of several.
    person_of = _person_of(engine)
    by_person: dict[str, list[str]] = {}
    for record_id, person in sorted(person_of.items()):
        by_person.setdefault(person, []).append(record_id)
    several = [rs for rs in by_person.values() if len(rs) >= 3]
    a, b = several[0][0], several[1][0]
    ruled = datetime(2026, 11, 3)
    split_a, split_b = several[2][0], several[2][1]
    for x, y, ruling in ((a, b, "link"), (split_a, split_b, "unlink")):
        decide(engine, record_a=x, record_b=y, decision=ruling, by="r", reason="checked", now=ruled)
    day("rulings", datetime(2026, 11, 3, 2))
    after = _person_of(engine)
    assert after[a] == after[b] and after[split_a] != after[split_b]

    # The window moves six weeks: the oldest records go.
    gone = purge(engine, now=datetime(2026, 12, 15), retention_days=365, forget=forget_records)
    assert gone.records_removed > 0
    day("purge", datetime(2026, 12, 15, 2))

    # Records corrected in place: another person, address and day.
    education = next(p for p in day_one if p.name.startswith("EDU_"))
    ingest(home, [_corrected(education, tmp_path)])
    day("corrections", datetime(2026, 12, 16, 2))

    # A statement naming a partner's id no record carries yet, by someone moving in where a
    # household of two was (now three: no household, under the lowered limit); then a
    # record carrying that id, of someone living elsewhere, and one more in another
    # person's case: the stater's RELATED row and that case change though nothing of the
    # stater's, or of the other person's, did.
    contacts = next(p for p in day_one if p.name.startswith("Swansea_CSC_"))
    place, line = _household_of_two(settings.graph_snapshot)
    anna = {
        "Contact_ID": "CSC90000001",
        "Person_ID": "SW19000001",
        "Forename": "Anwen",
        "Surname": "Prydderch",
        "DOB": "02/03/2012",
        "Address": line,
        "UPRN": "",
        "Contact_Date": "01/12/2026",
        "Related_Person_ID": "SW19000002",
        "Relationship": "Mother",
        "Case_Ref": "CSC90000000",
    }
    with contacts.open(encoding="utf-8", newline="") as fh:
        header, *rows = list(csv.reader(fh, delimiter="|"))
    pid, case, when = (header.index(c) for c in ("Person ID", "Case Ref", "Contact Date"))
    kept = [row for row in rows if row[when].endswith("2026") and row[case]]
    first = kept[0]
    other = next(row for row in kept if row[pid] != first[pid] and row[case] != first[case])
    # And a statement naming someone of the region, whom nothing else touches that day.
    also = anna | {
        "Contact_ID": "CSC90000004",
        "Related_Person_ID": first[pid],
        "Relationship": "Sibling",
    }
    ingest(home, [_stated(contacts, tmp_path, "20261217", anna, also)])
    day("a statement", datetime(2026, 12, 17, 2))
    assert f"both at {place} " not in str(_rows(_snapshot(settings.graph_snapshot))["RELATED"])
    mother = anna | {
        "Contact_ID": "CSC90000002",
        "Person_ID": "SW19000002",
        "Forename": "Gwenllian",
        "Surname": "Griffiths",
        "DOB": "11/07/1985",
        "Address": "41 Ffordd Uchaf, Sketty, Swansea, SA2 8ZZ",
        "Related_Person_ID": "",
        "Relationship": "",
        "Case_Ref": "CSC90000009",
    }
    carys = mother | {
        "Contact_ID": "CSC90000003",
        "Person_ID": "SW19000003",
        "Forename": "Carys",
        "DOB": "23/09/2015",
        "Address": "7 Lôn y Nant, Clydach, Swansea, SA6 5QQ",
        "Case_Ref": other[case],
    }
    ingest(home, [_stated(contacts, tmp_path, "20261218", mother, carys)])
    day("the one it names", datetime(2026, 12, 18, 2))

    assert all(changed > 0 for _, changed in seen), seen
    graph = LadybugStore(settings.graph_path)
    full = LadybugStore(tmp_path / "full" / "graph.lbug")
    try:
        assert build_graph(engine, full, FEEDS, tmp_path / "full" / "snapshot").mode == "full"
        assert digest(graph) == digest(full)
    finally:
        graph.close()
        full.close()


def test_what_the_last_run_wrote_is_not_touched_again(
    tmp_path: Path, state_url: str | None
) -> None:
    """Right after a build, nothing is touched: the rows the last run wrote carry the
    marks' own time, and counting that second as new put every person of a first day in
    the next day's scope."""
    home, engine, _, _ = _first_day(tmp_path, 150, 7)
    settings = settings_for(home)
    marks = load_marks(settings.graph_snapshot)
    assert marks is not None and marks.persons_at is not None
    with engine.connect() as conn:
        scope = find_scope(conn, _snapshot(settings.graph_snapshot), marks, FEEDS)
    assert (scope.persons, scope.records, scope.voted) == (set(), set(), set())


def test_a_snapshot_without_marks_is_diffed_whole(tmp_path: Path, state_url: str | None) -> None:
    home, engine, _, day_two = _first_day(tmp_path, 150, 7)
    settings = settings_for(home)
    (settings.graph_snapshot / "marks.json").unlink()
    ingest(home, day_two)
    resolve(engine, now=datetime(2026, 11, 2, 2))
    assert refresh(engine, settings).mode == "diff"
    assert refresh(open_store(settings), settings).mode == "delta"


def test_the_check_finds_what_a_delta_missed_and_a_whole_diff_mends_it(
    tmp_path: Path, state_url: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    world = tmp_path / "world"
    generate(150, 9, world, date(2026, 10, 31))
    home = tmp_path / "home"
    settings = settings_for(home)
    engine = ingest(home, extracts(world))
    resolve(engine, now=datetime(2026, 11, 1, 2))
    graph = LadybugStore(settings.graph_path)
    try:
        build_graph(engine, graph, FEEDS, settings.graph_snapshot)
        assert check(engine, graph, FEEDS, settings.graph_snapshot).ok
        # A change no mark shows (written behind the resolver's back, its time unchanged
        # and before the last build's: only a later `updated_at` counts as new): a delta
        # misses it.
        with engine.begin() as conn:
            p = persons.c
            someone = conn.execute(
                sa.select(p.person_id).where(p.retired_into.is_(None)).limit(1)
            ).scalar_one()
            conn.execute(
                persons.update()
                .where(p.person_id == someone)
                .values(sex="X", updated_at=datetime(2026, 1, 1))
            )
        assert build_graph(engine, graph, FEEDS, settings.graph_snapshot).changed == 0
        found = check(engine, graph, FEEDS, settings.graph_snapshot, sample=10_000)
        assert found.differing == {"Person": 2}  # the snapshot's row, and the graph's
        assert someone not in caplog.text and "Person=2" in caplog.text
        mended = build_graph(engine, graph, FEEDS, settings.graph_snapshot, whole=True)
        assert (mended.mode, mended.changed) == ("diff", 1)
        assert check(engine, graph, FEEDS, settings.graph_snapshot).ok
    finally:
        graph.close()
