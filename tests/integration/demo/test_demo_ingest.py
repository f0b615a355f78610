"""The demo region, end to end: every generated row is accounted for against the ground truth."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from mast.demo.generate import generate
from mast.loaders.batch import ingest_paths
from tests.support.demo_data import check_every_row_accounted, extracts, truth_rows
from tests.support.harness import Harness

END = date(2026, 10, 31)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate(1500, 11, out, END)
    return out


def test_generator_is_deterministic(demo: Path, tmp_path: Path) -> None:
    again = generate(1500, 11, tmp_path, END)
    for path in extracts(demo):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name
    assert again.total_rows == sum(
        json.loads((demo / "truth/figures.json").read_text())["rows_per_feed"].values()
    )


def test_every_feed_has_its_own_layout(demo: Path) -> None:
    headers = {p.name: p.read_bytes().splitlines()[0] for p in extracts(demo)}
    assert len(headers) == 10 and len(set(headers.values())) == 10
    assert headers[next(n for n in headers if n.startswith("SBUHB"))].startswith(b"\xef\xbb\xbf")


def test_demo_ingest_accounts_for_every_row(
    demo: Path, make_harness: Callable[..., Harness]
) -> None:
    h = make_harness(shipped=True)
    results = ingest_paths(h.settings, extracts(demo), h.feeds)
    assert all(r.status == "loaded" and r.balanced for r in results)
    check_every_row_accounted(results, truth_rows(demo), {r.record_id for r in h.rows()})


def test_parallel_equals_serial_and_replay_is_a_no_op(
    demo: Path, make_harness: Callable[..., Harness], tmp_path: Path
) -> None:
    serial = make_harness(shipped=True)
    ingest_paths(serial.settings, extracts(demo), serial.feeds)
    parallel = Harness(tmp_path / "parallel", serial.settings.feeds)
    parallel.settings = parallel.settings.model_copy(update={"workers": 2})
    ingest_paths(parallel.settings, extracts(demo), parallel.feeds)
    assert parallel.digest() == serial.digest()
    replay = ingest_paths(parallel.settings, extracts(demo), parallel.feeds)
    assert {r.status for r in replay} == {"skipped"}
    assert parallel.digest() == serial.digest()


def test_key_figures_are_present(demo: Path) -> None:
    figures = json.loads((demo / "truth/figures.json").read_text())
    for key in (
        "addresses_with_11_15_police_incidents",
        "people_with_16_25_health_events",
        "known_to_childrens_services_and_health_not_police",
        "transitions_childrens_to_adult_services",
        "care_leavers_in_custody",
        "people_moved_across_local_authority_boundary",
    ):
        assert figures[key] > 0, key


def test_no_feed_calls_an_adult_a_child(demo: Path, make_harness: Callable[..., Harness]) -> None:
    """A role is what the partner stated: a feed whose layout has no role column must not
    write one for every row (Neath Port Talbot's export lists the parents of a case too)."""
    h = make_harness(shipped=True)
    ingest_paths(h.settings, extracts(demo), h.feeds)
    children = [r for r in h.rows() if r.role == "Child" and r.dob and r.occurred_at]
    assert children
    adults = [
        r.record_id
        for r in children
        if (date.fromisoformat(str(r.occurred_at)[:10]) - date.fromisoformat(str(r.dob)[:10])).days
        > 26 * 365
    ]
    assert not adults, adults[:5]
