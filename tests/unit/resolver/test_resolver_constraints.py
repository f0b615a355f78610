"""Constraints and clustering: the traps of real data, without I/O."""

from __future__ import annotations

import itertools
import random
from datetime import date, datetime

from mast.resolver.cluster import (
    PARTNER_ID_WEIGHT,
    REVIEWER_WEIGHT,
    Edge,
    cluster,
    outweighs_its_person,
)
from mast.resolver.constraints import dob_compatible, given_compatible
from mast.resolver.people.changes import grown_people
from mast.resolver.profiles import Profile, RecordPerson
from mast.text.names import given_groups, name_key, phonetic

DOB = date(1990, 4, 2)


def prof(
    pid: str, given: str, *, dob: date | None = DOB, nhs: str | None = None, **kw: str
) -> Profile:
    fields: dict[str, object] = {
        "source": None,
        "middle": "",
        "family": "jones",
        "other_family": "",
        "dob_lo": None,
        "dob_hi": None,
        "sex": None,
        "address_id": "A1",
        "postcode": "SA2 9AB",
    }
    fields.update(kw)
    return Profile(pid, given=given, dob=dob, nhs=nhs, **fields)  # type: ignore[arg-type]


def mother_and_baby() -> dict[str, Profile]:
    """A mother's NHS number on her baby's record: other name, other date of birth."""
    return {
        p.profile_id: p
        for p in [
            prof("mum", "sian", nhs="9434765919", dob=date(1990, 4, 2)),
            prof("baby", "megan", nhs="9434765919", dob=date(2025, 1, 9)),
        ]
    }


def test_names_fold_and_group() -> None:
    assert name_key("Siân") == "sian" and name_key("O'Brien") == "obrien"
    assert name_key("Smith-Jones") == "smith jones"
    assert set(given_groups("dai")) & set(given_groups("david"))  # Welsh form
    assert set(given_groups("bill")) & set(given_groups("william"))  # English nickname
    assert phonetic("jones") == phonetic("jonnes")


def test_given_names_that_could_be_one_person() -> None:
    for a, b in [
        ("dai", "dafydd"),
        ("dafydd", "david"),
        ("megan", "megna"),  # typing error
        ("j", "john"),  # initial
        ("john paul", "paul"),  # known by a middle name
        ("ieuan", "ifan"),
        ("dai", "davdi"),  # a typo of another form of the name
        ("rhi", "rhiannon"),  # a short form cut from the front
        ("mo", "moses"),
    ]:
        assert given_compatible(a, b), (a, b)
    for a, b in [
        ("sian", "megan"),
        ("john", "jane"),
        ("j", "mary"),
        ("gareth", "rhys"),
    ]:
        assert not given_compatible(a, b), (a, b)


def test_dates_of_birth_one_mistake_apart() -> None:
    assert dob_compatible(DOB, date(1990, 2, 4))  # day and month swapped
    assert dob_compatible(DOB, date(1990, 4, 3))  # one digit
    assert dob_compatible(DOB, date(1991, 4, 2))  # a year out
    assert dob_compatible(DOB, date(2000, 4, 2))  # a decade out
    assert dob_compatible(DOB, None)
    assert not dob_compatible(DOB, date(1965, 8, 17))  # father and son


def test_twins_stay_apart_even_when_scored_together() -> None:
    profiles = {p.profile_id: p for p in [prof("a", "sian"), prof("b", "megan")]}
    result = cluster(profiles, [Edge(12.0, "a", "b")])
    assert result.cluster_of["a"] != result.cluster_of["b"]
    assert [(e.a, e.b) for e in result.refused] == [("a", "b")]


def test_father_and_son_with_one_name_stay_apart() -> None:
    profiles = {
        p.profile_id: p
        for p in [prof("dad", "dafydd", dob=date(1965, 8, 17)), prof("son", "dafydd")]
    }
    assert cluster(profiles, [Edge(9.0, "dad", "son")]).refused


# The weights the clustering docstring promises, written out so a retuned threshold is
# changed here on purpose: a date of birth is outweighed from 15, names from a partner's id (100).
DOB_OUTWEIGHED_AT = 15.0
NAMES_OUTWEIGHED_AT = 100.0


def test_twins_stay_apart_at_every_score_short_of_a_partners_own_id() -> None:
    """Twins share everything but the given name: no match weight joins them, however
    strong, right up to the weight of a partner's own person id, which is not second-guessed."""
    twins = {p.profile_id: p for p in [prof("a", "sian"), prof("b", "megan")]}
    for weight in (DOB_OUTWEIGHED_AT, 50.0, NAMES_OUTWEIGHED_AT - 0.01):
        result = cluster(twins, [Edge(weight, "a", "b")])
        assert result.cluster_of["a"] != result.cluster_of["b"], weight
    joined = cluster(twins, [Edge(NAMES_OUTWEIGHED_AT, "a", "b")])
    assert joined.cluster_of["a"] == joined.cluster_of["b"]


def test_father_and_son_stay_apart_just_short_of_the_weight_that_outweighs_a_birth_date() -> None:
    """One name, one address, born on the same day of the year 25 years apart (two digits, not
    one mistake): apart at any weight below 15, one person from 15 (a date mis-keyed)."""
    family = {
        p.profile_id: p
        for p in [prof("dad", "dafydd", dob=date(1965, 4, 2)), prof("son", "dafydd", dob=DOB)]
    }
    assert not dob_compatible(date(1965, 4, 2), DOB)
    apart = cluster(family, [Edge(DOB_OUTWEIGHED_AT - 0.01, "dad", "son")])
    assert apart.cluster_of["dad"] != apart.cluster_of["son"]
    assert [(e.a, e.b) for e in apart.refused] == [("dad", "son")]
    joined = cluster(family, [Edge(DOB_OUTWEIGHED_AT, "dad", "son")])
    assert joined.cluster_of["dad"] == joined.cluster_of["son"]


def test_a_chain_of_weak_links_does_not_join_two_people() -> None:
    # John ~ J ~ Jane: each link alone is plausible; together they would make one person of two.
    profiles = {
        p.profile_id: p for p in [prof("john", "john"), prof("j", "j"), prof("jane", "jane")]
    }
    sizes = {"john": 5, "jane": 5, "j": 1}
    result = cluster(
        profiles, [Edge(6.0, "j", "john"), Edge(5.0, "j", "jane")], sizes=sizes
    ).cluster_of
    assert result["john"] == result["j"] != result["jane"]


def test_two_valid_nhs_numbers_never_merge_but_a_reviewer_can() -> None:
    profiles = {
        p.profile_id: p
        for p in [prof("a", "sian", nhs="9434765919"), prof("b", "sian", nhs="9434765870")]
    }
    assert cluster(profiles, [Edge(30.0, "a", "b")]).refused
    forced = cluster(profiles, [Edge(REVIEWER_WEIGHT, "a", "b")]).cluster_of
    assert forced["a"] == forced["b"]


def test_a_reviewer_unlink_beats_a_partner_id() -> None:
    profiles = {p.profile_id: p for p in [prof("a", "sian"), prof("b", "sian")]}
    apart = {"a": {"b"}, "b": {"a"}}
    result = cluster(profiles, [Edge(PARTNER_ID_WEIGHT, "a", "b")], apart=apart).cluster_of
    assert result["a"] != result["b"]


def test_order_of_edges_does_not_change_the_clusters() -> None:
    profiles = {
        p.profile_id: p for p in [prof("john", "john"), prof("j", "j"), prof("jane", "jane")]
    }
    edges = [Edge(5.0, "j", "jane"), Edge(5.0, "j", "john")]
    assert cluster(profiles, edges).cluster_of == cluster(profiles, edges[::-1]).cluster_of


def test_an_identifier_without_a_check_digit_may_carry_a_slip() -> None:
    # FEBRL-style ids: one digit apart is a slip, so the pair is one person despite the
    # different given names; two valid NHS numbers one apart cannot occur (Mod-11).
    profiles = {
        p.profile_id: p for p in [prof("a", "amy", nhs="9555129"), prof("b", "lucy", nhs="9545129")]
    }
    result = cluster(profiles, [Edge(20.0, "a", "b")]).cluster_of
    assert result["a"] == result["b"]
    far = {
        p.profile_id: p for p in [prof("a", "amy", nhs="9555129"), prof("b", "lucy", nhs="1234567")]
    }
    assert cluster(far, [Edge(20.0, "a", "b")]).refused


def test_names_written_the_other_way_round_are_one_person() -> None:
    profiles = {
        p.profile_id: p
        for p in [prof("a", "adam", family="vaszocz"), prof("b", "vaszocz", family="adam")]
    }
    result = cluster(profiles, [Edge(8.0, "a", "b")]).cluster_of
    assert result["a"] == result["b"]


def test_a_shared_identifier_outweighs_a_mis_keyed_date_of_birth_but_not_a_new_name() -> None:
    same_name = {
        p.profile_id: p
        for p in [
            prof("a", "harry", nhs="2348791", dob=date(1940, 4, 1)),
            prof("b", "harry", nhs="2348791", dob=date(1952, 10, 4)),
        ]
    }
    assert not cluster(same_name, [Edge(5.0, "a", "b")]).refused
    assert cluster(mother_and_baby(), [Edge(5.0, "mum", "baby")]).refused


def test_a_baby_on_its_mothers_nhs_number_stays_apart_at_the_weight_real_pairs_reach() -> None:
    # One NHS number, family name, address and postcode: at the demo's size such a pair
    # scores about 20 (NHS ~13, address ~12, family ~6, a different name and date of
    # birth ~ -9, the prior ~ -17). That is "strong on everything else" for a mis-keyed
    # date of birth, but not with a different given name as well.
    assert cluster(mother_and_baby(), [Edge(20.0, "mum", "baby")]).refused
    same_name = {
        p.profile_id: p
        for p in [
            prof("a", "sian", dob=date(1990, 4, 2)),
            prof("b", "sian", dob=date(1983, 11, 21)),
        ]
    }
    assert not cluster(same_name, [Edge(20.0, "a", "b")]).refused


def test_an_issued_identifier_without_a_check_digit_outweighs_a_new_name_and_birth_date() -> None:
    # FEBRL-style national ids are one per person: shared exactly under one family name
    # (here with a slip), the given name and date of birth are what went wrong.
    def pair(family_b: str) -> dict[str, Profile]:
        return {
            p.profile_id: p
            for p in [
                prof("a", "madison", nhs="6281502", family="welller", dob=date(1934, 10, 24)),
                prof("b", "emmet", nhs="6281502", family=family_b, dob=date(1927, 5, 16)),
            ]
        }

    joined = cluster(pair("weller"), [Edge(10.0, "a", "b")])
    assert not joined.refused
    assert joined.cluster_of["a"] == joined.cluster_of["b"]
    # Under another family name the shared id is not enough.
    assert cluster(pair("price"), [Edge(10.0, "a", "b")]).refused
    # Nor is a valid NHS number, though the shape is the same.
    assert cluster(mother_and_baby(), [Edge(10.0, "mum", "baby")]).refused


def test_only_a_person_that_keeps_all_it_had_and_gains_new_records_has_grown() -> None:
    """A daily run describes such a person from what is stored for it, without reading its
    records; any other person must be read and described whole."""
    new = RecordPerson("t:z", "t", None, "Ann", None, "Jones", None, DOB, None, None, None,
                       None, None, None, datetime(2026, 3, 1))  # fmt: skip
    person_of = {"x": "P1", "y": "P1"}

    def grown(z_nhs: str | None, **day: dict[str, object]) -> dict[str, list[RecordPerson]]:
        profiles = {
            p.profile_id: p
            for p in [
                prof("x", "ann"),
                prof("y", "ann", nhs="9434765919"),
                prof("z", "ann", nhs=z_nhs),
            ]
        }
        clustering = cluster(profiles, [(20.0, "x", "z"), (10.0, "x", "y")])
        return grown_people(
            clustering,
            person_of,
            set(),
            arrived={"z": [new]},
            was_linked=day.get("was_linked", {}),  # type: ignore[arg-type]
            emptied=day.get("emptied", set()),  # type: ignore[arg-type]
        )

    assert grown(None) == {"P1": [new]}
    # The new record's other NHS number keeps y apart from x: P1 was split, not grown.
    assert grown("9434765870") == {}
    # P1 lost a record the same day (changed in place, or purged).
    assert grown(None, was_linked={"t:1": ("y", "P1")}) == {}
    assert grown(None, emptied={"x"}) == {}
    # The new record was another person's before: that person is retired or shrinks.
    assert grown(None, was_linked={"t:z": ("w", "P2")}) == {}


def test_records_added_to_a_profile_that_outweighs_its_person_move_no_decision() -> None:
    """The lemma a daily run leans on to leave a component alone: more records for a
    profile that outweighs the rest of its person change nothing `cluster` decides. Checked
    on random small graphs of clashing names and dates, where adding records elsewhere
    does change the clustering, so the check is not vacuous."""
    rng = random.Random(7)
    # Chains of one slip each (john ~ jon ~ jan; 2 April ~ 3 April ~ 3 May) whose ends
    # clash, so which value dominates a cluster decides what it may join.
    dobs = [date(1990, 4, 2), date(1990, 4, 3), date(1990, 5, 3), None]
    held = changed_elsewhere = 0
    for _ in range(1000):
        profiles = {
            f"p{i}": prof(
                f"p{i}",
                rng.choice(["john", "jon", "jan", ""]),
                dob=rng.choice(dobs),
                family=rng.choice(["jones", "smith"]),
            )
            for i in range(7)
        }
        ids = sorted(profiles)
        edges = [
            (round(rng.uniform(1, 14), 1), a, b)
            for a, b in itertools.combinations(ids, 2)
            if rng.random() < 0.5
        ]
        sizes = {pid: rng.randint(1, 4) for pid in ids}
        before = cluster(profiles, edges, sizes=sizes)
        for pid in ids:
            person = {q: profiles[q] for q in ids if before.cluster_of[q] == before.cluster_of[pid]}
            grown = {**sizes, pid: sizes[pid] + rng.randint(1, 5)}
            after = cluster(profiles, edges, sizes=grown)
            same = (after.cluster_of, after.refused) == (before.cluster_of, before.refused)
            if outweighs_its_person(pid, person, sizes):
                assert same, (pid, profiles, edges, sizes)
                held += 1
            elif not same:
                changed_elsewhere += 1
    assert held > 500 and changed_elsewhere > 200
