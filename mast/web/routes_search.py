"""The search box and the address page: one box for people and places, read the way it
was typed (`search_box`), and the address page a control room opens from it.

A search is one GraphQL operation (`SearchResults`), an address page another
(`AddressPage`), so each is one audit entry of its own kind, committed before anything is
shown (`routes_graphql.execute`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from mast.accounts.access import allowed
from mast.api.auth import Caller, services_of
from mast.api.routes_graphql import execute
from mast.text.i18n import N_
from mast.text.postcodes import normalise_postcode
from mast.web.routes import missing, page, templates, viewer
from mast.web.search_box import Reading, read

router = APIRouter(include_in_schema=False)


def short_address(line: str | None) -> str:
    """An address short enough for a result on a phone: no postcode, three parts at most."""
    parts = [p.strip() for p in (line or "").split(",") if p.strip()]
    if parts and normalise_postcode(parts[-1])[0]:
        parts.pop()
    return ", ".join(parts[:3])


templates.env.filters["short_address"] = short_address
SEARCH = """query SearchResults($name: String, $dob: Date, $age: AgeRange, $postcode: String,
  $text: String, $people: Boolean!, $places: Boolean!, $loose: Boolean!) {
  people: searchPeople(name: $name, dob: $dob, ageRange: $age, postcode: $postcode, first: 20)
    @include(if: $people) {
    totalCount edges { score why openCases possiblySame agencies { agency agencyKind }
      keptApart { personId why } ruledApart { personId decidedAt }
      lastAddress { addressId line town postcode }
      node { personId givenName familyName dob } } }
  places: searchAddresses(text: $text, postcode: $postcode, first: 20, loose: $loose)
    @include(if: $places) {
    totalCount edges { score why residents latestIncident incidents
      node { addressId line } } } }"""
PLACE_SURE = 0.75
"""When the box may hold a name or a place, places this sure or surer are shown."""


def _variables(box: Reading) -> dict[str, Any]:
    people = box.people and bool(box.words or box.dob or box.postcode)
    places = box.places and bool(box.words or box.postcode)
    return {
        "name": box.words or None,
        "dob": box.dob.isoformat() if box.dob else None,
        "age": {"min": box.age, "max": box.age} if box.age is not None else None,
        "postcode": box.postcode,
        "text": box.words or None,
        "people": people,
        "places": places,
        "loose": box.kind == "places",
    }


async def results(request: Request, who: Caller, q: str) -> dict[str, Any]:
    today = services_of(request).now().date()
    box = read(q, today=today)
    out: dict[str, Any] = {"q": q, "kind": box.kind, "people": None, "places": None}
    out["places_first"] = box.places_first
    out["problem"] = box.problem
    if not allowed(who.user.role, "search"):
        out["problem"] = "Your role does not search people or addresses."
        return out
    variables = _variables(box)
    if not (variables["people"] or variables["places"]):
        # Something was typed that searches nothing: say what would, rather than show nothing.
        if not out["problem"] and q.strip():
            out["problem"] = (
                N_(
                    "An age alone fits too many people: add a name or part of one, e.g. "
                    "“Bowen aged 17”."
                )
                if box.age is not None
                else N_("Type a name, a date of birth, an address or a postcode.")
            )
        return out
    data, errors = await execute(request, who, SEARCH, variables, "SearchResults")
    data = data or {}
    if found := data.get("people"):
        out["people"], out["people_total"] = found["edges"], found["totalCount"]
        names = {
            e["node"]["personId"]: (i + 1, _name(e["node"])) for i, e in enumerate(found["edges"])
        }
        for edge in found["edges"]:
            edge["same"] = [names[p] for p in edge["possiblySame"] if p in names]
            edge["apart"] = [(*names[k["personId"]], k["why"]) for k in edge["keptApart"]]
            edge["ruled"] = [(*names[r["personId"]], r["decidedAt"]) for r in edge["ruledApart"]]
    elif variables["people"]:
        out["people"], out["people_total"] = [], 0
    if found := data.get("places"):
        edges = found["edges"]
        if box.kind == "both":  # a name may read as a street: only sure places
            edges = [e for e in edges if e["score"] >= PLACE_SURE]
        total = found["totalCount"] if len(edges) == len(found["edges"]) else len(edges)
        out["places"], out["places_total"] = edges, total
    elif variables["places"]:
        out["places"], out["places_total"] = [], 0
    if errors and not (out["people"] or out["places"]):
        out["problem"] = out["problem"] or errors[0]["message"]
    return out


def _name(node: dict[str, Any]) -> str:
    return " ".join(n for n in (node.get("givenName"), node.get("familyName")) if n)


@router.get("/search")
async def search_page(
    request: Request, who: Annotated[Caller, Depends(viewer)], q: str = ""
) -> HTMLResponse:
    context = await results(request, who, q[:200]) if q.strip() else {"q": ""}
    return page(request, "search.html", who, **context)


@router.get("/search/results")
async def search_results(
    request: Request, who: Annotated[Caller, Depends(viewer)], q: str = ""
) -> HTMLResponse:
    """The results alone, for htmx as the user types."""
    if not q.strip():
        return HTMLResponse("")
    return page(request, "_results.html", who, **await results(request, who, q[:200]))


ADDRESS = """query AddressPage($id: ID!) { address(id: $id) { addressId uprn line postcode town
  localAuthority premisesType residential
  residents { person { personId givenName familyName dob } validFrom validTo }
  counts { agency category events }
  chronology(first: 100, newestFirst: true) { totalCount
    edges { node { occurredAt agency agencyKind kind category ref disputed
      people { personId givenName familyName dob } } } } } }"""


@router.get("/addresses/{address_id}")
async def address_page(
    request: Request, address_id: str, who: Annotated[Caller, Depends(viewer)]
) -> HTMLResponse:
    if not allowed(who.user.role, "view"):
        return missing(request, who)
    data, _errors = await execute(request, who, ADDRESS, {"id": address_id[:64]}, "AddressPage")
    address = (data or {}).get("address")
    if not address:
        return missing(request, who)
    residents = sorted(
        address["residents"],
        key=lambda r: (str(r["validTo"] or "9999"), str(r["validFrom"] or "")),
        reverse=True,
    )
    events = [e["node"] for e in address["chronology"]["edges"]]
    return page(
        request,
        "address.html",
        who,
        a=address,
        residents=residents,
        events=events,
        latest=events[0] if events else None,
    )
