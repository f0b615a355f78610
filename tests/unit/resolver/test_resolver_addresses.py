"""Address resolution and stable ids: pure functions, no I/O."""

from __future__ import annotations

import itertools
import random

from mast.loaders.cleanse.addresses import split_address
from mast.resolver.addresses import (
    AddressInput,
    Key,
    KeyState,
    add_inputs,
    cluster_keys,
    describe,
    describe_grown,
    neighbours_among,
    resolve_addresses,
    within_reach,
)
from mast.resolver.stable_ids import IdEvent, assign_ids


def addr(
    rid: str,
    number: str | None = "14",
    street: str | None = "Heol Ŵyr",
    postcode: str | None = "SA2 9AB",
    **kw: str | None,
) -> AddressInput:
    fields: dict[str, str | None] = {
        "uprn": None,
        "flat": None,
        "building": None,
        "locality": "Sketty",
        "town": "Swansea",
        "premises_type": "dwelling",
    }
    fields.update(kw)
    return AddressInput(
        record_id=rid, house_number=number, street=street, postcode=postcode, **fields
    )  # type: ignore[arg-type]


def same(result: dict[str, int], *rids: str) -> bool:
    return len({result[r] for r in rids}) == 1


def test_errors_real_data_has_still_resolve_to_one_place() -> None:
    result = resolve_addresses(
        [
            addr("exact"),
            addr("accents", street="HEOL WYR"),
            addr("postcode typo", postcode="SA2 9AD"),
            addr("area typo", postcode="HA2 9AB"),
            addr("no postcode", postcode=None),
            addr("street typo", street="Heol Wyyr"),
        ]
    )
    assert same(
        result, "exact", "accents", "postcode typo", "area typo", "no postcode", "street typo"
    )


def test_different_places_stay_apart() -> None:
    result = resolve_addresses(
        [
            addr("house"),
            addr("flat 1", flat="1"),
            addr("flat 2", flat="2"),
            addr("next door", number="16"),
            addr("other street", street="Heol y Coed"),
            addr("other town", postcode=None, town="Neath", locality="Cimla"),
        ]
    )
    assert len(set(result.values())) == 6


def test_two_uprns_never_merge_and_uprn_joins_spellings() -> None:
    result = resolve_addresses(
        [
            addr("a", uprn="100"),
            addr("b", uprn="200", postcode="SA2 9AD"),
            addr("c", uprn="100", number="Ty Gwyn", street="Somewhere Else"),
        ]
    )
    assert result["a"] != result["b"]
    assert same(result, "a", "c")


def test_missing_postcode_is_not_guessed_between_two_candidates() -> None:
    result = resolve_addresses(
        [
            addr("sketty", postcode="SA2 9AB"),
            addr("mumbles", postcode="SA3 4XY", locality="Mumbles"),
            addr("unknown", postcode=None, locality=None),
        ]
    )
    assert result["unknown"] not in (result["sketty"], result["mumbles"])


def test_a_postcode_alone_is_not_an_address() -> None:
    assert resolve_addresses([addr("x", number=None, street=None)]) == {}


def test_describe_takes_the_commonest_values() -> None:
    members = [addr("a"), addr("b"), addr("c", street="Heol Wyr", premises_type="pub")]
    described = describe(members)
    assert described["street"] == "Heol Ŵyr" and described["residential"] is True


def counter() -> itertools.count[int]:
    return itertools.count(1)


def test_ids_survive_reruns_merges_and_splits() -> None:
    numbers = counter()

    def mint() -> str:
        return f"N{next(numbers)}"

    ids, events = assign_ids([["r1", "r2"], ["r3"]], {}, mint)
    assert ids == ["N1", "N2"] and events == []
    previous = {"r1": "N1", "r2": "N1", "r3": "N2"}
    same_again, events = assign_ids([["r3"], ["r2", "r1"]], previous, mint)
    assert same_again == ["N2", "N1"] and events == []
    merged, events = assign_ids([["r1", "r2", "r3"]], previous, mint)
    assert merged == ["N1"] and events == [IdEvent("merge", "N2", "N1")]
    split, events = assign_ids([["r1"], ["r2"], ["r3"]], {"r1": "N1", "r2": "N1", "r3": "N1"}, mint)
    assert split[0] == "N1" and split[1:] == ["N3", "N4"]
    assert events == [IdEvent("split", "N1", "N3"), IdEvent("split", "N1", "N4")]


def test_clustering_the_keys_within_reach_gives_what_clustering_all_would() -> None:
    """A daily run clusters only the keys new records could join (`within_reach`): for every
    choice of seed keys, those keys must come out exactly as in a run over all keys, and no
    key outside may share a cluster with one inside."""
    rng = random.Random(20261127)
    streets = ["Heol Ŵyr", "Heol Wyr", "Heol Wyrr", "Mansel Street", "Mansell Street"]
    postcodes = ["SA2 9AB", "SA2 9AD", "SA2 9BB", None, "SA1 6EE"]
    inputs = []
    for i in range(600):
        number = str(rng.randint(1, 30))
        # A place's UPRN now and then, and once in a while another place's (refused).
        uprn = rng.choice([None] * 8 + [f"1001{number}", f"1002{rng.randint(1, 30)}"])
        # Building names at a few numbers, some without a number or street (joined by name).
        names = ["Glan House", "The Red Lion", "Iceland"]
        building = rng.choice([None, *names]) if int(number) <= 3 else None
        alone = building is not None and rng.random() < 0.3
        inputs.append(
            addr(
                f"r{i}",
                number=None if alone else number,
                street=None if alone else rng.choice(streets),
                postcode=rng.choice(postcodes),
                uprn=uprn,
                flat=rng.choice([None, None, "1"]),
                town=rng.choice(["Swansea", "Neath"]),
                building=building,
            )
        )
    states: dict[Key, KeyState] = {}
    add_inputs(states, inputs)
    whole = cluster_keys(states)
    keys = sorted(states)
    sizes = []
    lone = [k for k in keys if k[3] == "manselstreet"][:1]  # a street few keys share
    named = [[k] for k in keys if k[4]]  # each key with a building name, alone
    for seeds in [
        keys[:1],
        keys[-3:],
        lone,
        *named,
        *(rng.sample(keys, n) for n in (1, 1, 2, 3, 5, 12)),
    ]:
        reach = within_reach(seeds, neighbours_among(states))
        assert set(seeds) <= reach
        part = cluster_keys({k: states[k] for k in reach})
        # Keys of no place (unsure names that join nothing) have no cluster, in both.
        assert {k for k in reach if k in whole} == set(part)
        as_whole = {frozenset(k for k in part if whole[k] == n) for n in {whole[k] for k in part}}
        as_part = {frozenset(k for k in part if part[k] == n) for n in set(part.values())}
        assert as_part == as_whole
        outside = {whole[k] for k in keys if k not in reach and k in whole}
        assert outside.isdisjoint(whole[k] for k in part)
        sizes.append(len(reach))
    assert min(sizes) < len(keys) / 4  # the reach is a part, not everything


def test_an_address_gaining_records_that_agree_is_described_as_from_all_its_records() -> None:
    """Agreeing (or empty) values only add votes to the commonest; one that differs could
    outvote it, so the address must be counted again."""
    stored = [addr("1", town="Swansea"), addr("2", town="Abertawe"), addr("3", town="Swansea")]
    before = describe(stored)
    fields = {k: v for k, v in before.items() if k != "residential"}
    agreeing = [addr("4", town="Swansea"), addr("5", number=None, town=None)]
    assert describe_grown(fields, agreeing) == describe(stored + agreeing) == before  # type: ignore[arg-type]
    outvoting = [addr("4", town="Abertawe"), addr("5", town="Abertawe")]
    assert describe(stored + outvoting)["town"] == "Abertawe"
    assert describe_grown(fields, outvoting) is None  # type: ignore[arg-type]


def written(rid: str, text: str, uprn: str | None = None) -> AddressInput:
    """A record whose address a partner wrote as one line, split as the loaders split it."""
    p = split_address(text)
    return AddressInput(
        rid,
        uprn,
        p.flat,
        p.building,
        p.house_number,
        p.street,
        p.locality,
        p.town,
        p.postcode,
        None,
    )


def places(*groups: list[str], alone: tuple[str, ...] = ()) -> None:
    """Each group's spellings resolve to one place, the groups to different places, and the
    records `alone` to none."""
    records = [
        written(f"{g}.{i}", text) for g, texts in enumerate(groups) for i, text in enumerate(texts)
    ]
    records += [written(f"alone.{i}", text) for i, text in enumerate(alone)]
    result = resolve_addresses(records)
    found = [{result.get(f"{g}.{i}") for i in range(len(texts))} for g, texts in enumerate(groups)]
    assert [len(f) for f in found] == [1] * len(groups), list(zip(groups, found, strict=True))
    assert None not in set().union(*found)
    assert len(set().union(*found)) == len(groups)
    assert not any(f"alone.{i}" in result for i in range(len(alone)))


def test_welsh_and_english_street_types_join_abbreviated_or_not() -> None:
    places(
        [
            "14 Heol Ŵyr, Sketty, Swansea SA2 9AB",
            "14 Hl Wyr, Sketty, Swansea SA2 9AB",
            "14 HL. ŴYR, SKETTY, SWANSEA, SA2 9AB",
        ],
        ["3 Ffordd y Brain, Cimla, Neath SA11 3AA", "3 Ff y Brain, Neath SA11 3AA"],
        ["7 Rhodfa Gwyn, Landore, Swansea SA1 6HQ", "7 Rh Gwyn, Landore, Swansea SA1 6HQ"],
        ["9 Lôn Bryn, Neath SA11 2RB", "9 Lon Bryn, Neath SA11 2RB", "9 LÔN BRYN, SA11 2RB"],
        ["31 Eaton Crescent, Swansea SA1 1AA", "31 Eaton Cres, Swansea SA1 1AA"],
        ["2 Mansel Road, Swansea SA1 1AB", "2 Mansel Rd., Swansea SA1 1AB"],
        ["5 St Helen's Close, Clydach SA6 9PZ", "5 Saint Helen's Cl, Clydach SA6 9PZ"],
    )
    # Stored before the loaders spelled types out: the resolver spells them out itself.
    stored = resolve_addresses([addr("full"), addr("short", street="Hl Wyr")])
    assert same(stored, "full", "short")


def test_a_flat_after_the_street_is_the_same_flat() -> None:
    places(
        [
            "Flat 6, 31 Eaton Crescent, Swansea SA1 1AA",
            "31 Eaton Cres Flat 6, Swansea SA1 1AA",
            "31 Eaton Crescent, Flat 6, Swansea, SA1 1AA",
        ],
        ["31 Eaton Crescent, Swansea SA1 1AA"],
        ["Flat 5, 31 Eaton Crescent, Swansea SA1 1AA"],
    )


def test_a_place_with_and_without_its_building_name_is_one() -> None:
    places(
        [
            "Flat 2, Glan House, 4 Brynmill View, Landore, Swansea SA1 2EQ",
            "Flat 2, 4 Brynmill View, Landore, Swansea SA1 2EQ",
            "Flat 2, Glan House, Brynmill View, Swansea SA1 2EQ",
        ],
        ["Flat 3, Glan House, 4 Brynmill View, Landore, Swansea SA1 2EQ"],
    )
    # Two Glan Houses in one postcode: a flat in one without its number is in neither.
    places(
        ["Flat 2, Glan House, 4 Brynmill View, Landore, Swansea SA1 2EQ"],
        ["Flat 2, Glan House, 8 Brynmill View, Landore, Swansea SA1 2EQ"],
        ["Flat 2, Glan House, Brynmill View, Swansea SA1 2EQ"],
    )


def test_named_premises_without_a_number_join_by_name_and_postcode_or_town() -> None:
    places(
        [
            "The Red Lion, 12 Wind Street, Swansea SA1 1DP",
            "The Red Lion, Swansea SA1 1DP",
            "Red Lion, Wind St, Swansea",
            "The Red Lion, Swansea",
        ],
        ["Flat 9, The Red Lion, 12 Wind Street, Swansea SA1 1DP", "Flat 9, The Red Lion"],
        ["The Red Lion, 3 High Street, Neath SA11 1AA", "THE RED LION, NEATH"],
        ["Bus Station, Station Road, Port Talbot SA13 1AB", "Bus Station, Port Talbot"],
        ["Bus Station, Plaza, Swansea SA1 3AA", "Bus Station, Swansea"],
        # A district is not a premises: a postcode or a town alone is no address.
        alone=("Townhill, Swansea SA1 6PJ", "Swansea SA1 6PJ", "Swansea"),
    )


def test_a_name_two_places_share_in_a_town_joins_neither() -> None:
    result = resolve_addresses(
        [
            written("wind", "The Red Lion, 12 Wind Street, Swansea SA1 1DP"),
            written("high", "The Red Lion, 5 High Street, Swansea SA1 2BB"),
            written("town", "The Red Lion, Swansea"),
        ]
    )
    assert len(set(result.values())) == 3


def test_two_uprns_keep_one_name_in_one_postcode_apart() -> None:
    """The name would join these (one name, one number, one postcode); their UPRNs differ."""
    result = resolve_addresses(
        [
            written("numbered", "The Red Lion, 12 Wind Street, Swansea SA1 1DP", uprn="10001"),
            written("named", "The Red Lion, Swansea SA1 1DP", uprn="10002"),
            written("unknown", "The Red Lion, SA1 1DP"),
        ]
    )
    assert same(result, "named", "unknown") and result["numbered"] != result["named"]
    without = resolve_addresses(
        [
            written("numbered", "The Red Lion, 12 Wind Street, Swansea SA1 1DP"),
            written("named", "The Red Lion, Swansea SA1 1DP"),
        ]
    )
    assert same(without, "numbered", "named")


def test_a_name_that_may_be_a_district_is_a_place_only_where_it_joins_one() -> None:
    """'Iceland, Treorchy' names a shop or a district: with the shop's street or number
    somewhere it is the shop; alone it is no address, and keeps its town."""
    places(
        [
            "Iceland, Station Road, Treorchy CF42 1TU",
            "Iceland, Treorchy CF42 1TU",
            "Iceland, Treorchy",
        ],
        ["Co-op, 3 Castle Close, Gurnos, Merthyr Tydfil CF47 9PY", "Co-op, Gurnos, Merthyr Tydfil"],
        alone=("Townhill, Swansea SA1 6PJ", "Townhill, Swansea", "Gurnos, Merthyr Tydfil CF47 9PY"),
    )
    alone = written("alone", "Townhill, Swansea SA1 6PJ")
    assert (alone.town, alone.postcode) == ("Swansea", "SA1 6PJ")
    with_uprn = resolve_addresses([written("u", "Townhill Stores, Swansea", uprn="10001")])
    assert "u" in with_uprn  # a UPRN names a place


def test_street_types_abbreviated_as_no_list_has_join_their_street() -> None:
    places(
        [
            "25 Cilgant Cynon, Brackla, Bridgend CF31 5UB",
            "25 Cilg Cynon, Brackla, Bridgend CF31 5UB",
        ],
        ["73 Rhodfa Dyfodwg, Pyle CF33 4NF", "73 Rhdf Dyfodwg, Pyle CF33 4NF"],
        ["20 Teras y Graig, Maesteg CF34 2FQ", "20 Terrace y Graig, Maesteg CF34 2FQ"],
        [
            "Bryn Awel, Cilgant Cynon, Brackla, Bridgend CF31 5UB",
            "Bryn Awel, Cilg Cynon, Brackla, Bridgend CF31 5UB",
        ],
        ["5 Castle Hill, Neath SA11 1AA", "5 Castle Hl, Neath SA11 1AA"],
        ["5 Castle Street, Neath SA11 1AA"],
    )


def test_a_place_written_without_postcode_or_commas_joins_it_in_its_area() -> None:
    """Without a postcode, the area a record names is its town or its locality, either way
    round; without commas, the street ends at its type."""
    places(
        [
            "1 St Helen's Gardens, Taibach, Port Talbot SA13 4TU",
            "1 St Helen's Gardens, Taibach",
            "1 St Helen's Gardens, Port Talbot",
            "1 St Helen's Gardens Taibach Port Talbot",
        ],
        ["1 Stryd Islwyn, Pontarddulais, Swansea SA4 7BL", "1 Stryd Islwyn Pontarddulais Swansea"],
        ["1 St Helen's Gardens, Sketty, Swansea SA2 9ZZ", "1 St Helen's Gardens, Sketty"],
        ["1 ST HELENS GARDENS"],  # no area, and two such places: neither
    )


def test_a_place_arriving_with_its_postcode_reaches_its_name_written_without_one() -> None:
    """The day 'The Red Lion, 12 Wind Street, SA1 1DP' first arrives, the stored 'The Red
    Lion, Swansea' (no postcode, so no place of its own) is within its reach and joins it."""
    states: dict[Key, KeyState] = {}
    keyed = add_inputs(
        states,
        [
            written("town", "The Red Lion, Swansea"),
            written("posted", "The Red Lion, 12 Wind Street, Swansea SA1 1DP"),
            written("elsewhere", "The Red Lion, 3 High Street, Neath SA11 1AA"),
        ],
    )
    reach = within_reach([keyed["posted"]], neighbours_among(states))
    assert keyed["town"] in reach
    whole = cluster_keys(states)
    assert whole[keyed["town"]] == whole[keyed["posted"]] != whole[keyed["elsewhere"]]
