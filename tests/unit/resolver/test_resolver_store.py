"""Address resolution against the real SQLite store: ids stable across runs, merges recorded."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from mast.core.db import open_store, sync_rows
from mast.loaders.purge import purge
from mast.resolver import forget_records
from mast.resolver.addresses import KEPT_TALLY, learned, resolve_all_addresses
from mast.resolver.addresses import run as run_module
from mast.resolver.people import store as person_store
from mast.resolver.people.store import edge_columns
from mast.resolver.place_shares import PLACE_SHARES
from mast.resolver.service import resolve
from mast.schema.tables import (
    address_key_links,
    address_keys,
    address_tallies,
    addresses,
    id_history,
    person_edges,
    person_profiles,
    persons,
    record_addresses,
    record_persons,
)
from tests.support.harness import HEADER, Harness, write

pytestmark = pytest.mark.usefixtures("state_url")
"""Every test here runs on SQLite and on PostgreSQL (`state_url`, tests/conftest.py)."""


NOW = datetime(2026, 11, 1)
ANN_TWICE = (
    '1,01/01/2025,"JONES, Ann",02/04/1990,,"14 Heol Ŵyr, Sketty, Swansea",SA2 9AB,F\n'
    '2,01/06/2026,"JONES, Anne",02/04/1990,,"14 Heol Wyr, Sketty, Swansea",SA2 9AB,F\n'
)


def links(h: Harness) -> dict[str, str]:
    return {r.record_id: r.address_id for r in h.rows(record_addresses)}


def test_ids_are_stable_and_merges_are_recorded(harness: Harness, tmp_path: Path) -> None:
    rows = (
        '1,01/03/2026,"JONES, Ann",,,"14 Heol Ŵyr, Sketty, Swansea",SA2 9AB,F\n'
        '2,02/03/2026,"JONES, Bob",,,"14 Heol Wyr, Sketty, Swansea",SA2 9AB,M\n'
        '3,03/03/2026,"SMITH, Cai",,,"16 Heol Ŵyr, Sketty, Swansea",,M\n'
    )
    harness.ingest(write(tmp_path / "test_1.csv", HEADER + rows))
    first = resolve_all_addresses(harness.engine, now=NOW)
    assert (first.records, first.addresses, first.new) == (3, 2, 2)
    before = links(harness)
    assert before["test:1"] == before["test:2"] != before["test:3"]
    again = resolve_all_addresses(harness.engine, now=NOW)
    assert links(harness) == before and again.new == 0
    # A correction gives record 3 the number of the others: two addresses become one.
    fix = '3,03/03/2026,"SMITH, Cai",,,"14 Heol Ŵyr, Sketty, Swansea",,M\n'
    harness.ingest(write(tmp_path / "test_2.csv", HEADER + fix))
    merged = resolve_all_addresses(harness.engine, now=NOW)
    after = links(harness)
    assert merged.merges == 1 and len(set(after.values())) == 1
    assert after["test:1"] == before["test:1"]  # the surviving id is kept
    retired = {r.address_id: r.retired_into for r in harness.rows(addresses) if r.retired_into}
    assert retired == {before["test:3"]: before["test:1"]}
    assert [(e.kind, e.old_id, e.new_id) for e in harness.rows(id_history)] == [
        ("merge", before["test:3"], before["test:1"])
    ]


def test_a_purged_record_leaves_no_person_or_address_behind(
    harness: Harness, tmp_path: Path
) -> None:
    rows = (
        '1,01/01/2025,"JONES, Ann",02/04/1990,,"14 Heol Ŵyr, Sketty, Swansea",SA2 9AB,F\n'
        '2,01/06/2026,"SMITH, Bob",03/05/1980,,"16 Heol Ŵyr, Sketty, Swansea",SA2 9AB,M\n'
    )
    harness.ingest(write(tmp_path / "test_1.csv", HEADER + rows))
    first = resolve(harness.engine, now=NOW)
    assert first.addresses.addresses == 2 and first.people.persons == 2
    assert (
        purge(harness.engine, now=NOW, retention_days=365, forget=forget_records).records_removed
        == 1
    )
    assert set(links(harness)) == {"test:2"}
    assert {r.record_id for r in harness.rows(record_persons)} == {"test:2"}
    again = resolve(harness.engine, now=NOW)
    # Addresses are counted afresh; people re-cluster only what the purge touched.
    # The purge did the address work itself: the run after it has only a day's to do.
    assert (again.addresses.mode, again.people.mode) == ("incremental", "incremental")
    assert again.addresses.addresses == 1 and again.people.persons == 1


def test_a_record_changed_to_name_no_one_leaves_its_person_as_a_full_run_would(
    harness: Harness, tmp_path: Path
) -> None:
    harness.ingest(write(tmp_path / "test_1.csv", HEADER + ANN_TWICE))
    assert {r.record_id for r in harness.rows(record_persons)} == set()
    resolve(harness.engine, now=NOW)
    assert {r.record_id for r in harness.rows(record_persons)} == {"test:1", "test:2"}
    # The partner corrects record 2: no name, date of birth or NHS number after all.
    corrected = '2,01/06/2026,,,,"14 Heol Wyr, Sketty, Swansea",SA2 9AB,F\n'
    harness.ingest(write(tmp_path / "test_2.csv", HEADER + corrected))
    day = resolve(harness.engine, now=NOW).people
    assert day.mode == "incremental"
    incremental = {(r.record_id, r.person_id) for r in harness.rows(record_persons)}
    profiles = {(r.profile_id, r.records) for r in harness.rows(person_profiles)}
    assert {rid for rid, _ in incremental} == {"test:1"}
    assert sorted(n for _, n in profiles) == [1]
    full = resolve(harness.engine, now=NOW, full=True).people
    assert {(r.record_id, r.person_id) for r in harness.rows(record_persons)} == incremental
    assert {(r.profile_id, r.records) for r in harness.rows(person_profiles)} == profiles
    assert full.persons == day.persons == 1


ANN = '"JONES, Ann",02/04/1990,,"14 Heol Wyr, Sketty, Swansea",SA2 9AB,F\n'
BOB = '"SMITH, Bob",11/11/1971,,"3 Stryd Fawr, Bangor",LL57 1AA,M\n'


def _people(h: Harness) -> set[tuple[object, ...]]:
    return {tuple(r)[:-1] for r in h.rows(persons)}  # all but updated_at


def test_a_person_who_loses_a_record_as_they_gain_one_is_described_as_a_full_run_would(
    harness: Harness, tmp_path: Path
) -> None:
    day_one = "".join(f"{n},0{n}/03/2026,{ANN}" for n in (1, 2, 3))
    harness.ingest(write(tmp_path / "test_1.csv", HEADER + day_one))
    resolve(harness.engine, now=NOW)
    (ann,) = {r.person_id for r in harness.rows(record_persons)}
    # Ann gains a record like her others, and the partner corrects one of hers to be Bob's:
    # she is not described from her stored details plus the new record alone.
    harness.ingest(write(tmp_path / "test_2.csv", HEADER + f"4,04/03/2026,{ANN}2,02/03/2026,{BOB}"))
    assert resolve(harness.engine, now=NOW).people.mode == "incremental"
    day = _people(harness)
    assert {r.records for r in harness.rows(persons) if r.person_id == ann} == {3}
    assert resolve(harness.engine, now=NOW, full=True).people.mode == "full"
    assert _people(harness) == day


FILED_FEED = """
feed: filed
agency: {id: f, name: Filing Partner, kind: health}
files: ["filed_*.csv"]
record_id: [id]
fields:
  occurred_at: {column: when, formats: ["%d/%m/%Y"]}
  source_person_id: {column: pid}
  full_name: {column: name, split: surname_comma_forenames}
  dob: {column: dob, formats: ["%d/%m/%Y"]}
  address: {column: address, optional: true}
  postcode: {column: postcode, optional: true}
"""


def test_a_person_gaining_records_at_two_of_their_profiles_is_described_as_a_full_run_would(
    tmp_path: Path,
) -> None:
    """Ann's usual profile outweighs the rest of her, so records added to it alone would
    leave her clustering as it was; records added to her rarer "Anne" profile might not,
    so she is re-clustered, and described from all her records."""
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "filed.yaml").write_text(FILED_FEED)
    h = Harness(tmp_path / "home", feeds)
    header = "id,when,pid,name,dob,address,postcode\n"
    home = '02/04/1990,"14 Heol Wyr, Sketty, Swansea",SA2 9AB\n'
    ann, anne = f'7,"JONES, Ann",{home}', f'7,"JONES, Anne",{home}'  # filed as one person
    day_one = "".join(f"{n},0{n}/03/2026,{ann}" for n in (1, 2, 3)) + f"4,04/03/2026,{anne}"
    h.ingest(write(tmp_path / "filed_1.csv", header + day_one))
    resolve(h.engine, now=NOW)
    assert [(r.given, r.records) for r in h.rows(person_profiles)] in (
        [("ann", 3), ("anne", 1)],
        [("anne", 1), ("ann", 3)],
    )
    assert [r.records for r in h.rows(persons)] == [4]
    h.ingest(write(tmp_path / "filed_2.csv", header + f"5,05/03/2026,{ann}6,06/03/2026,{anne}"))
    assert resolve(h.engine, now=NOW).people.mode == "incremental"
    day = _people(h)
    assert [r.records for r in h.rows(persons)] == [6]
    assert resolve(h.engine, now=NOW, full=True).people.mode == "full"
    assert _people(h) == day


def test_a_record_changed_to_join_another_person_retires_the_one_it_leaves_empty(
    harness: Harness, tmp_path: Path
) -> None:
    day_one = f"1,01/03/2026,{ANN}2,02/03/2026,{ANN}3,03/03/2026,{BOB}"
    harness.ingest(write(tmp_path / "test_1.csv", HEADER + day_one))
    resolve(harness.engine, now=NOW)
    person = {r.record_id: r.person_id for r in harness.rows(record_persons)}
    ann, bob = person["test:1"], person["test:3"]
    assert ann != bob
    # Bob's only record turns out to be Ann's, written just as her others are.
    harness.ingest(write(tmp_path / "test_2.csv", HEADER + f"3,03/03/2026,{ANN}"))
    assert resolve(harness.engine, now=NOW).people.mode == "incremental"
    assert {r.record_id: r.person_id for r in harness.rows(record_persons)} == {
        "test:1": ann,
        "test:2": ann,
        "test:3": ann,
    }
    assert {(r.person_id, r.records, r.retired_into) for r in harness.rows(persons)} == {
        (ann, 3, None),
        (bob, 0, ann),
    }
    assert [
        (e.kind, e.old_id, e.new_id) for e in harness.rows(id_history) if e.entity == "person"
    ] == [("merge", bob, ann)]


def test_an_address_that_grows_to_keep_its_counts_is_counted_as_a_full_run_would(
    harness: Harness, tmp_path: Path
) -> None:
    """A day describes an address that gains agreeing records from its stored row, unless
    it reaches the size whose counts are kept: then it is counted, and its counts kept."""
    home = '"14 Heol Wyr, Sketty, Swansea",SA2 9AB,F\n'
    day_one = "".join(f'{n},01/03/2026,"JONES, Ann",,,{home}' for n in range(KEPT_TALLY - 2))
    harness.ingest(write(tmp_path / "test_1.csv", HEADER + day_one))
    resolve_all_addresses(harness.engine, now=NOW)
    assert harness.rows(address_tallies) == []
    for day in (2, 3):  # one short of keeping counts, then enough
        harness.ingest(
            write(tmp_path / f"test_{day}.csv", HEADER + f"{day}000,01/03/2026,,,,{home}")
        )
        assert resolve_all_addresses(harness.engine, now=NOW).mode == "incremental"
    (address,) = harness.rows(addresses)
    assert address.records == KEPT_TALLY
    kept = [(r.address_id, r.records, r.counts) for r in harness.rows(address_tallies)]
    assert [(aid, n) for aid, n, _ in kept] == [(address.address_id, KEPT_TALLY)]
    assert resolve_all_addresses(harness.engine, now=NOW, full=True).mode == "full"
    assert [(r.address_id, r.records, r.counts) for r in harness.rows(address_tallies)] == kept


def test_a_store_from_before_components_is_upgraded_and_resolved_in_full(
    harness: Harness, tmp_path: Path
) -> None:
    harness.ingest(write(tmp_path / "test_1.csv", HEADER + ANN_TWICE))
    first = resolve(harness.engine, now=NOW).people
    assert first.mode == "full"
    with harness.engine.begin() as conn:  # as a store made before the column existed
        conn.exec_driver_sql("DROP INDEX ix_person_profiles_component")
        conn.exec_driver_sql("ALTER TABLE person_profiles DROP COLUMN component")
    upgraded = open_store(harness.settings)
    assert all(r.component is None for r in harness.rows(person_profiles))
    again = resolve(upgraded, now=NOW)
    assert again.people.mode == "full" and again.people.persons == first.persons
    assert None not in {r.component for r in harness.rows(person_profiles)}
    assert resolve(upgraded, now=NOW).people.mode == "incremental"


def test_a_store_from_before_keys_were_indexed_resolves_addresses_in_full(
    harness: Harness, tmp_path: Path
) -> None:
    harness.ingest(write(tmp_path / "test_1.csv", HEADER + ANN_TWICE))
    assert resolve(harness.engine, now=NOW).addresses.mode == "full"
    with harness.engine.begin() as conn:  # as a store made before keys had these
        for index in ("ix_address_keys_place", "ix_address_keys_door"):
            conn.exec_driver_sql(f"DROP INDEX {index}")
        for column in ("place", "door"):
            conn.exec_driver_sql(f"ALTER TABLE address_keys DROP COLUMN {column}")
        conn.exec_driver_sql("DROP TABLE address_key_uprns")
    upgraded = open_store(harness.settings)
    harness.ingest(write(tmp_path / "test_2.csv", HEADER + ANN_TWICE.replace("1,", "3,", 1)))
    again = resolve(upgraded, now=NOW).addresses
    assert again.mode == "full" and again.addresses == 1
    assert None not in {r.place for r in harness.rows(address_keys)}
    harness.ingest(write(tmp_path / "test_3.csv", HEADER + ANN_TWICE.replace("1,", "4,", 1)))
    assert resolve(upgraded, now=NOW).addresses.mode == "incremental"


def test_a_store_from_before_keys_held_building_names_resolves_addresses_in_full(
    harness: Harness, tmp_path: Path
) -> None:
    harness.ingest(write(tmp_path / "test_1.csv", HEADER + ANN_TWICE))
    assert resolve(harness.engine, now=NOW).addresses.mode == "full"
    with harness.engine.begin() as conn:  # keys of four parts, as stores before had
        for key in conn.execute(sa.select(address_keys.c.key)).scalars().all():
            old = key.rsplit("\x1f", 1)[0]
            conn.execute(address_keys.update().where(address_keys.c.key == key).values(key=old))
    harness.ingest(write(tmp_path / "test_2.csv", HEADER + ANN_TWICE.replace("1,", "3,", 1)))
    again = resolve(harness.engine, now=NOW).addresses
    assert again.mode == "full" and again.addresses == 1
    assert {r.key.count("\x1f") for r in harness.rows(address_keys)} == {4}


def _person(pid: str, family: str, seen: datetime, at: datetime) -> tuple[object, ...]:
    return (pid, family, date(1990, 4, 2), seen, 1, None, at)


def test_a_full_rewrite_writes_only_rows_that_changed(harness: Harness) -> None:
    """`sync_rows`, which full runs write through: the table ends up holding exactly the
    rows given; rows unchanged (dates included) are not rewritten, so they keep the time
    they were last updated; changed and new rows are written, missing ones removed, rows
    outside `where` left alone; a two-column key works; and when most rows differ, the
    table is rewritten whole."""
    names = [
        "person_id",
        "family_name",
        "dob",
        "first_seen",
        "records",
        "retired_into",
        "updated_at",
    ]
    compare = names[:-1]
    then, now = datetime(2026, 10, 1), datetime(2026, 11, 1)
    seen = datetime(2025, 1, 2, 3, 4, 5, 678)
    first = [_person(f"P{i:08d}", f"F{i}", seen, then) for i in range(40)]
    retired = ("P00000099", None, None, None, 0, "P00000001", then)
    with harness.engine.begin() as conn:
        assert sync_rows(conn, persons, names, first, compare=compare) == 40
        conn.execute(persons.insert().values(dict(zip(names, retired, strict=True))))
    second = [_person(p[0], str(p[1]), seen, now) for p in first[:38]]  # 38, 39 gone
    second[3] = _person("P00000003", "Changed", seen, now)
    second.append(_person("P00000040", "New", seen, now))
    active = persons.c.retired_into.is_(None)
    with harness.engine.begin() as conn:
        written = sync_rows(conn, persons, names, second, where=active, compare=compare)
    assert written == 2
    stored = {r.person_id: r for r in harness.rows(persons)}
    assert set(stored) == {p[0] for p in second} | {"P00000099"}
    assert stored["P00000001"].updated_at == then  # unchanged: not written again
    assert stored["P00000003"].family_name == "Changed" and stored["P00000003"].updated_at == now
    assert stored["P00000040"].updated_at == now and stored["P00000099"].retired_into
    assert stored["P00000002"].first_seen == seen and stored["P00000002"].dob == date(1990, 4, 2)

    edge = (0.0,) * 6
    pairs = [(f"a{i}", f"b{i}", float(i), *edge) for i in range(8)]
    columns = edge_columns()
    with harness.engine.begin() as conn:
        sync_rows(conn, person_edges, columns, pairs, compare=["profile_a", "profile_b"])
        kept = [*pairs[:7], ("a9", "b9", 9.0, *edge)]
        assert sync_rows(conn, person_edges, columns, kept, compare=columns[:2]) == 1
    assert sorted((r.profile_a, r.profile_b) for r in harness.rows(person_edges)) == sorted(
        (p[0], p[1]) for p in kept
    )
    with harness.engine.begin() as conn:  # most rows differ: rewritten whole
        other = [(f"c{i}", f"d{i}", 1.0, *edge) for i in range(6)]
        assert sync_rows(conn, person_edges, columns, other) == 6
    assert len(harness.rows(person_edges)) == 6


def test_a_day_of_named_premises_and_flats_after_streets_gives_what_a_full_run_would(
    harness: Harness, tmp_path: Path
) -> None:
    """Records that join by name, or by town for want of a postcode, arrive on a later day:
    the day finds the stored keys they join (by the name index) as a full run would. A name
    that may be a district's waits, stored without an address, for the day that places it."""
    day_one = (
        '1,01/03/2026,"JONES, Ann",,,"The Red Lion, 12 Wind Street, Swansea",SA1 1DP,F\n'
        '2,01/03/2026,"REES, Huw",,,"Flat 6, 31 Eaton Crescent, Swansea",SA1 1AA,M\n'
        '3,01/03/2026,"REES, Bet",,,"The Red Lion, 3 High Street, Neath",SA11 1AA,F\n'
        '4,01/03/2026,"HUGHES, Ian",,,"Flat 2, Glan House, 4 Brynmill View, Swansea",SA1 2EQ,M\n'
        '10,01/03/2026,"DAVIES, Dai",,,"Iceland, Treorchy",CF42 1TU,M\n'
    )
    day_two = (
        '5,02/03/2026,"JONES, Ann",,,"The Red Lion, Swansea",,F\n'
        '6,02/03/2026,"REES, Huw",,,"31 Eaton Cres Flat 6, Swansea",SA1 1AA,M\n'
        '7,02/03/2026,"EVANS, Al",,,"Red Lion, Wind St, Swansea",,M\n'
        '8,02/03/2026,"HUGHES, Ian",,,"Flat 2, Glan House, Brynmill View, Swansea",SA1 2EQ,M\n'
        '9,02/03/2026,"OWEN, Sue",,,"The Red Lion, Neath",,F\n'
        '11,02/03/2026,"DAVIES, Dai",,,"Iceland, Station Road, Treorchy",CF42 1TU,M\n'
        '12,02/03/2026,"DAVIES, Di",,,"Townhill, Swansea",SA1 6PJ,F\n'
    )
    harness.ingest(write(tmp_path / "test_1.csv", HEADER + day_one))
    assert resolve_all_addresses(harness.engine, now=NOW).mode == "full"
    assert "test:10" not in links(harness)
    harness.ingest(write(tmp_path / "test_2.csv", HEADER + day_two))
    assert resolve_all_addresses(harness.engine, now=NOW).mode == "incremental"
    day = links(harness)
    assert len(day) == 11 and len(set(day.values())) == 5 and "test:12" not in day
    assert day["test:5"] == day["test:7"] == day["test:1"] and day["test:9"] == day["test:3"]
    assert day["test:6"] == day["test:2"] and day["test:8"] == day["test:4"]
    assert day["test:10"] == day["test:11"]
    described = {(r.address_id, r.records) for r in harness.rows(addresses)}
    assert resolve_all_addresses(harness.engine, now=NOW, full=True).mode == "full"
    assert links(harness) == day
    assert {(r.address_id, r.records) for r in harness.rows(addresses)} == described


def test_a_day_joins_a_place_by_the_learned_model_as_a_full_run_would(
    harness: Harness, tmp_path: Path
) -> None:
    """A record with two slips arrives on a day: the day scores it against the stored keys
    sharing a block with it, joins it to its place, and a full run agrees."""
    rows = _thirty_homes_each_written_twice()
    harness.ingest(write(tmp_path / "test_1.csv", HEADER + "".join(rows)))
    assert resolve_all_addresses(harness.engine, now=NOW).mode == "full"
    slips = '"14 Heol Wry, Sketty, Swansea",SA2 9BA,F\n'
    harness.ingest(
        write(tmp_path / "test_2.csv", HEADER + f'slips,02/03/2026,"JONES, Ann",,,{slips}')
    )
    assert resolve_all_addresses(harness.engine, now=NOW).mode == "incremental"
    day = links(harness)
    assert day["test:slips"] == day["test:home"]
    stored = {(r.key, r.other) for r in harness.rows(address_key_links)}
    assert stored
    assert resolve_all_addresses(harness.engine, now=NOW, full=True).mode == "full"
    assert links(harness) == day
    assert {(r.key, r.other) for r in harness.rows(address_key_links)} == stored


def test_a_place_split_off_after_training_keeps_its_keys_frequency(
    harness: Harness, tmp_path: Path
) -> None:
    """The people model's place frequencies are by address id, and ids are minted: an
    address split off after training (a new id) would read as a place nobody else was
    written at. The model keeps each address key's share, so the new id is known by its
    keys; an id the model was trained on keeps its own frequency."""
    rows = (
        '1,01/03/2026,"JONES, Ann",02/04/1990,,"14 Heol Ŵyr, Sketty, Swansea",SA2 9AB,F\n'
        '2,02/03/2026,"JONES, Bob",03/05/1980,,"14 Heol Wyr, Sketty, Swansea",SA2 9AB,M\n'
        '3,03/03/2026,"SMITH, Cai",04/06/1970,,"16 Heol Ŵyr, Sketty, Swansea",SA2 9AB,M\n'
    )
    harness.ingest(write(tmp_path / "test_1.csv", HEADER + rows))
    resolve(harness.engine, now=NOW)
    with harness.engine.connect() as conn:
        trained = person_store.latest_model(conn)
    assert trained is not None
    shares = trained[PLACE_SHARES]
    keys = {r.key: r.address_id for r in harness.rows(address_keys)}
    place = trained["tf"]["address_id"]
    for address_id in set(keys.values()):
        mine = [shares[k] for k, a in keys.items() if a == address_id]
        assert sum(mine) == pytest.approx(place[address_id])
    # One key of the busier address is split off under a new id.
    busy = max(place, key=place.__getitem__)
    moved = next(k for k, a in keys.items() if a == busy)
    with harness.engine.begin() as conn:
        conn.execute(
            address_keys.update().where(address_keys.c.key == moved).values(address_id="A99999999")
        )
    with harness.engine.connect() as conn:
        now = person_store.latest_model(conn)
    assert now is not None
    assert now["tf"]["address_id"]["A99999999"] == pytest.approx(shares[moved])
    assert now["tf"]["address_id"][busy] == place[busy]


def test_a_day_on_known_keys_keeps_their_links_and_scores_nothing(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record on a key already stored, in the same town, leaves the key's learned links
    as they were: the day scores no key (before, it scored every key a record fell on), and
    a full run agrees."""
    rows = _thirty_homes_each_written_twice()
    rows.append('slips,01/03/2026,"JONES, Ann",,,"14 Heol Wry, Sketty, Swansea",SA2 9BA,F\n')
    harness.ingest(write(tmp_path / "test_1.csv", HEADER + "".join(rows)))
    assert resolve_all_addresses(harness.engine, now=NOW).mode == "full"
    stored = {(r.key, r.other) for r in harness.rows(address_key_links)}
    assert stored  # the slipped key is linked to its place
    scored: list[int] = []
    real = learned.key_links

    def counting(*args: Any, **kwargs: Any) -> Any:
        scored.append(len(list(kwargs.get("among") or ())))
        return real(*args, **kwargs)

    monkeypatch.setattr(run_module, "key_links", counting)
    again = '"14 Heol Wry, Sketty, Swansea",SA2 9BA,F\n'
    harness.ingest(
        write(tmp_path / "test_2.csv", HEADER + f'again,02/03/2026,"JONES, Ann",,,{again}')
    )
    assert resolve_all_addresses(harness.engine, now=NOW).mode == "incremental"
    assert scored == []
    day = links(harness)
    assert day["test:again"] == day["test:slips"] == day["test:home"]
    assert {(r.key, r.other) for r in harness.rows(address_key_links)} == stored
    assert resolve_all_addresses(harness.engine, now=NOW, full=True).mode == "full"
    assert links(harness) == day
    assert {(r.key, r.other) for r in harness.rows(address_key_links)} == stored


def _thirty_homes_each_written_twice() -> list[str]:
    """Thirty homes on three streets, each written with and without its postcode, and one
    more home: enough keys for the address model to learn on."""
    homes = [
        (f"{n + 40} {street}, Swansea", f"SA{i + 1} {n}QQ")
        for i, street in enumerate(["Heol Wyr", "Mansel Street", "Gower Road"])
        for n in range(1, 11)
    ]
    rows = [
        f'{i},01/03/2026,"JONES, Ann",,,"{line}",{pc},F\n' for i, (line, pc) in enumerate(homes)
    ]
    rows += [f'b{i},01/03/2026,"JONES, Ann",,,"{line}",,F\n' for i, (line, _) in enumerate(homes)]
    rows.append('home,01/03/2026,"JONES, Ann",,,"14 Heol Wyr, Sketty, Swansea",SA2 9AB,F\n')
    return rows
