"""The true world behind the extracts: places, households, people and their moves."""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate

from nhs_number.validate import calculate_checksum

from mast.demo import vocab

_UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


@dataclass(slots=True, eq=False)
class Place:
    address_id: str
    uprn: str
    flat: str | None
    building: str | None
    number: str | None
    street: str
    locality: str
    town: str
    postcode: str
    local_authority: str
    premises_type: str = "dwelling"

    @property
    def residential(self) -> bool:
        return self.premises_type == "dwelling"


@dataclass(slots=True, eq=False)
class Person:
    person_id: str
    given: str
    middle: str | None
    family: str
    birth_family: str
    sex: str  # "F" | "M"
    dob: date
    nhs: str
    household: int
    homes: list[tuple[date, Place]]
    risk: float
    flags: set[str] = field(default_factory=set)

    def address_on(self, day: date) -> Place:
        starts = [d for d, _ in self.homes]
        return self.homes[max(0, bisect_right(starts, day) - 1)][1]

    def age_on(self, day: date) -> int:
        return day.year - self.dob.year - ((day.month, day.day) < (self.dob.month, self.dob.day))


@dataclass
class World:
    start: date
    end: date
    places: list[Place]
    premises: list[Place]
    people: list[Person]
    households: list[list[Person]]
    rng: random.Random


class _Picker:
    """Weighted choice with precomputed cumulative weights (random.choices is slow in a loop)."""

    def __init__(self, items: dict[str, int], rng: random.Random) -> None:
        self.items = list(items)
        self.cum = list(accumulate(items.values()))
        self.rng = rng

    def __call__(self) -> str:
        return self.items[bisect_right(self.cum, self.rng.random() * self.cum[-1])]


def _nhs_numbers(rng: random.Random) -> Iterator[str]:
    """Unique numbers from the range the NHS reserves for testing (999 …): about 909,000
    of them. A region larger than that (the 10x benchmark) gets the rest in a shuffled
    sweep, then people without a number ("") rather than numbers a real person may hold."""
    seen: set[str] = set()
    misses = 0
    while misses < 1_000:
        body = f"999{rng.randrange(10**6):06d}"
        check = calculate_checksum(body)
        if check is not None and check < 10 and body not in seen:
            seen.add(body)
            misses = 0
            yield f"{body}{check}"
        else:
            misses += 1
    rest = [f"999{n:06d}" for n in range(10**6) if f"999{n:06d}" not in seen]
    rng.shuffle(rest)
    for body in rest:
        check = calculate_checksum(body)
        if check is not None and check < 10:
            yield f"{body}{check}"
    while True:
        yield ""


@dataclass(frozen=True)
class Gazetteer:
    """The place a region is drawn from: its localities, street names and named premises."""

    localities: tuple[tuple[str, str, str, tuple[str, ...]], ...]
    welsh_heads: tuple[str, ...]
    welsh_tails: tuple[str, ...]
    english_heads: tuple[str, ...]
    english_tails: tuple[str, ...]
    premises: tuple[tuple[str, str], ...]
    block_names: tuple[str, ...] = ("Bryn", "Glan", "Tŷ", "Park", "Victoria")
    welsh_share: float = 0.35
    # Copies of a premises name in other streets (The Red Lion in three towns).
    copies: tuple[tuple[str, int], ...] = (("shop", 3), ("pub", 3))
    # Share of homes known by a house name and no number ("Bryn Awel, Heol y Graig").
    named_houses: float = 0.0
    house_names: tuple[str, ...] = ()
    # Kinds of premises with flats above them, lived in ("Flat 2, The Red Lion").
    flats_above: tuple[str, ...] = ()


DEMO_GAZETTEER = Gazetteer(
    vocab.LOCALITIES,
    vocab.STREET_WELSH_HEADS,
    vocab.STREET_WELSH_TAILS,
    vocab.STREET_ENGLISH_HEADS,
    vocab.STREET_ENGLISH_TAILS,
    vocab.PREMISES,
)


def _street_name(rng: random.Random, g: Gazetteer) -> str:
    if rng.random() < g.welsh_share:
        return f"{rng.choice(g.welsh_heads)} {rng.choice(g.welsh_tails)}"
    return f"{rng.choice(g.english_heads)} {rng.choice(g.english_tails)}"


_STREET_PARTS = ("Upper", "Lower", "North", "South", "East", "West", "New", "Old", "Little")


def _places(rng: random.Random, n_addresses: int, g: Gazetteer) -> list[Place]:
    places: list[Place] = []
    used_postcodes: set[str] = set()
    used_streets: set[tuple[str, str]] = set()
    collisions = 0
    while len(places) < n_addresses:
        locality, town, la, districts = rng.choice(g.localities)
        street = _street_name(rng, g)
        if (street, locality) in used_streets:
            # A large region uses up the name lists: after many misses, a part of the street.
            collisions += 1
            if collisions < 50:
                continue
            street = f"{rng.choice(_STREET_PARTS)} {street}"
            if (street, locality) in used_streets:
                continue
        collisions = 0
        used_streets.add((street, locality))
        district, sector = rng.choice(districts), rng.randint(1, 9)
        postcode = ""
        for number in range(1, rng.randint(12, 90)):
            if number % 14 == 1 or not postcode:
                for _ in range(200):
                    postcode = (
                        f"{district} {sector}{rng.choice(_UNIT_LETTERS)}{rng.choice(_UNIT_LETTERS)}"
                    )
                    if postcode not in used_postcodes:
                        used_postcodes.add(postcode)
                        break
                # else: the sector is full, and this postcode is shared by two streets, as
                # real postcodes sometimes are.
            flats = rng.randint(2, 6) if rng.random() < 0.06 else 0
            building = (
                f"{rng.choice(g.block_names)} House" if flats and rng.random() < 0.5 else None
            )
            door: str | None = str(number)
            if not flats and g.named_houses and rng.random() < g.named_houses:
                building, door = rng.choice(g.house_names), None
            for flat in range(1, flats + 1) if flats else [0]:
                places.append(
                    Place(
                        address_id=f"A{len(places) + 1:07d}",
                        uprn=f"10{rng.randrange(10**10):010d}",
                        flat=str(flat) if flat else None,
                        building=building,
                        number=door,
                        street=street,
                        locality=locality,
                        town=town,
                        postcode=postcode,
                        local_authority=la,
                    )
                )
    return places[:n_addresses]


def _premises(rng: random.Random, places: list[Place], g: Gazetteer) -> list[Place]:
    out: list[Place] = []
    copies = dict(g.copies)
    for name, kind in g.premises:
        for copy in range(copies.get(kind, 1)):
            host = rng.choice(places)
            out.append(
                Place(
                    address_id=f"N{len(out) + 1:05d}",
                    uprn=f"20{rng.randrange(10**10):010d}",
                    flat=None,
                    building=name,
                    number=str(rng.randint(1, 120)) if copy else None,
                    street=host.street,
                    locality=host.locality,
                    town=host.town,
                    postcode=host.postcode,
                    local_authority=host.local_authority,
                    premises_type=kind,
                )
            )
    return out


def _flats_above(
    rng: random.Random, premises: list[Place], g: Gazetteer, first: int
) -> list[Place]:
    """Homes above named premises: a flat known by the premises' name, often with no number."""
    out: list[Place] = []
    for host in premises:
        if host.premises_type not in g.flats_above:
            continue
        for flat in range(1, rng.randint(1, 3) + 1):
            out.append(
                Place(
                    address_id=f"A{first + len(out) + 1:07d}",
                    uprn=f"10{rng.randrange(10**10):010d}",
                    flat=str(flat),
                    building=host.building,
                    number=host.number,
                    street=host.street,
                    locality=host.locality,
                    town=host.town,
                    postcode=host.postcode,
                    local_authority=host.local_authority,
                )
            )
    return out


class _Builder:
    """Mints people into households."""

    def __init__(self, rng: random.Random, start: date, end: date) -> None:
        self.rng, self.start, self.end = rng, start, end
        self.people: list[Person] = []
        self.surname = _Picker(vocab.SURNAMES, rng)
        self._nhs = _nhs_numbers(rng)

    def person(
        self,
        sex: str,
        family: str,
        dob: date,
        hh: int,
        home: Place,
        risk: float,
        *,
        given: str | None = None,
        birth_family: str | None = None,
    ) -> Person:
        rng = self.rng
        middle = rng.choice(vocab.MIDDLE_NAMES) if rng.random() < 0.35 else None
        p = Person(
            f"P{len(self.people) + 1:07d}",
            given or _given(rng, sex),
            middle,
            family,
            birth_family or family,
            sex,
            dob,
            next(self._nhs),
            hh,
            [(self.start - timedelta(days=3650), home)],
            risk * rng.lognormvariate(0, 0.6),
        )
        self.people.append(p)
        return p

    def birth(self, age_lo: int, age_hi: int) -> date:
        return self.end - timedelta(days=self.rng.randint(age_lo * 365, age_hi * 365 + 364))

    def household(self, hh: int, home: Place) -> list[Person]:
        rng = self.rng
        risk = rng.lognormvariate(0, 1.25)
        family = self.surname()
        kind = rng.random()
        if kind < 0.30:  # one adult
            sex = rng.choice("FM")
            return [self.person(sex, family, self.birth(18, 92), hh, home, risk)]
        parent_age = rng.randint(20, 55) if kind < 0.80 else rng.randint(60, 88)
        mum_birth = self.surname()
        mum = self.person(
            "F",
            family if rng.random() < 0.6 else mum_birth,
            self.birth(parent_age, parent_age),
            hh,
            home,
            risk,
            birth_family=mum_birth,
        )
        members = [mum]
        dad = None
        if kind < 0.68 or kind >= 0.80:  # a couple; partners may keep different names
            age = max(18, parent_age + rng.randint(-3, 6))
            dad = self.person("M", family, self.birth(age, age), hh, home, risk)
            members.append(dad)
        if 0.30 <= kind < 0.80 and parent_age < 50:
            members += self._children(mum, dad, family, hh, home, risk)
        return members

    def _children(
        self, mum: Person, dad: Person | None, family: str, hh: int, home: Place, risk: float
    ) -> list[Person]:
        rng = self.rng
        children = []
        for _ in range(rng.choice((1, 1, 2, 2, 2, 3, 4))):
            age = rng.randint(0, min(22, max(0, mum.age_on(self.end) - 17)))
            dob = self.end - timedelta(days=age * 365 + rng.randint(0, 364))
            surname = family if rng.random() < 0.85 else mum.family
            sex = rng.choice("FM")
            if dad and sex == "M" and age >= 16 and rng.random() < 0.08:
                # Trap: father and son share a name at one address.
                son = self.person(sex, dad.family, dob, hh, home, risk, given=dad.given)
                son.flags.add("junior")
                dad.flags.add("senior")
                children.append(son)
                continue
            child = self.person(sex, surname, dob, hh, home, risk)
            children.append(child)
            if rng.random() < 0.02:
                # Trap: twins share a date of birth, family name and address.
                twin_sex = rng.choice("FM")
                names = vocab.FEMALE_NAMES if twin_sex == "F" else vocab.MALE_NAMES
                given = rng.choice([n for n in names if n != child.given])
                twin = self.person(twin_sex, surname, dob, hh, home, risk, given=given)
                child.flags.add("twin")
                twin.flags.add("twin")
                children.append(twin)
        return children


def build_world(people: int, seed: int, end: date, gazetteer: Gazetteer = DEMO_GAZETTEER) -> World:
    """Households filling ~92% of the homes, with moves and a heavy-tailed risk of contact."""
    rng = random.Random(seed)
    start = end - timedelta(days=365)
    places = _places(rng, max(40, int(people / 2.2)), gazetteer)
    premises = _premises(rng, places, gazetteer)
    if gazetteer.flats_above:
        places += _flats_above(rng, premises, gazetteer, len(places))
    builder = _Builder(rng, start, end)
    homes = rng.sample(places, k=len(places))
    cut = int(len(homes) * 0.92)
    households: list[list[Person]] = []
    for home in homes[:cut]:
        if len(builder.people) >= people:
            break
        households.append(builder.household(len(households), home))
    world = World(start, end, places, premises, builder.people, households, rng)
    _moves(world, homes[cut:])
    return world


def _given(rng: random.Random, sex: str) -> str:
    return rng.choice(vocab.FEMALE_NAMES if sex == "F" else vocab.MALE_NAMES)


def _moves(world: World, spare: list[Place]) -> None:
    """8% of households move in the year; a quarter of those cross the council boundary."""
    rng = world.rng
    for members in world.households:
        if not spare or rng.random() >= 0.08:
            continue
        here = members[0].homes[-1][1]
        cross = rng.random() < 0.25
        target = next(
            (p for p in spare[:400] if (p.local_authority != here.local_authority) == cross),
            spare[0],
        )
        spare.remove(target)
        when = world.start + timedelta(days=rng.randint(30, 330))
        for m in members:
            m.homes.append((when, target))
        spare.append(here)
