"""Properties over generated files: rows are conserved, ingesting twice equals once,
and a file that changes while it is read is rejected with nothing stored."""

from __future__ import annotations

import csv
import io
import tempfile
import textwrap
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mast.loaders.cleanse.dates import parse_datetime
from tests.support.harness import GOOD, HEADER, TEST_FEED, Harness, write

cell = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00"),
    max_size=12,
)
dates = st.one_of(
    st.dates().map(lambda d: d.strftime("%d/%m/%Y")),
    st.sampled_from(["31/02/2024", "", "00/00/0000", "01/01/2099", "45292"]),
)
rows = st.lists(
    st.tuples(st.integers(0, 30).map(str), dates, cell, dates, cell, cell, cell, cell), max_size=40
)


def new_harness(root: Path) -> Harness:
    feeds = root / "feeds"
    feeds.mkdir()
    (feeds / "test.yaml").write_text(
        textwrap.dedent(TEST_FEED.replace("ENCODING", "utf-8").replace("DELIM", ","))
    )
    return Harness(root / "home", feeds)


def as_csv(data: list[tuple[str, ...]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER.strip().split(","))
    writer.writerows(data)
    return out.getvalue()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows)
def test_rows_are_conserved_and_twice_is_once(data: list[tuple[str, ...]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        h = new_harness(root)
        path = write(root / "test_1.csv", as_csv(data))
        result = h.ingest(path)
        assert result.status == "loaded"
        assert result.rows_in == len(data)
        assert result.balanced
        assert h.count() == result.stored
        before = h.digest()
        assert h.ingest(path).status == "skipped"
        assert h.digest() == before


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows, st.randoms(use_true_random=False))
def test_file_order_does_not_change_what_is_stored(
    data: list[tuple[str, ...]], rnd: object
) -> None:
    """Two files with the same rows in different orders: the second is all duplicates."""
    unique = list({r[0]: r for r in data}.values())  # one row per id: no in-file conflicts
    shuffled = unique[:]
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        h = new_harness(root)
        first = h.ingest(write(root / "test_1.csv", as_csv(unique)))
        second = h.ingest(write(root / "test_2.csv", as_csv(shuffled) + "\n"))
        assert second.stored == second.updated == 0
        assert second.duplicates == first.stored
        assert second.quarantined == first.quarantined


def test_file_changed_while_being_read_is_rejected(harness: Harness, tmp_path: Path) -> None:
    rows_text = "".join(GOOD.replace("1,", f"{i},", 1) for i in range(1, 9000))
    path = write(tmp_path / "test_1.csv", HEADER + rows_text)
    calls: list[int] = []

    def append_while_reading(done: int) -> None:
        if not calls:  # the partner's system writes more while MAST reads
            with path.open("ab") as fh:
                fh.write(GOOD.replace("1,", "99999,", 1).encode())
        calls.append(done)

    before = harness.digest()
    result = harness.ingest(path, progress=append_while_reading)
    assert (result.status, result.reject_code) == ("rejected", "changed_while_reading")
    assert harness.digest() == before
    assert harness.ingest(path).stored == 9000  # delivered again, complete: loads once


def test_ambiguous_dates_follow_the_feed_definition() -> None:
    assert parse_datetime("03/04/2024", ("%d/%m/%Y",)).month == 4  # type: ignore[union-attr]
    assert parse_datetime("03/04/2024", ("%m/%d/%Y",)).month == 3  # type: ignore[union-attr]
