"""Finding people and places as a practitioner or call handler types them: misspelt,
nicknamed, half-remembered, or said the way a caller says an address. Ranked, and each hit
says why it matched.

The indexes live in memory, built from the graph's Person and Address nodes (a few hundred
bytes a person: ~40 MB at demo size), with what a hit shows beside its name (agencies,
open cases, last address; residents, latest incident). People: candidates come from the
family name (exactly, by its start, by sound, or by spelling within a typing error), a
date of birth or a postcode; each is then scored field by field with the resolver's own
name rules (`mast.text.names`). Places: the line is read into flat, door, street and
building by the cleanse's `split_address` and keyed by the resolver's street and name keys,
so 'Dyfed Cres' and 'Dyfed Crescent', 'Hl Nedd' and 'Heol Nedd' are one street here as in
matching; a query is read the same way, with 'above the …' naming a premises by its name
or trade.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from rapidfuzz import fuzz, process
from rapidfuzz.distance import JaroWinkler

from mast.loaders.cleanse.addresses import split_address
from mast.resolver.addresses.keys import building_key, street_key
from mast.text.fold import fold
from mast.text.names import TYPO_SIMILARITY, forms_of, name_key, phonetic
from mast.text.postcodes import normalise_postcode

MIN_SCORE = 0.6
_FUZZY_FAMILY = 0.85
_OUTWARD = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?$")
_SECTOR = re.compile(r"([A-Z]{1,2}[0-9][0-9A-Z]?)\s+([0-9])")


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
    """'sa1 6rn' and 'SA16RN' → 'SA1 6RN'; an outward code alone ('sa1') → 'SA1'; a
    sector ('sa1 6') → 'SA1 6'."""
    if sector := _SECTOR.fullmatch(text.strip().upper()):
        return f"{sector[1]} {sector[2]}"
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
                if sound := phonetic(family).strip():  # vowels alone have no sound to match
                    self._by_sound[sound].append(i)
            if person.given:
                self._by_given[person.given].append(i)
            if person.dob:
                self._by_dob[person.dob].append(i)
            for code in postcodes:
                self._by_postcode[code].append(i)
                self._by_postcode[code.split()[0]].append(i)
                if " " in code:
                    self._by_postcode[code[:-2]].append(i)  # the sector: 'SA1 6'
        self._families = list(self._by_family)
        self._givens = list(self._by_given)
        self._families_sorted = sorted(self._by_family)
        self._givens_sorted = sorted(self._by_given)
        self.facts: dict[str, PersonFacts] = {}

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
        if " " in family and family not in self._by_family:
            family = family.split()[-1]  # a middle name left out: 'Geraint Rhys Bowen'
        code = postcode_key(postcode) if postcode else ""
        candidates = self._candidates(given, family, dob, code)
        hits = []
        closeness: dict[str, float] = {}
        for i in candidates:
            person = self._people[i]
            if born_between and not (
                person.dob and born_between[0] <= person.dob <= born_between[1]
            ):
                continue
            hit = _score(person, given, family, dob, code)
            if hit.score >= MIN_SCORE:
                hits.append(hit)
                closeness[hit.person_id] = _closeness(person, given, family)
        # Equal scores: the spelling nearer what was typed first ('Gerry' → Geraint before
        # Gareth, both short forms of it).
        hits.sort(key=lambda h: (-h.score, -closeness[h.person_id], h.person_id))
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
        if len(word) >= 3:  # half a family name: 'Bow' → Bowen, Bowles
            for family in _starting(self._families_sorted, word):
                found.update(self._by_family[family])
        if sound := phonetic(word).strip():
            found.update(self._by_sound.get(sound, ()))
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
        """People whose given name is this, a form of it, a typing error of it, its
        initial, or starts with it or its short form's stem ('Ger', 'Gerry' → Geraint)."""
        names = set(forms_of(word)) | {word}
        if len(word) == 1:
            names |= {g for g in self._by_given if g.startswith(word)}
        else:
            names |= {word[0]}
            for stem in {word, short_stem(word)} - {""}:
                if len(stem) >= 2:
                    names.update(_starting(self._givens_sorted, stem))
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


def short_stem(given: str) -> str:
    """What a short form keeps of the full name: 'gerry' → 'ger', 'danny' → 'dan', 'rhi'
    → 'rhi'. A name's start, to find the full names beginning with it."""
    stem = given
    for ending in ("ie", "ey", "y"):
        if stem.endswith(ending) and len(stem) > len(ending) + 2:
            stem = stem[: -len(ending)]
            break
    if len(stem) >= 4 and stem[-1] == stem[-2] and stem[-1] not in "aeiou":
        stem = stem[:-1]
    return stem


def _starting(ordered: list[str], prefix: str) -> list[str]:
    """The words of a sorted list that start with `prefix`."""
    start = bisect.bisect_left(ordered, prefix)
    stop = bisect.bisect_left(ordered, prefix + "\uffff")
    return ordered[start:stop]


def _closeness(person: _Person, given: str, family: str) -> float:
    near = JaroWinkler.normalized_similarity
    return (near(given, person.given) if given and person.given else 0.0) + (
        near(family, person.family) if family and person.family else 0.0
    )


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
        if any(p == code or p.split()[0] == code or p[:-2] == code for p in person.postcodes):
            points += 0.2
            why.append("lived at that postcode")
    score = points / possible if possible else 0.0
    return PersonHit(person.person_id, round(score, 4), tuple(why))


def _family_points(person: _Person, family: str, given: str) -> tuple[float, list[str]]:  # noqa: PLR0911
    if person.family == family:
        return 0.4, ["family name matches"]
    if family in person.others:
        return 0.38, ["matches another name they are known by"]
    if not given and person.given == family:
        return 0.3, ["given name matches"]
    if len(family) >= 3 and any(n.startswith(family) for n in (person.family, *person.others)):
        return 0.3, ["family name starts with what was typed"]
    names = [n for n in (person.family, *person.others) if n]
    sound = phonetic(family).strip()
    if sound and sound in {phonetic(n) for n in names}:
        return 0.34, ["family name sounds the same"]
    similarity = max((JaroWinkler.normalized_similarity(family, n) for n in names), default=0.0)
    if similarity >= _FUZZY_FAMILY:
        return 0.34 * similarity, ["family name spelt similarly"]
    return 0.0, []


def _given_points(theirs: str, asked: str) -> tuple[float, list[str]]:  # noqa: PLR0911
    if not theirs:
        return 0.0, []
    if theirs == asked:
        return 0.3, ["given name matches"]
    if theirs in forms_of(asked):
        return 0.27, ["given name is a form of the same name (nickname or Welsh form)"]
    stem = short_stem(asked)
    if len(stem) >= 3 and theirs.startswith(stem) and not asked.startswith(theirs):
        if stem == asked:
            return 0.27, ["given name starts with what was typed"]
        return 0.27, ["given name may be this short form of it"]
    if JaroWinkler.normalized_similarity(theirs, asked) >= TYPO_SIMILARITY:
        return 0.24, ["given name spelt similarly"]
    if len(asked) >= 2 and theirs.startswith(asked):
        return 0.22, ["given name starts with what was typed"]
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


# --- what a hit shows beside its name ---------------------------------------------------------


@dataclass(frozen=True)
class PersonFacts:
    """What a person hit shows: the agencies involved (kind and name, latest first), open
    cases, and the address they were last recorded at."""

    agencies: tuple[tuple[str, str], ...] = ()
    open_cases: int = 0
    last_address_id: str | None = None


@dataclass(frozen=True)
class PlaceFacts:
    residents: int = 0
    """People recorded as living there in the 12 months before the index was built."""
    latest_incident: datetime | None = None
    incidents: int = 0


def person_facts(
    agencies: Iterable[dict[str, Any]],
    cases: Iterable[dict[str, Any]],
    stays: Iterable[dict[str, Any]],
) -> dict[str, PersonFacts]:
    """Each person's facts from the graph's rows: (person_id, agency, agency_kind, last),
    (person_id, open), (person_id, address_id, valid_from, valid_to)."""
    involved: dict[str, list[tuple[Any, str, str]]] = defaultdict(list)
    for r in agencies:
        involved[r["person_id"]].append((r["last"], str(r["agency_kind"] or ""), str(r["agency"])))
    open_cases = {str(r["person_id"]): int(r["open"]) for r in cases}
    latest: dict[str, tuple[Any, Any, str]] = {}
    for r in stays:
        key = (r["valid_to"] or date.max, r["valid_from"] or date.min, str(r["address_id"]))
        if r["person_id"] not in latest or key > latest[r["person_id"]]:
            latest[r["person_id"]] = key
    out = {}
    for pid in set(involved) | set(open_cases) | set(latest):
        ordered = sorted(involved.get(pid, []), key=lambda a: (a[0] is None, a[0]), reverse=True)
        out[pid] = PersonFacts(
            agencies=tuple((kind, name) for _, kind, name in ordered),
            open_cases=open_cases.get(pid, 0),
            last_address_id=latest[pid][2] if pid in latest else None,
        )
    return out


def place_facts(
    stays: Iterable[dict[str, Any]], events: Iterable[dict[str, Any]], *, since: date
) -> dict[str, PlaceFacts]:
    residents: dict[str, set[str]] = defaultdict(set)
    for r in stays:
        if r["valid_to"] is None or r["valid_to"] >= since:
            residents[str(r["address_id"])].add(str(r["person_id"]))
    incidents = {str(r["address_id"]): (r["last"], int(r["events"])) for r in events}
    return {
        aid: PlaceFacts(
            residents=len(residents.get(aid, ())),
            latest_incident=incidents[aid][0] if aid in incidents else None,
            incidents=incidents[aid][1] if aid in incidents else 0,
        )
        for aid in set(residents) | set(incidents)
    }


# --- places -----------------------------------------------------------------------------------

LANDMARK_KINDS = {
    "chip shop": "takeaway",
    "siop sglodion": "takeaway",
    "sglodion": "takeaway",
    "chippy": "takeaway",
    "chipshop": "takeaway",
    "fish bar": "takeaway",
    "fish and chip": "takeaway",
    "kebab": "takeaway",
    "takeaway": "takeaway",
    "pizza": "takeaway",
    "pub": "pub",
    "bar": "pub",
    "inn": "pub",
    "tafarn": "pub",
    "shop": "shop",
    "newsagent": "shop",
    "offy": "shop",
    "off licence": "shop",
    "siop": "shop",
    "hostel": "hostel",
    "hotel": "hotel",
}
"""How a caller names a premises by its trade ('the chip shop') → its premises type."""
_FLAT_IN_QUERY = re.compile(
    r"\b(?:flat|apartment|apt|unit|fflat)\.?\s*(?:no\.?\s*)?([0-9]+[a-z]?|[a-z])\b", re.IGNORECASE
)
_LANDMARK_IN_QUERY = re.compile(
    r"\b(?:above|over|behind|next to|opposite|near|outside|rear of|uwchben)\s+(.+?)"
    r"(?=\s+(?:on|in|at|off|yn|ar)\s+|,|$)",
    re.IGNORECASE,
)
_DOOR = re.compile(r"^[0-9]{1,4}[a-z]?(?:-[0-9]{1,4}[a-z]?)?$", re.IGNORECASE)
_LINKING = frozenset({"on", "in", "at", "off", "yn", "ar", ","})
_STREET_SIMILAR = 0.9


@dataclass(frozen=True)
class _Place:
    address_id: str
    line: str
    flat: str
    number: str
    street: str
    building: str
    area: frozenset[str]
    postcode: str


@dataclass(frozen=True)
class PlaceQuery:
    """A place as a caller says it, in parts."""

    flat: str = ""
    number: str = ""
    landmark: str = ""
    words: tuple[str, ...] = ()


def read_place(text: str) -> PlaceQuery:
    """'flat 2 above the chip shop on high st' → flat 2, landmark 'the chip shop', words
    'high st'; 'Flat 2 77 Dyfed Crescent' → flat 2, number 77, words 'Dyfed Crescent'."""
    flat = landmark = number = ""
    if m := _FLAT_IN_QUERY.search(text):
        flat = m[1].upper()
        text = text[: m.start()] + " " + text[m.end() :]
    if m := _LANDMARK_IN_QUERY.search(text):
        landmark = m[1].strip()
        text = text[: m.start()] + " " + text[m.end() :]
    words = []
    for token in text.replace(",", " , ").split():
        if not number and _DOOR.match(token):
            number = token.upper()
        elif _DOOR.match(token) and not flat:  # '2 77 Dyfed Crescent': the flat, then the door
            flat, number = number, token.upper()
        elif token.lower() not in _LINKING:
            words.append(token)
    return PlaceQuery(flat, number, landmark, tuple(words))


class AddressIndex:
    def __init__(
        self, rows: Iterable[dict[str, Any]], facts: dict[str, PlaceFacts] | None = None
    ) -> None:
        self.facts = facts or {}
        self._places: list[_Place] = []
        self._lines: list[str] = []
        self._by_postcode: dict[str, list[int]] = defaultdict(list)
        self._by_street: dict[str, list[int]] = defaultdict(list)
        self._by_building: dict[str, list[int]] = defaultdict(list)
        self._kinds: dict[tuple[str, str], set[str]] = defaultdict(set)
        self._by_spot: dict[tuple[str, str], list[int]] = defaultdict(list)
        """(postcode, building or street+number) → the premises types found there."""
        for row in rows:
            line = str(row["line"] or "")
            parts = split_address(line)  # the cleanse's own reading, as records were read
            code = postcode_key(str(row["postcode"])) if row["postcode"] else ""
            place = _Place(
                address_id=str(row["address_id"]),
                line=line,
                flat=(parts.flat or "").upper(),
                number=(parts.house_number or "").upper(),
                street=street_key(parts.street),
                building=building_key(parts.building),
                area=frozenset(
                    k for k in (fold(parts.locality or ""), fold(parts.town or "")) if k
                ),
                postcode=code,
            )
            i = len(self._places)
            self._places.append(place)
            self._lines.append(_address_key(line))
            if code:
                self._by_postcode[code].append(i)
                self._by_postcode[code.split()[0]].append(i)
                if " " in code:
                    self._by_postcode[code[:-2]].append(i)  # the sector: 'SA1 6'
            if place.street:
                self._by_street[place.street].append(i)
            if place.building:
                self._by_building[place.building].append(i)
            kind = str(row.get("premises_type") or "")
            for spot in _spots(place):
                self._by_spot[spot].append(i)
                if kind and kind != "dwelling":
                    self._kinds[spot].add(kind)
        self._streets = list(self._by_street)
        self._buildings = list(self._by_building)
        self._position = {p.address_id: i for i, p in enumerate(self._places)}

    def __len__(self) -> int:
        return len(self._places)

    def search(
        self, *, text: str | None = None, postcode: str | None = None, loose: bool = True
    ) -> list[AddressHit]:
        """Addresses by what a caller says, a postcode (full, district or sector), or both.
        `loose`: when the parts are not recognised, fall back to the line's words in any
        order (off when the words may as well be a person's name)."""
        code = postcode_key(postcode) if postcode else ""
        asked = read_place(text or "")
        if not code and asked.words:  # a postcode typed into the text
            tail = [w.upper() for w in asked.words]
            for take in (2, 1):
                guess = postcode_key("".join(tail[-take:])) if len(tail) >= take else ""
                full = " " in guess or (take == 1 and _OUTWARD.match(guess))
                if guess and full and guess in self._by_postcode:
                    code = guess
                    asked = PlaceQuery(
                        asked.flat, asked.number, asked.landmark, asked.words[:-take]
                    )
                    break
        within = set(self._by_postcode.get(code, ())) if code else None
        if not (asked.words or asked.number or asked.flat or asked.landmark):
            pool = sorted(within or ())
            hits = [
                AddressHit(self._places[i].address_id, 1.0, ("postcode matches",)) for i in pool
            ]
            return self._ordered(hits)[:1000]
        street, street_exact, rest = self._street_in(asked.words)
        building, building_score, rest = self._building_in(rest if street else asked.words)
        if street:
            pool = self._by_street[street]
        elif building:
            pool = [i for b in building for i in self._by_building[b]]
        elif asked.landmark:  # 'flat 2 above the Spar': whatever shares the Spar's door
            pool = [
                j
                for b in self._buildings_like(asked.landmark)
                for i in self._by_building[b]
                for spot in _spots(self._places[i])
                for j in self._by_spot[spot]
            ]
        else:
            return self._loose(asked, code, within) if loose else []
        hits = []
        for i in dict.fromkeys(pool):
            if within is not None and i not in within:
                continue
            hit = self._score(
                i, asked, (street, street_exact), (building, building_score), rest, bool(code)
            )
            if hit.score >= MIN_SCORE:
                hits.append(hit)
        return self._ordered(hits)

    def _street_in(self, words: tuple[str, ...]) -> tuple[str, bool, tuple[str, ...]]:
        """The street the words name — the longest run of them that is one, exactly or
        spelt nearly so — and the words left over."""
        best: tuple[int, str, bool, int, int] | None = None
        for size in range(min(len(words), 5), 0, -1):
            for start in range(len(words) - size + 1):
                key = street_key(" ".join(words[start : start + size]))
                if len(key) < 4:
                    continue
                if key in self._by_street:
                    return key, True, words[:start] + words[start + size :]
                if best is None and size >= 2:
                    near = process.extractOne(
                        key,
                        self._streets,
                        scorer=JaroWinkler.normalized_similarity,
                        score_cutoff=_STREET_SIMILAR,
                    )
                    if near:
                        best = (size, near[0], False, start, start + size)
        if best:
            _, key, _, start, stop = best
            return key, False, words[:start] + words[stop:]
        return "", False, words

    def _building_in(self, words: tuple[str, ...]) -> tuple[list[str], float, tuple[str, ...]]:
        """Buildings or businesses the words name ('Tesco Express', 'red lion'), and how
        surely; words that name none are left for the town."""
        for size in range(min(len(words), 5), 0, -1):
            for start in range(len(words) - size + 1):
                phrase = " ".join(words[start : start + size])
                found = self._buildings_like(phrase)
                if found:
                    rest = words[:start] + words[start + size :]
                    exact = building_key(phrase) in found
                    return found, 1.0 if exact else 0.85, rest
        return [], 0.0, words

    def _buildings_like(self, phrase: str) -> list[str]:
        key = building_key(phrase)
        if len(key) < 3:
            return []
        if key in self._by_building:
            return [key]
        return [
            b
            for b, _, _ in process.extract(
                key, self._buildings, scorer=fuzz.partial_ratio, score_cutoff=90, limit=20
            )
            if len(key) >= 5 or b.startswith(key)
        ]

    def _score(  # noqa: PLR0912 - one branch a part of the address
        self,
        i: int,
        asked: PlaceQuery,
        street: tuple[str, bool],
        buildings: tuple[list[str], float],
        rest: tuple[str, ...],
        by_postcode: bool,
    ) -> AddressHit:
        place = self._places[i]
        why: list[str] = []
        points = possible = 0.0
        (street_key_, street_exact), (building, building_score) = street, buildings
        if street_key_:
            possible += 0.4
            if place.street == street_key_:
                points += 0.4 if street_exact else 0.34
                why.append("street matches" if street_exact else "street spelt similarly")
        if building:
            possible += 0.4
            if place.building in building:
                points += 0.4 * building_score
                why.append("building or business name matches")
        if asked.number:
            possible += 0.3
            if place.number == asked.number:
                points += 0.3
                why.append("door number matches")
        if asked.flat:
            possible += 0.2
            if place.flat == asked.flat:
                points += 0.2
                why.append("flat matches")
        elif place.flat:
            points -= 0.02  # '77 Dyfed Crescent': the house before its flats
        if asked.landmark:
            possible += 0.2
            if self._near(place, asked.landmark):
                points += 0.2
                why.append("above or by the premises named")
        area = {fold(w) for w in rest if len(w) > 2}
        if area:
            possible += 0.1
            if any(a in " ".join(place.area) for a in area):
                points += 0.1
                why.append("town or district matches")
        if by_postcode:
            why.append("postcode matches")
        score = max(points, 0.0) / possible if possible else 0.0
        return AddressHit(place.address_id, round(score, 4), tuple(why))

    def _near(self, place: _Place, landmark: str) -> bool:
        """Whether a place is at, above or by the premises a caller names: by its name
        ('above the Red Lion') or its trade ('above the chip shop')."""
        key = building_key(landmark)
        if place.building and key and (key in place.building or place.building in key):
            return True
        named = {
            spot
            for b in self._buildings_like(landmark)
            for i in self._by_building[b]
            for spot in _spots(self._places[i])
        }
        if named & set(_spots(place)):
            return True
        folded = fold(landmark)
        kinds = {kind for words, kind in LANDMARK_KINDS.items() if words in folded}
        return any(kinds & self._kinds.get(spot, set()) for spot in _spots(place))

    def _loose(self, asked: PlaceQuery, code: str, within: set[int] | None) -> list[AddressHit]:
        words = _address_key(" ".join((asked.flat, asked.number, *asked.words)))
        choices = {
            i: self._lines[i] for i in (within if within is not None else range(len(self._lines)))
        }
        hits: list[AddressHit] = []
        for _line, similarity, i in process.extract(
            words, choices, scorer=fuzz.token_set_ratio, score_cutoff=70, limit=200
        ):
            why = ["address text matches" if similarity >= 99 else "address text is similar"]
            if code:
                why.append("postcode matches")
            hits.append(
                AddressHit(self._places[i].address_id, round(similarity / 100, 4), tuple(why))
            )
        return self._ordered(hits)

    def _ordered(self, hits: list[AddressHit]) -> list[AddressHit]:
        """Best first; equals in street order (by door number, then flat)."""
        return sorted(hits, key=lambda h: (-h.score, _door_order(self._place(h.address_id))))

    def _place(self, address_id: str) -> _Place:
        return self._places[self._position[address_id]]


def _spots(place: _Place) -> list[tuple[str, str]]:
    """Where a premises' trade is looked up from: its name, and its door on its street."""
    spots = []
    if place.building:
        spots.append((place.postcode, "b:" + place.building))
    if place.number and place.street:
        spots.append((place.postcode, f"n:{place.street}:{place.number}"))
    return spots


def _door_order(place: _Place) -> tuple[int, str, str, str]:
    digits = re.match(r"\d+", place.number)
    return (int(digits[0]) if digits else 10**6, place.number, place.flat.zfill(4), place.line)


def _address_key(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", text.lower()).split())
