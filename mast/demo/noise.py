"""The errors partner data really has, applied per record at a feed's own error rate."""

from __future__ import annotations

import random
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
    ) -> None:
        self.rng = rng
        self.q = quality
        self.dob_missing = dob_missing
        self.nhs_missing = nhs_missing
        self.stale_address = stale_address

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
