"""`mast generate`: write one extract per partner feed and a separate ground-truth folder."""

from __future__ import annotations

import csv
import json
import random
import shutil
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from mast.demo import agencies
from mast.demo.activity import Involvement, Year
from mast.demo.layouts import LAYOUTS, Layout, PersonIds
from mast.demo.second import activity as second_activity
from mast.demo.second import layouts as second_layouts
from mast.demo.second import vocab as second_vocab
from mast.demo.world import DEMO_GAZETTEER, Gazetteer, World, build_world

BAD_DATE = "31/02/2026"  # impossible in every layout's format: the row must be quarantined
_BAD_ROW_RATE = 0.0003
_DUPLICATE_ROW_RATE = 0.001


@dataclass(frozen=True)
class Region:
    """A region the generator can write: its place, its partners' layouts and their feed
    definitions (None: the ones shipped in mast/feeds)."""

    name: str
    gazetteer: Gazetteer
    layouts: tuple[Layout, ...]
    feeds: Path | None = None
    extra_activity: tuple[Callable[[Year, float], None], ...] = ()


REGIONS = {
    "demo": Region("demo", DEMO_GAZETTEER, LAYOUTS),
    "second": Region(
        "second",
        second_vocab.GAZETTEER,
        second_layouts.LAYOUTS,
        Path(second_layouts.__file__).parent / "feeds",
        (second_activity.ambulance_at_premises,),
    ),
}


@dataclass(frozen=True)
class GenerateResult:
    out: Path
    files: dict[str, Path]
    rows: dict[str, int]
    people: int
    feeds: Path | None = None  # the feed definitions written with the extracts, if any

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def simulate(
    world: World,
    scale: float = 1.0,
    extra: tuple[Callable[[Year, float], None], ...] = (),
) -> list[Involvement]:
    year = Year(world)
    for make in (
        agencies.police,
        agencies.health,
        agencies.ambulance,
        agencies.fire,
        agencies.social_care,
        agencies.education,
        agencies.youth_justice,
        agencies.probation_all,
        *extra,
    ):
        make(year, scale)
    return sorted(year.out, key=lambda inv: inv.when)


def _encodable(text: str, encoding: str) -> str:
    """What a legacy system does to characters its code page lacks: ŵ → w."""
    try:
        text.encode(encoding)
        return text
    except UnicodeEncodeError:
        out = []
        for ch in text:
            try:
                ch.encode(encoding)
                out.append(ch)
            except UnicodeEncodeError:
                out.append(
                    "".join(
                        c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
                    )
                )
        return "".join(out)


def _write_feed(
    layout: Layout,
    involvements: list[Involvement],
    out: Path,
    end: date,
    rng: random.Random,
    truth: Callable[[list[str]], object],
) -> tuple[Path, int]:
    path = out / end.strftime(layout.file_name)
    noise = layout.noise(rng)
    ids = PersonIds(rng)
    rows = 0
    with path.open("w", encoding=layout.encoding, newline="") as fh:
        writer = csv.DictWriter(
            fh, fieldnames=layout.columns, delimiter=layout.delimiter, lineterminator="\r\n"
        )
        writer.writeheader()
        for inv in involvements:
            recorded = noise.place(inv) if layout.stale_addresses else inv.place
            row = layout.row(inv, recorded, noise, ids)
            expect = "loaded"
            if rng.random() < _BAD_ROW_RATE:
                row[layout.occurred_column] = BAD_DATE
                expect = "quarantined"
            if layout.encoding != "utf-8":
                row = {k: _encodable(v, layout.encoding) for k, v in row.items()}
            writer.writerow(row)
            source_id = "/".join(row[c].strip() for c in layout.record_id)
            person = inv.person.person_id if inv.person else ""
            truth_row = [layout.feed, source_id, person, recorded.address_id, inv.place.address_id]
            truth([*truth_row, expect])
            rows += 1
            if rng.random() < _DUPLICATE_ROW_RATE:
                writer.writerow(row)  # the partner's export repeats a row
                truth([*truth_row, "duplicate" if expect == "loaded" else expect])
                rows += 1
    return path, rows


def generate(
    people: int,
    seed: int,
    out: Path,
    end: date,
    scale: float = 1.0,
    region: str = "demo",
) -> GenerateResult:
    spec = REGIONS[region]
    out.mkdir(parents=True, exist_ok=True)
    truth_dir = out / "truth"
    truth_dir.mkdir(exist_ok=True)
    world = build_world(people, seed, end, spec.gazetteer)
    involvements = simulate(world, scale, spec.extra_activity)
    by_feed: dict[str, list[Involvement]] = defaultdict(list)
    for inv in involvements:
        by_feed[inv.feed].append(inv)
    rng = random.Random(seed + 1)
    files, rows = {}, {}
    with (truth_dir / "records.csv").open("w", newline="", encoding="utf-8") as fh:
        truth = csv.writer(fh)
        # address_id: the address as written (it may be a stale one); event_address_id: where
        # the person really was.
        truth.writerow(
            ["feed", "source_record_id", "person_id", "address_id", "event_address_id", "expect"]
        )
        for layout in spec.layouts:
            taken = [inv for feed in layout.takes for inv in by_feed.get(feed, [])]
            if len(layout.takes) > 1:
                taken.sort(key=lambda inv: inv.when)
            files[layout.feed], rows[layout.feed] = _write_feed(
                layout, taken, out, end, rng, truth.writerow
            )
    _write_people(world, truth_dir)
    figures = key_figures(world, involvements)
    if region != "demo":
        figures["region"] = region
    figures["rows_per_feed"] = rows
    (truth_dir / "figures.json").write_text(json.dumps(figures, indent=2, sort_keys=True))
    feeds = None
    if spec.feeds is not None:
        # The region's feed definitions travel with its extracts: MAST_FEEDS=<out>/feeds.
        feeds = out / "feeds"
        feeds.mkdir(exist_ok=True)
        for definition in sorted(spec.feeds.glob("*.yaml")):
            shutil.copyfile(definition, feeds / definition.name)
    return GenerateResult(out, files, rows, len(world.people), feeds)


def _write_people(world: World, truth_dir: Path) -> None:
    with (truth_dir / "people.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "person_id",
                "given_name",
                "middle_names",
                "family_name",
                "birth_family_name",
                "sex",
                "dob",
                "nhs_number",
                "household",
                "flags",
            ]
        )
        for p in world.people:
            w.writerow(
                [
                    p.person_id,
                    p.given,
                    p.middle or "",
                    p.family,
                    p.birth_family,
                    p.sex,
                    p.dob.isoformat(),
                    p.nhs,
                    p.household,
                    " ".join(sorted(p.flags)),
                ]
            )
    with (truth_dir / "addresses.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "address_id",
                "uprn",
                "flat",
                "building",
                "number",
                "street",
                "locality",
                "town",
                "postcode",
                "local_authority",
                "premises_type",
            ]
        )
        for a in [*world.places, *world.premises]:
            w.writerow(
                [
                    a.address_id,
                    a.uprn,
                    a.flat or "",
                    a.building or "",
                    a.number or "",
                    a.street,
                    a.locality,
                    a.town,
                    a.postcode,
                    a.local_authority,
                    a.premises_type,
                ]
            )


_EVENT_ADDRESS_FEEDS = frozenset({"police", "ambulance"})
"""Feeds whose address is where the event happened (`address_is: event` in mast/feeds)."""


def key_figures(world: World, involvements: list[Involvement]) -> dict[str, object]:
    """The proof of concept's headline figures, counted on the true people and places."""
    police_at: dict[str, set[str]] = defaultdict(set)
    non_res: Counter[tuple[str, str]] = Counter()
    seen_non_res: set[str] = set()
    health: Counter[str] = Counter()
    agencies_of: dict[str, set[str]] = defaultdict(set)
    care_leavers, custody = set(), set()
    homes_seen: dict[str, set[str]] = defaultdict(set)  # local authorities of recorded homes
    csc_before_18, asc_after_18 = set(), set()
    for inv in involvements:
        pid = inv.person.person_id if inv.person else None
        if inv.feed == "police":
            police_at[inv.place.address_id].add(inv.event_ref)
            if not inv.place.residential and inv.event_ref not in seen_non_res:
                seen_non_res.add(inv.event_ref)
                non_res[(inv.place.premises_type, inv.category)] += 1
        if pid is None or inv.person is None:
            continue
        agencies_of[pid].add(inv.feed)
        if inv.feed not in _EVENT_ADDRESS_FEEDS:
            homes_seen[pid].add(inv.place.local_authority)
        age = inv.person.age_on(inv.when.date())
        if inv.feed == "health":
            health[pid] += 1
        if inv.kind == "Care Leaver":
            care_leavers.add(pid)
        if inv.kind == "Custody - Sentenced":
            custody.add(pid)
        if inv.feed.startswith("csc") and age < 18:
            csc_before_18.add(pid)
        if inv.feed == "asc" and age >= 18:
            asc_after_18.add(pid)
    in_records = set(agencies_of)
    movers = {
        p.person_id
        for p in world.people
        if p.person_id in in_records and len({h.local_authority for _, h in p.homes}) > 1
    }
    known_csc_health_not_police = sum(
        1
        for feeds in agencies_of.values()
        if feeds & {"csc_swansea", "csc_npt"} and "health" in feeds and "police" not in feeds
    )
    return {
        "window": {"from": world.start.isoformat(), "to": world.end.isoformat()},
        "people_in_world": len(world.people),
        "people_with_records": len(in_records),
        "addresses_with_11_15_police_incidents": sum(
            1 for s in police_at.values() if 11 <= len(s) <= 15
        ),
        "police_incidents_at_those_addresses": sum(
            len(s) for s in police_at.values() if 11 <= len(s) <= 15
        ),
        "non_residential_police_incidents_by_type_and_category": {
            f"{kind}/{cat}": n for (kind, cat), n in non_res.most_common()
        },
        "people_with_16_25_health_events": sum(1 for n in health.values() if 16 <= n <= 25),
        "known_to_childrens_services_and_health_not_police": known_csc_health_not_police,
        "transitions_childrens_to_adult_services": len(csc_before_18 & asc_after_18),
        "care_leavers_in_custody": len(care_leavers & custody),
        "people_moved_across_local_authority_boundary": len(movers),
        "people_recorded_at_homes_in_two_local_authorities": sum(
            1 for las in homes_seen.values() if len(las) > 1
        ),
        "twins_in_records": sum(
            1 for p in world.people if "twin" in p.flags and p.person_id in in_records
        ),
        "father_son_same_name_in_records": sum(
            1 for p in world.people if "junior" in p.flags and p.person_id in in_records
        ),
    }
