"""The review queue for reviewers: pairs of records the model was unsure of, or someone
reported as not the same person, side by side with why they were linked; a ruling (link or
unlink, with a reason) wins over the model from the next resolve on."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mast.accounts.access import allowed
from mast.api import csrf
from mast.api.auth import Caller, services_of
from mast.api.recording import change, record
from mast.api.routes_graphql import execute
from mast.core.db import chunks
from mast.core.errors import AuditUnavailable, MastError
from mast.resolver.disputes import Dispute, disputed
from mast.resolver.review import Item, open_items
from mast.resolver.rulings import decide_item
from mast.schema.tables import record_persons
from mast.web.routes import missing, page, viewer

router = APIRouter(include_in_schema=False)
_SHOWN = 25
_PER_QUERY = 12
"""People read by one GraphQL query: under the schema's limit of 15 aliases."""


_RECORD = (
    "recordId feed agency givenName familyName dob sex addressText postcode occurredAt explanation"
)


def _open(
    engine: sa.Engine,
) -> tuple[list[Item], dict[str, str], dict[str, int], dict[str, Dispute]]:
    """The open items, each of their records' person, how many records each of those
    people holds (ids and counts only: no personal data), and the records standing reported
    as not their person (so the reviewer sees which side was reported, on any item)."""
    rp = record_persons.c
    with engine.connect() as conn:
        items = open_items(conn, limit=_SHOWN)
        wanted = sorted({r for i in items for r in (i.record_a, i.record_b)})
        person_of = {
            str(rid): str(pid)
            for part in chunks(wanted)
            for rid, pid in conn.execute(
                sa.select(rp.record_id, rp.person_id).where(rp.record_id.in_(part))
            )
        }
        held = {
            str(pid): int(n)
            for part in chunks(sorted(set(person_of.values())))
            for pid, n in conn.execute(
                sa.select(rp.person_id, sa.func.count())
                .where(rp.person_id.in_(part))
                .group_by(rp.person_id)
            )
        }
        reported = disputed(conn, wanted)
    return items, person_of, held, reported


def people_query(count: int) -> str:
    """One GraphQL query for `count` people, each under an alias with the records asked."""
    fields = "personId nhsNumber openCases { caseId } records(ids: $r{i}) { " + _RECORD + " }"
    head = ", ".join(f"$p{i}: ID!, $r{i}: [String!]" for i in range(count))
    body = " ".join(
        f"p{i}: person(id: $p{i}) {{ {fields.replace('{i}', str(i))} }}" for i in range(count)
    )
    return f"query Review({head}) {{ {body} }}"


def _side(record_id: str, person: dict[str, Any] | None) -> dict[str, Any]:
    """One record as the reviewer compares it: what its partner wrote, read through GraphQL."""
    found = next(
        (r for r in (person or {}).get("records") or [] if r["recordId"] == record_id), None
    )
    if person is None or found is None:
        return {"record_id": record_id}
    return {
        "record_id": record_id,
        "agency": found["agency"],
        "given_name": found["givenName"],
        "family_name": found["familyName"],
        "dob": found["dob"],
        "sex": found["sex"],
        "nhs_number": person.get("nhsNumber"),
        "address_text": found["addressText"],
        "postcode": found["postcode"],
        "occurred_at": found["occurredAt"],
        "person_id": person["personId"],
        "why": found["explanation"],
    }


_HEADS = (
    ("for: ", "for"),
    ("against: ", "against"),
    ("kept apart: ", "apart"),
    ("reported by ", "reported"),  # a dispute: who reported it and why (resolver/disputes.py)
)


def evidence(item: Item) -> dict[str, list[str]]:
    """The item's evidence in plain words: what hangs on it, for, against, and why a rule
    kept them apart (the resolver writes 'stakes | for: …; … | against: … | kept apart: …')."""
    out: dict[str, list[str]] = {
        "stakes": [],
        "for": [],
        "against": [],
        "apart": [],
        "reported": [],
    }
    for raw in (item.evidence or "").split(" | "):
        text = raw.strip()
        key = next((k for prefix, k in _HEADS if text.startswith(prefix)), "stakes")
        if key not in ("stakes", "reported"):
            text = text.split(": ", 1)[1]
        if key in ("apart", "reported"):
            out[key].append(text)
        else:
            out[key].extend(p.strip() for p in text.split(";") if p.strip())
    return out


def _held(people: list[str | None], counts: dict[str, int], cases: set[str]) -> dict[str, Any]:
    """What hangs on an item the resolver did not weigh (a report): the records held as its
    people now, and whether any of them has an open case."""
    known = {p for p in people if p}
    return {
        "records": sum(counts.get(p, 0) for p in known),
        "open_case": bool(known & cases),
        "people": len(known),
    }


@router.get("/review")
async def review_page(request: Request, who: Annotated[Caller, Depends(viewer)]) -> HTMLResponse:
    """The queue, read as the README promises: the people and their records through the
    audited GraphQL door (`execute`), so the entry lists every record and person shown."""
    if not allowed(who.user.role, "review"):
        return missing(request, who)
    services = services_of(request)
    items, person_of, counts, reported = await asyncio.to_thread(_open, services.engine)
    people = sorted(set(person_of.values()))
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(people), _PER_QUERY):
        some = people[start : start + _PER_QUERY]
        variables: dict[str, Any] = {}
        for i, p in enumerate(some):  # each person, with only the queue's records of theirs
            variables[f"p{i}"] = p
            variables[f"r{i}"] = sorted(r for r, owner in person_of.items() if owner == p)
        data, _errors = await execute(request, who, people_query(len(some)), variables)
        found.update(
            (p, person) for i, p in enumerate(some) if (person := (data or {}).get(f"p{i}"))
        )
    if not people:  # nothing to read, but the visit is still on the record
        await record(services, who.user, "review", {}, purpose=who.purpose)
    open_cases = {p for p, person in found.items() if person.get("openCases")}
    queue = [
        {
            "item": item,
            "evidence": evidence(item),
            "held": _held(
                [person_of.get(r) for r in (item.record_a, item.record_b)], counts, open_cases
            ),
            "pair": [
                _side(rid, found.get(person_of.get(rid, ""))) | {"reported": reported.get(rid)}
                for rid in (item.record_a, item.record_b)
            ],
        }
        for item in items
    ]
    done = request.query_params.get("done")
    return page(request, "review.html", who, queue=queue, done=done)


@router.post("/review/{item_id}", dependencies=[Depends(csrf.form_token)])
async def review_decide(
    request: Request,
    item_id: int,
    who: Annotated[Caller, Depends(viewer)],
    decision: Annotated[str, Form()],
    reason: Annotated[str, Form(max_length=1000)],
) -> Response:
    if not allowed(who.user.role, "review"):
        return missing(request, who)
    services = services_of(request)
    asked = {"item": item_id, "decision": decision, "reason": reason}
    try:
        await change(
            services,
            who.user,
            "review-decide",
            lambda engine: decide_item(
                engine,
                item_id,
                decision=decision,
                by=who.user.username,
                reason=reason,
                now=services.now(),
            ),
            lambda ruling: {**asked, "ruling": ruling},
            purpose=who.purpose,
        )
    except AuditUnavailable:
        raise  # 503, nothing changed
    except MastError as e:
        return page(request, "error.html", who, title="Not recorded", message=str(e))
    return RedirectResponse(f"/review?done={item_id}", status_code=303)
