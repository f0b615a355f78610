"""Tallies derived again for what a delta touched equal tallies derived from everything,
and the whole-month span a report adds up is the months inside its window, no more."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from mast.graph import tally
from mast.graph.projection import NODE_SCHEMAS, REL_SCHEMAS

KINDS = {"A1": "police", "A2": "health", "A3": "police", "A4": None}
SOURCES = ("Event", "Agency", "Person", "Address", "AT", "BY", "IN_EVENT", "RESOLVES_TO")


def _day(rng: random.Random, events: int, records: int) -> dict[str, pa.Table]:
    """A projection's Event, Agency, AT, BY, IN_EVENT and RESOLVES_TO rows: events at a
    few addresses (some at none), records of a few people (some of none)."""
    rows: dict[str, list[dict[str, Any]]] = {k: [] for k in SOURCES}
    rows["Agency"] = [{"agency_id": a, "name": a, "kind": k} for a, k in KINDS.items()]
    rows["Person"] = [
        {"person_id": f"p{i}", "adult_on": None if i % 7 == 0 else _birthday(rng)}
        for i in range(40)
    ]
    rows["Address"] = [
        {"address_id": f"a{i}", "residential": [True, False, None][i % 3]} for i in range(35)
    ]
    for i in range(events):
        when = datetime(2026, 1, 1) + timedelta(hours=rng.randrange(24 * 300))
        event = f"e{i}"
        when = None if rng.random() < 0.02 else when
        rows["Event"].append(
            {
                "event_id": event,
                "category": rng.choice(["violence", "asb", None]),
                "occurred_at": when,
                "day": when and when.date(),
            }
        )
        rows["BY"].append({"src": event, "dst": rng.choice(list(KINDS))})
        if rng.random() < 0.9:
            rows["AT"].append({"src": event, "dst": f"a{rng.randrange(30)}"})
    for i in range(records):
        record = f"r{i}"
        rows["IN_EVENT"].append({"src": record, "dst": f"e{rng.randrange(events)}"})
        if rng.random() < 0.95:
            rows["RESOLVES_TO"].append({"src": record, "dst": f"p{rng.randrange(40)}"})
    return {
        k: pa.Table.from_pylist(v, schema=NODE_SCHEMAS.get(k) or REL_SCHEMAS[k])
        for k, v in rows.items()
    }


def _birthday(rng: random.Random) -> date:
    return date(2026, 1, 1) + timedelta(days=rng.randrange(300))


def _next_day(rng: random.Random, old: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """A day later: some events moved in time, address or category, some gone, some new;
    some records resolved to another person (a merge), some new."""
    day = {k: v.to_pylist() for k, v in old.items()}
    for event in rng.sample(day["Event"], 15):
        event["occurred_at"] = datetime(2026, 1, 1) + timedelta(hours=rng.randrange(24 * 300))
        event["day"] = event["occurred_at"].date()
        event["category"] = rng.choice(["violence", "asb", None])
    for at in rng.sample(day["AT"], 10):
        at["dst"] = f"a{rng.randrange(30, 35)}"
    gone = {e["event_id"] for e in rng.sample(day["Event"], 10)}
    day["Event"] = [e for e in day["Event"] if e["event_id"] not in gone]
    for kind in ("AT", "BY"):
        day[kind] = [r for r in day[kind] if r["src"] not in gone]
    day["IN_EVENT"] = [r for r in day["IN_EVENT"] if r["dst"] not in gone]
    kept = {r["src"] for r in day["IN_EVENT"]}
    day["RESOLVES_TO"] = [r for r in day["RESOLVES_TO"] if r["src"] in kept]
    for r in day["RESOLVES_TO"]:
        if r["dst"] == "p3":
            r["dst"] = "p4"  # p3 merged into p4
    for address in rng.sample(day["Address"], 3):
        address["residential"] = not address["residential"]  # a premises type corrected
    for person in rng.sample(day["Person"], 3):
        person["adult_on"] = _birthday(rng)  # a date of birth corrected
    for i in range(5):
        event = f"new{i}"
        when = datetime(2026, 11, 2, i)
        day["Event"].append(
            {"event_id": event, "category": "asb", "occurred_at": when, "day": when.date()}
        )
        day["BY"].append({"src": event, "dst": "A1"})
        day["AT"].append({"src": event, "dst": "a1"})
        day["IN_EVENT"].append({"src": f"rn{i}", "dst": event})
        day["RESOLVES_TO"].append({"src": f"rn{i}", "dst": "p7"})
    return {k: pa.Table.from_pylist(v, schema=old[k].schema) for k, v in day.items()}


@pytest.mark.parametrize("seed", range(5))
def test_a_delta_derives_the_tallies_a_full_count_does(seed: int) -> None:
    rng = random.Random(seed)
    old = _day(rng, 300, 500)
    old |= tally.count(old, old)
    new = _next_day(rng, old)
    whole = tally.count(new, new)
    assert whole["AddressTally"].num_rows and whole["PersonTally"].num_rows
    # A delta's scope holds rows that did not change as well: here, all of them.
    delta = tally.update(old, old, new, new)
    for label in tally.LABELS:
        assert delta.merged[label].equals(whole[label]), label
        # What it replaced and put in place turn the old tallies into the new.
        kept = old[label].filter(
            pc.invert(pc.is_in(old[label]["tally_id"], delta.before[label]["tally_id"]))
        )
        assert _rows(pa.concat_tables([kept, delta.after[label]])) == _rows(whole[label])
        assert delta.before[label].num_rows < old[label].num_rows  # not everything
    # And with nothing changed, the old tallies stand: so the comparison above bites.
    stale = tally.update(old, old, old, new)
    assert not all(stale.merged[label].equals(whole[label]) for label in tally.LABELS)


def test_an_agency_that_changed_kind_changes_every_tally() -> None:
    rng = random.Random(9)
    old = _day(rng, 100, 150)
    old |= tally.count(old, old)
    new = dict(old)
    agencies = old["Agency"].to_pylist()
    agencies[1]["kind"] = "police"
    new["Agency"] = pa.Table.from_pylist(agencies, schema=old["Agency"].schema)
    delta = tally.update(old, old, new, new)
    whole = tally.count(new, new)
    assert all(delta.merged[label].equals(whole[label]) for label in tally.LABELS)
    assert not delta.merged["PersonTally"].equals(old["PersonTally"])


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    return sorted(table.to_pylist(), key=lambda r: r["tally_id"])


def test_a_person_tally_counts_an_event_once_whatever_records_it_has() -> None:
    rng = random.Random(1)
    day = _day(rng, 1, 0)
    day["IN_EVENT"] = pa.Table.from_pylist(
        [{"src": "r1", "dst": "e0"}, {"src": "r2", "dst": "e0"}], schema=REL_SCHEMAS["IN_EVENT"]
    )
    day["RESOLVES_TO"] = pa.Table.from_pylist(
        [{"src": "r1", "dst": "p1"}, {"src": "r2", "dst": "p1"}], schema=REL_SCHEMAS["RESOLVES_TO"]
    )
    events = day["Event"].to_pylist()
    events[0]["occurred_at"] = datetime(2026, 3, 4, 5)
    events[0]["day"] = date(2026, 3, 4)
    day["Person"] = pa.Table.from_pylist(
        [{"person_id": "p1", "adult_on": date(2026, 3, 4)}], schema=NODE_SCHEMAS["Person"]
    )
    day["Event"] = pa.Table.from_pylist(events, schema=NODE_SCHEMAS["Event"])
    day["BY"] = pa.Table.from_pylist([{"src": "e0", "dst": "A1"}], schema=REL_SCHEMAS["BY"])
    people = tally.count(day, day)["PersonTally"].to_pylist()
    assert people == [
        {
            "tally_id": "p1|police|2026-03|adult",
            "person_id": "p1",
            "agency_kind": "police",
            "month": datetime(2026, 3, 1),
            "adult": True,  # on the 18th birthday is adult
            "events": 1,
            "first_day": date(2026, 3, 4),
        }
    ]


@pytest.mark.parametrize(
    ("start", "end", "first", "last"),
    [
        # part-months at both ends
        (
            datetime(2025, 12, 14, 9),
            datetime(2026, 3, 3),
            datetime(2026, 1, 1),
            datetime(2026, 3, 1),
        ),
        # exactly whole months: no part-month to walk
        (datetime(2026, 1, 1), datetime(2026, 3, 1), datetime(2026, 1, 1), datetime(2026, 3, 1)),
        # one moment past midnight on the 1st: that month is not whole
        (
            datetime(2026, 1, 1, 0, 0, 1),
            datetime(2026, 3, 1),
            datetime(2026, 2, 1),
            datetime(2026, 3, 1),
        ),
        # inside one month: no whole month, every event walked
        (datetime(2026, 6, 3), datetime(2026, 6, 20), datetime(2026, 7, 1), datetime(2026, 7, 1)),
        # no month after the last a datetime holds
        (datetime(9999, 12, 2), datetime.max, datetime(9999, 12, 2), datetime(9999, 12, 2)),
        # an empty or backwards window
        (datetime(2026, 6, 3), datetime(2026, 1, 20), datetime(2026, 7, 1), datetime(2026, 7, 1)),
    ],
)
def test_whole_months_are_the_months_inside_the_window(
    start: datetime, end: datetime, first: datetime, last: datetime
) -> None:
    assert tally.whole_months(start, end) == (first, last)
