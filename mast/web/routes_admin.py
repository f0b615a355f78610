"""Feeds and data quality, for administrators and analysts: the last file of every feed,
what was kept and quarantined and why, missing and invalid values, the match rate, and the
daily runs (which an administrator may start now)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mast.accounts.access import allowed
from mast.api import csrf
from mast.api.auth import Caller, services_of
from mast.api.recording import record
from mast.daily import ledger
from mast.daily.schedule import DailySchedule
from mast.loaders.quality import FeedQuality, feed_quality
from mast.resolver import match_rates
from mast.web.routes import missing, page, viewer

router = APIRouter(include_in_schema=False)


@router.get("/quality")
async def quality_page(request: Request, who: Annotated[Caller, Depends(viewer)]) -> HTMLResponse:
    if not allowed(who.user.role, "quality"):
        return missing(request, who)
    services = services_of(request)

    def read() -> tuple[list[FeedQuality], list[ledger.Run]]:
        with services.engine.connect() as conn:
            return feed_quality(conn, match_rates(conn)), ledger.recent(services.engine, 10)

    feeds, runs = await asyncio.to_thread(read)
    await record(services, who.user, "quality", {}, purpose=who.purpose)
    daily: DailySchedule = request.app.state.daily
    return page(
        request,
        "quality.html",
        who,
        feeds=feeds,
        runs=runs,
        next_run=daily.next_run() if daily.scheduler.running else None,
        may_run=allowed(who.user.role, "daily-run"),
        started=request.query_params.get("started"),
    )


@router.post("/quality/run", dependencies=[Depends(csrf.form_token)])
async def run_now(request: Request, who: Annotated[Caller, Depends(viewer)]) -> Response:
    """Start the daily run now, in the background; the page lists it once it is under way."""
    if not allowed(who.user.role, "daily-run"):
        return missing(request, who)
    await record(services_of(request), who.user, "daily-run", {}, purpose=who.purpose)
    daily: DailySchedule = request.app.state.daily
    started = daily.run_soon()
    return RedirectResponse(f"/quality?started={'yes' if started else 'busy'}", status_code=303)
