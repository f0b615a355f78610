"""The network explorer: a person's family, household and the people met at the same
events, drawn with cytoscape.js (fCoSE layout, households as compound nodes). The page
asks for each node's neighbours as the user expands it; every answer is audited."""

from __future__ import annotations

import itertools
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse

from mast.accounts.access import allowed
from mast.api.auth import Caller
from mast.api.gql_types import split_id
from mast.api.i18n import gettext as _
from mast.api.i18n import ngettext
from mast.api.routes_graphql import execute
from mast.api.routes_ui import missing, page, viewer

router = APIRouter(include_in_schema=False)
NEIGHBOURS = """query($id: ID!) { person(id: $id) { personId givenName familyName dob
  network(hops: 1) { via hops person { personId givenName familyName dob }
    events { agency occurredAt category } }
  relatives { kind person { personId } }
  household { person { personId givenName familyName dob } addressId addressLine } } }"""
CONNECTION = """query($a: ID!, $b: ID!) { connection(personA: $a, personB: $b) {
  hops path people { personId givenName familyName dob } addresses { addressId line } } }"""


def _person(p: dict[str, Any]) -> dict[str, Any]:
    name = _title(p) or p["personId"]
    born = f" ({str(p['dob'])[:4]})" if p.get("dob") else ""
    return {"data": {"id": p["personId"], "label": name + born, "kind": "person"}}


def _edge(
    key: str, source: str, target: str, label: str, kind: str, events: list[dict[str, Any]]
) -> dict[str, Any]:
    """A link; one made by shared events carries their agencies and days for the filters."""
    met = [{"agency": e["agency"], "day": str(e["occurredAt"])[:10]} for e in events]
    return {
        "data": {
            "id": key,
            "source": source,
            "target": target,
            "label": label
            if not met
            else ngettext("%(n)s event", "%(n)s events", len(met)) % {"n": len(met)},
            "kind": kind,
            "events": met,
        }
    }


def graph_of(person: dict[str, Any]) -> dict[str, Any]:
    """Nodes and edges around one person, in cytoscape's element format."""
    me = person["personId"]
    nodes = {me: _person(person)}
    edges: dict[str, dict[str, Any]] = {}
    kinds = {r["person"]["personId"]: r["kind"] for r in person["relatives"]}
    for n in person["network"]:
        other = n["person"]["personId"]
        nodes.setdefault(other, _person(n["person"]))
        label = kinds.get(other, n["via"])
        kind = "related" if n["via"] == "related" else "event"
        key = "~".join(sorted((me, other))) + kind
        edges[key] = {
            "data": {"id": key, "source": me, "target": other, "label": label, "kind": kind}
        }
    for h in person["household"]:
        group = f"home:{h['addressId']}"
        nodes.setdefault(
            group, {"data": {"id": group, "label": h["addressLine"] or _("home"), "kind": "home"}}
        )
        member = h["person"]["personId"]
        nodes.setdefault(member, _person(h["person"]))
        nodes[member]["data"]["parent"] = group
    return {"elements": [*nodes.values(), *edges.values()]}


async def _around(
    request: Request, who: Caller, query: str, field: str, key: str
) -> dict[str, Any] | None:
    """The person or address a query centres on, read as `who`; None if their role may not
    explore networks or there is no such thing (the two look the same)."""
    if not allowed(who.user.role, "network"):
        return None
    data, _errors = await execute(request, who, query, {"id": key[:64]})
    found: dict[str, Any] | None = (data or {}).get(field)
    return found


def _title(person: dict[str, Any]) -> str:
    return f"{person.get('givenName') or ''} {person.get('familyName') or ''}".strip()


@router.get("/network/{person_id}")
async def network_page(
    request: Request, person_id: str, who: Annotated[Caller, Depends(viewer)]
) -> HTMLResponse:
    person = await _around(request, who, NEIGHBOURS, "person", person_id)
    if person is None:
        return missing(request, who)
    return page(
        request,
        "network.html",
        who,
        start=person["personId"],
        title=_title(person),
        graph=graph_of(person),
        place=False,
    )


AROUND_ADDRESS = """query($id: ID!) { address(id: $id) { addressId line
  residents { person { personId givenName familyName dob } validFrom validTo }
  chronology(first: 100) { edges { node { occurredAt agency category
    people { personId givenName familyName dob } } } } } }"""


def graph_of_address(address: dict[str, Any]) -> dict[str, Any]:
    """An address, who lived there and who was at its events."""
    here = address["addressId"]
    nodes = {here: {"data": {"id": here, "label": address["line"], "kind": "address"}}}
    edges: dict[str, dict[str, Any]] = {}
    for r in address["residents"]:
        pid = r["person"]["personId"]
        nodes.setdefault(pid, _person(r["person"]))
        edges[f"{here}~{pid}"] = _edge(f"{here}~{pid}", pid, here, _("lived here"), "related", [])
    met: dict[str, list[dict[str, Any]]] = {}
    for edge in address["chronology"]["edges"]:
        event = edge["node"]
        for p in event["people"]:
            nodes.setdefault(p["personId"], _person(p))
            met.setdefault(p["personId"], []).append(event)
    for pid, events in met.items():
        key = f"{here}~{pid}event"
        edges[key] = _edge(key, pid, here, "", "event", events)
    return {"elements": [*nodes.values(), *edges.values()]}


@router.get("/network/address/{address_id}")
async def address_network_page(
    request: Request, address_id: str, who: Annotated[Caller, Depends(viewer)]
) -> HTMLResponse:
    """The explorer started from a place: residents, and people at its events."""
    address = await _around(request, who, AROUND_ADDRESS, "address", address_id)
    if address is None:
        return missing(request, who)
    return page(
        request,
        "network.html",
        who,
        start=address["addressId"],
        title=address["line"],
        graph=graph_of_address(address),
        place=True,
    )


@router.get("/network/{person_id}/neighbours")
async def neighbours(
    request: Request, person_id: str, who: Annotated[Caller, Depends(viewer)]
) -> JSONResponse:
    """One more node's neighbours, for the explorer's expand."""
    person = await _around(request, who, NEIGHBOURS, "person", person_id)
    if person is None:
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    return JSONResponse(graph_of(person))


@router.get("/network/{person_id}/connection/{other_id}")
async def connection(
    request: Request, person_id: str, other_id: str, who: Annotated[Caller, Depends(viewer)]
) -> JSONResponse:
    """The shortest chain to another person: the ids on it, in order."""
    if not allowed(who.user.role, "network"):
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    data, _errors = await execute(
        request, who, CONNECTION, {"a": person_id[:64], "b": other_id[:64]}
    )
    found = (data or {}).get("connection") or {}
    people = {p["personId"]: _person(p) for p in found.get("people", [])}
    places = {
        a["addressId"]: {"data": {"id": a["addressId"], "label": a["line"], "kind": "address"}}
        for a in found.get("addresses", [])
    }
    order = [split_id(g)[1] for g in found.get("path", [])]
    steps = [
        {"data": {"id": f"path:{a}~{b}", "source": a, "target": b, "label": "", "kind": "path"}}
        for a, b in itertools.pairwise(order)
    ]
    elements = [*people.values(), *places.values(), *steps]
    return JSONResponse({"hops": found.get("hops"), "path": order, "elements": elements})
