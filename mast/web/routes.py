"""The web UI: server-rendered pages (Jinja2 + htmx) for practitioners and investigators.

Pages read through the same GraphQL schema, access rules and audit as partner apps
(`routes_graphql.execute`): a page shows only what its user's role may see, and every
page that shows personal data has its audit entry committed before it is sent.
"""

from __future__ import annotations

import asyncio
import math
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from mast.accounts.access import MAX_PURPOSE, MIN_PURPOSE, OPERATIONS, allowed, purpose_of
from mast.accounts.accounts import Accounts, Credential
from mast.api import csrf
from mast.api.auth import Caller, services_of
from mast.api.recording import change
from mast.api.routes_auth import sign_in, sign_out
from mast.core import clock
from mast.core.csv_safe import FORMULA_START
from mast.core.errors import AccessError
from mast.text import i18n
from mast.text.i18n import gettext as _
from mast.web import i18n_values

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.add_extension("jinja2.ext.i18n")
# Every interface string goes through gettext (`{{ _("…") }}`, `{% trans %}`) in the
# request's language (mast/text/i18n.py); a `{% trans %}` block's line breaks and indents
# are not part of its msgid.
templates.env.policies["ext.i18n.trimmed"] = True
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    i18n.gettext, i18n.ngettext, newstyle=True
)
router = APIRouter(include_in_schema=False)


# --- filters --------------------------------------------------------------------------------


def _age(value: Any) -> int:
    born, today = date.fromisoformat(str(value)[:10]), clock.today()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _confidence(weight: Any) -> str:
    """A Splink match weight as a probability; rulings and partner ids carry none."""
    if weight is None:
        return _("ruled")
    chance = 1 / (1 + 2 ** -min(float(weight), 60))
    return f"{math.floor(chance * 1000) / 10:g}%"


templates.env.filters.update(day=i18n.day, moment=i18n.moment, age=_age, confidence=_confidence)
# Values the records hold, worded in the request's language (mast/web/i18n_values.py).
templates.env.filters.update(
    sex=i18n_values.sex,
    event_kind=i18n_values.event_kind,
    event_role=i18n_values.event_role,
    relation=i18n_values.relation,
    premises=i18n_values.premises,
    authority=i18n_values.authority,
    evidence=i18n_values.evidence,
    agency=i18n.agency_name,
    role=i18n.role_name,
    month=i18n.month,
)
templates.env.globals.update(
    html_lang=i18n.language,
    calendar_names=i18n.calendar_names,
    switch_to=i18n.switch_to,
    role_name=i18n.role_name,
    agency_kind=i18n.agency_kind,
    agency_name=i18n.agency_name,
    state=i18n.state,
)
# CSVs built in the browser (the network explorer) escape cells by the server's own rule.
templates.env.globals["csv_formula_start"] = list(FORMULA_START)


# --- who is looking ---------------------------------------------------------------------------


class SignIn(Exception):
    """Send the browser to the sign-in page (or the purpose prompt)."""

    def __init__(self, to: str) -> None:
        self.to = to


_NEXT = "next"  # the session's key for the page asked for before sign-in
_FIRST = frozenset({"/", "/login", "/purpose"})  # the way in, not a page asked for


def remember_page(request: Request) -> None:
    """Keep the page a signed-out browser asked for, to go on to after sign-in (a deep link
    from an e-mail must not land on the search page). Page views only: not a form post,
    and not an htmx fragment, whose address is no page."""
    path = request.url.path
    if request.method == "GET" and "hx-request" not in request.headers and path not in _FIRST:
        request.session[_NEXT] = path + (f"?{request.url.query}" if request.url.query else "")


def next_page(request: Request, default: str) -> str:
    """Where to go after sign-in: the remembered page, if it is one of this site's own."""
    to = request.session.pop(_NEXT, None)
    if isinstance(to, str) and to.startswith("/") and not to.startswith(("//", "/\\")):
        return to
    return default


async def _session(request: Request) -> Credential:
    sid = request.session.get("sid")
    if not isinstance(sid, str):
        raise SignIn("/login")
    try:
        return await asyncio.to_thread(services_of(request).accounts.check, sid, kind="session")
    except AccessError as e:
        raise SignIn("/login") from e


async def viewer(request: Request) -> Caller:
    """The signed-in user with the session's purpose; otherwise to sign-in or the prompt."""
    credential = await _session(request)
    if not credential.purpose:
        raise SignIn("/purpose")
    return Caller(credential.user, credential.purpose, credential)


def page(
    request: Request, template: str, who: Caller | None = None, **context: Any
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        template,
        {
            "user": who.user if who else None,
            "purpose": who.purpose if who else None,
            "can": {op: allowed(who.user.role, op) for op in OPERATIONS} if who else {},
            # An error page for a failure before the session was read has no form to guard.
            "csrf": csrf.token(request) if "session" in request.scope else "",
            **context,
        },
    )


def missing(request: Request, who: Caller | None) -> HTMLResponse:
    """Not found, and not allowed to see, look the same: the branded 404 page."""
    response = page(
        request,
        "error.html",
        who,
        title=_("Page not found"),
        message=_("There is nothing at this web address that you can see."),
    )
    response.status_code = 404
    return response


# --- sign-in and purpose ----------------------------------------------------------------------


@router.get("/login")
async def login_page(request: Request) -> HTMLResponse:
    oidc = bool(services_of(request).settings.oidc_issuer)
    return page(request, "login.html", oidc=oidc)


@router.post("/login", dependencies=[Depends(csrf.form_token)])
async def login_form(
    request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()]
) -> Response:
    try:
        await sign_in(request, username[:64], password[:1024], None)
    except HTTPException as e:
        error = (
            _("Too many failed sign-ins from here. Wait a few minutes and try again.")
            if e.status_code == 429
            else _("The username or password is wrong.")
        )
        response = page(request, "login.html", error=error)
        response.status_code = e.status_code
        return response
    return RedirectResponse("/purpose", status_code=303)


@router.post("/logout", dependencies=[Depends(csrf.form_token)])
async def logout_form(request: Request) -> RedirectResponse:
    await sign_out(request)
    return RedirectResponse("/login", status_code=303)


@router.get("/purpose")
async def purpose_page(request: Request) -> HTMLResponse:
    credential = await _session(request)
    who = Caller(credential.user, credential.purpose or "", credential)
    return page(request, "purpose.html", who)


@router.post("/purpose", dependencies=[Depends(csrf.form_token)])
async def purpose_form(request: Request, purpose: Annotated[str, Form()]) -> Response:
    credential = await _session(request)
    try:
        stated = purpose_of(purpose)
    except ValueError:
        who = Caller(credential.user, "", credential)
        rule = _(
            "Give a case number or reason of %(min)s to %(max)s printable characters, on one line."
        )
        error = rule % {"min": MIN_PURPOSE, "max": MAX_PURPOSE}
        response = page(request, "purpose.html", who, error=error)
        response.status_code = 400
        return response
    services = services_of(request)
    await change(  # the purpose and its audit entry commit together
        services,
        credential.user,
        "purpose",
        lambda engine: Accounts(engine, services.settings).set_purpose(
            credential.credential_id, stated
        ),
        lambda _: {},
        purpose=stated,
    )
    return RedirectResponse(next_page(request, home_of(credential.user.role)), status_code=303)


# --- landing -------------------------------------------------------------------------------


@router.get("/")
async def home(request: Request) -> RedirectResponse:
    """Each role's first page: search, or the page of the work it does."""
    credential = await _session(request)
    if not credential.purpose:
        raise SignIn("/purpose")
    return RedirectResponse(home_of(credential.user.role), status_code=303)


def home_of(role: str) -> str:
    """Where a role starts: search, or the page of the work it does (an auditor the trail,
    an administrator the feeds), never a page that says the role cannot use it."""
    for operation, to in (
        ("search", "/search"),
        ("audit", "/audit-trail"),
        ("quality", "/quality"),
    ):
        if allowed(role, operation):
            return to
    return "/search"


# --- a person ---------------------------------------------------------------------


def date_or_none(text: str) -> date | None:
    """A date field of a form: empty (no limit), or a date; anything else is no limit too."""
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None
