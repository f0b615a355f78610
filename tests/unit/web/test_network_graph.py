"""The explorer's drawing as the server builds it from a person's GraphQL answer: one edge
per pair and kind, expand by kind, and hubs collapsed into one node with a count."""

from __future__ import annotations

from typing import Any

from mast.web.routes_network import HUB_AT, graph_of


def _someone(pid: str, given: str = "Sam") -> dict[str, Any]:
    return {"personId": pid, "givenName": given, "familyName": "Test", "dob": "2001-02-03"}


def _centre(met: int) -> dict[str, Any]:
    """P0, their mother P1 (also in their household), and `met` people seen at one incident."""
    at = {"agency": "police", "occurredAt": "2026-03-04T10:00:00", "category": "welfare"}
    return {
        **_someone("P0"),
        "relatives": [
            {
                "kind": "mother",
                "validFrom": "2020-01-01",
                "validTo": "2026-01-01",
                "person": _someone("P1", "Ann"),
            },
            {
                "kind": "household",
                "validFrom": "2021-01-01",
                "validTo": "2025-01-01",
                "person": _someone("P1", "Ann"),
            },
        ],
        "network": [
            {"via": "shared event", "hops": 1, "person": _someone(f"Q{i}"), "events": [at]}
            for i in range(met)
        ],
        "household": [],
    }


def _kinds(graph: dict[str, Any]) -> list[tuple[str, str, str]]:
    return sorted(
        (e["data"]["source"], e["data"]["target"], e["data"]["kind"])
        for e in graph["elements"]
        if "source" in e["data"]
    )


def test_a_pair_has_one_dated_edge_per_kind() -> None:
    graph = graph_of(_centre(1))
    assert _kinds(graph) == [
        ("P0", "P1", "household"),
        ("P0", "Q0", "incident"),
        ("P1", "P0", "parent"),
    ]
    parent = next(e["data"] for e in graph["elements"] if e["data"].get("kind") == "parent")
    assert (parent["label"], parent["from"], parent["to"]) == ("mother", "2020-01-01", "2026-01-01")


def test_expand_by_kind_loads_only_those_links() -> None:
    graph = graph_of(_centre(3), frozenset({"parent"}))
    assert _kinds(graph) == [("P1", "P0", "parent")]
    assert {e["data"]["id"] for e in graph["elements"] if "source" not in e["data"]} == {"P0", "P1"}


def test_a_hub_collapses_into_one_node_with_a_count_until_asked() -> None:
    graph = graph_of(_centre(HUB_AT + 5))
    hubs = [e["data"] for e in graph["elements"] if e["data"].get("kind") == "hub"]
    assert len(hubs) == 1 and hubs[0]["count"] == HUB_AT + 5
    assert not any(e["data"]["id"].startswith("Q") for e in graph["elements"])
    everyone = graph_of(_centre(HUB_AT + 5), everyone=True)
    assert sum(e["data"]["id"].startswith("Q") for e in everyone["elements"]) == HUB_AT + 5
    assert len(graph_of(_centre(HUB_AT))["elements"]) == len(
        graph_of(_centre(HUB_AT), everyone=True)["elements"]
    )  # up to HUB_AT, nothing is collapsed
