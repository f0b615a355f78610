"""Each kind of record partners write joins its person; the guards still hold.

A small region made here, not by the demo generator: 500 people at 250 homes, written by a
health feed (full dates of birth), a police feed that writes an estimated date of birth as
1 January of the year, an ambulance feed that gives an age, and a feed with no date of birth
at all. Trained and scored by the real model (Splink on DuckDB) and clustered by the real
clustering, as a full run does.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb
import pandas as pd
import pytest
from nhs_number.validate import is_valid

from mast.resolver import model as splink_model
from mast.resolver.cluster import cluster, partner_id_edges
from mast.resolver.people import LINK_WEIGHT, REVIEW_WEIGHT, scored_edges
from mast.resolver.profiles import (
    RecordPerson,
    build_profiles,
    detect_dob_placeholders,
    dob_evidence,
)

pytestmark = pytest.mark.integration
EVENT = datetime(2026, 10, 1)
GIVEN = [
    "sian",
    "megan",
    "rhys",
    "dylan",
    "cerys",
    "gareth",
    "owen",
    "ffion",
    "eleri",
    "huw",
    "rhian",
    "carys",
    "aled",
    "bethan",
    "dafydd",
    "emma",
    "jack",
    "olivia",
    "harry",
    "amelia",
    "george",
    "isla",
    "noah",
    "ava",
    "leo",
    "mia",
    "oscar",
    "grace",
    "arthur",
    "lily",
    "freddie",
    "evie",
    "theo",
    "ella",
    "alfie",
    "sophie",
    "charlie",
    "poppy",
    "oliver",
    "rosie",
    "thomas",
]
FAMILY = [
    "jones",
    "williams",
    "davies",
    "evans",
    "thomas",
    "roberts",
    "hughes",
    "lewis",
    "morgan",
    "griffiths",
    "price",
    "jenkins",
    "phillips",
    "james",
    "rees",
    "edwards",
    "powell",
    "owen",
    "parry",
    "lloyd",
    "protheroe",
    "bevan",
    "pritchard",
    "watkins",
    "howells",
    "morris",
    "richards",
    "harris",
    "walters",
    "matthews",
]


@dataclass
class Person:
    pid: str
    given: str
    family: str
    dob: date
    sex: str
    home: str  # address id
    postcode: str
    nhs: str = ""


def _nhs(rng: random.Random) -> str:
    """A valid NHS number, as the package that checks them judges it."""
    while True:
        number = "".join(str(rng.randrange(10)) for _ in range(10))
        if is_valid(number):
            return number


def _people(rng: random.Random) -> list[Person]:
    out = []
    for h in range(250):
        family, postcode = rng.choice(FAMILY), f"SA{h % 9 + 1} {h % 7 + 1}{chr(65 + h % 26)}B"
        for k in range(2):
            out.append(
                Person(
                    f"p{h}-{k}",
                    rng.choice(GIVEN),
                    family,
                    date(1950, 1, 1) + timedelta(days=rng.randrange(60 * 365)),
                    rng.choice("MF"),
                    f"A{h}",
                    postcode,
                    _nhs(rng),
                )
            )
    return out


def _record(
    rid: str, feed: str, p: Person, *, dob: date | None, lo: date | None = None, **kw: object
) -> RecordPerson:
    fields: dict[str, object] = {
        "source_person_id": None,
        "given_name": p.given,
        "middle_names": None,
        "family_name": p.family,
        "other_names": None,
        "dob_earliest": lo,
        "dob_latest": None if lo is None else lo + timedelta(days=365),
        "sex": p.sex,
        "nhs_number": None,
        "postcode": p.postcode,
        "address_id": p.home,
        "occurred_at": EVENT,
    }
    fields.update(kw)
    return RecordPerson(rid, feed, dob=dob, **fields)  # type: ignore[arg-type]


def _region(seed: int = 11) -> tuple[list[RecordPerson], dict[str, str], dict[str, str]]:
    """Records, each record's true person, and each record's kind."""
    rng = random.Random(seed)
    rows, truth, kind = [], {}, {}

    def add(r: RecordPerson, p: Person, k: str) -> None:
        rows.append(r)
        truth[r.record_id] = p.pid
        kind[r.record_id] = k

    for p in _people(rng):
        for i in range(2):
            record = _record(f"health:{p.pid}:{i}", "health", p, dob=p.dob, nhs_number=p.nhs)
            add(record, p, "date of birth")
        if rng.random() < 0.6:
            # The police habit: an estimate written as 1 January of the (right) year.
            add(
                _record(f"police:{p.pid}", "police", p, dob=date(p.dob.year, 1, 1)),
                p,
                "placeholder date of birth",
            )
        if rng.random() < 0.5:
            age = (EVENT.date() - p.dob).days // 365
            born_after = date(EVENT.year - age - 1, EVENT.month, EVENT.day) + timedelta(days=1)
            if rng.random() < 0.5:
                add(
                    _record(f"ambulance:{p.pid}", "ambulance", p, dob=None, lo=born_after), p, "age"
                )
            else:  # picked up in the street: the address is the incident's, not the home's
                street = {"address_id": f"E{rng.randrange(10**6)}", "postcode": "SA99 9EE"}
                add(
                    _record(
                        f"ambulance:{p.pid}", "ambulance", p, dob=None, lo=born_after, **street
                    ),
                    p,
                    "age at an incident address",
                )
        if rng.random() < 0.5:
            add(_record(f"school:{p.pid}", "school", p, dob=None), p, "no date of birth")
    return rows, truth, kind


def _resolve(rows: list[RecordPerson]) -> tuple[dict[str, str], dict[str, str], pd.DataFrame]:
    """Each record's person and profile, and the scored pairs, as a full run makes them."""
    profiles, profile_of = build_profiles(rows, dob_placeholders=detect_dob_placeholders(rows))
    frame = splink_model.profile_frame(list(profiles.values()))
    with duckdb.connect() as con:
        model = splink_model.train(con, frame)
        scored = splink_model.predict(con, frame, model, min_weight=REVIEW_WEIGHT)
    clustering = cluster(profiles, [*partner_id_edges(profiles.values()), *scored_edges(scored)])
    person_of = {r.record_id: clustering.cluster_of[profile_of[r.record_id]] for r in rows}
    return person_of, profile_of, scored


@pytest.fixture(scope="module")
def resolved() -> tuple[list[RecordPerson], dict[str, str], dict[str, str], dict[str, str]]:
    rows, truth, kind = _region()
    person_of, _, _ = _resolve(rows)
    return rows, truth, kind, person_of


def test_placeholder_dates_of_birth_are_found_from_their_frequency() -> None:
    rows, _, _ = _region()
    found = detect_dob_placeholders(rows)
    assert set(found) == {"police"}, found
    assert found["police"]["year"] and not found["police"]["month"]
    # Read as the year it stands for: never against a true date in that year.
    assert dob_evidence("police", date(1984, 1, 1), found) == (
        None,
        date(1984, 1, 1),
        date(1984, 12, 31),
    )
    assert dob_evidence("health", date(1984, 1, 1), found) == (date(1984, 1, 1), None, None)


def test_a_fill_in_date_is_no_evidence_at_all() -> None:
    rows = [
        RecordPerson(
            f"r{i}",
            "custody",
            None,
            "ann",
            None,
            f"f{chr(97 + i % 26)}{chr(97 + i // 26)}",
            None,
            date(1900, 1, 1) if i % 3 == 0 else date(1960, 1, 1) + timedelta(days=37 * i),
            None,
            None,
            None,
            None,
            None,
            None,
            EVENT,
        )
        for i in range(300)
    ]
    found = detect_dob_placeholders(rows)
    assert found["custody"]["dates"] == ["1900-01-01"]
    assert dob_evidence("custody", date(1900, 1, 1), found) == (None, None, None)


@pytest.mark.parametrize(
    "kind",
    [
        "date of birth",
        "placeholder date of birth",
        "age",
        "age at an incident address",
        "no date of birth",
    ],
)
def test_each_kind_of_record_joins_its_person(
    kind: str,
    resolved: tuple[list[RecordPerson], dict[str, str], dict[str, str], dict[str, str]],
) -> None:
    rows, truth, kinds, person_of = resolved
    # Each true person's resolved person: where their full-date records went.
    main = {
        truth[r.record_id]: person_of[r.record_id]
        for r in rows
        if kinds[r.record_id] == "date of birth"
    }
    joined = Counter(person_of[rid] == main[truth[rid]] for rid, k in kinds.items() if k == kind)
    assert joined[True] >= 0.97 * (joined[True] + joined[False]), (kind, joined)


def test_no_two_people_merge(
    resolved: tuple[list[RecordPerson], dict[str, str], dict[str, str], dict[str, str]],
) -> None:
    _, truth, _, person_of = resolved
    people_in: dict[str, set[str]] = defaultdict(set)
    for rid, resolved_as in person_of.items():
        people_in[resolved_as].add(truth[rid])
    merged = [p for p in people_in.values() if len(p) > 1]
    # Two people at one home with one family name and a given name alike are rare but real.
    assert len(merged) <= 2, merged


def _guarded(pair: list[RecordPerson]) -> tuple[float, bool]:
    """The pair's weight among the region's records, and whether it stayed two people."""
    rows, _, _ = _region()
    person_of, profile_of, scored = _resolve([*rows, *pair])
    a, b = sorted(profile_of[r.record_id] for r in pair)
    weight = scored[(scored.profile_a == a) & (scored.profile_b == b)].weight
    assert len(weight) == 1, "the pair was not even scored"
    return float(weight.iloc[0]), person_of[pair[0].record_id] != person_of[pair[1].record_id]


def _twin(given: str, sex: str, **kw: object) -> Person:
    fields: dict[str, object] = {
        "family": "protheroe",
        "dob": date(2011, 3, 14),
        "home": "A900",
        "postcode": "SA9 9ZZ",
    }
    fields.update(kw)
    return Person(f"t-{given}", given, sex=sex, **fields)  # type: ignore[arg-type]


def test_twins_stay_apart_though_they_score_as_one() -> None:
    # Written by a partner without NHS numbers: two valid ones would be a guard of their own.
    one, two = _twin("dylan", "M"), _twin("aled", "M")
    weight, apart = _guarded(
        [
            _record("health:t1", "health", one, dob=one.dob),
            _record("health:t2", "health", two, dob=two.dob),
        ]
    )
    assert weight >= LINK_WEIGHT and apart, weight


def test_father_and_son_with_one_name_stay_apart_through_a_record_without_a_date() -> None:
    """A record of "Gareth Protheroe" at their home, with no date of birth, scores as either
    of them: a chain of two links that only the father/son guard breaks."""
    father = _twin("gareth", "M", dob=date(1961, 6, 2))
    son = _twin("gareth", "M", dob=date(1989, 11, 20))
    rows, _, _ = _region()
    pair = [
        _record("health:f", "health", father, dob=father.dob),
        _record("health:s", "health", son, dob=son.dob),
    ]
    either = _record("school:g", "school", son, dob=None)
    person_of, profile_of, scored = _resolve([*rows, *pair, either])
    middle = profile_of[either.record_id]
    for r in pair:
        a, b = sorted((profile_of[r.record_id], middle))
        link = scored[(scored.profile_a == a) & (scored.profile_b == b)].weight
        assert len(link) == 1 and float(link.iloc[0]) >= LINK_WEIGHT, link
    assert person_of["health:f"] != person_of["health:s"]


def test_mother_and_baby_on_her_nhs_number_stay_apart_though_they_score_as_one() -> None:
    mother = _twin("cerys", "F", dob=date(1994, 5, 8))
    baby = _twin("ffion", "F", dob=date(2026, 9, 1))
    weight, apart = _guarded(
        [
            _record("health:m", "health", mother, dob=mother.dob, nhs_number="9434765919"),
            _record("health:b", "health", baby, dob=baby.dob, nhs_number="9434765919"),
        ]
    )
    assert weight >= LINK_WEIGHT and apart, weight


def test_a_placeholder_1_january_does_not_block_a_true_date_in_that_year() -> None:
    person = _twin("owen", "M", dob=date(1988, 8, 17))
    _, apart = _guarded(
        [
            _record("health:o", "health", person, dob=person.dob),
            _record("police:o", "police", person, dob=date(1988, 1, 1)),
        ]
    )
    assert not apart


def test_an_incident_address_is_never_evidence_against() -> None:
    """A feed whose address is where the event happened (`address_is: event`): a different
    address between its record and another says nothing, where between homes it counts
    against; the same address still counts for."""
    rows, _, _ = _region()
    events = frozenset({"ambulance", "police"})
    plain, plain_of = build_profiles(rows)
    marked, marked_of = build_profiles(rows, event_feeds=events)
    # Records of other feeds keep the profile ids they had before the mark.
    assert all(
        plain_of[r.record_id] == marked_of[r.record_id] for r in rows if r.feed not in events
    )
    weights = {}
    for name, profiles in (("plain", plain), ("marked", marked)):
        with duckdb.connect() as con:
            frame = splink_model.profile_frame(list(profiles.values()))
            model = splink_model.train(con, frame)
            scored = splink_model.predict(con, frame, model, min_weight=-50)
        weights[name] = {
            (profiles[a].given, profiles[a].family, profiles[b].given, profiles[b].family, w)
            for a, b, w in zip(scored.profile_a, scored.profile_b, scored.mw_place, strict=True)
            if {profiles[a].address_id, profiles[b].address_id} & {None} == set()
            and (profiles[a].address_id != profiles[b].address_id)
            and ("E" in (profiles[a].address_id[0], profiles[b].address_id[0]))
        }
    assert weights["plain"] and all(w[-1] < 0 for w in weights["plain"])
    assert weights["marked"] and all(w[-1] == 0 for w in weights["marked"])


def test_a_place_many_people_pass_through_weighs_less_than_a_home() -> None:
    """ "Same address" is adjusted by how many profiles share the place (as names are by
    how common they are): two records at a hospital or a bus station, where many people
    are written down, are weaker evidence than two at a home."""
    rows, _, _ = _region()
    busy = {"address_id": "BUSY", "postcode": "SA1 1BS"}
    for i in range(80):
        stranger = Person(
            f"s{i}",
            GIVEN[i % len(GIVEN)],
            FAMILY[i % len(FAMILY)],
            date(1960 + i % 40, 1 + i % 12, 1 + i % 28),
            "F",
            "BUSY",
            "SA1 1BS",
        )
        rows.append(_record(f"ambulance:busy{i}", "ambulance", stranger, dob=stranger.dob, **busy))
    pairs = {}
    for where, born, fields in (
        ("home", date(1970, 1, 5), {"address_id": "HOME1", "postcode": "SA2 2HH"}),
        ("busy", date(1980, 3, 7), busy),
    ):
        p = Person(
            where, "zebedee", "quillfeather", born, "M", fields["address_id"], fields["postcode"]
        )
        pairs[where] = [
            _record(f"health:{where}", "health", p, dob=born, **fields),
            _record(f"school:{where}", "school", p, dob=born, middle_names="ann", **fields),
        ]
        rows.extend(pairs[where])
    profiles, profile_of = build_profiles(rows)
    with duckdb.connect() as con:
        frame = splink_model.profile_frame(list(profiles.values()))
        model = splink_model.train(con, frame)
        scored = splink_model.predict(con, frame, model, min_weight=-50)
    weight = {}
    for where, pair in pairs.items():
        a, b = sorted(profile_of[r.record_id] for r in pair)
        weight[where] = float(
            scored[(scored.profile_a == a) & (scored.profile_b == b)].weight.iloc[0]
        )
    assert weight["busy"] < weight["home"] - 2, weight


def test_a_given_name_cut_short_joins_its_person() -> None:
    """Rhi for Rhiannon, a short form no nickname list holds: one person, where the twin
    guard used to read two given names."""
    person = _twin("rhiannon", "F", dob=date(1996, 7, 20))
    short = Person(person.pid, "rhi", person.family, person.dob, "F", "A900", "SA9 9ZZ")
    _, apart = _guarded(
        [
            _record("health:r", "health", person, dob=person.dob),
            _record("school:r", "school", short, dob=person.dob),
        ]
    )
    assert not apart


def _letters(i: int) -> str:
    """A distinct made-up name for each number (names are folded to letters)."""
    return "".join(chr(97 + int(c)) for c in str(i)) + "an"


def _dated_rows(feed: str, dobs: list[date]) -> list[RecordPerson]:
    return [
        _record(
            f"{feed}:{i}",
            feed,
            Person(f"x{i}", _letters(i), _letters(i + 7), d, "F", "A1", "SA1 1AA"),
            dob=d,
        )
        for i, d in enumerate(dobs)
    ]


def test_a_feed_that_writes_every_estimate_as_1_january_keeps_their_years() -> None:
    """Where a feed writes its estimates as 1 January, each year's 1 January is common: a
    year's evidence, not a fill-in for "unknown" (which would drop the year); 01/01/1900
    still stands out among them as one."""
    rng = random.Random(3)
    true = [date(1950, 1, 1) + timedelta(days=rng.randrange(60 * 365)) for _ in range(1500)]
    estimated = [date(1960 + i % 20, 1, 1) for i in range(1500)]
    found = detect_dob_placeholders(
        _dated_rows("custody", [*true, *estimated, *[date(1900, 1, 1)] * 600])
    )
    assert found["custody"]["year"]
    assert found["custody"]["dates"] == ["1900-01-01"]
    assert dob_evidence("custody", date(1971, 1, 1), found)[1:] == (
        date(1971, 1, 1),
        date(1971, 12, 31),
    )


def test_a_feed_that_writes_some_estimates_as_the_1st_is_read_so() -> None:
    """The 1st of the month three times as often as chance: most such dates are estimates."""
    rng = random.Random(4)
    dobs = [date(1950, 1, 1) + timedelta(days=rng.randrange(60 * 365)) for _ in range(2000)]
    dobs += [date(1950 + i % 60, 1 + i % 12, 1) for i in range(130)]
    found = detect_dob_placeholders(_dated_rows("childrens", dobs))
    assert found["childrens"]["month"], found
