"""The audit trail in the browser, for auditors: what each user did and to whom, searched by
user, person (by name or id), date and action, page after page, and as a CSV file; and who
saw a person whose records were later split apart.

The people are named when the page is read (`audit_trail.names`), never in the trail; the
page's own audit entry, committed before it is sent, lists everyone it names.
"""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from mast.accounts.access import allowed
from mast.api import audit_trail
from mast.api.auth import Caller, services_of
from mast.api.recording import record
from mast.core.csv_safe import csv_safe
from mast.text import i18n
from mast.text.i18n import N_
from mast.text.i18n import gettext as _
from mast.web.i18n_values import agency_names
from mast.web.routes import missing, page, viewer
from mast.web.routes_errors import error_page
from mast.web.routes_person import read_days

router = APIRouter(include_in_schema=False)

_COLUMNS = (
    "entry", "at (UTC)", "user", "role", "agency", "purpose", "action", "outcome",
    "person asked for", "their name", "ids shown", "names of the people shown",
)  # fmt: skip
_HEADINGS = (
    N_("Entry"), N_("When (UTC)"), N_("User name"), N_("Role"), N_("Agency"), N_("Purpose"),
    N_("What they did"), N_("Outcome"), N_("Person asked for"), N_("Their name"),
    N_("Ids shown"), N_("Names of the people shown"),
)  # fmt: skip
"""The columns' headings in a Welsh export."""
_OUTCOMES = {"ok": N_("done"), "refused": N_("refused"), "partial": N_("partly refused"),
             "failed": N_("failed")}  # fmt: skip


def _filters(
    user: str, person: str, since: str, until: str, action: str
) -> audit_trail.Filters | str:
    """The search asked for, or what is wrong with a date in it: a date silently left out
    would search, and export, the whole trail instead of the days asked for."""
    days = read_days({"from": since[:40], "to": until[:40]})
    if isinstance(days, str):
        return days
    return audit_trail.Filters(
        user=user.strip()[:64],
        person=person.strip()[:100],
        since=days["from"],
        until=days["to"],
        action=action if action in dict(audit_trail.actions()) else "",
    )


@router.get("/audit-trail")
async def audit_trail_page(
    request: Request,
    who: Annotated[Caller, Depends(viewer)],
    user: str = "",
    person: str = "",
    since: str = "",
    until: str = "",
    action: str = "",
    before: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    """Auditors: who did what to whom, when and why; who saw a person later split apart."""
    if not allowed(who.user.role, "audit"):
        return missing(request, who)
    services = services_of(request)
    filters = _filters(user, person, since, until, action)
    if isinstance(filters, str):
        return error_page(request, 422, _("A date could not be read"), filters, who)

    def read() -> tuple[
        audit_trail.Trail, list[audit_trail.Split], dict[str, str], Any, dict[str, str]
    ]:
        with services.engine.connect() as conn:
            trail = audit_trail.read(conn, filters, before=before)
            splits = audit_trail.viewed_then_unmerged(conn)
            ids = [i for r in trail.rows for i in (*r.asked, *r.shown)]
            ids += [i for s in splits for i in (s.person, *s.moved)]
            moved = [r for s in splits for rs in s.moved.values() for r in rs]
            accounts = [r.username for r in trail.rows]
            accounts += [v.username for s in splits for v in s.viewers] + [
                u for s in splits for u in s.ruled_by
            ]
            return (
                trail,
                splits,
                audit_trail.names(conn, ids),
                audit_trail.agencies_of(conn, moved),
                audit_trail.display_names(conn, accounts),
            )

    trail, splits, named, agency_ids, staff = await asyncio.to_thread(read)
    # Records hold their agency by id ("education"): the page names it as the partner does.
    names = agency_names(services.settings.feeds)
    agencies = {r: names.get(a, a) for r, a in agency_ids.items()}
    asked = {**filters.asked(), "before": before}
    # The names shown are personal data read now: the entry lists whose, before they leave.
    await record(services, who.user, "audit", asked, [*named, *trail.matched], purpose=who.purpose)
    return page(
        request,
        "audit.html",
        who,
        trail=trail,
        splits=splits,
        named={**trail.matched, **named},
        agencies=agencies,
        staff=staff,
        filters=filters.asked(),
        actions=audit_trail.actions(),
        page_size=audit_trail.PAGE,
        older_link=(
            f"/audit-trail?{request.url.include_query_params(before=trail.older).query}"
            if trail.older
            else None
        ),
        csv_link=f"/audit-trail.csv?{request.url.remove_query_params('before').query}",
        newest_link=(
            f"/audit-trail?{request.url.remove_query_params('before').query}" if before else None
        ),
    )


@router.get("/audit-trail.csv")
async def audit_trail_csv(
    request: Request,
    who: Annotated[Caller, Depends(viewer)],
    user: str = "",
    person: str = "",
    since: str = "",
    until: str = "",
    action: str = "",
) -> Response:
    """The entries the page finds, every one (up to EXPORT), with full ids and names."""
    if not allowed(who.user.role, "audit"):
        return missing(request, who)
    services = services_of(request)
    filters = _filters(user, person, since, until, action)
    if isinstance(filters, str):
        return error_page(request, 422, _("A date could not be read"), filters, who)

    def read() -> tuple[list[audit_trail.Row], bool, dict[str, str]]:
        with services.engine.connect() as conn:
            rows, more = audit_trail.export(conn, filters)
            ids = [i for r in rows for i in (*r.asked, *r.shown)]
            return rows, more, audit_trail.names(conn, ids)

    rows, more, named = await asyncio.to_thread(read)
    await record(
        services, who.user, "audit-export", {**filters.asked(), "rows": len(rows)}, named,
        purpose=who.purpose,
    )  # fmt: skip
    # In Welsh, headings, roles, agencies, actions and outcomes in Welsh words, as the page
    # has them; in English the file keeps its column names and codes.
    welsh = i18n.language() == "cy"
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_(h) for h in _HEADINGS] if welsh else _COLUMNS)
    for r in rows:
        role, agency, action, outcome = r.role, r.agency, r.described(), r.outcome
        if welsh:
            role, agency = i18n.role_name(r.role), i18n.agency_name(r.agency)
            action = _(r.label) % {"name": r.report} if "%(name)s" in r.label else _(r.label)
            outcome = _(_OUTCOMES[r.outcome]) if r.outcome in _OUTCOMES else r.outcome
        cells = [
            str(r.seq), r.at, r.username, role, agency, r.purpose, action, outcome,
            " ".join(r.asked), "; ".join(named.get(i, "") for i in r.asked),
            " ".join(r.shown), "; ".join(f"{i} {named[i]}" for i in r.shown if i in named),
        ]  # fmt: skip
        writer.writerow([csv_safe(c) for c in cells])
    if more:
        writer.writerow(
            [csv_safe(f"(more than {audit_trail.EXPORT:,} entries: narrow the search)")]
        )
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-trail.csv"'},
    )
