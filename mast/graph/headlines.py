"""The proof of concept's headline figures, each a named query with its
parameters: the web UI's dashboard shows them, and `mast demo` sets them beside the
generator's ground truth."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from mast.graph.queries import CYPHER_DIR, SCAN_DIR, load_queries, run_named
from mast.graph.store import GraphStore


def N_(message: str) -> str:  # gettext's name for "translate later"
    """Marks an interface string for the web UI's Welsh catalogue; translated where shown."""
    return message


# (what, named query, its parameters beyond the window, key in figures.json)
HEADLINES: tuple[tuple[str, str, dict[str, Any], str], ...] = (
    (
        N_("addresses with 11–15 police incidents"),
        "high_contact_addresses",
        {"agency_kind": "police", "min": 11, "max": 15},
        "addresses_with_11_15_police_incidents",
    ),
    (
        N_("people with 16–25 health events"),
        "high_contact_people",
        {"agency_kind": "health", "min": 16, "max": 25},
        "people_with_16_25_health_events",
    ),
    (
        N_("known to children's social care and health, not police"),
        "known_to_not",
        {"known": ["childrens_social_care", "health"], "not_known": ["police"]},
        "known_to_childrens_services_and_health_not_police",
    ),
    (
        N_("children's to adult services transitions"),
        "transitions_to_adult_services",
        {},
        "transitions_childrens_to_adult_services",
    ),
    (N_("care leavers in custody"), "care_leavers_in_custody", {}, "care_leavers_in_custody"),
    (
        N_("people recorded at homes in two local authorities"),
        "moved_across_local_authorities",
        {},
        "people_recorded_at_homes_in_two_local_authorities",
    ),
)


def count_headlines(
    graph: GraphStore, *, start: date, end: date, now: datetime, scan: bool = False
) -> dict[str, int]:
    """Each headline figure (by its key) over [start, end): how many rows its query gives.
    The counting ones read the tallies; `scan` walks every event instead (the queries of
    `mast/cypher/scan/`, where a report has one there), to check the tallies against."""
    counts = {}
    for _what, name, params, key in HEADLINES:
        folder = SCAN_DIR if scan and name in load_queries(SCAN_DIR) else CYPHER_DIR
        takes = {p.name for p in load_queries(folder)[name].params}
        dated = {k: v for k, v in (("from", start), ("to", end)) if k in takes}
        result = run_named(
            graph, name, {**params, **dated}, now=now, max_rows=100_000_000, folder=folder
        )
        counts[key] = len(result.rows)
    return counts
