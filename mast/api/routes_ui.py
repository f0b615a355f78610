"""The web UI: server-rendered pages (Jinja2 + htmx) for practitioners and investigators.

Pages read through the same GraphQL schema, access rules and audit as partner apps
(`routes_graphql.execute`): a page shows only what its user's role may see, and every
page that shows personal data has its audit entry committed before it is sent.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from mast.accounts.access import OPERATIONS, PURPOSE_RULE, allowed, purpose_of
from mast.accounts.accounts import Accounts, Credential
from mast.api import csrf
from mast.api.auth import Caller, services_of
from mast.api.recording import change
from mast.api.routes_auth import sign_in, sign_out
from mast.api.routes_graphql import execute
from mast.core import clock
from mast.core.csv_safe import FORMULA_START
from mast.core.errors import AccessError

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.add_extension("jinja2.ext.i18n")
# Every interface string goes through gettext (`{{ _("…") }}`, `{% trans %}`) so the Welsh
# catalogue can cover it; until a locale is chosen per request the English text is shown.
templates.env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
router = APIRouter(include_in_schema=False)
_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b|\b(\d{4})-(\d{2})-(\d{2})\b")
_AGE = re.compile(r"\b(?:age|aged)\s+(\d{1,3})\b", re.IGNORECASE)
_POSTCODE = re.compile(r"\b([A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2})\b", re.IGNORECASE)


# --- filters --------------------------------------------------------------------------------


def _day(value: Any) -> str:
    if not value:
        return "?"
    return date.fromisoformat(str(value)[:10]).strftime("%-d %b %Y")


def _moment(value: Any) -> str:
    moment = datetime.fromisoformat(str(value))
    return moment.strftime("%-d %b %Y %H:%M") if moment.time() else moment.strftime("%-d %b %Y")


def _age(value: Any) -> int:
    born, today = date.fromisoformat(str(value)[:10]), clock.today()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _confidence(weight: Any) -> str:
    """A Splink match weight as a probability; rulings and partner ids carry none."""
    if weight is None:
        return "ruled"
    chance = 1 / (1 + 2 ** -min(float(weight), 60))
    return f"{math.floor(chance * 1000) / 10:g}%"


templates.env.filters.update(day=_day, moment=_moment, age=_age, confidence=_confidence)
# CSVs built in the browser (the network explorer) escape cells by the server's own rule.
templates.env.globals["csv_formula_start"] = list(FORMULA_START)


# --- who is looking ---------------------------------------------------------------------------


class SignIn(Exception):
    """Send the browser to the sign-in page (or the purpose prompt)."""

    def __init__(self, to: str) -> None:
        self.to = to


async def _session(request: Request) -> Credential:
    sid = request.session.get("sid")
    if not isinstance(sid, str):
        raise SignIn("/login")
    try:
        return await asyncio.to_thread(services_of(request).accounts.check, sid, kind="session")
    except AccessError as e:
        raise SignIn("/login") from e


async def viewer(request: Request) -> Caller:
    """The signed-in user with the session's purpose; otherwise to sign-in or the prompt."""
    credential = await _session(request)
    if not credential.purpose:
        raise SignIn("/purpose")
    return Caller(credential.user, credential.purpose, credential)


def page(
    request: Request, template: str, who: Caller | None = None, **context: Any
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        template,
        {
            "user": who.user if who else None,
            "purpose": who.purpose if who else None,
            "can": {op: allowed(who.user.role, op) for op in OPERATIONS} if who else {},
            "csrf": csrf.token(request),
            **context,
        },
    )


def missing(request: Request, who: Caller) -> HTMLResponse:
    response = page(
        request, "error.html", who, title="Not found", message="There is nothing here you can see."
    )
    response.status_code = 404
    return response


# --- sign-in and purpose ----------------------------------------------------------------------


@router.get("/login")
async def login_page(request: Request) -> HTMLResponse:
    oidc = bool(services_of(request).settings.oidc_issuer)
    return page(request, "login.html", oidc=oidc)


@router.post("/login", dependencies=[Depends(csrf.form_token)])
async def login_form(
    request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()]
) -> Response:
    try:
        await sign_in(request, username[:64], password[:1024], None)
    except HTTPException as e:
        response = page(request, "login.html", error=e.detail)
        response.status_code = e.status_code
        return response
    return RedirectResponse("/purpose", status_code=303)


@router.post("/logout", dependencies=[Depends(csrf.form_token)])
async def logout_form(request: Request) -> RedirectResponse:
    await sign_out(request)
    return RedirectResponse("/login", status_code=303)


@router.get("/purpose")
async def purpose_page(request: Request) -> HTMLResponse:
    credential = await _session(request)
    who = Caller(credential.user, credential.purpose or "", credential)
    return page(request, "purpose.html", who)


@router.post("/purpose", dependencies=[Depends(csrf.form_token)])
async def purpose_form(request: Request, purpose: Annotated[str, Form()]) -> Response:
    credential = await _session(request)
    try:
        stated = purpose_of(purpose)
    except ValueError:
        who = Caller(credential.user, "", credential)
        response = page(request, "purpose.html", who, error=f"Give {PURPOSE_RULE}.")
        response.status_code = 400
        return response
    services = services_of(request)
    await change(  # the purpose and its audit entry commit together
        services,
        credential.user,
        "purpose",
        lambda engine: Accounts(engine, services.settings).set_purpose(
            credential.credential_id, stated
        ),
        lambda _: {},
        purpose=stated,
    )
    return RedirectResponse("/search", status_code=303)


# --- search ----------------------------------------------------------------------------------

PEOPLE = """query($name: String, $dob: Date, $age: AgeRange, $postcode: String) {
  searchPeople(name: $name, dob: $dob, ageRange: $age, postcode: $postcode, first: 20) {
    totalCount edges { score why node { personId givenName familyName dob } } } }"""
ADDRESSES = """query($text: String, $postcode: String) {
  searchAddresses(text: $text, postcode: $postcode, first: 10) {
    totalCount edges { score why node { addressId line } } } }"""


def read_box(text: str) -> dict[str, Any]:
    """One search box, read as a practitioner types: a date of birth (31/12/2010 or
    2010-12-31), 'aged 15', a postcode, and the rest a name — or an address when it starts
    with a house number."""
    found: dict[str, Any] = {}
    rest = text
    if match := _DATE.search(rest):
        d, m, y, y2, m2, d2 = match.groups()
        try:
            found["dob"] = date(int(y or y2), int(m or m2), int(d or d2)).isoformat()
        except ValueError:
            found["problem"] = "That date of birth is not a real date."
        rest = rest.replace(match.group(0), " ")
    if match := _AGE.search(rest):
        age = int(match.group(1))
        found["age"] = {"min": age, "max": age}
        rest = rest.replace(match.group(0), " ")
    if match := _POSTCODE.search(rest):
        found["postcode"] = match.group(1).upper()
        rest = rest.replace(match.group(0), " ")
    words = " ".join(rest.replace(",", " , ").split()).strip(" ,")
    if words and words[0].isdigit():
        found["address"] = words
    elif words:
        found["name"] = words
    return found


async def _results(request: Request, who: Caller, q: str) -> dict[str, Any]:
    box = read_box(q)
    out: dict[str, Any] = {"q": q, "people": None, "addresses": None, "problem": box.get("problem")}
    if not allowed(who.user.role, "search"):
        out["problem"] = "Your role does not search people or addresses."
        return out
    if box.get("name") or box.get("dob") or (box.get("postcode") and not box.get("address")):
        variables = {k: box.get(k) for k in ("name", "dob", "age", "postcode")}
        data, errors = await execute(request, who, PEOPLE, variables)
        if data:
            out["people"] = data["searchPeople"]["edges"]
            out["people_total"] = data["searchPeople"]["totalCount"]
        elif errors:
            out["problem"] = errors[0]["message"]
    if box.get("address") or (box.get("postcode") and not box.get("name")):
        variables = {"text": box.get("address"), "postcode": box.get("postcode")}
        data, errors = await execute(request, who, ADDRESSES, variables)
        if data:
            out["addresses"] = data["searchAddresses"]["edges"]
            out["addresses_total"] = data["searchAddresses"]["totalCount"]
    return out


@router.get("/")
async def home(request: Request) -> RedirectResponse:
    """Each role's first page: search, or the page of the work it does."""
    credential = await _session(request)
    role = credential.user.role
    first = next(
        (
            to
            for op, to in (
                ("search", "/search"),
                ("audit", "/audit-trail"),
                ("quality", "/quality"),
            )
            if allowed(role, op)
        ),
        "/search",
    )
    return RedirectResponse(first, status_code=303)


@router.get("/search")
async def search_page(
    request: Request, who: Annotated[Caller, Depends(viewer)], q: str = ""
) -> HTMLResponse:
    context = await _results(request, who, q[:200]) if q.strip() else {"q": ""}
    return page(request, "search.html", who, **context)


@router.get("/search/results")
async def search_results(
    request: Request, who: Annotated[Caller, Depends(viewer)], q: str = ""
) -> HTMLResponse:
    """The results alone, for htmx as the user types."""
    if not q.strip():
        return HTMLResponse("")
    return page(request, "_results.html", who, **await _results(request, who, q[:200]))


# --- a person, an address ---------------------------------------------------------------------

PERSON = """query($id: ID!, $from: DateTime, $to: DateTime, $agencies: [String!], $on: Date) {
  person(id: $id) { personId givenName familyName otherNames dob sex nhsNumber
    agencies { agency agencyKind events lastEvent }
    openCases { caseId agency kind opened leadName leadPhone leadEmail team }
    chronology(from: $from, to: $to, agencies: $agencies, first: 100) {
      totalCount pageInfo { hasNextPage }
      edges { node { occurredAt agency agencyKind kind category role addressId addressLine } } }
    household(on: $on) { person { personId givenName familyName dob } since until }
    relatives { person { personId givenName familyName dob } kind evidence }
    addresses { address { addressId line } localAuthority validFrom validTo }
    RECORDS } }"""
RECORDS = "records { recordId feed agency givenName familyName dob score decidedBy explanation }"


@router.get("/people/{person_id}")
async def person_page(
    request: Request,
    person_id: str,
    who: Annotated[Caller, Depends(viewer)],
    agency: Annotated[list[str] | None, Query()] = None,
    from_text: Annotated[str, Query(alias="from", max_length=10)] = "",
    to_text: Annotated[str, Query(alias="to", max_length=10)] = "",
    on_text: Annotated[str, Query(alias="on", max_length=10)] = "",
) -> HTMLResponse:
    if not allowed(who.user.role, "view"):
        return missing(request, who)
    from_, to = date_or_none(from_text), date_or_none(to_text)
    query = PERSON.replace("RECORDS", RECORDS if allowed(who.user.role, "records") else "")
    variables = {
        "id": person_id[:64],
        "from": from_.isoformat() if from_ else None,
        "to": datetime.combine(to, datetime.max.time()).isoformat() if to else None,
        "agencies": agency or None,
        "on": on.isoformat() if (on := date_or_none(on_text)) else None,
    }
    data, _errors = await execute(request, who, query, variables)
    person = (data or {}).get("person")
    if not person:
        return missing(request, who)
    events = [e["node"] for e in person["chronology"]["edges"]]
    context = {
        "p": person,
        "all_agencies": sorted({a["agency"] for a in person["agencies"]}),
        "chosen": set(agency or []),
        "from_": from_.isoformat() if from_ else "",
        "to": to.isoformat() if to else "",
        "timeline": [
            {
                "agency": e["agency"] or "?",
                "at": e["occurredAt"],
                "label": e["category"] or e["kind"],
            }
            for e in events
        ],
        "activity": _by_month(events),
        "reported": request.query_params.get("reported"),
        "on": on_text if date_or_none(on_text) else "",
    }
    return page(request, "person.html", who, **context)


def date_or_none(text: str) -> date | None:
    """A date field of a form: empty (no limit), or a date; anything else is no limit too."""
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _by_month(events: list[dict[str, Any]]) -> dict[str, Any]:
    counts = Counter((str(e["occurredAt"])[:7], e["agency"] or "?") for e in events)
    months = sorted({m for m, _ in counts})
    agencies = sorted({a for _, a in counts})
    return {
        "months": months,
        "agencies": [{"agency": a, "counts": [counts[(m, a)] for m in months]} for a in agencies],
    }


ADDRESS = """query($id: ID!) { address(id: $id) { addressId uprn line postcode town
  localAuthority premisesType residential
  residents { person { personId givenName familyName dob } validFrom validTo }
  counts { agency category events }
  chronology(first: 100) { totalCount
    edges { node { occurredAt agency kind category
      people { personId givenName familyName } } } } } }"""


@router.get("/addresses/{address_id}")
async def address_page(
    request: Request, address_id: str, who: Annotated[Caller, Depends(viewer)]
) -> HTMLResponse:
    if not allowed(who.user.role, "view"):
        return missing(request, who)
    data, _errors = await execute(request, who, ADDRESS, {"id": address_id[:64]})
    address = (data or {}).get("address")
    if not address:
        return missing(request, who)
    return page(request, "address.html", who, a=address)
