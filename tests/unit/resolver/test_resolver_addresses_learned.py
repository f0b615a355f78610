"""The learned address layer: what the exact keys leave apart, Splink's model joins; what
is another home stays apart. Each joined pair here has two slips, so the keys alone (and
their one-slip repairs) keep it apart."""

from __future__ import annotations

import random

from mast.resolver.addresses import (
    AddressInput,
    Key,
    KeyState,
    add_inputs,
    cluster_keys,
    neighbours_among,
    resolve_addresses,
    within_reach,
)
from mast.resolver.addresses.learned import key_links, model_for
from tests.unit.resolver.test_resolver_addresses import addr, written


def neighbourhood() -> list[AddressInput]:
    """Forty homes, each written twice, once without its postcode: the keys and their
    repairs join each pair, which is what a model learns its prior from."""
    homes = []
    for i, street in enumerate(["Heol Ŵyr", "Mansel Street", "Eaton Crescent", "Gower Road"]):
        for n in range(1, 11):
            postcode = f"SA{i + 1} {n}QQ"
            homes.append(addr(f"bg.{i}.{n}", str(n + 40), street, postcode))
            homes.append(addr(f"bg.{i}.{n}.b", str(n + 40), street, None))
    return homes


def resolved(*records: AddressInput) -> dict[str, int]:
    return resolve_addresses([*neighbourhood(), *records])


def together(result: dict[str, int], a: str, b: str) -> bool:
    return a in result and b in result and result[a] == result[b]


def test_a_street_mistyped_under_a_postcode_mistyped_joins_its_place() -> None:
    result = resolved(
        written("right", "14 Heol Wyr, Sketty, Swansea SA2 9AB"),
        written("slips", "14 Heol Wry, Sketty, Swansea SA2 9BA"),
    )
    assert together(result, "right", "slips")


def test_a_missing_town_with_its_postcode_mistyped_joins_its_place() -> None:
    result = resolved(
        written("right", "14 Heol Wyr, Sketty, Swansea SA2 9AB"),
        written("no town", "14 Heol Wyr, SA2 9BD"),
    )
    assert together(result, "right", "no town")


def test_a_welsh_street_type_abbreviated_under_a_postcode_mistyped_joins_its_place() -> None:
    result = resolved(
        written("english", "14 Heol Wyr, Sketty, Swansea SA2 9AB"),
        written("welsh", "14 Hl. Wyr, Sketty, Swansea SA2 9BA"),
        written("road", "20 Terrace y Graig, Maesteg CF34 2FQ"),
        written("teras", "20 Teras y Grieg, Maesteg CF34 2QF"),
    )
    assert together(result, "english", "welsh")
    assert together(result, "road", "teras")


def test_a_flat_after_the_street_mistyped_joins_its_flat() -> None:
    result = resolved(
        written("before", "Flat 6, 31 Eaton Crescent, Swansea SA1 3AB"),
        written("after", "31 Eatn Cres Flat 6, Swansea SA1 3BA"),
        written("flat 7", "Flat 7, 31 Eaton Crescent, Swansea SA1 3AB"),
    )
    assert together(result, "before", "after")
    assert not together(result, "after", "flat 7")


def test_a_building_name_given_or_not_with_the_postcode_mistyped_joins_its_place() -> None:
    result = resolved(
        written("named", "Glan House, 14 Heol Wyr, Sketty, Swansea SA2 9AB"),
        written("unnamed", "14 Heol Wyrr, Sketty, Swansea SA2 9BA"),
    )
    assert together(result, "named", "unnamed")


def test_a_building_name_and_street_written_in_each_others_place_join() -> None:
    result = resolved(
        addr("in order", None, "Mansel Street", "SA1 5EE", building="Glan House"),
        addr("swapped", None, "Glan House", "SA1 5EE", building="Mansel Street"),
    )
    assert together(result, "in order", "swapped")


def test_other_doors_flats_streets_and_uprns_stay_apart() -> None:
    result = resolved(
        addr("14", "14", "Heol Wyr", "SA2 9AB"),
        addr("16", "16", "Heol Wry", "SA2 9BA"),
        addr("flat 1", "14", "Heol Wyr", "SA2 9AB", flat="1"),
        addr("flat 2", "14", "Heol Wry", "SA2 9BA", flat="2"),
        addr("castle hill", "5", "Castle Hill", "SA11 1AA", town="Neath"),
        addr("castle street", "5", "Castle Street", "SA11 1AB", town="Neath"),
        addr("uprn 1", "30", "Gower Road", "SA2 9AB", uprn="100"),
        addr("uprn 2", "30", "Gower Raod", "SA2 9BA", uprn="200"),
    )
    for a, b in [("14", "16"), ("flat 1", "flat 2"), ("castle hill", "castle street")]:
        assert not together(result, a, b), (a, b)
    assert not together(result, "uprn 1", "uprn 2")


def test_clustering_with_learned_links_within_reach_gives_what_clustering_all_would() -> None:
    """A day scores only its new keys and clusters the keys within reach of them, through
    rules and learned links alike: for every choice of seeds the reach must cluster as all
    keys do."""
    rng = random.Random(20261207)
    inputs = list(neighbourhood())
    streets = ["Heol Wyr", "Heol Wry", "Hl Wyr", "Mansel Street", "Mansle Street"]
    for i in range(300):
        inputs.append(
            addr(
                f"r{i}",
                str(rng.randint(1, 12)),
                rng.choice(streets),
                rng.choice(["SA2 9AB", "SA2 9BA", "SA2 9AD", None]),
                uprn=rng.choice([None] * 9 + [f"10{rng.randint(1, 12)}"]),
                town=rng.choice(["Swansea", None]),
            )
        )
    states: dict[Key, KeyState] = {}
    add_inputs(states, inputs)
    links = key_links(states, model_for(states))
    assert links  # the learned layer has something to say here
    whole = cluster_keys(states, links)
    keys = sorted(states)
    linked = sorted({k for pair in links for k in pair})
    for seeds in [linked[:1], linked[-2:], *(rng.sample(keys, n) for n in (1, 2, 5, 12))]:
        reach = within_reach(seeds, neighbours_among(states, links))
        inside = [(a, b) for a, b in links if a in reach and b in reach]
        part = cluster_keys({k: states[k] for k in reach}, inside)
        assert {k for k in reach if k in whole} == set(part)
        as_whole = {frozenset(k for k in part if whole[k] == n) for n in {whole[k] for k in part}}
        as_part = {frozenset(k for k in part if part[k] == n) for n in set(part.values())}
        assert as_part == as_whole


def test_a_keys_stored_blocks_are_the_blocks_it_is_scored_in() -> None:
    """A day finds a new key's candidates by the stored blocks: they must be the blocks
    Splink blocks the same key on, or a day would score fewer pairs than a full run."""
    from mast.resolver.addresses.learned import BLOCKS, SEP, blocks_of, frame  # noqa: PLC0415

    states: dict[Key, KeyState] = {}
    add_inputs(states, [*neighbourhood(), written("w", "Flat 6, 31 Eaton Cres, SA1 3AB")])
    table = frame(states)
    for row in table.itertuples(index=False):
        expected = [
            f"{i}{SEP}" + SEP.join(str(getattr(row, c)) for c in block)
            for i, block in enumerate(BLOCKS)
            if all(getattr(row, c) for c in block)
        ]
        assert blocks_of(tuple(row.key_id.split(SEP))) == expected  # type: ignore[arg-type]
