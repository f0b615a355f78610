"""Issue 19, "Critical": one set of bounds enforced at ingest, ingest that never tracebacks,
placeholder NHS numbers, resolve on an empty home, and partners isolated in the daily run.
The red team's values are used as they were found."""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest
import sqlalchemy as sa

from mast.core.db import open_store
from mast.core.settings import BUILTIN_FEEDS, Settings
from mast.daily.run import DailyJob
from mast.graph import open_graph
from mast.graph.build import refresh
from mast.loaders import ingest, mapper
from mast.loaders.cleanse import dates, identifiers
from mast.loaders.purge import purge
from mast.resolver import forget_records, model
from mast.resolver.explain import contributions
from mast.resolver.profiles import Profile
from mast.resolver.service import resolve
from mast.schema import bounds
from mast.schema.tables import files, quarantine, records
from mast.text.fold import ascii_digits
from tests.integration.cli.test_purge_and_cli import mast
from tests.support.harness import GOOD, HEADER, Harness, write

NOW = datetime(2026, 11, 1, 2, 0)

AMBULANCE = (
    "IncidentID,CallDateTime,PatientName,PatientAge,PatientSex,IncidentAddress,"
    "IncidentPostcode,ChiefComplaint\n"
)
HEALTH = (
    "AttendanceID,HospitalNumber,NHSNumber,Forename,Surname,DateOfBirth,Sex,AddressLine1,"
    "AddressLine2,AddressLine3,Postcode,ArrivalDateTime,AttendanceType,PresentingComplaint,Site\n"
)
POLICE = (
    "OccurrenceRef,NominalID,OccurrenceDateTime,OffenceCategory,NominalName,DateOfBirth,Gender,"
    "NominalRole,LocationAddress,LocationType\n"
)


def ambulance(rows: dict[str, tuple[str, str]]) -> str:
    """id → (CallDateTime, PatientAge)."""
    return AMBULANCE + "".join(
        f"{rid},{when},Ann Jones,{age},F,1 High Street Swansea,SA1 1AA,Fall\n"
        for rid, (when, age) in rows.items()
    )


def health(rows: dict[str, tuple[str, str, str]]) -> str:
    """id → (ArrivalDateTime, DateOfBirth, NHSNumber)."""
    return HEALTH + "".join(
        f"{rid},H{rid},{nhs},Bob,Smith,{dob},1,2 Low Street,,Swansea,SA1 1AB,{when},ED,Fall,Morriston\n"
        for rid, (when, dob, nhs) in rows.items()
    )


# The red team's crashers, and each one's outcome: a quarantine code, or a warning on a kept row.
AMBULANCE_CRASHERS = {
    "A1": ("1700-01-01 10:00:00", "50"),  # birth range in 1649: pandas overflowed
    "A2": ("0001-01-01 10:00:00", "30"),  # add_years: year -29 is out of range
    "A3": ("0100-01-01 10:00:00", "30"),
    "A4": ("2026-01-01 10:00:00", "²"),  # int('²')
    "A5": ("1905-06-01 10:00:00", "10"),  # a birth range before 1900
    "A6": ("2026-01-01 10:00:00", "５０"),  # full-width digits
}
HEALTH_CRASHERS = {
    "H1": ("1650-01-01T10:00:00", "1600-01-01", ""),  # dob before 1678
    "H2": ("0061-01-01T10:00:00", "0021-01-01", ""),  # event year 61, birth year 21
    "H3": ("2010-01-01T10:00:00", "1899-12-31", ""),  # not 120 years before, but before 1900
    "H4": ("2026-01-01T10:00:00", "1990-01-01", "0000000000"),
    "H5": ("2026-01-01T10:00:00", "1991-01-01", "1111111111"),
    "H6": ("2026-01-01T10:00:00", "1992-01-01", "999 000 0018"),  # the NHS test range
    "H7": ("2026-01-01T10:00:00", "1993-01-01", "９４３４７６５９１９"),  # full-width, valid
    "H8": ("1950-01-01T10:00:00", "2", ""),  # an Excel serial: 1900-01-01
    "H9": ("2026-01-01T10:00:00", "²", ""),  # float('²') in the Excel branch: now serial 2
}
QUARANTINED = {"ambulance:A1", "ambulance:A2", "ambulance:A3", "health:H1", "health:H2"}
"""Each with event_too_early."""
WARNED = {
    "ambulance:A4": "",  # '²' is NFKC '2': an age of 2
    "ambulance:A5": "age_out_of_range",
    "ambulance:A6": "",
    "health:H3": "dob_out_of_range",
    "health:H4": "nhs_number_placeholder",
    "health:H5": "nhs_number_placeholder",
    "health:H6": "nhs_number_placeholder",
    "health:H7": "",
    "health:H8": "",
    "health:H9": "dob_too_old",
}


def shipped(tmp_path: Path, **overrides: object) -> Harness:
    h = Harness(tmp_path / "home", BUILTIN_FEEDS)
    h.settings = Settings(**{**h.settings.model_dump(), **overrides})
    return h


# --- the bounds, value by value --------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "ascii"),
    [("²", "2"), ("５０", "50"), ("٥٠", "50"), ("۵", "5"), ("①", "1"), ("𝟓", "5"), ("12", "12")],
)
def test_unicode_digits_become_ascii(raw: str, ascii: str) -> None:
    assert ascii_digits(raw) == ascii


@pytest.mark.parametrize(
    ("raw", "trusted", "expected"),
    [
        ("0000000000", True, (None, "nhs_number_placeholder")),
        ("1111111111", True, (None, "nhs_number_placeholder")),
        ("9999999999", True, (None, "nhs_number_placeholder")),
        ("999 000 0018", False, (None, "nhs_number_placeholder")),
        ("999 000 0018", True, ("9990000018", None)),  # synthetic data keeps its test numbers
        ("９４３４７６５９１９", False, ("9434765919", None)),
        ("٩٤٣٤٧٦٥٩١٩", False, ("9434765919", None)),
        ("²²²²²²²²²²", False, (None, "nhs_number_placeholder")),
        ("9434765919", False, ("9434765919", None)),
    ],
)
def test_placeholder_nhs_numbers_are_dropped(
    raw: str, trusted: bool, expected: tuple[str | None, str | None]
) -> None:
    assert identifiers.clean_nhs_number(raw, trust_test_range=trusted) == expected


def test_dates_outside_the_bounds() -> None:
    assert date(1900, 1, 1) == bounds.EARLIEST_DATE
    assert bounds.in_window(date(1900, 1, 1), NOW) and bounds.in_window(date(2026, 11, 2), NOW)
    assert not bounds.in_window(date(1899, 12, 31), NOW)
    assert not bounds.in_window(date(2026, 11, 3), NOW)
    assert dates.dob_problem(date(1899, 12, 31), date(2010, 1, 1)) == "dob_out_of_range"
    assert dates.parse_datetime("²", ("excel",)) is None


# --- ingest: the red team's files ------------------------------------------------------------


def test_the_red_teams_values_are_bounded_at_ingest(tmp_path: Path) -> None:
    h = shipped(tmp_path, trust_test_nhs_numbers=False)
    amb = h.ingest(write(tmp_path / "WAST_Calls_1.csv", ambulance(AMBULANCE_CRASHERS)))
    hlt = h.ingest(write(tmp_path / "SBUHB_EDAttendances_1.csv", health(HEALTH_CRASHERS)))
    for result in (amb, hlt):
        assert result.status == "loaded" and result.balanced
    assert amb.rows_in + hlt.rows_in == len(AMBULANCE_CRASHERS) + len(HEALTH_CRASHERS)

    kept = {r.record_id: r for r in h.rows()}
    assert set(kept) == set(WARNED)
    for record_id, warning in WARNED.items():
        if warning:
            assert warning in (kept[record_id].warnings or "").split(","), record_id
    assert (kept["ambulance:A4"].dob_earliest, kept["ambulance:A4"].dob_latest) == (
        date(2023, 1, 2),
        date(2024, 1, 1),
    )
    assert kept["ambulance:A6"].dob_latest == date(1976, 1, 1)
    assert kept["health:H7"].nhs_number == "9434765919"
    assert all(kept[f"health:H{i}"].nhs_number is None for i in (4, 5, 6))
    assert kept["health:H8"].dob == date(1900, 1, 1)
    assert kept["health:H3"].dob is None and kept["ambulance:A5"].dob_earliest is None
    quarantined = {f"{r.feed}:{r.line_no}": r for r in h.rows(quarantine)}
    assert len(quarantined) == len(QUARANTINED)
    for row in quarantined.values():
        assert row.reason_code == "event_too_early"
        assert "1900-01-01" in row.reason

    # What was kept, every later step handles.
    run = resolve(h.engine, now=NOW)
    assert run.people.records == len(WARNED)
    assert refresh(h.engine, h.settings, full=True).counts["Record"] == len(WARNED)


def test_an_unexpected_row_failure_is_quarantined_naming_its_field(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = mapper.names.split_full_name

    def fails_on_one_name(value: str, split: str) -> object:
        if "Bryony" in value:
            raise ValueError(f"cannot split {value!r}")  # quotes the value, as libraries do
        return real(value, split)  # type: ignore[arg-type]

    monkeypatch.setattr(mapper.names, "split_full_name", fails_on_one_name)
    rows = (
        GOOD + GOOD.replace("1,", "2,", 1).replace("Siân", "Bryony") + GOOD.replace("1,", "3,", 1)
    )
    result = harness.ingest(write(tmp_path / "test_1.csv", HEADER + rows))
    assert (result.status, result.stored, result.quarantined) == ("loaded", 2, 1)
    (row,) = harness.rows(quarantine)
    assert (row.line_no, row.reason_code) == (3, "unreadable_value")
    assert row.reason == (
        "full_name (column name) could not be read: unexpected ValueError; please report it"
    )
    assert "Bryony" not in row.reason and "Bryony" in row.fields  # kept for the administrator


def test_an_unexpected_file_failure_rejects_it_whole(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_flush(self: object) -> None:
        raise KeyError("JONES")

    path = write(tmp_path / "test_1.csv", HEADER + GOOD)
    with monkeypatch.context() as patch:
        patch.setattr(ingest._FileLoad, "flush", broken_flush)
        result = harness.ingest(path)
    assert (result.status, result.reject_code) == ("rejected", "load_failed")
    assert result.reason is not None and "KeyError" in result.reason
    assert "JONES" not in result.reason
    assert harness.count() == 0 and harness.count(quarantine) == 0
    with harness.engine.connect() as conn:
        ledger = conn.execute(sa.select(files.c.status, files.c.reject_code)).all()
    assert [tuple(r) for r in ledger] == [("rejected", "load_failed")]
    assert harness.ingest(path).stored == 1  # delivered again once fixed: it loads


def test_dates_stored_before_the_bounds_do_not_stop_resolve(
    harness: Harness, tmp_path: Path
) -> None:
    """A home that took such rows before the bounds were enforced still resolves."""
    rows = GOOD + GOOD.replace("1,", "2,", 1).replace("Siân", "Rhian")
    assert harness.ingest(write(tmp_path / "test_1.csv", HEADER + rows)).stored == 2
    with harness.engine.begin() as conn:
        conn.execute(
            records.update()
            .where(records.c.source_record_id == "1")
            .values(
                dob=date(1600, 1, 1), dob_earliest=date(1600, 1, 1), dob_latest=date(1600, 1, 1)
            )
        )
        conn.execute(
            records.update()
            .where(records.c.source_record_id == "2")
            .values(dob=None, dob_earliest=date(1649, 1, 2), dob_latest=date(1650, 1, 1))
        )
    run = resolve(harness.engine, now=NOW)
    assert run.people.records == 2


def test_training_survives_em_driving_a_level_to_zero() -> None:
    """Seven profiles the pipeline fuzz test made (minimised): EM drives a level's m to 0,
    which Splink refuses with a ValueError; the first resolve of such a home failed."""
    d = date
    profiles = [
        ("t", None, "evans", None, d(2023, 11, 12), None, None, None, "A19", "SA1 1AA"),
        ("t", None, "evans", None, d(2023, 11, 12), None, None, "female", "A19", "SA1 1AA"),
        (None, None, "ab", None, d(2000, 1, 1), None, None, "male", None, "SA1 1AA"),
        ("sian", "nul", "jones", None, d(2000, 1, 1), None, None, "female", "A16", "SA1 1AA"),
        ("mgf", "mred", "jones", "t", None, d(2021, 7, 3), d(2022, 7, 2), "female", None, None),
        (
            "mgf",
            "mred",
            "jones",
            "t",
            None,
            d(2021, 7, 3),
            d(2022, 7, 2),
            "female",
            "A20",
            "SA1 1AA",
        ),
        (
            "sian",
            None,
            "jones",
            None,
            None,
            d(1973, 1, 2),
            d(1974, 1, 1),
            "female",
            None,
            "SA1 1AA",
        ),
    ]
    frame = model.profile_frame(
        [
            Profile(
                f"p{i}", None, g or "", m or "", f or "", o or "", dob, lo, hi, sex, None, a, pc
            )
            for i, (g, m, f, o, dob, lo, hi, sex, a, pc) in enumerate(profiles)
        ]
    )
    with duckdb.connect() as con:
        trained = model.train(con, frame)
    # Every comparison is in the model: a failed session had left out those it blocked on
    # (dob), and explaining any record's link then failed (KeyError in the person page).
    names = [c["output_column_name"] for c in trained["splink"]["comparisons"]]
    assert names == list(model.COMPARISONS)


def test_training_on_too_few_pairs_keeps_every_comparison() -> None:
    frame = model.profile_frame(
        [
            Profile(
                "p1",
                None,
                "ann",
                "",
                "jones",
                "",
                date(1990, 1, 1),
                None,
                None,
                "female",
                None,
                None,
                "SA1 1AA",
            ),
            Profile(
                "p2",
                None,
                "bob",
                "",
                "smith",
                "",
                date(1980, 1, 1),
                None,
                None,
                "male",
                None,
                None,
                "SA2 9AB",
            ),
        ]
    )
    with duckdb.connect() as con:
        trained = model.train(con, frame)
    names = [c["output_column_name"] for c in trained["splink"]["comparisons"]]
    assert names == list(model.COMPARISONS)


def test_a_model_without_a_comparison_still_explains() -> None:
    """Models saved before the fix above lack comparisons; a person page must still read."""
    stored = {"splink": {"comparisons": [{"output_column_name": "nhs", "comparison_levels": []}]}}
    edge = SimpleNamespace(**{f"mw_{name}": 0.0 for name in model.COMPARISONS})
    parts = contributions(edge, stored)
    assert [p.field for p in parts] == list(model.COMPARISONS)


def test_a_place_that_weighs_nothing_is_not_said_to_be_missing() -> None:
    """An incident address scores 0, as a missing one does: the words name both."""
    stored = {"splink": model.settings()}
    for comparison in stored["splink"]["comparisons"]:
        for level in comparison["comparison_levels"]:
            level.setdefault("m_probability", 0.9)
            level.setdefault("u_probability", 0.1)
    edge = SimpleNamespace(**{f"mw_{name}": 0.0 for name in model.COMPARISONS})
    place = next(p for p in contributions(edge, stored) if p.field == "place")
    assert "only where an event happened" in place.level, place


# --- resolve and the daily run on an empty home ----------------------------------------------


@pytest.mark.integration
def test_resolve_and_the_daily_run_on_an_empty_home(tmp_path: Path) -> None:
    resolved = mast("resolve", home=tmp_path / "home")
    assert resolved.returncode == 0, resolved.stderr
    assert "Nothing to resolve" in resolved.stdout
    assert "Traceback" not in resolved.stderr
    daily = mast("run-daily", home=tmp_path / "home")
    assert daily.returncode == 0, daily.stdout + daily.stderr
    assert "nothing to resolve" in daily.stdout
    assert "Traceback" not in daily.stderr


def test_a_home_with_only_places_resolves_its_addresses(tmp_path: Path) -> None:
    h = shipped(tmp_path)
    fire = (
        "IncidentNumber,IncidentDate,IncidentType,Category,PropertyType,HouseNumber,Street,Town,"
        "Postcode,OccupantName,OccupantAge\n"
        "F1,01/10/2026,Fire,Kitchen,Dwelling,1,High Street,Swansea,SA1 1AA,,\n"
    )
    assert h.ingest(write(tmp_path / "MAWWFRS_Incidents_1.csv", fire)).stored == 1
    run = resolve(h.engine, now=NOW)
    assert (run.addresses.addresses, run.people.mode, run.nothing_to_resolve) == (1, "none", False)


def test_retraining_a_home_whose_people_were_all_purged(harness: Harness, tmp_path: Path) -> None:
    assert harness.ingest(write(tmp_path / "test_1.csv", HEADER + GOOD)).stored == 1
    resolve(harness.engine, now=NOW)
    purge(harness.engine, now=datetime(2028, 1, 1), retention_days=365, forget=forget_records)
    run = resolve(harness.engine, now=datetime(2028, 1, 1), retrain=True)
    assert (run.people.records, run.people.trained) == (0, False)


# --- the daily run isolates partners ---------------------------------------------------------


GIVEN = ["Rhys", "Dylan", "Owain", "Gareth", "Aled", "Huw", "Ieuan", "Llyr", "Emyr", "Iwan"]


def police_rows(n: int) -> str:
    return POLICE + "".join(
        f'O{i},N{i},01/10/2026 12:00,Theft,"EVANS, {GIVEN[i % 10]}",{1 + i:02d}/05/19{70 + i},M,'
        f'Victim,"{i} Mill Lane, Swansea, SA2 9AB",Dwelling\n'
        for i in range(n)
    )


CSC = (
    "Contact ID|Person ID|Forename|Surname|DOB|Gender|Address|UPRN|Contact Date|Contact Type|"
    "Role|Case Ref|Case Status|Case Opened|Case Closed|Allocated Worker|Worker Phone|"
    "Worker Email|Team\n"
)


def csc(rows: dict[str, tuple[str, str]]) -> str:
    """id → (Contact Date, DOB), each an open case: kept past the retention window, so a
    crasher stored once would stop every later day (as the red team found)."""
    return CSC + "".join(
        f"{rid}|S{rid}|Ann|Jones|{dob}|Female|1 High Street, Swansea, SA1 1AA||{when}|Referral|"
        f"Child|K{rid}|Open|{when}||Lowri Evans|01792 123456|lowri.evans@example.org|CP\n"
        for rid, (when, dob) in rows.items()
    )


CSC_ROWS = {
    "C1": ("01/01/1650", "01/01/1600"),
    "C2": ("01/01/0061", "01/01/0021"),
    "C3": ("01/10/2026", "01/01/2010"),
}


@pytest.mark.integration
def test_one_partners_bad_file_does_not_stop_the_day(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    hostile, ordinary, home = tmp_path / "hostile", tmp_path / "ordinary", tmp_path / "home"
    for folder in (hostile, ordinary, home):
        folder.mkdir()
    write(hostile / "WAST_Calls_20261031.csv", ambulance(AMBULANCE_CRASHERS))
    write(hostile / "SBUHB_EDAttendances_20261031.csv", health(HEALTH_CRASHERS))
    write(hostile / "Swansea_CSC_Contacts_20261031.csv", csc(CSC_ROWS))
    # An image under a partner's file name: rejected whole, and recorded against that file.
    (hostile / "WAST_Calls_20261101.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    write(ordinary / "SWP_Occurrences_20261031.csv", police_rows(12))
    (home / "partners.yaml").write_text(
        f"partners:\n  - name: hostile\n    folder: {hostile}\n"
        f"  - name: ordinary\n    folder: {ordinary}\n"
    )
    settings = Settings(home=home, feeds=BUILTIN_FEEDS, workers=1, trust_test_nhs_numbers=False)
    engine = open_store(settings)
    with caplog.at_level(logging.INFO):
        run = DailyJob(settings, engine).run(now=NOW)

    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    assert run.status == "ok", [(s.step, s.partner, s.error) for s in run.steps]
    steps = {(s.step, s.partner): s for s in run.steps}
    assert [s.step for s in run.steps][-4:] == ["purge", "resolve", "graph", "figures"]
    assert all(s.status == "ok" for s in run.steps)
    pulled = steps[("pull", "hostile")].counts
    assert (pulled["loaded"], pulled["rejected"]) == (3, 1)
    assert pulled["rows_in"] == len(AMBULANCE_CRASHERS) + len(HEALTH_CRASHERS) + len(CSC_ROWS)
    assert pulled["quarantined"] == len(QUARANTINED) + 2  # C1 and C2
    assert steps[("pull", "ordinary")].counts["stored"] == 12
    with engine.connect() as conn:
        ledger = conn.execute(sa.select(files)).all()
        stored = conn.execute(sa.select(sa.func.count()).select_from(records)).scalar_one()
    # The broken file is recorded against itself, with its reason; every row is accounted for.
    (image,) = [f for f in ledger if f.status == "rejected"]
    assert (image.name, image.reject_code) == ("WAST_Calls_20261101.csv", "not_text")
    loaded = [f for f in ledger if f.status == "loaded"]
    for f in loaded:
        assert f.rows_in == f.stored + f.updated + f.quarantined + f.duplicates
    assert sum(f.stored for f in loaded) == 12 + len(WARNED) + 1
    # Three kept rows (events of 1905, 1950, 2010) fall outside the retention window.
    assert stored == 12 + len(WARNED) + 1 - steps[("purge", None)].counts["records_removed"]
    # The ordinary partner's rows reached the graph.
    graph = open_graph(settings)
    try:
        police = graph.read("MATCH (r:`Record` {feed: 'police'}) RETURN count(r)", {}).rows
        resolved = graph.read(
            "MATCH (r:`Record` {feed: 'police'})-[:`RESOLVES_TO`]->(:`Person`) RETURN count(r)",
            {},
        ).rows
    finally:
        graph.close()
    assert police == resolved == [[12]]
