"""A year of partner interactions with the people and places of the world.

Each ``Involvement`` becomes one row of one partner's extract. Rates are per person
per year, scaled by each person's heavy-tailed risk, so a few people and addresses
account for much of the activity, as in the proof of concept.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from mast.demo import vocab
from mast.demo.world import Person, Place, World, _Picker


@dataclass(slots=True, eq=False)
class Case:
    case_ref: str
    opened: date
    closed: date | None
    lead: str
    phone: str
    email: str
    team: str

    @property
    def status(self) -> str:
        return "closed" if self.closed else "open"


@dataclass(slots=True, eq=False)
class Involvement:
    feed: str
    event_ref: str
    when: datetime
    person: Person | None
    place: Place
    kind: str
    category: str = ""
    role: str = ""
    case: Case | None = None
    related: Person | None = None
    relationship: str = ""


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


class Year:
    """Generates every involvement of the year; `out` collects them in order of creation."""

    def __init__(self, world: World) -> None:
        self.w = world
        self.rng = world.rng
        self.out: list[Involvement] = []
        self.seq = 0
        self.police_cat = _Picker(dict(vocab.POLICE_CATEGORIES), self.rng)
        self.street_cat = _Picker(dict(vocab.NON_RESIDENTIAL_CATEGORIES), self.rng)
        # A few premises attract most street incidents (heavy tail of hotspots).
        self.hotspots = _Picker(
            {
                p.address_id: max(1, int(60 / (i + 1)))
                for i, p in enumerate(self.rng.sample(world.premises, len(world.premises)))
            },
            self.rng,
        )
        self.premises = {p.address_id: p for p in world.premises}

    def ref(self, prefix: str) -> str:
        self.seq += 1
        return f"{prefix}{self.seq:08d}"

    def day(self, lo: date | None = None, hi: date | None = None) -> date:
        lo = max(lo or self.w.start, self.w.start)
        hi = min(hi or self.w.end, self.w.end)
        if hi <= lo:
            return lo
        return lo + timedelta(days=self.rng.randrange((hi - lo).days + 1))

    def moment(self, day: date) -> datetime:
        return datetime.combine(day, time(self.rng.randrange(24), self.rng.randrange(60)))

    def add(
        self,
        feed: str,
        person: Person | None,
        when: datetime,
        kind: str,
        *,
        place: Place | None = None,
        ref: str | None = None,
        category: str = "",
        role: str = "",
        case: Case | None = None,
        related: Person | None = None,
        relationship: str = "",
    ) -> Involvement:
        where = place or (person.address_on(when.date()) if person else None)
        assert where is not None
        inv = Involvement(
            feed,
            ref or self.ref(feed[:3].upper()),
            when,
            person,
            where,
            kind,
            category,
            role,
            case,
            related,
            relationship,
        )
        self.out.append(inv)
        return inv

    def case(self, prefix: str, team: str, opened: date) -> Case:
        rng = self.rng
        given = rng.choice(vocab.FEMALE_NAMES + vocab.MALE_NAMES)
        family = rng.choice(list(vocab.SURNAMES))
        closed = opened + timedelta(days=rng.randint(20, 300)) if rng.random() < 0.55 else None
        slug = f"{given}.{family}".lower().replace("'", "").replace(" ", "")
        domain = {
            "CSC": "swansea.gov.uk",
            "NPT": "npt.gov.uk",
            "ASC": "swansea.gov.uk",
            "YJS": "westernbayyjs.org.uk",
            "PRB": "justice.gov.uk",
        }[prefix]
        return Case(
            self.ref(prefix),
            opened,
            closed if closed and closed <= self.w.end else None,
            f"{given} {family}",
            f"01792 {rng.randint(100000, 999999)}",
            f"{slug}@{domain}",
            team,
        )
