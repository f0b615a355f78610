"""Values the records hold, in the request's language: sex, kinds of event, roles, family
relations, premises types, local authorities, and the resolver's evidence phrases.

The records and the graph keep the partners' codes and the resolver's English words (they
are data, compared and exported as such); pages word them here, at display time, through
the catalogue. A value the tables do not know is shown as the record has it, so a new code
from a partner is never hidden, only left untranslated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Final

from mast.core.settings import BUILTIN_FEEDS
from mast.loaders.feeds import load_feeds
from mast.text.i18n import N_, agency_name, day, gettext, ngettext

SEXES: Final = {
    "f": N_("female"),
    "female": N_("female"),
    "m": N_("male"),
    "male": N_("male"),
    "u": N_("not recorded"),
    "unknown": N_("not recorded"),
    "x": N_("neither female nor male"),
    "other": N_("neither female nor male"),
}

# Codes the feed definitions map to (mast/feeds/*.yaml) and the kinds and categories the
# partners' extracts write in words.
EVENTS: Final = {
    "occurrence": N_("police occurrence"),
    "ambulance_call": N_("ambulance call"),
    "ed_attendance": N_("emergency department attendance"),
    "miu_attendance": N_("minor injuries unit attendance"),
    "missed_appointment": N_("missed appointment"),
    "Home Safety Visit": N_("Home Safety Visit"),
    "Home safety check": N_("Home safety check"),
    "Incident": N_("Incident"),
    "Care Leaver": N_("Care Leaver"),
    "Safeguarding Concern": N_("Safeguarding Concern"),
    "Assessment": N_("Assessment"),
    "Referral": N_("Referral"),
    "Child Protection": N_("Child Protection"),
    "Child Protection Plan": N_("Child Protection Plan"),
    "Looked After": N_("Looked After"),
    "Looked After Children": N_("Looked After Children"),
    "Family Support": N_("Family Support"),
    "Leaving Care": N_("Leaving Care"),
    "Custody - Sentenced": N_("Custody - Sentenced"),
    "Released on Licence": N_("Released on Licence"),
    "Community Order": N_("Community Order"),
    "Referral Order": N_("Referral Order"),
    "Youth Rehabilitation Order": N_("Youth Rehabilitation Order"),
    "Out of Court Disposal": N_("Out of Court Disposal"),
    "Fixed-term exclusion": N_("Fixed-term exclusion"),
    "Permanent exclusion": N_("Permanent exclusion"),
    "Persistent absence": N_("Persistent absence"),
    "Child missing education": N_("Child missing education"),
    "Outpatient": N_("Outpatient"),
    "Assault": N_("Assault"),
    "Domestic abuse": N_("Domestic abuse"),
    "Mental health": N_("Mental health"),
    "Self-harm": N_("Self-harm"),
    "Overdose": N_("Overdose"),
    "Injury": N_("Injury"),
    "Illness": N_("Illness"),
    "Fall": N_("Fall"),
    "Breathing": N_("Breathing"),
    "Chest pain": N_("Chest pain"),
    "Unconscious": N_("Unconscious"),
    "Deliberate fire": N_("Deliberate fire"),
    "Dwelling fire": N_("Dwelling fire"),
    "False alarm": N_("False alarm"),
    "Rescue": N_("Rescue"),
    "Concern for welfare": N_("Concern for welfare"),
    "Anti-social behaviour": N_("Anti-social behaviour"),
    "Criminal damage": N_("Criminal damage"),
    "Theft": N_("Theft"),
    "Missing person": N_("Missing person"),
    "Drugs": N_("Drugs"),
    "Public order": N_("Public order"),
    "Sexual offence": N_("Sexual offence"),
}

ROLES: Final = {
    "Victim": N_("Victim"),
    "Suspect": N_("Suspect"),
    "Witness": N_("Witness"),
    "Subject": N_("Subject"),
    "Reporting Person": N_("Reporting Person"),
    "Child": N_("Child"),
    "Parent/Carer": N_("Parent/Carer"),
    "Care Leaver": N_("Care Leaver"),
    "Adult at risk": N_("Adult at risk"),
    "Patient": N_("Patient"),
    "Occupant": N_("Occupant"),
}

RELATIONS: Final = {
    "household": N_("household"),
    "mother": N_("mother"),
    "father": N_("father"),
    "parent": N_("parent"),
    "child": N_("child"),
    "sibling": N_("sibling"),
    "carer": N_("carer"),
    "partner": N_("partner"),
}

PREMISES: Final = {
    "dwelling": N_("dwelling"),
    "pub": N_("licensed premises"),
    "hostel": N_("hostel"),
    "shop": N_("shop"),
    "transport": N_("transport"),
    "hospital": N_("hospital"),
    "school": N_("school"),
    "hotel": N_("hotel"),
    "takeaway": N_("takeaway"),
    "supported_accommodation": N_("supported accommodation"),
}

# The principal areas of Wales, as each writes its name in Welsh.
AUTHORITIES: Final = (
    N_("Swansea"),
    N_("Neath Port Talbot"),
    N_("Bridgend"),
    N_("Carmarthenshire"),
    N_("Cardiff"),
    N_("Vale of Glamorgan"),
    N_("Rhondda Cynon Taf"),
    N_("Powys"),
    N_("Pembrokeshire"),
    N_("Ceredigion"),
)

# The resolver's words for what moved a score (mast/resolver/model.py's levels and
# mast/resolver/explain.py's lead phrases), joined there by "; " and " or ".
EVIDENCE: Final = (
    N_("NHS number missing"),
    N_("same NHS number"),
    N_("identifier differs by one digit"),
    N_("different NHS numbers"),
    N_("given name missing"),
    N_("same given name"),
    N_("given and family names written the other way round"),
    N_("given names are forms of one name"),
    N_("given name is a short form of the other"),
    N_("given name differs by a typing error"),
    N_("given name is an initial or a middle name of the other"),
    N_("different given names"),
    N_("family name missing"),
    N_("same family name"),
    N_("family name differs by a typing error"),
    N_("family names sound the same"),
    N_("family name changed (a former or double-barrelled name)"),
    N_("different family names"),
    N_("date of birth missing"),
    N_("same date of birth"),
    N_("date of birth with day and month swapped"),
    N_("date of birth differs by one digit"),
    N_("date of birth a year out"),
    N_("age consistent with the date of birth"),
    N_("age within two years of the date of birth"),
    N_("age does not fit the date of birth"),
    N_("different dates of birth"),
    N_("sex missing"),
    N_("same sex"),
    N_("different sex"),
    N_("address missing"),
    N_("same address"),
    N_("one address is only where an event happened"),
    N_("same postcode"),
    N_("same neighbourhood (postcode sector)"),
    N_("different areas"),
    N_("no field stood out"),
    N_("the only record of this person"),
    # How a "possibly the same person" came up (mast/resolver/near.py).
    N_("waiting for a reviewer"),
    N_("waiting for a reviewer: the matching was unsure"),
    N_("waiting for a reviewer: someone reported a record as not this person"),
    N_("waiting for a reviewer: kept apart because some details contradict each other"),
    N_("kept apart because some details contradict each other"),
    N_("scored as a match, but kept apart because some details contradict each other"),
    N_("a near miss: scored close to a match, left apart"),
    N_("the matching was unsure"),
    # What hangs on a review item (mast/resolver/review.py).
    N_("an open case"),
    N_("seen in the last 90 days"),
    # Why a rule kept two people apart, as items queued before `apart.py` say it.
    N_(
        "joined, their people would hold names or dates of birth that no slip explains, or a"
        " partner's own id says otherwise"
    ),
)
_KNOWN_EVIDENCE: Final = frozenset(EVIDENCE)
_OR: Final = N_("or")  # between levels one weight cannot tell apart

_STATED: Final = re.compile(r"stated in (\d+) record\(s\) of (.+)")
_BOTH_AT: Final = re.compile(r"both at (\S+) (\S+) to (\S+) \((.*)\)")
_SAME_ID: Final = re.compile(r"filed under the same (.+) person id")
_WRITTEN: Final = re.compile(r"written exactly as (\d+) other records? of this person")
_REVIEWER: Final = re.compile(r"linked by reviewer ([^:]+): (.*)")
_REPORTED: Final = re.compile(r"reported by ([^:]+): (.*)")  # mast/resolver/disputes.py
# What tells two people apart (mast/resolver/apart.py), and a refused pair (near.py).
_KEPT_APART: Final = re.compile(r"kept apart: (.+)")
_BORN_YEARS: Final = re.compile(r"born (\d{4}-\d\d-\d\d) and (\d{4}-\d\d-\d\d): (\d+) years? apart")
_BORN: Final = re.compile(r"born (\d{4}-\d\d-\d\d) and (\d{4}-\d\d-\d\d)")
_NHS: Final = re.compile(r"different NHS numbers: (\S+) and (\S+)")
_GIVEN: Final = re.compile(r"given names (.+) and (.+) are not forms of one name")
_SEXES: Final = re.compile(r"recorded as (\S+) and (\S+)")
_MOVING: Final = re.compile(r"(\d+) records? would move")  # mast/resolver/review.py


@cache
def agency_names(feeds: Path) -> dict[str, str]:
    """Agency id (as records hold it) and feed code (as the graph's evidence lists it) →
    the agency's name, from the feed definitions; `agency_name` words it for the reader."""
    out: dict[str, str] = {}
    for code, feed in load_feeds(feeds).items():
        out[code] = out[feed.agency.id] = feed.agency.name
    return out


@cache
def _folded(table: tuple[tuple[str, str], ...]) -> dict[str, str]:
    return {k.casefold(): v for k, v in table}


def _lookup(table: dict[str, str], value: str | None) -> str:
    """A value by the table, whatever its case (one feed writes its kinds in capitals)."""
    if not value:
        return ""
    found = table.get(value) or _folded(tuple(table.items())).get(value.casefold())
    return gettext(found) if found else value


def sex(value: str | None) -> str:
    return _lookup(SEXES, value)


def event_kind(value: str | None) -> str:
    """A kind or category of event; an unknown code with underscores is shown as words."""
    if value and value.casefold() not in _folded(tuple(EVENTS.items())) and "_" in value:
        return value.replace("_", " ")
    return _lookup(EVENTS, value)


def event_role(value: str | None) -> str:
    return _lookup(ROLES, value)


def relation(value: str | None) -> str:
    return _lookup(RELATIONS, value)


def premises(value: str | None) -> str:
    if value and value not in PREMISES and "_" in value:
        return value.replace("_", " ")
    return _lookup(PREMISES, value)


def authority(value: str | None) -> str:
    return gettext(value) if value and value in AUTHORITIES else (value or "")


# The page's addresses and agencies while it words one evidence text (`evidence`); without
# the page's own feeds, the built-in definitions name the agencies.
_places: ContextVar[Mapping[str, str] | None] = ContextVar("evidence_places", default=None)
_agencies: ContextVar[Mapping[str, str] | None] = ContextVar("evidence_agencies", default=None)


def _stated(m: re.Match[str]) -> str:
    n = int(m.group(1))
    said = ngettext(
        "stated in %(n)s record of %(feeds)s", "stated in %(n)s records of %(feeds)s", n
    )
    agencies = _agencies.get() or agency_names(BUILTIN_FEEDS)
    feeds = ", ".join(
        dict.fromkeys(agency_name(agencies.get(f.strip(), f.strip())) for f in m[2].split(","))
    )
    return said % {"n": n, "feeds": feeds}


def _both_at(m: re.Match[str]) -> str:
    """The address by its line where the page knows it, and the feeds as the agencies' names
    (the graph's evidence holds ids and feed codes: 'both at A00000807 … (csc_swansea, …)')."""
    feeds = [f.strip() for f in re.split(r"[,;]", m[4]) if f.strip()]
    agencies, places = _agencies.get() or agency_names(BUILTIN_FEEDS), _places.get() or {}
    named = dict.fromkeys(agency_name(agencies.get(f, f)) for f in feeds)
    said = gettext("both at %(address)s from %(start)s to %(end)s (%(feeds)s)")
    return said % {
        "address": places.get(m[1], m[1]),
        "start": day(m[2]),
        "end": day(m[3]),
        "feeds": ", ".join(named),
    }


def _kept_apart(m: re.Match[str]) -> str:
    return gettext("kept apart: %(why)s") % {"why": _phrase(m[1])}


def _born_years(m: re.Match[str]) -> str:
    n = int(m[3])
    said = ngettext(
        "born %(one)s and %(other)s: %(n)s year apart",
        "born %(one)s and %(other)s: %(n)s years apart",
        n,
    )
    return said % {"one": day(m[1]), "other": day(m[2]), "n": n}


def _born(m: re.Match[str]) -> str:
    return gettext("born %(one)s and %(other)s") % {"one": day(m[1]), "other": day(m[2])}


def _nhs(m: re.Match[str]) -> str:
    return gettext("different NHS numbers: %(one)s and %(other)s") % {"one": m[1], "other": m[2]}


def _given(m: re.Match[str]) -> str:
    said = gettext("given names %(one)s and %(other)s are not forms of one name")
    return said % {"one": m[1], "other": m[2]}


def _sexes(m: re.Match[str]) -> str:
    return gettext("recorded as %(one)s and %(other)s") % {"one": sex(m[1]), "other": sex(m[2])}


def _moving(m: re.Match[str]) -> str:
    n = int(m[1])
    return ngettext("%(n)s record would move", "%(n)s records would move", n) % {"n": n}


def _same_id(m: re.Match[str]) -> str:
    feed = (_agencies.get() or agency_names(BUILTIN_FEEDS)).get(m[1], m[1])
    return gettext("filed under the same %(feed)s person id") % {"feed": agency_name(feed)}


def _written(m: re.Match[str]) -> str:
    n = int(m.group(1))
    said = ngettext(
        "written exactly as %(n)s other record of this person",
        "written exactly as %(n)s other records of this person",
        n,
    )
    return said % {"n": n}


def _reviewer(m: re.Match[str]) -> str:
    return gettext("linked by reviewer %(who)s: %(reason)s") % {"who": m[1], "reason": m[2]}


def _reported(m: re.Match[str]) -> str:
    return gettext("reported by %(who)s: %(reason)s") % {"who": m[1], "reason": m[2]}


_PATTERNS: Final = (
    (_STATED, _stated),
    (_BOTH_AT, _both_at),
    (_SAME_ID, _same_id),
    (_WRITTEN, _written),
    (_REVIEWER, _reviewer),
    (_REPORTED, _reported),
    (_KEPT_APART, _kept_apart),
    (_BORN_YEARS, _born_years),
    (_BORN, _born),
    (_NHS, _nhs),
    (_GIVEN, _given),
    (_SEXES, _sexes),
    (_MOVING, _moving),
)


def _phrase(part: str) -> str:
    if part in _KNOWN_EVIDENCE:
        return gettext(part)
    for pattern, words in _PATTERNS:
        if m := pattern.fullmatch(part):
            return words(m)
    if " or " in part:
        return f" {gettext(_OR)} ".join(_phrase(p) for p in part.split(" or "))
    return part


def evidence(
    text: str | None,
    places: Mapping[str, str] | None = None,
    agencies: Mapping[str, str] | None = None,
) -> str:
    """The resolver's or the graph's evidence ("same address; same given name") in words of
    the request's language; a phrase it does not know is kept as written. `places` (address
    id → line) and `agencies` (feed code → agency name) word the graph's ids and codes."""
    if not text:
        return ""
    # "both at … (feeds; feeds)" holds "; " inside its brackets: split outside them only.
    parts = re.split(r";\s(?![^()]*\))", text)
    held = _places.set(places or {}), _agencies.set(agencies or {})
    try:
        return "; ".join(_phrase(p.strip()) for p in parts)
    finally:
        _places.reset(held[0])
        _agencies.reset(held[1])
