"""Every bad input of RELIABILITY.md that applies to files: a clear error or a quarantined row,
nothing lost, nothing stored half. Each test runs the real ingest on the real SQLite store."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from mast.core.errors import ConfigError
from mast.schema.tables import files, quarantine
from tests.support.harness import GOOD, HEADER, Harness, write

pytestmark = pytest.mark.usefixtures("state_url")
"""Every test here runs on SQLite and on PostgreSQL (`state_url`, tests/conftest.py)."""


def rejected_without_change(h: Harness, path: Path, code: str) -> str:
    before = h.digest()
    result = h.ingest(path)
    assert result.status == "rejected", result
    assert result.reject_code == code
    assert h.digest() == before  # nothing half-loaded
    assert result.reason
    return result.reason


def test_good_row_is_cleansed(harness: Harness, tmp_path: Path) -> None:
    result = harness.ingest(write(tmp_path / "test_1.csv", HEADER + GOOD))
    assert (result.status, result.rows_in, result.stored) == ("loaded", 1, 1)
    row = harness.rows()[0]
    assert (row.given_name, row.family_name, row.postcode, row.nhs_number, row.sex) == (
        "Siân",
        "Jones",
        "SA2 9AB",
        "9434765919",
        "female",
    )
    assert (row.house_number, row.street, row.town) == ("14", "Heol Ŵyr", "Swansea")
    assert json.loads(row.raw)["name"] == "JONES, Siân"  # stored as received (P5)


def test_unmapped_columns_are_never_stored(harness: Harness, tmp_path: Path) -> None:
    text = (
        'id,when,name,dob,secret_notes\n1,01/03/2026,"JONES, Ann",02/04/1990,private case notes\n'
    )
    harness.ingest(write(tmp_path / "test_1.csv", text))
    row = harness.rows()[0]
    assert "secret_notes" not in json.loads(row.raw)
    assert "private case notes" not in " ".join(str(v) for v in row)


@pytest.mark.parametrize(
    ("encoding", "declared"),
    [
        ("utf-8-sig", "utf-8"),
        ("utf-16", "utf-8"),
        ("cp1252", "cp1252"),
        ("utf-8", "utf-8"),
    ],
)
def test_encodings(
    make_harness: Callable[..., Harness], tmp_path: Path, encoding: str, declared: str
) -> None:
    h = make_harness(encoding=declared)
    text = HEADER + '1,01/03/2026,"O’BRIEN, Siân",02/04/1990,,£5 Lôn Fawr,SA1 1AA,M\n'
    result = h.ingest(write(tmp_path / "test_1.csv", text, encoding))
    assert result.stored == 1
    assert h.rows()[0].family_name == "O'Brien"
    assert h.rows()[0].given_name == "Siân"


def test_invalid_utf8_rejects_the_whole_file(harness: Harness, tmp_path: Path) -> None:
    data = (HEADER + GOOD).encode() + b'2,01/03/2026,"SMITH, J\xe9n",,,,,\n'
    path = tmp_path / "test_1.csv"
    path.write_bytes(data)
    reason = rejected_without_change(harness, path, "undecodable")
    assert "line 3" in reason and "cp1252" in reason


def test_nul_bytes_quarantine_the_row(harness: Harness, tmp_path: Path) -> None:
    result = harness.ingest(
        write(tmp_path / "test_1.csv", HEADER + GOOD + '2,01/03/2026,"SM\x00ITH, J",,,,,\n')
    )
    assert (result.stored, result.quarantined) == (1, 1)
    assert result.quarantine_reasons == {"nul_character": 1}


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
def test_delimiters_and_line_ends(
    make_harness: Callable[..., Harness], tmp_path: Path, delimiter: str, newline: str
) -> None:
    h = make_harness(delimiter=delimiter)
    rows = [
        ["id", "when", "name", "dob"],
        ["1", "01/03/2026", "JONES, Ann", "02/04/1990"],
        ["2", "02/03/2026", "SMITH, Bob", ""],
    ]
    text = newline.join(delimiter.join(r) for r in rows)  # and no final newline
    result = h.ingest(write(tmp_path / "test_1.csv", text))
    assert (result.status, result.stored) == ("loaded", 2)


def test_embedded_delimiters_newlines_and_blank_lines(harness: Harness, tmp_path: Path) -> None:
    text = (
        HEADER
        + "\n"
        + '1,01/03/2026,"JONES, Ann",,,"Flat 1,\n2 High St, Neath",SA11 1AB,F\n\n\n'
        + '2,01/03/2026,"SMITH, Bob",,,,,M\n'
    )
    result = harness.ingest(write(tmp_path / "test_1.csv", text))
    assert (result.rows_in, result.stored) == (2, 2)
    lines = sorted(r.line_no for r in harness.rows())
    assert lines == [3, 7]


def test_unbalanced_quotes_reject(harness: Harness, tmp_path: Path) -> None:
    text = HEADER + GOOD + '2,01/03/2026,"SMITH, Bob"x,,,,,M\n'
    reason = rejected_without_change(harness, write(tmp_path / "test_1.csv", text), "bad_quoting")
    assert "line 3" in reason


def test_headers_case_space_extra_missing_duplicate(harness: Harness, tmp_path: Path) -> None:
    ok = harness.ingest(
        write(tmp_path / "test_1.csv", ' ID ,WHEN,Name,DOB,extra\n1,01/03/2026,"A, B",,x\n')
    )
    assert ok.stored == 1
    missing = rejected_without_change(
        harness, write(tmp_path / "test_2.csv", 'id,name\n1,"A, B"\n'), "missing_columns"
    )
    assert "when" in missing and "dob" in missing
    rejected_without_change(
        harness,
        write(tmp_path / "test_3.csv", "id,when,name,dob,Name\n1,01/03/2026,a,,b\n"),
        "duplicate_columns",
    )


def test_ragged_rows_are_quarantined(harness: Harness, tmp_path: Path) -> None:
    result = harness.ingest(write(tmp_path / "test_1.csv", HEADER + GOOD + "2,01/03/2026\n"))
    assert (result.stored, result.quarantined, result.quarantine_reasons) == (
        1,
        1,
        {"field_count": 1},
    )


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n" + bytes(200), "not_text"),
        (b"PK\x03\x04" + bytes(100), "not_text"),
        (b"\x00\x01" * 500, "not_text"),
        (b"\n\n\n", "no_header"),
    ],
)
def test_files_that_are_not_extracts(
    harness: Harness, tmp_path: Path, content: bytes, code: str
) -> None:
    path = tmp_path / "test_1.csv"
    path.write_bytes(content)
    rejected_without_change(harness, path, code)


def test_header_only_file_loads_nothing(harness: Harness, tmp_path: Path) -> None:
    result = harness.ingest(write(tmp_path / "test_1.csv", HEADER))
    assert (result.status, result.rows_in) == ("loaded", 0)


def test_field_over_limit_rejects(harness: Harness, tmp_path: Path) -> None:
    text = HEADER + GOOD + f'2,01/03/2026,"{"A" * 140_000}",,,,,\n'
    reason = rejected_without_change(
        harness, write(tmp_path / "test_1.csv", text), "field_too_large"
    )
    assert "131,072" in reason


def test_ten_megabyte_line_rejects(harness: Harness, tmp_path: Path) -> None:
    text = HEADER + "2,01/03/2026," + "B" * (10 * 1024 * 1024) + "\n"
    rejected_without_change(harness, write(tmp_path / "test_1.csv", text), "field_too_large")


def test_file_over_quota_rejects(make_harness: Callable[..., Harness], tmp_path: Path) -> None:
    h = make_harness()
    h.settings = h.settings.model_copy(update={"max_file_bytes": 100})
    rejected_without_change(h, write(tmp_path / "test_1.csv", HEADER + GOOD * 5), "too_large")


def test_truncated_upload_rejects(harness: Harness, tmp_path: Path) -> None:
    full = HEADER + GOOD + '2,01/03/2026,"SMITH, Bob",03/04/1980,,"2 High St",SA1 1AA,M\n'
    cut = full[: full.rindex("SA1")]
    reason = rejected_without_change(harness, write(tmp_path / "test_1.csv", cut), "truncated")
    assert "line 3" in reason


@pytest.mark.parametrize(
    ("when", "dob", "code"),
    [
        ("31/02/2026", "", "invalid_occurred_at"),
        ("2026-13-01", "", "invalid_occurred_at"),
        ("00/00/0000", "", "invalid_occurred_at"),
        ("", "", "missing_occurred_at"),
        ("01/01/2099", "", "future_event"),
    ],
)
def test_bad_event_dates_are_quarantined(
    harness: Harness, tmp_path: Path, when: str, dob: str, code: str
) -> None:
    result = harness.ingest(
        write(tmp_path / "test_1.csv", f'{HEADER}{GOOD}9,{when},"A, B",{dob},,,,\n')
    )
    assert result.quarantine_reasons == {code: 1} and result.stored == 1
    q = harness.rows(quarantine)[0]
    assert (q.line_no, q.reason_code) == (3, code)
    assert when not in q.reason or not when  # the reason never repeats the value


@pytest.mark.parametrize(
    ("dob", "warning", "stored_dob"),
    [
        ("01/01/2030", "dob_after_event", None),
        ("01/01/1890", "dob_too_old", None),
        ("31/02/2000", "dob_invalid", None),
        ("29/02/2024", None, "2024-02-29"),
        ("45292", None, "2024-01-01"),
    ],
)
def test_bad_dates_of_birth_are_dropped_with_a_warning(
    harness: Harness, tmp_path: Path, dob: str, warning: str | None, stored_dob: str | None
) -> None:
    result = harness.ingest(
        write(tmp_path / "test_1.csv", f'{HEADER}1,01/03/2026,"A, B",{dob},,,,\n')
    )
    assert result.stored == 1
    row = harness.rows()[0]
    assert (str(row.dob) if row.dob else None) == stored_dob
    assert (row.warnings or "") == (warning or "")


@pytest.mark.parametrize(
    ("nhs", "postcode", "warnings", "stored"),
    [
        ("943 476 5918", "sa29ab", "nhs_number_checksum", ("", "SA2 9AB")),
        ("9.43E+09", "NFA", "nhs_number_malformed,no_fixed_abode", ("", "")),
        (" 9434765919 ", "SA2 9A", "postcode_invalid", ("9434765919", "")),
    ],
)
def test_identifiers_never_trusted_when_invalid(
    harness: Harness,
    tmp_path: Path,
    nhs: str,
    postcode: str,
    warnings: str,
    stored: tuple[str, str],
) -> None:
    harness.ingest(
        write(tmp_path / "test_1.csv", f'{HEADER}1,01/03/2026,"A, B",,{nhs},,{postcode},\n')
    )
    row = harness.rows()[0]
    assert (row.nhs_number or "", row.postcode or "") == stored
    assert set((row.warnings or "").split(",")) == set(warnings.split(","))


def test_names_and_hostile_text(harness: Harness, tmp_path: Path) -> None:
    text = HEADER + "".join(
        f'{i},01/03/2026,"{name}",,,,SA1 1AA,\n'
        for i, name in enumerate(
            [
                "O'BRIEN, Mary",
                "SMITH-JONES, Siân",
                "CHER",
                "UNKNOWN",
                "Baby of JONES",
                '=HYPERLINK(""x""), @SUM',
                "'); MATCH (n) DETACH DELETE n; --, <script>",
                "Jo\u200bnes, Ann",
            ]
        )
    )
    result = harness.ingest(write(tmp_path / "test_1.csv", text))
    assert result.stored == 8  # each still has a place
    got = {r.source_record_id: (r.given_name, r.family_name) for r in harness.rows()}
    assert got["0"] == ("Mary", "O'Brien") and got["1"] == ("Siân", "Smith-Jones")
    assert got["2"] == (None, "Cher") and got["3"] == (None, None) and got["4"] == (None, "Jones")
    assert got["7"] == ("Ann", "Jones")
    raw = {r.source_record_id: json.loads(r.raw)["name"] for r in harness.rows()}
    assert raw["5"].startswith("=HYPERLINK")  # kept as received; exports escape it


def test_row_with_no_person_and_no_place_is_quarantined(harness: Harness, tmp_path: Path) -> None:
    result = harness.ingest(write(tmp_path / "test_1.csv", f"{HEADER}1,01/03/2026,UNKNOWN,,,,,\n"))
    assert result.quarantine_reasons == {"no_subject": 1}


def test_padded_ids_and_duplicates(harness: Harness, tmp_path: Path) -> None:
    text = HEADER + GOOD + GOOD + GOOD.replace("1,", " 1 ,", 1).replace("SA2 9AB", "SA2 9AD")
    result = harness.ingest(write(tmp_path / "test_1.csv", text))
    assert (result.rows_in, result.stored, result.duplicates, result.quarantined) == (3, 1, 1, 1)
    assert result.quarantine_reasons == {"conflicting_duplicate": 1}
    assert result.balanced


def test_redelivery_is_a_no_op_and_changes_update(harness: Harness, tmp_path: Path) -> None:
    first = harness.ingest(write(tmp_path / "test_1.csv", HEADER + GOOD))
    before = harness.digest()
    again = harness.ingest(write(tmp_path / "test_1_renamed.csv", HEADER + GOOD))
    assert again.status == "skipped" and again.file_id == first.file_id
    assert harness.digest() == before and harness.loaded_files() == 1
    # Same file name, different bytes: a correction. New rows load, changed rows update.
    changed = GOOD.replace("SA2 9AB", "SA2 9AD")
    fix = harness.ingest(
        write(tmp_path / "test_1.csv", HEADER + changed + GOOD.replace("1,", "2,", 1))
    )
    assert (fix.status, fix.stored, fix.updated) == ("loaded", 1, 1)
    rows = {r.source_record_id: r for r in harness.rows()}
    assert rows["1"].postcode == "SA2 9AD" and rows["1"].first_file_id == first.file_id
    with harness.engine.connect() as conn:
        assert [r.status for r in conn.execute(files.select())] == ["loaded", "loaded"]


def test_unknown_file_name_is_a_clear_config_error(harness: Harness, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--feed"):
        harness.ingest(write(tmp_path / "other.csv", HEADER + GOOD))
    assert (
        harness.ingest(write(tmp_path / "other.csv", HEADER + GOOD), feed_name="test").stored == 1
    )


def test_streaming_path_for_files_over_the_buffer(harness: Harness, tmp_path: Path) -> None:
    harness.settings = harness.settings.model_copy(update={"buffer_bytes": 0, "batch_rows": 2})
    rows = "".join(GOOD.replace("1,", f"{i},", 1) for i in range(1, 8))
    result = harness.ingest(write(tmp_path / "test_1.csv", HEADER + rows + "9,31/02/2026,x,,,,,\n"))
    assert (result.stored, result.quarantined, result.balanced) == (7, 1, True)
    truncated = HEADER + rows.replace("1,", "20,", 1) + '21,01/03/2026,"JONES'
    before = harness.digest()
    assert harness.ingest(write(tmp_path / "test_2.csv", truncated)).reject_code == "truncated"
    assert harness.digest() == before
