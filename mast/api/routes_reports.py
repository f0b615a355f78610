"""Saved reports and ad-hoc read-only Cypher for analysts."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from mast.api.auth import Caller, caller, services_of
from mast.api.gql_schema import jsonable
from mast.api.limits import MAX_VARIABLES_BYTES, json_size
from mast.api.recording import record, require
from mast.api.subjects import ids_in
from mast.core.errors import GraphError, QueryRefused
from mast.graph.queries import load_queries
from mast.graph.store import QueryResult

router = APIRouter(tags=["reports"])


class CypherRequest(BaseModel):
    cypher: str = Field(min_length=1, max_length=20_000)
    params: dict[str, Any] = Field(default_factory=dict)


@router.get("/reports")
async def reports(
    request: Request, who: Annotated[Caller, Depends(caller)]
) -> list[dict[str, Any]]:
    """The saved reports this user may run (GraphQL `report`), with their parameters."""
    require(who.user, "report")
    listed = [
        {
            "name": q.name,
            "description": q.description,
            "params": [{"name": p.name, "type": p.type, "default": p.default} for p in q.params],
        }
        for q in load_queries().values()
        if who.user.role in q.roles
    ]
    await record(services_of(request), who.user, "reports", {}, purpose=who.purpose)
    return listed


@router.post("/cypher")
async def cypher(
    request: Request, body: CypherRequest, who: Annotated[Caller, Depends(caller)]
) -> dict[str, Any]:
    """Ad-hoc Cypher for analysts: the read-only guard, a read-only transaction, a time limit
    and a row cap. A refused query (400) says why."""
    require(who.user, "cypher")
    if json_size(body.params) > MAX_VARIABLES_BYTES:
        raise HTTPException(
            413, f"the params are over MAST's limit of {MAX_VARIABLES_BYTES:,} bytes"
        )
    try:
        result = await run_cypher(request, who, body.cypher, body.params)
    except QueryRefused as e:
        raise HTTPException(400, str(e)) from e
    except GraphError as e:
        raise HTTPException(422, str(e)) from e
    return {"columns": result.columns, "rows": jsonable(result.rows), "truncated": result.truncated}


async def run_cypher(
    request: Request, who: Caller, cypher: str, params: dict[str, Any]
) -> QueryResult:
    """An analyst's Cypher, as `POST /cypher` and the web workbench both run it: the guard,
    a read-only transaction, the time limit and the row and byte caps, and its audit entry
    (refused, failed, or with every id it shows) committed before anything is returned.
    QueryRefused or GraphError if it did not run; the caller says so in its own words."""
    require(who.user, "cypher")
    services = services_of(request)
    settings = services.settings
    asked = {"cypher": cypher, "params": jsonable(params)}
    try:
        result = await asyncio.to_thread(
            lambda: services.graph.read(
                cypher,
                params,
                timeout_s=settings.query_timeout_s,
                max_rows=settings.query_max_rows,
                max_bytes=settings.query_max_bytes,
            )
        )
    except QueryRefused:
        await record(services, who.user, "cypher", asked, outcome="refused", purpose=who.purpose)
        raise
    except GraphError:
        await record(services, who.user, "cypher", asked, outcome="failed", purpose=who.purpose)
        raise
    ids = ids_in(result.columns, result.rows, params)
    await record(services, who.user, "cypher", asked, ids, purpose=who.purpose)
    return result
