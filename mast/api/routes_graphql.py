"""POST /graphql: run one operation, then commit its audit entry, then answer."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse
from graphql import GraphQLError
from pydantic import BaseModel, Field
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from mast.api.actions import action_code
from mast.api.auth import Caller, caller, services_of
from mast.api.context import RequestContext
from mast.api.gql_schema import jsonable
from mast.api.limits import MAX_VARIABLES_BYTES, json_size
from mast.api.recording import record

MAX_QUERY_CHARS = 20_000
BAD_REQUEST = "BAD_REQUEST"
"""The request cannot be run at all (no such operation): answered 400, not 200."""
router = APIRouter(tags=["graphql"])


class GraphQLRequest(BaseModel):
    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS)
    variables: dict[str, Any] | None = None
    operationName: str | None = Field(default=None, max_length=200)


@router.post("/graphql")
async def graphql(
    request: Request, body: GraphQLRequest, who: Annotated[Caller, Depends(caller)]
) -> JSONResponse:
    """Run one GraphQL query (the SDL is `mast/schema/schema.graphql`); the audit entry
    lists every id it returns."""
    if body.variables and json_size(body.variables) > MAX_VARIABLES_BYTES:
        return JSONResponse(_too_large("variables"), status_code=413)  # never run nor kept
    data, errors = await execute(request, who, body.query, body.variables, body.operationName)
    payload: dict[str, Any] = {"data": data}
    if errors:
        payload["errors"] = errors
    bad = any(e.get("extensions", {}).get("code") == BAD_REQUEST for e in errors)
    return JSONResponse(jsonable(payload), status_code=400 if bad else 200)


async def execute(
    request: Request,
    who: Caller,
    query: str,
    variables: dict[str, Any] | None = None,
    operation: str | None = None,
    *,
    audited: bool = True,
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Run a GraphQL operation as `who`, then commit its audit entry (AuditUnavailable if
    that fails, so nothing is shown). The API and the web UI both read through here.

    `audited=False` is for a caller that writes one entry of its own for what it shows
    before showing it (a chronology export: one entry for the export, with every event
    in it, not one more per page of events read)."""
    services = services_of(request)
    ctx = RequestContext(services, who.user, who.purpose)
    try:
        result = await asyncio.wait_for(
            request.app.state.schema.execute(
                query, variable_values=variables, context_value=ctx, operation_name=operation
            ),
            timeout=services.settings.graphql_timeout_s,
        )
        data, errors = result.data, [dict(e.formatted) for e in result.errors or []]
    except (CannotGetOperationTypeError, InvalidOperationTypeError, MissingQueryError) as e:
        # strawberry leaves these to its HTTP views; here they were a 500.
        why = (
            "only queries are allowed"
            if isinstance(e, InvalidOperationTypeError)
            else "name one operation of the document in operationName"
        )
        refused = GraphQLError(why, extensions={"code": BAD_REQUEST})
        data, errors = None, [dict(refused.formatted)]
    except TimeoutError:
        late = GraphQLError("the query ran past its time limit", extensions={"code": "TIMEOUT"})
        data, errors = None, [dict(late.formatted)]
    outcome = "ok" if not errors else ("partial" if data else "refused")
    # What the user did, in the auditor's words: the page that asked (its route's
    # template) or, from the API, what the query reads.
    page = getattr(request.scope.get("route"), "path", None)
    params = {
        "query": query,
        "variables": variables,
        "operation": operation,
        "action": action_code(page, query),
    }
    if audited:
        await record(services, who.user, "graphql", params, ctx.seen, outcome, who.purpose)
    return data, errors


def _too_large(what: str) -> dict[str, Any]:
    message = f"the {what} are over MAST's limit of {MAX_VARIABLES_BYTES:,} bytes of JSON"
    return {"data": None, "errors": [{"message": message, "extensions": {"code": "TOO_LARGE"}}]}


def graphiql() -> HTMLResponse:
    """GraphiQL, in development mode only (RELIABILITY P10)."""
    from strawberry.http.ides import get_graphql_ide_html  # noqa: PLC0415

    return HTMLResponse(get_graphql_ide_html())
