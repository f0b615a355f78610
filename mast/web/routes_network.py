"""The network explorer: a person's family, household and the people met at the same
events, drawn with cytoscape.js (fCoSE layout, households as compound nodes). The page
asks for each node's neighbours as the user expands it; every answer is audited.

Every link is one edge per pair and kind (household, parent/child, sibling, partner, other
stated relationship, shared incident, shared address), dated, so the page can style, label,
filter and list it by kind; a pair joined in two ways has two edges, never two of one kind."""

from __future__ import annotations

import asyncio
import base64
import binascii
import itertools
import re
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from mast.accounts.access import allowed
from mast.api import csrf
from mast.api.auth import Caller, services_of
from mast.api.gql_types import split_id
from mast.api.recording import record
from mast.api.routes_graphql import execute
from mast.text.i18n import N_, moment, ngettext
from mast.text.i18n import gettext as _
from mast.web.network_pdf import NetworkSheet, network_pdf
from mast.web.routes import missing, page, viewer

router = APIRouter(include_in_schema=False)
_PERSON = "personId givenName familyName dob"
NEIGHBOURS = f"""query($id: ID!) {{ person(id: $id) {{ {_PERSON}
  network(hops: 1) {{ via hops person {{ {_PERSON} }}
    events {{ agency occurredAt category }} }}
  relatives {{ kind validFrom validTo person {{ {_PERSON} }} }}
  household {{ person {{ {_PERSON} }} addressId addressLine since until }} }} }}"""
CONNECTION = f"""query($a: ID!, $b: ID!) {{ connection(personA: $a, personB: $b) {{
  hops path people {{ {_PERSON} }} addresses {{ addressId line }}
  links {{ type kind validFrom validTo }} }} }}"""
FIND = f"""query($name: String!) {{ searchPeople(name: $name, first: 8) {{
  edges {{ node {{ {_PERSON} }} }} }} }}"""

KINDS: Final[dict[str, str]] = {
    "household": N_("household"),
    "parent": N_("parent and child"),
    "sibling": N_("siblings"),
    "partner": N_("partners (as stated)"),
    "stated": N_("other stated relationship"),
    "incident": N_("same incident"),
    "address": N_("shared address"),
}
"""Each kind of link, in the legend's order, with its name (an English msgid)."""

_STATED: Final[dict[str, str]] = {
    **dict.fromkeys(("mother", "father", "parent", "child", "son", "daughter"), "parent"),
    **dict.fromkeys(("sibling", "brother", "sister", "half-sibling", "step-sibling"), "sibling"),
    **dict.fromkeys(("partner", "ex-partner", "spouse", "husband", "wife"), "partner"),
    **dict.fromkeys(("boyfriend", "girlfriend", "civil partner"), "partner"),
}
_PARENTS: Final = frozenset({"mother", "father", "parent"})
_WORDS: Final[dict[str, str]] = {
    "mother": N_("mother"),
    "father": N_("father"),
    "parent": N_("parent"),
    "child": N_("child"),
}
"""The words of relationships the records state, where MAST knows them (others shown as stated)."""


def kind_of(stated: str) -> str:
    """The legend's kind of a RELATED edge's `kind` (household, or as a partner stated it)."""
    word = stated.strip().lower()
    return "household" if word == "household" else _STATED.get(word, "stated")


def _day(value: Any) -> str:
    return str(value)[:10] if value else ""


def _person(p: dict[str, Any]) -> dict[str, Any]:
    name = _title(p) or p["personId"]
    born = f" ({str(p['dob'])[:4]})" if p.get("dob") else ""
    return {"data": {"id": p["personId"], "label": name + born, "kind": "person"}}


def _link(
    source: str,
    target: str,
    kind: str,
    label: str,
    days: tuple[str, str] = ("", ""),
    events: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One edge, keyed by its pair and kind; `events` are a shared incident's, for the
    agency filter (each with its agency, day and category)."""
    met = events or []
    agencies = sorted({e["agency"] for e in met if e.get("agency")})
    return {
        "data": {
            "id": "~".join(sorted((source, target))) + "~" + kind,
            "source": source,
            "target": target,
            "kind": kind,
            "label": label,
            "from": days[0],
            "to": days[1],
            "agencies": agencies,
            "events": met,
        }
    }


def _merge(edges: dict[str, dict[str, Any]], edge: dict[str, Any]) -> None:
    """Add `edge`, or widen the dates of the one already there for its pair and kind (a
    stated 'mother' and 'parent' of one pair are one parent-and-child line)."""
    data = edge["data"]
    held = edges.setdefault(data["id"], edge)["data"]
    if held is data:
        return
    starts = [d for d in (held["from"], data["from"]) if d]
    held["from"] = min(starts) if starts else ""
    held["to"] = max(held["to"], data["to"])


def _incident(me: str, other: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    met = [
        {
            "agency": e.get("agency") or "",
            "day": _day(e.get("occurredAt")),
            "category": e.get("category") or "",
        }
        for e in events
    ]
    days = sorted(m["day"] for m in met if m["day"])
    label = ngettext("%(n)s incident", "%(n)s incidents", len(met)) % {"n": len(met)}
    return _link(me, other, "incident", label, (days[0], days[-1]) if days else ("", ""), met)


def _relative(me: str, r: dict[str, Any]) -> dict[str, Any]:
    other, stated = r["person"]["personId"], (r["kind"] or "").strip().lower()
    kind = kind_of(stated)
    days = (_day(r.get("validFrom")), _day(r.get("validTo")))
    if kind == "household":
        return _link(me, other, kind, _(KINDS["household"]), days)
    word = _(_WORDS[stated]) if stated in _WORDS else stated
    # Parent to child, whichever of the two this page is about: the arrow reads "mother of".
    source, target = (other, me) if stated in _PARENTS else (me, other)
    if stated == "child":
        word = _("parent")  # `kind` is what they are to me; the line is labelled from the parent
    return _link(source, target, kind, word, days)


HUB_AT: Final = 15
"""More people than this met only at incidents (a hospital's, a pub's) are drawn as one node
with a count until asked for: one click loads a readable drawing."""


def graph_of(
    person: dict[str, Any], kinds: frozenset[str] | None = None, *, everyone: bool = False
) -> dict[str, Any]:
    """Nodes and edges around one person, in cytoscape's element format: only links of
    `kinds` if given (expand by kind), and people met only at incidents collapsed into one
    node past HUB_AT unless `everyone`."""
    me = person["personId"]
    nodes = {me: _person(person)}
    edges: dict[str, dict[str, Any]] = {}
    for r in person["relatives"]:
        nodes.setdefault(r["person"]["personId"], _person(r["person"]))
        _merge(edges, _relative(me, r))
    for n in person["network"]:
        other = n["person"]["personId"]
        if n["via"] == "shared event" and n["events"]:
            nodes.setdefault(other, _person(n["person"]))
            _merge(edges, _incident(me, other, n["events"]))
    if kinds is not None:
        edges = {k: e for k, e in edges.items() if e["data"]["kind"] in kinds}
    linked = {me} | {e["data"][end] for e in edges.values() for end in ("source", "target")}
    nodes = {k: v for k, v in nodes.items() if k in linked}
    if not everyone:
        _collapse(me, nodes, edges)
    if kinds is None or "household" in kinds:
        for h in person["household"]:
            group = f"home:{h['addressId']}"
            label = h["addressLine"] or _("home")
            nodes.setdefault(group, {"data": {"id": group, "label": label, "kind": "home"}})
            member = h["person"]["personId"]
            nodes.setdefault(member, _person(h["person"]))
            nodes[member]["data"]["parent"] = group
    return {"elements": [*nodes.values(), *edges.values()]}


def _collapse(me: str, nodes: dict[str, Any], edges: dict[str, dict[str, Any]]) -> None:
    """People linked to `me` by incidents alone, past HUB_AT, become one node with a count."""
    ends: dict[str, set[str]] = {}
    for e in edges.values():
        d = e["data"]
        other = d["target"] if d["source"] == me else d["source"]
        ends.setdefault(other, set()).add(d["kind"])
    only = sorted(p for p, k in ends.items() if k == {"incident"})
    if len(only) <= HUB_AT:
        return
    events: list[dict[str, Any]] = []
    for p in only:
        nodes.pop(p, None)
        events += edges.pop("~".join(sorted((me, p))) + "~incident")["data"]["events"]
    hub = f"hub:{me}"
    label = ngettext(
        "%(n)s person met at incidents", "%(n)s people met at incidents", len(only)
    ) % {"n": len(only)}
    nodes[hub] = {"data": {"id": hub, "label": label, "kind": "hub", "of": me, "count": len(only)}}
    days = sorted(e["day"] for e in events if e["day"])
    span = (days[0], days[-1]) if days else ("", "")
    edge = _link(me, hub, "incident", label, span, events)
    edges[edge["data"]["id"]] = edge


def legend() -> list[dict[str, str]]:
    """The legend: every kind of link, in the page's language."""
    return [{"kind": k, "label": _(v)} for k, v in KINDS.items()]


def agencies_in(graph: dict[str, Any]) -> list[str]:
    """The agencies of the incidents drawn: the agency filter's options."""
    return sorted({a for e in graph["elements"] for a in e["data"].get("agencies", [])})


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


def _page(
    request: Request, who: Caller, start: str, title: str, graph: dict[str, Any], *, place: bool
) -> HTMLResponse:
    return page(
        request,
        "network.html",
        who,
        start=start,
        title=title,
        graph=graph,
        place=place,
        legend=legend(),
        agencies=agencies_in(graph),
    )


@router.get("/network/{person_id}")
async def network_page(
    request: Request, person_id: str, who: Annotated[Caller, Depends(viewer)]
) -> HTMLResponse:
    person = await _around(request, who, NEIGHBOURS, "person", person_id)
    if person is None:
        return missing(request, who)
    return _page(request, who, person["personId"], _title(person), graph_of(person), place=False)


AROUND_ADDRESS = f"""query($id: ID!) {{ address(id: $id) {{ addressId line
  residents {{ person {{ {_PERSON} }} validFrom validTo }}
  chronology(first: 100) {{ edges {{ node {{ occurredAt agency category
    people {{ {_PERSON} }} }} }} }} }} }}"""


def graph_of_address(address: dict[str, Any]) -> dict[str, Any]:
    """An address, who lived there and who was at its incidents."""
    here = address["addressId"]
    nodes = {here: {"data": {"id": here, "label": address["line"], "kind": "address"}}}
    edges: dict[str, dict[str, Any]] = {}
    for r in address["residents"]:
        pid = r["person"]["personId"]
        nodes.setdefault(pid, _person(r["person"]))
        days = (_day(r.get("validFrom")), _day(r.get("validTo")))
        _merge(edges, _link(pid, here, "address", _("lived here"), days))
    met: dict[str, list[dict[str, Any]]] = {}
    for edge in address["chronology"]["edges"]:
        event = edge["node"]
        for p in event["people"]:
            nodes.setdefault(p["personId"], _person(p))
            met.setdefault(p["personId"], []).append(event)
    for pid, events in met.items():
        _merge(edges, _incident(pid, here, events))
    return {"elements": [*nodes.values(), *edges.values()]}


@router.get("/network/address/{address_id}")
async def address_network_page(
    request: Request, address_id: str, who: Annotated[Caller, Depends(viewer)]
) -> HTMLResponse:
    """The explorer started from a place: residents, and people at its incidents."""
    address = await _around(request, who, AROUND_ADDRESS, "address", address_id)
    if address is None:
        return missing(request, who)
    graph = graph_of_address(address)
    return _page(request, who, address["addressId"], address["line"], graph, place=True)


@router.get("/network/{person_id}/neighbours")
async def neighbours(
    request: Request,
    person_id: str,
    who: Annotated[Caller, Depends(viewer)],
    kind: Annotated[list[str] | None, Query(max_length=20)] = None,
    everyone: bool = False,
) -> JSONResponse:
    """One more node's neighbours, for the explorer's expand: of the kinds asked for (the
    kinds ticked), and everyone met at incidents only when asked (a hub's "show all")."""
    person = await _around(request, who, NEIGHBOURS, "person", person_id)
    if person is None:
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    kinds = frozenset(kind) & KINDS.keys() if kind else None
    return JSONResponse(graph_of(person, kinds, everyone=everyone))


@router.get("/network/{person_id}/find")
async def find(
    request: Request,
    person_id: str,
    who: Annotated[Caller, Depends(viewer)],
    name: Annotated[str, Query(max_length=200)] = "",
) -> JSONResponse:
    """People by name (the search index: typos, nicknames), for 'connection to': a few hits
    to pick from, each named with their year of birth. Audited as a search."""
    if not (allowed(who.user.role, "network") and allowed(who.user.role, "search")):
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    if not name.strip():
        return JSONResponse({"hits": []})
    data, _errors = await execute(request, who, FIND, {"name": name.strip()})
    edges = ((data or {}).get("searchPeople") or {}).get("edges", [])
    hits = [_person(e["node"])["data"] for e in edges if e["node"]["personId"] != person_id]
    return JSONResponse({"hits": [{"id": h["id"], "label": h["label"]} for h in hits]})


def _step_kind(link: dict[str, Any]) -> str:
    return "address" if link.get("type") == "LIVED_AT" else kind_of(link.get("kind") or "")


def _step_label(link: dict[str, Any]) -> str:
    if link.get("type") == "LIVED_AT":
        return _("lived at")
    stated = (link.get("kind") or "").strip().lower()
    return _(_WORDS[stated]) if stated in _WORDS else _(KINDS.get(kind_of(stated), stated))


@router.get("/network/{person_id}/connection/{other_id}")
async def connection(
    request: Request, person_id: str, other_id: str, who: Annotated[Caller, Depends(viewer)]
) -> JSONResponse:
    """The shortest chain to another person: who and what is on it, in order, and each
    link's kind and dates."""
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
    names = {k: v["data"]["label"] for k, v in {**people, **places}.items()}
    links = found.get("links") or []
    steps = []
    for (a, b), link in zip(itertools.pairwise(order), links, strict=False):
        days = (_day(link.get("validFrom")), _day(link.get("validTo")))
        step = _link(a, b, _step_kind(link), _step_label(link), days)
        step["data"]["path"] = True
        step["data"]["names"] = [names.get(a, a), names.get(b, b)]
        steps.append(step)
    elements = [*people.values(), *places.values(), *steps]
    return JSONResponse({"hops": found.get("hops"), "path": order, "elements": elements})


EXPORTS: Final = frozenset({"png", "csv"})
_PICTURE = re.compile(r"^data:image/(png|jpeg);base64,")


@router.post("/network/{start}/pdf", dependencies=[Depends(csrf.form_token)])
async def exported_pdf(
    request: Request, start: str, who: Annotated[Caller, Depends(viewer)]
) -> Response:
    """The drawing (made in the browser, sent as an image with the ids drawn and the kinds
    of link shown) as a PDF with its title, key, date, purpose, printer and marking. The
    audit entry names everyone in it and is committed before the PDF is sent."""
    if not allowed(who.user.role, "network"):
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    try:
        body = await request.json()
    except ValueError:
        body = None
    body = body if isinstance(body, dict) else {}
    given, picture, kinds = body.get("ids"), body.get("picture"), body.get("kinds")
    if not (
        isinstance(given, list)
        and isinstance(kinds, list)
        and isinstance(picture, str)
        and _PICTURE.match(picture)
    ):
        return JSONResponse(
            {"detail": 'send {"ids": [...], "kinds": [...], "picture": "data:image/png;base64,…"}'},
            400,
        )
    try:
        image = base64.b64decode(picture[picture.index(",") + 1 :], validate=True)
    except binascii.Error:
        return JSONResponse({"detail": "the picture is not base64"}, 400)
    ids = [i[:64] for i in given[:5000] if isinstance(i, str)]
    names = {k["kind"]: k["label"] for k in legend()}
    title = _("Network of %(name)s") % {"name": str(body.get("title") or start)[:200]}
    printed = _("Printed %(when)s by %(who)s for: %(purpose)s") % {
        "when": moment(services_of(request).now()),
        "who": who.user.display_name,
        "purpose": who.purpose,
    }
    sheet = NetworkSheet(
        title=title,
        printed=printed,
        key_heading=_("Key"),
        key=[(k, names[k]) for k in names if k in kinds],
    )
    try:
        made = await asyncio.to_thread(network_pdf, sheet, image)
    except ValueError as e:
        return JSONResponse({"detail": str(e)}, 400)
    await record(
        services_of(request),
        who.user,
        "network-export",
        {"start": start[:64], "form": "pdf", "people": len(ids)},
        ids,
        purpose=who.purpose,
    )
    return Response(
        made,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="network-{start[:64]}.pdf"'},
    )


@router.post("/network/{start}/export/{form}", dependencies=[Depends(csrf.form_token)])
async def exported(
    request: Request, start: str, form: str, who: Annotated[Caller, Depends(viewer)]
) -> Response:
    """The page saved a picture or a CSV of the drawing (made in the browser): the audit
    entry names everyone in it. The page sends the ids only: no names cross the wire."""
    if form not in EXPORTS or not allowed(who.user.role, "network"):
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    try:
        body = await request.json()
    except ValueError:
        body = None
    given = body.get("ids") if isinstance(body, dict) else None
    if not isinstance(given, list):
        return JSONResponse({"detail": 'send the ids drawn, as {"ids": [...]}'}, 400)
    ids = [i[:64] for i in given[:5000] if isinstance(i, str)]
    await record(
        services_of(request),
        who.user,
        "network-export",
        {"start": start[:64], "form": form, "people": len(ids)},
        ids,
        purpose=who.purpose,
    )
    return Response(status_code=204)
