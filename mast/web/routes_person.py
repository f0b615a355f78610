"""The person page, "not this person" reports, and the chronology for a review meeting.

The page is built so that what it shows cannot be read as more than the records say: the
household is "as last recorded, on <date>", never "today"; other names are only those a
partner recorded, not typing slips; people the resolver nearly joined to this one are
shown as "possibly the same person" with why; every agency involved is summarised with
who to call, or says its feed gives no contact. The chronology runs newest first. A report
that a record is not this person flags it on every page at once and queues a review item.
Each export (print view, CSV, PDF) has its audit entry committed before it is sent.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mast.accounts.access import allowed
from mast.api import csrf
from mast.api.auth import Caller, services_of
from mast.api.recording import change, record
from mast.api.routes_graphql import execute
from mast.core import clock
from mast.core.csv_safe import csv_safe
from mast.core.errors import AuditUnavailable, MastError
from mast.resolver.disputes import report as report_dispute
from mast.text import i18n
from mast.text.i18n import N_, ngettext
from mast.text.i18n import day as _day
from mast.text.i18n import gettext as _
from mast.text.i18n import moment as _moment
from mast.web import i18n_values
from mast.web.chronology_pdf import MARKING, FontMissing, Sheet, chronology_pdf
from mast.web.report_slices import every_period
from mast.web.routes import (
    _confidence,
    missing,
    page,
    viewer,
)
from mast.web.routes_errors import error_page

router = APIRouter(include_in_schema=False)
SHOWN = 100
"""Events on the page (one GraphQL page); the exports carry every event in the window."""
_DISPUTE = "dispute { reportedBy reason reportedAt state reviewItem }"
_WHO = "personId givenName familyName dob"

PERSON = f"""query($id: ID!, $from: DateTime, $to: DateTime, $agencies: [String!], $on: Date,
    $wantOn: Boolean!) {{
  person(id: $id) {{ personId givenName familyName aliases dob sex nhsNumber
    agencies {{ agency agencyId agencyKind events lastEvent }}
    openCases {{ caseId agency kind opened leadName leadPhone leadEmail team }}
    chronology(from: $from, to: $to, agencies: $agencies, first: {SHOWN}, newestFirst: true) {{
      totalCount pageInfo {{ hasNextPage }}
      edges {{ node {{ occurredAt agency agencyKind kind category role ref addressId addressLine
        recordId {_DISPUTE} }} }} }}
    householdLast {{ addressId addressLine recordedOn
      members {{ person {{ {_WHO} }} since until }} }}
    household(on: $on) @include(if: $wantOn) {{ person {{ {_WHO} }} since until }}
    possiblySame {{ person {{ {_WHO} }} weight why evidenceFor evidenceAgainst reviewItem
      keptApart }}
    ruledApart {{ person {{ {_WHO} }} decidedAt }}
    relatives {{ person {{ {_WHO} }} kind evidence }}
    addresses {{ address {{ addressId line }} localAuthority validFrom validTo }}
    RECORDS }} }}"""
RECORDS = (
    "records { recordId feed agency givenName familyName dob occurredAt score decidedBy "
    f"explanation evidenceFor evidenceAgainst {_DISPUTE} }}"
)

EXPORT = f"""query($id: ID!, $from: DateTime, $to: DateTime, $agencies: [String!],
    $after: String) {{
  person(id: $id) {{ personId givenName familyName dob
    chronology(from: $from, to: $to, agencies: $agencies, first: 100, after: $after,
        newestFirst: true) {{
      totalCount pageInfo {{ hasNextPage endCursor }}
      edges {{ node {{ occurredAt agency kind category role ref addressLine recordId score
        {_DISPUTE} }} }} }} }} }}"""
COLUMNS = (
    "date", "agency", "reference", "event", "role", "address", "confidence", "disputed",
)  # fmt: skip

HEADINGS = (
    N_("Date"),
    N_("Agency"),
    N_("Reference"),
    N_("Event"),
    N_("Role"),
    N_("Address"),
    N_("Confidence"),
    N_("Disputed"),
)
"""The PDF's column headings, translated where it is made."""


def _by_month(events: list[dict[str, Any]]) -> dict[str, Any]:
    counts = Counter((str(e["occurredAt"])[:7], e["agency"] or "?") for e in events)
    months = every_period(sorted({m for m, _agency in counts}), "month")  # empty ones as 0
    agencies = sorted({a for _, a in counts})
    return {
        "months": months,
        "labels": [i18n.month(m) for m in months],  # "Mar 2026" / "Maw 2026"
        "agencies": [
            {"agency": i18n.agency_name(a), "counts": [counts[(m, a)] for m in months]}
            for a in agencies
        ],
    }


_UK_DAY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
DATE_FIELDS = {"from": N_("From"), "to": N_("To"), "on": N_("Household on a chosen day")}
"""Each date a person page or export takes, by the label its form gives it."""


def typed_day(text: str) -> date | None:
    """A date as a form or a typed address gives it: empty (no limit), dd/mm/yyyy as the UK
    writes it, or yyyy-mm-dd as a browser's date box sends it. ValueError for anything else."""
    text = text.strip()
    if not text:
        return None
    if uk := _UK_DAY.fullmatch(text):
        return date(int(uk[3]), int(uk[2]), int(uk[1]))
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError("not a date")
    return date.fromisoformat(text)


def read_days(given: dict[str, str]) -> dict[str, date | None] | str:
    """Each date field as a day, or, for the first that is none (2026-13-01, 31/02/2026),
    what is wrong in the reader's language: a window silently dropped would print a
    chronology for a meeting that is not the one asked for."""
    days = {}
    for field, text in given.items():
        try:
            days[field] = typed_day(text)
        except ValueError:
            return _(
                "%(field)s: that is not a date. Write it as dd/mm/yyyy or yyyy-mm-dd, for "
                "example 07/03/2026 or 2026-03-07."
            ) % {"field": _(DATE_FIELDS[field])}
    return days


def _bad_date(request: Request, who: Caller, problem: str) -> HTMLResponse:
    return error_page(request, 422, _("A date could not be read"), problem, who)


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def _places(person: dict[str, Any]) -> dict[str, str]:
    """The addresses this page knows, id → line, to word the family list's evidence."""
    out = {s["address"]["addressId"]: s["address"]["line"] for s in person["addresses"]}
    if (last := person.get("householdLast")) and last["addressLine"]:
        out[last["addressId"]] = last["addressLine"]
    return {k: v for k, v in out.items() if v}


def _window(from_: date | None, to: date | None) -> dict[str, str | None]:
    return {
        "from": from_.isoformat() if from_ else None,
        "to": datetime.combine(to, datetime.max.time()).isoformat() if to else None,
    }


def _summary(person: dict[str, Any], events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each agency involved, newest contact first: the latest event and its reference, and
    one line of who to call — the lead of its most recently opened case that names one, or
    nobody named in its feed. One line, not one a case: three open cases with one social
    worker are one person to call. A record reported as not this person is not taken as
    the latest contact: the card shows the newest undisputed one and names the disputed ones
    it skipped, and says how many of its events are disputed (the graph's count still holds
    them until a run moves them)."""
    latest: dict[str, dict[str, Any]] = {}
    skipped: dict[str, list[dict[str, Any]]] = {}
    disputed: Counter[str] = Counter()
    for e in events:  # newest first: the first undisputed of each agency is its latest
        agency = e["agency"] or "?"
        if e.get("dispute"):
            disputed[agency] += 1
            if agency not in latest:
                skipped.setdefault(agency, []).append(e)
            continue
        latest.setdefault(agency, e)
    led = sorted(
        (c for c in person["openCases"] if c["leadName"]),
        key=lambda c: str(c["opened"] or ""),
        reverse=True,
    )
    out = []
    for a in person["agencies"]:
        lead = next((c for c in led if c["agency"] in (a["agency"], a["agencyId"])), None)
        out.append(
            {
                **a,
                "latest": latest.get(a["agency"]),
                "skipped": skipped.get(a["agency"], []),
                "disputed": disputed[a["agency"]],
                "leads": [lead] if lead else [],
            }
        )
    out.sort(key=lambda a: str(a["lastEvent"] or ""), reverse=True)
    named = {a["agencyId"]: a["agency"] for a in person["agencies"] if a["agencyId"]}
    for c in person["openCases"]:  # cases name their agency by id: show its name
        c["agency"] = named.get(c["agency"], c["agency"])
    return out


def _bar(e: dict[str, Any]) -> dict[str, Any]:
    """One event as the timeline draws it; a disputed one says so on the bar itself."""
    label = i18n_values.event_kind(e["category"] or e["kind"])
    if e.get("dispute"):
        label = _("Disputed: %(event)s") % {"event": label}
    return {
        "agency": i18n.agency_name(e["agency"]) or "?",
        "at": e["occurredAt"],
        "label": label,
        "disputed": bool(e.get("dispute")),
    }


@router.get("/people/{person_id}")
async def person_page(
    request: Request,
    person_id: str,
    who: Annotated[Caller, Depends(viewer)],
    agency: Annotated[list[str] | None, Query()] = None,
    from_text: Annotated[str, Query(alias="from", max_length=40)] = "",
    to_text: Annotated[str, Query(alias="to", max_length=40)] = "",
    on_text: Annotated[str, Query(alias="on", max_length=40)] = "",
) -> HTMLResponse:
    if not allowed(who.user.role, "view"):
        return missing(request, who)
    days = read_days({"from": from_text, "to": to_text, "on": on_text})
    if isinstance(days, str):
        return _bad_date(request, who, days)
    from_, to, on = days["from"], days["to"], days["on"]
    query = PERSON.replace("RECORDS", RECORDS if allowed(who.user.role, "records") else "")
    variables = {
        "id": person_id[:64],
        **_window(from_, to),
        "agencies": agency or None,
        "on": on.isoformat() if on else None,
        "wantOn": on is not None,
    }
    data, _errors = await execute(request, who, query, variables)
    person = (data or {}).get("person")
    if not person:
        return missing(request, who)
    events = [e["node"] for e in person["chronology"]["edges"]]
    if "records" in person:  # newest first, as the chronology
        person["records"].sort(key=lambda r: str(r["occurredAt"] or ""), reverse=True)
    context = {
        "p": person,
        "events": events,
        "summary": _summary(person, events),
        "all_agencies": sorted({a["agency"] for a in person["agencies"]}),
        "chosen": set(agency or []),
        "from_": from_.isoformat() if from_ else "",
        "to": to.isoformat() if to else "",
        "timeline": [_bar(e) for e in events],
        "activity": _by_month(events),
        "reported": request.query_params.get("reported"),
        "places": _places(person),
        "feed_agencies": i18n_values.agency_names(services_of(request).settings.feeds),
        "on": on.isoformat() if on else "",
    }
    return page(request, "person.html", who, **context)


@router.get("/people/{person_id}/not-the-same")
async def not_the_same_page(
    request: Request,
    person_id: str,
    who: Annotated[Caller, Depends(viewer)],
    record_id: Annotated[str, Query(max_length=300)],
) -> HTMLResponse:
    """The confirmation step: the event in question, and a reason to give."""
    if not allowed(who.user.role, "report-link"):
        return missing(request, who)
    return await _dispute_form(request, who, person_id, record_id)


async def _dispute_form(
    request: Request,
    who: Caller,
    person_id: str,
    record_id: str,
    *,
    reason: str = "",
    problem: str = "",
) -> HTMLResponse:
    """The form, again with what was typed and what is wrong with it when it was refused."""
    found = await _all_events(request, who, person_id, None, None, None)
    if found is None:
        return missing(request, who)
    event = next((e for e in found.events if e["recordId"] == record_id), None)
    response = page(
        request,
        "dispute.html",
        who,
        p=found.person,
        event=event,
        record_id=record_id,
        reason=reason,
        problem=problem,
    )
    if problem:
        response.status_code = 400
    return response


@router.post("/people/{person_id}/not-the-same", dependencies=[Depends(csrf.form_token)])
async def not_the_same(
    request: Request,
    person_id: str,
    who: Annotated[Caller, Depends(viewer)],
    record_id: Annotated[str, Form(max_length=300)],
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """'This record is not this person', confirmed with a reason: flagged at once on every
    page and queued for a reviewer; who reported it is the signed-in user."""
    if not allowed(who.user.role, "report-link"):
        return missing(request, who)
    if not reason.strip():
        return await _dispute_form(
            request, who, person_id, record_id, problem=_("Say why the record is not this person.")
        )
    services = services_of(request)
    try:
        made = await change(
            services,
            who.user,
            "report-link",
            lambda engine: report_dispute(
                engine,
                record_id,
                person_id=person_id[:64],
                by=who.user.username,
                reason=reason,
                now=services.now(),
            ),
            lambda d: {
                "person_id": person_id,
                "record_id": record_id,
                "item": d.item_id,
                "reason": d.reason,
            },
            lambda _: [person_id, record_id],
            purpose=who.purpose,
        )
    except AuditUnavailable:
        raise  # 503, nothing changed
    except MastError as e:  # the resolver's words are marked for the catalogue
        return await _dispute_form(
            request, who, person_id, record_id, reason=reason, problem=_(str(e))
        )
    return RedirectResponse(
        f"/people/{person_id}?reported={made.item_id}#chronology", status_code=303
    )


# --- the chronology for a meeting -------------------------------------------------------------


@dataclass(frozen=True)
class _Chronology:
    person: dict[str, Any]
    events: list[dict[str, Any]]


async def _all_events(
    request: Request,
    who: Caller,
    person_id: str,
    from_: date | None,
    to: date | None,
    agency: list[str] | None,
    *,
    audited: bool = True,
) -> _Chronology | None:
    """Every event in the window, newest first, a GraphQL page at a time; `audited=False`
    when the caller writes the one entry for what it shows (an export)."""
    variables: dict[str, Any] = {
        "id": person_id[:64],
        **_window(from_, to),
        "agencies": agency or None,
        "after": None,
    }
    events: list[dict[str, Any]] = []
    while True:
        data, _errors = await execute(request, who, EXPORT, variables, audited=audited)
        person = (data or {}).get("person")
        if not person:
            return None
        found = person["chronology"]
        events += [e["node"] for e in found["edges"]]
        if not found["pageInfo"]["hasNextPage"]:
            return _Chronology(person, events)
        variables["after"] = found["pageInfo"]["endCursor"]


def _row(e: dict[str, Any], *, words: bool = False) -> tuple[str, ...]:
    """One event as the export's cells; `words` for a page or PDF in the reader's language
    (the CSV keeps the partners' codes, which a spreadsheet filters on)."""
    dispute = e.get("dispute")
    name = i18n_values.event_kind if words else (lambda v: v or "")
    kind = f"{name(e['kind'])}{': ' + name(e['category']) if e['category'] else ''}"
    if dispute:
        said = _("disputed by %(who)s: %(reason)s") if words else "disputed by %(who)s: %(reason)s"
        disputed = said % {"who": dispute["reportedBy"], "reason": dispute["reason"]}
    else:
        disputed = ""
    ruled = _("ruled or partner id") if words else "ruled or partner id"
    return (
        _moment(e["occurredAt"]),
        (i18n.agency_name(e["agency"]) if words else e["agency"]) or "",
        e["ref"] or "",
        kind,
        (i18n_values.event_role(e["role"]) if words else e["role"]) or "",
        e["addressLine"] or "",
        _confidence(e["score"]) if e["score"] is not None else ruled,
        disputed,
    )


def _name(person: dict[str, Any]) -> str:
    name = f"{person['givenName'] or ''} {person['familyName'] or ''}".strip()
    born = _(", born %(day)s") % {"day": _day(person["dob"])} if person.get("dob") else ""
    return f"{name or person['personId']}{born} ({person['personId']})"


def _range(from_: date | None, to: date | None, events: list[dict[str, Any]]) -> str:
    first = from_.isoformat() if from_ else (events[-1]["occurredAt"] if events else None)
    last = to.isoformat() if to else (events[0]["occurredAt"] if events else None)
    if first is None or last is None:
        return _("No events in this window.")
    said = ngettext(
        "%(start)s to %(end)s, newest first, %(n)s event",
        "%(start)s to %(end)s, newest first, %(n)s events",
        len(events),
    )
    return said % {"start": _day(first), "end": _day(last), "n": len(events)}


def _meeting(meeting: str, who: Caller) -> str:
    """The meeting an export is for, as given (one line, 300 characters), else the purpose."""
    return " ".join(meeting.split())[:300] or who.purpose


async def _export(
    request: Request,
    who: Caller,
    person_id: str,
    kind: str,
    meeting: str,
    from_text: str,
    to_text: str,
    agency: list[str] | None,
) -> tuple[_Chronology, Sheet] | None:
    """The events and heading of an export, its audit entry committed first: what was
    exported, for what meeting, and every event id in it."""
    from_, to = typed_day(from_text), typed_day(to_text)  # read_days has checked them
    # The export's own entry below lists every event in it: the reads are not logged twice.
    found = await _all_events(request, who, person_id, from_, to, agency, audited=False)
    if found is None:
        return None
    purpose = _meeting(meeting, who)
    await record(
        services_of(request),
        who.user,
        f"chronology-{kind}",
        {
            "person_id": found.person["personId"],
            "from": from_text,
            "to": to_text,
            "agencies": agency or [],
            "meeting": purpose,
            "events": len(found.events),
        },
        [found.person["personId"], *(e["recordId"] for e in found.events if e["recordId"])],
        purpose=who.purpose,
    )
    # Worded in the reader's language, as the print view is: the PDF is handed round the
    # meeting in the language its printer chose.
    sheet = Sheet(
        title=_("Multi-agency chronology"),
        person=_name(found.person),
        date_range=_range(from_, to, found.events),
        purpose=_("Purpose: %(purpose)s") % {"purpose": purpose},
        printed_by=_("Printed by %(who)s (%(role)s, %(agency)s)")
        % {
            "who": who.user.display_name,
            "role": i18n.role_name(who.user.role),
            "agency": i18n.agency_name(who.user.agency),
        },
        printed_at=_moment(clock.now().replace(microsecond=0).isoformat()),
        columns=tuple(_(h) for h in HEADINGS),
    )
    return found, sheet


_Meeting = Annotated[str, Query(max_length=300)]
_From = Annotated[str, Query(alias="from", max_length=40)]
_To = Annotated[str, Query(alias="to", max_length=40)]
_Agencies = Annotated[list[str] | None, Query()]


@router.get("/people/{person_id}/chronology/print")
async def chronology_print(
    request: Request,
    person_id: str,
    who: Annotated[Caller, Depends(viewer)],
    meeting: _Meeting = "",
    from_text: _From = "",
    to_text: _To = "",
    agency: _Agencies = None,
) -> HTMLResponse:
    """The chronology laid out for paper: heading, marking, the events; no navigation."""
    if not allowed(who.user.role, "view"):
        return missing(request, who)
    days = read_days({"from": from_text, "to": to_text})
    if isinstance(days, str):
        return _bad_date(request, who, days)
    from_text, to_text = _iso(days["from"]), _iso(days["to"])
    made = await _export(request, who, person_id, "print", meeting, from_text, to_text, agency)
    if made is None:
        return missing(request, who)
    found, sheet = made
    # The page words its own rows and heading through gettext; the PDF and CSV share _row.
    events = found.events
    return page(
        request,
        "chronology_print.html",
        who,
        sheet=sheet,
        events=events,
        p=found.person,
        marking=MARKING,
        meeting=_meeting(meeting, who),
        first=from_text or (events[-1]["occurredAt"] if events else ""),
        last=to_text or (events[0]["occurredAt"] if events else ""),
    )


@router.get("/people/{person_id}/chronology.csv")
async def chronology_csv(
    request: Request,
    person_id: str,
    who: Annotated[Caller, Depends(viewer)],
    meeting: _Meeting = "",
    from_text: _From = "",
    to_text: _To = "",
    agency: _Agencies = None,
) -> Response:
    if not allowed(who.user.role, "view"):
        return missing(request, who)
    days = read_days({"from": from_text, "to": to_text})
    if isinstance(days, str):
        return _bad_date(request, who, days)
    from_text, to_text = _iso(days["from"]), _iso(days["to"])
    made = await _export(request, who, person_id, "csv", meeting, from_text, to_text, agency)
    if made is None:
        return missing(request, who)
    found, sheet = made
    # In Welsh, the headings and the partners' codes are in Welsh words, as the page is; in
    # English the file keeps its column names and codes, which partners' spreadsheets use.
    welsh = i18n.language() == "cy"
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(sheet.columns if welsh else COLUMNS)
    for e in found.events:  # the date as ISO 8601, which a spreadsheet sorts
        writer.writerow([csv_safe(v) for v in (e["occurredAt"], *_row(e, words=welsh)[1:])])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="chronology-{person_id[:20]}.csv"'},
    )


@router.get("/people/{person_id}/chronology.pdf")
async def chronology_pdf_page(
    request: Request,
    person_id: str,
    who: Annotated[Caller, Depends(viewer)],
    meeting: _Meeting = "",
    from_text: _From = "",
    to_text: _To = "",
    agency: _Agencies = None,
) -> Response:
    if not allowed(who.user.role, "view"):
        return missing(request, who)
    days = read_days({"from": from_text, "to": to_text})
    if isinstance(days, str):
        return _bad_date(request, who, days)
    from_text, to_text = _iso(days["from"]), _iso(days["to"])
    made = await _export(request, who, person_id, "pdf", meeting, from_text, to_text, agency)
    if made is None:
        return missing(request, who)
    found, sheet = made
    try:
        body = await asyncio.to_thread(
            chronology_pdf, sheet, [_row(e, words=True) for e in found.events]
        )
    except FontMissing as e:
        return page(request, "error.html", who, title="No PDF", message=str(e))
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="chronology-{person_id[:20]}.pdf"'},
    )
