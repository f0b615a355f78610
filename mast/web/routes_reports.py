"""The web UI's analysis pages: the headline figures of the proof of concept on a
dashboard, and every saved report as a form, a table, a chart and a CSV file. Each run
goes through the audited GraphQL `report` field, with the user's role checked there."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated, Any

from babel.dates import format_date
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from mast.accounts.access import allowed
from mast.api.auth import Caller
from mast.api.routes_graphql import execute
from mast.core import clock
from mast.core.csv_safe import csv_safe
from mast.core.errors import QueryRefused
from mast.graph.headlines import HEADLINES
from mast.graph.queries import NamedQuery, convert, load_queries
from mast.text.i18n import N_, agency_kind, day, language
from mast.text.i18n import gettext as _
from mast.web import i18n_values
from mast.web.report_slices import (
    AGENCY_COLOURS,
    AREAS,
    OTHER_COLOUR,
    PERIODS,
    Slice,
    can_slice,
    only_in,
    slice_rows,
)
from mast.web.routes import missing, page, viewer

router = APIRouter(include_in_schema=False)
REPORT = """query($name: String!, $params: JSON) {
  report(name: $name, params: $params) { name columns rows truncated } }"""
CHOICES = "query { reportChoices }"
_SHOWN = 500
_MOST = 1_000_000
_LOCALES = {"en-GB": "en_GB", "cy": "cy"}
# The reports' parameters in words, as the forms label them.
PARAM_LABELS = {
    "agency_kind": N_("Kind of agency"),
    "agency_kinds": N_("Kinds of agency"),
    "known": N_("Known to every one of"),
    "not_known": N_("Known to none of"),
    "categories": N_("Categories"),
    "leaver_kinds": N_("Kinds of record meaning a care leaver"),
    "custody_kinds": N_("Kinds of record meaning custody"),
    "from": N_("From"),
    "to": N_("Up to"),
    "day": N_("On the day"),
    "min": N_("At least this many events"),
    "max": N_("At most this many events"),
    "limit": N_("How many rows at most"),
    "max_event_records": N_("Leave out events with more people than"),
    "person_id": N_("Person (MAST id)"),
    "address_id": N_("Address (MAST id)"),
    "from_person": N_("From person (MAST id)"),
    "to_person": N_("To person (MAST id)"),
}
PERIOD_LABELS = {"week": N_("week"), "month": N_("month"), "quarter": N_("quarter")}
AREA_LABELS = {
    "local_authority": N_("local authority"),
    "postcode_district": N_("postcode district"),
}


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


async def _choices(request: Request, who: Caller) -> dict[str, list[str]]:
    """The pick-lists' values, read from the data through the audited GraphQL field."""
    data, errors = await execute(request, who, CHOICES)
    return {} if errors else dict((data or {}).get("reportChoices") or {})


def _given(request: Request, query: NamedQuery) -> dict[str, str]:
    """The form's values for the query's parameters, a pick-list's ticks joined by commas;
    empty ones take the query's default."""
    out = {}
    for p in query.params:
        values = [v.strip() for v in request.query_params.getlist(p.name) if v.strip()]
        if values:
            out[p.name] = ",".join(values)[:500]
    return out


def _dates_used(query: NamedQuery, given: dict[str, str]) -> list[tuple[str, str]]:
    """Each date the report ran with, in words: a browser's date box may show the month
    first, and "01/06" read the wrong way round changes every figure without a word."""
    used, now = [], clock.now()
    for p in query.params:
        value = given.get(p.name, p.default)
        if p.type not in {"date", "datetime"} or value in (None, ""):
            continue
        try:
            used.append((_label(p.name), day(convert(p, value, now=now))))
        except QueryRefused:
            continue
    return used


def _checked(
    query: NamedQuery, given: dict[str, str], choices: dict[str, list[str]]
) -> tuple[dict[str, str], list[str]]:
    """The values as the data spells them (a kind of agency may be typed in words, any case)
    and, for each that cannot run, a problem in words: a value the data does not hold says
    which it does, rather than the report silently finding nothing."""
    out, problems = dict(given), []
    now = clock.now()
    for p in query.params:
        if p.name not in given:
            continue
        label = _label(p.name)
        known = choices.get(p.choices or "")
        if known:
            by_word = {v.casefold(): v for v in known}
            if p.choices == "agency_kind":  # in words, or by an agency's name
                by_word.update({agency_kind(v).casefold(): v for v in known})
                for v in known:
                    by_word.update({n.casefold(): v for n in choices.get(f"agency_of:{v}", [])})
            typed = [v.strip() for v in given[p.name].split(",") if v.strip()]
            found = [by_word.get(v.casefold()) for v in typed]
            if None in found:
                problems.append(_no_such(label, [_word(p.choices, v) for v in known]))
                continue
            out[p.name] = ",".join(v for v in found if v)
        elif p.type in {"date", "datetime"}:
            try:
                convert(p, given[p.name], now=now)
            except QueryRefused:
                problems.append(
                    _("%(label)s: give a date as 01/06/2026 or 2026-06-01.") % {"label": label}
                )
        elif p.type == "int" and (not given[p.name].isdigit() or int(given[p.name]) > _MOST):
            problems.append(
                _("%(label)s: give a whole number from 0 to %(most)s.")
                % {"label": label, "most": f"{_MOST:,}"}
            )
    low, high = given.get("min", ""), given.get("max", "")
    if low.isdigit() and high.isdigit() and int(low) > int(high):
        problems.append(_("“At least” is more than “at most”, so nothing could match."))
    return out, problems


def _label(name: str) -> str:
    """A parameter in words, in the request's language."""
    return _(PARAM_LABELS.get(name, name.replace("_", " ")))


def _word(vocabulary: str | None, value: str) -> str:
    """A value of a pick-list in the reader's language; the value sent stays the data's."""
    if vocabulary == "agency_kind":
        return agency_kind(value)
    if vocabulary in {"category", "event_kind"}:
        return i18n_values.event_kind(value)
    if vocabulary == "local_authority":
        return i18n_values.authority(value)
    return value


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
    """Events per month by kind of agency, as bars in each kind's colour: the dashboard's
    peaks and troughs (htmx). A year of weekly lines per agency did not read at a glance."""
    if not _query_for(who, "weekly_activity"):
        return missing(request, who)
    result, problem = await _run(request, who, "weekly_activity", {})
    chart = None
    if result:
        sliced = slice_rows(result["columns"], result["rows"], period="month", area=None)
        chart = _slice_chart(sliced)
    return page(request, "_weekly.html", who, chart=chart, problem=problem)


@router.get("/analysis/{name}")
async def report_page(
    request: Request, name: str, who: Annotated[Caller, Depends(viewer)]
) -> HTMLResponse:
    query = _query_for(who, name)
    if query is None:
        return missing(request, who)
    given = _given(request, query)
    choices = await _choices(request, who)
    result: dict[str, Any] | None = None
    problems: list[str] = []
    sliced = None
    period, area = _slicing(request, query)
    authority, unplaced = _authority(request, choices), False
    if "run" in request.query_params:
        checked, problems = _checked(query, given, choices)
        given = checked  # shown as the data spells them: "Police" ticks police
        if authority is None and request.query_params.get("in"):
            problems.append(
                _no_such(_("Only in local authority"), choices.get("local_authority", []))
            )
        if not problems:
            result, problem = await _run(request, who, name, checked)
            problems = [problem] if problem else []
        if result and authority:
            result, unplaced = _narrowed(result, authority)
        if result and (period or area):
            sliced = slice_rows(result["columns"], result["rows"], period=period, area=area)
    dated, areas = can_slice(result["columns"]) if result else (True, list(AREAS))
    return page(
        request,
        "report.html",
        who,
        query=query,
        given=given,
        choices={p.name: choices.get(p.choices or "", []) for p in query.params},
        words={p.name: _words(p.choices, choices.get(p.choices or "", [])) for p in query.params},
        labels={p.name: _label(p.name) for p in query.params},
        result=result,
        problems=problems,
        shown=_SHOWN,
        period=period,
        area=area,
        authority=authority,
        authorities=choices.get("local_authority", []),
        unplaced=unplaced,
        periods=[(k, _(PERIOD_LABELS[k])) for k in PERIODS],
        areas=[(k, _(AREA_LABELS[k])) for k in AREAS],
        dated=dated,
        areas_found=areas,
        sliced=sliced,
        period_words=period_words,
        slice_chart=_slice_chart(sliced) if sliced and sliced.periods else None,
        chart=_chart(result) if result and not sliced else None,
        dates_used=_dates_used(query, given) if result else [],
        csv_link=str(request.url.include_query_params(run="1")).replace(
            f"/analysis/{name}?", f"/analysis/{name}/csv?", 1
        ),
    )


def _authority(request: Request, choices: dict[str, list[str]]) -> str | None:
    """The local authority the rows are narrowed to, as the data spells it, if any."""
    chosen = request.query_params.get("in", "").strip().casefold()
    known = {v.casefold(): v for v in choices.get("local_authority", [])}
    return known.get(chosen) if chosen else None


def _narrowed(result: dict[str, Any], authority: str) -> tuple[dict[str, Any], bool]:
    """The result's rows in one local authority, and whether the rows had no place to
    narrow by (then they are all kept, and the page says so)."""
    rows = only_in(result["columns"], result["rows"], authority)
    return ({**result, "rows": rows}, False) if rows is not None else (result, True)


def _no_such(label: str, values: list[str]) -> str:
    return _("%(label)s: nothing in the data has that value. The data has: %(values)s.") % {
        "label": label,
        "values": ", ".join(values),
    }


def _slicing(request: Request, query: NamedQuery) -> tuple[str | None, str | None]:
    """The slice asked for. A report of weekly rows opens sliced by month (a year of
    weeks by kind and area was thousands of rows); choosing "no period" shows the weeks."""
    weekly = " AS week" in query.cypher
    period = request.query_params.get("period", "month" if weekly else "")
    area = request.query_params.get("area", "")
    return (period if period in PERIODS else None), (area if area in AREAS else None)


def _words(vocabulary: str | None, values: list[str]) -> list[tuple[str, str]]:
    """A pick-list's (value, words shown) pairs."""
    return [(v, _word(vocabulary, v)) for v in values]


def period_words(value: str) -> str:
    """A slice's period as a reader says it: "Jun 2026", "w/c 1 Jun 2026", "2026 Q2"
    (the CSV keeps the sortable form)."""
    if len(value) == 7 and value[4] == "-":  # a month
        when = date(int(value[:4]), int(value[5:]), 1)
        return format_date(when, "LLL y", locale=_LOCALES.get(language(), "en_GB"))
    if len(value) == 10:  # a week, by its Monday
        return _("w/c %(day)s") % {"day": day(value)}
    return value


def _slice_chart(sliced: Slice) -> dict[str, Any]:
    """Bars per period, stacked by kind of agency in its own colour."""
    return {
        "labels": [period_words(p) for p in sliced.periods],
        "datasets": [
            {
                "label": agency_kind(kind) if kind else _("events"),
                "data": counts,
                "backgroundColor": AGENCY_COLOURS.get(kind, OTHER_COLOUR),
            }
            for kind, counts in sorted(sliced.series.items())
        ],
    }


@router.get("/analysis/{name}/csv")
async def report_csv(
    request: Request, name: str, who: Annotated[Caller, Depends(viewer)]
) -> Response:
    """The report's rows, or its sliced table when a slice is chosen, as a CSV file."""
    query = _query_for(who, name)
    if query is None:
        return missing(request, who)
    choices = await _choices(request, who)
    checked, problems = _checked(query, _given(request, query), choices)
    authority = _authority(request, choices)
    if authority is None and request.query_params.get("in"):
        problems.append(_no_such(_("Only in local authority"), choices.get("local_authority", [])))
    result = None
    if not problems:
        result, problem = await _run(request, who, name, checked)
        problems = [problem] if problem else []
    if result is not None and authority:
        result, _unplaced = _narrowed(result, authority)
    if result is None:
        return Response(
            " ".join(problems) or "the report failed", status_code=400, media_type="text/plain"
        )
    columns, rows = result["columns"], result["rows"]
    period, area = _slicing(request, query)
    if period or area:
        sliced = slice_rows(columns, rows, period=period, area=area)
        columns, rows = sliced.columns, sliced.rows
        name = f"{name}-by-{'-'.join(x for x in (period, area) if x)}"
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
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
