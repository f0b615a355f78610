"""Watches and alerts in the web UI (when MAST_ALERTS is on): the watch buttons on the
person and address pages, the watching page with what is new since the last visit, the
count in the navigation, and where to e-mail alerts.

Setting and removing a watch, reading one's alerts and changing the e-mail address are
each audited, the change and its entry in one transaction (`change`). The alerts
themselves are made after each daily run (mast/daily/alerts.py).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from mast.accounts.access import allowed
from mast.accounts.accounts import User
from mast.api import csrf
from mast.api.auth import Caller, services_of
from mast.api.recording import change
from mast.daily import alerts
from mast.loaders.feeds import load_feeds
from mast.schema.tables import addresses, persons
from mast.text.i18n import gettext as _
from mast.web.routes import missing, page, templates, viewer

router = APIRouter(include_in_schema=False)
_BACK = re.compile(r"^/(people|addresses)/[A-Za-z0-9_-]{1,64}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{1,63}$")


def _user(request: Request, user: User | None) -> User | None:
    """The user, if alerts are on and their role may watch; else None."""
    services = getattr(request.app.state, "services", None)
    if services is None or not services.settings.alerts or user is None:
        return None
    return user if allowed(user.role, "watch") else None


def _on(request: Request, user: User | None) -> bool:
    return _user(request, user) is not None


def watching_count(request: Request, user: User | None) -> int | None:
    """The navigation's count of unread alerts; None when alerts are off for this user."""
    me = _user(request, user)
    return None if me is None else alerts.unseen(services_of(request).engine, me.username)


def watch_panel(request: Request, user: User | None, kind: str, subject: str) -> Any:
    """What the watch buttons of a person or address page show; None when alerts are off."""
    me = _user(request, user)
    if me is None or kind not in alerts.SUBJECT_KINDS:
        return None
    engine = services_of(request).engine
    mine = {w.kind: w for w in alerts.watches_of(engine, me.username, kind, subject)}
    return {
        "kind": kind,
        "subject": subject,
        "records": mine.get("records"),
        "lookups": mine.get("lookups"),
        "may_lookups": kind == "person"
        and ("lookups" in mine or alerts.leads_open_case(engine, me.agency, subject)),
    }


templates.env.globals.update(watching_count=watching_count, watch_panel=watch_panel)


@lru_cache(maxsize=4)
def _agency_names(feeds: Path) -> dict[str, str]:
    """Agency id (as records hold it) → its name (as pages show it), from the feeds."""
    return {f.agency.id: f.agency.name for f in load_feeds(feeds).values()}


def _exists(engine: sa.Engine, kind: str, subject: str) -> bool:
    key = persons.c.person_id if kind == "person" else addresses.c.address_id
    with engine.connect() as conn:
        return conn.execute(sa.select(key).where(key == subject)).first() is not None


@router.post("/watch", dependencies=[Depends(csrf.form_token)])
async def watch(
    request: Request,
    who: Annotated[Caller, Depends(viewer)],
    subject_kind: Annotated[str, Form(max_length=8)],
    subject_id: Annotated[str, Form(max_length=16)],
    kind: Annotated[str, Form(max_length=8)] = "records",
) -> Response:
    services = services_of(request)
    if (
        not _on(request, who.user)
        or subject_kind not in alerts.SUBJECT_KINDS
        or kind not in ("records", "lookups")
        or (kind == "lookups" and subject_kind != "person")
        or not _exists(services.engine, subject_kind, subject_id)
    ):
        return missing(request, who)
    if kind == "lookups" and not alerts.leads_open_case(
        services.engine, who.user.agency, subject_id
    ):
        return missing(request, who)  # only an agency with an open case may ask
    made = await change(
        services,
        who.user,
        "watch",
        lambda engine: alerts.add_watch(
            engine,
            username=who.user.username,
            agency=who.user.agency,
            subject_kind=subject_kind,
            subject_id=subject_id,
            kind=kind,
            now=services.now(),
        ),
        lambda w: {"watch": w.watch_id, "subject_kind": w.subject_kind, "kind": w.kind},
        lambda w: [w.subject_id],
        purpose=who.purpose,
    )
    return RedirectResponse(_page_of(made.subject_kind, made.subject_id), status_code=303)


def _page_of(kind: str, subject: str) -> str:
    return f"/{'people' if kind == 'person' else 'addresses'}/{subject}"


@router.post("/unwatch", dependencies=[Depends(csrf.form_token)])
async def unwatch(
    request: Request,
    who: Annotated[Caller, Depends(viewer)],
    watch_id: Annotated[int, Form()],
    back: Annotated[str, Form(max_length=100)] = "/watching",
) -> Response:
    if not _on(request, who.user):
        return missing(request, who)
    services = services_of(request)
    gone = await change(
        services,
        who.user,
        "unwatch",
        lambda engine: alerts.remove_watch(engine, username=who.user.username, watch_id=watch_id),
        lambda w: {"watch": watch_id, **({"kind": w.kind} if w else {"found": False})},
        lambda w: [w.subject_id] if w else [],
        purpose=who.purpose,
    )
    if gone is None:
        return missing(request, who)
    to = back if back == "/watching" or _BACK.match(back) else "/watching"
    return RedirectResponse(to, status_code=303)


@router.get("/watching")
async def watching_page(request: Request, who: Annotated[Caller, Depends(viewer)]) -> Response:
    """The user's watches and alerts, new ones marked; reading them marks them seen."""
    if not _on(request, who.user):
        return missing(request, who)
    services = services_of(request)
    now = services.now()
    names = _agency_names(services.settings.feeds)
    found = await change(
        services,
        who.user,
        "alerts",
        lambda engine: alerts.read(engine, who.user.username, now=now),
        lambda w: {"alerts": len(w.alerts), "new": sum(a["new"] for a in w.alerts)},
        lambda w: w.subject_ids() + [a["subject_id"] for a in w.alerts],
        purpose=who.purpose,
    )
    return page(
        request,
        "watching.html",
        who,
        watching=found,
        new=sum(a["new"] for a in found.alerts),
        email=alerts.email_of(services.engine, who.user.username),
        mail_on=bool(services.settings.smtp_host),
        saved=request.query_params.get("saved"),
        page_of=_page_of,
        agency_of=lambda a: names.get(a, a),
    )


@router.post("/watching/email", dependencies=[Depends(csrf.form_token)])
async def watching_email(
    request: Request,
    who: Annotated[Caller, Depends(viewer)],
    email: Annotated[str, Form(max_length=254)] = "",
) -> Response:
    """Where to e-mail the user's alerts; empty stops the e-mails."""
    if not _on(request, who.user):
        return missing(request, who)
    address = email.strip()
    if address and not _EMAIL.match(address):
        response = page(
            request,
            "error.html",
            who,
            title=_("E-mail address not saved"),
            message=_("That is not an e-mail address. Go back and check it."),
        )
        response.status_code = 400
        return response
    services = services_of(request)
    await change(
        services,
        who.user,
        "alert-email",
        lambda engine: alerts.set_email(
            engine, who.user.username, address or None, now=services.now()
        ),
        lambda _: {"email": "set" if address else "removed"},
        purpose=who.purpose,
    )
    return RedirectResponse("/watching?saved=1", status_code=303)
