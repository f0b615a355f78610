"""The errors partner data really has, applied per record at a feed's own error rate."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from mast.demo import vocab
from mast.demo.activity import Involvement
from mast.demo.world import Person, Place

_KEYBOARD_NEIGHBOURS = dict(
    zip("abcdefghijklmnopqrstuvwxyz", "sviswrtfujlkbmpoawdyibeczt", strict=True)
)


def typo(rng: random.Random, word: str) -> str:
    if len(word) < 3:
        return word
    i = rng.randrange(1, len(word) - 1)
    op = rng.randrange(4)
    if op == 0:  # transpose
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if op == 1:  # drop
        return word[:i] + word[i + 1 :]
    if op == 2:  # double
        return word[:i] + word[i] + word[i:]
    return word[:i] + _KEYBOARD_NEIGHBOURS.get(word[i].lower(), word[i]) + word[i + 1 :]


@dataclass(frozen=True)
class Habits:
    """A partner system's recording habits beyond typing errors (the second region's).

    Rates are shares of records; none is scaled by `quality`, since they are habits of
    the system, not slips."""

    dob_jan1: float = 0.0  # an estimated date of birth written as 1 January of the year
    dob_first: float = 0.0  # only the month known: written as the 1st of the month
    dob_placeholder: str = ""  # what a missing date of birth is written as (01/01/1900)
    nhs_placeholder: float = 0.0  # share of missing NHS numbers written as 0000000000 …
    nhs_fullwidth: float = 0.0  # digits typed in a full-width input method
    abbreviate: float = 0.0  # street types shortened: Road → Rd, Heol → Hl
    expand: float = 0.0  # "St" at the head of a name written out: St Mary's → Saint Mary's
    drop_building: float = 0.0  # a block or house name left out
    flat_after_street: float = 0.0  # "31 Eaton Cres Flat 6"


PLACEHOLDER_NHS = ("0000000000", "9999999999", "1111111111", "0123456789")
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_ENGLISH_TYPES = {
    "Street": "St",
    "Road": "Rd",
    "Avenue": "Ave",
    "Terrace": "Tce",
    "Close": "Cl",
    "Crescent": "Cres",
    "Lane": "Ln",
    "Drive": "Dr",
    "Gardens": "Gdns",
    "Place": "Pl",
    "Court": "Ct",
    "Square": "Sq",
    "Hill": "Hl",
}
_WELSH_TYPES = {"Heol": "Hl", "Ffordd": "Ffd", "Teras": "Ter", "Cilgant": "Cilg", "Rhodfa": "Rhdf"}


class Noise:
    """Per-feed error model; `quality` 1.0 is typical, 2.0 twice as error-prone."""

    def __init__(
        self,
        rng: random.Random,
        quality: float,
        *,
        dob_missing: float = 0.03,
        nhs_missing: float = 0.1,
        stale_address: float = 0.3,
        habits: Habits | None = None,
    ) -> None:
        self.rng = rng
        self.q = quality
        self.dob_missing = dob_missing
        self.nhs_missing = nhs_missing
        self.stale_address = stale_address
        self.habits = habits or Habits()

    def hit(self, rate: float) -> bool:
        return self.rng.random() < rate * self.q

    def given(self, p: Person, *, with_middle: bool = False) -> str:
        name = p.given
        if self.hit(0.06) and name in vocab.NICKNAMES:
            name = self.rng.choice(vocab.NICKNAMES[name])
        elif self.hit(0.03):
            name = typo(self.rng, name)
        elif self.hit(0.01):
            name = name[0]
        if with_middle and p.middle and self.rng.random() < 0.5:
            name = f"{name} {p.middle}"
        return name

    def family(self, p: Person) -> str:
        if p.birth_family != p.family and self.hit(0.15):
            return p.birth_family  # maiden name still on an older system
        if self.hit(0.03):
            return typo(self.rng, p.family)
        return p.family

    def dob(self, p: Person) -> date | None:
        rng, d = self.rng, p.dob
        if rng.random() < self.dob_missing:
            return None
        if self.hit(0.015) and d.day <= 12 and d.day != d.month:
            return d.replace(day=d.month, month=d.day)
        if self.hit(0.01):
            digit = rng.choice((1, -1))
            try:
                return (
                    d.replace(day=d.day + digit)
                    if rng.random() < 0.5
                    else d.replace(year=d.year + digit * 10)
                )
            except ValueError:
                return d
        if self.hit(0.005):
            return (
                d.replace(year=d.year + rng.choice((1, -1)))
                if not (d.month == 2 and d.day == 29)
                else d
            )
        return d

    def nhs(self, p: Person) -> str:
        if not p.nhs:  # beyond the test range's ~909,000 numbers
            return ""
        if self.rng.random() < self.nhs_missing:
            return ""
        if self.hit(0.01):
            last = (int(p.nhs[-1]) + self.rng.randint(1, 9)) % 10
            return p.nhs[:-1] + str(last)
        return p.nhs

    def place(self, inv: Involvement) -> Place:
        """The address recorded: after a move, some systems still hold the old one."""
        person = inv.person
        if person is None or len(person.homes) < 2 or not inv.place.residential:
            return inv.place
        if inv.place is person.homes[-1][1] and self.rng.random() < self.stale_address:
            return person.homes[-2][1]
        return inv.place

    def postcode(self, postcode: str, *, spaced: bool = True) -> str:
        if self.hit(0.03):
            return ""
        if self.hit(0.02):
            chars = list(postcode)
            i = self.rng.choice([i for i, c in enumerate(chars) if c.isalnum()])
            chars[i] = self.rng.choice(
                "ABDEFGHJLNPQRSTUWXYZ" if chars[i].isalpha() else "0123456789"
            )
            postcode = "".join(chars)
        return postcode if spaced else postcode.replace(" ", "")

    # The second region's habits: each draws from the rng only when its rate is set, so the
    # demo region's streams (and figures) are unchanged.

    def dob_text(self, p: Person, day: date, fmt: str) -> str:
        """The date of birth as this system writes it, with its estimating habits."""
        h = self.habits
        d = self.dob(p)
        if d is None:
            return h.dob_placeholder
        if h.dob_jan1 and self.rng.random() < h.dob_jan1:
            # Estimated from an age given at the scene: 1 January of the year it implies.
            year = d.year if self.rng.random() < 0.7 else day.year - p.age_on(day)
            d = date(year, 1, 1)
        elif h.dob_first and self.rng.random() < h.dob_first:
            d = d.replace(day=1)
        return d.strftime(fmt)

    def nhs_text(self, p: Person) -> str:
        h = self.habits
        nhs = self.nhs(p)
        if not nhs:
            if h.nhs_placeholder and self.rng.random() < h.nhs_placeholder:
                return self.rng.choice(PLACEHOLDER_NHS)
            return ""
        if h.nhs_fullwidth and self.rng.random() < h.nhs_fullwidth:
            return nhs.translate(_FULLWIDTH)
        return nhs

    def street(self, street: str) -> str:
        """A street name with its type shortened or written out, as this system does."""
        h = self.habits
        words = street.split(" ")
        if h.abbreviate and self.rng.random() < h.abbreviate:
            if words[0] in _WELSH_TYPES:
                words[0] = _WELSH_TYPES[words[0]]
            elif words[-1] in _ENGLISH_TYPES:
                words[-1] = _ENGLISH_TYPES[words[-1]]
        if h.expand and words[0] == "St" and self.rng.random() < h.expand:
            words[0] = "Saint"
        return " ".join(words)

    def building(self, place: Place) -> str:
        h = self.habits
        if not place.building:
            return ""
        if h.drop_building and place.number and self.rng.random() < h.drop_building:
            return ""  # a house or block name is dropped only where a number still finds it
        return place.building
