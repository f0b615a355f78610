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
from mast.web.i18n_values import agency_names
from mast.web.routes import date_or_none, missing, page, viewer

router = APIRouter(include_in_schema=False)

_COLUMNS = (
    "entry", "at (UTC)", "user", "role", "agency", "purpose", "action", "outcome",
    "person asked for", "their name", "ids shown", "names of the people shown",
)  # fmt: skip


def _filters(user: str, person: str, since: str, until: str, action: str) -> audit_trail.Filters:
    return audit_trail.Filters(
        user=user.strip()[:64],
        person=person.strip()[:100],
        since=date_or_none(since[:10]),
        until=date_or_none(until[:10]),
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

    def read() -> tuple[audit_trail.Trail, list[audit_trail.Split], dict[str, str], Any]:
        with services.engine.connect() as conn:
            trail = audit_trail.read(conn, filters, before=before)
            splits = audit_trail.viewed_then_unmerged(conn)
            ids = [i for r in trail.rows for i in (*r.asked, *r.shown)]
            ids += [i for s in splits for i in (s.person, *s.moved)]
            moved = [r for s in splits for rs in s.moved.values() for r in rs]
            return trail, splits, audit_trail.names(conn, ids), audit_trail.agencies_of(conn, moved)

    trail, splits, named, agency_ids = await asyncio.to_thread(read)
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
        filters=filters.asked(),
        actions=audit_trail.actions(),
        page_size=audit_trail.PAGE,
        older_link=(
            f"/audit-trail?{request.url.include_query_params(before=trail.older).query}"
            if trail.older
            else None
        ),
        csv_link=f"/audit-trail.csv?{request.url.remove_query_params('before').query}",
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
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_COLUMNS)
    for r in rows:
        cells = [
            str(r.seq), r.at, r.username, r.role, r.agency, r.purpose, r.described(), r.outcome,
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
