"""The Cypher workbench: analysts write read-only Cypher in the browser, against the graph's
schema drawn beside it, starting from the named queries or their own saved ones.

A query runs through `api.routes_reports.run_cypher`, as `POST /cypher` does: the same
guard, read-only transaction, limits and audit entry. The page is a plain form (a textarea
and a submit button) that works without JavaScript; static/workbench.js turns the textarea
into an editor with highlighting and completion from `/workbench/vocabulary.json`.
Parameters are declared as the named queries declare them (`// @param name type = default`
at the top) and given as `name = value` lines; they are typed by the same rules.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from mast.accounts.access import allowed
from mast.api import csrf
from mast.api.auth import Caller, services_of
from mast.api.recording import change
from mast.api.routes_reports import run_cypher
from mast.core import clock
from mast.core.errors import ConfigError, GraphError, QueryRefused
from mast.graph.queries import (
    DERIVED,
    Param,
    convert,
    derive,
    header_params,
    load_queries,
    used_params,
)
from mast.schema.graph import NODES, RELS
from mast.text.i18n import gettext as _
from mast.web import saved_queries
from mast.web.cypher_errors import PlainError, plain
from mast.web.routes import missing, page, viewer

router = APIRouter(include_in_schema=False)
SHOWN = 500
"""Rows drawn in the page's table; the rest are counted, not drawn."""
_MAX_QUERY = 20_000
_MAX_PARAMS = 5_000
_PERSON = re.compile(r"\bP\d{8,}\b")
_ADDRESS = re.compile(r"\bA\d{8,}\b")
_GIVEN = re.compile(r"^\s*\$?(\w+)\s*=\s*(.*?)\s*$")
KEYWORDS = (
    "MATCH", "OPTIONAL MATCH", "WHERE", "WITH", "RETURN", "ORDER BY", "SKIP", "LIMIT",
    "UNWIND", "UNION", "DISTINCT", "AS", "AND", "OR", "NOT", "IN", "IS NULL", "IS NOT NULL",
    "STARTS WITH", "ENDS WITH", "CONTAINS", "CASE", "WHEN", "THEN", "ELSE", "END", "ASC",
    "DESC", "EXISTS", "COUNT",
)  # fmt: skip
FUNCTIONS = (
    "count", "collect", "sum", "avg", "min", "max", "size", "toLower", "toUpper", "trim",
    "coalesce", "date", "datetime", "labels", "id", "abs", "round", "substring", "left",
)  # fmt: skip


def vocabulary() -> dict[str, Any]:
    """What the editor completes: labels and relationship types with their properties (from
    mast/schema/graph.py, the graph's one vocabulary), and the portable keywords."""
    return {
        "labels": {n.label: n.names for n in NODES},
        "types": {r.type: {"from": r.source, "to": r.target, "properties": r.names} for r in RELS},
        "keywords": list(KEYWORDS),
        "functions": list(FUNCTIONS),
    }


def _schema() -> dict[str, Any]:
    """The schema as the page draws it: each label with its typed properties and the
    relationships that leave and reach it."""
    return {
        "nodes": [
            {
                "label": n.label,
                "properties": n.properties,
                "out": [r for r in RELS if r.source == n.label],
            }
            for n in NODES
        ],
    }


def _examples(role: str) -> list[Any]:
    return [q for q in load_queries().values() if role in q.roles]


def _may(who: Caller) -> bool:
    return allowed(who.user.role, "cypher")


def _bind(cypher: str, given_text: str) -> dict[str, Any]:
    """The parameters: declared in the query's header (typed, with defaults) and given as
    `name = value` lines; a given one the header does not declare is a number if it looks
    like one, else text. QueryRefused (in plain words) if a `$name` has no value."""
    try:
        declared = {p.name: p for p in header_params(cypher)}
    except ConfigError as e:
        raise QueryRefused(
            _(
                "A @param line names a type that is not one of: string, strings, int, date, "
                "datetime."
            )
        ) from e
    given: dict[str, str] = {}
    for line in given_text.splitlines():
        if not line.strip():
            continue
        if m := _GIVEN.match(line):
            given[m.group(1)] = m.group(2)
        else:
            raise QueryRefused(_("Give each parameter on its own line, as: name = value."))
    bound: dict[str, Any] = {}
    now = clock.now()
    used = used_params(cypher)
    # A named report's $whole_from and $whole_to come from its window, as when it is run.
    derived = (
        {n for n in DERIVED if n in used and n not in given} if {"from", "to"} <= used else set()
    )
    for name in sorted(used - derived):
        param = declared.get(name)
        if name in given:
            value = given[name]
            if param is None:
                param = Param(name, "int" if re.fullmatch(r"-?\d{1,18}", value) else "string", None)
        elif param is not None and param.default is not None:
            value = param.default
        else:
            raise QueryRefused(
                _(
                    "$%(name)s has no value. Give it below as “%(name)s = …”, or declare it at "
                    "the top: // @param %(name)s string = …"
                )
                % {"name": name}
            )
        try:
            bound[name] = convert(param, value, now=now)
        except QueryRefused as e:
            raise QueryRefused(
                _("$%(name)s must be a %(type)s.") % {"name": name, "type": param.type}
            ) from e
    return bound | derive(bound, derived)


def _cell(value: Any) -> str:
    """A value as the table shows it: nodes and relationships as their label and
    properties, dates as ISO dates, lists and maps as JSON."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(_jsonable(value), ensure_ascii=False)
    if value is None:
        return ""
    return str(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _links(row: list[Any]) -> list[tuple[str, str]]:
    """Where the row's people and addresses open in the network explorer, by id."""
    text = json.dumps(_jsonable(row), ensure_ascii=False)
    people = list(dict.fromkeys(_PERSON.findall(text)))[:3]
    places = list(dict.fromkeys(_ADDRESS.findall(text)))[:2]
    return [(f"/network/{p}", p) for p in people] + [(f"/network/address/{a}", a) for a in places]


def _page(
    request: Request,
    who: Caller,
    *,
    cypher: str = "",
    params: str = "",
    result: dict[str, Any] | None = None,
    error: PlainError | None = None,
    notice: str = "",
    status: int = 200,
    saved: list[saved_queries.Saved] | None = None,
) -> HTMLResponse:
    response = page(
        request,
        "workbench.html",
        who,
        cypher=cypher,
        params=params,
        result=result,
        error=error,
        notice=notice,
        schema=_schema(),
        examples=_examples(who.user.role),
        saved=saved if saved is not None else [],
        shown=SHOWN,
    )
    response.status_code = status
    return response


async def _saved(request: Request, who: Caller) -> list[saved_queries.Saved]:
    engine = services_of(request).engine
    return await asyncio.to_thread(saved_queries.visible, engine, who.user)


@router.get("/workbench/vocabulary.json")
async def vocabulary_json(request: Request, who: Annotated[Caller, Depends(viewer)]) -> Response:
    if not _may(who):
        return missing(request, who)
    return JSONResponse(vocabulary())


@router.get("/workbench")
async def workbench(
    request: Request,
    who: Annotated[Caller, Depends(viewer)],
    example: str = "",
    saved: int | None = None,
) -> HTMLResponse:
    """The editor, empty or holding a named query (`?example=`) or a saved one (`?saved=`)."""
    if not _may(who):
        return missing(request, who)
    cypher, params = "", ""
    if example:
        query = next((q for q in _examples(who.user.role) if q.name == example), None)
        if query is None:
            return missing(request, who)
        cypher = query.text_for(services_of(request).graph.backend)
    elif saved is not None:
        kept = await asyncio.to_thread(
            saved_queries.one, services_of(request).engine, who.user, saved
        )
        if kept is None:
            return missing(request, who)
        cypher, params = kept.cypher, kept.params
    return _page(request, who, cypher=cypher, params=params, saved=await _saved(request, who))


@router.post("/workbench", dependencies=[Depends(csrf.form_token)])
async def run(
    request: Request,
    who: Annotated[Caller, Depends(viewer)],
    cypher: Annotated[str, Form(max_length=_MAX_QUERY)] = "",
    params: Annotated[str, Form(max_length=_MAX_PARAMS)] = "",
) -> HTMLResponse:
    """Run the query: a table of its rows, or what went wrong in words with a caret."""
    if not _may(who):
        return missing(request, who)
    saved = await _saved(request, who)
    try:
        bound = _bind(cypher, params)
        answer = await run_cypher(request, who, cypher, bound)
    except (QueryRefused, GraphError) as e:
        return _page(
            request,
            who,
            cypher=cypher,
            params=params,
            error=plain(cypher, e),
            status=400,
            saved=saved,
        )
    rows = answer.rows[:SHOWN]
    result = {
        "columns": answer.columns,
        "rows": [{"cells": [_cell(v) for v in row], "links": _links(row)} for row in rows],
        "count": len(answer.rows),
        "truncated": answer.truncated,
    }
    return _page(request, who, cypher=cypher, params=params, result=result, saved=saved)


@router.post("/workbench/save", dependencies=[Depends(csrf.form_token)])
async def save(
    request: Request,
    who: Annotated[Caller, Depends(viewer)],
    name: Annotated[str, Form(max_length=120)] = "",
    cypher: Annotated[str, Form(max_length=_MAX_QUERY)] = "",
    params: Annotated[str, Form(max_length=_MAX_PARAMS)] = "",
    shared: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Keep the query under a name, for the user or their team; audited with its text."""
    if not _may(who):
        return missing(request, who)
    name = " ".join(name.split())
    if not name or not cypher.strip():
        return _page(
            request,
            who,
            cypher=cypher,
            params=params,
            notice=_("Give the query a name, and write it, before saving."),
            status=400,
            saved=await _saved(request, who),
        )
    share = shared == "yes"
    kept = await change(
        services_of(request),
        who.user,
        "workbench-save",
        lambda e: saved_queries.save(e, who.user, name, cypher, params, shared=share),
        lambda key: {"query_id": key, "name": name, "cypher": cypher, "shared": share},
        purpose=who.purpose,
    )
    if kept is None:
        return _page(
            request,
            who,
            cypher=cypher,
            params=params,
            notice=_("You keep %(n)s saved queries already: delete one first.")
            % {"n": saved_queries.MAX_SAVED},
            status=400,
            saved=await _saved(request, who),
        )
    return RedirectResponse(f"/workbench?saved={kept}", status_code=303)


@router.post("/workbench/saved/{query_id}/delete", dependencies=[Depends(csrf.form_token)])
async def delete(
    request: Request, query_id: int, who: Annotated[Caller, Depends(viewer)]
) -> Response:
    """Forget one of the user's own saved queries; audited."""
    if not _may(who):
        return missing(request, who)
    gone = await change(
        services_of(request),
        who.user,
        "workbench-delete",
        lambda e: saved_queries.delete(e, who.user, query_id),
        lambda done: {"query_id": query_id, "deleted": done},
        purpose=who.purpose,
    )
    if not gone:
        return missing(request, who)
    return RedirectResponse("/workbench", status_code=303)
