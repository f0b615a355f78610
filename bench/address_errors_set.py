"""A data set whose address errors nobody here wrote: a generated region's true addresses,
each recorded by five sources in the house styles of five English councils by the
`address-errors` package (real recording habits fitted on council data: names added or
shortened, streets or numbers dropped, sub-units added, postcode edits, tokens joined),
then ingested through a one-field feed and resolved by MAST's address resolution.

Truth is the package's `source_uprn` (what the string describes), mapped back to the
generator's address id."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from address_errors import Corruptor, Profile, load_components

from mast.core.db import open_store
from mast.core.settings import Settings
from mast.demo.generate import generate
from mast.loaders.batch import ingest_paths
from mast.loaders.feeds import load_feeds
from mast.resolver.addresses import resolve_all_addresses
from mast.schema.tables import record_addresses, records

STYLES = ("leeds", "bradford", "wigan", "derby", "cornwall")
_FEED = """\
feed: address_errors
description: Addresses recorded by the address-errors package
agency: {id: address-errors, name: address-errors sources, kind: fire}
files: ["AddressErrors_*.csv"]
record_id: [RecordID]
fields:
  event_ref: {column: RecordID}
  occurred_at: {column: Recorded, formats: ["%Y-%m-%d"]}
  address: {column: Address}
  postcode: {column: Postcode}
  team: {column: Source}
"""


@dataclass
class Measured:
    ids: list[str]
    found: list[str]
    true: list[str]
    stored: dict[str, Any]  # record id -> its stored row
    place_of: dict[str, dict[str, str]]  # record id -> the true place
    addresses: int
    seconds: float


def measure(work: Path, people: int, seed: int, region: str) -> Measured:
    extracts = work / "extracts"
    generate(people, seed, extracts, date(2026, 10, 31), region=region)
    with (extracts / "truth" / "addresses.csv").open(encoding="utf-8") as fh:
        places = list(csv.DictReader(fh))
    by_uprn = {p["uprn"]: p for p in places}
    components = work / "components.csv"
    with components.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["uprn", "subname", "name", "number", "streetname", "locality", "townname", "postcode"]
        )
        w.writerows(
            [
                p["uprn"],
                f"FLAT {p['flat']}" if p["flat"] else "",
                p["building"].upper(),
                p["number"],
                p["street"].upper(),
                p["locality"].upper(),
                p["town"].upper(),
                p["postcode"],
            ]
            for p in places
        )
    rows = load_components(str(components))
    data, truth = work / "AddressErrors_20261031.csv", {}
    with data.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["RecordID", "Source", "Recorded", "Address", "Postcode"])
        for n, style in enumerate(STYLES):
            gen = Corruptor(Profile.load(), style=style, seed=seed + n)
            gen.index(rows)
            for i, out in enumerate(gen.generate([p["uprn"] for p in places])):
                record_id = f"{style}-{i}"
                truth[f"address_errors:{record_id}"] = by_uprn[out["source_uprn"]]
                w.writerow(
                    [
                        record_id,
                        style,
                        "2026-10-01",
                        out["recorded_address"],
                        out["recorded_postcode"],
                    ]
                )
    feeds = work / "feeds"
    feeds.mkdir()
    (feeds / "address_errors.yaml").write_text(_FEED, encoding="utf-8")
    settings = Settings(home=work / "home", feeds=feeds, trust_test_nhs_numbers=True)
    ingest_paths(settings, [data], load_feeds(feeds))
    engine = open_store(settings)
    # Addresses only: these records name no one (and `mast resolve` fails on a store with no
    # person at all: splink's u sampling divides by zero, reported rather than fixed here).
    run = resolve_all_addresses(engine, now=datetime(2026, 11, 1))
    with engine.connect() as conn:
        address_of = dict(
            conn.execute(
                sa.select(record_addresses.c.record_id, record_addresses.c.address_id)
            ).all()
        )
        stored = {r.record_id: r for r in conn.execute(sa.select(records))}
    ids = sorted(stored)
    return Measured(
        ids,
        [address_of.get(i, i) for i in ids],
        [truth[i]["address_id"] for i in ids],
        stored,
        {i: truth[i] for i in ids},
        run.addresses,
        run.seconds,
    )
