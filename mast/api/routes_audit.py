"""The audit trail, for auditors: who looked at what, and who saw records later unmerged."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from mast.api import audit_trail
from mast.api.actions import describe
from mast.api.auth import Caller, caller, services_of
from mast.api.recording import record, require

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("")
async def audit(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    user: str | None = None,
    person: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Entries newest first, by user, by a person (or any id) they returned, by UTC time;
    `before` pages back from an entry number."""
    require(who.user, "audit")
    services = services_of(request)
    filters = {"user": user, "person": person, "since": since, "until": until}
    await record(services, who.user, "audit", filters, purpose=who.purpose)
    entries = await asyncio.to_thread(
        lambda: services.audit.search(
            username=user, subject=person, since=since, until=until, limit=limit, before_seq=before
        )
    )
    # What each entry did, in the trail page's words ("opened person page", not "graphql").
    return [
        {**e, **dict(zip(("action", "did"), describe(e["operation"], e["params"]), strict=True))}
        for e in entries
    ]


@router.get("/unmerged")
async def audit_unmerged(
    request: Request, who: Annotated[Caller, Depends(caller)]
) -> list[dict[str, Any]]:
    """Who viewed a person whose records were later split apart, and may need telling: one
    item per split, each viewer once (the reviewers who ruled it apart left out), and which
    records moved to which new person."""
    require(who.user, "audit")
    services = services_of(request)
    await record(services, who.user, "audit-unmerged", {}, purpose=who.purpose)

    def read() -> list[audit_trail.Split]:
        with services.engine.connect() as conn:
            return audit_trail.viewed_then_unmerged(conn, limit=1000)

    return [asdict(s) for s in await asyncio.to_thread(read)]
