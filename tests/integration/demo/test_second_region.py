"""The second region: its extracts ingest through the feed definitions written beside them
(no code in mast/loaders knows its layouts), every row is accounted for, and its truth covers
every row."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from mast.core.settings import BUILTIN_FEEDS
from mast.demo.generate import generate
from mast.loaders.batch import ingest_paths
from tests.support.demo_data import check_every_row_accounted, extracts, truth_rows
from tests.support.harness import Harness

END = date(2026, 10, 31)


@pytest.fixture(scope="module")
def second(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("second")
    generate(1500, 12, out, END, region="second")
    return out


def test_nine_layouts_unlike_the_demo(second: Path) -> None:
    files = extracts(second)
    headers = {p.read_bytes().splitlines()[0] for p in files}
    assert len(files) == len(headers) == 9
    assert len(list((second / "feeds").glob("*.yaml"))) == 9
    shipped = {p.read_text() for p in BUILTIN_FEEDS.glob("*.yaml")}
    assert not shipped & {p.read_text() for p in (second / "feeds").glob("*.yaml")}


def test_second_region_ingests_through_its_own_feeds(second: Path, tmp_path: Path) -> None:
    h = Harness(tmp_path / "home", second / "feeds")
    results = ingest_paths(h.settings, extracts(second), h.feeds)
    assert len(results) == 9
    assert all(r.status == "loaded" and r.balanced for r in results), [
        (r.status, r.balanced) for r in results
    ]
    check_every_row_accounted(results, truth_rows(second), {r.record_id for r in h.rows()})


def test_truth_covers_every_row_and_names_its_people_and_places(second: Path) -> None:
    truth = truth_rows(second)
    with (second / "truth/people.csv").open(encoding="utf-8") as fh:
        people = {r["person_id"] for r in csv.DictReader(fh)}
    with (second / "truth/addresses.csv").open(encoding="utf-8") as fh:
        places = {r["address_id"] for r in csv.DictReader(fh)}
    for path in extracts(second):
        feed = next(f for f, prefix in _PREFIXES.items() if path.name.startswith(prefix))
        with path.open(encoding="cp1252" if feed == "ctm_ambulance" else "utf-8", newline="") as fh:
            data_rows = sum(1 for _ in fh) - 1
        assert data_rows == sum(1 for t in truth if t["feed"] == feed), feed
    assert all(t["address_id"] in places and t["event_address_id"] in places for t in truth)
    # Only fire rows may lack a person (an unnamed occupier).
    assert all(t["person_id"] in people for t in truth if t["feed"] != "ctm_fire")


def test_the_region_has_its_own_habits(second: Path) -> None:
    """The error profile the brief asks for is present, so the bench can measure it."""
    text = {
        feed: next(second.glob(f"{prefix}*")).read_text(encoding="latin-1")
        for feed, prefix in _PREFIXES.items()
    }
    health, police, ambulance = text["ctm_health"], text["ctm_police"], text["ctm_ambulance"]
    assert "|01.01.1900|" in health  # a missing date of birth as a placeholder
    assert any(code in health for code in ("0000000000", "9999999999", "1111111111"))
    # Estimated dates of birth as 1 January: far more than the 1 in 365 born on it.
    dobs = [r["DOB"] for r in csv.DictReader(police.splitlines()) if r["DOB"]]
    assert sum(d.startswith("01-Jan-") for d in dobs) > 0.05 * len(dobs)
    assert " Hl " in ambulance  # Heol or Hill shortened
    assert "Cres Flat " in ambulance or " Flat " in ambulance.split("Flat ", 1)[1]
    assert "Bus Station, " in police + ambulance


_PREFIXES = {
    "ctm_police": "CTM_Police_Nominals_",
    "ctm_health": "PAS_Attendances_",
    "ctm_ambulance": "CAD_Incidents_",
    "ctm_fire": "SWFRS_HomeSafety_",
    "ctm_childrens": "CTM_CS_Episodes_",
    "ctm_adults": "WCCIS_Adults_",
    "ctm_education": "Ysgolion_Digwyddiadau_",
    "ctm_youth_justice": "YOT_Interventions_",
    "ctm_probation": "NDelius_CTM_",
}


def test_cli_writes_the_region_and_its_feeds_for_mast_feeds(tmp_path: Path) -> None:
    out, home = tmp_path / "second", tmp_path / "home"
    env = {**os.environ, "MAST_HOME": str(home), "COLUMNS": "200"}

    def mast(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mast", *args],
            capture_output=True,
            text=True,
            env={**env, **extra},
            check=False,
            timeout=300,
        )

    bad = mast("generate", "--region", "nowhere", "--out", str(out))
    assert bad.returncode != 0 and "--region" in bad.stderr
    gen = mast("generate", "--region", "second", "--people", "300", "--out", str(out))
    assert gen.returncode == 0, gen.stderr
    assert f"MAST_FEEDS={out / 'feeds'}" in gen.stdout.replace("\n", "")
    ingest = mast("ingest", str(out), MAST_FEEDS=str(out / "feeds"))
    assert ingest.returncode == 0, ingest.stdout + ingest.stderr
    total = ingest.stdout.split("total")[-1]
    assert "yes" in total and "NO" not in total
    assert ingest.stdout.count("loaded") == 9
