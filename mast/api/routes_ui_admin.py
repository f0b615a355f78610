"""Feeds and data quality, for administrators and analysts: the last file of every feed,
what was kept and quarantined and why, missing and invalid values, and the match rate."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from mast.api.access import allowed
from mast.api.auth import Caller, services_of
from mast.api.recording import record
from mast.api.routes_ui import missing, page, viewer
from mast.loaders.quality import FeedQuality, feed_quality

router = APIRouter(include_in_schema=False)


@router.get("/quality")
async def quality_page(request: Request, who: Annotated[Caller, Depends(viewer)]) -> HTMLResponse:
    if not allowed(who.user.role, "quality"):
        return missing(request, who)
    services = services_of(request)

    def read() -> list[FeedQuality]:
        with services.engine.connect() as conn:
            return feed_quality(conn)

    feeds = await asyncio.to_thread(read)
    await record(services, who.user, "quality", {}, purpose=who.purpose)
    return page(request, "quality.html", who, feeds=feeds)
