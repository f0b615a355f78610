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
from mast.api.routes_ui import missing, page, viewer
from mast.core.errors import AuditUnavailable, MastError
from mast.resolver.explain import explain
from mast.resolver.review import decide_item, open_items, records_of

router = APIRouter(include_in_schema=False)
_SHOWN = 25


def _queue(engine: sa.Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        items = open_items(conn, limit=_SHOWN)
        held = records_of(conn, [r for i in items for r in (i.record_a, i.record_b)])
    out = []
    for item in items:
        pair = []
        for rid in (item.record_a, item.record_b):
            why = explain(engine, rid)
            pair.append({**held.get(rid, {"record_id": rid}), "why": why.sentence if why else ""})
        out.append({"item": item, "pair": pair})
    return out


@router.get("/review")
async def review_page(request: Request, who: Annotated[Caller, Depends(viewer)]) -> HTMLResponse:
    if not allowed(who.user.role, "review"):
        return missing(request, who)
    services = services_of(request)
    queue = await asyncio.to_thread(_queue, services.engine)
    shown = [
        str(v)
        for entry in queue
        for r in entry["pair"]
        for v in (r.get("record_id"), r.get("person_id"))
        if v
    ]
    await record(services, who.user, "review", {}, shown, purpose=who.purpose)
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
