"""Finding people and addresses as a practitioner types them: misspelt, nicknamed,
half-remembered. Ranked, and each hit says why it matched.

The index lives in memory, built from the graph's Person and Address nodes (a few hundred
bytes a person: ~40 MB at demo size). Candidates come from the family name (exactly, by
sound, or by spelling within a typing error), a date of birth or a postcode; each is then
scored field by field with the resolver's own name rules (`mast.text.names`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from rapidfuzz import fuzz, process
from rapidfuzz.distance import JaroWinkler

from mast.text.names import TYPO_SIMILARITY, forms_of, name_key, phonetic
from mast.text.postcodes import normalise_postcode

MIN_SCORE = 0.6
_FUZZY_FAMILY = 0.85
_OUTWARD = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?$")


@dataclass(frozen=True)
class PersonHit:
    person_id: str
    score: float
    why: tuple[str, ...]


@dataclass(frozen=True)
class AddressHit:
    address_id: str
    score: float
    why: tuple[str, ...]


@dataclass(frozen=True)
class _Person:
    person_id: str
    given: str
    family: str
    others: tuple[str, ...]
    dob: date | None
    postcodes: tuple[str, ...]


def postcode_key(text: str) -> str:
    """'sa1 6rn' and 'SA16RN' → 'SA1 6RN'; an outward code alone ('sa1') → 'SA1'."""
    compact = re.sub(r"[^A-Za-z0-9]", "", text).upper()
    full, _ = normalise_postcode(compact)
    return full or compact


class PersonIndex:
    def __init__(self, rows: Iterable[dict[str, Any]]) -> None:
        self._people: list[_Person] = []
        self._by_family: dict[str, list[int]] = defaultdict(list)
        self._by_sound: dict[str, list[int]] = defaultdict(list)
        self._by_given: dict[str, list[int]] = defaultdict(list)
        self._by_dob: dict[date, list[int]] = defaultdict(list)
        self._by_postcode: dict[str, list[int]] = defaultdict(list)
        for row in rows:
            others = tuple(
                k for k in (name_key(o) for o in str(row["other_names"] or "").split(";")) if k
            )
            postcodes = tuple(sorted({postcode_key(p) for p in row["postcodes"] or () if p}))
            person = _Person(
                str(row["person_id"]),
                name_key(row["given_name"]),
                name_key(row["family_name"]),
                others,
                row["dob"],
                postcodes,
            )
            i = len(self._people)
            self._people.append(person)
            for family in {person.family, *others} - {""}:
                self._by_family[family].append(i)
                self._by_sound[phonetic(family)].append(i)
            if person.given:
                self._by_given[person.given].append(i)
            if person.dob:
                self._by_dob[person.dob].append(i)
            for code in postcodes:
                self._by_postcode[code].append(i)
                self._by_postcode[code.split()[0]].append(i)
        self._families = list(self._by_family)
        self._givens = list(self._by_given)

    def __len__(self) -> int:
        return len(self._people)

    def search(
        self,
        *,
        name: str | None = None,
        dob: date | None = None,
        postcode: str | None = None,
        born_between: tuple[date, date] | None = None,
    ) -> list[PersonHit]:
        given, family = _split_name(name or "")
        code = postcode_key(postcode) if postcode else ""
        candidates = self._candidates(given, family, dob, code)
        hits = []
        for i in candidates:
            person = self._people[i]
            if born_between and not (
                person.dob and born_between[0] <= person.dob <= born_between[1]
            ):
                continue
            hit = _score(person, given, family, dob, code)
            if hit.score >= MIN_SCORE:
                hits.append(hit)
        hits.sort(key=lambda h: (-h.score, h.person_id))
        return hits

    def _candidates(self, given: str, family: str, dob: date | None, code: str) -> set[int]:
        found: set[int] = set()
        for word in {family, given} - {""}:  # either word may be the family name
            found.update(self._family_like(word))
        if given and family:  # both given: the given name must agree too, in some form
            found &= self._given_like(given) | self._given_like(family)
        elif family and not found:  # one word and no such family name: a given name
            found = self._given_like(family)
        if not given and not family:
            if dob:
                found.update(self._by_dob.get(dob, ()))
            elif code:
                found.update(self._by_postcode.get(code, ()))
        return found

    def _family_like(self, word: str) -> set[int]:
        found = set(self._by_family.get(word, ()))
        found.update(self._by_sound.get(phonetic(word), ()))
        for near, _, _ in process.extract(
            word,
            self._families,
            scorer=JaroWinkler.normalized_similarity,
            score_cutoff=_FUZZY_FAMILY,
            limit=50,
        ):
            found.update(self._by_family[near])
        return found

    def _given_like(self, word: str) -> set[int]:
        """People whose given name is this, a form of it, a typing error of it, or its initial."""
        names = set(forms_of(word)) | {word}
        if len(word) == 1:
            names |= {g for g in self._by_given if g.startswith(word)}
        else:
            names |= {word[0]}
            names.update(
                near
                for near, _, _ in process.extract(
                    word,
                    self._givens,
                    scorer=JaroWinkler.normalized_similarity,
                    score_cutoff=TYPO_SIMILARITY,
                    limit=100,
                )
            )
        return {i for name in names for i in self._by_given.get(name, ())}


def _split_name(text: str) -> tuple[str, str]:
    """(given, family): 'Emma Jones' and 'Jones, Emma'; one word is taken as a family name."""
    if "," in text:
        family, _, given = text.partition(",")
        return name_key(given).split(" ")[0] if name_key(given) else "", name_key(family)
    words = name_key(text).split()
    if not words:
        return "", ""
    if len(words) == 1:
        return "", words[0]
    return words[0], " ".join(words[1:])


def _score(person: _Person, given: str, family: str, dob: date | None, code: str) -> PersonHit:
    why: list[str] = []
    points = possible = 0.0
    if family:
        possible += 0.4
        got, reason = _family_points(person, family, given)
        points += got
        why.extend(reason)
    if given:
        possible += 0.3
        got, reason = _given_points(person.given, given)
        points += got
        why.extend(reason)
    if dob:
        possible += 0.3
        got, reason = _dob_points(person.dob, dob)
        points += got
        why.extend(reason)
    if code:
        possible += 0.2
        if any(p == code or p.split()[0] == code for p in person.postcodes):
            points += 0.2
            why.append("lived at that postcode")
    score = points / possible if possible else 0.0
    return PersonHit(person.person_id, round(score, 4), tuple(why))


def _family_points(person: _Person, family: str, given: str) -> tuple[float, list[str]]:
    if person.family == family:
        return 0.4, ["family name matches"]
    if family in person.others:
        return 0.38, ["matches another name they are known by"]
    if not given and person.given == family:
        return 0.3, ["given name matches"]
    names = [n for n in (person.family, *person.others) if n]
    if phonetic(family) in {phonetic(n) for n in names}:
        return 0.34, ["family name sounds the same"]
    similarity = max((JaroWinkler.normalized_similarity(family, n) for n in names), default=0.0)
    if similarity >= _FUZZY_FAMILY:
        return 0.34 * similarity, ["family name spelt similarly"]
    return 0.0, []


def _given_points(theirs: str, asked: str) -> tuple[float, list[str]]:
    if not theirs:
        return 0.0, []
    if theirs == asked:
        return 0.3, ["given name matches"]
    if theirs in forms_of(asked):
        return 0.27, ["given name is a form of the same name (nickname or Welsh form)"]
    if JaroWinkler.normalized_similarity(theirs, asked) >= TYPO_SIMILARITY:
        return 0.24, ["given name spelt similarly"]
    if theirs[0] == asked[0] and (len(asked) == 1 or len(theirs) == 1):
        return 0.15, ["initial matches"]
    return 0.0, []


def _dob_points(theirs: date | None, asked: date) -> tuple[float, list[str]]:
    if theirs is None:
        return 0.0, []
    if theirs == asked:
        return 0.3, ["date of birth matches"]
    if (theirs.year, theirs.month, theirs.day) == (asked.year, asked.day, asked.month):
        return 0.22, ["date of birth matches with day and month swapped"]
    if theirs.year == asked.year and theirs.month == asked.month:
        return 0.15, ["born the same month and year"]
    if (theirs.month, theirs.day) == (asked.month, asked.day) and abs(
        theirs.year - asked.year
    ) <= 1:
        return 0.15, ["date of birth matches but for the year"]
    return 0.0, []


class AddressIndex:
    def __init__(self, rows: Iterable[dict[str, Any]]) -> None:
        self._ids: list[str] = []
        self._lines: list[str] = []
        self._by_postcode: dict[str, list[int]] = defaultdict(list)
        for row in rows:
            i = len(self._ids)
            self._ids.append(str(row["address_id"]))
            self._lines.append(_address_key(str(row["line"] or "")))
            if row["postcode"]:
                code = postcode_key(str(row["postcode"]))
                self._by_postcode[code].append(i)
                self._by_postcode[code.split()[0]].append(i)

    def __len__(self) -> int:
        return len(self._ids)

    def search(self, *, text: str | None = None, postcode: str | None = None) -> list[AddressHit]:
        code = postcode_key(postcode) if postcode else ""
        words = _address_key(text or "")
        if not code and words:  # a postcode typed into the text box
            tail = words.upper().split()
            for take in (2, 1):
                guess = postcode_key("".join(tail[-take:])) if len(tail) >= take else ""
                full = " " in guess or (take == 1 and _OUTWARD.match(guess))
                if guess and full and guess in self._by_postcode:
                    code, words = guess, " ".join(words.split()[:-take])
                    break
        pool = self._by_postcode.get(code, []) if code else range(len(self._ids))
        hits: list[AddressHit] = []
        if not words:
            return [AddressHit(self._ids[i], 1.0, ("postcode matches",)) for i in pool][:1000]
        choices = {i: self._lines[i] for i in pool}
        for _line, similarity, i in process.extract(
            words, choices, scorer=fuzz.token_set_ratio, score_cutoff=70, limit=200
        ):
            why = ["address text matches" if similarity >= 99 else "address text is similar"]
            if code:
                why.append("postcode matches")
            hits.append(AddressHit(self._ids[i], round(similarity / 100, 4), tuple(why)))
        hits.sort(key=lambda h: (-h.score, h.address_id))
        return hits


def _address_key(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", text.lower()).split())
