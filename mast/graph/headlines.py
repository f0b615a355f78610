"""The proof of concept's headline figures (MISSION.md), each a named query with its
parameters: the web UI's dashboard shows them, and `mast demo` sets them beside the
generator's ground truth."""

from __future__ import annotations

from typing import Any

# (what, named query, its parameters beyond the window, key in figures.json)
HEADLINES: tuple[tuple[str, str, dict[str, Any], str], ...] = (
    (
        "addresses with 11–15 police incidents",
        "high_contact_addresses",
        {"agency_kind": "police", "min": 11, "max": 15},
        "addresses_with_11_15_police_incidents",
    ),
    (
        "people with 16–25 health events",
        "high_contact_people",
        {"agency_kind": "health", "min": 16, "max": 25},
        "people_with_16_25_health_events",
    ),
    (
        "known to children's social care and health, not police",
        "known_to_not",
        {"known": ["childrens_social_care", "health"], "not_known": ["police"]},
        "known_to_childrens_services_and_health_not_police",
    ),
    (
        "children's to adult services transitions",
        "transitions_to_adult_services",
        {},
        "transitions_childrens_to_adult_services",
    ),
    ("care leavers in custody", "care_leavers_in_custody", {}, "care_leavers_in_custody"),
    (
        "people recorded at homes in two local authorities",
        "moved_across_local_authorities",
        {},
        "people_recorded_at_homes_in_two_local_authorities",
    ),
)
