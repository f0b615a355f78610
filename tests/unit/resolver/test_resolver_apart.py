"""What tells two people apart, and how "possibly the same person" and search hits use it:
a boy and his father with one name at one address are kept apart by their dates of birth,
and the page says so rather than a bare score; a pair a reviewer ruled apart is never
offered, and both sides say when it was ruled."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa

from mast.api.search_pairs import cues
from mast.core.db import open_store
from mast.core.settings import BUILTIN_FEEDS, Settings
from mast.resolver.apart import Side, differences, years_apart
from mast.resolver.near import possibly_same, ruled_apart
from mast.resolver.review import Item
from mast.schema.tables import (
    decisions,
    person_edges,
    person_profiles,
    persons,
    record_persons,
    review_items,
)
from mast.web.routes_review import evidence

NOW = datetime(2026, 12, 7, 9, 0)
BOY = Side("Andrew", date(2020, 11, 22), "male", None)
FATHER = Side("Andrew", date(1990, 12, 9), "male", "9991521526")


def test_a_boy_and_his_father_differ_by_their_dates_of_birth() -> None:
    assert differences(BOY, FATHER) == ["born 2020-11-22 and 1990-12-09: 29 years apart"]
    assert differences(FATHER, BOY) == ["born 1990-12-09 and 2020-11-22: 29 years apart"]
    assert years_apart(date(2020, 11, 22), date(2019, 11, 23)) == 0


def test_slips_are_not_differences_but_names_nhs_numbers_and_sex_are() -> None:
    typo = Side("Andy", date(2020, 11, 2), "m", None)  # a short form, one digit out
    assert differences(BOY, typo) == []
    assert differences(BOY, Side()) == []  # nothing known says nothing
    twin = Side("Bethan", date(2020, 11, 22), "female", None)
    assert differences(BOY, twin) == [
        "given names Andrew and Bethan are not forms of one name",
        "recorded as male and female",
    ]
    other = Side("Andrew", date(1990, 12, 9), "male", "9434765919")
    assert differences(FATHER, other) == ["different NHS numbers: 9991521526 and 9434765919"]
    months = Side("Andrew", date(2020, 3, 5), "male", None)
    assert differences(BOY, months) == ["born 2020-11-22 and 2020-03-05"]


def _region(tmp_path: Path) -> sa.Engine:
    """P1 a boy, P2 his father (one name, one address), P3 a split of the boy a reviewer
    ruled apart from him, P4 someone the model was unsure of."""
    engine = open_store(Settings(home=tmp_path, feeds=BUILTIN_FEEDS))
    people = {
        "P1": ("Andrew", date(2020, 11, 22)),
        "P2": ("Andrew", date(1990, 12, 9)),
        "P3": ("Andrew", date(2020, 11, 22)),
        "P4": ("Gareth", date(2019, 3, 10)),
    }
    weights = {f"mw_{n}": 0.0 for n in ("nhs", "given", "family", "dob", "sex", "place")}
    with engine.begin() as conn:
        for pid, (given, dob) in people.items():
            conn.execute(
                persons.insert().values(
                    person_id=pid,
                    given_name=given,
                    family_name="Lewis",
                    dob=dob,
                    sex="male",
                    records=1,
                    updated_at=NOW,
                )
            )
            conn.execute(
                person_profiles.insert().values(profile_id="f" + pid, records=1, person_id=pid)
            )
            conn.execute(
                record_persons.insert().values(
                    record_id="r" + pid, profile_id="f" + pid, person_id=pid
                )
            )
        # The boy's and the father's records scored as one (a health record without a
        # date of birth): refused by the dates of birth, and queued for a reviewer.
        for a in ("fP1", "fP3"):
            conn.execute(
                person_edges.insert().values(profile_a=a, profile_b="fP2", weight=8.36, **weights)
            )
        conn.execute(
            person_edges.insert().values(profile_a="fP1", profile_b="fP3", weight=9.0, **weights)
        )
        conn.execute(
            review_items.insert(),
            [
                {
                    "record_a": "rP1",
                    "record_b": "rP2",
                    "weight": 8.36,
                    "reason": "conflict",
                    "status": "open",
                    "created_at": NOW,
                    "evidence": "an open case; 5 records would move | for: same address; same"
                    " given name | kept apart: joined, their people would hold names or dates"
                    " of birth that no slip explains, or a partner's own id says otherwise",
                },
                {
                    "record_a": "rP1",
                    "record_b": "rP4",
                    "weight": 0.36,
                    "reason": "uncertain",
                    "status": "open",
                    "created_at": NOW,
                    "evidence": "5 records would move | for: same address; same family name"
                    " | against: different given names",
                },
            ],
        )
        conn.execute(
            decisions.insert().values(
                record_a="rP3",
                record_b="rP1",
                decision="unlink",
                decided_by="rev",
                reason="school confirmed another child",
                decided_at=NOW,
            )
        )
    return engine


def test_possibly_the_same_names_what_tells_the_people_apart(tmp_path: Path) -> None:
    engine = _region(tmp_path)
    offered = {c.person_id: c for c in possibly_same(engine, "P1")}
    assert set(offered) == {"P2", "P4"}  # P3 was ruled apart: never offered
    father = offered["P2"]
    assert father.kept_apart  # no bare "match 99.6%" for a refused pair
    assert "kept apart: born 2020-11-22 and 1990-12-09: 29 years apart" in father.why
    assert father.evidence_against.startswith("born 2020-11-22 and 1990-12-09: 29 years apart")
    unsure = offered["P4"]  # the model was unsure: for and against from the item
    assert not unsure.kept_apart
    assert unsure.evidence_for == "same address; same family name"
    assert unsure.evidence_against == (
        "born 2020-11-22 and 2019-03-10: 1 year apart;"
        " given names Andrew and Gareth are not forms of one name"
    )
    # The split's own page: its father is kept apart too, and the boy it was split from
    # is named as ruled apart, with the day.
    split = {c.person_id: c for c in possibly_same(engine, "P3")}
    assert set(split) == {"P2"} and split["P2"].why.startswith("kept apart: born")
    assert [(r.person_id, r.on) for r in ruled_apart(engine, "P3")] == [("P1", NOW)]
    assert [(r.person_id, r.on) for r in ruled_apart(engine, "P1")] == [("P3", NOW)]
    engine.dispose()


def test_search_hits_say_kept_apart_and_ruled_apart_not_possibly_the_same(
    tmp_path: Path,
) -> None:
    engine = _region(tmp_path)
    said = cues(engine, ["P1", "P2", "P3"])
    assert dict(said.same) == {}
    assert said.kept_apart["P3"] == {"P2": "born 2020-11-22 and 1990-12-09: 29 years apart"}
    assert said.kept_apart["P2"]["P1"] == "born 1990-12-09 and 2020-11-22: 29 years apart"
    assert said.ruled_apart == {"P1": {"P3": NOW}, "P3": {"P1": NOW}}
    engine.dispose()


def test_the_review_item_is_against_what_tells_the_people_apart() -> None:
    item = Item(
        1,
        "rP1",
        "rP2",
        8.36,
        "conflict",
        8.6,
        "an open case | for: same address | kept apart: joined, their people would hold names",
    )
    said = evidence(item, ["born 2020-11-22 and 1990-12-09: 29 years apart"])
    assert said["against"] == ["born 2020-11-22 and 1990-12-09: 29 years apart"]
    assert said["apart"] == ["born 2020-11-22 and 1990-12-09: 29 years apart"]
    assert said["for"] == ["same address"] and said["stakes"] == ["an open case"]
