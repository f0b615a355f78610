"""Activity the second region has beyond the demo's: ambulance calls to named premises
(the bus station, a pub, a shop), recorded by the premises' name and often without a number."""

from __future__ import annotations

from mast.demo.activity import Year, _poisson

_CALLS = ("Assault", "Intoxicated", "Fall", "Collapse", "Overdose", "Mental health")


def ambulance_at_premises(y: Year, scale: float) -> None:
    rng, w = y.rng, y.w
    for person in w.people:
        if person.age_on(w.end) < 14:
            continue
        for _ in range(_poisson(rng, 0.04 * scale * person.risk)):
            y.add(
                "ambulance",
                person,
                y.moment(y.day()),
                "call",
                place=y.premises[y.hotspots()],
                category=rng.choice(_CALLS),
            )
