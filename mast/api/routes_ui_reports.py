"""The web UI's analysis pages: the headline figures of the proof of concept on a
dashboard, and every saved report as a form, a table, a chart and a CSV file. Each run
goes through the audited GraphQL `report` field, with the user's role checked there."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from mast.accounts.access import allowed
from mast.api.auth import Caller
from mast.api.i18n import agency_kind
from mast.api.i18n import gettext as _
from mast.api.routes_graphql import execute
from mast.api.routes_ui import missing, page, viewer
from mast.core.csv_safe import csv_safe
from mast.graph.headlines import HEADLINES
from mast.graph.queries import NamedQuery, load_queries

router = APIRouter(include_in_schema=False)
REPORT = """query($name: String!, $params: JSON) {
  report(name: $name, params: $params) { name columns rows truncated } }"""
_SHOWN = 500


def _query_for(who: Caller, name: str) -> NamedQuery | None:
    query = load_queries().get(name)
    if query is None or not allowed(who.user.role, "report") or who.user.role not in query.roles:
        return None
    return query


async def _run(
    request: Request, who: Caller, name: str, params: dict[str, Any]
) -> tuple[dict[str, Any] | None, str | None]:
    data, errors = await execute(request, who, REPORT, {"name": name, "params": params})
    if errors:
        return None, str(errors[0]["message"])
    return (data or {}).get("report"), None


def _given(request: Request, query: NamedQuery) -> dict[str, str]:
    """The form's values for the query's parameters; empty ones take the query's default."""
    out = {}
    for p in query.params:
        value = request.query_params.get(p.name, "").strip()
        if value:
            out[p.name] = value[:500]
    return out


@router.get("/analysis")
async def analysis(request: Request, who: Annotated[Caller, Depends(viewer)]) -> HTMLResponse:
    if not allowed(who.user.role, "report"):
        return missing(request, who)
    queries = [q for q in load_queries().values() if who.user.role in q.roles]
    figures = [
        (i, what, name)
        for i, (what, name, _params, _key) in enumerate(HEADLINES)
        if _query_for(who, name)
    ]
    weekly = _query_for(who, "weekly_activity") is not None
    return page(request, "analysis.html", who, queries=queries, figures=figures, weekly=weekly)


@router.get("/analysis/figure/{index}")
async def figure(
    request: Request, index: int, who: Annotated[Caller, Depends(viewer)]
) -> HTMLResponse:
    """One headline figure, loaded into the dashboard on its own (htmx)."""
    if not 0 <= index < len(HEADLINES) or not _query_for(who, HEADLINES[index][1]):
        return missing(request, who)
    what, name, params, _key = HEADLINES[index]
    result, problem = await _run(request, who, name, params)
    link = "&".join(
        f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}" for k, v in params.items()
    )
    count = len(result["rows"]) if result else None
    return page(
        request, "_figure.html", who, what=what, name=name, link=link, count=count, problem=problem
    )


@router.get("/analysis/weekly")
async def weekly(request: Request, who: Annotated[Caller, Depends(viewer)]) -> HTMLResponse:
    """Events per week by kind of agency: the dashboard's peaks and troughs (htmx)."""
    if not _query_for(who, "weekly_activity"):
        return missing(request, who)
    result, problem = await _run(request, who, "weekly_activity", {})
    series: dict[str, dict[str, int]] = {}
    for week, kind, events in (result or {}).get("rows", []):
        series.setdefault(str(kind), {})[str(week)] = int(events)
    weeks = sorted({w for counts in series.values() for w in counts})
    chart = {
        "weeks": weeks,
        "agencies": [
            {"agency": agency_kind(kind), "counts": [counts.get(w, 0) for w in weeks]}
            for kind, counts in sorted(series.items())
        ],
    }
    return page(request, "_weekly.html", who, chart=chart, problem=problem)


@router.get("/analysis/{name}")
async def report_page(
    request: Request, name: str, who: Annotated[Caller, Depends(viewer)]
) -> HTMLResponse:
    query = _query_for(who, name)
    if query is None:
        return missing(request, who)
    given = _given(request, query)
    result, problem = None, None
    if "run" in request.query_params:
        result, problem = await _run(request, who, name, given)
    return page(
        request,
        "report.html",
        who,
        query=query,
        given=given,
        result=result,
        problem=problem,
        shown=_SHOWN,
        chart=_chart(result) if result else None,
        csv_link=str(request.url.include_query_params(run="1")).replace(
            f"/analysis/{name}?", f"/analysis/{name}/csv?", 1
        ),
    )


@router.get("/analysis/{name}/csv")
async def report_csv(
    request: Request, name: str, who: Annotated[Caller, Depends(viewer)]
) -> Response:
    query = _query_for(who, name)
    if query is None:
        return missing(request, who)
    result, problem = await _run(request, who, name, _given(request, query))
    if result is None:
        return Response(problem or "the report failed", status_code=400, media_type="text/plain")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(result["columns"])
    for row in result["rows"]:
        writer.writerow([csv_safe(_cell(v)) for v in row])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return str(value.get("person_id") or value.get("address_id") or value)
    return str(value)


def _chart(result: dict[str, Any]) -> dict[str, Any] | None:
    """A bar chart of the last numeric column by the first text column, when there are both."""
    columns, rows = result["columns"], result["rows"][:40]
    if not rows:
        return None
    numeric = [i for i, _ in enumerate(columns) if all(isinstance(r[i], int | float) for r in rows)]
    text = [i for i, _ in enumerate(columns) if all(isinstance(r[i], str) for r in rows)]
    if not numeric or not text:
        return None
    label, value = text[0], numeric[-1]
    return {
        "label": _heading(columns[value]),
        "labels": [" · ".join(str(r[i]) for i in text[:2]) for r in rows],
        "values": [r[value] for r in rows],
        "title": _("%(value)s by %(label)s")
        % {"value": _heading(columns[value]), "label": _heading(columns[label])},
    }


def _heading(column: str) -> str:
    """A report's column as the table heads it, in the request's language."""
    return _(column.replace("_", " "))
